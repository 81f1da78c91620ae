/*
 * http_guard_test -- the HTTP client's guards: refused URLs and headers,
 * shutdown during waits and transfers, rate-limit spacing, secrets kept out
 * of errors and logs, options from the config.  Part of tests/http_test.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/conf.h"
#include "net/http.h"
#include "net/http_url.h"
#include "http_fixture.h"
#include "base/log.h"

static void test_refused_urls(void)
{
	const char *ok[] = { "https://api.scryfall.com/cards", "http://127.0.0.1:8080/x",
			     "http://127.9.8.7/", "http://localhost:1/", "http://LOCALHOST/",
			     "http://[::1]:80/p", NULL };
	const char *bad[] = { "http://example.com/x?key=SEKRIT", "http://128.0.0.1/", "http://[::2]/",
			      "http://127.0.0.1.nip.io/", "http://10.0.0.1/", "ftp://127.0.0.1/",
			      "file:///etc/passwd", "api.scryfall.com/cards", "", NULL };
	char err[256];
	ih_http_client *c = t_client(NULL, 3, 60, 0, NULL);
	ih_http_response r;
	ih_http_request req = { .method = IH_HTTP_GET, .url = "http://192.0.2.1/prices?token=SEKRIT" };
	ih_http_counts n;
	size_t i;

	for (i = 0; ok[i] != NULL; i++)
		CU_ASSERT_EQUAL(ih_http_url_allowed(ok[i], err, sizeof err), 0);
	for (i = 0; bad[i] != NULL; i++) {
		err[0] = '\0';
		CU_ASSERT_EQUAL(ih_http_url_allowed(bad[i], err, sizeof err), IH_ERR_FATAL);
		CU_ASSERT_NOT_EQUAL(err[0], '\0');
		CU_ASSERT_PTR_NULL(strstr(err, "SEKRIT"));
	}
	CU_ASSERT_EQUAL(ih_http_do(c, &req, &r), IH_ERR_FATAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.error, "loopback"));
	CU_ASSERT_PTR_NULL(strstr(r.error, "SEKRIT"));
	CU_ASSERT_EQUAL(r.status, 0);
	ih_http_response_free(&r);
	CU_ASSERT_EQUAL(ih_http_do(c, NULL, &r), IH_ERR_FATAL);
	ih_http_response_free(&r);
	ih_http_counts_get(c, &n);
	CU_ASSERT_EQUAL(n.requests, 0); /* no connection was attempted */
	CU_ASSERT_EQUAL(n.fatal, 2);
	ih_http_client_free(c);

	/* https:// really means TLS: the plain responder cannot answer it */
	{
		char u[128];
		ih_http_request tls = { .method = IH_HTTP_GET, .url = u, .no_retry = 1 };

		snprintf(u, sizeof u, "https://127.0.0.1:%d/ok", ih_responder_port(t_srv));
		c = t_client(NULL, 0, 60, 0, NULL);
		CU_ASSERT_NOT_EQUAL(ih_http_do(c, &tls, &r), IH_OK);
		CU_ASSERT_EQUAL(r.status, 0);
		ih_http_response_free(&r);
		ih_http_client_free(c);
	}
}

/*
 * A header the client refuses is an auth failure (#14, finding 3): a token
 * endpoint answering "a\r\nX: 1" gives an Authorization line that must
 * never be sent, and IH_ERR_AUTH (not IH_ERR_FATAL) is what makes the plugin
 * replace its token, as after a 401.  Nothing is sent; status 0; the error
 * names the header by position, never by its text.
 */
