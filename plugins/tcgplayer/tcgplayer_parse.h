/*
 * tcgplayer_parse -- the pure part of the tcgplayer plugin: the token
 * answer and GET /pricing/product/{ids} answers.
 */
#ifndef TCGPLAYER_PARSE_H
#define TCGPLAYER_PARSE_H

#include "ihp.h"

/* TCGplayer's limit of product ids per pricing request. */
#define TCG_CHUNK 250

enum { TCG_UNSEEN = 0, TCG_NOPRICE = 1, TCG_PRICED = 2 };

/* One product id asked for, and the card it prices. */
typedef struct tcg_entry {
	int32_t product_id;
	const ih_card *card;
	int etched; /* 1: this is the card's tcgplayer_etched_id product */
	int state;  /* TCG_*: set by tcg_parse_pricing */
} tcg_entry;

/*
 * The token answer {"access_token":..., "expires_in": seconds, ...}.
 * On IH_OK *token is a malloc'd copy (caller frees) and *expires_in > 0
 * (3600 when the answer gives none).  IH_ERR_FATAL with sink->err otherwise.
 */
int tcg_parse_token(const char *body, size_t len, char **token, long *expires_in, ihp_sink *sink);

/*
 * One pricing answer (HTTP status `status`, 200 or 404) for the entries
 * e[0..n).  The envelope {success, errors, results}: each result row
 * {productId, subTypeName, lowPrice, midPrice, highPrice, marketPrice}
 * becomes one NM USD snapshot per entry of that product: finish from
 * subTypeName (Normal, Foil, Etched) or etched for an etched product;
 * price = marketPrice, else midPrice, else lowPrice (0 and null mean none),
 * converted from the JSON number's text without binary floating point.
 * Entries get TCG_PRICED when a row was emitted, TCG_NOPRICE when rows came
 * without any price; a 404 with an envelope marks every entry TCG_NOPRICE.
 * Returns IH_OK, IH_ERR_FATAL with sink->err, or emit's negative status.
 */
int tcg_parse_pricing(const char *body, size_t len, long status, tcg_entry *e, size_t n,
                      ihp_sink *sink);

#endif
