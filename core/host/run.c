#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/bulk.h"
#include "store/cache.h"
#include "base/clock.h"
#include "base/conf.h"
#include "host/emit.h"
#include "net/http.h"
#include "store/identity.h"
#include "base/log.h"
#include "store/pool.h"
#include "host/run.h"
#include "store/runlog.h"
#include "worker/worker.h"

/* finished flags, and a condition to wait for any of them */
static pthread_mutex_t runs_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t runs_cv = PTHREAD_COND_INITIALIZER;

/* Fold a message into one line (libpq's errors span several). */
static void one_line(char *s)
{
	size_t n;

	for (char *p = s; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	n = strlen(s);
	while (n > 0 && s[n - 1] == ' ')
		s[--n] = '\0';
}

/* ---- the copies a run owns ----------------------------------------------- */

static size_t slen(const char *s)
{
	return s != NULL ? strlen(s) + 1 : 0;
}

static const char *sput(char **at, const char *s)
{
	char *d = *at;
	size_t n;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	memcpy(d, s, n);
	*at += n;
	return d;
}

/* The cycle's cards as the ABI's ih_card, strings copied into one block. */
static int copy_cards(ih_run *r, const ih_card_list *l)
{
	size_t bytes = 1;
	char *at;

	for (size_t i = 0; i < l->n; i++) {
		const ih_card_row *c = &l->v[i];

		bytes += slen(c->scryfall_id) + slen(c->name) + slen(c->set_code) + slen(c->collector_number) +
			 slen(c->lang);
	}
	r->cards = calloc(l->n + 1, sizeof *r->cards);
	r->strings = malloc(bytes);
	if (r->cards == NULL || r->strings == NULL)
		return -1;
	at = r->strings;
	for (size_t i = 0; i < l->n; i++) {
		const ih_card_row *c = &l->v[i];
		ih_card *v = &r->cards[i];

		v->card_id = c->id;
		v->scryfall_id = sput(&at, c->scryfall_id);
		v->name = sput(&at, c->name);
		v->set_code = sput(&at, c->set_code);
		v->collector_number = sput(&at, c->collector_number);
		v->lang = sput(&at, c->lang);
		v->tcgplayer_id = c->tcgplayer_id;
		v->tcgplayer_etched_id = c->tcgplayer_etched_id;
		v->cardmarket_id = c->cardmarket_id;
		v->cardtrader_blueprint_id = c->cardtrader_blueprint_id;
		v->mtgo_id = c->mtgo_id;
	}
	r->ncards = l->n;
	return 0;
}

static void settings(ih_run *r, const ih_config *cfg, const ih_plugin_config *pc)
{
	ih_plugin_settings ps;

	ih_pc_settings(pc, &ps);
	r->set.freshness = (long)ps.freshness;
	r->set.batch_size = (int)cfg->ingest.batch_size;
	r->set.copy_threshold = (long)cfg->ingest.copy_threshold;
	r->set.max_buffered_rows = (long)cfg->ingest.max_buffered_rows;
	r->set.deadline = (double)cfg->ingest.deadline;
	r->set.stop_wait = (double)cfg->ingest.stop_wait;
	r->set.heartbeat_timeout = ps.heartbeat_timeout > 0 ? (double)ps.heartbeat_timeout : 60;
}

static struct ih_http_client *make_http(ih_run *r, const ih_config *cfg)
{
	ih_http_options o;
	ih_http_client *c = NULL;

	ih_http_options_init(&o);
	ih_http_options_from_config(&o, cfg, r->inst->pc);
	o.name = r->inst->name;
	o.clock = r->clock;
	o.stop = &r->stop;
	return ih_http_client_new(&o, &c) == 0 ? c : NULL;
}

/* ---- the run's steps ------------------------------------------------------ */

/*
 * Steps 1 and 2: drop cards marked in the cache, then those the database
 * has a fresh snapshot of (one query).  Returns the cards left to fetch
 * (malloc'd, maybe empty) or NULL with r->last_error set.
 */
static ih_card *cards_to_fetch(ih_run *r, size_t *nout)
{
	size_t n = r->ncards, k = 0;
	int32_t *ids = calloc(n + 1, sizeof *ids);
	uint8_t *hit = calloc(n + 1, 1), *fresh = calloc(n + 1, 1);
	ih_card *out = calloc(n + 1, sizeof *out);
	long hits, nfresh = 0;
	PGconn *c;

	*nout = 0;
	if (ids == NULL || hit == NULL || fresh == NULL || out == NULL) {
		snprintf(r->last_error, sizeof r->last_error, "out of memory for %zu cards", n);
		goto fail;
	}
	for (size_t i = 0; i < n; i++)
		ids[i] = r->cards[i].card_id;
	hits = (long)ih_cache_get_marked(r->cache, r->inst->marketplace_id, ids, n, hit);
	for (size_t i = 0; i < n; i++)
		if (!hit[i])
			ids[k++] = r->cards[i].card_id;
	if (k > 0) {
		c = ih_pool_get(r->pool, r->last_error, sizeof r->last_error);
		if (c == NULL)
			goto fail;
		if (ih_bulk_fresh_cards(c, r->inst->marketplace_id, ids, k, r->set.freshness, r->cycle_time, fresh,
					r->last_error, sizeof r->last_error) != 0) {
			ih_pool_put(r->pool, c);
			goto fail;
		}
		ih_pool_put(r->pool, c);
	}
	k = 0;
	for (size_t i = 0, j = 0; i < n; i++) {
		if (hit[i])
			continue;
		if (fresh[j++])
			nfresh++;
		else
			out[k++] = r->cards[i];
	}
	pthread_mutex_lock(&r->mu);
	r->stats.cache_hits = hits;
	r->stats.fresh = nfresh;
	pthread_mutex_unlock(&r->mu);
	free(ids);
	free(hit);
	free(fresh);
	*nout = k;
	return out;
fail:
	free(ids);
	free(hit);
	free(fresh);
	free(out);
	return NULL;
}

/* Steps 1-2 for a bulk export: fresh while its last completed run is. */
static int bulk_fresh(ih_run *r, int *fresh)
{
	PGconn *c = ih_pool_get(r->pool, r->last_error, sizeof r->last_error);
	int rc;

	if (c == NULL)
		return -1;
	rc = ih_runlog_fresh(c, r->inst->marketplace_id, r->set.freshness, r->cycle_time, fresh, r->last_error,
			     sizeof r->last_error);
	ih_pool_put(r->pool, c);
	return rc;
}

static void write_blueprints(ih_run *r)
{
	char err[512];
	PGconn *c;

	if (r->nbp == 0)
		return;
	c = ih_pool_get(r->pool, err, sizeof err);
	if (c == NULL || ih_bulk_set_blueprints(c, r->bp_card, r->bp_id, r->nbp, err, sizeof err) != 0)
		ih_warn("could not store %zu CardTrader blueprint ids (they are looked up again next run): %s",
			r->nbp, err);
	if (c != NULL)
		ih_pool_put(r->pool, c);
}

static void record(ih_run *r)
{
	char err[512];
	PGconn *c = ih_pool_get(r->pool, err, sizeof err);

	if (c == NULL || ih_runlog_record(c, r->inst->marketplace_id, r->inst->name, r->cycle_time, r->stats.status,
					  r->stats.written, r->stats.unwritten, err, sizeof err) != 0)
		ih_warn("could not record the run's end (a bulk export is then fetched again): %s", err);
	if (c != NULL)
		ih_pool_put(r->pool, c);
}

static const char *status_name(int rc, int cause)
{
	switch (rc) {
	case IH_OK: return cause == IH_STOP_DEADLINE ? "timeout" : "ok";
	case IH_ERR_AUTH: return "auth_failed";
	case IH_ERR_RATE_LIMITED: return "rate_limited";
	case IH_ERR_TRANSIENT: return "transient";
	case IH_ERR_STOPPED: return cause == IH_STOP_SIGNAL ? "stopped" : "timeout";
	default: return "fatal";
	}
}

/* The counters so far; the caller holds r->mu. */
static void fill_counts(ih_run *r, ih_run_stats *s)
{
	if (r->em != NULL) {
		ih_emit_stats es;

		ih_emitter_stats(r->em, &es);
		s->written = es.written;
		s->unwritten = es.unwritten;
		s->rejected = es.rejected;
		s->unmatched = es.unmatched;
		s->cached_rows = es.cached_rows;
		if (r->inst->desc->fetch_mode == IH_FETCH_BULK)
			s->cache_hits = es.cache_hits;
	}
	s->rejected += r->plugin_rejected;
	s->unmatched += r->plugin_unmatched;
	s->not_found = r->not_found;
	if (r->http != NULL)
		ih_http_stats(r->http, &s->requests, &s->retries);
	s->requests += r->w_requests;
	s->retries += r->w_retries;
}

/* The final stats, built aside and published under the lock (a live
 * snapshot may read them meanwhile). */
static void finish(ih_run *r, int rc)
{
	int cause = r->stop_cause;
	ih_run_stats st;
	char dberr[400] = "";

	/* the plugin may see the host's stop flag before the cycle tells the run */
	if (cause == IH_STOP_NONE && r->host->stop)
		cause = IH_STOP_SIGNAL;
	if (r->em != NULL)
		ih_emitter_error(r->em, dberr, sizeof dberr);
	pthread_mutex_lock(&r->mu);
	st = r->stats;
	fill_counts(r, &st);
	pthread_mutex_unlock(&r->mu);
	if (r->crashed) {
		/* whatever else happened, the operator must see the crash */
		snprintf(st.status, sizeof st.status, "crashed");
		if (st.unwritten > 0)
			snprintf(st.error, sizeof st.error, "%.200s; %ld rows could not be stored: %.200s",
				 r->last_error, st.unwritten, dberr[0] ? dberr : "the database failed");
		else
			snprintf(st.error, sizeof st.error, "%s", r->last_error);
	} else if (st.unwritten > 0) {
		snprintf(st.status, sizeof st.status, "transient");
		snprintf(st.error, sizeof st.error, "%ld rows could not be stored before the %s: %s", st.unwritten,
			 cause == IH_STOP_SIGNAL ? "stop" : "deadline", dberr[0] ? dberr : "the database failed");
	} else {
		snprintf(st.status, sizeof st.status, "%s", status_name(rc, cause));
		if (rc != IH_OK && rc != IH_ERR_STOPPED)
			snprintf(st.error, sizeof st.error, "%s",
				 r->last_error[0] ? r->last_error : "the plugin reported an error");
		else if (r->killed)
			snprintf(st.error, sizeof st.error, "%s", r->last_error);
		else if (cause == IH_STOP_SIGNAL)
			snprintf(st.error, sizeof st.error, "stopped by a signal at a safe point");
		else if (cause == IH_STOP_DEADLINE)
			snprintf(st.error, sizeof st.error, "stopped at the deadline of %.0f s (ingest.deadline)",
				 r->set.deadline);
	}
	one_line(st.error);
	if (rc == IH_ERR_AUTH)
		ih_err("credentials rejected by the marketplace: check the keys in plugins.%s (not retried)",
		       r->inst->name);
	st.seconds = ih_clock_now(r->clock) - r->started;
	pthread_mutex_lock(&r->mu);
	r->stats = st;
	pthread_mutex_unlock(&r->mu);
}

/* One plugin's run, on its own thread. */
static void *run_thread(void *arg)
{
	ih_run *r = arg;
	ih_instance *in = r->inst;
	const ih_card *cards = NULL;
	ih_card *todo = NULL;
	size_t n = 0;
	int rc = IH_OK, frc;
	ih_emit_opts eo;
	ih_emitter *em;
	int skipped = 0;

	ih_log_set_context(in->name);
	if (in->desc->fetch_mode == IH_FETCH_CARD_LIST) {
		pthread_mutex_lock(&r->mu);
		r->stats.requested = (long)r->ncards;
		pthread_mutex_unlock(&r->mu);
		todo = cards_to_fetch(r, &n);
		if (todo == NULL) {
			rc = IH_ERR_TRANSIENT;
			ih_err("cannot choose the cards to fetch: %s", r->last_error);
			goto done;
		}
		cards = todo;
		pthread_mutex_lock(&r->mu);
		r->stats.fetched = (long)n;
		pthread_mutex_unlock(&r->mu);
		ih_debug("%zu cards: %ld cached, %ld fresh in the database, %zu to fetch", r->ncards,
			 r->stats.cache_hits, r->stats.fresh, n);
	} else {
		int fresh = 0;

		if (bulk_fresh(r, &fresh) != 0) {
			rc = IH_ERR_TRANSIENT;
			ih_err("cannot read the last completed export: %s", r->last_error);
			goto done;
		}
		if (fresh) {
			skipped = 1; /* not a new completed run: the old one stays the reference */
			ih_info("the last completed export is newer than %ld s: nothing to fetch", r->set.freshness);
			goto done;
		}
	}
	memset(&eo, 0, sizeof eo);
	eo.pool = r->pool;
	eo.cache = r->cache;
	eo.clock = r->clock;
	eo.marketplace_id = in->marketplace_id;
	eo.cycle_time = r->cycle_time;
	eo.source = in->name;
	eo.batch_size = r->set.batch_size;
	eo.copy_threshold = r->set.copy_threshold;
	eo.max_buffered_rows = r->set.max_buffered_rows;
	eo.filter_cached = in->desc->fetch_mode == IH_FETCH_BULK;
	eo.give_up_at = r->started + r->set.deadline;
	eo.cards = cards;
	eo.ncards = n;
	em = ih_emitter_new(&eo);
	if (em == NULL) {
		rc = IH_ERR_FATAL;
		snprintf(r->last_error, sizeof r->last_error, "out of memory starting the run");
		goto done;
	}
	pthread_mutex_lock(&r->mu);
	r->em = em;
	if (r->stop_cause == IH_STOP_SIGNAL)
		ih_emitter_give_up_by(em, ih_clock_now(r->clock) + r->set.stop_wait / 2);
	pthread_mutex_unlock(&r->mu);
	if (in->desc->fetch_mode == IH_FETCH_BULK || n > 0)
		rc = r->isolated ? ih_worker_collect(r, cards, n) : in->desc->collect(in->state, &r->ctx, cards, n);
	/* Step 4's tail: whatever the outcome, write what was collected. */
	frc = ih_emitter_flush(em);
	if (rc == IH_OK && frc != IH_OK)
		rc = frc;
	write_blueprints(r);
done:
	finish(r, rc);
	if (!skipped)
		record(r);
	ih_info("run ended: %s; %ld rows written, %ld unwritten, %ld cached rows dropped, %ld requests, %ld retries, "
		"%.2f s",
		r->stats.status, r->stats.written, r->stats.unwritten, r->stats.cached_rows, r->stats.requests,
		r->stats.retries, r->stats.seconds);
	pthread_mutex_lock(&r->mu);
	em = r->em;
	r->em = NULL;
	pthread_mutex_unlock(&r->mu);
	ih_emitter_free(em);
	free(todo);
	ih_log_set_context(NULL);
	pthread_mutex_lock(&runs_lock);
	r->finished = 1;
	pthread_cond_broadcast(&runs_cv);
	pthread_mutex_unlock(&runs_lock);
	return NULL;
}

/* ---- lifecycle ------------------------------------------------------------ */

static void run_release(ih_run *r)
{
	ih_http_client_free(r->http);
	free(r->cards);
	free(r->strings);
	free(r->bp_card);
	free(r->bp_id);
	ih_wbuf_free(&r->job);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

ih_run *ih_run_start(ih_host *h, ih_instance *in, const char *cycle_time, const ih_card_list *cards, char *err,
		     size_t errlen)
{
	ih_run *r = calloc(1, sizeof *r);
	char tname[16];
	int e;

	if (r == NULL) {
		snprintf(err, errlen, "out of memory starting a run");
		return NULL;
	}
	pthread_mutex_init(&r->mu, NULL);
	r->inst = in;
	r->host = h;
	r->pool = h->pool;
	r->cache = h->cache;
	r->clock = h->clock;
	r->ctx.inst = in;
	r->ctx.host = h;
	r->ctx.run = r;
	snprintf(r->cycle_time, sizeof r->cycle_time, "%s", cycle_time);
	snprintf(r->stats.name, sizeof r->stats.name, "%s", in->name);
	snprintf(r->stats.cycle_time, sizeof r->stats.cycle_time, "%s", cycle_time);
	settings(r, h->cfg, in->pc);
	r->isolated = in->isolated;
	if (r->isolated) {
		ih_plugin_settings ps;

		ih_pc_settings(in->pc, &ps);
		ih_worker_job(&r->job, in->path, in->name, h->cfg, ps.memory_limit_mb);
	}
	r->started = ih_clock_now(r->clock);
	if (copy_cards(r, cards) != 0 || r->job.oom || (r->http = make_http(r, h->cfg)) == NULL) {
		snprintf(err, errlen, "out of memory starting the run");
		run_release(r);
		return NULL;
	}
	e = pthread_create(&r->thread, NULL, run_thread, r);
	if (e != 0) {
		snprintf(err, errlen, "cannot start a thread: %s", strerror(e));
		run_release(r);
		return NULL;
	}
	snprintf(tname, sizeof tname, "ih-%.12s", in->name);
	pthread_setname_np(r->thread, tname);
	return r;
}

double ih_run_stop(ih_run *r, int cause)
{
	double at;

	pthread_mutex_lock(&r->mu);
	if (r->stop_cause == IH_STOP_NONE) {
		r->stop_cause = cause;
		r->stop_at = ih_clock_now(r->clock);
	}
	at = r->stop_at;
	r->stop = 1;
	/* after a signal, writes are retried stop_wait / 2 at most: the rest of
	 * stop_wait is for the run to return */
	if (r->em != NULL && cause == IH_STOP_SIGNAL)
		ih_emitter_give_up_by(r->em, ih_clock_now(r->clock) + r->set.stop_wait / 2);
	pthread_mutex_unlock(&r->mu);
	return at;
}

int ih_run_finished(ih_run *r)
{
	int f;

	pthread_mutex_lock(&runs_lock);
	f = r->finished;
	pthread_mutex_unlock(&runs_lock);
	return f;
}

void ih_run_snapshot(ih_run *r, ih_run_stats *out)
{
	if (ih_run_finished(r)) {
		*out = r->stats;
		return;
	}
	pthread_mutex_lock(&r->mu);
	*out = r->stats;
	fill_counts(r, out);
	pthread_mutex_unlock(&r->mu);
	snprintf(out->status, sizeof out->status, "running");
	out->seconds = ih_clock_now(r->clock) - r->started;
}

void ih_run_wait_any(double seconds)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)seconds;
	ts.tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&runs_lock);
	pthread_cond_timedwait(&runs_cv, &runs_lock, &ts);
	pthread_mutex_unlock(&runs_lock);
}

void ih_run_free(ih_run *r)
{
	if (r == NULL)
		return;
	pthread_join(r->thread, NULL);
	run_release(r);
}