static void test_refused_header_is_auth(void)
{
	static const char *const ok[] = {
		"Authorization: bearer T0KEN-abc.def", "Accept: application/json", "X-Tab:\ta b",
		"X-Empty:", "X-Utf8: caf\xc3\xa9", "x!#$%&'*+-.^_`|~: v", NULL,
	};
	static const char *const bad[] = {
		"Authorization: bearer a\r\nX: 1", "Authorization: bearer a\nX: 1", "Authorization: bearer a\rb",
		"Authorization: bearer a\x01", "Authorization: bearer a\x7f", "X Evil: a", ": a", "NoColon", "",
		"Bad\x01Name: a", "X-Evil: a\r\nHost: b", NULL,
	};
	const char *hdrs[] = { "Accept: application/json", NULL, NULL };
	ih_http_request req = { .method = IH_HTTP_GET, .headers = hdrs };
	ih_http_client *c = t_client(NULL, 3, 60, 0, NULL);
	long before = ih_responder_hits(t_srv, "/ok");
	ih_http_response r;
	ih_http_counts n;
	char err[256];
	size_t i;

	for (i = 0; ok[i] != NULL; i++)
		CU_ASSERT(ih_http_header_ok(ok[i]));
	for (i = 0; bad[i] != NULL; i++)
		CU_ASSERT(!ih_http_header_ok(bad[i]));
	CU_ASSERT(!ih_http_header_ok(NULL));
	CU_ASSERT_EQUAL(ih_http_headers_check(NULL, err, sizeof err), IH_OK);
	CU_ASSERT_EQUAL(ih_http_headers_check(ok, err, sizeof err), IH_OK);

	req.url = t_url("/ok");
	for (i = 0; bad[i] != NULL; i++) {
		hdrs[1] = bad[i];
		CU_ASSERT_EQUAL(ih_http_do(c, &req, &r), IH_ERR_AUTH);
		CU_ASSERT_EQUAL(r.status, 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(r.error, "extra header 2"));
		CU_ASSERT_PTR_NULL(strstr(r.error, "X: 1"));
		CU_ASSERT_PTR_NULL(strstr(r.error, "bearer"));
		CU_ASSERT_PTR_NOT_NULL(r.body);
		ih_http_response_free(&r);
	}
	ih_http_counts_get(c, &n);
	CU_ASSERT_EQUAL(n.requests, 0); /* nothing was sent */
	CU_ASSERT_EQUAL(n.auth, (long)i);
	CU_ASSERT_EQUAL(n.fatal, 0);
	CU_ASSERT_EQUAL(ih_responder_hits(t_srv, "/ok"), before);
	/* the same request with a sane token goes out */
	hdrs[1] = ok[0];
	CU_ASSERT_EQUAL(ih_http_do(c, &req, &r), IH_OK);
	ih_http_response_free(&r);
	CU_ASSERT_EQUAL(ih_responder_hits(t_srv, "/ok"), before + 1);
	ih_http_client_free(c);
}

/* A real sleep that first tells a waiting thread it has begun. */
typedef struct sleep_signal {
	pthread_mutex_t m;
	pthread_cond_t cv;
	int started;
	atomic_int *stop;
} sleep_signal;

static int signalling_sleep(void *ud, double seconds, const atomic_int *stop)
{
	sleep_signal *ss = ud;

	pthread_mutex_lock(&ss->m);
	ss->started = 1;
	pthread_cond_broadcast(&ss->cv);
	pthread_mutex_unlock(&ss->m);
	return ih_clock_real()->sleep(NULL, seconds, stop);
}

/* How long the stopper waits for the client's wait to begin.  A server
 * that misbehaves (answers 200, or never answers) means it never begins:
 * the stopper raises the flag anyway, so the client and the join end and
 * the test fails on ss.started instead of hanging. */
#define STOPPER_BOUND_S 10

