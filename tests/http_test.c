/*
 * http_test -- the HTTP service: clock, backoff, Retry-After, rate limit and
 * the client's classification and retries against a libmicrohttpd responder
 * on a free loopback port.  Every wait goes through a fake clock, so nothing
 * here sleeps or measures wall time.
 */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backoff.h"
#include "clock.h"
#include "http.h"
#include "http_responder.h"
#include "http_units.h"
#include "log.h"
#include "ratelimit.h"
#include "testutil.h"

#define WALL0 1700000000.0 /* the fake clock's wall time at start */

static char date_rl[64];   /* WALL0 + 3 + 7: 7 s after the first 3 s wait */
static char big_body[1001];
static char zeros_body[50001];
static volatile int stop_xfer;

static ih_route routes[] = {
	{ .path = "/ok", .status = { 200 }, .body = "{\"ok\":true}" },
	{ .path = "/post", .status = { 201 }, .body = "{\"created\":1}" },
	{ .path = "/auth401", .status = { 401 }, .body = "{\"error\":\"unauthorized\"}" },
	{ .path = "/auth403", .status = { 403 } },
	{ .path = "/rl", .status = { 429, 429, 200 }, .retry_after = { "3", date_rl }, .body = "{\"n\":3}" },
	{ .path = "/rl_noheader", .status = { 429, 200 } },
	{ .path = "/rl_cap", .status = { 429, 200 }, .retry_after = { "3600" } },
	{ .path = "/rl_forever", .status = { 429 }, .retry_after = { "1", "1", "1", "1" } },
	{ .path = "/err500", .status = { 500 }, .body = "{\"error\":\"boom\"}" },
	{ .path = "/e503ra", .status = { 503, 200 }, .retry_after = { "2" } },
	{ .path = "/noretry", .status = { 500 } },
	{ .path = "/notfound", .status = { 404 }, .body = "{\"object\":\"error\",\"code\":\"not_found\"}" },
	{ .path = "/hang", .status = { 200 }, .hang = 1 },
	{ .path = "/big", .status = { 200 }, .body = big_body },
	{ .path = "/biggz", .status = { 200 }, .body = zeros_body, .gzip = 1 },
	{ .path = "/gz", .status = { 200 }, .body = "{\"gz\":\"yes\",\"pad\":\"aaaaaaaaaaaaaaaaaaaaaaaa\"}", .gzip = 1 },
	{ .path = "/trunc", .status = { 200 }, .body = "{\"a\":\"0123456789012345678901234567890123456789\"}",
	  .truncate_to = 10 },
	{ .path = "/stop_rl", .status = { 429 }, .retry_after = { "30" } },
	{ .path = "/stop_real", .status = { 429 }, .retry_after = { "3600" } },
	{ .path = "/stop_xfer", .status = { 200 }, .hang = 1, .set_on_hit = &stop_xfer },
	{ .path = "/rate", .status = { 200 } },
	{ .path = "/secret", .status = { 404 } },
	{ .path = "/secret500", .status = { 500 } },
	{ .path = "/secret401", .status = { 401 } },
};

static ih_responder *srv;

