/*
 * snapshot: the host's check of one emitted snapshot (core/host/validate.c,
 * ih_snapshot_validate) and, for what passes, the store's row check and
 * COPY encodings (core/store/bulk_copy.c, ih_copy_snapshots: text and the
 * binary numeric of FORMAT binary), decoded here and compared.
 *
 * Input: one field a line -- card_id, scryfall_id, condition, finish,
 * language, currency, price, price_low, price_mid, price_high,
 * num_listings; a missing line or "~" is NULL (a newline at the end ends
 * the last line, it does not open an empty one).
 *
 * Checks on a snapshot the host accepts: the vocabulary (condition,
 * finish, three capitals, a 2-3 letter language or NULL); it names a card
 * (card_id > 0, or a scryfall_id that is a UUID: #14 finding 6); every price
 * non-negative decimal text that ih_valid_decimal accepts and that fits
 * numeric(12,2) after rounding; the store's own check (ih_snap_validate,
 * or ih_snap_validate_by_sid) accepts its row.  A refused one says why.
 * Round trip, for the row and for a row whose four prices are the input's
 * price lines as they are (any text ih_valid_decimal accepts, negative and
 * 20 decimals too): the text COPY line reads back as the row, and the binary
 * COPY tuple decodes to the same values -- each numeric's base-10000 digits
 * below 10000, its sign, weight and dscale such that PostgreSQL's
 * numeric_recv keeps every digit (no digit below dscale), the same value as
 * the text, and dscale the text's number of decimals.
 *
 * The COPY goes nowhere: the link wraps ih_pg_exec, ih_pg_copy_put and
 * ih_pg_copy_end (-Wl,--wrap) so the bytes land in a buffer here.
 */
#include "config.h"

#include <arpa/inet.h>

#include "fuzz.h"
#include "host/validate.h"
#include "store/bulk_int.h"
#include "store/pgexec.h"

/* ---- the database, wrapped ------------------------------------------------ */

static ih_buf copied;
static int copy_started;

int __wrap_ih_pg_exec(PGconn *c, const char *sql, int nparams, const char *const *params, int want, PGresult **res,
		      const char *what, char *err, size_t errlen);
int __wrap_ih_pg_copy_put(PGconn *c, const void *buf, size_t len, const char *what, char *err, size_t errlen);
int __wrap_ih_pg_copy_end(PGconn *c, const char *abort_msg, char *sqlstate, const char *what, char *err,
			  size_t errlen);

int __wrap_ih_pg_exec(PGconn *c, const char *sql, int nparams, const char *const *params, int want, PGresult **res,
		      const char *what, char *err, size_t errlen)
{
	(void)c, (void)nparams, (void)params, (void)what, (void)err, (void)errlen;
	FUZZ_CHECK(want == PGRES_COPY_IN && strncmp(sql, "COPY", 4) == 0, "unexpected statement: %.80s", sql);
	if (res != NULL)
		*res = NULL;
	copy_started = 1;
	copied.len = 0;
	return 0;
}

int __wrap_ih_pg_copy_put(PGconn *c, const void *buf, size_t len, const char *what, char *err, size_t errlen)
{
	(void)c, (void)what, (void)err, (void)errlen;
	FUZZ_CHECK(copy_started, "COPY data before COPY");
	ih_buf_put(&copied, buf, len);
	return 0;
}

int __wrap_ih_pg_copy_end(PGconn *c, const char *abort_msg, char *sqlstate, const char *what, char *err,
			  size_t errlen)
{
	(void)c, (void)what, (void)err, (void)errlen;
	FUZZ_CHECK(abort_msg == NULL, "COPY aborted: %s", abort_msg);
	if (sqlstate != NULL)
		*sqlstate = '\0';
	copy_started = 0;
	return 0;
}

/* ---- decoding ----------------------------------------------------------------- */

typedef struct rd {
	const unsigned char *p;
	size_t n, i;
} rd;

static uint32_t u32(rd *r)
{
	uint32_t v;

	FUZZ_CHECK(r->i + 4 <= r->n, "binary COPY cut short at %zu", r->i);
	memcpy(&v, r->p + r->i, 4);
	r->i += 4;
	return ntohl(v);
}

static uint16_t u16(rd *r)
{
	uint16_t v;

	FUZZ_CHECK(r->i + 2 <= r->n, "binary COPY cut short at %zu", r->i);
	memcpy(&v, r->p + r->i, 2);
	r->i += 2;
	return ntohs(v);
}