static void *stopper(void *arg)
{
	sleep_signal *ss = arg;
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += STOPPER_BOUND_S;
	pthread_mutex_lock(&ss->m);
	while (!ss->started)
		if (pthread_cond_timedwait(&ss->cv, &ss->m, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&ss->m);
	*ss->stop = 1;
	return NULL;
}

static void test_stop_cuts_wait(void)
{
	ih_fake_clock fc;
	ih_http_client *c;
	ih_http_response r;
	atomic_int stop = 0;
	long n;

	/* the fake clock reports a shutdown arriving during the Retry-After wait */
	ih_fake_clock_init(&fc, WALL0);
	fc.trip = &stop;
	fc.trip_at = 1;
	c = t_client(&fc, 3, 60, 0, &stop);
	CU_ASSERT_EQUAL(t_get(c, "/stop_rl", &r), IH_ERR_STOPPED);
	CU_ASSERT_EQUAL(r.status, 429);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.error, "stopped"));
	CU_ASSERT_EQUAL(ih_responder_hits(t_srv, "/stop_rl"), 1);
	CU_ASSERT_EQUAL_FATAL(ih_fake_clock_slept(&fc, NULL), 1);
	CU_ASSERT_DOUBLE_EQUAL(fc.sleeps[0], 30, 1e-9);
	ih_http_response_free(&r);
	/* stopped already: no request at all */
	CU_ASSERT_EQUAL(t_get(c, "/ok", &r), IH_ERR_STOPPED);
	ih_http_stats(c, &n, NULL);
	CU_ASSERT_EQUAL(n, 1);
	ih_http_response_free(&r);
	ih_http_client_free(c);
	ih_fake_clock_destroy(&fc);

	/* the real clock, Retry-After: 3600 capped at 20 s: a second thread
	 * raises the flag once the wait has begun, and the wait must end at
	 * once.  Every wait here is bounded: the stopper's (STOPPER_BOUND_S),
	 * the transfer's (5 s), the retry wait's (20 s, checked by the time
	 * taken), so a misbehaving server or clock fails the test, never
	 * hangs it. */
	{
		sleep_signal ss = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, &stop };
		ih_clock sc = { ih_clock_real()->now, signalling_sleep, &ss, ih_clock_real()->wall };
		ih_http_options o;
		pthread_t t;
		double t0;

		stop = 0;
		ih_http_options_init(&o);
		o.clock = &sc;
		o.stop = &stop;
		o.max_wait_s = 20;
		o.timeout_ms = 5000;
		CU_ASSERT_EQUAL_FATAL(ih_http_client_new(&o, &c), 0);
		CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, stopper, &ss), 0);
		t0 = ih_clock_now(ih_clock_real());
		CU_ASSERT_EQUAL(t_get(c, "/stop_real", &r), IH_ERR_STOPPED);
		CU_ASSERT(ih_clock_now(ih_clock_real()) - t0 < STOPPER_BOUND_S);
		pthread_join(t, NULL);
		CU_ASSERT_EQUAL(ss.started, 1);
		CU_ASSERT_EQUAL(ih_responder_hits(t_srv, "/stop_real"), 1);
		ih_http_stats(c, &n, NULL);
		CU_ASSERT_EQUAL(n, 1);
		ih_http_response_free(&r);
		ih_http_client_free(c);
	}

	/* a transfer in flight is abandoned too: the server raises the flag on
	 * arrival and never answers */
	c = t_client(NULL, 3, 60, 0, &stop_xfer);
	CU_ASSERT_EQUAL(t_get(c, "/stop_xfer", &r), IH_ERR_STOPPED);
	CU_ASSERT_EQUAL(r.status, 0);
	ih_http_response_free(&r);
	ih_http_client_free(c);
}

static void test_rate_spacing(void)
{
	ih_fake_clock fc;
	ih_http_client *c;
	ih_http_response r;
	double total;
	int i;

	ih_fake_clock_init(&fc, WALL0);
	c = t_client(&fc, 3, 60, 2, NULL);
	for (i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(t_get(c, "/rate", &r), IH_OK);
		ih_http_response_free(&r);
	}
	CU_ASSERT_EQUAL(ih_responder_hits(t_srv, "/rate"), 5);
	CU_ASSERT_EQUAL(ih_fake_clock_slept(&fc, &total), 4);
	CU_ASSERT_DOUBLE_EQUAL(total, 2.0, 1e-6);
	ih_http_client_free(c);
	ih_fake_clock_destroy(&fc);
}

/* Run requests carrying secrets with stderr captured: no line shows them. */
static void test_no_secrets_logged(void)
{
	ih_fake_clock fc;
	ih_http_client *c;
	ih_http_response r;
	const char *hdrs[] = { "Authorization: Bearer SEKRIT-TOKEN", NULL };
	ih_http_request req = { .method = IH_HTTP_GET, .headers = hdrs };
	char path[] = "/tmp/ih-http-test-XXXXXX", buf[8192], u[320];
	const char *p[] = { "/secret", "/secret500", "/secret401" };
	int fd, saved, level = ih_log_get_level();
	size_t i, n;
	FILE *f;

	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	ih_log_set_level(IH_LOG_DEBUG);
	ih_fake_clock_init(&fc, WALL0);
	c = t_client(&fc, 1, 60, 0, NULL);
	for (i = 0; i < 3; i++) {
		snprintf(u, sizeof u, "%s?api_key=SEKRIT-KEY&x=1", t_url(p[i]));
		req.url = u;
		CU_ASSERT_NOT_EQUAL(ih_http_do(c, &req, &r), IH_OK);
		CU_ASSERT_PTR_NULL(strstr(r.error, "SEKRIT"));
		CU_ASSERT_PTR_NOT_NULL(strstr(r.error, p[i]));
		ih_http_response_free(&r);
	}
	ih_http_client_free(c);
	ih_fake_clock_destroy(&fc);
	ih_log_set_level(level);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	f = fdopen(fd, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	rewind(f);
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	unlink(path);
	fputs(buf, stderr); /* show what was logged */
	CU_ASSERT(n > 0);
	CU_ASSERT_PTR_NULL(strstr(buf, "SEKRIT"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "retry 1 of 1"));        /* the 500's retry, INFO */
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "credentials"));         /* the 401, WARNING */
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "WARNING"));
}

