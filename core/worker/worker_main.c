/*
 * worker_main -- the worker's side: `ingesthost --plugin-worker PARENT`.
 *
 * Reads one job on fd 3 (JOB, CARDS..., GO), loads the plugin, calls init,
 * collect and shutdown with a services table whose calls become frames to
 * the host, sends DONE and exits.  HTTP, the rate limiter and retries run
 * here, as in thread mode; everything else (validation, writes, cache
 * marks) is the host's.  Rows are sent in batches: at a request boundary,
 * when a frame reaches IH_W_FLUSH_ROWS rows or IH_W_FLUSH_BYTES, before a
 * log line, and at the end.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/conf.h"
#include "base/log.h"
#include "host/host.h"
#include "loader/plugin_loader.h"
#include "net/http.h"
#include "worker/wire.h"
#include "worker/worker.h"

#define IH_W_FD 3
#define IH_W_BEAT_FD 4
#define IH_W_FLUSH_ROWS 512
#define IH_W_FLUSH_BYTES (256u * 1024u)
#define ROWS_HEAD 12 /* frame length, type, row count */

/*
 * The rows not sent yet: one SNAPS frame in a fixed buffer (never
 * reallocated), so that the last-gasp handlers -- a fatal signal, exit()
 * inside the plugin, the host's SIGUSR2 before it kills -- can send the
 * complete rows with write(2) whatever the plugin broke.  rows_len and
 * nrows move only after a row is entirely in place.
 */
static char rows_buf[ROWS_HEAD + IH_W_FLUSH_BYTES + 65536];
static volatile sig_atomic_t rows_len = ROWS_HEAD, nrows, in_service, sending;

static struct {
	atomic_int stop;         /* SIGTERM/SIGINT, or the host aborted */
	int abort_rc;            /* the host cannot store: what emit returns */
	ih_wbuf out;             /* frames not sent yet */
	ih_wbuf row;             /* one row being encoded */
	int32_t *marks;
	size_t nmarks, capmarks;
	int32_t *bp;             /* pairs */
	size_t nbp, capbp;
	long not_found, rejected, unmatched;
	long requests, retries;  /* the HTTP client's, copied after each call */
	ih_wire_reader in;
	ih_http_client *http;
	ih_plugin_config *pc;
	char last_error[512];
	int dead;                /* the host is gone: send nothing more */
} W;

static struct ih_ctx wctx; /* what the plugin gets back; never read */

/* The heartbeat: a byte on fd 4 every half second, from a thread of its own,
 * for as long as the process runs at all (the host kills a worker whose
 * beats stop: stopped, deadlocked whole, swapped out). */
static void *beat_thread(void *arg)
{
	struct timespec half = { 0, 500 * 1000 * 1000 };

	(void)arg;
	while (write(IH_W_BEAT_FD, "b", 1) == 1 || errno == EINTR || errno == EAGAIN)
		nanosleep(&half, NULL);
	return NULL;
}

static void on_term(int sig)
{
	(void)sig;
	W.stop = 1;
}

static void send_out(void)
{
	if (W.out.len == 0)
		return;
	if (!W.dead && ih_wire_send(IH_W_FD, &W.out) != 0) {
		W.dead = 1; /* the host went away: stop at the next boundary */
		W.stop = 1;
	}
	ih_wbuf_reset(&W.out);
}

static void put_stats(void)
{
	size_t at = ih_w_begin(&W.out, IH_W_STATS);

	ih_w_i64(&W.out, W.requests);
	ih_w_i64(&W.out, W.retries);
	ih_w_i64(&W.out, W.not_found);
	ih_w_i64(&W.out, W.rejected);
	ih_w_i64(&W.out, W.unmatched);
	ih_w_end(&W.out, at);
}

