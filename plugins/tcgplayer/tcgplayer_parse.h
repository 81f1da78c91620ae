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

/* Longest access token accepted (TCGplayer's are a few hundred characters). */
#define TCG_TOKEN_MAX 4096
/* TCGplayer documents a token lifetime of 14 days (expires_in 1209599,
 * ../shared/marketplaces.md section 3); an answer may claim at most one day
 * more, so a hostile or broken answer cannot pin a token for a year. */
#define TCG_TOKEN_LIFETIME (14L * 86400)
#define TCG_TOKEN_MAX_LIFETIME (TCG_TOKEN_LIFETIME + 86400)

/* 1 when t[0..len) can be sent as a bearer token: 1 to TCG_TOKEN_MAX
 * printable ASCII characters, no space, control character or NUL. */
int tcg_token_ok(const char *t, size_t len);

/*
 * The token answer {"access_token":..., "expires_in": seconds, ...}.
 * On IH_OK *token is a malloc'd copy (caller frees) that passed
 * tcg_token_ok, and *expires_in is in 1..TCG_TOKEN_MAX_LIFETIME (3600 when
 * the answer gives none, larger values clamped).  IH_ERR_FATAL with
 * sink->err otherwise: a token that is not text, holds a NUL, a space, a
 * control character (as "a\r\nX: 1"), is not ASCII or is too long.
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
