/*
 * run -- one plugin's run in a cycle, on a thread of its own, owning copies
 * of everything it reads (the cycle time, the card list, the settings), so
 * it may outlive the cycle that started it without reading freed memory.
 *
 * A run does CONTRACT §6's five steps: cache, freshness, fetch (the
 * plugin's collect), writes (core/emit, on a writer thread), cache marks;
 * then it records its end in ingest_runs.  The host starts at most one run
 * per plugin instance at a time (host.h: ih_instance.live).  A run told to
 * stop (deadline or signal) stops fetching at the plugin's next request,
 * writes what it collected (until the deadline, or stop_wait after a
 * signal) and returns.
 *
 * Threads: ih_run_start, ih_run_free on the host's main thread;
 * ih_run_stop, ih_run_finished, ih_run_snapshot, ih_run_wait_any on any.
 */
#ifndef IH_RUN_H
#define IH_RUN_H

#include <stdatomic.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include "host/host.h"
#include "worker/wire.h"

struct ih_card_list;

typedef struct ih_run_stats {
	char name[64];
	char status[16];   /* ok auth_failed rate_limited transient fatal timeout stopped busy crashed
	                      quarantined running */
	char error[512];   /* one line; "" when none */
	char cycle_time[40];
	long requested, cache_hits, fresh, fetched, written, unwritten, cached_rows, unmatched, rejected, not_found;
	long requests, retries;
	double seconds;
} ih_run_stats;

/* Why a run was told to stop. */
enum { IH_STOP_NONE = 0, IH_STOP_DEADLINE = 1, IH_STOP_SIGNAL = 2 };

/* The settings a run reads, copied when it starts. */
typedef struct ih_run_settings {
	long freshness;          /* seconds, the plugin's own or ingest.freshness */
	int batch_size;
	long copy_threshold;
	long max_buffered_rows;
	double deadline;         /* seconds after the start */
	double stop_wait;        /* seconds a stop waits for the run */
	double heartbeat_timeout; /* a worker's silence that kills it (process isolation) */
} ih_run_settings;

typedef struct ih_run {
	struct ih_ctx ctx;
	ih_instance *inst;
	ih_host *host;               /* the services read host->stop */
	struct ih_pool *pool;        /* those of the host when the run started */
	struct ih_cache *cache;
	const struct ih_clock *clock;
	ih_run_settings set;
	char cycle_time[40];
	ih_card *cards;              /* the cycle's priority list, a copy */
	size_t ncards;
	char *strings;               /* the cards' strings */
	double started;              /* clock->now() */
	atomic_int stop;             /* told to stop: between requests */
	atomic_int stop_cause;       /* IH_STOP_* */
	double stop_at;              /* clock->now() when first told to stop */
	struct ih_http_client *http;
	struct ih_emitter *em;       /* set on the run's thread, under mu */
	pthread_mutex_t mu;
	long plugin_rejected, plugin_unmatched, not_found;
	int32_t *bp_card, *bp_id;    /* blueprint ids learnt, written at the end */
	size_t nbp, capbp;
	char last_error[512];
	/* process isolation (core/worker) */
	int isolated;                /* collect runs in a worker process */
	ih_wbuf job;                 /* the worker's JOB frame, built at the start */
	long worker_pid;             /* while a worker lives; under mu */
	long w_requests, w_retries;  /* the worker's HTTP counters; under mu */
	int crashed;                 /* the worker died on its own: status crashed */
	int killed;                  /* the worker was killed past its stop */
	ih_run_stats stats;          /* final once finished */
	pthread_t thread;
	int finished;                /* under the runs' lock */
} ih_run;

/*
 * Start in's run over the cycle's cards (copied) with h's pool, cache,
 * clock and settings.  Returns the run (its thread running), or NULL with
 * err set.  Main thread.
 */
ih_run *ih_run_start(ih_host *h, ih_instance *in, const char *cycle_time, const struct ih_card_list *cards,
		     char *err, size_t errlen);

/* Tell the run to stop (cause IH_STOP_DEADLINE or IH_STOP_SIGNAL; the first
 * cause given is kept).  Returns the clock time it was first told.  Any
 * thread. */
double ih_run_stop(ih_run *r, int cause);

/* 1 once the run's thread has returned its results.  Any thread. */
int ih_run_finished(ih_run *r);

/* The final stats once finished; before that the live counters so far,
 * status "running".  Any thread. */
void ih_run_snapshot(ih_run *r, ih_run_stats *out);

/* Wait until any run finishes or `seconds` (real time) pass. */
void ih_run_wait_any(double seconds);

/* Join and free a finished run.  Main thread.  NULL is fine. */
void ih_run_free(ih_run *r);

#endif
