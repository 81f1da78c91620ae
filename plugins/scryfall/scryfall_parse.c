#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scryfall_parse.h"

static const struct {
	const char *key, *finish, *currency;
} price_keys[] = {
	{ "usd", "nonfoil", "USD" },     { "usd_foil", "foil", "USD" },
	{ "usd_etched", "etched", "USD" }, { "eur", "nonfoil", "EUR" },
	{ "eur_foil", "foil", "EUR" },   { "eur_etched", "etched", "EUR" },
	{ "tix", "nonfoil", "TIX" },
};

char *scry_collection_body(const ih_card *const *cards, size_t n)
{
	json_object *root = json_object_new_object(), *ids = json_object_new_array(), *one;
	char *out = NULL;
	size_t i;

	if (root == NULL || ids == NULL)
		goto done;
	json_object_object_add(root, "identifiers", ids);
	for (i = 0; i < n; i++) {
		one = json_object_new_object();
		if (one == NULL)
			goto done;
		json_object_object_add(one, "id", json_object_new_string(cards[i]->scryfall_id));
		json_object_array_add(ids, one);
	}
	out = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
done:
	if (root != NULL)
		json_object_put(root);
	else if (ids != NULL)
		json_object_put(ids);
	return out;
}

/* A language code as Scryfall spells them: 2-3 lower-case letters. */
static int plausible_lang(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0, i;

	if (n < 2 || n > 3)
		return 0;
	for (i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Emit the prices of one card object; returns IH_OK or a fatal host status. */
static int card_rows(json_object *card, const ih_card *want, ihp_sink *sink)
{
	json_object *prices, *v;
	const char *lang = NULL, *text;
	char money[IHP_MONEY_LEN];
	ih_snapshot snap;
	size_t k;
	int given = 0, rc;

	if (!json_object_object_get_ex(card, "prices", &prices) ||
	    !json_object_is_type(prices, json_type_object)) {
		ihp_log(sink, IH_LOG_WARNING, "scryfall: card %s has no prices object: rejected", want->scryfall_id);
		ihp_count(sink, IH_COUNT_REJECTED);
		return IH_OK;
	}
	if (json_object_object_get_ex(card, "lang", &v) && json_object_is_type(v, json_type_string) &&
	    (lang = ihp_str(v)) == NULL) {
		/* "en\u0000x" is not "en": the whole card is suspect */
		ihp_log(sink, IH_LOG_WARNING, "scryfall: card %s: lang holds a NUL: rejected", want->scryfall_id);
		ihp_count(sink, IH_COUNT_REJECTED);
		return IH_OK;
	}
	if (!plausible_lang(lang)) /* absent, not a string or not a code */
		lang = want->lang;
	for (k = 0; k < sizeof price_keys / sizeof price_keys[0]; k++) {
		if (!json_object_object_get_ex(prices, price_keys[k].key, &v) || v == NULL)
			continue;
		given++;
		text = ihp_str(v); /* NULL too for "1.50\u0000junk" */
		if (text == NULL || ihp_money_decimal(text, money, sizeof money) < 0) {
			char shown[41];

			ihp_log(sink, IH_LOG_WARNING, "scryfall: card %s: %s is not a price (%s): rejected",
			        want->scryfall_id, price_keys[k].key,
			        ihp_printable(json_object_get_string(v), shown, sizeof shown));
			ihp_count(sink, IH_COUNT_REJECTED);
			continue;
		}
		memset(&snap, 0, sizeof snap);
		snap.card_id = want->card_id;
		snap.scryfall_id = want->scryfall_id;
		snap.condition = "NM";
		snap.finish = price_keys[k].finish;
		snap.language = lang;
		snap.currency = price_keys[k].currency;
		snap.price = money;
		snap.num_listings = -1;
		rc = sink->emit(sink->ctx, &snap);
		if (rc < 0 && rc != IH_ERR_FATAL)
			return rc;
	}
	if (given == 0 && sink->mark_done != NULL)
		sink->mark_done(sink->ctx, want->card_id);
	return IH_OK;
}

int scry_parse_collection(const char *body, size_t len, const ih_card *const *cards, size_t n,
                          ihp_sink *sink)
{
	unsigned char seen[SCRY_CHUNK];
	json_object *root, *data, *card;
	const char *id;
	size_t i, k, ndata;
	int rc = IH_OK;

	if (n > SCRY_CHUNK)
		return ihp_fail(sink, "scryfall: %zu cards in one chunk (max %d)", n, SCRY_CHUNK);
	root = ihp_parse_body(sink, "scryfall /cards/collection", body, len);
	if (root == NULL)
		return IH_ERR_FATAL;
	if (!json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "data", &data) || !json_object_is_type(data, json_type_array)) {
		json_object_put(root);
		return ihp_fail(sink, "scryfall /cards/collection: answer has no \"data\" array");
	}
	memset(seen, 0, sizeof seen);
	ndata = json_object_array_length(data);
	for (i = 0; i < ndata && rc == IH_OK; i++) {
		card = json_object_array_get_idx(data, i);
		id = ihp_get_str(card, "id"); /* NULL too for "<uuid>\u0000x" */
		for (k = 0; id != NULL && k < n; k++)
			if (!seen[k] && strcasecmp(cards[k]->scryfall_id, id) == 0)
				break;
		if (id == NULL || k >= n) {
			ihp_log(sink, IH_LOG_WARNING, "scryfall: data[%zu] has %s id: rejected", i,
			        id == NULL ? "no usable" : "an unrequested");
			ihp_count(sink, IH_COUNT_REJECTED);
			continue;
		}
		seen[k] = 1;
		rc = card_rows(card, cards[k], sink);
	}
	for (k = 0; k < n && rc == IH_OK; k++)
		if (!seen[k])
			ihp_count(sink, IH_COUNT_NOT_FOUND);
	json_object_put(root);
	return rc;
}
