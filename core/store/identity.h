/*
 * identity -- identity-map operations the pipeline needs beyond core/bulk:
 * resolving scryfall ids with each card's language, and storing the
 * CardTrader blueprint ids plugins learn.  One statement each, whatever n.
 * Same conventions as core/bulk (caller's connection, 0 or negative).
 */
#ifndef IH_IDENTITY_H
#define IH_IDENTITY_H

#include <stddef.h>
#include <stdint.h>
#include <libpq-fe.h>

/*
 * card_ids[i] and langs[i] of scryfall id uuids[i]; 0 and "" when unknown
 * or not a uuid.  langs may be NULL.
 */
int ih_bulk_resolve_scryfall_lang(PGconn *c, const char *const *uuids, size_t n, int32_t *card_ids,
				  char (*langs)[8], char *err, size_t errlen);

/* cards.cardtrader_blueprint_id = blueprint_ids[i] for card_ids[i]. */
int ih_bulk_set_blueprints(PGconn *c, const int32_t *card_ids, const int32_t *blueprint_ids, size_t n, char *err,
			   size_t errlen);

#endif
