/*
 * writer -- a run's writer thread: it takes the batches queued behind a
 * write together (up to FLUSH_MAX_ROWS), writes them in one transaction,
 * retries a failed flush until the give-up time, and marks the cards of
 * what committed.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "host/emit.h"
#include "host/emit_int.h"
#include "store/bulk.h"
#include "store/cache.h"
#include "store/pool.h"

/* ---- the writer ------------------------------------------------------- */

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

/* Sort and deduplicate ids in place; returns the count left. */
static size_t uniq(int32_t *ids, size_t n)
{
	size_t u = 0;

	qsort(ids, n, sizeof *ids, cmp_i32);
	for (size_t i = 0; i < n; i++)
		if (ids[i] > 0 && (u == 0 || ids[u - 1] != ids[i]))
			ids[u++] = ids[i];
	return u;
}

static int marked_in(const int32_t *sorted, size_t n, int32_t id)
{
	return bsearch(&id, sorted, n, sizeof *sorted, cmp_i32) != NULL;
}

/* What one successful write of a batch did. */
typedef struct outcome {
	long written, unmatched, cache_hits, cached_rows;
	int32_t *mark; /* cards to mark, malloc'd */
	size_t nmark;
} outcome;

static void to_snap(const ih_emitter *em, const row *r, ih_snap_row *d)
{
	d->card_id = r->card_id;
	d->marketplace_id = em->o.marketplace_id;
	d->condition = r->condition;
	d->finish = r->finish;
	d->language = r->language;
	d->currency = r->currency;
	d->price = r->price;
	d->price_low = r->low[0] ? r->low : NULL;
	d->price_mid = r->mid[0] ? r->mid : NULL;
	d->price_high = r->high[0] ? r->high : NULL;
	d->num_listings = r->num_listings;
	d->source = em->o.source;
}

/* The batches of one flush: `n` batches from `first`, `rows` rows. */
typedef struct flush {
	batch *first;
	size_t n, rows;
} flush;

/*
 * One attempt at a flush: resolve the rows named by scryfall id when the
 * cache must be consulted, drop the rows of marked cards (bulk runs), write
 * the rest in one transaction (statements of batch_size rows, or COPY at or
 * above copy_threshold), and list the cards to mark.  The batches are not
 * changed, so a failed attempt can be repeated as it was.
 */
static int write_once(ih_emitter *em, const flush *f, outcome *out, char *err, size_t errlen)
{
	size_t n = f->rows, nw = 0, nhit = 0, ndone = 0;
	const row **rp = calloc(n + 1, sizeof *rp);
	int32_t *ids = calloc(n + 1, sizeof *ids), *hitids = NULL, *cids = calloc(n + 1, sizeof *cids);
	const char **sids = calloc(n + 1, sizeof *sids);
	uint8_t *hit = NULL;
	ih_snap_row *snaps = calloc(n + 1, sizeof *snaps);
	const batch *b = f->first;
	PGconn *c = NULL;
	int rc = -1;

	memset(out, 0, sizeof *out);
	for (size_t i = 0, k = 0; i < f->n; i++, b = b->next) {
		for (size_t j = 0; rp != NULL && j < b->n; j++)
			rp[k++] = &b->rows[j];
		ndone += b->ndone;
	}
	out->mark = calloc(n + ndone + 1, sizeof *out->mark);
	if (rp == NULL || ids == NULL || cids == NULL || sids == NULL || snaps == NULL || out->mark == NULL) {
		snprintf(err, errlen, "out of memory writing %zu rows", n);
		goto out;
	}
	c = ih_pool_get(em->o.pool, err, errlen);
	if (c == NULL)
		goto out;
	for (size_t i = 0; i < n; i++)
		ids[i] = rp[i]->card_id;
	if (em->o.filter_cached && em->o.cache != NULL) {
		size_t k = 0, nu;

		for (size_t i = 0; i < n; i++)
			if (ids[i] == 0)
				sids[k++] = rp[i]->scryfall_id;
		if (k > 0) {
			if (ih_bulk_resolve_scryfall(c, sids, k, cids, err, errlen) != 0)
				goto out;
			for (size_t i = 0, j = 0; i < n; i++)
				if (ids[i] == 0)
					ids[i] = cids[j++];
		}
		hitids = malloc((n + 1) * sizeof *hitids);
		hit = calloc(n + 1, 1);
		if (hitids == NULL || hit == NULL) {
			snprintf(err, errlen, "out of memory writing %zu rows", n);
			goto out;
		}
		memcpy(hitids, ids, n * sizeof *ids);
		nu = uniq(hitids, n);
		ih_cache_get_marked(em->o.cache, em->o.marketplace_id, hitids, nu, hit);
		for (size_t i = 0; i < nu; i++)
			if (hit[i])
				hitids[nhit++] = hitids[i];
		out->cache_hits = (long)nhit;
	}
	for (size_t i = 0; i < n; i++) {
		const row *r = rp[i];

		if (nhit > 0 && ids[i] > 0 && marked_in(hitids, nhit, ids[i])) {
			out->cached_rows++;
			continue;
		}
		sids[nw] = r->card_id > 0 ? NULL : r->scryfall_id;
		to_snap(em, r, &snaps[nw++]);
	}
	/* the whole flush in one transaction: one commit, or none */
	if (ih_bulk_write_snapshots_ex(c, em->o.cycle_time, snaps, sids, nw, em->o.batch_size, em->o.copy_threshold,
				       IH_BULK_ONE_TX, cids, &out->written, err, errlen) != 0)
		goto out;
	for (size_t i = 0; i < nw; i++) {
		if (cids[i] != 0)
			out->mark[out->nmark++] = cids[i];
		else
			out->unmatched++;
	}
	b = f->first;
	for (size_t i = 0; i < f->n; i++, b = b->next)
		for (size_t j = 0; j < b->ndone; j++)
			out->mark[out->nmark++] = b->done[j];
	out->nmark = uniq(out->mark, out->nmark);
	rc = 0;
out:
	if (c != NULL)
		ih_pool_put(em->o.pool, c);
	if (rc != 0) {
		free(out->mark);
		out->mark = NULL;
	}
	free(rp);
	free(ids);
	free(cids);
	free(sids);
	free(snaps);
	free(hitids);
	free(hit);
	return rc;
}

