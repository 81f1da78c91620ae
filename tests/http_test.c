/* The host's HTTP client: every outcome class, its retries and waits. */
#include "config.h"

#include <time.h>

#include "backoff.h"
#include "clock.h"
#include "http.h"
#include "responder.h"
#include "testutil.h"
#include "fakeclock.h"

static int port;
static volatile int stop_flag;

static ih_http_client *client(int max_retries, double rps)
{
	ih_http_opts o;

	memset(&o, 0, sizeof o);
	o.name = "test";
	o.user_agent = "ingesthost-test/1";
	o.timeout_ms = 2000;
	o.connect_timeout_ms = 2000;
	o.max_response_bytes = 1 << 20;
	o.requests_per_second = rps;
	o.max_retries = max_retries;
	o.max_wait_s = 30;
	o.clock = &fake_clock;
	o.stop = &stop_flag;
	o.seed = 7;
	fake_nslept = 0;
	stop_flag = 0;
	return ih_http_client_new(&o);
}

/* GET <prefix>/prices?ids=1,2 through c; returns the class. */
static int get(ih_http_client *c, const char *prefix, ih_http_response *resp)
{
	char url[256];
	ih_http_request req = { IH_HTTP_GET, url, NULL, NULL, NULL, 0 };

	snprintf(url, sizeof url, "http://127.0.0.1:%d%s/prices?ids=1,2", port, prefix);
	return ih_http_do(c, &req, resp);
}

static int setup(void)
{
	static const rsp_route routes[] = {
		{ "/ok", RSP_PRICES, 0, 0, 0 },       { "/auth", RSP_401, 0, 0, 0 },
		{ "/rl", RSP_429_FIRST, 2, 7, 0 },    { "/rlnohdr", RSP_429_FIRST, 1, -1, 0 },
		{ "/down", RSP_503_FIRST, 1000, 0, 0 }, { "/blip", RSP_503_FIRST, 1, 0, 0 },
		{ "/gone", RSP_404, 0, 0, 0 },        { "/slow", RSP_SLOW, 1500, 0, 0 },
	};

	ih_http_global_init();
	port = rsp_start(routes, sizeof routes / sizeof routes[0]);
	return port > 0 ? 0 : -1;
}

static int teardown(void)
{
	rsp_stop();
	return 0;
}

static void test_ok(void)
{
	ih_http_client *c = client(3, 0);
	ih_http_response r;
	long req, ret;

	CU_ASSERT_EQUAL(get(c, "/ok", &r), IH_OK);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_STRING_EQUAL(r.body, "1 1.01\n2 2.02\n");
	ih_http_stats(c, &req, &ret);
	CU_ASSERT_EQUAL(req, 1);
	CU_ASSERT_EQUAL(ret, 0);
	ih_http_response_free(&r);
	ih_http_client_free(c);
}

static void test_auth_never_retried(void)
{
	ih_http_client *c = client(3, 0);
	ih_http_response r;
	long before = rsp_count("/auth"), req, ret;

	CU_ASSERT_EQUAL(get(c, "/auth", &r), IH_ERR_AUTH);
	CU_ASSERT_EQUAL(r.status, 401);
	CU_ASSERT_EQUAL(rsp_count("/auth") - before, 1);
	ih_http_stats(c, &req, &ret);
	CU_ASSERT_EQUAL(ret, 0);
	CU_ASSERT_EQUAL(fake_nslept, 0);
	ih_http_response_free(&r);
	ih_http_client_free(c);
}

