/*
 * universe -- the simulator's deterministic card universe.  Everything the
 * simulator serves for card i is a pure function of (seed, i), so a test can
 * compute exactly what a marketplace answered.  Money is integer cents;
 * -1 means "no price" (null).
 */
#ifndef MU_UNIVERSE_H
#define MU_UNIVERSE_H

#include <stddef.h>
#include <stdint.h>

#define MU_SET_SIZE 250
#define MU_MAX_LISTINGS 8

enum { MU_USD, MU_USD_FOIL, MU_USD_ETCHED, MU_EUR, MU_EUR_FOIL, MU_EUR_ETCHED, MU_TIX, MU_NPRICES };

typedef struct mu_card {
	int idx;
	char scryfall_id[37], oracle_id[37];
	char name[48], set_code[16], collector_number[16], lang[4];
	int32_t tcgplayer_id, tcgplayer_etched_id, cardmarket_id, mtgo_id;
	int32_t expansion_id, blueprint_id;
	int64_t sf[MU_NPRICES];        /* Scryfall prices by key, cents or -1 */
} mu_card;

/* A TCGplayer price row: product x sub-type. */
typedef struct mu_tcg_row {
	int32_t product_id;
	const char *sub_type;          /* Normal, Foil */
	int64_t low, mid, high, market, direct_low; /* cents or -1 */
} mu_tcg_row;

/* Mana Pool's singles row. */
typedef struct mu_mp_row {
	int64_t any[3], lp[3], nm[3];  /* by finish: nonfoil, foil, etched; cents, -1 null, 0 none */
	int32_t quantity;
} mu_mp_row;

typedef struct mu_listing {
	int64_t id;
	const char *grade;             /* CardTrader's condition names */
	const char *lang;              /* CardTrader's codes */
	int foil;
	int64_t cents;
	int quantity;
} mu_listing;

extern const char *const mu_price_keys[MU_NPRICES];

void mu_card_get(uint64_t seed, int i, mu_card *c);
/* Rows of the card's products (tcgplayer_id, then tcgplayer_etched_id); returns the count (<= 3). */
int mu_tcg_rows(uint64_t seed, const mu_card *c, mu_tcg_row rows[3]);
void mu_mp_row_get(uint64_t seed, const mu_card *c, mu_mp_row *r);
/* Every blueprint has at least this many listings [0].  The soak sets 1: a
 * card with none is never fresh in the database, so it is asked for again
 * alone, and CardTrader answers its whole expansion (see README.md). */
extern int mu_min_listings;
/* Listings, cheapest first; returns the count (<= MU_MAX_LISTINGS). */
int mu_listings(uint64_t seed, const mu_card *c, mu_listing out[MU_MAX_LISTINGS]);
/* Scryfall ids Mana Pool lists that are not in the universe (j >= 0). */
void mu_stranger_id(uint64_t seed, int j, char out[37]);
/* "12.34" from cents. */
char *mu_money(int64_t cents, char *buf);

#endif
