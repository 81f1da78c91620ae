/*
 * expected -- what the host stores for what the simulator serves: the price
 * rows of card i at each marketplace, as the lines
 *   scryfall_id|mkt|cond|finish|lang|cur|price|listings
 * (listings -1 when the marketplace gives none).  One definition, shared by
 * tests/market_test.c, the fault tests (through --print-expected) and the
 * simulator's own rows_served counters, so "every price served is stored"
 * has one meaning.
 */
#ifndef MU_EXPECTED_H
#define MU_EXPECTED_H

#include <stdint.h>

#include "universe.h"

enum { MU_MKT_SCRYFALL, MU_MKT_CARDTRADER, MU_MKT_TCGPLAYER, MU_MKT_MANAPOOL, MU_NMKT };

extern const char *const mu_mkt_names[MU_NMKT];

/* Called once per line; line is only valid during the call. */
typedef void (*mu_line_fn)(void *ud, const char *line);

/* Lines of card c at marketplace mkt (MU_MKT_*), through emit (may be NULL:
 * only count).  Returns the number of lines: the rows the host stores when it
 * gets c's complete answer from that marketplace. */
int mu_card_lines(uint64_t seed, const mu_card *c, int mkt, mu_line_fn emit, void *ud);

/* Lines of cards 0..ncards-1 at every marketplace (mkt < 0) or one, in card
 * order (not sorted).  Returns the count. */
long mu_expected_lines(uint64_t seed, int ncards, int mkt, mu_line_fn emit, void *ud);

/* The price the host stores for a TCGplayer row (market, else mid, else low),
 * cents or -1 when the row has none (then it is not stored). */
int64_t mu_tcg_price(const mu_tcg_row *r);

/* Index in mu_mkt_names, -1 if none. */
int mu_mkt_index(const char *name);

#endif
