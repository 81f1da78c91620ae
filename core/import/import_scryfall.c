#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "import/import_download.h"
#include "import/import_int.h"
#include "import/import_scryfall.h"
#include "import/jsonstream.h"

/* One chunk being filled, one being written, at most two queued. */
#define NCHUNKS 4
#define READ_SIZE (256 * 1024)

typedef struct imp_ctx {
	const ih_import_opts *o;
	size_t chunk_cards;
	ih_js *js;
	int fd;
	long long size_hint;
	atomic_llong content_length; /* of a download, for the progress line */
	long long cl_reader;         /* the same, as the HTTP client reports it (reader thread) */

	pthread_mutex_t mu;
	pthread_cond_t cv;
	imp_chunk *free_list, *q_head, *q_tail;
	int nalloc;
	int reader_done, stop;
	imp_chunk *cur;              /* the reader's */

	/* reader-owned until it is joined */
	int reader_rc;
	char reader_err[512];
	ih_import_stats *st;
	double t0, last_progress;     /* under pmu */
	int progress_shown;
	pthread_mutex_t pmu;
	atomic_long written_cards, read_cards;
	atomic_llong bytes_read;
} imp_ctx;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The members of a card the importer reads; json-c builds only these. */
static const char *const card_members[] = { "object", "id", "oracle_id", "name", "set", "collector_number",
					     "lang", "tcgplayer_id", "tcgplayer_etched_id", "cardmarket_id",
					     "mtgo_id", "prices" };

/* ---- the chunk queue ---------------------------------------------------- */

/* A free chunk for the reader; NULL when the writer stopped or no memory. */
static imp_chunk *take_free(imp_ctx *x)
{
	imp_chunk *k = NULL;

	pthread_mutex_lock(&x->mu);
	while (x->free_list == NULL && x->nalloc >= NCHUNKS && !x->stop)
		pthread_cond_wait(&x->cv, &x->mu);
	if (!x->stop) {
		if (x->free_list != NULL) {
			k = x->free_list;
			x->free_list = k->next;
		} else if ((k = calloc(1, sizeof *k)) != NULL) {
			x->nalloc++;
		}
	}
	pthread_mutex_unlock(&x->mu);
	if (k != NULL) {
		imp_chunk_reset(k);
		k->next = NULL;
	}
	return k;
}

static void push_full(imp_ctx *x, imp_chunk *k)
{
	pthread_mutex_lock(&x->mu);
	k->next = NULL;
	if (x->q_tail != NULL)
		x->q_tail->next = k;
	else
		x->q_head = k;
	x->q_tail = k;
	pthread_cond_broadcast(&x->cv);
	pthread_mutex_unlock(&x->mu);
}

static void give_back(imp_ctx *x, imp_chunk *k)
{
	pthread_mutex_lock(&x->mu);
	k->next = x->free_list;
	x->free_list = k;
	pthread_cond_broadcast(&x->cv);
	pthread_mutex_unlock(&x->mu);
}

/* The next full chunk, or NULL once the reader is done and the queue empty. */
static imp_chunk *take_full(imp_ctx *x)
{
	imp_chunk *k;

	pthread_mutex_lock(&x->mu);
	while (x->q_head == NULL && !x->reader_done)
		pthread_cond_wait(&x->cv, &x->mu);
	k = x->q_head;
	if (k != NULL) {
		x->q_head = k->next;
		if (x->q_head == NULL)
			x->q_tail = NULL;
	}
	pthread_mutex_unlock(&x->mu);
	return k;
}

/* ---- the reader thread -------------------------------------------------- */

/*
 * The progress line, from either thread, at most four times a second:
 * cards read and committed, bytes read, the commit rate, and an ETA from
 * the share of the input read so far (the writer trails the reader by at
 * most the queued chunks).
 */
static void progress(imp_ctx *x, int final)
{
	double t, el;
	long rd, wr;
	long long in, size;
	char eta[64] = "";

	if (!x->o->progress)
		return;
	pthread_mutex_lock(&x->pmu);
	t = now_s();
	if (!final && t - x->last_progress < 0.25) {
		pthread_mutex_unlock(&x->pmu);
		return;
	}
	x->last_progress = t;
	el = t - x->t0 > 1e-6 ? t - x->t0 : 1e-6;
	rd = atomic_load(&x->read_cards);
	wr = atomic_load(&x->written_cards);
	in = atomic_load(&x->bytes_read);
	size = atomic_load(&x->content_length) > 0 ? atomic_load(&x->content_length) : x->size_hint;
	if (!final && size > 0 && in > 0 && in <= size && rd > 0) {
		double total = (double)rd * (double)size / (double)in;
		double rate = wr > 0 ? (double)wr / el : (double)rd / el;

		snprintf(eta, sizeof eta, ", %.0f%% read, ETA %.0f s", 100.0 * (double)in / (double)size,
			 (total - (double)wr) / rate);
	}
	fprintf(stderr, "\rimport scryfall: %ld cards read, %ld committed, %.1f MB read, %.0f cards/s%s   ", rd, wr,
		(double)in / 1e6, (double)wr / el, eta);
	x->progress_shown = 1;
	pthread_mutex_unlock(&x->pmu);
}