/* Write one flush, retrying until it is written or the give-up time passes. */
static void write_flush(ih_emitter *em, const flush *f)
{
	const ih_clock *clk = em->o.clock;
	double wait = RETRY_MIN, first_fail = 0, logged_at = 0;
	char err[512];
	outcome o;

	for (long attempt = 1;; attempt++) {
		double now;

		if (write_once(em, f, &o, err, sizeof err) == 0) {
			if (em->o.cache != NULL && o.nmark > 0)
				ih_cache_mark(em->o.cache, em->o.marketplace_id, o.mark, o.nmark, em->o.cycle_time);
			pthread_mutex_lock(&em->mu);
			em->st.written += o.written;
			em->st.unmatched += o.unmatched;
			em->st.cache_hits += o.cache_hits;
			em->st.cached_rows += o.cached_rows;
			em->st.marked += em->o.cache != NULL ? (long)o.nmark : 0;
			pthread_mutex_unlock(&em->mu);
			if (attempt > 1)
				ih_notice("the database is back: wrote %zu rows after %ld attempts in %.1f s", f->rows,
					  attempt, ih_clock_now(clk) - first_fail);
			free(o.mark);
			return;
		}
		now = ih_clock_now(clk);
		pthread_mutex_lock(&em->mu);
		em->st.failures++;
		snprintf(em->error, sizeof em->error, "%s", err);
		if (attempt == 1)
			first_fail = now;
		if (now >= em->o.give_up_at || em->gave_up) {
			em->gave_up = 1;
			pthread_mutex_unlock(&em->mu);
			ih_err("giving up %zu rows after %ld attempts: the run's deadline has come (%s); their cards "
			       "stay unmarked and are fetched again next cycle", f->rows, attempt, err);
			return;
		}
		if (wait > em->o.give_up_at - now)
			wait = em->o.give_up_at - now;
		em->kick = 0;
		pthread_mutex_unlock(&em->mu);
		if (attempt == 1 || now - logged_at >= RETRY_LOG_EVERY) {
			ih_warn("writing %zu rows failed (attempt %ld), kept in memory and retried until the deadline "
				"in %.0f s: %s", f->rows, attempt, em->o.give_up_at - now, err);
			logged_at = now;
		}
		ih_clock_sleep(clk, wait, &em->kick);
		wait = wait * 2 > RETRY_MAX ? RETRY_MAX : wait * 2;
	}
}

/* The queued batches the next flush takes, oldest first: at least one, and
 * more while the total stays within FLUSH_MAX_ROWS.  Caller holds mu. */
static flush next_flush(const ih_emitter *em)
{
	flush f = { em->head, 1, em->head->n };

	for (const batch *b = em->head->next; b != NULL && f.rows + b->n <= FLUSH_MAX_ROWS; b = b->next) {
		f.n++;
		f.rows += b->n;
	}
	return f;
}

void *ih_emitter_writer_main(void *arg)
{
	ih_emitter *em = arg;
	char ctx[64];

	/* the plugin's name on this thread's log lines too */
	snprintf(ctx, sizeof ctx, "%s", em->o.source != NULL ? em->o.source : "writer");
	ih_log_set_context(ctx);
	pthread_mutex_lock(&em->mu);
	for (;;) {
		flush f;
		int skip;

		while (em->head == NULL && !em->closing)
			pthread_cond_wait(&em->cv, &em->mu);
		if (em->head == NULL)
			break;
		f = next_flush(em);
		skip = em->gave_up;
		pthread_mutex_unlock(&em->mu);
		if (!skip)
			write_flush(em, &f);
		pthread_mutex_lock(&em->mu);
		if (em->gave_up)
			em->st.unwritten += (long)f.rows;
		for (size_t i = 0; i < f.n; i++) {
			batch *b = em->head;

			em->head = b->next;
			ih_batch_free(b);
		}
		if (em->head == NULL)
			em->tail = NULL;
		em->queued -= (long)f.rows;
		pthread_cond_broadcast(&em->cv);
	}
	pthread_mutex_unlock(&em->mu);
	ih_log_set_context(NULL);
	return NULL;
}
