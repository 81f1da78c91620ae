#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tcgplayer_parse.h"

int tcg_token_ok(const char *t, size_t len)
{
	size_t i;

	if (t == NULL || len == 0 || len > TCG_TOKEN_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7F) /* space, control, NUL, DEL, not ASCII */
			return 0;
	return 1;
}

int tcg_parse_token(const char *body, size_t len, char **token, long *expires_in, ihp_sink *sink)
{
	json_object *root = ihp_parse_body(sink, "tcgplayer token", body, len), *v;
	const char *t;
	int64_t exp = 0;

	if (root == NULL)
		return IH_ERR_FATAL;
	if (!json_object_object_get_ex(root, "access_token", &v) || !json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) == 0) {
		json_object_put(root);
		return ihp_fail(sink, "tcgplayer token: answer has no access_token");
	}
	/* It becomes an Authorization: header line: never a CR, LF or anything
	 * the host would refuse, which no 401 would ever replace. */
	t = json_object_get_string(v);
	if (!tcg_token_ok(t, (size_t)json_object_get_string_len(v))) {
		json_object_put(root);
		return ihp_fail(sink, "tcgplayer token: access_token is not 1 to %d printable ASCII characters without spaces",
		                TCG_TOKEN_MAX);
	}
	if (ihp_get_int(root, "expires_in", &exp) != 1 || exp <= 0)
		exp = 3600;
	if (exp > TCG_TOKEN_MAX_LIFETIME)
		exp = TCG_TOKEN_MAX_LIFETIME;
	*token = strdup(t);
	*expires_in = (long)exp;
	json_object_put(root);
	return *token != NULL ? IH_OK : ihp_fail(sink, "tcgplayer: out of memory");
}

/* A price member: 1 and out filled; 0 absent, null or 0; -1 unusable. */
static int price_field(json_object *row, const char *key, char *out, size_t outsz)
{
	json_object *v;
	long long cents;

	if (!json_object_object_get_ex(row, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
		return -1;
	if (ihp_number_to_cents(json_object_get_string(v), &cents) < 0)
		return -1;
	if (cents == 0)
		return 0;
	return ihp_money_cents(cents, out, outsz) < 0 ? -1 : 1;
}

static const char *finish_of(const char *sub)
{
	if (sub == NULL)
		return NULL;
	if (strcmp(sub, "Normal") == 0)
		return "nonfoil";
	if (strcmp(sub, "Foil") == 0)
		return "foil";
	if (strcmp(sub, "Etched") == 0 || strcmp(sub, "Etched Foil") == 0)
		return "etched";
	return NULL;
}

/* Emit one result row for every entry of its product. */
static int row_rows(json_object *row, size_t idx, tcg_entry *e, size_t n, ihp_sink *sink)
{
	char mkt[IHP_MONEY_LEN], low[IHP_MONEY_LEN], mid[IHP_MONEY_LEN], high[IHP_MONEY_LEN];
	int hm, hl, hmid, hh, matched = 0, rc;
	const char *sub = ihp_get_str(row, "subTypeName"), *finish;
	ih_snapshot snap;
	int64_t pid = 0;
	size_t k;

	if (ihp_get_int(row, "productId", &pid) != 1 || pid <= 0 || pid > INT32_MAX) {
		ihp_log(sink, IH_LOG_WARNING, "tcgplayer: results[%zu] has no valid productId: rejected", idx);
		ihp_count(sink, IH_COUNT_REJECTED);
		return IH_OK;
	}
	hm = price_field(row, "marketPrice", mkt, sizeof mkt);
	hl = price_field(row, "lowPrice", low, sizeof low);
	hmid = price_field(row, "midPrice", mid, sizeof mid);
	hh = price_field(row, "highPrice", high, sizeof high);
	if (hm < 0 || hl < 0 || hmid < 0 || hh < 0) {
		ihp_log(sink, IH_LOG_WARNING, "tcgplayer: product %lld: a price is not a non-negative number below 10^10: rejected",
		        (long long)pid);
		ihp_count(sink, IH_COUNT_REJECTED);
		return IH_OK;
	}
	for (k = 0; k < n; k++) {
		if (e[k].product_id != pid)
			continue;
		matched = 1;
		finish = e[k].etched ? "etched" : finish_of(sub);
		if (finish == NULL) {
			ihp_log(sink, IH_LOG_WARNING, "tcgplayer: product %lld: unknown subTypeName \"%.40s\": rejected",
			        (long long)pid, sub != NULL ? sub : "(none)");
			ihp_count(sink, IH_COUNT_REJECTED);
			continue;
		}
		if (!hm && !hmid && !hl) {
			if (e[k].state == TCG_UNSEEN)
				e[k].state = TCG_NOPRICE;
			continue;
		}
		memset(&snap, 0, sizeof snap);
		snap.card_id = e[k].card->card_id;
		snap.scryfall_id = e[k].card->scryfall_id;
		snap.condition = "NM";
		snap.finish = finish;
		snap.language = e[k].card->lang;
		snap.currency = "USD";
		snap.price = hm ? mkt : hmid ? mid : low;
		snap.price_low = hl ? low : NULL;
		snap.price_mid = hmid ? mid : NULL;
		snap.price_high = hh ? high : NULL;
		snap.num_listings = -1;
		e[k].state = TCG_PRICED;
		rc = sink->emit(sink->ctx, &snap);
		if (rc < 0 && rc != IH_ERR_FATAL)
			return rc;
	}
	if (!matched) {
		ihp_log(sink, IH_LOG_WARNING, "tcgplayer: results[%zu] is for product %lld, not asked for: rejected",
		        idx, (long long)pid);
		ihp_count(sink, IH_COUNT_REJECTED);
	}
	return IH_OK;
}

int tcg_parse_pricing(const char *body, size_t len, long status, tcg_entry *e, size_t n,
                      ihp_sink *sink)
{
	json_object *root, *results = NULL;
	size_t i, nres;
	int rc = IH_OK;

	root = ihp_parse_body(sink, "tcgplayer pricing", body, len);
	if (root == NULL)
		return IH_ERR_FATAL;
	if (!json_object_is_type(root, json_type_object) ||
	    (!json_object_object_get_ex(root, "results", &results) &&
	     !json_object_object_get_ex(root, "success", NULL))) {
		json_object_put(root);
		return ihp_fail(sink, "tcgplayer pricing: HTTP %ld answer is not a TCGplayer envelope", status);
	}
	if (results != NULL && !json_object_is_type(results, json_type_array)) {
		json_object_put(root);
		return ihp_fail(sink, "tcgplayer pricing: \"results\" is not an array");
	}
	if (results == NULL && status != 404) {
		json_object_put(root);
		return ihp_fail(sink, "tcgplayer pricing: answer has no \"results\"");
	}
	nres = results != NULL ? json_object_array_length(results) : 0;
	for (i = 0; i < nres && rc == IH_OK; i++)
		rc = row_rows(json_object_array_get_idx(results, i), i, e, n, sink);
	if (status == 404)
		for (i = 0; i < n; i++)
			if (e[i].state == TCG_UNSEEN)
				e[i].state = TCG_NOPRICE;
	json_object_put(root);
	return rc;
}
