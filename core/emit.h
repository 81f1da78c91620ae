/*
 * emit -- snapshots handed over by a plugin, validated, buffered and written
 * in batches while the plugin is still fetching.
 *
 * One emitter per plugin run, used by that run's thread only.  Rows are
 * copied; when batch_size rows are buffered they are resolved (scryfall ids
 * through the identity map, one statement), written (one statement through
 * core/bulk) and their cards marked in the cache, so memory stays flat and a
 * late failure keeps everything emitted before it.
 */
#ifndef IH_EMIT_H
#define IH_EMIT_H

#include <stddef.h>
#include <stdint.h>
#include "ingesthost/plugin.h"

struct ih_pool;
struct ih_cache;
struct ih_clock;

typedef struct ih_emit_opts {
	struct ih_pool *pool;
	struct ih_cache *cache;        /* may be NULL */
	const struct ih_clock *clock;  /* for waits between write retries */
	const volatile int *stop;      /* shutdown: no more waits */
	int16_t marketplace_id;
	const char *cycle_time;        /* ISO-8601 UTC, every row's time */
	const char *source;            /* the plugin's name, stored in source */
	int batch_size;
	long copy_threshold;
	const ih_card *cards;          /* the run's card list (may be NULL) */
	size_t ncards;
} ih_emit_opts;

typedef struct ih_emit_stats {
	long accepted;   /* rows validated and buffered */
	long written;    /* rows committed */
	long rejected;   /* rows refused by validation */
	long unmatched;  /* rows whose card is not in the identity map */
	long marked;     /* cards marked fresh in the cache */
} ih_emit_stats;

typedef struct ih_emitter ih_emitter;

ih_emitter *ih_emitter_new(const ih_emit_opts *opts);
/* Flushes nothing: call ih_emitter_flush first.  NULL is fine. */
void ih_emitter_free(ih_emitter *em);

/*
 * Validate and buffer one snapshot.  Returns IH_OK, IH_ERR_FATAL when the
 * row was rejected (counted, first few logged with the reason), or
 * IH_ERR_TRANSIENT when a flush failed after its retries (the run should
 * end; rows committed before stay).
 */
int ih_emitter_add(ih_emitter *em, const ih_snapshot *s);
/* The marketplace has no price for this card: mark it with the next flush. */
void ih_emitter_mark_done(ih_emitter *em, int32_t card_id);
/* Write whatever is buffered.  Returns IH_OK or IH_ERR_TRANSIENT. */
int ih_emitter_flush(ih_emitter *em);
const ih_emit_stats *ih_emitter_stats(const ih_emitter *em);
/* Text of the last write failure ("" if none). */
const char *ih_emitter_error(const ih_emitter *em);

/*
 * Check one snapshot's vocabulary and money.  Returns 0, or -1 with the
 * reason in why.  card_known: the caller could resolve its card.
 */
int ih_snapshot_validate(const ih_snapshot *s, char *why, size_t len);

#endif
