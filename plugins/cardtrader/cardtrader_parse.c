#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cardtrader_parse.h"

const char *ct_condition(const char *grade)
{
	static const struct {
		const char *grade, *code;
	} map[] = {
		{ "Mint", "NM" },           { "Near Mint", "NM" }, { "Slightly Played", "LP" },
		{ "Moderately Played", "MP" }, { "Played", "HP" },  { "Heavily Played", "HP" },
		{ "Poor", "DMG" },
	};
	size_t i;

	for (i = 0; grade != NULL && i < sizeof map / sizeof map[0]; i++)
		if (strcmp(grade, map[i].grade) == 0)
			return map[i].code;
	return NULL;
}

int ct_language(const char *ct, char *out, size_t outsz)
{
	static const struct {
		const char *ct, *sf;
	} map[] = { { "jp", "ja" }, { "kr", "ko" }, { "zh-CN", "zhs" }, { "zh-TW", "zht" } };
	size_t i, n;

	for (i = 0; ct != NULL && i < sizeof map / sizeof map[0]; i++) {
		if (strcmp(ct, map[i].ct) == 0) {
			snprintf(out, outsz, "%s", map[i].sf);
			return 0;
		}
	}
	n = ct != NULL ? strlen(ct) : 0;
	if (n < 2 || n > 3 || n >= outsz)
		return -1;
	for (i = 0; i < n; i++)
		if (!islower((unsigned char)ct[i]))
			return -1;
	memcpy(out, ct, n + 1);
	return 0;
}

static int cmp_expansion(const void *a, const void *b)
{
	return strcmp(((const ct_expansion *)a)->code, ((const ct_expansion *)b)->code);
}

/* The array of a body that is [...] or {"array": [...]}. */
static json_object *array_of(json_object *root)
{
	json_object *a;

	if (json_object_is_type(root, json_type_array))
		return root;
	if (json_object_is_type(root, json_type_object) && json_object_object_get_ex(root, "array", &a) &&
	    json_object_is_type(a, json_type_array))
		return a;
	return NULL;
}

int ct_parse_expansions(const char *body, size_t len, ct_expansion **out, size_t *n, ihp_sink *sink)
{
	json_object *root = ihp_parse_body(sink, "cardtrader /expansions", body, len), *arr, *x;
	ct_expansion *v;
	const char *code;
	int64_t id, game;
	size_t i, k = 0, m, j;

	if (root == NULL)
		return IH_ERR_FATAL;
	arr = array_of(root);
	if (arr == NULL) {
		json_object_put(root);
		return ihp_fail(sink, "cardtrader /expansions: answer is not an array");
	}
	m = json_object_array_length(arr);
	v = calloc(m + 1, sizeof *v);
	if (v == NULL) {
		json_object_put(root);
		return ihp_fail(sink, "cardtrader: out of memory");
	}
	for (i = 0; i < m; i++) {
		x = json_object_array_get_idx(arr, i);
		code = ihp_get_str(x, "code");
		game = 1;
		if (ihp_get_int(x, "id", &id) != 1 || id <= 0 || id > INT32_MAX || code == NULL ||
		    *code == '\0' || strlen(code) >= sizeof v[k].code || ihp_get_int(x, "game_id", &game) < 0) {
			ihp_count(sink, IH_COUNT_REJECTED);
			continue;
		}
		if (game != 1)
			continue;
		v[k].id = (int32_t)id;
		for (j = 0; code[j] != '\0'; j++)
			v[k].code[j] = (char)tolower((unsigned char)code[j]);
		k++;
	}
	json_object_put(root);
	qsort(v, k, sizeof *v, cmp_expansion);
	*out = v;
	*n = k;
	return IH_OK;
}