/* A binary numeric field against the decimal text s (NULL: SQL NULL). */
static void numeric_field(rd *r, const char *col, const char *s)
{
	uint32_t len = u32(r);
	uint16_t nd, sign, dscale;
	int16_t weight;
	char text[200];
	size_t t = 0;
	int lowest;

	if (s == NULL) {
		FUZZ_CHECK(len == 0xffffffffu, "%s: NULL written as %u bytes", col, len);
		return;
	}
	FUZZ_CHECK(len >= 8 && len <= 8 + 2 * 40 && len % 2 == 0, "%s: numeric of %u bytes", col, len);
	nd = u16(r);
	weight = (int16_t)u16(r);
	sign = u16(r);
	dscale = u16(r);
	FUZZ_CHECK(len == 8u + 2u * nd, "%s: %u bytes for %u digits", col, len, nd);
	FUZZ_CHECK(sign == 0 || sign == 0x4000, "%s: sign 0x%04x", col, sign);
	FUZZ_CHECK(nd > 0 || (sign == 0 && weight == 0), "%s: zero with sign 0x%x weight %d", col, sign, weight);
	FUZZ_CHECK(dscale == fuzz_decimals(s), "%s: dscale %u for '%s'", col, dscale, s);
	{
		uint16_t dig[40];

		for (uint16_t k = 0; k < nd; k++) {
			dig[k] = u16(r);
			FUZZ_CHECK(dig[k] < 10000, "%s: digit %u is %u", col, k, dig[k]);
		}
		FUZZ_CHECK(nd == 0 || (dig[0] != 0 && dig[nd - 1] != 0), "%s: digits not stripped", col);
		/* the lowest digit's place must be within dscale: numeric_recv truncates below it */
		lowest = (weight - (int)nd + 1) * 4; /* power of ten of the lowest group's last digit */
		if (nd > 0 && lowest < 0) {
			uint16_t d = dig[nd - 1];
			int zeros = 0;

			while (d % 10 == 0) {
				d /= 10;
				zeros++;
			}
			FUZZ_CHECK(-lowest - zeros <= (int)dscale, "%s: digits below dscale %u would be cut by PostgreSQL",
				   col, dscale);
		}
		if (sign)
			text[t++] = '-';
		if (nd == 0 || weight < 0) {
			text[t++] = '0';
		} else {
			for (int w = weight; w >= 0; w--) {
				int k = weight - w;
				unsigned v = k < nd ? dig[k] : 0;

				t += (size_t)snprintf(text + t, sizeof text - t, w == weight ? "%u" : "%04u", v);
			}
		}
		if (nd > 0 && weight - (int)nd + 1 < 0) {
			text[t++] = '.';
			for (int w = -1; w >= weight - (int)nd + 1; w--) {
				int k = weight - w;
				unsigned v = k >= 0 && k < nd ? dig[k] : 0;

				t += (size_t)snprintf(text + t, sizeof text - t, "%04u", v);
			}
		}
		text[t] = '\0';
	}
	FUZZ_CHECK(fuzz_decimal_cmp(text, s) == 0, "%s: '%s' encoded as %s", col, s, text);
}

static void text_field(rd *r, const char *col, const char *s)
{
	uint32_t len = u32(r);

	if (s == NULL) {
		FUZZ_CHECK(len == 0xffffffffu, "%s: NULL written as %u bytes", col, len);
		return;
	}
	FUZZ_CHECK(len == strlen(s) && r->i + len <= r->n && memcmp(r->p + r->i, s, len) == 0, "%s: text differs", col);
	r->i += len;
}

static void int_field(rd *r, const char *col, long v, int size, int null)
{
	uint32_t len = u32(r);

	if (null) {
		FUZZ_CHECK(len == 0xffffffffu, "%s: NULL written as %u bytes", col, len);
		return;
	}
	FUZZ_CHECK(len == (uint32_t)size, "%s: %u bytes", col, len);
	if (size == 2)
		FUZZ_CHECK((int16_t)u16(r) == v, "%s differs", col);
	else
		FUZZ_CHECK((int32_t)u32(r) == v, "%s differs", col);
}