static void add_reason(ih_import_stats *st, const char *what, long recno, const char *why)
{
	if (st->nreasons < IH_IMPORT_MAX_REASONS)
		snprintf(st->reasons[st->nreasons++], sizeof st->reasons[0], "%s %ld: %s", what, recno, why);
}

static int on_record(void *ud, json_object *obj, long recno, const char *why)
{
	imp_ctx *x = ud;
	ih_import_stats *st = x->st;
	char reason[180];
	int rc = 1;

	st->records = recno;
	if (x->cur == NULL && (x->cur = take_free(x)) == NULL)
		return 1; /* the writer stopped */
	if (obj != NULL) {
		imp_dropped dropped;

		rc = imp_card_add_ex(x->cur, obj, reason, sizeof reason, &dropped);
		if (rc == 0 && dropped.n > 0) {
			st->prices_rejected += dropped.n;
			if (st->nprice_reasons < IH_IMPORT_MAX_REASONS)
				snprintf(st->price_reasons[st->nprice_reasons++], sizeof st->price_reasons[0], "%s %ld: %s%s",
					 ih_js_get_format(x->js) == IH_JS_ARRAY ? "element" : "line", recno, dropped.why,
					 dropped.n > 1 ? " (and more in this card)" : "");
		}
		if (rc < 0) {
			x->reader_rc = IH_IMPORT_ERR_NOMEM;
			snprintf(x->reader_err, sizeof x->reader_err, "out of memory at record %ld", recno);
			return 1;
		}
		why = reason;
	}
	if (rc != 0) {
		st->rejected++;
		add_reason(st, ih_js_get_format(x->js) == IH_JS_ARRAY ? "element" : "line", recno, why);
	} else {
		st->cards_read++;
		atomic_store(&x->read_cards, st->cards_read);
		if (x->cur->n >= x->chunk_cards) {
			push_full(x, x->cur);
			x->cur = NULL;
		}
	}
	if ((st->records & 63) == 0)
		progress(x, 0);
	return 0;
}

static int feed(void *ud, const void *p, size_t n)
{
	imp_ctx *x = ud;

	atomic_fetch_add(&x->bytes_read, (long long)n);
	if (x->cl_reader > 0 && atomic_load(&x->content_length) <= 0)
		atomic_store(&x->content_length, x->cl_reader);
	return ih_js_feed(x->js, p, n, x->reader_err, sizeof x->reader_err) != 0;
}

static void *reader_main(void *arg)
{
	imp_ctx *x = arg;
	int rc = 0;

	if (x->o->url != NULL) {
		char err[512];
		int r = imp_stream_url(x->o->url, x->o->user_agent, feed, x, &x->cl_reader, err, sizeof err);

		if (r < 0) {
			rc = IH_IMPORT_ERR_INPUT;
			snprintf(x->reader_err, sizeof x->reader_err, "download: %.480s", err);
		} else if (r > 0) {
			rc = -1; /* the stream stopped it; its error is in reader_err */
		}
	} else {
		char *buf = malloc(READ_SIZE);

		if (buf == NULL) {
			rc = IH_IMPORT_ERR_NOMEM;
			snprintf(x->reader_err, sizeof x->reader_err, "out of memory");
		}
		while (rc == 0) {
			ssize_t got = read(x->fd, buf, READ_SIZE);

			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0) {
				rc = IH_IMPORT_ERR_INPUT;
				snprintf(x->reader_err, sizeof x->reader_err, "reading %s: %s", x->o->path, strerror(errno));
			} else if (got == 0) {
				break;
			} else if (feed(x, buf, (size_t)got) != 0) {
				rc = -1;
			}
		}
		free(buf);
	}
	if (rc == 0) {
		if (ih_js_finish(x->js, x->reader_err, sizeof x->reader_err) != 0)
			rc = -1;
		else
			x->st->reached_end = 1;
	}
	if (rc == -1) {
		/* the stream's own error (or the writer's stop) */
		int jr = ih_js_finish(x->js, NULL, 0);

		rc = jr == IH_JS_STOP ? (x->reader_rc != 0 ? x->reader_rc : 0)
		     : jr == IH_JS_NOMEM ? IH_IMPORT_ERR_NOMEM
					 : IH_IMPORT_ERR_INPUT;
	}
	if (x->cur != NULL) {
		if (x->cur->n > 0)
			push_full(x, x->cur);
		else
			give_back(x, x->cur);
		x->cur = NULL;
	}
	pthread_mutex_lock(&x->mu);
	x->reader_rc = rc;
	x->reader_done = 1;
	pthread_cond_broadcast(&x->cv);
	pthread_mutex_unlock(&x->mu);
	return NULL;
}