int32_t ct_find_expansion(const ct_expansion *x, size_t n, const char *set_code)
{
	ct_expansion key;
	const ct_expansion *hit;
	size_t j;

	if (set_code == NULL || strlen(set_code) >= sizeof key.code || n == 0)
		return 0;
	memset(&key, 0, sizeof key);
	for (j = 0; set_code[j] != '\0'; j++)
		key.code[j] = (char)tolower((unsigned char)set_code[j]);
	hit = bsearch(&key, x, n, sizeof *x, cmp_expansion);
	return hit != NULL ? hit->id : 0;
}

int ct_parse_blueprints(const char *body, size_t len, ct_blueprint **out, size_t *n, ihp_sink *sink)
{
	json_object *root = ihp_parse_body(sink, "cardtrader /blueprints/export", body, len), *arr, *b, *fp;
	ct_blueprint *v;
	const char *sid, *num;
	int64_t id, cat, tcg;
	size_t i, k = 0, m;

	*out = NULL;
	*n = 0;
	if (root == NULL)
		return IH_ERR_FATAL;
	arr = array_of(root);
	if (arr == NULL) {
		json_object_put(root);
		return ihp_fail(sink, "cardtrader /blueprints/export: answer is not an array");
	}
	m = json_object_array_length(arr);
	v = calloc(m + 1, sizeof *v);
	if (v == NULL) {
		json_object_put(root);
		return ihp_fail(sink, "cardtrader: out of memory");
	}
	for (i = 0; i < m; i++) {
		b = json_object_array_get_idx(arr, i);
		cat = 1;
		sid = num = NULL;
		fp = NULL;
		/* an id text with an embedded NUL ("<uuid>\u0000x") rejects the
		 * blueprint: read as "<uuid>" it would match the wrong card */
		if (ihp_get_int(b, "id", &id) != 1 || id <= 0 || id > INT32_MAX ||
		    ihp_get_int(b, "category_id", &cat) < 0 || ihp_get_text(b, "scryfall_id", &sid) < 0 ||
		    (json_object_object_get_ex(b, "fixed_properties", &fp) &&
		     ihp_get_text(fp, "collector_number", &num) < 0)) {
			ihp_count(sink, IH_COUNT_REJECTED);
			continue;
		}
		if (cat != 1)
			continue;
		v[k].id = (int32_t)id;
		if (ihp_get_int(b, "tcg_player_id", &tcg) == 1 && tcg > 0 && tcg <= INT32_MAX)
			v[k].tcg_id = (int32_t)tcg;
		if (ihp_is_uuid(sid))
			memcpy(v[k].scryfall_id, sid, 37);
		if (num != NULL && strlen(num) < sizeof v[k].number)
			memcpy(v[k].number, num, strlen(num) + 1);
		k++;
	}
	json_object_put(root);
	if (k == 0) {
		free(v);
		v = NULL;
	}
	*out = v;
	*n = k;
	return IH_OK;
}

int32_t ct_match_blueprint(const ct_blueprint *bp, size_t n, const ih_card *card)
{
	int32_t hit = 0;
	size_t i;

	if (card->scryfall_id != NULL && *card->scryfall_id != '\0')
		for (i = 0; i < n; i++)
			if (strcasecmp(bp[i].scryfall_id, card->scryfall_id) == 0)
				return bp[i].id;
	if (card->tcgplayer_id > 0)
		for (i = 0; i < n; i++)
			if (bp[i].tcg_id == card->tcgplayer_id)
				return bp[i].id;
	if (card->collector_number == NULL || *card->collector_number == '\0')
		return 0;
	for (i = 0; i < n; i++) {
		if (strcasecmp(bp[i].number, card->collector_number) != 0)
			continue;
		if (hit != 0)
			return 0; /* ambiguous */
		hit = bp[i].id;
	}
	return hit;
}

typedef struct ct_listing {
	const char *cond;
	int foil;
	char lang[8]; /* "" = the card's own */
	char cur[4];
	long long cents;
} ct_listing;