/* COPY the row (binary) and decode it. */
static void binary_round_trip(const ih_snap_row *row, const char *sid)
{
	static const char head[] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
	const int64_t t_us = 123456789012345LL;
	char err[256];
	rd r;
	int rc;

	if (sid != NULL)
		rc = ih_copy_snapshots_by_sid(NULL, "COPY staging FROM STDIN (FORMAT binary)", 1, row, &sid, 1, err,
					      sizeof err);
	else
		rc = ih_copy_snapshots(NULL, "COPY price_snapshots FROM STDIN (FORMAT binary)", 1, NULL, &t_us, row,
				       NULL, 1, NULL, err, sizeof err);
	FUZZ_CHECK(rc == 0, "binary COPY failed: %s", err);
	FUZZ_CHECK(!copied.oom && copied.len > sizeof head, "nothing COPYed: does ih_copy_snapshots still use ih_pg_*?");
	r.p = (const unsigned char *)copied.p;
	r.n = copied.len;
	r.i = sizeof head - 1;
	FUZZ_CHECK(memcmp(r.p, head, sizeof head - 1) == 0, "binary COPY header");
	FUZZ_CHECK(u16(&r) == IH_SNAP_NCOLS + 1, "fields per tuple");
	if (sid == NULL) {
		uint32_t hi, lo;

		FUZZ_CHECK(u32(&r) == 8, "time length");
		hi = u32(&r);
		lo = u32(&r);
		FUZZ_CHECK(((int64_t)hi << 32 | lo) == t_us, "time differs");
		int_field(&r, "card_id", row->card_id, 4, 0);
	} else {
		text_field(&r, "sid", sid);
	}
	int_field(&r, "marketplace_id", row->marketplace_id, 2, 0);
	text_field(&r, "condition", row->condition);
	text_field(&r, "finish", row->finish);
	text_field(&r, "language", row->language);
	text_field(&r, "currency", row->currency);
	numeric_field(&r, "price", row->price);
	numeric_field(&r, "price_low", row->price_low);
	numeric_field(&r, "price_mid", row->price_mid);
	numeric_field(&r, "price_high", row->price_high);
	int_field(&r, "num_listings", row->num_listings, 4, row->num_listings < 0);
	text_field(&r, "source", row->source);
	if (sid != NULL)
		int_field(&r, "ord", 1, 4, 0);
	FUZZ_CHECK(u16(&r) == 0xffff && r.i == r.n, "binary COPY trailer");
}

/* COPY the row (text) and read the line back. */
static void text_round_trip(const ih_snap_row *row)
{
	const char *time_text = "2026-11-28 10:00:00+00";
	char err[256], tmp[24], *line, *f;
	int rc, col = -1;

	rc = ih_copy_snapshots(NULL, "COPY price_snapshots FROM STDIN", 0, time_text, NULL, row, NULL, 1, NULL, err,
			       sizeof err);
	FUZZ_CHECK(rc == 0, "text COPY failed: %s", err);
	FUZZ_CHECK(!copied.oom && copied.len > 0 && copied.p[copied.len - 1] == '\n' &&
			   memchr(copied.p, '\n', copied.len) == copied.p + copied.len - 1,
		   "text COPY: not one line");
	line = fuzz_cstr((const uint8_t *)copied.p, copied.len - 1);
	for (f = line; f != NULL; col++) {
		char *tab = strchr(f, '\t'), *o = f;
		const char *want;

		if (tab != NULL)
			*tab = '\0';
		FUZZ_CHECK(col < IH_SNAP_NCOLS, "text COPY: too many fields");
		want = col < 0 ? time_text : ih_snap_text(row, col, tmp);
		if (strcmp(f, "\\N") == 0) {
			FUZZ_CHECK(want == NULL, "text COPY: column %d is NULL", col);
		} else {
			for (char *q = f; *q; q++) {
				if (*q == '\\') {
					q++;
					*o++ = *q == 't' ? '\t' : *q == 'n' ? '\n' : *q == 'r' ? '\r' : *q;
				} else {
					*o++ = *q;
				}
			}
			*o = '\0';
			FUZZ_CHECK(want != NULL && strcmp(f, want) == 0, "text COPY: column %d is '%.40s'", col, f);
		}
		f = tab != NULL ? tab + 1 : NULL;
	}
	FUZZ_CHECK(col == IH_SNAP_NCOLS, "text COPY: %d fields", col);
	free(line);
}

/* ---- the harness ---------------------------------------------------------- */

