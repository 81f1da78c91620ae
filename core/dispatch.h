/*
 * dispatch -- one cycle: the priority cards, then every plugin in its own
 * named thread at once, each running CONTRACT §6's five steps (cache,
 * freshness, fetch, batched writes, cache marks) with its own error
 * handling, and a summary of every run.
 */
#ifndef IH_DISPATCH_H
#define IH_DISPATCH_H

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include "host.h"
#include "host_services.h"

typedef struct ih_run_stats {
	char name[64];
	char status[16];   /* ok auth_failed rate_limited transient fatal timeout stopped */
	char error[512];   /* "" when none */
	long requested, cache_hits, fresh, fetched, written, unmatched, rejected, not_found;
	long requests, retries;
	double seconds;
} ih_run_stats;

/* One plugin's run; lives on its thread. */
typedef struct ih_run {
	struct ih_ctx ctx;
	ih_instance *inst;
	ih_host *host;
	const char *cycle_time;
	const ih_card *all_cards;   /* the cycle's priority list */
	size_t nall;
	struct ih_http_client *http;
	struct ih_emitter *em;
	volatile int stop;          /* deadline or shutdown: stop between requests */
	long plugin_rejected, plugin_unmatched, not_found;
	int32_t *bp_card, *bp_id;   /* blueprint ids learnt, written at the end */
	size_t nbp, capbp;
	char last_error[512];
	ih_run_stats stats;
	pthread_t thread;
	int started, finished, abandoned;
} ih_run;

typedef struct ih_cycle {
	char time[40];     /* the cycle's start, ISO-8601 UTC: every row's time */
	double seconds;
	ih_run_stats *runs;
	size_t n;
	char infra_error[512]; /* set when the cycle could not start */
} ih_cycle;

/*
 * Run one cycle over every loaded instance.  Returns IH_EXIT_OK when every
 * run ended ok, IH_EXIT_PLUGIN when one did not, IH_EXIT_INFRA when the
 * cycle could not start (the database is unreachable).  *out is filled in
 * every case; free with ih_cycle_free.  Main thread.
 */
int ih_dispatch_cycle(ih_host *h, ih_cycle *out);
void ih_cycle_free(ih_cycle *c);

/* Print the per-plugin table, the JSON object, or one log line. */
void ih_cycle_print_table(const ih_cycle *c, FILE *f);
void ih_cycle_print_json(const ih_cycle *c, FILE *f);
void ih_cycle_log(const ih_cycle *c);

#endif
