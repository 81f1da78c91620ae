/*
 * scryfall_parse -- the pure part of the scryfall plugin: the body of a
 * POST /cards/collection request and the rows its answer becomes.
 */
#ifndef SCRYFALL_PARSE_H
#define SCRYFALL_PARSE_H

#include "ihp.h"

/* Scryfall's limit of identifiers per /cards/collection request. */
#define SCRY_CHUNK 75

/*
 * The JSON body {"identifiers":[{"id":...},...]} for cards[0..n), n <= 75.
 * Returns a malloc'd string (caller frees), NULL when out of memory.
 */
char *scry_collection_body(const ih_card *const *cards, size_t n);

/*
 * Turn one /cards/collection answer (body, len bytes) for the chunk
 * cards[0..n) into snapshots through sink.  Results are matched by `id`,
 * never by position.  Per card found: one row per non-null price key (usd,
 * usd_foil, usd_etched, eur, eur_foil, eur_etched, tix), condition NM,
 * language the response's `lang`; all prices null -> mark_done.  A card not
 * in `data` is counted not_found; an unusable price or card is counted
 * rejected: text with an embedded NUL is unusable ("1.50\u0000junk" is not
 * 1.50, "<uuid>\u0000x" matches no card, a lang holding one rejects the
 * card).  The body must be strict JSON with unique top-level keys
 * (ihp_parse_body).  Returns IH_OK, IH_ERR_FATAL with sink->err for an
 * unusable body, or the negative status emit returned when the host cannot
 * go on.
 */
int scry_parse_collection(const char *body, size_t len, const ih_card *const *cards, size_t n,
                          ihp_sink *sink);

#endif