enum { F_CARD, F_SID, F_COND, F_FINISH, F_LANG, F_CUR, F_PRICE, F_LOW, F_MID, F_HIGH, F_LISTINGS, NF };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *f[NF] = { 0 }, why[256];
	ih_snapshot s;
	ih_snap_row row;
	int rc;

	if (size > 4096)
		return 0;
	text = fuzz_cstr(data, size);
	{
		char *p = text;

		for (int i = 0; i < NF && p != NULL; i++) {
			char *nl = strchr(p, '\n');

			if (nl != NULL)
				*nl = '\0';
			f[i] = strcmp(p, "~") == 0 ? NULL : p;
			p = nl != NULL && nl[1] != '\0' ? nl + 1 : NULL; /* a last newline ends the last field */
		}
	}
	memset(&s, 0, sizeof s);
	s.card_id = f[F_CARD] != NULL ? (int32_t)strtol(f[F_CARD], NULL, 10) : 0;
	s.scryfall_id = f[F_SID];
	s.condition = f[F_COND];
	s.finish = f[F_FINISH];
	s.language = f[F_LANG];
	s.currency = f[F_CUR];
	s.price = f[F_PRICE];
	s.price_low = f[F_LOW];
	s.price_mid = f[F_MID];
	s.price_high = f[F_HIGH];
	s.num_listings = f[F_LISTINGS] != NULL ? (int32_t)strtol(f[F_LISTINGS], NULL, 10) : -1;
	why[0] = '\0';
	rc = ih_snapshot_validate(&s, why, sizeof why);
	FUZZ_CHECK(rc == 0 || rc == -1, "ih_snapshot_validate returned %d", rc);
	if (rc != 0) {
		FUZZ_CHECK(why[0] != '\0' && memchr(why, '\0', sizeof why) != NULL, "refused without a reason");
	} else {
		const char *prices[4] = { s.price, s.price_low, s.price_mid, s.price_high };
		char err[256];

		FUZZ_CHECK(fuzz_one_of(s.condition, fuzz_conditions) && fuzz_one_of(s.finish, fuzz_finishes),
			   "accepted condition '%s', finish '%s'", s.condition, s.finish);
		FUZZ_CHECK(fuzz_is_currency(s.currency), "accepted currency '%s'", s.currency);
		FUZZ_CHECK(s.language == NULL || fuzz_is_lang(s.language), "accepted language '%s'", s.language);
		FUZZ_CHECK(s.card_id > 0 || fuzz_is_uuid(s.scryfall_id),
			   "accepted a row that names no card: card_id %d, scryfall_id '%.48s'", (int)s.card_id,
			   s.scryfall_id ? s.scryfall_id : "(null)");
		FUZZ_CHECK(s.price != NULL, "accepted without a price");
		for (int i = 0; i < 4; i++)
			FUZZ_CHECK(prices[i] == NULL || (fuzz_is_price(prices[i]) && ih_valid_decimal(prices[i])),
				   "accepted price '%s', which does not fit numeric(12,2)", prices[i]);
		memset(&row, 0, sizeof row);
		row.card_id = s.card_id > 0 ? s.card_id : 0;
		row.marketplace_id = 7;
		row.condition = s.condition;
		row.finish = s.finish;
		row.language = s.language != NULL ? s.language : s.card_id > 0 ? "en" : "";
		row.currency = s.currency;
		row.price = s.price;
		row.price_low = s.price_low;
		row.price_mid = s.price_mid;
		row.price_high = s.price_high;
		row.num_listings = s.num_listings;
		row.source = "fuzz";
		if (s.card_id > 0) {
			FUZZ_CHECK(ih_snap_validate(&row, 1, err, sizeof err) == 0, "the store refuses what the host took: %s",
				   err);
			binary_round_trip(&row, NULL);
			text_round_trip(&row);
		} else {
			FUZZ_CHECK(ih_snap_validate_by_sid(&row, 1, err, sizeof err) == 0,
				   "the store refuses what the host took: %s", err);
			binary_round_trip(&row, s.scryfall_id);
		}
	}
	/* the encodings over all that ih_valid_decimal accepts */
	if (f[F_PRICE] != NULL && ih_valid_decimal(f[F_PRICE])) {
		char err[256];

		memset(&row, 0, sizeof row);
		row.card_id = 42;
		row.marketplace_id = 1;
		row.condition = "NM";
		row.finish = "foil";
		row.language = "en";
		row.currency = "EUR";
		row.price = f[F_PRICE];
		row.price_low = f[F_LOW] != NULL && ih_valid_decimal(f[F_LOW]) ? f[F_LOW] : NULL;
		row.price_mid = f[F_MID] != NULL && ih_valid_decimal(f[F_MID]) ? f[F_MID] : NULL;
		row.price_high = f[F_HIGH] != NULL && ih_valid_decimal(f[F_HIGH]) ? f[F_HIGH] : NULL;
		row.num_listings = s.num_listings;
		FUZZ_CHECK(ih_snap_validate(&row, 1, err, sizeof err) == 0, "the store refuses valid decimals: %s", err);
		binary_round_trip(&row, NULL);
		text_round_trip(&row);
	}
	free(text);
	return 0;
}