static void test_rate_limited_waits_retry_after(void)
{
	ih_http_client *c = client(3, 0);
	ih_http_response r;
	long req, ret;

	CU_ASSERT_EQUAL(get(c, "/rl", &r), IH_OK);
	ih_http_stats(c, &req, &ret);
	CU_ASSERT_EQUAL(req, 3);
	CU_ASSERT_EQUAL(ret, 2);
	CU_ASSERT_EQUAL_FATAL(fake_nslept, 2);
	CU_ASSERT_DOUBLE_EQUAL(fake_slept[0], 7.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(fake_slept[1], 7.0, 1e-9);
	ih_http_response_free(&r);
	ih_http_client_free(c);
}

/* No Retry-After: 60 s, capped by max_wait (30 s here). */
static void test_rate_limited_default_wait_capped(void)
{
	ih_http_client *c = client(3, 0);
	ih_http_response r;

	CU_ASSERT_EQUAL(get(c, "/rlnohdr", &r), IH_OK);
	CU_ASSERT_EQUAL_FATAL(fake_nslept, 1);
	CU_ASSERT_DOUBLE_EQUAL(fake_slept[0], 30.0, 1e-9);
	ih_http_response_free(&r);
	ih_http_client_free(c);
}

static void test_transient_retried_then_given_up(void)
{
	ih_http_client *c = client(3, 0);
	ih_http_response r;
	long before = rsp_count("/down"), req, ret;

	CU_ASSERT_EQUAL(get(c, "/down", &r), IH_ERR_TRANSIENT);
	CU_ASSERT_EQUAL(r.status, 503);
	CU_ASSERT_EQUAL(rsp_count("/down") - before, 4);
	ih_http_stats(c, &req, &ret);
	CU_ASSERT_EQUAL(req, 4);
	CU_ASSERT_EQUAL(ret, 3);
	CU_ASSERT_EQUAL_FATAL(fake_nslept, 3);
	/* full jitter under a doubling ceiling: 1, 2, 4 s */
	CU_ASSERT(fake_slept[0] >= 0 && fake_slept[0] <= 1.0);
	CU_ASSERT(fake_slept[1] >= 0 && fake_slept[1] <= 2.0);
	CU_ASSERT(fake_slept[2] >= 0 && fake_slept[2] <= 4.0);
	ih_http_response_free(&r);
	ih_http_client_free(c);
	/* one 503, then fine */
	c = client(3, 0);
	CU_ASSERT_EQUAL(get(c, "/blip", &r), IH_OK);
	ih_http_stats(c, &req, &ret);
	CU_ASSERT_EQUAL(req, 2);
	ih_http_response_free(&r);
	ih_http_client_free(c);
}

static void test_fatal_keeps_body(void)
{
	ih_http_client *c = client(3, 0);
	ih_http_response r;
	long before = rsp_count("/gone");

	CU_ASSERT_EQUAL(get(c, "/gone", &r), IH_ERR_FATAL);
	CU_ASSERT_EQUAL(r.status, 404);
	CU_ASSERT_STRING_EQUAL(r.body, "{\"error\":\"not found\"}");
	CU_ASSERT_EQUAL(rsp_count("/gone") - before, 1);
	ih_http_response_free(&r);
	ih_http_client_free(c);
}

static void test_timeout_is_transient(void)
{
	ih_http_opts o;
	ih_http_client *c;
	ih_http_response r;

	memset(&o, 0, sizeof o);
	o.timeout_ms = 200;
	o.max_retries = 0;
	o.clock = &fake_clock;
	c = ih_http_client_new(&o);
	CU_ASSERT_EQUAL(get(c, "/slow", &r), IH_ERR_TRANSIENT);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.error, "imeout"));
	ih_http_response_free(&r);
	ih_http_client_free(c);
}

static void test_size_cap(void)
{
	ih_http_opts o;
	ih_http_client *c;
	ih_http_response r;

	memset(&o, 0, sizeof o);
	o.max_response_bytes = 5;
	o.clock = &fake_clock;
	c = ih_http_client_new(&o);
	CU_ASSERT_EQUAL(get(c, "/ok", &r), IH_ERR_FATAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.error, "larger than 5 bytes"));
	ih_http_response_free(&r);
	ih_http_client_free(c);
}

static void test_plain_http_only_to_loopback(void)
{
	ih_http_client *c = client(3, 0);
	ih_http_request req = { IH_HTTP_GET, "http://example.com/prices", NULL, NULL, NULL, 0 };
	ih_http_response r;
	long n, ret;
	char why[256];

	CU_ASSERT_EQUAL(ih_http_do(c, &req, &r), IH_ERR_FATAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.error, "only https://"));
	ih_http_stats(c, &n, &ret);
	CU_ASSERT_EQUAL(n, 0);
	ih_http_response_free(&r);
	ih_http_client_free(c);
	CU_ASSERT_TRUE(ih_http_url_allowed("https://api.scryfall.com/cards", why, sizeof why));
	CU_ASSERT_TRUE(ih_http_url_allowed("http://127.0.0.1:8080/x", why, sizeof why));
	CU_ASSERT_TRUE(ih_http_url_allowed("http://localhost/x", why, sizeof why));
	CU_ASSERT_FALSE(ih_http_url_allowed("http://10.0.0.1/x", why, sizeof why));
	CU_ASSERT_FALSE(ih_http_url_allowed("ftp://127.0.0.1/x", why, sizeof why));
}