/* ---- the streaming GET ---- */

typedef struct got {
	char buf[2048];
	size_t len;
	int calls;
	long long cl_at_first;          /* meta->content_length at the first call */
	const ih_http_stream_meta *meta;
	size_t stop_after;              /* > 0: refuse the call that passes this */
} got;

static size_t take(const void *p, size_t n, void *ud)
{
	got *g = ud;

	if (g->calls++ == 0)
		g->cl_at_first = g->meta->content_length;
	if (g->stop_after > 0 && g->len + n > g->stop_after)
		return 0;
	if (g->len + n < sizeof g->buf) {
		memcpy(g->buf + g->len, p, n);
		g->buf[g->len + n] = '\0';
	}
	g->len += n;
	return n;
}

static int t_stream(ih_http_client *c, const char *path, got *g, ih_http_stream_meta *m)
{
	memset(g, 0, sizeof *g);
	g->meta = m;
	return ih_http_stream_get(c, t_url(path), take, g, m);
}

static void test_stream_get(void)
{
	ih_fake_clock fc;
	ih_http_client *c;
	ih_http_stream_meta m;
	ih_http_counts n;
	got g;

	ih_fake_clock_init(&fc, WALL0);
	c = t_client(&fc, 3, 60, 0, NULL);
	/* the body, as it arrives; Content-Length known before the first byte;
	 * the client's User-Agent and Accept */
	CU_ASSERT_EQUAL(t_stream(c, "/big", &g, &m), IH_OK);
	CU_ASSERT_EQUAL(g.len, 1000);
	CU_ASSERT_EQUAL(m.bytes, 1000);
	CU_ASSERT_EQUAL(m.status, 200);
	CU_ASSERT_EQUAL(m.content_length, 1000);
	CU_ASSERT_EQUAL(g.cl_at_first, 1000);
	CU_ASSERT_STRING_EQUAL(m.error, "");
	CU_ASSERT_STRING_EQUAL(t_route("/big")->user_agent, "ingesthost-test/1");
	CU_ASSERT_STRING_EQUAL(t_route("/big")->accept, "application/json");
	/* gzip undone */
	CU_ASSERT_EQUAL(t_stream(c, "/gz", &g, &m), IH_OK);
	CU_ASSERT_STRING_EQUAL(g.buf, "{\"gz\":\"yes\",\"pad\":\"aaaaaaaaaaaaaaaaaaaaaaaa\"}");
	/* a redirect to loopback from loopback: checked, then followed; the
	 * 3xx body never reaches the sink */
	CU_ASSERT_EQUAL(t_stream(c, "/redirect", &g, &m), IH_OK);
	CU_ASSERT_STRING_EQUAL(g.buf, "{\"ok\":true}");
	CU_ASSERT_EQUAL(m.redirects, 1);
	/* a failure's body never reaches the sink; 404 fatal, one request */
	CU_ASSERT_EQUAL(t_stream(c, "/notfound", &g, &m), IH_ERR_FATAL);
	CU_ASSERT_EQUAL(g.calls, 0);
	CU_ASSERT_EQUAL(m.status, 404);
	CU_ASSERT_PTR_NOT_NULL(strstr(m.error, "HTTP 404"));
	CU_ASSERT_EQUAL(ih_responder_hits(t_srv, "/notfound"), 1);
	/* a 503 before any byte is retried after its Retry-After */
	CU_ASSERT_EQUAL(t_stream(c, "/e503ra", &g, &m), IH_OK);
	CU_ASSERT_EQUAL(ih_responder_hits(t_srv, "/e503ra"), 2);
	CU_ASSERT_EQUAL_FATAL(ih_fake_clock_slept(&fc, NULL), 1);
	CU_ASSERT_DOUBLE_EQUAL(fc.sleeps[0], 2, 1e-9);
	CU_ASSERT_STRING_EQUAL(g.buf, "{}");
	/* a body cut short after bytes reached the sink: transient, no retry */
	CU_ASSERT_EQUAL(t_stream(c, "/trunc", &g, &m), IH_ERR_TRANSIENT);
	CU_ASSERT_EQUAL(g.len, 10);
	CU_ASSERT_EQUAL(ih_responder_hits(t_srv, "/trunc"), 1);
	/* the sink stops it */
	memset(&g, 0, sizeof g);
	g.meta = &m;
	g.stop_after = 10;
	CU_ASSERT_EQUAL(ih_http_stream_get(c, t_url("/big"), take, &g, &m), IH_ERR_STOPPED);
	CU_ASSERT_EQUAL(m.sink_stopped, 1);
	CU_ASSERT(m.bytes <= 10);
	/* the URL policy, before any connection; no query in the message */
	memset(&g, 0, sizeof g);
	g.meta = &m;
	CU_ASSERT_EQUAL(ih_http_stream_get(c, "http://192.0.2.1/x?token=SEKRIT", take, &g, &m), IH_ERR_FATAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(m.error, "loopback"));
	CU_ASSERT_PTR_NULL(strstr(m.error, "SEKRIT"));
	ih_http_counts_get(c, &n);
	CU_ASSERT_EQUAL(n.requests, 9); /* big, gz, redirect x2, notfound, e503ra x2, trunc, big */
	ih_http_client_free(c);
	ih_fake_clock_destroy(&fc);

	/* the client's size cap bounds what the sink is given */
	{
		ih_http_options o;

		ih_http_options_init(&o);
		o.timeout_ms = 5000;
		o.max_response_bytes = 100;
		CU_ASSERT_EQUAL_FATAL(ih_http_client_new(&o, &c), 0);
		CU_ASSERT_EQUAL(t_stream(c, "/big", &g, &m), IH_ERR_FATAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(m.error, "larger than 100 bytes"));
		CU_ASSERT(g.len <= 100);
		ih_http_client_free(c);
	}
}