static int suite_init(void)
{
	time_t t = (time_t)(WALL0 + 3 + 7);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(date_rl, sizeof date_rl, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	memset(big_body, 'x', sizeof big_body - 1);
	memset(zeros_body, 'a', sizeof zeros_body - 1);
	if (ih_http_global_init() != 0)
		return -1;
	srv = ih_responder_start(routes, sizeof routes / sizeof routes[0]);
	return srv != NULL ? 0 : -1;
}

static int suite_clean(void)
{
	ih_responder_stop(srv);
	srv = NULL;
	return 0;
}

static const char *url(const char *path)
{
	static char buf[256];

	snprintf(buf, sizeof buf, "http://127.0.0.1:%d%s", ih_responder_port(srv), path);
	return buf;
}

/* A client on fc with the given retry policy; seed fixed for repeatability. */
static ih_http_client *client(ih_fake_clock *fc, int max_retries, double max_wait, double rps,
			      const volatile int *stop)
{
	ih_http_options o;
	ih_http_client *c = NULL;

	ih_http_options_init(&o);
	o.name = "testplugin";
	o.user_agent = "ingesthost-test/1";
	o.max_retries = max_retries;
	o.max_wait_s = max_wait;
	o.requests_per_second = rps;
	o.clock = fc != NULL ? &fc->clock : NULL;
	o.stop = stop;
	o.seed = 42;
	o.timeout_ms = 5000;
	CU_ASSERT_EQUAL_FATAL(ih_http_client_new(&o, &c), 0);
	return c;
}

static int get(ih_http_client *c, const char *path, ih_http_response *resp)
{
	ih_http_request req = { .method = IH_HTTP_GET, .url = url(path) };

	return ih_http_do(c, &req, resp);
}

/* ---------------- the client ---------------- */

static void test_ok_get(void)
{
	ih_http_client *c = client(NULL, 3, 60, 0, NULL);
	ih_http_response r;
	long req, retries;
	ih_route *rt = &routes[0];

	CU_ASSERT_EQUAL(get(c, "/ok", &r), IH_OK);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_STRING_EQUAL(r.body, "{\"ok\":true}");
	CU_ASSERT_EQUAL(r.body_len, strlen("{\"ok\":true}"));
	CU_ASSERT_STRING_EQUAL(r.error, "");
	CU_ASSERT_STRING_EQUAL(rt->method, "GET");
	CU_ASSERT_STRING_EQUAL(rt->accept, "application/json");
	CU_ASSERT_STRING_EQUAL(rt->user_agent, "ingesthost-test/1");
	CU_ASSERT_PTR_NOT_NULL(strstr(rt->accept_encoding, "gzip"));
	ih_http_stats(c, &req, &retries);
	CU_ASSERT_EQUAL(req, 1);
	CU_ASSERT_EQUAL(retries, 0);
	ih_http_response_free(&r);
	ih_http_response_free(&r); /* idempotent */
	ih_http_client_free(c);
}

static void test_post(void)
{
	ih_http_client *c = client(NULL, 3, 60, 0, NULL);
	const char *hdrs[] = { "X-Test: yes", "Authorization: Bearer not-logged", NULL };
	ih_http_request req = { .method = IH_HTTP_POST, .url = url("/post"),
				.content_type = "application/json", .body = "{\"a\":1}", .headers = hdrs };
	ih_http_response r;
	ih_route *rt = &routes[1];

	CU_ASSERT_EQUAL(ih_http_do(c, &req, &r), IH_OK);
	CU_ASSERT_EQUAL(r.status, 201);
	CU_ASSERT_STRING_EQUAL(rt->method, "POST");
	CU_ASSERT_STRING_EQUAL(rt->content_type, "application/json");
	CU_ASSERT_STRING_EQUAL(rt->x_test, "yes");
	CU_ASSERT_STRING_EQUAL(rt->body_seen, "{\"a\":1}");
	ih_http_response_free(&r);

	/* a form body, and a plugin's own Accept replacing the default */
	{
		const char *h2[] = { "Accept: text/csv", NULL };
		ih_http_request f = { .method = IH_HTTP_POST, .url = url("/post"),
				      .content_type = "application/x-www-form-urlencoded",
				      .body = "grant_type=client_credentials", .headers = h2 };

		CU_ASSERT_EQUAL(ih_http_do(c, &f, &r), IH_OK);
		CU_ASSERT_STRING_EQUAL(rt->content_type, "application/x-www-form-urlencoded");
		CU_ASSERT_STRING_EQUAL(rt->body_seen, "grant_type=client_credentials");
		CU_ASSERT_STRING_EQUAL(rt->accept, "text/csv");
		ih_http_response_free(&r);
	}
	ih_http_client_free(c);
}

static void test_auth(void)
{
	ih_fake_clock fc;
	ih_http_client *c;
	ih_http_response r;
	ih_http_counts n;

	ih_fake_clock_init(&fc, WALL0);
	c = client(&fc, 5, 60, 0, NULL);
	CU_ASSERT_EQUAL(get(c, "/auth401", &r), IH_ERR_AUTH);
	CU_ASSERT_EQUAL(r.status, 401);
	CU_ASSERT_STRING_EQUAL(r.body, "{\"error\":\"unauthorized\"}");
	CU_ASSERT_PTR_NOT_NULL(strstr(r.error, "401"));
	CU_ASSERT_EQUAL(ih_responder_hits(srv, "/auth401"), 1);
	ih_http_response_free(&r);
	CU_ASSERT_EQUAL(get(c, "/auth403", &r), IH_ERR_AUTH);
	CU_ASSERT_EQUAL(r.status, 403);
	CU_ASSERT_EQUAL(ih_responder_hits(srv, "/auth403"), 1);
	ih_http_response_free(&r);
	ih_http_counts_get(c, &n);
	CU_ASSERT_EQUAL(n.requests, 2);
	CU_ASSERT_EQUAL(n.retries, 0);
	CU_ASSERT_EQUAL(n.auth, 2);
	CU_ASSERT_EQUAL(ih_fake_clock_slept(&fc, NULL), 0);
	ih_http_client_free(c);
	ih_fake_clock_destroy(&fc);
}

static void test_rate_limited_then_ok(void)
{
	ih_fake_clock fc;
	ih_http_client *c;
	ih_http_response r;
	ih_http_counts n;

	ih_fake_clock_init(&fc, WALL0);
	c = client(&fc, 3, 600, 0, NULL);
	CU_ASSERT_EQUAL(get(c, "/rl", &r), IH_OK);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_STRING_EQUAL(r.body, "{\"n\":3}");
	CU_ASSERT_EQUAL(ih_responder_hits(srv, "/rl"), 3);
	ih_http_counts_get(c, &n);
	CU_ASSERT_EQUAL(n.requests, 3);
	CU_ASSERT_EQUAL(n.retries, 2);
	CU_ASSERT_EQUAL(n.rate_limited, 2);
	CU_ASSERT_EQUAL(n.ok, 1);
	/* "3" seconds, then an HTTP-date 7 s past the (fake) wall time */
	CU_ASSERT_EQUAL_FATAL(ih_fake_clock_slept(&fc, NULL), 2);
	CU_ASSERT_DOUBLE_EQUAL(fc.sleeps[0], 3, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(fc.sleeps[1], 7, 1e-9);
	ih_http_response_free(&r);

	/* no Retry-After: 60 s */
	ih_fake_clock_reset_sleeps(&fc);
	CU_ASSERT_EQUAL(get(c, "/rl_noheader", &r), IH_OK);
	CU_ASSERT_EQUAL_FATAL(ih_fake_clock_slept(&fc, NULL), 1);
	CU_ASSERT_DOUBLE_EQUAL(fc.sleeps[0], 60, 1e-9);
	ih_http_response_free(&r);
	ih_http_client_free(c);

	/* Retry-After: 3600 capped by max_wait 30 */
	c = client(&fc, 3, 30, 0, NULL);
	ih_fake_clock_reset_sleeps(&fc);
	CU_ASSERT_EQUAL(get(c, "/rl_cap", &r), IH_OK);
	CU_ASSERT_EQUAL_FATAL(ih_fake_clock_slept(&fc, NULL), 1);
	CU_ASSERT_DOUBLE_EQUAL(fc.sleeps[0], 30, 1e-9);
	ih_http_response_free(&r);
	ih_http_client_free(c);
	ih_fake_clock_destroy(&fc);
}

static void test_rate_limited_forever(void)
{
	ih_fake_clock fc;
	ih_http_client *c;
	ih_http_response r;
	long req, retries;
	double total;

	ih_fake_clock_init(&fc, WALL0);
	c = client(&fc, 2, 60, 0, NULL);
	CU_ASSERT_EQUAL(get(c, "/rl_forever", &r), IH_ERR_RATE_LIMITED);
	CU_ASSERT_EQUAL(r.status, 429);
	CU_ASSERT_EQUAL(ih_responder_hits(srv, "/rl_forever"), 3);
	ih_http_stats(c, &req, &retries);
	CU_ASSERT_EQUAL(req, 3);
	CU_ASSERT_EQUAL(retries, 2);
	CU_ASSERT_EQUAL(ih_fake_clock_slept(&fc, &total), 2);
	CU_ASSERT_DOUBLE_EQUAL(total, 2, 1e-9);
	ih_http_response_free(&r);
	ih_http_client_free(c);
	ih_fake_clock_destroy(&fc);
}

static void test_transient_5xx(void)
{
	ih_fake_clock fc;
	ih_http_client *c;
	ih_http_response r;
	ih_http_counts n;
	size_t i;

	ih_fake_clock_init(&fc, WALL0);
	c = client(&fc, 3, 60, 0, NULL);
	CU_ASSERT_EQUAL(get(c, "/err500", &r), IH_ERR_TRANSIENT);
	CU_ASSERT_EQUAL(r.status, 500);
	CU_ASSERT_STRING_EQUAL(r.body, "{\"error\":\"boom\"}");
	CU_ASSERT_PTR_NOT_NULL(strstr(r.error, "HTTP 500"));
	CU_ASSERT_EQUAL(ih_responder_hits(srv, "/err500"), 4);
	ih_http_counts_get(c, &n);
	CU_ASSERT_EQUAL(n.requests, 4);
	CU_ASSERT_EQUAL(n.retries, 3);
	CU_ASSERT_EQUAL(n.transient, 4);
	/* full jitter under 1, 2, 4 s (base 1 s) */
	CU_ASSERT_EQUAL_FATAL(ih_fake_clock_slept(&fc, NULL), 3);
	for (i = 0; i < 3; i++)
		CU_ASSERT(fc.sleeps[i] >= 0 && fc.sleeps[i] < (double)(1 << i));
	ih_http_response_free(&r);

	/* a 503 that says when to come back is taken at its word */
	ih_fake_clock_reset_sleeps(&fc);
	CU_ASSERT_EQUAL(get(c, "/e503ra", &r), IH_OK);
	CU_ASSERT_EQUAL_FATAL(ih_fake_clock_slept(&fc, NULL), 1);
	CU_ASSERT_DOUBLE_EQUAL(fc.sleeps[0], 2, 1e-9);
	ih_http_response_free(&r);

	/* no_retry: classified, not retried */
	{
		ih_http_request req = { .method = IH_HTTP_GET, .url = url("/noretry"), .no_retry = 1 };

		CU_ASSERT_EQUAL(ih_http_do(c, &req, &r), IH_ERR_TRANSIENT);
		CU_ASSERT_EQUAL(ih_responder_hits(srv, "/noretry"), 1);
		ih_http_response_free(&r);
	}
	ih_http_client_free(c);
	ih_fake_clock_destroy(&fc);
}

static void test_fatal_4xx(void)
{
	ih_fake_clock fc;
	ih_http_client *c;
	ih_http_response r;

	ih_fake_clock_init(&fc, WALL0);
	c = client(&fc, 3, 60, 0, NULL);
	CU_ASSERT_EQUAL(get(c, "/notfound", &r), IH_ERR_FATAL);
	CU_ASSERT_EQUAL(r.status, 404);
	CU_ASSERT_STRING_EQUAL(r.body, "{\"object\":\"error\",\"code\":\"not_found\"}");
	CU_ASSERT_PTR_NOT_NULL(strstr(r.error, "HTTP 404"));
	CU_ASSERT_EQUAL(ih_responder_hits(srv, "/notfound"), 1);
	CU_ASSERT_EQUAL(ih_fake_clock_slept(&fc, NULL), 0);
	ih_http_response_free(&r);
	ih_http_client_free(c);
	ih_fake_clock_destroy(&fc);
}

static void test_timeout(void)
{
	ih_fake_clock fc;
	ih_http_options o;
	ih_http_client *c = NULL;
	ih_http_response r;
	long req, retries;

	ih_fake_clock_init(&fc, WALL0);
	ih_http_options_init(&o);
	o.clock = &fc.clock;
	o.timeout_ms = 200; /* the responder never answers before release */
	o.max_retries = 1;
	CU_ASSERT_EQUAL_FATAL(ih_http_client_new(&o, &c), 0);
	CU_ASSERT_EQUAL(get(c, "/hang", &r), IH_ERR_TRANSIENT);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_PTR_NOT_NULL(r.body);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.error, "timed out"));
	ih_http_stats(c, &req, &retries);
	CU_ASSERT_EQUAL(req, 2);
	CU_ASSERT_EQUAL(retries, 1);
	ih_http_response_free(&r);
	ih_http_client_free(c);
	ih_fake_clock_destroy(&fc);
}

