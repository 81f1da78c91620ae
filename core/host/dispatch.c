#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "store/bulk.h"
#include "store/cache.h"
#include "base/clock.h"
#include "base/conf.h"
#include "host/dispatch.h"
#include "base/log.h"
#include "store/pool.h"
#include "store/runlog.h"
#include "host/run.h"

/* How often the main thread looks at the signal flags and the clock. */
#define TICK_SECONDS 0.2

static void iso_now(char *buf, size_t len)
{
	struct timeval tv;
	struct tm tm;
	char base[32];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%06ldZ", base, (long)tv.tv_usec);
}

/* A run that outlived its cycle has returned: log its end and free it. */
static void reap(ih_instance *in)
{
	ih_run_stats s;

	ih_run_snapshot(in->live, &s);
	ih_notice("plugin %s: the run of cycle %s returned after its cycle: %s; %ld rows written, %ld unwritten",
		  in->name, s.cycle_time, s.status, s.written, s.unwritten);
	ih_run_free(in->live);
	in->live = NULL;
	ih_release(&in->busy, "plugin %s is no longer busy: it runs again from this cycle", in->name);
}

static void set_row(ih_run_stats *row, const char *name, const char *status, const char *error)
{
	memset(row, 0, sizeof *row);
	snprintf(row->name, sizeof row->name, "%s", name);
	snprintf(row->status, sizeof row->status, "%s", status);
	snprintf(row->error, sizeof row->error, "%s", error);
}

/* A crashed run counts towards the quarantine; any other ends the streak. */
static void count_crash(const ih_host *h, ih_instance *in, const ih_run_stats *s)
{
	if (strcmp(s->status, "crashed") != 0) {
		in->crashes = 0;
		return;
	}
	in->crashes++;
	if (in->crashes >= h->cfg->plugins.crash_limit && !in->quarantined) {
		in->quarantined = 1;
		ih_err("plugin %s: %d crashed runs in a row (plugins.crash_limit): quarantined, not run again until "
		       "SIGHUP or a restart; last: %s",
		       in->name, in->crashes, s->error);
	}
}

/* The quarantined plugins' rows in ingest_runs: what --list-plugins reads. */
static void record_quarantined(ih_host *h, const ih_cycle *out)
{
	PGconn *c = NULL;
	char err[512];

	for (size_t i = 0; i < h->ninst; i++) {
		if (!h->inst[i]->quarantined || strcmp(out->runs[i].status, "quarantined") != 0)
			continue;
		if (c == NULL && (c = ih_pool_get(h->pool, err, sizeof err)) == NULL) {
			ih_debug("cannot record the quarantined plugins: %s", err);
			return;
		}
		if (ih_runlog_record(c, h->inst[i]->marketplace_id, h->inst[i]->name, out->time, "quarantined", 0, 0,
				     err, sizeof err) != 0)
			ih_debug("cannot record plugin %s as quarantined: %s", h->inst[i]->name, err);
	}
	if (c != NULL)
		ih_pool_put(h->pool, c);
}

/* Start every instance's run, or say why not (busy, failed to start). */
static void start_runs(ih_host *h, ih_cycle *out, const ih_card_list *list, ih_run **runs)
{
	for (size_t i = 0; i < h->ninst; i++) {
		ih_instance *in = h->inst[i];
		char err[256];

		if (in->live != NULL && ih_run_finished(in->live))
			reap(in);
		if (in->quarantined) {
			char why[256];

			snprintf(why, sizeof why,
				 "set aside after %d consecutive crashes: fix the plugin, then SIGHUP or restart",
				 in->crashes);
			set_row(&out->runs[i], in->name, "quarantined", why);
			continue;
		}
		if (in->live != NULL) {
			ih_run_stats s;
			char why[512];

			ih_run_snapshot(in->live, &s);
			snprintf(why, sizeof why,
				 "the run of cycle %s is still alive after %.0f s (told to stop); skipped until it returns",
				 s.cycle_time, s.seconds);
			set_row(&out->runs[i], in->name, "busy", why);
			ih_complain(&in->busy, "plugin %s: %s", in->name, why);
			continue;
		}
		runs[i] = ih_run_start(h, in, out->time, list, err, sizeof err);
		if (runs[i] == NULL) {
			set_row(&out->runs[i], in->name, "fatal", err);
			continue;
		}
		in->live = runs[i];
	}
}

static size_t alive(ih_run *const *runs, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += runs[i] != NULL && !ih_run_finished(runs[i]);
	return k;
}

/*
 * Wait for the runs; at the deadline or on a signal tell them to stop, then
 * wait ingest.stop_wait more at most.  Returns the cause of a stop.
 */
