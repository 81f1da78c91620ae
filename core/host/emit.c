#include <stdatomic.h>
#include "config.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "store/bulk.h"
#include "store/cache.h"
#include "base/clock.h"
#include "host/emit.h"
#include "base/log.h"
#include "store/pool.h"

/* Rejects logged per run before the rest are only counted. */
#define LOG_REJECTS 5
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

/* ---- validation ------------------------------------------------------- */

static int one_of(const char *s, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

/* Non-negative decimal text that fits numeric(12,2). */
static int money(const char *s)
{
	size_t i = 0, intd = 0, frac = 0;

	while (isdigit((unsigned char)s[i])) {
		i++;
		intd++;
	}
	if (s[i] == '.') {
		i++;
		while (isdigit((unsigned char)s[i])) {
			i++;
			frac++;
		}
		if (frac == 0)
			return 0;
	}
	return s[i] == '\0' && intd >= 1 && intd <= 10 && frac <= 2;
}

int ih_snapshot_validate(const ih_snapshot *s, char *why, size_t len)
{
	static const char *const conditions[] = { "NM", "LP", "MP", "HP", "DMG", NULL };
	static const char *const finishes[] = { "nonfoil", "foil", "etched", NULL };
	const char *prices[3] = { s->price_low, s->price_mid, s->price_high };

	if (s->card_id <= 0 && (s->scryfall_id == NULL || strlen(s->scryfall_id) != 36)) {
		snprintf(why, len, "no card: card_id %d and scryfall_id %s", (int)s->card_id,
			 s->scryfall_id != NULL ? s->scryfall_id : "(null)");
		return -1;
	}
	if (s->condition == NULL || !one_of(s->condition, conditions)) {
		snprintf(why, len, "condition '%.16s' is not one of NM LP MP HP DMG",
			 s->condition != NULL ? s->condition : "(null)");
		return -1;
	}
	if (s->finish == NULL || !one_of(s->finish, finishes)) {
		snprintf(why, len, "finish '%.16s' is not one of nonfoil foil etched",
			 s->finish != NULL ? s->finish : "(null)");
		return -1;
	}
	if (s->currency == NULL || strlen(s->currency) != 3 || !isupper((unsigned char)s->currency[0]) ||
	    !isupper((unsigned char)s->currency[1]) || !isupper((unsigned char)s->currency[2])) {
		snprintf(why, len, "currency '%.16s' is not a three-letter code",
			 s->currency != NULL ? s->currency : "(null)");
		return -1;
	}
	if (s->language != NULL) {
		size_t l = strlen(s->language);

		if (l < 2 || l > 3 || !islower((unsigned char)s->language[0]) ||
		    !islower((unsigned char)s->language[1]) || (l == 3 && !islower((unsigned char)s->language[2]))) {
			snprintf(why, len, "language '%.16s' is not a Scryfall language code", s->language);
			return -1;
		}
	}
	if (s->price == NULL || !money(s->price)) {
		snprintf(why, len, "price '%.24s' is not a non-negative decimal with at most 2 places",
			 s->price != NULL ? s->price : "(null)");
		return -1;
	}
	for (int i = 0; i < 3; i++)
		if (prices[i] != NULL && !money(prices[i])) {
			snprintf(why, len, "price_%s '%.24s' is not a non-negative decimal", i == 0 ? "low" : i == 1 ? "mid" : "high",
				 prices[i]);
			return -1;
		}
	return 0;
}

/* ---- the card list, searchable by id and by scryfall id ------------------ */

static const ih_card *sort_cards;

static int cmp_id(const void *a, const void *b)
{
	int32_t x = sort_cards[*(const size_t *)a].card_id, y = sort_cards[*(const size_t *)b].card_id;

	return (x > y) - (x < y);
}

static int cmp_uuid(const void *a, const void *b)
{
	const char *x = sort_cards[*(const size_t *)a].scryfall_id, *y = sort_cards[*(const size_t *)b].scryfall_id;

	return strcmp(x != NULL ? x : "", y != NULL ? y : "");
}

static pthread_mutex_t sort_lock = PTHREAD_MUTEX_INITIALIZER;

static const ih_card *find_id(const ih_emitter *em, int32_t id)
{
	size_t lo = 0, hi = em->o.ncards;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const ih_card *c = &em->o.cards[em->by_id[mid]];

		if (c->card_id == id)
			return c;
		if (c->card_id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static const ih_card *find_uuid(const ih_emitter *em, const char *uuid)
{
	size_t lo = 0, hi = em->o.ncards;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const ih_card *c = &em->o.cards[em->by_uuid[mid]];
		int r = strcmp(c->scryfall_id != NULL ? c->scryfall_id : "", uuid);

		if (r == 0)
			return c;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static batch *batch_new(void)
{
	return calloc(1, sizeof(batch));
}

static void batch_free(batch *b)
{
	if (b == NULL)
		return;
	free(b->rows);
	free(b->done);
	free(b);
}

static void *writer_main(void *arg);

ih_emitter *ih_emitter_new(const ih_emit_opts *opts)
{
	ih_emitter *em = calloc(1, sizeof *em);

	if (em == NULL)
		return NULL;
	em->o = *opts;
	if (em->o.batch_size < 1)
		em->o.batch_size = 500;
	if (em->o.max_buffered_rows < 1)
		em->o.max_buffered_rows = 200000;
	pthread_mutex_init(&em->mu, NULL);
	pthread_cond_init(&em->cv, NULL);
	em->open = batch_new();
	em->by_id = calloc(em->o.ncards + 1, sizeof *em->by_id);
	em->by_uuid = calloc(em->o.ncards + 1, sizeof *em->by_uuid);
	if (em->open == NULL || em->by_id == NULL || em->by_uuid == NULL) {
		ih_emitter_free(em);
		return NULL;
	}
	for (size_t i = 0; i < em->o.ncards; i++)
		em->by_id[i] = em->by_uuid[i] = i;
	/* qsort has no context argument: serialise the few sorts per cycle */
	pthread_mutex_lock(&sort_lock);
	sort_cards = em->o.cards;
	qsort(em->by_id, em->o.ncards, sizeof *em->by_id, cmp_id);
	qsort(em->by_uuid, em->o.ncards, sizeof *em->by_uuid, cmp_uuid);
	pthread_mutex_unlock(&sort_lock);
	if (pthread_create(&em->writer, NULL, writer_main, em) != 0) {
		ih_emitter_free(em);
		return NULL;
	}
	em->writer_started = 1;
	return em;
}

void ih_emitter_free(ih_emitter *em)
{
	if (em == NULL)
		return;
	if (em->writer_started) {
		pthread_mutex_lock(&em->mu);
		em->closing = 1;
		if (em->head != NULL) {
			/* freed without a flush: nothing more is tried */
			em->gave_up = 1;
			em->kick = 1;
		}
		pthread_cond_broadcast(&em->cv);
		pthread_mutex_unlock(&em->mu);
		pthread_join(em->writer, NULL);
	}
	while (em->head != NULL) {
		batch *b = em->head;

		em->head = b->next;
		batch_free(b);
	}
	batch_free(em->open);
	pthread_cond_destroy(&em->cv);
	pthread_mutex_destroy(&em->mu);
	free(em->by_id);
	free(em->by_uuid);
	free(em);
}

void ih_emitter_stats(ih_emitter *em, ih_emit_stats *out)
{
	pthread_mutex_lock(&em->mu);
	*out = em->st;
	out->buffered = em->queued; /* the open batch is the plugin thread's own */
	pthread_mutex_unlock(&em->mu);
}

void ih_emitter_error(ih_emitter *em, char *buf, size_t len)
{
	pthread_mutex_lock(&em->mu);
	snprintf(buf, len, "%s", em->error);
	pthread_mutex_unlock(&em->mu);
}

void ih_emitter_give_up_by(ih_emitter *em, double at)
{
	pthread_mutex_lock(&em->mu);
	if (at < em->o.give_up_at) {
		em->o.give_up_at = at;
		em->kick = 1;
		pthread_cond_broadcast(&em->cv);
	}
	pthread_mutex_unlock(&em->mu);
}

static void copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src != NULL ? src : "");
}

/* Hand the open batch to the writer.  Caller holds mu. */
static int close_open(ih_emitter *em)
{
	batch *b = em->open, *fresh;

	if (b->n == 0 && b->ndone == 0)
		return 0;
	fresh = batch_new();
	if (fresh == NULL)
		return -1;
	em->open = fresh;
	if (em->gave_up) {
		/* nothing more is written: these rows are lost to the outage */
		em->st.unwritten += (long)b->n;
		batch_free(b);
		return 0;
	}
	if (em->tail != NULL)
		em->tail->next = b;
	else
		em->head = b;
	em->tail = b;
	em->queued += (long)b->n;
	pthread_cond_broadcast(&em->cv);
	return 0;
}

static int same_card(const row *r, int32_t card_id, const char *sid)
{
	if (card_id > 0 || r->card_id > 0)
		return r->card_id == card_id;
	return strcmp(r->scryfall_id, sid != NULL ? sid : "") == 0;
}

static int grow_rows(batch *b)
{
	size_t cap = b->cap ? b->cap * 2 : 64;
	row *r = realloc(b->rows, cap * sizeof *r);

	if (r == NULL)
		return -1;
	b->rows = r;
	b->cap = cap;
	return 0;
}

int ih_emitter_add(ih_emitter *em, const ih_snapshot *s)
{
	char why[256];
	const ih_card *card = NULL;
	int32_t card_id;
	batch *b;
	row *r;

	if (ih_snapshot_validate(s, why, sizeof why) != 0)
		goto reject;
	if (em->o.ncards > 0) {
		card = s->card_id > 0 ? find_id(em, s->card_id) : find_uuid(em, s->scryfall_id);
		if (card == NULL && s->card_id > 0) {
			snprintf(why, sizeof why, "card_id %d was not in this run's card list", (int)s->card_id);
			goto reject;
		}
	}
	card_id = card != NULL ? card->card_id : s->card_id > 0 ? s->card_id : 0;
	pthread_mutex_lock(&em->mu);
	em->st.accepted++;
	if (em->gave_up) {
		em->st.unwritten++;
		pthread_mutex_unlock(&em->mu);
		return IH_ERR_TRANSIENT;
	}
	b = em->open;
	/* a batch ends on a card boundary: all of a card's rows go together */
	if (b->n >= (size_t)em->o.batch_size && !same_card(&b->rows[b->n - 1], card_id, s->scryfall_id)) {
		if (close_open(em) != 0)
			goto oom;
		while (em->queued >= em->o.max_buffered_rows && !em->gave_up) {
			if (!em->full_logged)
				ih_warn("%ld rows wait for the database (ingest.max_buffered_rows): fetching pauses "
					"until the writer catches up", em->queued);
			em->full_logged = 1;
			pthread_cond_wait(&em->cv, &em->mu);
		}
		if (em->gave_up) {
			em->st.unwritten++;
			pthread_mutex_unlock(&em->mu);
			return IH_ERR_TRANSIENT;
		}
		b = em->open;
	}
	pthread_mutex_unlock(&em->mu);
	if (b->n == b->cap && grow_rows(b) != 0) {
		pthread_mutex_lock(&em->mu);
		goto oom;
	}
	r = &b->rows[b->n++];
	r->card_id = card_id;
	copy(r->scryfall_id, sizeof r->scryfall_id, s->scryfall_id);
	copy(r->condition, sizeof r->condition, s->condition);
	copy(r->finish, sizeof r->finish, s->finish);
	copy(r->language, sizeof r->language,
	     s->language != NULL ? s->language : card != NULL && card->lang != NULL ? card->lang : "");
	copy(r->currency, sizeof r->currency, s->currency);
	copy(r->price, sizeof r->price, s->price);
	copy(r->low, sizeof r->low, s->price_low);
	copy(r->mid, sizeof r->mid, s->price_mid);
	copy(r->high, sizeof r->high, s->price_high);
	r->num_listings = s->num_listings >= 0 ? s->num_listings : -1;
	return IH_OK;
oom:
	em->st.unwritten++;
	snprintf(em->error, sizeof em->error, "out of memory buffering snapshots");
	pthread_mutex_unlock(&em->mu);
	return IH_ERR_TRANSIENT;
reject:
	pthread_mutex_lock(&em->mu);
	em->st.rejected++;
	pthread_mutex_unlock(&em->mu);
	if (em->st.rejected <= LOG_REJECTS)
		ih_warn("rejected a snapshot: %s%s", why,
			em->st.rejected == LOG_REJECTS ? " (further rejects are only counted)" : "");
	return IH_ERR_FATAL;
}

void ih_emitter_mark_done(ih_emitter *em, int32_t card_id)
{
	batch *b = em->open;

	if (b->ndone == b->capdone) {
		size_t cap = b->capdone ? b->capdone * 2 : 64;
		int32_t *d = realloc(b->done, cap * sizeof *d);

		if (d == NULL)
			return; /* not marked: fetched again next cycle */
		b->done = d;
		b->capdone = cap;
	}
	b->done[b->ndone++] = card_id;
}

int ih_emitter_flush(ih_emitter *em)
{
	int rc;

	pthread_mutex_lock(&em->mu);
	if (close_open(em) != 0) {
		em->st.unwritten += (long)em->open->n;
		em->open->n = 0;
	}
	while (em->queued > 0 || em->head != NULL)
		pthread_cond_wait(&em->cv, &em->mu);
	rc = em->st.unwritten > 0 ? IH_ERR_TRANSIENT : IH_OK;
	pthread_mutex_unlock(&em->mu);
	return rc;
}

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

static void *writer_main(void *arg)
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
			batch_free(b);
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
