/*
 * dispatch -- one cycle: the priority cards, then every plugin in its own
 * named thread at once, each running CONTRACT §6's five steps (cache,
 * freshness, fetch, batched writes, cache marks) with its own error
 * handling, and a summary of every run.
 *
 * A plugin instance runs at most one collect at a time: while its previous
 * run is alive (told to stop at its deadline, not yet returned), later
 * cycles skip it with status `busy` and one warning.  The runs themselves
 * are core/run.
 */
#ifndef IH_DISPATCH_H
#define IH_DISPATCH_H

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include "host/host.h"
#include "host/run.h"

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

/*
 * Tell every live run to stop and wait for them, up to ingest.stop_wait
 * seconds after each was first told; reap those that returned.  Returns the
 * number still alive (their instances must not be unloaded).  Main thread.
 */
size_t ih_dispatch_drain(ih_host *h);


#endif
