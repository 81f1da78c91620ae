/*
 * emit -- the plugin's side of a run's snapshots: validated (validate.c),
 * gathered in batches that end on a card boundary, handed to the writer
 * thread (writer.c).
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/log.h"
#include "host/emit.h"
#include "host/emit_int.h"

/* Rejects logged per run before the rest are only counted. */
#define LOG_REJECTS 5

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

batch *ih_batch_new(void)
{
	return calloc(1, sizeof(batch));
}

void ih_batch_free(batch *b)
{
	if (b == NULL)
		return;
	free(b->rows);
	free(b->done);
	free(b);
}

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
	em->open = ih_batch_new();
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
	if (pthread_create(&em->writer, NULL, ih_emitter_writer_main, em) != 0) {
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
		ih_batch_free(b);
	}
	ih_batch_free(em->open);
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
	fresh = ih_batch_new();
	if (fresh == NULL)
		return -1;
	em->open = fresh;
	if (em->gave_up) {
		/* nothing more is written: these rows are lost to the outage */
		em->st.unwritten += (long)b->n;
		ih_batch_free(b);
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
	return ih_array_room(&b->rows, &b->cap, b->n + 1, sizeof *b->rows);
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

	if (ih_array_room(&b->done, &b->capdone, b->ndone + 1, sizeof *b->done) != 0)
		return; /* not marked: fetched again next cycle */
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

