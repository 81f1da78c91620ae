/*
 * emit -- snapshots handed over by a plugin, validated, buffered and written
 * by a writer thread of the run while the plugin goes on fetching.
 *
 * One emitter per plugin run.  The plugin's thread adds rows; they gather in
 * an open batch that is closed on a card boundary once it holds batch_size
 * rows, so all of a card's rows go in one batch.  The writer thread takes
 * the queued batches in order, as many as are waiting up to 20,000 rows
 * (FLUSH_MAX_ROWS; one batch is always taken whole), and writes them as one
 * flush in ONE transaction: below copy_threshold rows as statements of
 * batch_size rows each ending on a card boundary, at or above it by binary
 * COPY into the session's staging table and one upsert.  So a card's rows
 * are never split across commits, and a backlog (a plugin fetching faster
 * than the database writes, e.g. a bulk export) goes through COPY.  Rows
 * named by scryfall id are resolved through the identity map, a bulk run's
 * rows of cards the cache marks are dropped (counted as cache hits), the
 * rest are written, and only after the commit are the flush's cards marked
 * in the cache.
 *
 * A flush whose write fails (refused connection, restart, timeout, silence)
 * is rolled back whole, stays in memory and is retried, as it was, with
 * capped backoff on a new connection until the give-up time (the run's
 * deadline).  Meanwhile the plugin goes on
 * fetching; past max_buffered_rows unwritten rows, ih_emitter_add waits for
 * the writer.  Only at the give-up time are the rows still unwritten counted
 * (`unwritten`) and dropped; their cards are not marked.
 */
#ifndef IH_EMIT_H
#define IH_EMIT_H

#include <stddef.h>
#include <stdint.h>
#include "ingesthost/plugin.h"
#include "host/validate.h"

struct ih_pool;
struct ih_cache;
struct ih_clock;

typedef struct ih_emit_opts {
	struct ih_pool *pool;
	struct ih_cache *cache;        /* may be NULL */
	const struct ih_clock *clock;  /* now() for the give-up time, sleep() between retries */
	int16_t marketplace_id;
	const char *cycle_time;        /* ISO-8601 UTC, every row's time; borrowed */
	const char *source;            /* the plugin's name, stored in source; borrowed */
	int batch_size;                /* rows per batch and per statement (both end on a card boundary) */
	long copy_threshold;           /* rows of a flush at or above which it goes through COPY */
	long max_buffered_rows;        /* unwritten rows before add() waits */
	int filter_cached;             /* drop rows of cards the cache marks (bulk runs) */
	double give_up_at;             /* clock->now() after which a failed write is not retried */
	const ih_card *cards;          /* the run's card list (may be NULL); borrowed */
	size_t ncards;
} ih_emit_opts;

typedef struct ih_emit_stats {
	long accepted;    /* rows validated and buffered */
	long written;     /* rows committed */
	long unwritten;   /* rows given up at the give-up time */
	long rejected;    /* rows refused by validation */
	long unmatched;   /* rows whose card is not in the identity map */
	long marked;      /* cards marked fresh in the cache */
	long cache_hits;  /* cards whose rows were dropped because the cache marks them */
	long cached_rows; /* ... and those rows */
	long failures;    /* failed write attempts */
	long buffered;    /* rows handed to the writer and not yet written or given up */
} ih_emit_stats;

typedef struct ih_emitter ih_emitter;

/* Start an emitter and its writer thread.  NULL when out of memory. */
ih_emitter *ih_emitter_new(const ih_emit_opts *opts);
/* Stop the writer (rows still buffered count as unwritten) and free.  Call
 * ih_emitter_flush first to write them.  NULL is fine. */
void ih_emitter_free(ih_emitter *em);

/*
 * Validate and buffer one snapshot (the plugin's thread).  Returns IH_OK,
 * IH_ERR_FATAL when the row was rejected (counted, first few logged), or
 * IH_ERR_TRANSIENT once the writer has given up (the run should end).  Waits
 * while max_buffered_rows rows are unwritten.
 */
int ih_emitter_add(ih_emitter *em, const ih_snapshot *s);
/* The marketplace has no price for this card: mark it with its batch. */
void ih_emitter_mark_done(ih_emitter *em, int32_t card_id);
/* Close the open batch and wait until the writer has written every row or
 * given up.  Returns IH_OK, or IH_ERR_TRANSIENT when rows are unwritten. */
int ih_emitter_flush(ih_emitter *em);
/* Move the give-up time to `at` if that is earlier (a signal: stop soon).
 * Any thread. */
void ih_emitter_give_up_by(ih_emitter *em, double at);
/* A copy of the counters, consistent at one moment.  Any thread. */
void ih_emitter_stats(ih_emitter *em, ih_emit_stats *out);
/* Text of the last write failure ("" if none), copied.  Any thread. */
void ih_emitter_error(ih_emitter *em, char *buf, size_t len);

#endif
