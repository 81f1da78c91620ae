#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/bulk_int.h"
#include "store/identity.h"
#include "store/pgexec.h"

#define CARD_COLS "id, scryfall_id, oracle_id, name, set_code, collector_number, lang, tcgplayer_id, " \
		  "tcgplayer_etched_id, cardmarket_id, cardtrader_blueprint_id, mtgo_id"

void ih_card_list_free(ih_card_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++) {
		ih_card_row *r = &l->v[i];

		free(r->scryfall_id);
		free(r->oracle_id);
		free(r->name);
		free(r->set_code);
		free(r->collector_number);
		free(r->lang);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static char *dup_col(const PGresult *r, int row, int col, int *oom)
{
	char *s;

	if (PQgetisnull(r, row, col))
		return NULL;
	s = strdup(PQgetvalue(r, row, col));
	if (s == NULL)
		*oom = 1;
	return s;
}

static int32_t int_col(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0 : (int32_t)atol(PQgetvalue(r, row, col));
}

/* Rows of `r` (columns CARD_COLS) into *out. */
static int cards_from_result(const PGresult *r, ih_card_list *out, char *err, size_t errlen)
{
	int n = PQntuples(r), oom = 0;

	out->n = 0;
	out->v = calloc(n > 0 ? (size_t)n : 1, sizeof *out->v);
	if (out->v == NULL) {
		snprintf(err, errlen, "card list: out of memory");
		return IH_BULK_ERR_DB;
	}
	for (int i = 0; i < n; i++) {
		ih_card_row *c = &out->v[i];

		c->id = int_col(r, i, 0);
		c->scryfall_id = dup_col(r, i, 1, &oom);
		c->oracle_id = dup_col(r, i, 2, &oom);
		c->name = dup_col(r, i, 3, &oom);
		c->set_code = dup_col(r, i, 4, &oom);
		c->collector_number = dup_col(r, i, 5, &oom);
		c->lang = dup_col(r, i, 6, &oom);
		c->tcgplayer_id = int_col(r, i, 7);
		c->tcgplayer_etched_id = int_col(r, i, 8);
		c->cardmarket_id = int_col(r, i, 9);
		c->cardtrader_blueprint_id = int_col(r, i, 10);
		c->mtgo_id = int_col(r, i, 11);
		out->n++;
	}
	if (oom) {
		ih_card_list_free(out);
		snprintf(err, errlen, "card list: out of memory");
		return IH_BULK_ERR_DB;
	}
	return 0;
}

int ih_bulk_priority_cards(PGconn *c, int limit, ih_card_list *out, char *err, size_t errlen)
{
	char lim[16];
	const char *params[1] = { lim };
	PGresult *r;
	int rc;

	out->v = NULL;
	out->n = 0;
	snprintf(lim, sizeof lim, "%d", limit > 0 ? limit : 0);
	/* The newest snapshot of a card across marketplaces, as one index probe
	 * per (card, marketplace): never a scan of the card's history. */
	if (ih_pg_exec(c,
		       "SELECT " CARD_COLS " FROM cards c "
		       "LEFT JOIN LATERAL (SELECT max(l.time) AS last FROM marketplaces m "
		       "  CROSS JOIN LATERAL (SELECT s.time FROM price_snapshots s "
		       "   WHERE s.card_id = c.id AND s.marketplace_id = m.id ORDER BY s.time DESC LIMIT 1) l) p ON true "
		       "ORDER BY p.last ASC NULLS FIRST, c.id LIMIT $1::int",
		       1, params, PGRES_TUPLES_OK, &r, "priority cards", err, errlen) != 0)
		return IH_BULK_ERR_DB;
	rc = cards_from_result(r, out, err, errlen);
	PQclear(r);
	return rc;
}

int ih_bulk_resolve_scryfall(PGconn *c, const char *const *uuids, size_t n, int32_t *card_ids, char *err,
			     size_t errlen)
{
	/* the same statement, without the languages */
	return ih_bulk_resolve_scryfall_lang(c, uuids, n, card_ids, NULL, err, errlen);
}

int ih_bulk_ensure_marketplace(PGconn *c, const char *slug, const char *name, const char *currency, int16_t *id,
			       char *err, size_t errlen)
{
	const char *params[3] = { slug, name, currency != NULL && *currency ? currency : NULL };

	if (slug == NULL || *slug == '\0') {
		snprintf(err, errlen, "marketplace: empty slug");
		return IH_BULK_ERR_INPUT;
	}
	/* Insert only when missing, so an existing slug never consumes an
	 * identity value; a concurrent insert makes the first try return
	 * nothing, the second finds the row. */
	for (int attempt = 0; attempt < 2; attempt++) {
		char what[160];
		PGresult *r;

		snprintf(what, sizeof what, "marketplace '%s'", slug);
		if (ih_pg_exec(c,
			       "WITH old AS (SELECT id FROM marketplaces WHERE slug = $1), "
			       "ins AS (INSERT INTO marketplaces (slug, name, currency) "
			       "  SELECT $1, coalesce($2, $1), $3 WHERE NOT EXISTS (SELECT 1 FROM old) "
			       "  ON CONFLICT (slug) DO NOTHING RETURNING id) "
			       "SELECT id FROM old UNION ALL SELECT id FROM ins",
			       3, params, PGRES_TUPLES_OK, &r, what, err, errlen) != 0)
			return IH_BULK_ERR_DB;
		if (PQntuples(r) == 1) {
			*id = (int16_t)atoi(PQgetvalue(r, 0, 0));
			PQclear(r);
			return 0;
		}
		PQclear(r);
	}
	snprintf(err, errlen, "marketplace '%s': neither found nor inserted", slug);
	return IH_BULK_ERR_DB;
}

int ih_bulk_set_blueprint(PGconn *c, int32_t card_id, int32_t blueprint_id, char *err, size_t errlen)
{
	char a[16], b[16];
	const char *params[2] = { a, b };

	snprintf(a, sizeof a, "%d", (int)card_id);
	snprintf(b, sizeof b, "%d", (int)blueprint_id);
	if (ih_pg_exec(c, "UPDATE cards SET cardtrader_blueprint_id = $2::int, updated_at = now() WHERE id = $1::int", 2,
		       params, PGRES_COMMAND_OK, NULL, "setting a CardTrader blueprint", err, errlen) != 0)
		return IH_BULK_ERR_DB;
	return 0;
}

/* ---- card upsert: COPY into staging, one upsert per chunk -------------- */

#define CARD_CHUNK 50000

static void copy_text(ih_buf *b, const char *s)
{
	if (s == NULL) {
		ih_buf_put(b, "\\N", 2);
		return;
	}
	for (; *s; s++) {
		if (*s == '\\' || *s == '\t' || *s == '\n' || *s == '\r') {
			ih_buf_putc(b, '\\');
			ih_buf_putc(b, *s == '\t' ? 't' : *s == '\n' ? 'n' : *s == '\r' ? 'r' : '\\');
		} else {
			ih_buf_putc(b, *s);
		}
	}
}

static void copy_id(ih_buf *b, int32_t v)
{
	char tmp[16];

	if (v == 0) {
		ih_buf_put(b, "\\N", 2);
		return;
	}
	snprintf(tmp, sizeof tmp, "%d", (int)v);
	ih_buf_puts(b, tmp);
}

static int upsert_card_chunk(PGconn *c, const ih_card_row *cards, size_t off, size_t k, char *err, size_t errlen)
{
	ih_buf b = { 0 };
	int rc;

	rc = ih_bulk_cmd(c,
			 "BEGIN; SET LOCAL client_min_messages = warning; "
			 "CREATE TEMP TABLE IF NOT EXISTS ih_stage_cards (seq int, scryfall_id uuid, oracle_id uuid, "
			 "name text, set_code text, collector_number text, lang text, tcgplayer_id int, "
			 "tcgplayer_etched_id int, cardmarket_id int, cardtrader_blueprint_id int, mtgo_id int) "
			 "ON COMMIT DELETE ROWS",
			 "creating the card staging table", err, errlen);
	if (rc != 0)
		goto fail;
	if (ih_pg_exec(c, "COPY ih_stage_cards FROM STDIN", -1, NULL, PGRES_COPY_IN, NULL, "COPY cards", err, errlen) !=
	    0) {
		rc = IH_BULK_ERR_DB;
		goto fail;
	}
	for (size_t i = off; i < off + k; i++) {
		const ih_card_row *cr = &cards[i];
		char seq[24];

		snprintf(seq, sizeof seq, "%zu\t", i);
		ih_buf_puts(&b, seq);
		ih_buf_puts(&b, cr->scryfall_id);
		ih_buf_putc(&b, '\t');
		copy_text(&b, ih_valid_uuid(cr->oracle_id) ? cr->oracle_id : NULL);
		ih_buf_putc(&b, '\t');
		copy_text(&b, cr->name);
		ih_buf_putc(&b, '\t');
		copy_text(&b, cr->set_code);
		ih_buf_putc(&b, '\t');
		copy_text(&b, cr->collector_number);
		ih_buf_putc(&b, '\t');
		copy_text(&b, cr->lang);
		ih_buf_putc(&b, '\t');
		copy_id(&b, cr->tcgplayer_id);
		ih_buf_putc(&b, '\t');
		copy_id(&b, cr->tcgplayer_etched_id);
		ih_buf_putc(&b, '\t');
		copy_id(&b, cr->cardmarket_id);
		ih_buf_putc(&b, '\t');
		copy_id(&b, cr->cardtrader_blueprint_id);
		ih_buf_putc(&b, '\t');
		copy_id(&b, cr->mtgo_id);
		ih_buf_putc(&b, '\n');
		if ((b.len > 256 * 1024 || i + 1 == off + k) && !b.oom) {
			if (ih_pg_copy_put(c, b.p, b.len, "COPY cards", err, errlen) != 0) {
				rc = IH_BULK_ERR_DB;
				break;
			}
			b.len = 0;
		}
	}
	if (b.oom && rc == 0) {
		snprintf(err, errlen, "COPY cards: out of memory");
		rc = IH_BULK_ERR_DB;
	}
	ih_buf_free(&b);
	if (rc == 0)
		rc = ih_pg_copy_end(c, NULL, NULL, "COPY cards", err, errlen) == 0 ? 0 : IH_BULK_ERR_DB;
	else
		(void)ih_pg_copy_end(c, "client error", NULL, "COPY cards", NULL, 0);
	if (rc != 0)
		goto fail;
	/* the last row of a scryfall_id wins; a 0 id keeps the stored one */
	rc = ih_bulk_cmd(c,
			 "INSERT INTO cards (scryfall_id, oracle_id, name, set_code, collector_number, lang, tcgplayer_id, "
			 "tcgplayer_etched_id, cardmarket_id, cardtrader_blueprint_id, mtgo_id, updated_at) "
			 "SELECT DISTINCT ON (scryfall_id) scryfall_id, oracle_id, name, set_code, collector_number, lang, "
			 "tcgplayer_id, tcgplayer_etched_id, cardmarket_id, cardtrader_blueprint_id, mtgo_id, now() "
			 "FROM ih_stage_cards ORDER BY scryfall_id, seq DESC "
			 "ON CONFLICT (scryfall_id) DO UPDATE SET oracle_id = coalesce(EXCLUDED.oracle_id, cards.oracle_id), "
			 "name = EXCLUDED.name, set_code = EXCLUDED.set_code, collector_number = EXCLUDED.collector_number, "
			 "lang = EXCLUDED.lang, tcgplayer_id = coalesce(EXCLUDED.tcgplayer_id, cards.tcgplayer_id), "
			 "tcgplayer_etched_id = coalesce(EXCLUDED.tcgplayer_etched_id, cards.tcgplayer_etched_id), "
			 "cardmarket_id = coalesce(EXCLUDED.cardmarket_id, cards.cardmarket_id), "
			 "cardtrader_blueprint_id = coalesce(EXCLUDED.cardtrader_blueprint_id, cards.cardtrader_blueprint_id), "
			 "mtgo_id = coalesce(EXCLUDED.mtgo_id, cards.mtgo_id), updated_at = now(); COMMIT",
			 "upserting cards", err, errlen);
	if (rc == 0)
		return 0;
fail:
	ih_pg_rollback(c);
	return rc;
}

int ih_bulk_upsert_cards(PGconn *c, const ih_card_row *cards, size_t n, char *err, size_t errlen)
{
	if (err != NULL && errlen > 0)
		*err = '\0';
	for (size_t i = 0; i < n; i++)
		if (!ih_valid_uuid(cards[i].scryfall_id)) {
			snprintf(err, errlen, "card row %zu ('%s'): scryfall_id '%s' is not a uuid", i,
				 cards[i].name != NULL ? cards[i].name : "", cards[i].scryfall_id ? cards[i].scryfall_id : "(null)");
			return IH_BULK_ERR_INPUT;
		}
	for (size_t off = 0; off < n; off += CARD_CHUNK) {
		int rc = upsert_card_chunk(c, cards, off, n - off < CARD_CHUNK ? n - off : CARD_CHUNK, err, errlen);

		if (rc != 0)
			return rc;
	}
	return 0;
}
