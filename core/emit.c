#include "config.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bulk.h"
#include "cache.h"
#include "clock.h"
#include "emit.h"
#include "log.h"
#include "pool.h"

/* Rejects logged per run before the rest are only counted. */
#define LOG_REJECTS 5
/* Write attempts per flush when the database fails (it may be restarting). */
#define WRITE_ATTEMPTS 4

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

struct ih_emitter {
	ih_emit_opts o;
	row *rows;
	size_t n, cap;
	int32_t *done;       /* cards with no price, to mark */
	size_t ndone, capdone;
	size_t *by_id;       /* indexes into o.cards sorted by card_id */
	size_t *by_uuid;     /* ... and by scryfall_id */
	ih_emit_stats st;
	int failed;
	char error[512];
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

ih_emitter *ih_emitter_new(const ih_emit_opts *opts)
{
	ih_emitter *em = calloc(1, sizeof *em);

	if (em == NULL)
		return NULL;
	em->o = *opts;
	if (em->o.batch_size < 1)
		em->o.batch_size = 500;
	em->cap = (size_t)em->o.batch_size;
	em->rows = calloc(em->cap, sizeof *em->rows);
	em->by_id = calloc(em->o.ncards + 1, sizeof *em->by_id);
	em->by_uuid = calloc(em->o.ncards + 1, sizeof *em->by_uuid);
	if (em->rows == NULL || em->by_id == NULL || em->by_uuid == NULL) {
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
	return em;
}

void ih_emitter_free(ih_emitter *em)
{
	if (em == NULL)
		return;
	free(em->rows);
	free(em->done);
	free(em->by_id);
	free(em->by_uuid);
	free(em);
}

const ih_emit_stats *ih_emitter_stats(const ih_emitter *em) { return &em->st; }
const char *ih_emitter_error(const ih_emitter *em) { return em->error; }

static void copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src != NULL ? src : "");
}

int ih_emitter_add(ih_emitter *em, const ih_snapshot *s)
{
	char why[256];
	const ih_card *card = NULL;
	row *r;

	if (em->failed)
		return IH_ERR_TRANSIENT;
	if (ih_snapshot_validate(s, why, sizeof why) != 0)
		goto reject;
	if (em->o.ncards > 0) {
		card = s->card_id > 0 ? find_id(em, s->card_id) : find_uuid(em, s->scryfall_id);
		if (card == NULL && s->card_id > 0) {
			snprintf(why, sizeof why, "card_id %d was not in this run's card list", (int)s->card_id);
			goto reject;
		}
	}
	r = &em->rows[em->n++];
	r->card_id = card != NULL ? card->card_id : s->card_id > 0 ? s->card_id : 0;
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
	em->st.accepted++;
	if (em->n == em->cap)
		return ih_emitter_flush(em);
	return IH_OK;
reject:
	em->st.rejected++;
	if (em->st.rejected <= LOG_REJECTS)
		ih_warn("rejected a snapshot: %s%s", why,
			em->st.rejected == LOG_REJECTS ? " (further rejects are only counted)" : "");
	return IH_ERR_FATAL;
}

