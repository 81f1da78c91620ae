#include "config.h"

#include <limits.h>
#include <string.h>

#include "manapool_parse.h"

static const struct {
	const char *nm, *lp, *finish;
} finishes[] = {
	{ "price_cents_nm", "price_cents_lp_plus", "nonfoil" },
	{ "price_cents_nm_foil", "price_cents_lp_plus_foil", "foil" },
	{ "price_cents_nm_etched", "price_cents_lp_plus_etched", "etched" },
};

typedef struct scan {
	const char *b;
	size_t len, i;
	struct json_tokener *tok;
	ihp_sink *sink;
} scan;

/* JSON whitespace only (RFC 8259): not \f or \v as isspace() has it. */
static void skip_ws(scan *s)
{
	while (s->i < s->len &&
	       (s->b[s->i] == ' ' || s->b[s->i] == '\t' || s->b[s->i] == '\n' || s->b[s->i] == '\r'))
		s->i++;
}

static int at(scan *s, char c)
{
	skip_ws(s);
	return s->i < s->len && s->b[s->i] == c;
}

/* Parse one JSON value at s->i with the tokener; NULL + sink->err on error.
 * *is_null distinguishes a literal null from a failure. */
static json_object *value(scan *s, int *is_null)
{
	json_object *v;
	enum json_tokener_error e;
	size_t rest;

	skip_ws(s);
	*is_null = 0;
	rest = s->len - s->i;
	if (rest == 0) {
		ihp_fail(s->sink, "manapool /prices/singles: truncated JSON body (%zu bytes)", s->len);
		return NULL;
	}
	json_tokener_reset(s->tok);
	v = json_tokener_parse_ex(s->tok, s->b + s->i, rest > INT_MAX ? INT_MAX : (int)rest);
	e = json_tokener_get_error(s->tok);
	if (v == NULL && e == json_tokener_success) {
		*is_null = 1;
	} else if (v == NULL) {
		if (e == json_tokener_continue)
			ihp_fail(s->sink, "manapool /prices/singles: truncated JSON body (%zu bytes)", s->len);
		else
			ihp_fail(s->sink, "manapool /prices/singles: not JSON (%s near byte %zu)",
			         json_tokener_error_desc(e), s->i + json_tokener_get_parse_end(s->tok));
		return NULL;
	}
	s->i += json_tokener_get_parse_end(s->tok);
	return v;
}

/* One price field; returns emit's status (IH_OK when nothing to emit). */
static int one_price(json_object *row, const char *key, const char *cond, const char *finish,
                     const char *sid, int32_t listings, ihp_sink *sink, mp_stats *st)
{
	char money[IHP_MONEY_LEN];
	ih_snapshot snap;
	int64_t cents = 0;
	int got = ihp_get_int(row, key, &cents), rc;

	if (got == 0 || (got == 1 && cents == 0))
		return IH_OK;
	if (got < 0 || ihp_money_cents(cents, money, sizeof money) < 0) {
		ihp_log(sink, IH_LOG_WARNING, "manapool: %s of %s is not a price in cents: rejected", key, sid);
		ihp_count(sink, IH_COUNT_REJECTED);
		return IH_OK;
	}
	memset(&snap, 0, sizeof snap);
	snap.scryfall_id = sid;
	snap.condition = cond;
	snap.finish = finish;
	snap.currency = "USD";
	snap.price = money;
	snap.num_listings = listings;
	st->snapshots++;
	rc = sink->emit(sink->ctx, &snap);
	return (rc < 0 && rc != IH_ERR_FATAL) ? rc : IH_OK;
}

static int row_rows(json_object *row, ihp_sink *sink, mp_stats *st)
{
	const char *sid = ihp_get_str(row, "scryfall_id");
	int64_t q = -1;
	int32_t listings = -1;
	size_t f;
	int rc = IH_OK;

	if (!json_object_is_type(row, json_type_object) || !ihp_is_uuid(sid)) {
		ihp_log(sink, IH_LOG_WARNING, "manapool: row %zu has no valid scryfall_id: rejected", st->rows);
		ihp_count(sink, IH_COUNT_REJECTED);
		return IH_OK;
	}
	if (ihp_get_int(row, "available_quantity", &q) == 1 && q >= 0 && q <= INT32_MAX)
		listings = (int32_t)q;
	for (f = 0; f < sizeof finishes / sizeof finishes[0] && rc == IH_OK; f++) {
		rc = one_price(row, finishes[f].nm, "NM", finishes[f].finish, sid, listings, sink, st);
		if (rc == IH_OK)
			rc = one_price(row, finishes[f].lp, "LP", finishes[f].finish, sid, listings, sink, st);
	}
	return rc;
}

