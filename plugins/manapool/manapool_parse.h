/*
 * manapool_parse -- the pure part of the manapool plugin: the rows of a
 * GET /prices/singles export.
 */
#ifndef MANAPOOL_PARSE_H
#define MANAPOOL_PARSE_H

#include "ihp.h"

typedef struct mp_stats {
	size_t rows;      /* elements of `data` seen */
	size_t snapshots; /* snapshots handed to emit */
} mp_stats;

/*
 * Parse {"meta":{...},"data":[row,...]} as a stream: the whole body is
 * first checked as strict JSON with unique top-level keys (ihp_json_check:
 * one "data", JSON whitespace only, no tree built), then the top level is
 * scanned by hand and each row is parsed on its own with json-c's strict
 * tokener, so memory holds one row's tree at a time whatever the export's
 * size.  A row whose scryfall_id holds an embedded NUL is rejected.
 * Per row and finish ("", "_foil", "_etched" -> nonfoil, foil, etched):
 * price_cents_nm -> NM and price_cents_lp_plus -> LP when non-null and
 * non-zero, in USD, num_listings = available_quantity, card_id 0 and the
 * row's scryfall_id (the host resolves it).  A row or price that cannot be
 * used is counted rejected.  Returns IH_OK, IH_ERR_FATAL with sink->err for
 * a truncated or malformed body, or emit's negative status.  stats may be
 * NULL.
 */
int mp_parse_singles(const char *body, size_t len, ihp_sink *sink, mp_stats *stats);

#endif