/* The plugin's config view and [ingest] reach the options. */
static void test_options_from_config(void)
{
	ih_config *cfg = ih_config_defaults();
	ih_errors errs = { 0 };
	ih_plugin_config *pc;
	ih_http_options o;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	cfg->ingest.max_wait = 45;
	cfg->ingest.max_response_bytes = 12345;
	pc = ih_config_bind(cfg, "scryfall", NULL, &errs);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pc);
	ih_http_options_from_config(&o, cfg, pc);
	CU_ASSERT_EQUAL(o.timeout_ms, 30000);
	CU_ASSERT_EQUAL(o.connect_timeout_ms, 10000);
	CU_ASSERT_EQUAL(o.max_retries, cfg->ingest.max_retries);
	CU_ASSERT(o.requests_per_second > 0);
	CU_ASSERT_PTR_NOT_NULL(o.user_agent);
	if (o.user_agent != NULL)
		CU_ASSERT_PTR_NOT_NULL(strstr(o.user_agent, "scryfall"));
	CU_ASSERT_EQUAL(o.max_wait_s, 45);
	CU_ASSERT_EQUAL(o.max_response_bytes, 12345);
	CU_ASSERT_STRING_EQUAL(ih_http_class_name(IH_ERR_AUTH), "auth_failed");
	CU_ASSERT_STRING_EQUAL(ih_http_class_name(IH_ERR_RATE_LIMITED), "rate_limited");
	ih_plugin_config_free(pc);
	ih_config_free(cfg);
	ih_errors_clear(&errs);
}

CU_TestInfo ih_http_guard_tests[] = {
	{ "options from the plugin's config", test_options_from_config },
	{ "plain http to non-loopback refused, no connection", test_refused_urls },
	{ "a refused header is an auth failure, nothing sent", test_refused_header_is_auth },
	{ "stop cuts a Retry-After wait short", test_stop_cuts_wait },
	{ "rate limiter spacing on the fake clock", test_rate_spacing },
	{ "streaming GET: sink, Content-Length, redirects, failures, retries, cap", test_stream_get },
	{ "no secrets in errors or logs", test_no_secrets_logged },
	CU_TEST_INFO_NULL,
};
