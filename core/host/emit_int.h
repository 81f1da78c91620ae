/*
 * emit_int -- what emit.c (the plugin's side: validation, batching) shares
 * with writer.c (the writer thread: flushes, retries, marks).  Internal to
 * core/host.
 */
#ifndef IH_EMIT_INT_H
#define IH_EMIT_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "host/emit.h"

/* Backoff between write attempts: doubling from MIN to MAX seconds. */
#define RETRY_MIN 0.25
#define RETRY_MAX 5.0
/* While a write keeps failing, one log line per this many seconds. */
#define RETRY_LOG_EVERY 30.0
/* Rows the writer takes together from the queue into one transaction (a
 * single batch is always taken whole).  10x the default copy_threshold:
 * large enough that a backlog goes through COPY, small enough that one
 * transaction stays well inside the statement timeout and a failed flush
 * repeats little. */
#define FLUSH_MAX_ROWS 20000

/* A buffered row: fixed-size fields, validated lengths, no allocation. */
typedef struct row {
	int32_t card_id;
	char scryfall_id[40];
	char condition[4];
	char finish[8];
	char language[8]; /* "" = the card's own */
	char currency[4];
	char price[16], low[16], mid[16], high[16];
	int32_t num_listings;
} row;

/* Rows of whole cards, written in one commit, and the no-price cards. */
typedef struct batch {
	row *rows;
	size_t n, cap;
	int32_t *done;
	size_t ndone, capdone;
	struct batch *next;
} batch;

struct ih_emitter {
	ih_emit_opts o;
	size_t *by_id;       /* indexes into o.cards sorted by card_id */
	size_t *by_uuid;     /* ... and by scryfall_id */
	batch *open;         /* being filled: the plugin's thread only */
	pthread_mutex_t mu;  /* guards everything below */
	pthread_cond_t cv;   /* the queue or the writer's state changed */
	batch *head, *tail;  /* closed batches, oldest first; the first few are being written */
	long queued;         /* rows in closed batches */
	int closing;         /* no more batches: the writer exits when the queue is empty */
	int gave_up;         /* past the give-up time with a failed write */
	int full_logged;
	atomic_int kick;     /* cuts the writer's backoff short */
	ih_emit_stats st;
	char error[512];
	pthread_t writer;
	int writer_started;
};

/* An empty batch (NULL when out of memory); free with ih_batch_free. */
batch *ih_batch_new(void);
void ih_batch_free(batch *b);
/* The writer thread's body (writer.c); arg is the emitter. */
void *ih_emitter_writer_main(void *arg);

#endif
