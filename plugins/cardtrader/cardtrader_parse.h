/*
 * cardtrader_parse -- the pure part of the cardtrader plugin: expansions,
 * blueprint exports, blueprint matching and the folding of marketplace
 * listings into snapshots.
 *
 * Folding (CONTRACT section 4), per blueprint x condition x finish x
 * language x currency:
 *   price = the cheapest listing, price_low = min, price_high = max,
 *   price_mid = the median; for an even number of listings the median is
 *   the mean of the two middle prices, computed in integer cents and rounded
 *   half-up ((a + b + 1) / 2);
 *   num_listings = the number of listings (not the sum of their quantities);
 *   currency = the listing's own (price_currency, else price.currency).
 * Grades: Mint, Near Mint -> NM; Slightly Played -> LP; Moderately Played
 *   -> MP; Played, Heavily Played -> HP; Poor -> DMG; any other grade is
 *   counted rejected.
 * Finish: properties_hash.mtg_foil true -> foil, else nonfoil.
 * Language: properties_hash.mtg_language normalised to Scryfall's codes
 *   (jp -> ja, kr -> ko, zh-CN -> zhs, zh-TW -> zht, others as given);
 *   absent -> the card's own.
 */
#ifndef CARDTRADER_PARSE_H
#define CARDTRADER_PARSE_H

#include "ihp.h"

typedef struct ct_expansion {
	int32_t id;
	char code[24]; /* lower case */
} ct_expansion;

typedef struct ct_blueprint {
	int32_t id;
	int32_t tcg_id;       /* 0 when unknown */
	char scryfall_id[37]; /* "" when unknown */
	char number[16];      /* collector number, "" when unknown */
} ct_blueprint;

/* A card to price and the blueprint it was matched to. */
typedef struct ct_want {
	int32_t blueprint_id;
	const ih_card *card;
	int rows; /* snapshots emitted for this card (set by ct_parse_products) */
} ct_want;

/*
 * GET /expansions: an array (or {"array":[...]}) of {id, game_id, code}.
 * Magic (game_id 1, or no game_id) expansions only, sorted by code.
 * *out is malloc'd (caller frees).  IH_OK or IH_ERR_FATAL with sink->err.
 */
int ct_parse_expansions(const char *body, size_t len, ct_expansion **out, size_t *n, ihp_sink *sink);
/* The expansion id for a Scryfall set code (case-insensitive), 0 if none. */
int32_t ct_find_expansion(const ct_expansion *x, size_t n, const char *set_code);

/*
 * GET /blueprints/export?expansion_id=N: an array of blueprints; singles
 * only (category_id 1 or none).  A blueprint whose scryfall_id or
 * collector number is text with an embedded NUL is counted rejected and
 * left out.  *out is malloc'd (caller frees; NULL when empty).  IH_OK or
 * IH_ERR_FATAL with sink->err.
 */
int ct_parse_blueprints(const char *body, size_t len, ct_blueprint **out, size_t *n, ihp_sink *sink);
/*
 * The blueprint id of card among bp[0..n): the blueprint carrying the card's
 * scryfall_id, else the one carrying its tcgplayer_id, else the only one
 * with its collector number; 0 when none (or the number is ambiguous).
 */
int32_t ct_match_blueprint(const ct_blueprint *bp, size_t n, const ih_card *card);

/*
 * GET /marketplace/products?expansion_id=N: {"<blueprint id>": [listing,
 * ...], ...}.  Listings of the blueprints in w[0..n) are folded as above and
 * emitted for the card of the matching language, else the first card of
 * that blueprint; other blueprints are ignored.  A key that is not a
 * canonical blueprint id (ct_blueprint_key) and unusable listings are
 * counted rejected; a listing with text holding an embedded NUL is
 * unusable.  The body must be strict JSON with unique keys
 * (ihp_parse_body).  Returns IH_OK, IH_ERR_FATAL with sink->err, or emit's
 * negative status.
 */
int ct_parse_products(const char *body, size_t len, ct_want *w, size_t n, ihp_sink *sink);

/* A products key as a blueprint id: 0 and *id set when key is a canonical
 * integer ("203562": no sign, no leading zero, no space, 1..INT32_MAX),
 * else -1, so one blueprint has one spelling. */
int ct_blueprint_key(const char *key, int32_t *id);
/* Normalise a CardTrader language code into out (>= 8 bytes); -1 if bad. */
int ct_language(const char *ct, char *out, size_t outsz);
/* Condition code for a CardTrader grade, NULL when unknown. */
const char *ct_condition(const char *grade);

#endif