/* ---- the writer: the calling thread ------------------------------------- */

typedef struct imp_writer {
	PGconn *c;
	int mkt;
	const char *time_iso;
	int mode;        /* IH_IMPORT_WRITE_*; COPY turns to ONE at its first conflict */
	int64_t time_us; /* COPY mode: time_iso as PostgreSQL's binary timestamp */
	ih_buf scratch;
	imp_snaps snaps;
} imp_writer;

static int write_chunk(imp_writer *w, imp_chunk *k, ih_import_stats *st, char *err, size_t errlen)
{
	long written = 0, cards = 0;
	int rc, conflict = 0;

	if (imp_chunk_seal(k) != 0) {
		snprintf(err, errlen, "out of memory");
		return IH_IMPORT_ERR_NOMEM;
	}
	if (w->mode == IH_IMPORT_WRITE_COPY) {
		rc = imp_write_chunk_copy(w->c, w->mkt, w->time_us, k, &w->scratch, &w->snaps, &cards, &written,
					  &conflict, err, errlen);
		if (rc != 0 && !conflict)
			return IH_IMPORT_ERR_DB;
		if (conflict) { /* rows at this time exist: upsert this chunk and the rest */
			st->upserting = 1;
			w->mode = IH_IMPORT_WRITE_ONE;
		}
	}
	if (w->mode == IH_IMPORT_WRITE_ONE) {
		rc = imp_write_chunk_one(w->c, w->mkt, w->time_iso, k, &w->scratch, &cards, &written, err, errlen);
		if (rc != 0)
			return IH_IMPORT_ERR_DB;
	}
	if (w->mode == IH_IMPORT_WRITE_BULK) {
		rc = ih_bulk_upsert_cards(w->c, k->rows, k->n, err, errlen);
		if (rc == 0)
			rc = ih_bulk_resolve_scryfall(w->c, k->uuids, k->n, k->ids, err, errlen);
		if (rc != 0)
			return IH_IMPORT_ERR_DB;
		cards = (long)k->n;
		if (imp_chunk_snaps(k, w->mkt, &w->snaps) != 0) {
			snprintf(err, errlen, "out of memory");
			return IH_IMPORT_ERR_NOMEM;
		}
		rc = ih_bulk_write_snapshots(w->c, w->time_iso, w->snaps.rows, w->snaps.n, 500, 0, &written, err,
					     errlen);
		if (rc != 0)
			return IH_IMPORT_ERR_DB;
	}
	st->cards_written += cards;
	st->snapshots_written += written;
	return 0;
}