static int wait_runs(ih_host *h, ih_run *const *runs, double t0)
{
	double deadline = t0 + (double)h->cfg->ingest.deadline, stop_at = 0;
	double stop_wait = (double)h->cfg->ingest.stop_wait;
	int cause = IH_STOP_NONE, signalled = 0;
	size_t n;

	while ((n = alive(runs, h->ninst)) > 0) {
		double now = ih_clock_now(h->clock);

		if (h->stop && !signalled) {
			signalled = 1;
			ih_notice("stop requested by a signal: %zu run(s) stop at their next request and write what they "
				  "collected", n);
			for (size_t i = 0; i < h->ninst; i++)
				if (runs[i] != NULL)
					ih_run_stop(runs[i], IH_STOP_SIGNAL);
		}
		if (cause == IH_STOP_NONE && (signalled || now >= deadline)) {
			cause = signalled ? IH_STOP_SIGNAL : IH_STOP_DEADLINE;
			stop_at = now;
			if (cause == IH_STOP_DEADLINE) {
				ih_warn("the deadline of %lld s (ingest.deadline) has come: telling %zu run(s) to stop",
					h->cfg->ingest.deadline, n);
				for (size_t i = 0; i < h->ninst; i++)
					if (runs[i] != NULL)
						ih_run_stop(runs[i], IH_STOP_DEADLINE);
			}
		}
		if (cause != IH_STOP_NONE && now >= stop_at + stop_wait)
			break;
		if (h->tick != NULL)
			h->tick(h);
		ih_run_wait_any(TICK_SECONDS);
	}
	return cause;
}

int ih_dispatch_cycle(ih_host *h, ih_cycle *out)
{
	ih_card_list list = { 0 };
	ih_run **runs;
	double t0 = ih_clock_now(h->clock);
	int failed = 0, cause;
	PGconn *c;

	memset(out, 0, sizeof *out);
	iso_now(out->time, sizeof out->time);
	ih_cache_cycle_begin(h->cache);
	/* one fresh connection attempt per cycle, whatever the pool's backoff */
	if (!ih_pool_reachable(h->pool))
		ih_pool_retry_now(h->pool);
	c = ih_pool_get(h->pool, out->infra_error, sizeof out->infra_error);
	if (c == NULL)
		return 2;
	if (ih_bulk_priority_cards(c, (int)h->cfg->ingest.cards_per_cycle, &list, out->infra_error,
				   sizeof out->infra_error) != 0) {
		ih_pool_put(h->pool, c);
		return 2;
	}
	ih_pool_put(h->pool, c);
	runs = calloc(h->ninst + 1, sizeof *runs);
	out->runs = calloc(h->ninst + 1, sizeof *out->runs);
	if (runs == NULL || out->runs == NULL) {
		snprintf(out->infra_error, sizeof out->infra_error, "out of memory starting a cycle");
		free(runs);
		free(out->runs);
		out->runs = NULL;
		ih_card_list_free(&list);
		return 2;
	}
	ih_info("cycle %s: %zu cards, %zu plugins", out->time, list.n, h->ninst);
	start_runs(h, out, &list, runs);
	ih_card_list_free(&list); /* every run has its own copy */
	cause = wait_runs(h, runs, t0);
	for (size_t i = 0; i < h->ninst; i++) {
		ih_run *r = runs[i];
		ih_instance *in = h->inst[i];

		if (r == NULL)
			continue;
		if (ih_run_finished(r)) {
			ih_run_snapshot(r, &out->runs[i]);
			ih_run_free(r);
			in->live = NULL;
			count_crash(h, in, &out->runs[i]);
			continue;
		}
		/* told to stop and not back yet: it stays the instance's live run */
		ih_run_snapshot(r, &out->runs[i]);
		snprintf(out->runs[i].status, sizeof out->runs[i].status, "timeout");
		snprintf(out->runs[i].error, sizeof out->runs[i].error,
			 "still running %lld s after it was told to stop (%s); later cycles report it busy until it "
			 "returns",
			 h->cfg->ingest.stop_wait, cause == IH_STOP_SIGNAL ? "by a signal" : "at the deadline");
		ih_warn("plugin %s: %s", in->name, out->runs[i].error);
	}
	out->n = h->ninst;
	record_quarantined(h, out);
	for (size_t i = 0; i < out->n; i++)
		if (strcmp(out->runs[i].status, "ok") != 0 && strcmp(out->runs[i].status, "stopped") != 0)
			failed = 1;
	out->seconds = ih_clock_now(h->clock) - t0;
	free(runs);
	return failed ? 3 : 0;
}

size_t ih_dispatch_drain(ih_host *h)
{
	double stop_wait = h->cfg != NULL ? (double)h->cfg->ingest.stop_wait : 0, until = 0;
	size_t n = 0;

	/* each run gets stop_wait from when it was first told to stop */
	for (size_t i = 0; i < h->ninst; i++)
		if (h->inst[i]->live != NULL) {
			double at = ih_run_stop(h->inst[i]->live, IH_STOP_SIGNAL) + stop_wait;

			until = at > until ? at : until;
			n++;
		}
	if (n == 0)
		return 0;
	ih_notice("waiting up to %.0f s (ingest.stop_wait) for %zu run(s) still alive",
		  until - ih_clock_now(h->clock) > 0 ? until - ih_clock_now(h->clock) : 0, n);
	for (;;) {
		n = 0;
		for (size_t i = 0; i < h->ninst; i++) {
			ih_instance *in = h->inst[i];

			if (in->live != NULL && ih_run_finished(in->live))
				reap(in);
			n += in->live != NULL;
		}
		if (n == 0 || ih_clock_now(h->clock) >= until)
			return n;
		ih_run_wait_any(TICK_SECONDS);
	}
}

void ih_cycle_free(ih_cycle *c)
{
	free(c->runs);
	c->runs = NULL;
	c->n = 0;
}