static int cmp_listing(const void *pa, const void *pb)
{
	const ct_listing *a = pa, *b = pb;
	int c;

	if ((c = strcmp(a->cond, b->cond)) != 0)
		return c;
	if (a->foil != b->foil)
		return a->foil - b->foil;
	if ((c = strcmp(a->lang, b->lang)) != 0)
		return c;
	if ((c = strcmp(a->cur, b->cur)) != 0)
		return c;
	return (a->cents > b->cents) - (a->cents < b->cents);
}

static int same_group(const ct_listing *a, const ct_listing *b)
{
	return strcmp(a->cond, b->cond) == 0 && a->foil == b->foil && strcmp(a->lang, b->lang) == 0 &&
	       strcmp(a->cur, b->cur) == 0;
}

static int currency_ok(const char *c)
{
	return c != NULL && strlen(c) == 3 && isupper((unsigned char)c[0]) &&
	       isupper((unsigned char)c[1]) && isupper((unsigned char)c[2]);
}

/* Read one listing; 0 when usable, -1 when it must be rejected. */
static int listing_of(json_object *l, ct_listing *out)
{
	json_object *ph, *v, *price;
	const char *cur = NULL, *top_cur = NULL;
	int64_t cents = 0;

	memset(out, 0, sizeof *out);
	if (!json_object_is_type(l, json_type_object) ||
	    !json_object_object_get_ex(l, "properties_hash", &ph) || !json_object_is_type(ph, json_type_object))
		return -1;
	out->cond = ct_condition(ihp_get_str(ph, "condition"));
	if (out->cond == NULL)
		return -1;
	if (json_object_object_get_ex(ph, "mtg_foil", &v) && v != NULL) {
		if (!json_object_is_type(v, json_type_boolean))
			return -1;
		out->foil = json_object_get_boolean(v) ? 1 : 0;
	}
	if (json_object_object_get_ex(ph, "mtg_language", &v) && v != NULL) {
		if (ct_language(ihp_str(v), out->lang, sizeof out->lang) < 0)
			return -1;
	}
	/* text with an embedded NUL ("EUR\u0000x") anywhere rejects the listing */
	if (ihp_get_text(l, "price_currency", &top_cur) < 0)
		return -1;
	if (ihp_get_int(l, "price_cents", &cents) == 1 && currency_ok(top_cur)) {
		cur = top_cur;
	} else if (json_object_object_get_ex(l, "price", &price) && ihp_get_int(price, "cents", &cents) == 1) {
		if (ihp_get_text(price, "currency", &cur) < 0)
			return -1;
	}
	if (!currency_ok(cur) || cents <= 0 || cents > IHP_MAX_CENTS)
		return -1;
	memcpy(out->cur, cur, 4);
	out->cents = cents;
	return 0;
}

/* Emit the group g[0..m) of blueprint bp for the best card among w. */
static int emit_group(const ct_listing *g, size_t m, int32_t bp, ct_want *w, size_t n, ihp_sink *sink)
{
	char lo[IHP_MONEY_LEN], mid[IHP_MONEY_LEN], hi[IHP_MONEY_LEN];
	long long med = (m % 2) ? g[m / 2].cents : (g[m / 2 - 1].cents + g[m / 2].cents + 1) / 2;
	ct_want *pick = NULL;
	ih_snapshot snap;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		if (w[i].blueprint_id != bp)
			continue;
		if (pick == NULL)
			pick = &w[i];
		if (g[0].lang[0] != '\0' && w[i].card->lang != NULL && strcmp(w[i].card->lang, g[0].lang) == 0) {
			pick = &w[i];
			break;
		}
	}
	if (pick == NULL || ihp_money_cents(g[0].cents, lo, sizeof lo) < 0 ||
	    ihp_money_cents(med, mid, sizeof mid) < 0 || ihp_money_cents(g[m - 1].cents, hi, sizeof hi) < 0)
		return IH_OK;
	memset(&snap, 0, sizeof snap);
	snap.card_id = pick->card->card_id;
	snap.scryfall_id = pick->card->scryfall_id;
	snap.condition = g[0].cond;
	snap.finish = g[0].foil ? "foil" : "nonfoil";
	snap.language = g[0].lang[0] != '\0' ? g[0].lang : NULL;
	snap.currency = g[0].cur;
	snap.price = lo;
	snap.price_low = lo;
	snap.price_mid = mid;
	snap.price_high = hi;
	snap.num_listings = m > INT32_MAX ? INT32_MAX : (int32_t)m;
	pick->rows++;
	rc = sink->emit(sink->ctx, &snap);
	return (rc < 0 && rc != IH_ERR_FATAL) ? rc : IH_OK;
}

