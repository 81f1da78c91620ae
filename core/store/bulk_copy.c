#include "config.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/bulk_int.h"
#include "store/pgexec.h"

void ih_buf_put(ih_buf *b, const void *data, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

void ih_buf_puts(ih_buf *b, const char *s)
{
	ih_buf_put(b, s, strlen(s));
}

void ih_buf_putc(ih_buf *b, char ch)
{
	ih_buf_put(b, &ch, 1);
}

void ih_buf_free(ih_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

void ih_pg_error(char *err, size_t errlen, const char *what, PGconn *c, const PGresult *r)
{
	const char *m = r != NULL ? PQresultErrorMessage(r) : NULL;

	if (m == NULL || *m == '\0')
		m = c != NULL ? PQerrorMessage(c) : "no connection";
	ih_pg_oneline(err, errlen, what, m);
}

int ih_bulk_cmd(PGconn *c, const char *sql, const char *what, char *err, size_t errlen)
{
	return ih_pg_exec(c, sql, -1, NULL, PGRES_COMMAND_OK, NULL, what, err, errlen) == 0 ? 0 : IH_BULK_ERR_DB;
}

#define COL(field, type, kind, key, neg_null) { #field, type, kind, offsetof(ih_snap_row, field), key, neg_null }
const ih_snap_col ih_snap_cols[IH_SNAP_NCOLS] = {
	COL(card_id, "int", IH_SNAP_INT4, 1, 0),
	COL(marketplace_id, "smallint", IH_SNAP_INT2, 1, 0),
	COL(condition, "text", IH_SNAP_TEXT, 1, 0),
	COL(finish, "text", IH_SNAP_TEXT, 1, 0),
	COL(language, "text", IH_SNAP_TEXT, 1, 0),
	COL(currency, "text", IH_SNAP_TEXT, 1, 0),
	COL(price, "numeric", IH_SNAP_NUMERIC, 0, 0),
	COL(price_low, "numeric", IH_SNAP_NUMERIC, 0, 0),
	COL(price_mid, "numeric", IH_SNAP_NUMERIC, 0, 0),
	COL(price_high, "numeric", IH_SNAP_NUMERIC, 0, 0),
	COL(num_listings, "int", IH_SNAP_INT4, 0, 1),
	COL(source, "text", IH_SNAP_TEXT, 0, 0),
};
#undef COL

static const char *col_str(const ih_snap_row *r, const ih_snap_col *sc)
{
	return *(const char *const *)(const void *)((const char *)r + sc->off);
}

/* An integer column's value; *null set by the column's NULL rule. */
static long col_int(const ih_snap_row *r, const ih_snap_col *sc, int *null)
{
	const char *p = (const char *)r + sc->off;
	long v = sc->kind == IH_SNAP_INT2 ? (long)*(const int16_t *)(const void *)p
					  : (long)*(const int32_t *)(const void *)p;

	*null = sc->neg_null && v < 0;
	return v;
}

const char *ih_snap_text(const ih_snap_row *r, int col, char tmp[24])
{
	const ih_snap_col *sc = &ih_snap_cols[col];
	int null;
	long v;

	if (sc->kind == IH_SNAP_TEXT || sc->kind == IH_SNAP_NUMERIC)
		return col_str(r, sc);
	v = col_int(r, sc, &null);
	if (null)
		return NULL;
	snprintf(tmp, 24, "%ld", v);
	return tmp;
}

/*
 * -?digits[.digits], at most 10 integer digits and 20 decimals, whose value
 * PostgreSQL can store in numeric(12,2) (sql/001_schema.sql): the column
 * rounds to 2 decimals, half away from zero, and then needs |v| < 10^10.
 * So 9999999999.994 fits, 9999999999.995 (rounded to 10000000000.00) does
 * not.
 */
int ih_valid_decimal(const char *s)
{
	const char *ip, *fp = "";
	size_t intd = 0, frac = 0;

	if (s == NULL)
		return 0;
	if (*s == '-')
		s++;
	for (ip = s; *s >= '0' && *s <= '9'; s++)
		intd++;
	if (*s == '.')
		for (fp = ++s; *s >= '0' && *s <= '9'; s++)
			frac++;
	if (*s != '\0' || intd == 0 || intd > 10 || frac > 20)
		return 0;
	/* rounding carries into the integer part only from .995 and up; it
	 * overflows only when that part is ten nines */
	if (intd == 10 && strncmp(ip, "9999999999", 10) == 0 && frac >= 3 && fp[0] == '9' && fp[1] == '9' &&
	    fp[2] >= '5')
		return 0;
	return 1;
}

int ih_valid_uuid(const char *s)
{
	static const int dash[] = { 8, 13, 18, 23 };
	size_t k = 0;

	if (s == NULL || strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		if (k < 4 && i == dash[k]) {
			if (s[i] != '-')
				return 0;
			k++;
		} else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F'))) {
			return 0;
		}
	}
	return 1;
}

static int validate(const ih_snap_row *rows, size_t n, int by_sid, char *err, size_t errlen)
{
	static const char *conds[] = { "NM", "LP", "MP", "HP", "DMG" };
	static const char *finishes[] = { "nonfoil", "foil", "etched" };

	for (size_t i = 0; i < n; i++) {
		const ih_snap_row *r = &rows[i];
		const char *bad = NULL, *val = "";
		int ok = 0;

		for (size_t k = 0; r->condition != NULL && k < 5; k++)
			ok |= strcmp(r->condition, conds[k]) == 0;
		if (!ok) {
			bad = "condition (NM LP MP HP DMG)";
			val = r->condition;
		}
		ok = 0;
		for (size_t k = 0; r->finish != NULL && k < 3; k++)
			ok |= strcmp(r->finish, finishes[k]) == 0;
		if (bad == NULL && !ok) {
			bad = "finish (nonfoil foil etched)";
			val = r->finish;
		}
		if (bad == NULL && (r->language == NULL || (*r->language == '\0' && !by_sid))) {
			bad = "language";
			val = r->language;
		}
		if (bad == NULL && (r->currency == NULL || strlen(r->currency) != 3)) {
			bad = "currency (three letters)";
			val = r->currency;
		}
		if (bad == NULL && !ih_valid_decimal(r->price)) {
			bad = "price (decimal text)";
			val = r->price;
		}
		if (bad == NULL && r->price_low != NULL && !ih_valid_decimal(r->price_low)) {
			bad = "price_low (decimal text)";
			val = r->price_low;
		}
		if (bad == NULL && r->price_mid != NULL && !ih_valid_decimal(r->price_mid)) {
			bad = "price_mid (decimal text)";
			val = r->price_mid;
		}
		if (bad == NULL && r->price_high != NULL && !ih_valid_decimal(r->price_high)) {
			bad = "price_high (decimal text)";
			val = r->price_high;
		}
		if (bad == NULL && ((r->card_id <= 0 && !by_sid) || r->marketplace_id <= 0)) {
			bad = "card_id/marketplace_id (positive)";
			val = "";
		}
		if (bad != NULL) {
			snprintf(err, errlen, "snapshot row %zu (card %d, marketplace %d): bad %s: '%s'", i,
				 (int)r->card_id, (int)r->marketplace_id, bad, val != NULL ? val : "(null)");
			return IH_BULK_ERR_INPUT;
		}
	}
	return 0;
}

int ih_snap_validate(const ih_snap_row *rows, size_t n, char *err, size_t errlen)
{
	return validate(rows, n, 0, err, errlen);
}

int ih_snap_validate_by_sid(const ih_snap_row *rows, size_t n, char *err, size_t errlen)
{
	return validate(rows, n, 1, err, errlen);
}

/* ---- dedupe: an open-addressing hash of the key ------------------------ */

static uint64_t mix_str(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (h ^ 0xff) * 1099511628211ULL;
}

static uint64_t key_hash(const ih_snap_row *r)
{
	uint64_t h = 14695981039346656037ULL;

	h = (h ^ (uint32_t)r->card_id) * 1099511628211ULL;
	h = (h ^ (uint16_t)r->marketplace_id) * 1099511628211ULL;
	h = mix_str(h, r->condition);
	h = mix_str(h, r->finish);
	h = mix_str(h, r->language);
	h = mix_str(h, r->currency);
	return h ^ (h >> 29);
}

static int key_eq(const ih_snap_row *a, const ih_snap_row *b)
{
	return a->card_id == b->card_id && a->marketplace_id == b->marketplace_id &&
	       strcmp(a->condition, b->condition) == 0 && strcmp(a->finish, b->finish) == 0 &&
	       strcmp(a->language, b->language) == 0 && strcmp(a->currency, b->currency) == 0;
}

long ih_snap_dedupe(const ih_snap_row *rows, size_t n, size_t **idx)
{
	size_t cap = 16, m = 0, *out;
	size_t *slot; /* output position + 1; 0 = empty */

	while (cap < n * 2)
		cap *= 2;
	out = malloc((n ? n : 1) * sizeof *out);
	slot = calloc(cap, sizeof *slot);
	if (out == NULL || slot == NULL) {
		free(out);
		free(slot);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		size_t h = (size_t)key_hash(&rows[i]) & (cap - 1);

		for (;;) {
			if (slot[h] == 0) {
				out[m++] = i;
				slot[h] = m;
				break;
			}
			if (key_eq(&rows[out[slot[h] - 1]], &rows[i])) {
				out[slot[h] - 1] = i; /* the last wins, in the first one's place */
				break;
			}
			h = (h + 1) & (cap - 1);
		}
	}
	free(slot);
	*idx = out;
	return (long)m;
}

/* ---- COPY encoding ------------------------------------------------------ */

static void text_field(ih_buf *b, const char *s)
{
	if (s == NULL) {
		ih_buf_put(b, "\\N", 2);
		return;
	}
	for (const char *p = s; *p; p++) {
		switch (*p) {
		case '\\': ih_buf_put(b, "\\\\", 2); break;
		case '\t': ih_buf_put(b, "\\t", 2); break;
		case '\n': ih_buf_put(b, "\\n", 2); break;
		case '\r': ih_buf_put(b, "\\r", 2); break;
		default: {
			const char *q = p;

			while (q[1] && q[1] != '\\' && q[1] != '\t' && q[1] != '\n' && q[1] != '\r')
				q++;
			ih_buf_put(b, p, (size_t)(q - p + 1));
			p = q;
		}
		}
	}
}

static void text_int(ih_buf *b, long v)
{
	char tmp[24];
	int k = snprintf(tmp, sizeof tmp, "%ld", v);

	ih_buf_put(b, tmp, (size_t)k);
}

/* One row: time (when given), the columns (sid instead of card_id when
 * given), ord (when > 0). */
static void text_row(ih_buf *b, const char *time_text, const ih_snap_row *r, const char *sid, long ord)
{
	char tmp[24];

	if (time_text != NULL) {
		ih_buf_puts(b, time_text);
		ih_buf_putc(b, '\t');
	}
	for (int col = 0; col < IH_SNAP_NCOLS; col++) {
		if (col > 0)
			ih_buf_putc(b, '\t');
		text_field(b, col == 0 && sid != NULL ? sid : ih_snap_text(r, col, tmp));
	}
	if (ord > 0) {
		ih_buf_putc(b, '\t');
		text_int(b, ord);
	}
	ih_buf_putc(b, '\n');
}

static void bin_u16(ih_buf *b, uint16_t v)
{
	v = htons(v);
	ih_buf_put(b, &v, 2);
}

static void bin_u32(ih_buf *b, uint32_t v)
{
	v = htonl(v);
	ih_buf_put(b, &v, 4);
}

static void bin_text(ih_buf *b, const char *s)
{
	if (s == NULL) {
		bin_u32(b, 0xffffffffu);
		return;
	}
	size_t n = strlen(s);
	bin_u32(b, (uint32_t)n);
	ih_buf_put(b, s, n);
}

/*
 * A validated decimal as PostgreSQL's binary numeric: ndigits, weight,
 * sign, dscale, then base-10000 digits, most significant first.
 */
static void bin_numeric(ih_buf *b, const char *s)
{
	uint16_t dig[16];
	int nd = 0, weight, neg = 0, intd, frac = 0, groups;
	const char *ip, *fp;

	if (s == NULL) {
		bin_u32(b, 0xffffffffu);
		return;
	}
	if (*s == '-') {
		neg = 1;
		s++;
	}
	while (*s == '0' && s[1] >= '0' && s[1] <= '9')
		s++;
	ip = s;
	for (intd = 0; ip[intd] >= '0' && ip[intd] <= '9'; intd++)
		;
	fp = ip[intd] == '.' ? ip + intd + 1 : ip + intd;
	while (fp[frac] >= '0' && fp[frac] <= '9')
		frac++;
	if (frac > 20)
		frac = 20;
	/* integer part in groups of 4 aligned on the point */
	groups = (intd + 3) / 4;
	weight = groups - 1;
	{
		int first = intd - (groups - 1) * 4, pos = 0;

		for (int g = 0; g < groups; g++) {
			int len = g == 0 ? first : 4, v = 0;

			for (int k = 0; k < len; k++)
				v = v * 10 + (ip[pos++] - '0');
			dig[nd++] = (uint16_t)v;
		}
	}
	for (int pos = 0; pos < frac; pos += 4) {
		int v = 0;

		for (int k = 0; k < 4; k++)
			v = v * 10 + (pos + k < frac ? fp[pos + k] - '0' : 0);
		dig[nd++] = (uint16_t)v;
	}
	/* strip leading zero groups (e.g. "0.05") and trailing ones */
	{
		int lead = 0;

		while (lead < nd && dig[lead] == 0) {
			lead++;
			weight--;
		}
		memmove(dig, dig + lead, (size_t)(nd - lead) * sizeof dig[0]);
		nd -= lead;
		while (nd > 0 && dig[nd - 1] == 0)
			nd--;
		if (nd == 0) {
			weight = 0;
			neg = 0;
		}
	}
	bin_u32(b, (uint32_t)(8 + 2 * nd));
	bin_u16(b, (uint16_t)nd);
	bin_u16(b, (uint16_t)(int16_t)weight);
	bin_u16(b, neg ? 0x4000 : 0x0000);
	bin_u16(b, (uint16_t)frac);
	for (int k = 0; k < nd; k++)
		bin_u16(b, dig[k]);
}

static void bin_value(ih_buf *b, const ih_snap_row *r, int col)
{
	const ih_snap_col *sc = &ih_snap_cols[col];
	int null;
	long v;

	switch (sc->kind) {
	case IH_SNAP_TEXT: bin_text(b, col_str(r, sc)); return;
	case IH_SNAP_NUMERIC: bin_numeric(b, col_str(r, sc)); return;
	default: break;
	}
	v = col_int(r, sc, &null);
	if (null) {
		bin_u32(b, 0xffffffffu);
	} else if (sc->kind == IH_SNAP_INT2) {
		bin_u32(b, 2);
		bin_u16(b, (uint16_t)v);
	} else {
		bin_u32(b, 4);
		bin_u32(b, (uint32_t)v);
	}
}

/* As text_row, in binary COPY's format. */
static void bin_row(ih_buf *b, const int64_t *time_us, const ih_snap_row *r, const char *sid, long ord)
{
	bin_u16(b, (uint16_t)(IH_SNAP_NCOLS + (time_us != NULL) + (ord > 0)));
	if (time_us != NULL) {
		uint64_t t = (uint64_t)*time_us;

		bin_u32(b, 8);
		bin_u32(b, (uint32_t)(t >> 32));
		bin_u32(b, (uint32_t)t);
	}
	for (int col = 0; col < IH_SNAP_NCOLS; col++) {
		if (col == 0 && sid != NULL)
			bin_text(b, sid);
		else
			bin_value(b, r, col);
	}
	if (ord > 0) {
		bin_u32(b, 4);
		bin_u32(b, (uint32_t)ord);
	}
}

/* Flush the buffer to the server once it holds this much. */
#define COPY_FLUSH_BYTES (256 * 1024)

static int send_buf(PGconn *c, ih_buf *b, char *err, size_t errlen)
{
	if (b->oom) {
		snprintf(err, errlen, "COPY: out of memory");
		return IH_BULK_ERR_DB;
	}
	if (b->len > 0 && ih_pg_copy_put(c, b->p, b->len, "COPY: sending rows", err, errlen) != 0)
		return IH_BULK_ERR_DB;
	b->len = 0;
	return 0;
}

int ih_pg_time_us(PGconn *c, const char *time_iso, int64_t *us, char *err, size_t errlen)
{
	const char *params[1] = { time_iso };
	PGresult *r;
	int ok;

	if (ih_pg_exec(c, "SELECT ((extract(epoch FROM $1::timestamptz) - 946684800) * 1000000)::bigint", 1, params,
		       PGRES_TUPLES_OK, &r, "reading the snapshot time", err, errlen) != 0)
		return IH_BULK_ERR_DB;
	ok = PQntuples(r) == 1;
	if (ok)
		*us = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	else
		snprintf(err, errlen, "reading the snapshot time: no row");
	PQclear(r);
	return ok ? 0 : IH_BULK_ERR_DB;
}

/* ih_copy_snapshots and ih_copy_snapshots_by_sid: with sids, row k carries
 * sids[k] for its card and ord k + 1. */
static int copy_rows(PGconn *c, const char *copy_sql, int binary, const char *time_text, const int64_t *time_us,
		     const ih_snap_row *rows, const size_t *idx, const char *const *sids, size_t m, char *sqlstate,
		     char *err, size_t errlen)
{
	static const char header[] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
	ih_buf b = { 0 };
	int rc = 0;

	if (sqlstate != NULL)
		*sqlstate = '\0';
	if (ih_pg_exec(c, copy_sql, -1, NULL, PGRES_COPY_IN, NULL, "COPY: starting", err, errlen) != 0)
		return IH_BULK_ERR_DB;
	if (binary)
		ih_buf_put(&b, header, sizeof header - 1);
	for (size_t k = 0; k < m && rc == 0; k++) {
		const ih_snap_row *row = idx != NULL ? &rows[idx[k]] : &rows[k];
		const char *sid = sids != NULL ? sids[k] : NULL;
		long ord = sids != NULL ? (long)k + 1 : 0;

		if (binary)
			bin_row(&b, time_us, row, sid, ord);
		else
			text_row(&b, time_text, row, sid, ord);
		if (b.len >= COPY_FLUSH_BYTES || b.oom)
			rc = send_buf(c, &b, err, errlen);
	}
	if (rc == 0 && binary)
		bin_u16(&b, 0xffff);
	if (rc == 0)
		rc = send_buf(c, &b, err, errlen);
	ih_buf_free(&b);
	if (rc == 0)
		rc = ih_pg_copy_end(c, NULL, sqlstate, "COPY", err, errlen) == 0 ? 0 : IH_BULK_ERR_DB;
	else
		(void)ih_pg_copy_end(c, "client error", NULL, "COPY", NULL, 0);
	return rc;
}

int ih_copy_snapshots(PGconn *c, const char *copy_sql, int binary, const char *time_text, const int64_t *time_us,
		      const ih_snap_row *rows, const size_t *idx, size_t m, char *sqlstate, char *err, size_t errlen)
{
	return copy_rows(c, copy_sql, binary, time_text, time_us, rows, idx, NULL, m, sqlstate, err, errlen);
}

int ih_copy_snapshots_by_sid(PGconn *c, const char *copy_sql, int binary, const ih_snap_row *rows,
			     const char *const *sids, size_t m, char *err, size_t errlen)
{
	return copy_rows(c, copy_sql, binary, NULL, NULL, rows, NULL, sids, m, NULL, err, errlen);
}
