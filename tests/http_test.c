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

#include "net/backoff.h"
#include "base/clock.h"
#include "base/conf.h"
#include "net/http.h"
#include "http_responder.h"
#include "http_units.h"
#include "http_fixture.h"
#include "base/log.h"
#include "net/ratelimit.h"
#include "testutil.h"



static char date_rl[64];   /* WALL0 + 3 + 7: 7 s after the first 3 s wait */
static char loc_http[128];  /* http://127.0.0.1:PORT/ok, set once the port is known */
static char big_body[1001];
static char zeros_body[50001];
atomic_int stop_xfer;

static ih_route routes[] = {
	{ .path = "/ok", .status = { 200 }, .body = "{\"ok\":true}" },
	{ .path = "/redirect", .status = { 302 }, .location = loc_http },
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

ih_responder *t_srv;

static int suite_init(void)
{
	time_t t = (time_t)(WALL0 + 3 + 7);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(date_rl, sizeof date_rl, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
		routes[i].hits = 0;
	memset(big_body, 'x', sizeof big_body - 1);
	memset(zeros_body, 'a', sizeof zeros_body - 1);
	if (ih_http_global_init() != 0)
		return -1;
	t_srv = ih_responder_start(routes, sizeof routes / sizeof routes[0]);
	if (t_srv == NULL)
		return -1;
	snprintf(loc_http, sizeof loc_http, "http://127.0.0.1:%d/ok", ih_responder_port(t_srv));
	return 0;
}

static int suite_clean(void)
{
	ih_responder_stop(t_srv);
	t_srv = NULL;
	return 0;
}

ih_route *t_route(const char *path)
{
	size_t i;

	for (i = 0; i < sizeof routes / sizeof routes[0]; i++)
		if (strcmp(routes[i].path, path) == 0)
			return &routes[i];
	CU_FAIL_FATAL("no such route");
	return NULL;
}

const char *t_url(const char *path)
{
	static char buf[256];

	snprintf(buf, sizeof buf, "http://127.0.0.1:%d%s", ih_responder_port(t_srv), path);
	return buf;
}

/* A client on fc with the given retry policy; seed fixed for repeatability. */
ih_http_client *t_client(ih_fake_clock *fc, int max_retries, double max_wait, double rps,
			      const atomic_int *stop)
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

int t_get(ih_http_client *c, const char *path, ih_http_response *resp)
{
	ih_http_request req = { .method = IH_HTTP_GET, .url = t_url(path) };

	return ih_http_do(c, &req, resp);
}

/* ---------------- the client ---------------- */

static void test_ok_get(void)
{
	ih_http_client *c = t_client(NULL, 3, 60, 0, NULL);
	ih_http_response r;
	long req, retries;
	ih_route *rt = t_route("/ok");
	long before;

	CU_ASSERT_EQUAL(t_get(c, "/ok", &r), IH_OK);
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

	/* redirects are followed to https:// only, never to plain http */
	before = ih_responder_hits(t_srv, "/ok");
	CU_ASSERT_EQUAL(t_get(c, "/redirect", &r), IH_ERR_FATAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.error, "redirected"));
	CU_ASSERT_EQUAL(ih_responder_hits(t_srv, "/redirect"), 1);
	CU_ASSERT_EQUAL(ih_responder_hits(t_srv, "/ok"), before);
	ih_http_response_free(&r);
	ih_http_client_free(c);
}

static void test_post(void)
{
	ih_http_client *c = t_client(NULL, 3, 60, 0, NULL);
	const char *hdrs[] = { "X-Test: yes", "Authorization: Bearer not-logged", NULL };
	ih_http_request req = { .method = IH_HTTP_POST, .url = t_url("/post"),
				.content_type = "application/json", .body = "{\"a\":1}", .headers = hdrs };
	ih_http_response r;
	ih_route *rt = t_route("/post");

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
		ih_http_request f = { .method = IH_HTTP_POST, .url = t_url("/post"),
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
	c = t_client(&fc, 5, 60, 0, NULL);
	CU_ASSERT_EQUAL(t_get(c, "/auth401", &r), IH_ERR_AUTH);
	CU_ASSERT_EQUAL(r.status, 401);
	CU_ASSERT_STRING_EQUAL(r.body, "{\"error\":\"unauthorized\"}");
	CU_ASSERT_PTR_NOT_NULL(strstr(r.error, "401"));
	CU_ASSERT_EQUAL(ih_responder_hits(t_srv, "/auth401"), 1);
	ih_http_response_free(&r);
	CU_ASSERT_EQUAL(t_get(c, "/auth403", &r), IH_ERR_AUTH);
	CU_ASSERT_EQUAL(r.status, 403);
	CU_ASSERT_EQUAL(ih_responder_hits(t_srv, "/auth403"), 1);
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
	c = t_client(&fc, 3, 600, 0, NULL);
	CU_ASSERT_EQUAL(t_get(c, "/rl", &r), IH_OK);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_STRING_EQUAL(r.body, "{\"n\":3}");
	CU_ASSERT_EQUAL(ih_responder_hits(t_srv, "/rl"), 3);
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
	CU_ASSERT_EQUAL(t_get(c, "/rl_noheader", &r), IH_OK);
	CU_ASSERT_EQUAL_FATAL(ih_fake_clock_slept(&fc, NULL), 1);
	CU_ASSERT_DOUBLE_EQUAL(fc.sleeps[0], 60, 1e-9);
	ih_http_response_free(&r);
	ih_http_client_free(c);

	/* Retry-After: 3600 capped by max_wait 30 */
	c = t_client(&fc, 3, 30, 0, NULL);
	ih_fake_clock_reset_sleeps(&fc);
	CU_ASSERT_EQUAL(t_get(c, "/rl_cap", &r), IH_OK);
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
	c = t_client(&fc, 2, 60, 0, NULL);
	CU_ASSERT_EQUAL(t_get(c, "/rl_forever", &r), IH_ERR_RATE_LIMITED);
	CU_ASSERT_EQUAL(r.status, 429);
	CU_ASSERT_EQUAL(ih_responder_hits(t_srv, "/rl_forever"), 3);
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
	c = t_client(&fc, 3, 60, 0, NULL);
	CU_ASSERT_EQUAL(t_get(c, "/err500", &r), IH_ERR_TRANSIENT);
	CU_ASSERT_EQUAL(r.status, 500);
	CU_ASSERT_STRING_EQUAL(r.body, "{\"error\":\"boom\"}");
	CU_ASSERT_PTR_NOT_NULL(strstr(r.error, "HTTP 500"));
	CU_ASSERT_EQUAL(ih_responder_hits(t_srv, "/err500"), 4);
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
	CU_ASSERT_EQUAL(t_get(c, "/e503ra", &r), IH_OK);
	CU_ASSERT_EQUAL_FATAL(ih_fake_clock_slept(&fc, NULL), 1);
	CU_ASSERT_DOUBLE_EQUAL(fc.sleeps[0], 2, 1e-9);
	ih_http_response_free(&r);

	/* no_retry: classified, not retried */
	{
		ih_http_request req = { .method = IH_HTTP_GET, .url = t_url("/noretry"), .no_retry = 1 };

		CU_ASSERT_EQUAL(ih_http_do(c, &req, &r), IH_ERR_TRANSIENT);
		CU_ASSERT_EQUAL(ih_responder_hits(t_srv, "/noretry"), 1);
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
	c = t_client(&fc, 3, 60, 0, NULL);
	CU_ASSERT_EQUAL(t_get(c, "/notfound", &r), IH_ERR_FATAL);
	CU_ASSERT_EQUAL(r.status, 404);
	CU_ASSERT_STRING_EQUAL(r.body, "{\"object\":\"error\",\"code\":\"not_found\"}");
	CU_ASSERT_PTR_NOT_NULL(strstr(r.error, "HTTP 404"));
	CU_ASSERT_EQUAL(ih_responder_hits(t_srv, "/notfound"), 1);
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
	CU_ASSERT_EQUAL(t_get(c, "/hang", &r), IH_ERR_TRANSIENT);
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
	c = t_client(&fc, 2, 60, 0, NULL);
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
	o.timeout_ms = 5000;
	o.max_retries = 0;
	o.max_response_bytes = 100;
	CU_ASSERT_EQUAL_FATAL(ih_http_client_new(&o, &c), 0);
	CU_ASSERT_EQUAL(t_get(c, "/big", &r), IH_ERR_FATAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.error, "response larger than 100 bytes"));
	CU_ASSERT_EQUAL(ih_responder_hits(t_srv, "/big"), 1);
	ih_http_response_free(&r);
	ih_http_client_free(c);

	/* the cap is on the decoded body: 50 kB of 'a' gzips to well under 1 kB */
	o.max_response_bytes = 1000;
	CU_ASSERT_EQUAL_FATAL(ih_http_client_new(&o, &c), 0);
	CU_ASSERT_EQUAL(t_get(c, "/biggz", &r), IH_ERR_FATAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.error, "response larger than 1000 bytes"));
	ih_http_response_free(&r);
	ih_http_client_free(c);
}

static void test_gzip(void)
{
	ih_http_client *c = t_client(NULL, 0, 60, 0, NULL);
	ih_http_response r;

	CU_ASSERT_EQUAL(t_get(c, "/gz", &r), IH_OK);
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
	c = t_client(&fc, 1, 60, 0, NULL);
	CU_ASSERT_EQUAL(t_get(c, "/trunc", &r), IH_ERR_TRANSIENT);
	CU_ASSERT_EQUAL(ih_responder_hits(t_srv, "/trunc"), 2);
	ih_http_stats(c, &n, NULL);
	CU_ASSERT_EQUAL(n, 2);
	ih_http_response_free(&r);
	ih_http_client_free(c);
	ih_fake_clock_destroy(&fc);
}

static CU_TestInfo http_tests[] = {
	{ "GET 200: body, Accept, User-Agent, gzip offered; no redirect to http", test_ok_get },
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
	CU_TEST_INFO_NULL,
};


static CU_SuiteInfo suites[] = {
	{ "clock", NULL, NULL, NULL, NULL, ih_clock_tests },
	{ "backoff", NULL, NULL, NULL, NULL, ih_backoff_tests },
	{ "ratelimit", NULL, NULL, NULL, NULL, ih_ratelimit_tests },
	{ "http", suite_init, suite_clean, NULL, NULL, http_tests },
	{ "http guards", suite_init, suite_clean, NULL, NULL, ih_http_guard_tests },
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	int rc = ih_test_main(suites);

	ih_http_global_cleanup();
	return rc;
}