static void test_connection_refused(void)
{
	ih_route none[] = { { .path = "/x" } };
	ih_responder *gone = ih_responder_start(none, 1);
	ih_fake_clock fc;
	ih_http_client *c;
	ih_http_response r;
	ih_http_request req = { .method = IH_HTTP_GET };
	char u[128];
	long n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(gone);
	snprintf(u, sizeof u, "http://127.0.0.1:%d/x", ih_responder_port(gone));
	ih_responder_stop(gone); /* nothing listens there now */
	req.url = u;
	ih_fake_clock_init(&fc, WALL0);
	c = client(&fc, 2, 60, 0, NULL);
	CU_ASSERT_EQUAL(ih_http_do(c, &req, &r), IH_ERR_TRANSIENT);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_NOT_EQUAL(r.error[0], '\0');
	ih_http_stats(c, &n, NULL);
	CU_ASSERT_EQUAL(n, 3);
	ih_http_response_free(&r);
	ih_http_client_free(c);
	ih_fake_clock_destroy(&fc);
}

static void test_size_cap(void)
{
	ih_http_options o;
	ih_http_client *c = NULL;
	ih_http_response r;

	ih_http_options_init(&o);
	o.max_response_bytes = 100;
	CU_ASSERT_EQUAL_FATAL(ih_http_client_new(&o, &c), 0);
	CU_ASSERT_EQUAL(get(c, "/big", &r), IH_ERR_FATAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.error, "response larger than 100 bytes"));
	CU_ASSERT_EQUAL(ih_responder_hits(srv, "/big"), 1);
	ih_http_response_free(&r);
	ih_http_client_free(c);

	/* the cap is on the decoded body: 50 kB of 'a' gzips to well under 1 kB */
	o.max_response_bytes = 1000;
	CU_ASSERT_EQUAL_FATAL(ih_http_client_new(&o, &c), 0);
	CU_ASSERT_EQUAL(get(c, "/biggz", &r), IH_ERR_FATAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.error, "response larger than 1000 bytes"));
	ih_http_response_free(&r);
	ih_http_client_free(c);
}