/* write(2) all of p, or give up; async-signal-safe. */
static int write_all(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(IH_W_FD, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Send the complete rows as one SNAPS frame; async-signal-safe. */
static void send_rows(void)
{
	uint32_t len, type = IH_W_SNAPS, n;

	if (nrows == 0 || W.dead)
		return;
	sending = 1;
	len = (uint32_t)(rows_len - 8);
	n = (uint32_t)nrows;
	memcpy(rows_buf, &len, 4);
	memcpy(rows_buf + 4, &type, 4);
	memcpy(rows_buf + 8, &n, 4);
	if (write_all(rows_buf, (size_t)rows_len) != 0) {
		W.dead = 1;
		W.stop = 1;
	}
	nrows = 0;
	rows_len = ROWS_HEAD;
	sending = 0;
}

/* A fatal signal, exit() in the plugin, or the host's SIGUSR2 before its
 * SIGKILL: hand over the complete rows, then die as we would have. */
/* One small frame from the stack; async-signal-safe. */
static void gasp_frame(uint32_t type, const void *body, size_t len)
{
	uint32_t head[2] = { (uint32_t)len, type };

	if (write_all((const char *)head, sizeof head) == 0)
		write_all(body, len);
}

/* Marks and blueprint ids as frames straight from their arrays. */
static void gasp_pairs(uint32_t type, const int32_t *v, size_t n, size_t per)
{
	uint32_t head[3] = { (uint32_t)(4 + n * per * 4), type, (uint32_t)n };

	if (n > 0 && write_all((const char *)head, sizeof head) == 0)
		write_all((const char *)v, n * per * 4);
}

static void last_gasp(void)
{
	int64_t st[5];

	if (in_service || sending || W.dead)
		return;
	sending = 1;
	send_rows();
	gasp_pairs(IH_W_MARKS, W.marks, W.nmarks, 1);
	gasp_pairs(IH_W_BLUEPRINTS, W.bp, W.nbp, 2);
	W.nmarks = W.nbp = 0;
	st[0] = W.requests;
	st[1] = W.retries;
	st[2] = W.not_found;
	st[3] = W.rejected;
	st[4] = W.unmatched;
	gasp_frame(IH_W_STATS, st, sizeof st);
}

static void on_fatal(int sig)
{
	last_gasp();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_usr2(int sig)
{
	(void)sig;
	last_gasp();
	_exit(0); /* the host kills it anyway: its status is the host's call */
}

static void at_exit(void)
{
	last_gasp();
}

/* Send the rows, then marks, blueprint ids and counters. */
static void flush(void)
{
	send_rows();
	if (W.nmarks > 0) {
		size_t at = ih_w_begin(&W.out, IH_W_MARKS);

		ih_w_u32(&W.out, (uint32_t)W.nmarks);
		for (size_t i = 0; i < W.nmarks; i++)
			ih_w_i32(&W.out, W.marks[i]);
		ih_w_end(&W.out, at);
		W.nmarks = 0;
	}
	if (W.nbp > 0) {
		size_t at = ih_w_begin(&W.out, IH_W_BLUEPRINTS);

		ih_w_u32(&W.out, (uint32_t)W.nbp);
		for (size_t i = 0; i < 2 * W.nbp; i++)
			ih_w_i32(&W.out, W.bp[i]);
		ih_w_end(&W.out, at);
		W.nbp = 0;
	}
	put_stats();
	send_out();
}

/* Frames from the host while collect runs: ABORT.  Never blocks. */
static void read_control(void)
{
	uint32_t type;
	ih_wread body;
	int rc;

	while (!W.dead && (rc = ih_wire_next(&W.in, &type, &body, 0)) != 0) {
		if (rc < 0) { /* the host closed its end: it is gone */
			W.dead = 1;
			W.stop = 1;
			return;
		}
		if (type == IH_W_ABORT) {
			int32_t st = ih_r_i32(&body);

			W.abort_rc = st < 0 ? st : IH_ERR_TRANSIENT;
			W.stop = 1;
		}
	}
}

static void sink(int level, const char *msg)
{
	size_t at;

	if (W.dead)
		return;
	flush(); /* rows before the line that may talk about them */
	at = ih_w_begin(&W.out, IH_W_LOG);
	ih_w_i32(&W.out, level);
	ih_w_str(&W.out, msg);
	ih_w_end(&W.out, at);
	send_out();
}

/* ---- the services ---------------------------------------------------------- */

static void svc_log(ih_ctx *ctx, int level, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	(void)ctx;
	level = level < IH_LOG_ERR ? IH_LOG_ERR : level > IH_LOG_DEBUG ? IH_LOG_DEBUG : level;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (level == IH_LOG_ERR)
		snprintf(W.last_error, sizeof W.last_error, "%.500s", msg);
	ih_log(level, "%s", msg);
}

static const char *svc_config_string(ih_ctx *ctx, const char *key)
{
	(void)ctx;
	return key != NULL ? ih_pc_string(W.pc, key) : NULL;
}

static int svc_config_int(ih_ctx *ctx, const char *key, long long *out)
{
	(void)ctx;
	return key != NULL && out != NULL ? ih_pc_int(W.pc, key, out) : -1;
}

static int svc_config_bool(ih_ctx *ctx, const char *key, int *out)
{
	(void)ctx;
	return key != NULL && out != NULL ? ih_pc_bool(W.pc, key, out) : -1;
}

static int svc_config_double(ih_ctx *ctx, const char *key, double *out)
{
	(void)ctx;
	return key != NULL && out != NULL ? ih_pc_double(W.pc, key, out) : -1;
}

static int svc_should_stop(ih_ctx *ctx)
{
	(void)ctx;
	read_control();
	return W.stop != 0;
}

static int svc_http(ih_ctx *ctx, const ih_http_request *req, ih_http_response *resp)
{
	int rc;

	(void)ctx;
	if (resp == NULL)
		return IH_ERR_FATAL;
	memset(resp, 0, sizeof *resp);
	if (req == NULL || req->url == NULL) {
		snprintf(resp->error, sizeof resp->error, "http needs a request with a URL");
		return IH_ERR_FATAL;
	}
	if (svc_should_stop(ctx)) {
		snprintf(resp->error, sizeof resp->error, "stopping");
		return IH_ERR_STOPPED;
	}
	flush(); /* a request boundary: the rows of the last answer go before we wait */
	in_service = 1;
	rc = ih_http_do(W.http, req, resp);
	ih_http_stats(W.http, &W.requests, &W.retries);
	in_service = 0;
	if (rc != IH_OK && rc != IH_ERR_STOPPED)
		snprintf(W.last_error, sizeof W.last_error, "%s", resp->error);
	return rc;
}

static void svc_http_free(ih_ctx *ctx, ih_http_response *resp)
{
	(void)ctx;
	if (resp != NULL)
		ih_http_response_free(resp);
}

static int emit_row(const ih_snapshot *s)
{
	ih_wbuf *b = &W.row;

	ih_wbuf_reset(b);
	ih_w_i32(b, s->card_id);
	ih_w_i32(b, s->num_listings);
	ih_w_str(b, s->scryfall_id);
	ih_w_str(b, s->condition);
	ih_w_str(b, s->finish);
	ih_w_str(b, s->language);
	ih_w_str(b, s->currency);
	ih_w_str(b, s->price);
	ih_w_str(b, s->price_low);
	ih_w_str(b, s->price_mid);
	ih_w_str(b, s->price_high);
	if (b->oom || b->len > sizeof rows_buf - ROWS_HEAD) {
		W.rejected++;
		ih_warn("a snapshot of %zu bytes cannot be sent to the host: rejected", b->len);
		return IH_ERR_FATAL;
	}
	if ((size_t)rows_len + b->len > sizeof rows_buf)
		flush();
	memcpy(rows_buf + rows_len, b->p, b->len);
	rows_len += (sig_atomic_t)b->len; /* the row is in place: now it counts */
	nrows++;
	if (nrows >= IH_W_FLUSH_ROWS || (size_t)rows_len >= IH_W_FLUSH_BYTES) {
		flush();
		read_control();
		if (W.abort_rc != 0)
			return W.abort_rc;
	}
	return IH_OK;
}

static int svc_emit(ih_ctx *ctx, const ih_snapshot *s)
{
	int rc;

	(void)ctx;
	if (s == NULL)
		return IH_ERR_FATAL;
	if (W.abort_rc != 0)
		return W.abort_rc;
	in_service = 1;
	rc = emit_row(s);
	in_service = 0;
	return rc;
}

static void svc_mark_done(ih_ctx *ctx, int32_t card_id)
{
	(void)ctx;
	in_service = 1; /* the array may move: no last gasp meanwhile */
	if (card_id > 0 && ih_array_room(&W.marks, &W.capmarks, W.nmarks + 1, sizeof *W.marks) == 0)
		W.marks[W.nmarks++] = card_id;
	in_service = 0;
}

static void svc_count(ih_ctx *ctx, ih_counter which, long n)
{
	(void)ctx;
	if (n < 0)
		return;
	switch (which) {
	case IH_COUNT_NOT_FOUND: W.not_found += n; break;
	case IH_COUNT_REJECTED: W.rejected += n; break;
	case IH_COUNT_UNMATCHED: W.unmatched += n; break;
	default: break;
	}
}

static int svc_set_blueprint_id(ih_ctx *ctx, int32_t card_id, int32_t blueprint_id)
{
	(void)ctx;
	if (card_id <= 0 || blueprint_id <= 0)
		return IH_ERR_FATAL;
	in_service = 1;
	if (ih_array_room(&W.bp, &W.capbp, 2 * (W.nbp + 1), sizeof *W.bp) != 0) {
		in_service = 0;
		return IH_ERR_FATAL;
	}
	W.bp[2 * W.nbp] = card_id;
	W.bp[2 * W.nbp + 1] = blueprint_id;
	W.nbp++;
	in_service = 0;
	return IH_OK;
}

static const ih_host_services services = {
	.abi_major = IH_ABI_MAJOR,
	.abi_minor = IH_ABI_MINOR,
	.size = sizeof(ih_host_services),
	.log = svc_log,
	.config_string = svc_config_string,
	.config_int = svc_config_int,
	.config_bool = svc_config_bool,
	.config_double = svc_config_double,
	.http = svc_http,
	.http_free = svc_http_free,
	.emit = svc_emit,
	.mark_done = svc_mark_done,
	.count = svc_count,
	.should_stop = svc_should_stop,
	.set_blueprint_id = svc_set_blueprint_id,
};

/* ---- the job ----------------------------------------------------------------- */

typedef struct job {
	char *path, *name;
	ih_config *cfg;
	long long memory_limit_mb;
	ih_card *cards;
	size_t ncards, capcards;
	char **blocks; /* the CARDS frames the cards point into */
	size_t nblocks;
} job;

static void job_free(job *j)
{
	free(j->path);
	free(j->name);
	ih_config_free(j->cfg);
	free(j->cards);
	for (size_t i = 0; i < j->nblocks; i++)
		free(j->blocks[i]);
	free(j->blocks);
}

static char *dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

/* JOB: version, path, name, log level, ingest settings, memory limit, the
 * plugin's section. */
static int read_job_frame(job *j, ih_wread *b, char *err, size_t errlen)
{
	ih_plugin_section *sec;
	uint32_t nvals;
	int level;

	if (ih_r_u32(b) != IH_WIRE_VERSION) {
		snprintf(err, errlen, "the host speaks another wire version (a binary replaced while running?)");
		return -1;
	}
	j->path = dup_or_null(ih_r_str(b));
	j->name = dup_or_null(ih_r_str(b));
	level = ih_r_i32(b);
	if (level >= IH_LOG_ERR && level <= IH_LOG_DEBUG)
		ih_log_set_level(level);
	j->cfg = ih_config_defaults();
	if (j->cfg == NULL || j->path == NULL || j->name == NULL) {
		snprintf(err, errlen, "a job without a plugin, or out of memory");
		return -1;
	}
	j->cfg->ingest.max_retries = ih_r_i64(b);
	j->cfg->ingest.max_wait = ih_r_i64(b);
	j->cfg->ingest.max_response_bytes = ih_r_i64(b);
	j->cfg->ingest.freshness = ih_r_i64(b);
	j->memory_limit_mb = ih_r_i64(b);
	nvals = ih_r_u32(b);
	if (b->bad || nvals > 4096) {
		snprintf(err, errlen, "a malformed job");
		return -1;
	}
	sec = j->cfg->sections = calloc(1, sizeof *sec);
	if (sec == NULL)
		return -1;
	j->cfg->nsections = 1;
	sec->name = strdup(j->name);
	sec->vals = calloc(nvals + 1, sizeof *sec->vals);
	if (sec->name == NULL || sec->vals == NULL)
		return -1;
	for (uint32_t i = 0; i < nvals && !b->bad; i++) {
		ih_cfg_value *v = &sec->vals[sec->n++];

		v->key = dup_or_null(ih_r_str(b));
		v->type = (ih_config_type)ih_r_i32(b);
		v->s = dup_or_null(ih_r_str(b));
		v->i = ih_r_i64(b);
		v->d = ih_r_f64(b);
		v->line = ih_r_i32(b);
		if (v->key == NULL)
			b->bad = 1;
	}
	if (b->bad) {
		snprintf(err, errlen, "a malformed job");
		return -1;
	}
	return 0;
}

/* CARDS: u32 n, n cards; kept in a block of its own the cards point into. */
static int read_cards_frame(job *j, const ih_wread *frame)
{
	size_t len = (size_t)(frame->end - frame->p);
	char *block = malloc(len + 1), **blocks;
	ih_wread b;
	uint32_t n;

	if (block == NULL)
		return -1;
	memcpy(block, frame->p, len);
	blocks = realloc(j->blocks, (j->nblocks + 1) * sizeof *blocks);
	if (blocks == NULL) {
		free(block);
		return -1;
	}
	j->blocks = blocks;
	j->blocks[j->nblocks++] = block;
	b.p = block;
	b.end = block + len;
	b.bad = 0;
	n = ih_r_u32(&b);
	if (ih_array_room(&j->cards, &j->capcards, j->ncards + n + 1, sizeof *j->cards) != 0)
		return -1;
	for (uint32_t i = 0; i < n && !b.bad; i++) {
		ih_card *c = &j->cards[j->ncards++];

		c->card_id = ih_r_i32(&b);
		c->scryfall_id = ih_r_str(&b);
		c->name = ih_r_str(&b);
		c->set_code = ih_r_str(&b);
		c->collector_number = ih_r_str(&b);
		c->lang = ih_r_str(&b);
		c->tcgplayer_id = ih_r_i32(&b);
		c->tcgplayer_etched_id = ih_r_i32(&b);
		c->cardmarket_id = ih_r_i32(&b);
		c->cardtrader_blueprint_id = ih_r_i32(&b);
		c->mtgo_id = ih_r_i32(&b);
	}
	return b.bad ? -1 : 0;
}

/* JOB, CARDS..., GO. */
static int read_job(job *j, char *err, size_t errlen)
{
	uint32_t type;
	ih_wread b;

	if (ih_wire_next(&W.in, &type, &b, 30000) != 1 || type != IH_W_JOB) {
		snprintf(err, errlen, "no job from the host within 30 s");
		return -1;
	}
	if (read_job_frame(j, &b, err, errlen) != 0)
		return -1;
	for (;;) {
		if (ih_wire_next(&W.in, &type, &b, 30000) != 1) {
			snprintf(err, errlen, "the host stopped sending the job's cards");
			return -1;
		}
		if (type == IH_W_GO)
			return 0;
		if (type != IH_W_CARDS || read_cards_frame(j, &b) != 0) {
			snprintf(err, errlen, "a malformed job (frame type %u)", (unsigned)type);
			return -1;
		}
	}
}

static void send_done(int rc, const char *error)
{
	size_t at;

	flush();
	at = ih_w_begin(&W.out, IH_W_DONE);
	ih_w_i32(&W.out, rc);
	ih_w_str(&W.out, error);
	ih_w_end(&W.out, at);
	send_out();
}

static void limit_memory(long long mb)
{
	if (mb <= 0)
		return;
#if defined(__SANITIZE_ADDRESS__)
	ih_debug("memory_limit_mb = %lld is not applied: AddressSanitizer needs its own address space", mb);
#else
	{
		struct rlimit rl;

		rl.rlim_cur = rl.rlim_max = (rlim_t)mb * 1024 * 1024;
		if (setrlimit(RLIMIT_AS, &rl) != 0)
			ih_warn("cannot apply memory_limit_mb = %lld: %s", mb, strerror(errno));
	}
#endif
}

int ih_worker_main(long parent)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL };
	struct sigaction sa;
	job j;
	char err[512] = "";
	ih_plugin_handle *h = NULL;
	void *state = NULL;
	int rc = IH_ERR_FATAL;

	/* die with the host; and if it is already gone, do nothing */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (parent > 0 && getppid() != (pid_t)parent)
		return 2;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* the last gasp runs on a stack of its own: a stack overflow is fatal too */
	{
		static char altstack[64 * 1024];
		stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 };

		if (sigaltstack(&ss, NULL) == 0)
			sa.sa_flags = SA_ONSTACK;
	}
	sa.sa_handler = on_fatal;
	for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
		sigaction(fatal[i], &sa, NULL);
	sa.sa_flags = 0;
	sa.sa_handler = on_usr2;
	sigaction(SIGUSR2, &sa, NULL);
	atexit(at_exit);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	memset(&j, 0, sizeof j);
	{
		pthread_t t;
		pthread_attr_t ta;
		sigset_t all, old;

		/* signals are the main thread's (its handlers read its state) */
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		pthread_attr_init(&ta);
		pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &ta, beat_thread, NULL) != 0)
			ih_warn("cannot start the heartbeat thread: the host may take this worker for frozen");
		pthread_attr_destroy(&ta);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	ih_wire_reader_init(&W.in, IH_W_FD, IH_WIRE_MAX_HOST_FRAME);
	ih_log_set_sink(sink);
	if (read_job(&j, err, sizeof err) != 0)
		goto out;
	{
		/* ps, top and core_pattern's %e name the plugin */
		char comm[16];

		snprintf(comm, sizeof comm, "ih-%.12s", j.name);
		prctl(PR_SET_NAME, comm);
	}
	limit_memory(j.memory_limit_mb);
	if (ih_plugin_open(j.path, &h, err, sizeof err) != 0)
		goto out;
	{
		ih_errors errs = { 0 };

		W.pc = ih_config_bind(j.cfg, j.name, h->desc, &errs);
		if (W.pc == NULL) {
			snprintf(err, sizeof err, "the plugin's config does not bind in the worker (%zu errors)", errs.n);
			ih_errors_clear(&errs);
			goto out;
		}
	}
	{
		ih_http_options o;

		ih_http_options_from_config(&o, j.cfg, W.pc);
		o.name = j.name;
		o.stop = &W.stop;
		if (ih_http_client_new(&o, &W.http) != 0) {
			snprintf(err, sizeof err, "cannot set up the HTTP client");
			goto out;
		}
	}
	if (h->desc->init != NULL && (rc = h->desc->init(&services, &wctx, &state)) != IH_OK) {
		snprintf(err, sizeof err, "init failed (%d)%s%.400s", rc, W.last_error[0] ? ": " : "", W.last_error);
		if (rc >= 0 || rc < IH_ERR_STOPPED)
			rc = IH_ERR_FATAL;
		goto out;
	}
	rc = h->desc->collect(state, &wctx, j.cards, j.ncards);
	flush();
	if (h->desc->shutdown != NULL)
		h->desc->shutdown(state);
	snprintf(err, sizeof err, "%s", W.last_error);
out:
	send_done(rc, err);
	ih_log_set_sink(NULL);
	ih_http_client_free(W.http);
	ih_plugin_config_free(W.pc);
	ih_plugin_close(h);
	job_free(&j);
	ih_wire_reader_free(&W.in);
	ih_wbuf_free(&W.out);
	ih_wbuf_free(&W.row);
	free(W.marks);
	free(W.bp);
	return W.dead ? 3 : 0;
}