void ih_emitter_mark_done(ih_emitter *em, int32_t card_id)
{
	if (em->ndone == em->capdone) {
		size_t cap = em->capdone ? em->capdone * 2 : 64;
		int32_t *d = realloc(em->done, cap * sizeof *d);

		if (d == NULL)
			return;
		em->done = d;
		em->capdone = cap;
	}
	em->done[em->ndone++] = card_id;
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

/* Mark the cards of the rows just written, and the no-price cards. */
static void mark(ih_emitter *em)
{
	int32_t *ids;
	size_t n = 0, u = 0;

	if (em->o.cache == NULL || em->n + em->ndone == 0)
		goto out;
	ids = malloc((em->n + em->ndone) * sizeof *ids);
	if (ids == NULL)
		goto out;
	for (size_t i = 0; i < em->n; i++)
		ids[n++] = em->rows[i].card_id;
	for (size_t i = 0; i < em->ndone; i++)
		ids[n++] = em->done[i];
	qsort(ids, n, sizeof *ids, cmp_i32);
	for (size_t i = 0; i < n; i++)
		if (u == 0 || ids[u - 1] != ids[i])
			ids[u++] = ids[i];
	ih_cache_mark(em->o.cache, em->o.marketplace_id, ids, u, em->o.cycle_time);
	em->st.marked += (long)u;
	free(ids);
out:
	em->ndone = 0;
}

/*
 * Write the buffer: rows with a card id in one statement per batch, rows
 * named only by scryfall id in one statement that resolves them too.  On
 * success, rows whose card is unknown are dropped and counted.
 */
static int write_once(ih_emitter *em, long *written)
{
	ih_snap_row *rows = calloc(em->n + 1, sizeof *rows), *by_sid = calloc(em->n + 1, sizeof *by_sid);
	const char **sids = calloc(em->n + 1, sizeof *sids);
	int32_t *ids = calloc(em->n + 1, sizeof *ids);
	size_t nid = 0, nsid = 0, out = 0;
	long w1 = 0, w2 = 0;
	PGconn *c = NULL;
	int rc = -1;

	*written = 0;
	if (rows == NULL || by_sid == NULL || sids == NULL || ids == NULL) {
		snprintf(em->error, sizeof em->error, "out of memory writing %zu rows", em->n);
		goto out;
	}
	for (size_t i = 0; i < em->n; i++) {
		const row *r = &em->rows[i];
		ih_snap_row *d = r->card_id > 0 ? &rows[nid++] : &by_sid[nsid];

		if (r->card_id == 0)
			sids[nsid++] = r->scryfall_id;
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
	c = ih_pool_get(em->o.pool, em->error, sizeof em->error);
	if (c == NULL)
		goto out;
	if (nid > 0 && ih_bulk_write_snapshots(c, em->o.cycle_time, rows, nid, em->o.batch_size, em->o.copy_threshold,
					       &w1, em->error, sizeof em->error) != 0)
		goto out;
	if (nsid > 0 && ih_bulk_write_snapshots_by_scryfall(c, em->o.cycle_time, by_sid, sids, nsid, ids, &w2, em->error,
							    sizeof em->error) != 0)
		goto out;
	/* keep the rows written (their cards get marked), count the unknown ones */
	for (size_t i = 0, k = 0; i < em->n; i++) {
		if (em->rows[i].card_id == 0 && (em->rows[i].card_id = ids[k++]) == 0) {
			em->st.unmatched++;
			continue;
		}
		if (out != i)
			em->rows[out] = em->rows[i];
		out++;
	}
	em->n = out;
	*written = w1 + w2;
	rc = 0;
out:
	if (c != NULL)
		ih_pool_put(em->o.pool, c);
	free(rows);
	free(by_sid);
	free(sids);
	free(ids);
	return rc;
}

int ih_emitter_flush(ih_emitter *em)
{
	double wait = 0.5;

	if (em->failed)
		return IH_ERR_TRANSIENT;
	for (int attempt = 1;; attempt++) {
		long written = 0;

		if (write_once(em, &written) == 0) {
			em->st.written += written;
			mark(em);
			em->n = 0;
			em->error[0] = '\0';
			return IH_OK;
		}
		/* rows a partly committed call wrote are upserted again: same result */
		if (attempt == WRITE_ATTEMPTS) {
			ih_err("writing %zu snapshots failed %d times, giving up this run: %s", em->n, attempt,
			       em->error);
			em->failed = 1;
			return IH_ERR_TRANSIENT;
		}
		ih_warn("writing %zu snapshots failed (attempt %d of %d), retrying in %.1f s: %s", em->n, attempt,
			WRITE_ATTEMPTS, wait, em->error);
		/* waits are not cut short by shutdown: the rows must reach the database */
		em->o.clock->sleep(em->o.clock->ud, wait, NULL);
		wait *= 2;
	}
}