static void test_gzip(void)
{
	ih_http_client *c = client(NULL, 0, 60, 0, NULL);
	ih_http_response r;

	CU_ASSERT_EQUAL(get(c, "/gz", &r), IH_OK);
	CU_ASSERT_STRING_EQUAL(r.body, "{\"gz\":\"yes\",\"pad\":\"aaaaaaaaaaaaaaaaaaaaaaaa\"}");
	ih_http_response_free(&r);
	ih_http_client_free(c);
}

static void test_truncated(void)
{
	ih_fake_clock fc;
	ih_http_client *c;
	ih_http_response r;
	long n;

	ih_fake_clock_init(&fc, WALL0);
	c = client(&fc, 1, 60, 0, NULL);
	CU_ASSERT_EQUAL(get(c, "/trunc", &r), IH_ERR_TRANSIENT);
	CU_ASSERT_EQUAL(ih_responder_hits(srv, "/trunc"), 2);
	ih_http_stats(c, &n, NULL);
	CU_ASSERT_EQUAL(n, 2);
	ih_http_response_free(&r);
	ih_http_client_free(c);
	ih_fake_clock_destroy(&fc);
}

static void test_refused_urls(void)
{
	const char *ok[] = { "https://api.scryfall.com/cards", "http://127.0.0.1:8080/x",
			     "http://127.9.8.7/", "http://localhost:1/", "http://LOCALHOST/",
			     "http://[::1]:80/p", NULL };
	const char *bad[] = { "http://example.com/x?key=SEKRIT", "http://128.0.0.1/", "http://[::2]/",
			      "http://127.0.0.1.nip.io/", "http://10.0.0.1/", "ftp://127.0.0.1/",
			      "file:///etc/passwd", "api.scryfall.com/cards", "", NULL };
	char err[256];
	ih_http_client *c = client(NULL, 3, 60, 0, NULL);
	ih_http_response r;
	ih_http_request req = { .method = IH_HTTP_GET, .url = "http://192.0.2.1/prices?token=SEKRIT" };
	const char *badh[] = { "X-Evil: a\r\nHost: b", NULL };
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
	/* a header that would smuggle another line */
	req.url = url("/ok");
	req.headers = badh;
	CU_ASSERT_EQUAL(ih_http_do(c, &req, &r), IH_ERR_FATAL);
	ih_http_response_free(&r);
	CU_ASSERT_EQUAL(ih_http_do(c, NULL, &r), IH_ERR_FATAL);
	ih_http_response_free(&r);
	ih_http_counts_get(c, &n);
	CU_ASSERT_EQUAL(n.requests, 0); /* no connection was attempted */
	CU_ASSERT_EQUAL(n.fatal, 3);
	ih_http_client_free(c);
}

