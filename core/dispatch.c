#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "bulk.h"
#include "identity.h"
#include "cache.h"
#include "clock.h"
#include "conf.h"
#include "dispatch.h"
#include "emit.h"
#include "http.h"
#include "log.h"
#include "pool.h"

/* After the deadline, how long a stopped run may take to flush and return. */
#define GRACE_SECONDS 10.0

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t finished_cv = PTHREAD_COND_INITIALIZER;

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

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

static const char *status_name(int rc, const ih_run *r)
{
	switch (rc) {
	case IH_OK: return "ok";
	case IH_ERR_AUTH: return "auth_failed";
	case IH_ERR_RATE_LIMITED: return "rate_limited";
	case IH_ERR_TRANSIENT: return "transient";
	case IH_ERR_STOPPED: return r->host->stop ? "stopped" : "timeout";
	default: return "fatal";
	}
}

/*
 * Steps 1 and 2: drop cards marked in the cache, then those the database
 * has a fresh snapshot of (one query).  Returns the cards left to fetch
 * (malloc'd, maybe empty) or NULL with r->last_error set.
 */
static ih_card *cards_to_fetch(ih_run *r, size_t *nout)
{
	size_t n = r->nall, k = 0;
	int32_t *ids = calloc(n + 1, sizeof *ids);
	uint8_t *hit = calloc(n + 1, 1), *fresh = calloc(n + 1, 1);
	ih_card *out = calloc(n + 1, sizeof *out);
	long long freshness = r->host->cfg->ingest.freshness;
	PGconn *c;

	*nout = 0;
	if (ids == NULL || hit == NULL || fresh == NULL || out == NULL) {
		snprintf(r->last_error, sizeof r->last_error, "out of memory for %zu cards", n);
		goto fail;
	}
	for (size_t i = 0; i < n; i++)
		ids[i] = r->all_cards[i].card_id;
	r->stats.cache_hits = (long)ih_cache_get_marked(r->host->cache, r->inst->marketplace_id, ids, n, hit);
	for (size_t i = 0; i < n; i++)
		if (!hit[i])
			ids[k++] = r->all_cards[i].card_id;
	ih_pc_int(r->inst->pc, "freshness", &freshness);
	if (k > 0) {
		c = ih_pool_get(r->host->pool, r->last_error, sizeof r->last_error);
		if (c == NULL)
			goto fail;
		if (ih_bulk_fresh_cards(c, r->inst->marketplace_id, ids, k, (long)freshness, r->cycle_time, fresh,
					r->last_error, sizeof r->last_error) != 0) {
			ih_pool_put(r->host->pool, c);
			goto fail;
		}
		ih_pool_put(r->host->pool, c);
	}
	k = 0;
	for (size_t i = 0, j = 0; i < n; i++) {
		if (hit[i])
			continue;
		if (fresh[j++])
			r->stats.fresh++;
		else
			out[k++] = r->all_cards[i];
	}
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

static struct ih_http_client *make_http(ih_run *r)
{
	ih_http_options o;
	ih_http_client *c = NULL;

	ih_http_options_init(&o);
	ih_http_options_from_config(&o, r->host->cfg, r->inst->pc);
	o.name = r->inst->name;
	o.clock = r->host->clock;
	o.stop = &r->stop;
	return ih_http_client_new(&o, &c) == 0 ? c : NULL;
}

static void write_blueprints(ih_run *r)
{
	char err[512];
	PGconn *c;

	if (r->nbp == 0)
		return;
	c = ih_pool_get(r->host->pool, err, sizeof err);
	if (c == NULL || ih_bulk_set_blueprints(c, r->bp_card, r->bp_id, r->nbp, err, sizeof err) != 0)
		ih_warn("could not store %zu CardTrader blueprint ids (they are looked up again next run): %s",
			r->nbp, err);
	if (c != NULL)
		ih_pool_put(r->host->pool, c);
}

/* One plugin's run, on its own thread. */
static void *run_thread(void *arg)
{
	ih_run *r = arg;
	ih_instance *in = r->inst;
	const ih_card *cards = NULL;
	ih_card *todo = NULL;
	size_t n = 0;
	double t0 = mono();
	int rc = IH_OK, frc;
	ih_emit_opts eo;

	ih_log_set_context(in->name);
	if (in->desc->fetch_mode == IH_FETCH_CARD_LIST) {
		r->stats.requested = (long)r->nall;
		todo = cards_to_fetch(r, &n);
		if (todo == NULL) {
			rc = IH_ERR_TRANSIENT;
			ih_err("cannot choose the cards to fetch: %s", r->last_error);
			goto done;
		}
		cards = todo;
		r->stats.fetched = (long)n;
		ih_debug("%zu cards: %ld cached, %ld fresh in the database, %zu to fetch", r->nall,
			 r->stats.cache_hits, r->stats.fresh, n);
	}
	memset(&eo, 0, sizeof eo);
	eo.pool = r->host->pool;
	eo.cache = r->host->cache;
	eo.clock = r->host->clock;
	eo.stop = &r->stop;
	eo.marketplace_id = in->marketplace_id;
	eo.cycle_time = r->cycle_time;
	eo.source = in->name;
	eo.batch_size = (int)r->host->cfg->ingest.batch_size;
	eo.copy_threshold = (long)r->host->cfg->ingest.copy_threshold;
	eo.cards = cards;
	eo.ncards = n;
	r->em = ih_emitter_new(&eo);
	r->http = make_http(r);
	if (r->em == NULL || r->http == NULL) {
		rc = IH_ERR_FATAL;
		snprintf(r->last_error, sizeof r->last_error, "out of memory starting the run");
		goto done;
	}
	if (in->desc->fetch_mode == IH_FETCH_BULK || n > 0)
		rc = in->desc->collect(in->state, &r->ctx, cards, n);
	/* Step 4's tail: whatever the outcome, write what was collected. */
	frc = ih_emitter_flush(r->em);
	if (rc == IH_OK && frc != IH_OK) {
		rc = frc;
		snprintf(r->last_error, sizeof r->last_error, "database write failed: %s", ih_emitter_error(r->em));
	}
	write_blueprints(r);
done:
	if (r->em != NULL) {
		const ih_emit_stats *es = ih_emitter_stats(r->em);

		r->stats.written = es->written;
		r->stats.rejected = es->rejected;
		r->stats.unmatched = es->unmatched;
	}
	r->stats.rejected += r->plugin_rejected;
	r->stats.unmatched += r->plugin_unmatched;
	r->stats.not_found = r->not_found;
	if (r->http != NULL)
		ih_http_stats(r->http, &r->stats.requests, &r->stats.retries);
	snprintf(r->stats.status, sizeof r->stats.status, "%s", status_name(rc, r));
	if (rc == IH_ERR_AUTH)
		ih_err("credentials rejected by the marketplace: check the keys in plugins.%s (not retried)",
		       in->name);
	if (rc != IH_OK && rc != IH_ERR_STOPPED)
		snprintf(r->stats.error, sizeof r->stats.error, "%s",
			 r->last_error[0] ? r->last_error : "the plugin reported an error");
	else if (rc == IH_ERR_STOPPED)
		snprintf(r->stats.error, sizeof r->stats.error, "%s",
			 r->host->stop ? "stopped by a signal at a safe point" : "still running at the deadline");
	r->stats.seconds = mono() - t0;
	ih_info("run ended: %s; %ld rows written, %ld requests, %ld retries, %.2f s", r->stats.status,
		r->stats.written, r->stats.requests, r->stats.retries, r->stats.seconds);
	ih_http_client_free(r->http);
	ih_emitter_free(r->em);
	r->http = NULL;
	r->em = NULL;
	free(todo);
	free(r->bp_card);
	free(r->bp_id);
	ih_log_set_context(NULL);
	pthread_mutex_lock(&lock);
	r->finished = 1;
	if (r->abandoned) {
		/* the cycle moved on without us: nobody else will free this */
		pthread_mutex_unlock(&lock);
		free(r);
		return NULL;
	}
	pthread_cond_broadcast(&finished_cv);
	pthread_mutex_unlock(&lock);
	return NULL;
}

/* The cycle's cards as the ABI's ih_card, pointing into the list. */
static ih_card *to_cards(const ih_card_list *l)
{
	ih_card *v = calloc(l->n + 1, sizeof *v);

	for (size_t i = 0; v != NULL && i < l->n; i++) {
		const ih_card_row *c = &l->v[i];

		v[i].card_id = c->id;
		v[i].scryfall_id = c->scryfall_id;
		v[i].name = c->name;
		v[i].set_code = c->set_code;
		v[i].collector_number = c->collector_number;
		v[i].lang = c->lang;
		v[i].tcgplayer_id = c->tcgplayer_id;
		v[i].tcgplayer_etched_id = c->tcgplayer_etched_id;
		v[i].cardmarket_id = c->cardmarket_id;
		v[i].cardtrader_blueprint_id = c->cardtrader_blueprint_id;
		v[i].mtgo_id = c->mtgo_id;
	}
	return v;
}

static void wait_until(double when)
{
	struct timespec ts;
	double left = when - mono();
	struct timeval now;

	if (left <= 0)
		return;
	gettimeofday(&now, NULL);
	ts.tv_sec = now.tv_sec + (time_t)left;
	ts.tv_nsec = (long)(now.tv_usec * 1000 + (left - (double)(time_t)left) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&finished_cv, &lock, &ts);
}

int ih_dispatch_cycle(ih_host *h, ih_cycle *out)
{
	ih_card_list list = { 0 };
	ih_card *cards = NULL;
	ih_run **runs;
	double t0 = mono(), deadline, grace_end = 0;
	int abandoned = 0, failed = 0;
	PGconn *c;

	memset(out, 0, sizeof *out);
	iso_now(out->time, sizeof out->time);
	ih_cache_cycle_begin(h->cache);
	c = ih_pool_get(h->pool, out->infra_error, sizeof out->infra_error);
	if (c == NULL)
		return 2;
	if (ih_bulk_priority_cards(c, (int)h->cfg->ingest.cards_per_cycle, &list, out->infra_error,
				   sizeof out->infra_error) != 0) {
		ih_pool_put(h->pool, c);
		return 2;
	}
	ih_pool_put(h->pool, c);
	cards = to_cards(&list);
	runs = calloc(h->ninst + 1, sizeof *runs);
	out->runs = calloc(h->ninst + 1, sizeof *out->runs);
	if (cards == NULL || runs == NULL || out->runs == NULL) {
		snprintf(out->infra_error, sizeof out->infra_error, "out of memory starting a cycle");
		free(cards);
		free(runs);
		ih_card_list_free(&list);
		return 2;
	}
	ih_info("cycle %s: %zu cards, %zu plugins", out->time, list.n, h->ninst);
	for (size_t i = 0; i < h->ninst; i++) {
		ih_run *r = calloc(1, sizeof *r);
		char tname[16];

		runs[i] = r;
		if (r == NULL)
			continue;
		r->inst = h->inst[i];
		r->host = h;
		r->ctx.inst = h->inst[i];
		r->ctx.host = h;
		r->ctx.run = r;
		r->cycle_time = out->time;
		r->all_cards = cards;
		r->nall = list.n;
		snprintf(r->stats.name, sizeof r->stats.name, "%s", h->inst[i]->name);
		if (pthread_create(&r->thread, NULL, run_thread, r) != 0) {
			snprintf(r->stats.status, sizeof r->stats.status, "fatal");
			snprintf(r->stats.error, sizeof r->stats.error, "cannot start a thread: %s", strerror(errno));
			r->finished = 1;
			continue;
		}
		r->started = 1;
		snprintf(tname, sizeof tname, "ih-%.12s", h->inst[i]->name);
		pthread_setname_np(r->thread, tname);
	}
	/* Wait for every run; stop them at the deadline or on shutdown. */
	deadline = t0 + (double)h->cfg->ingest.deadline;
	pthread_mutex_lock(&lock);
	for (;;) {
		int running = 0;
		double now = mono(), next;

		for (size_t i = 0; i < h->ninst; i++)
			running += runs[i] != NULL && !runs[i]->finished;
		if (running == 0)
			break;
		if (h->stop || now >= deadline) {
			for (size_t i = 0; i < h->ninst; i++)
				if (runs[i] != NULL && !runs[i]->finished)
					runs[i]->stop = 1;
			if (grace_end == 0)
				grace_end = now + GRACE_SECONDS;
		}
		if (grace_end != 0 && now >= grace_end)
			break;
		/* wake up for a signal's stop flag at least every 200 ms */
		next = now + 0.2;
		if (deadline > now && deadline < next)
			next = deadline;
		wait_until(next);
	}
	for (size_t i = 0; i < h->ninst; i++) {
		ih_run *r = runs[i];

		if (r == NULL) {
			snprintf(out->runs[i].status, sizeof out->runs[i].status, "fatal");
			snprintf(out->runs[i].error, sizeof out->runs[i].error, "out of memory");
			continue;
		}
		if (!r->finished) {
			/* it did not stop in time: report and leave it to free itself */
			r->abandoned = 1;
			out->runs[i] = r->stats;
			snprintf(out->runs[i].status, sizeof out->runs[i].status, "timeout");
			snprintf(out->runs[i].error, sizeof out->runs[i].error,
				 "still running %.0f s past the deadline of %lld s", GRACE_SECONDS,
				 h->cfg->ingest.deadline);
			pthread_detach(r->thread);
			runs[i] = NULL;
			abandoned = 1;
			continue;
		}
		out->runs[i] = r->stats;
		if (r->stop && !h->stop && strcmp(r->stats.status, "ok") == 0) {
			/* it returned ok after being told to stop at the deadline */
			snprintf(out->runs[i].status, sizeof out->runs[i].status, "timeout");
			snprintf(out->runs[i].error, sizeof out->runs[i].error, "stopped at the deadline of %lld s",
				 h->cfg->ingest.deadline);
		}
	}
	pthread_mutex_unlock(&lock);
	for (size_t i = 0; i < h->ninst; i++) {
		if (runs[i] == NULL)
			continue;
		if (runs[i]->started)
			pthread_join(runs[i]->thread, NULL);
		free(runs[i]);
	}
	out->n = h->ninst;
	for (size_t i = 0; i < out->n; i++)
		if (strcmp(out->runs[i].status, "ok") != 0 && strcmp(out->runs[i].status, "stopped") != 0)
			failed = 1;
	out->seconds = mono() - t0;
	free(runs);
	/* abandoned runs still read the card list: leave it to them */
	if (!abandoned) {
		free(cards);
		ih_card_list_free(&list);
	}
	return failed ? 3 : 0;
}

void ih_cycle_free(ih_cycle *c)
{
	free(c->runs);
	c->runs = NULL;
	c->n = 0;
}
