#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/bulk.h"
#include "store/bulk_int.h"
#include "store/identity.h"
#include "store/pgexec.h"

int ih_bulk_resolve_scryfall_lang(PGconn *c, const char *const *uuids, size_t n, int32_t *card_ids,
				  char (*langs)[8], char *err, size_t errlen)
{
	ih_buf arr = { 0 };
	const char *params[1];
	PGresult *r;
	int rc = 0;

	memset(card_ids, 0, n * sizeof *card_ids);
	if (langs != NULL)
		memset(langs, 0, n * sizeof *langs);
	if (n == 0)
		return 0;
	/* a malformed id becomes NULL: it matches nothing and cannot fail the statement */
	ih_buf_putc(&arr, '{');
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			ih_buf_putc(&arr, ',');
		ih_buf_puts(&arr, ih_valid_uuid(uuids[i]) ? uuids[i] : "NULL");
	}
	ih_buf_put(&arr, "}", 2);
	if (arr.oom) {
		snprintf(err, errlen, "resolving scryfall ids: out of memory");
		ih_buf_free(&arr);
		return IH_BULK_ERR_DB;
	}
	params[0] = arr.p;
	if (ih_pg_exec(c,
		       "SELECT u.ord, c.id, coalesce(c.lang, 'en') FROM unnest($1::uuid[]) WITH ORDINALITY AS u(sid, ord) "
		       "JOIN cards c ON c.scryfall_id = u.sid",
		       1, params, PGRES_TUPLES_OK, &r, "resolving scryfall ids", err, errlen) != 0) {
		rc = IH_BULK_ERR_DB;
	} else {
		for (int i = 0; i < PQntuples(r); i++) {
			long ord = atol(PQgetvalue(r, i, 0));

			if (ord < 1 || (size_t)ord > n)
				continue;
			card_ids[ord - 1] = (int32_t)atol(PQgetvalue(r, i, 1));
			if (langs != NULL)
				snprintf(langs[ord - 1], sizeof langs[0], "%s", PQgetvalue(r, i, 2));
		}
		PQclear(r);
	}
	ih_buf_free(&arr);
	return rc;
}

static void int_array(ih_buf *b, const int32_t *v, size_t n)
{
	char num[16];

	ih_buf_putc(b, '{');
	for (size_t i = 0; i < n; i++) {
		snprintf(num, sizeof num, "%s%d", i ? "," : "", (int)v[i]);
		ih_buf_puts(b, num);
	}
	ih_buf_put(b, "}", 2);
}

int ih_bulk_set_blueprints(PGconn *c, const int32_t *card_ids, const int32_t *blueprint_ids, size_t n, char *err,
			   size_t errlen)
{
	ih_buf a = { 0 }, b = { 0 };
	const char *params[2];
	int rc = 0;

	if (n == 0)
		return 0;
	int_array(&a, card_ids, n);
	int_array(&b, blueprint_ids, n);
	if (a.oom || b.oom) {
		snprintf(err, errlen, "storing blueprint ids: out of memory");
		rc = IH_BULK_ERR_DB;
		goto out;
	}
	params[0] = a.p;
	params[1] = b.p;
	if (ih_pg_exec(c,
		       "UPDATE cards c SET cardtrader_blueprint_id = u.bp, updated_at = now() "
		       "FROM unnest($1::int[], $2::int[]) AS u(id, bp) "
		       "WHERE c.id = u.id AND c.cardtrader_blueprint_id IS DISTINCT FROM u.bp",
		       2, params, PGRES_COMMAND_OK, NULL, "storing blueprint ids", err, errlen) != 0)
		rc = IH_BULK_ERR_DB;
out:
	ih_buf_free(&a);
	ih_buf_free(&b);
	return rc;
}