static int open_input(imp_ctx *x, char *err, size_t errlen)
{
	struct stat sb;

	if (x->o->url != NULL) {
		x->fd = -1;
		return 0;
	}
	if (x->o->path == NULL) {
		snprintf(err, errlen, "no input given");
		return IH_IMPORT_ERR_OPEN;
	}
	if (strcmp(x->o->path, "-") == 0) {
		x->fd = STDIN_FILENO;
	} else if ((x->fd = open(x->o->path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "cannot open %s: %s", x->o->path, strerror(errno));
		return IH_IMPORT_ERR_OPEN;
	}
	if (fstat(x->fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "%s is a directory", x->o->path);
		if (x->fd != STDIN_FILENO)
			close(x->fd);
		return IH_IMPORT_ERR_OPEN;
	}
	if (x->size_hint <= 0 && fstat(x->fd, &sb) == 0 && S_ISREG(sb.st_mode))
		x->size_hint = (long long)sb.st_size;
	return 0;
}

int ih_import_scryfall(PGconn *c, int marketplace_id, const ih_import_opts *o, ih_import_stats *st, char *err,
		       size_t errlen)
{
	imp_ctx x;
	pthread_t th;
	char time_buf[40], werr[1024] = "";
	imp_writer w = { .c = c, .mkt = marketplace_id, .mode = o->write_mode };
	const char *time_iso = o->time_iso;
	int rc, wrc = 0;

	memset(st, 0, sizeof *st);
	memset(&x, 0, sizeof x);
	st->format = "unknown";
	x.o = o;
	x.st = st;
	x.chunk_cards = o->chunk_cards ? o->chunk_cards : IH_IMPORT_CHUNK_DEFAULT;
	x.size_hint = o->size_hint;
	x.t0 = now_s();
	if (time_iso == NULL) {
		time_t t = time(NULL);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(time_buf, sizeof time_buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
		time_iso = time_buf;
	}
	w.time_iso = time_iso;
	if (c != NULL && w.mode == IH_IMPORT_WRITE_COPY && ih_pg_time_us(c, time_iso, &w.time_us, err, errlen) != 0)
		return IH_IMPORT_ERR_DB;
	rc = open_input(&x, err, errlen);
	if (rc != 0)
		return rc;
	x.js = ih_js_new(on_record, &x, 0);
	if (x.js != NULL)
		ih_js_set_max_bytes(x.js, o->max_decompressed_bytes, "import.max_decompressed_bytes");
	if (x.js != NULL && ih_js_set_members(x.js, card_members, sizeof card_members / sizeof card_members[0]) != 0) {
		ih_js_free(x.js);
		x.js = NULL;
	}
	pthread_mutex_init(&x.mu, NULL);
	pthread_mutex_init(&x.pmu, NULL);
	pthread_cond_init(&x.cv, NULL);
	if (x.js == NULL || pthread_create(&th, NULL, reader_main, &x) != 0) {
		snprintf(err, errlen, "cannot start the reader: out of resources");
		rc = IH_IMPORT_ERR_NOMEM;
		goto out;
	}
	for (;;) {
		imp_chunk *k = take_full(&x);

		if (k == NULL)
			break;
		if (c != NULL && wrc == 0) {
			wrc = write_chunk(&w, k, st, werr, sizeof werr);
			atomic_store(&x.written_cards, st->cards_written);
			progress(&x, 0);
			if (wrc != 0) {
				pthread_mutex_lock(&x.mu);
				x.stop = 1;
				pthread_cond_broadcast(&x.cv);
				pthread_mutex_unlock(&x.mu);
			}
		} else if (c == NULL) {
			(void)imp_chunk_seal(k);
		}
		give_back(&x, k);
	}
	pthread_join(th, NULL);
	if (x.progress_shown) {
		progress(&x, 1);
		fputc('\n', stderr);
	}
	if (wrc != 0) {
		rc = wrc;
		snprintf(err, errlen, "%s", werr);
	} else if (x.reader_rc != 0) {
		rc = x.reader_rc;
		snprintf(err, errlen, "%s", x.reader_err);
	}
out:
	st->format = x.js != NULL ? ih_js_describe(x.js) : "unknown";
	st->bytes_in = x.js != NULL ? ih_js_bytes_in(x.js) : 0;
	st->bytes_out = x.js != NULL ? ih_js_bytes_out(x.js) : 0;
	st->seconds = now_s() - x.t0;
	if (rc != 0)
		st->reached_end = 0;
	while (x.free_list != NULL) {
		imp_chunk *k = x.free_list;

		x.free_list = k->next;
		imp_chunk_free(k);
	}
	ih_js_free(x.js);
	ih_buf_free(&w.scratch);
	free(w.snaps.rows);
	pthread_mutex_destroy(&x.mu);
	pthread_mutex_destroy(&x.pmu);
	pthread_cond_destroy(&x.cv);
	if (x.fd > 0)
		close(x.fd);
	return rc;
}

void ih_import_print_summary(FILE *f, const ih_import_stats *st, int rc, const char *errtext)
{
	double secs = st->seconds > 1e-6 ? st->seconds : 1e-6;

	fprintf(f, "import scryfall: %s, %s: %ld cards, %ld snapshots written, %ld rejected", st->format,
		rc == 0 ? "read to the end" : "STOPPED", st->cards_written, st->snapshots_written, st->rejected);
	for (int i = 0; i < st->nreasons; i++)
		fprintf(f, "%s%s", i == 0 ? " (" : "; ", st->reasons[i]);
	if (st->nreasons > 0)
		fprintf(f, "%s)", st->rejected > st->nreasons ? "; ..." : "");
	if (st->prices_rejected > 0) {
		fprintf(f, ", %ld price%s rejected", st->prices_rejected, st->prices_rejected == 1 ? "" : "s");
		for (int i = 0; i < st->nprice_reasons; i++)
			fprintf(f, "%s%s", i == 0 ? " (" : "; ", st->price_reasons[i]);
		if (st->nprice_reasons > 0)
			fprintf(f, "%s)", st->prices_rejected > st->nprice_reasons ? "; ..." : "");
	}
	fprintf(f, ", %.1f MB in, %.2f s, %.0f rows/s", (double)st->bytes_in / 1e6, st->seconds,
		(double)(st->cards_written + st->snapshots_written) / secs);
	if (st->upserting)
		fprintf(f, "; snapshots at this time existed (a rerun, or a card twice), so they were upserted");
	if (rc != 0)
		fprintf(f, "; error: %s%s", errtext != NULL && *errtext ? errtext : "unknown",
			st->cards_written > 0 ? " (the chunks committed before it stay; a rerun converges)" : "");
	fputc('\n', f);
}