/* Fold and emit the listings of one blueprint. */
static int blueprint_rows(json_object *arr, int32_t bp, ct_want *w, size_t n, ihp_sink *sink)
{
	size_t m = json_object_array_length(arr), i, k = 0, start;
	ct_listing *l = calloc(m + 1, sizeof *l);
	int rc = IH_OK;

	if (l == NULL)
		return ihp_fail(sink, "cardtrader: out of memory");
	for (i = 0; i < m; i++) {
		if (listing_of(json_object_array_get_idx(arr, i), &l[k]) < 0) {
			ihp_log(sink, IH_LOG_WARNING, "cardtrader: blueprint %ld listing %zu is unusable (grade, price, language or finish): rejected",
			        (long)bp, i);
			ihp_count(sink, IH_COUNT_REJECTED);
			continue;
		}
		k++;
	}
	qsort(l, k, sizeof *l, cmp_listing);
	for (start = 0; start < k && rc == IH_OK; start = i) {
		for (i = start + 1; i < k && same_group(&l[start], &l[i]); i++)
			;
		rc = emit_group(l + start, i - start, bp, w, n, sink);
	}
	free(l);
	return rc;
}

int ct_blueprint_key(const char *key, int32_t *id)
{
	int64_t v = 0;
	size_t i;

	/* one spelling per id: "203562", never "0203562", "+203562", " 203562" */
	if (key == NULL || key[0] < '1' || key[0] > '9')
		return -1;
	for (i = 0; key[i] != '\0'; i++) {
		if (key[i] < '0' || key[i] > '9' || i >= 10)
			return -1;
		v = v * 10 + (key[i] - '0');
	}
	if (v > INT32_MAX)
		return -1;
	*id = (int32_t)v;
	return 0;
}

int ct_parse_products(const char *body, size_t len, ct_want *w, size_t n, ihp_sink *sink)
{
	json_object *root = ihp_parse_body(sink, "cardtrader /marketplace/products", body, len);
	int rc = IH_OK;
	size_t i;

	if (root == NULL)
		return IH_ERR_FATAL;
	if (!json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return ihp_fail(sink, "cardtrader /marketplace/products: answer is not an object keyed by blueprint id");
	}
	json_object_object_foreach(root, key, val) {
		int32_t bp;

		if (rc != IH_OK)
			break;
		if (ct_blueprint_key(key, &bp) < 0) {
			char shown[24];

			ihp_log(sink, IH_LOG_WARNING, "cardtrader: key \"%s\" is not a blueprint id: rejected",
			        ihp_printable(key, shown, sizeof shown));
			ihp_count(sink, IH_COUNT_REJECTED);
			continue;
		}
		for (i = 0; i < n && w[i].blueprint_id != bp; i++)
			;
		if (i == n)
			continue;
		if (!json_object_is_type(val, json_type_array)) {
			ihp_log(sink, IH_LOG_WARNING, "cardtrader: listings of blueprint %ld are not an array: rejected",
			        (long)bp);
			ihp_count(sink, IH_COUNT_REJECTED);
			continue;
		}
		rc = blueprint_rows(val, bp, w, n, sink);
	}
	json_object_put(root);
	return rc;
}