static void test_stop_cuts_wait_short(void)
{
	ih_http_client *c = client(3, 0);
	ih_http_response r;

	stop_flag = 1;
	CU_ASSERT_EQUAL(get(c, "/rl", &r), IH_ERR_STOPPED);
	ih_http_response_free(&r);
	ih_http_client_free(c);
}

static void test_rate_limiter_spacing(void)
{
	ih_http_client *c = client(0, 2.0);
	ih_http_response r;
	double total = 0;

	for (int i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(get(c, "/ok", &r), IH_OK);
		ih_http_response_free(&r);
	}
	for (int i = 0; i < fake_nslept; i++)
		total += fake_slept[i];
	/* 5 requests at 2/s: the 2nd..5th each wait half a second */
	CU_ASSERT_DOUBLE_EQUAL(total, 2.0, 1e-6);
	ih_http_client_free(c);
}

static void test_retry_after_and_backoff(void)
{
	ih_rng g;
	double wall = 1445412480.0; /* Wed, 21 Oct 2015 07:28:00 GMT */

	CU_ASSERT_DOUBLE_EQUAL(ih_retry_after("120", wall), 120.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(ih_retry_after(" 0 ", wall), 0.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(ih_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", wall), 30.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(ih_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", wall), 0.0, 1e-9);
	CU_ASSERT(ih_retry_after("soon", wall) < 0);
	CU_ASSERT(ih_retry_after(NULL, wall) < 0);
	CU_ASSERT(ih_retry_after("", wall) < 0);
	ih_rng_seed(&g, 1);
	for (int a = 1; a <= 12; a++) {
		double w = ih_backoff_full_jitter(&g, a, 1.0, 30.0, 0);

		CU_ASSERT(w >= 0 && w <= 30.0);
		CU_ASSERT(w <= (a <= 5 ? (double)(1 << (a - 1)) : 30.0));
	}
	CU_ASSERT_DOUBLE_EQUAL(ih_backoff_full_jitter(&g, 3, 1.0, 30.0, 1), 0.0, 1e-12);
	CU_ASSERT_EQUAL(ih_http_classify_status(200), IH_OK);
	CU_ASSERT_EQUAL(ih_http_classify_status(403), IH_ERR_AUTH);
	CU_ASSERT_EQUAL(ih_http_classify_status(429), IH_ERR_RATE_LIMITED);
	CU_ASSERT_EQUAL(ih_http_classify_status(502), IH_ERR_TRANSIENT);
	CU_ASSERT_EQUAL(ih_http_classify_status(400), IH_ERR_FATAL);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{ "200 ok", test_ok },
		{ "401: one request, no retry", test_auth_never_retried },
		{ "429: Retry-After honoured through the clock", test_rate_limited_waits_retry_after },
		{ "429 without Retry-After: 60 s capped", test_rate_limited_default_wait_capped },
		{ "5xx: backoff with jitter, then transient", test_transient_retried_then_given_up },
		{ "404: fatal, body kept", test_fatal_keeps_body },
		{ "timeout: transient", test_timeout_is_transient },
		{ "response size cap", test_size_cap },
		{ "plain http only to loopback", test_plain_http_only_to_loopback },
		{ "stop cuts a wait short", test_stop_cuts_wait_short },
		{ "token bucket spacing", test_rate_limiter_spacing },
		{ "Retry-After parsing, backoff bounds, classes", test_retry_after_and_backoff },
		CU_TEST_INFO_NULL,
	};
	static CU_SuiteInfo suites[] = {
		{ "http", setup, teardown, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};

	return ih_test_main(suites);
}