/* The elements of the data array; s->i is at '['. */
static int data_array(scan *s, mp_stats *st)
{
	json_object *row;
	int is_null, rc;

	s->i++;
	if (at(s, ']')) {
		s->i++;
		return IH_OK;
	}
	for (;;) {
		row = value(s, &is_null);
		if (row == NULL && !is_null)
			return IH_ERR_FATAL;
		rc = row_rows(row, s->sink, st);
		json_object_put(row);
		st->rows++;
		if (rc != IH_OK)
			return rc;
		if (at(s, ',')) {
			s->i++;
		} else if (at(s, ']')) {
			s->i++;
			return IH_OK;
		} else {
			return ihp_fail(s->sink, "manapool /prices/singles: %s in the data array at byte %zu",
			                s->i >= s->len ? "truncated JSON body" : "unexpected character", s->i);
		}
	}
}

int mp_parse_singles(const char *body, size_t len, ihp_sink *sink, mp_stats *stats)
{
	scan s = { body, len, 0, NULL, sink };
	mp_stats local = { 0, 0 };
	json_object *key, *v;
	int is_null, seen_data = 0, rc = IH_OK;

	if (stats == NULL)
		stats = &local;
	memset(stats, 0, sizeof *stats);
	/* The whole body is strict JSON with unique top-level keys (one "data")
	 * before any row is used; the check builds no tree. */
	if (ihp_json_check(sink, "manapool /prices/singles", body, len) < 0)
		return IH_ERR_FATAL;
	if (!at(&s, '{'))
		return ihp_fail(sink, "manapool /prices/singles: answer is not a JSON object");
	s.tok = json_tokener_new_ex(IHP_JSON_DEPTH + 1);
	if (s.tok == NULL)
		return ihp_fail(sink, "manapool: out of memory");
	json_tokener_set_flags(s.tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
	s.i++;
	if (at(&s, '}'))
		goto close;
	for (;;) {
		if (!at(&s, '"')) {
			rc = ihp_fail(sink, "manapool /prices/singles: %s at byte %zu",
			              s.i >= len ? "truncated JSON body" : "expected a key", s.i);
			break;
		}
		key = value(&s, &is_null);
		if (key == NULL) {
			rc = IH_ERR_FATAL;
			break;
		}
		if (!at(&s, ':')) {
			json_object_put(key);
			rc = ihp_fail(sink, "manapool /prices/singles: expected ':' at byte %zu", s.i);
			break;
		}
		s.i++;
		if (ihp_str(key) != NULL && strcmp(ihp_str(key), "data") == 0) {
			json_object_put(key);
			if (!at(&s, '[')) {
				rc = ihp_fail(sink, "manapool /prices/singles: \"data\" is not an array");
				break;
			}
			seen_data = 1;
			rc = data_array(&s, stats);
		} else {
			json_object_put(key);
			v = value(&s, &is_null);
			if (v == NULL && !is_null)
				rc = IH_ERR_FATAL;
			json_object_put(v);
		}
		if (rc != IH_OK)
			break;
		if (at(&s, ',')) {
			s.i++;
			continue;
		}
		if (at(&s, '}'))
			break;
		rc = ihp_fail(sink, "manapool /prices/singles: %s at byte %zu",
		              s.i >= len ? "truncated JSON body" : "unexpected character", s.i);
		break;
	}
close:
	json_tokener_free(s.tok);
	if (rc != IH_OK)
		return rc;
	s.i++;
	skip_ws(&s);
	if (s.i < len)
		return ihp_fail(sink, "manapool /prices/singles: unexpected data after the JSON value at byte %zu", s.i);
	if (!seen_data)
		return ihp_fail(sink, "manapool /prices/singles: answer has no \"data\" array");
	return IH_OK;
}