/* A real sleep that first tells a waiting thread it has begun. */
typedef struct sleep_signal {
	pthread_mutex_t m;
	pthread_cond_t cv;
	int started;
	volatile int *stop;
} sleep_signal;

static int signalling_sleep(void *ud, double seconds, const volatile int *stop)
{
	sleep_signal *ss = ud;

	pthread_mutex_lock(&ss->m);
	ss->started = 1;
	pthread_cond_broadcast(&ss->cv);
	pthread_mutex_unlock(&ss->m);
	return ih_clock_real()->sleep(NULL, seconds, stop);
}

static void *stopper(void *arg)
{
	sleep_signal *ss = arg;

	pthread_mutex_lock(&ss->m);
	while (!ss->started)
		pthread_cond_wait(&ss->cv, &ss->m);
	pthread_mutex_unlock(&ss->m);
	*ss->stop = 1;
	return NULL;
}

static void test_stop_cuts_wait(void)
{
	ih_fake_clock fc;
	ih_http_client *c;
	ih_http_response r;
	volatile int stop = 0;
	long n;

	/* the fake clock reports a shutdown arriving during the Retry-After wait */
	ih_fake_clock_init(&fc, WALL0);
	fc.trip = &stop;
	fc.trip_at = 1;
	c = client(&fc, 3, 60, 0, &stop);
	CU_ASSERT_EQUAL(get(c, "/stop_rl", &r), IH_ERR_STOPPED);
	CU_ASSERT_EQUAL(r.status, 429);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.error, "stopped"));
	CU_ASSERT_EQUAL(ih_responder_hits(srv, "/stop_rl"), 1);
	CU_ASSERT_EQUAL_FATAL(ih_fake_clock_slept(&fc, NULL), 1);
	CU_ASSERT_DOUBLE_EQUAL(fc.sleeps[0], 30, 1e-9);
	ih_http_response_free(&r);
	/* stopped already: no request at all */
	CU_ASSERT_EQUAL(get(c, "/ok", &r), IH_ERR_STOPPED);
	ih_http_stats(c, &n, NULL);
	CU_ASSERT_EQUAL(n, 1);
	ih_http_response_free(&r);
	ih_http_client_free(c);
	ih_fake_clock_destroy(&fc);

	/* the real clock, Retry-After: 3600: a second thread raises the flag
	 * once the wait has begun, and the wait must end (else this hangs) */
	{
		sleep_signal ss = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, &stop };
		ih_clock sc = { ih_clock_real()->now, signalling_sleep, &ss, ih_clock_real()->wall };
		ih_http_options o;
		pthread_t t;

		stop = 0;
		ih_http_options_init(&o);
		o.clock = &sc;
		o.stop = &stop;
		o.max_wait_s = 3600;
		CU_ASSERT_EQUAL_FATAL(ih_http_client_new(&o, &c), 0);
		CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, stopper, &ss), 0);
		CU_ASSERT_EQUAL(get(c, "/stop_real", &r), IH_ERR_STOPPED);
		pthread_join(t, NULL);
		CU_ASSERT_EQUAL(ss.started, 1);
		CU_ASSERT_EQUAL(ih_responder_hits(srv, "/stop_real"), 1);
		ih_http_stats(c, &n, NULL);
		CU_ASSERT_EQUAL(n, 1);
		ih_http_response_free(&r);
		ih_http_client_free(c);
	}

	/* a transfer in flight is abandoned too: the server raises the flag on
	 * arrival and never answers */
	c = client(NULL, 3, 60, 0, &stop_xfer);
	CU_ASSERT_EQUAL(get(c, "/stop_xfer", &r), IH_ERR_STOPPED);
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
	c = client(&fc, 3, 60, 2, NULL);
	for (i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(get(c, "/rate", &r), IH_OK);
		ih_http_response_free(&r);
	}
	CU_ASSERT_EQUAL(ih_responder_hits(srv, "/rate"), 5);
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
	c = client(&fc, 1, 60, 0, NULL);
	for (i = 0; i < 3; i++) {
		snprintf(u, sizeof u, "%s?api_key=SEKRIT-KEY&x=1", url(p[i]));
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

static CU_TestInfo http_tests[] = {
	{ "GET 200: body, Accept, User-Agent, gzip offered", test_ok_get },
	{ "POST JSON and form bodies with extra headers", test_post },
	{ "401/403: auth_failed, exactly one request", test_auth },
	{ "429 twice then 200: Retry-After seconds and date", test_rate_limited_then_ok },
	{ "429 forever: max_retries+1 requests", test_rate_limited_forever },
	{ "500 forever: transient after backoff", test_transient_5xx },
	{ "404: fatal, one request, body kept", test_fatal_4xx },
	{ "timeout: transient", test_timeout },
	{ "connection refused: transient", test_connection_refused },
	{ "response-size cap: fatal", test_size_cap },
	{ "gzip body decoded", test_gzip },
	{ "truncated body: transient", test_truncated },
	{ "plain http to non-loopback refused, no connection", test_refused_urls },
	{ "stop cuts a Retry-After wait short", test_stop_cuts_wait },
	{ "rate limiter spacing on the fake clock", test_rate_spacing },
	{ "no secrets in errors or logs", test_no_secrets_logged },
	CU_TEST_INFO_NULL,
};


static CU_SuiteInfo suites[] = {
	{ "clock", NULL, NULL, NULL, NULL, ih_clock_tests },
	{ "backoff", NULL, NULL, NULL, NULL, ih_backoff_tests },
	{ "ratelimit", NULL, NULL, NULL, NULL, ih_ratelimit_tests },
	{ "http", suite_init, suite_clean, NULL, NULL, http_tests },
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	int rc = ih_test_main(suites);

	ih_http_global_cleanup();
	return rc;
}
