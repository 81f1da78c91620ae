/*
 * http_units -- unit tests of the pieces under the HTTP client: the
 * injectable clock, full-jitter backoff, Retry-After parsing and the token
 * bucket.  Part of tests/http_test.
 */
#include "config.h"

#include <math.h>
#include <pthread.h>

#include "net/backoff.h"
#include "base/clock.h"
#include "http_units.h"
#include "net/ratelimit.h"

#define WALL0 1700000000.0

/* ---------------- clock ---------------- */

static void test_fake_clock(void)
{
	ih_fake_clock fc;
	atomic_int stop = 0;
	double total;

	ih_fake_clock_init(&fc, WALL0);
	CU_ASSERT_EQUAL(ih_clock_now(&fc.clock), 0);
	CU_ASSERT_EQUAL(ih_clock_wall(&fc.clock), WALL0);
	CU_ASSERT_EQUAL(ih_clock_sleep(&fc.clock, 2.5, &stop), 0);
	CU_ASSERT_EQUAL(ih_clock_now(&fc.clock), 2.5);
	CU_ASSERT_EQUAL(ih_clock_wall(&fc.clock), WALL0 + 2.5);
	ih_fake_clock_advance(&fc, 1);
	CU_ASSERT_EQUAL(ih_clock_now(&fc.clock), 3.5);
	CU_ASSERT_EQUAL(ih_fake_clock_slept(&fc, &total), 1);
	CU_ASSERT_EQUAL(total, 2.5);
	/* a trip: the second sleep is "interrupted" by a shutdown */
	fc.trip = &stop;
	fc.trip_at = 2;
	CU_ASSERT_EQUAL(ih_clock_sleep(&fc.clock, 10, &stop), -1);
	CU_ASSERT_EQUAL(stop, 1);
	CU_ASSERT_EQUAL(ih_clock_now(&fc.clock), 3.5);
	/* with stop set, nothing waits */
	CU_ASSERT_EQUAL(ih_clock_sleep(&fc.clock, 10, &stop), -1);
	CU_ASSERT_EQUAL(ih_clock_now(&fc.clock), 3.5);
	ih_fake_clock_destroy(&fc);
}

static void *set_flag(void *arg)
{
	*(atomic_int *)arg = 1;
	return NULL;
}

static void test_real_clock_stop(void)
{
	const ih_clock *rc = ih_clock_real();
	atomic_int stop = 0;
	pthread_t t;
	double a, b;

	a = ih_clock_now(rc);
	b = ih_clock_now(rc);
	CU_ASSERT(b >= a);
	CU_ASSERT(ih_clock_wall(rc) > 1e9);
	CU_ASSERT_EQUAL(ih_clock_sleep(rc, 0.001, NULL), 0);
	/* a long sleep ends as soon as another thread sets the flag; 20 s, not
	 * an hour, so a sleep that misses the flag fails here (it returns 0, and
	 * late) instead of hanging the suite */
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, set_flag, (void *)&stop), 0);
	a = ih_clock_now(rc);
	CU_ASSERT_EQUAL(ih_clock_sleep(rc, 20, &stop), -1);
	CU_ASSERT(ih_clock_now(rc) - a < 10);
	pthread_join(t, NULL);
}

/* ---------------- backoff ---------------- */

static void test_rng(void)
{
	ih_rng a, b, c;
	int i, same = 1;

	ih_rng_seed(&a, 7);
	ih_rng_seed(&b, 7);
	ih_rng_seed(&c, 0);
	for (i = 0; i < 100; i++) {
		double u = ih_rng_uniform(&a);

		CU_ASSERT(u >= 0 && u < 1);
		(void)ih_rng_next(&c); /* a time-seeded generator just works */
	}
	ih_rng_seed(&a, 7);
	ih_rng_seed(&b, 7);
	for (i = 0; i < 10; i++)
		same &= ih_rng_next(&a) == ih_rng_next(&b);
	CU_ASSERT(same);
}

static void test_backoff_bounds(void)
{
	ih_rng r;
	int k, i;

	ih_rng_seed(&r, 1234);
	for (k = 0; k < 12; k++) {
		double bound = fmin(8.0, 0.5 * pow(2, k)), lo = bound, hi = 0, sum = 0;

		for (i = 0; i < 2000; i++) {
			double d = ih_backoff_delay(&r, 0.5, 8.0, k, 0);

			CU_ASSERT(d >= 0 && d < bound);
			lo = fmin(lo, d);
			hi = fmax(hi, d);
			sum += d;
		}
		/* full jitter spreads over the whole range, mean about half */
		CU_ASSERT(lo < 0.05 * bound);
		CU_ASSERT(hi > 0.95 * bound);
		CU_ASSERT(sum / 2000 > 0.4 * bound && sum / 2000 < 0.6 * bound);
	}
	CU_ASSERT(ih_backoff_delay(&r, 0.5, 8.0, 100000, 0) < 8.0);
	CU_ASSERT_EQUAL(ih_backoff_delay(&r, 0.5, 8.0, 3, 1), 0);    /* shutdown */
	CU_ASSERT_EQUAL(ih_backoff_delay(&r, 0, 8.0, 3, 0), 0);
	CU_ASSERT_EQUAL(ih_backoff_delay(&r, NAN, 8.0, 3, 0), 0);
	CU_ASSERT(ih_backoff_delay(&r, 1, 8.0, -4, 0) < 1);
}

static void test_retry_after_parse(void)
{
	/* Sun, 06 Nov 1994 08:49:37 GMT */
	const double t = 784111777.0;
	double s = -1;

	CU_ASSERT_EQUAL(ih_retry_after_parse("120", 0, &s), 0);
	CU_ASSERT_EQUAL(s, 120);
	CU_ASSERT_EQUAL(ih_retry_after_parse(" 5\r\n", 0, &s), 0);
	CU_ASSERT_EQUAL(s, 5);
	CU_ASSERT_EQUAL(ih_retry_after_parse("0", 0, &s), 0);
	CU_ASSERT_EQUAL(s, 0);
	CU_ASSERT_EQUAL(ih_retry_after_parse("99999999999999999999999", 0, &s), 0);
	CU_ASSERT_EQUAL(s, 31536000);
	CU_ASSERT_EQUAL(ih_retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT", t - 10, &s), 0);
	CU_ASSERT_EQUAL(s, 10);
	CU_ASSERT_EQUAL(ih_retry_after_parse("Sunday, 06-Nov-94 08:49:37 GMT", t - 4, &s), 0);
	CU_ASSERT_EQUAL(s, 4);
	CU_ASSERT_EQUAL(ih_retry_after_parse("Sun Nov  6 08:49:37 1994", t - 1, &s), 0);
	CU_ASSERT_EQUAL(s, 1);
	CU_ASSERT_EQUAL(ih_retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT", t + 100, &s), 0);
	CU_ASSERT_EQUAL(s, 0); /* in the past: go now */
	s = -1;
	CU_ASSERT_EQUAL(ih_retry_after_parse(NULL, t, &s), -1);
	CU_ASSERT_EQUAL(ih_retry_after_parse("", t, &s), -1);
	CU_ASSERT_EQUAL(ih_retry_after_parse("   ", t, &s), -1);
	CU_ASSERT_EQUAL(ih_retry_after_parse("-5", t, &s), -1);
	CU_ASSERT_EQUAL(ih_retry_after_parse("1.5", t, &s), -1);
	CU_ASSERT_EQUAL(ih_retry_after_parse("5s", t, &s), -1);
	CU_ASSERT_EQUAL(ih_retry_after_parse("soon", t, &s), -1);
	CU_ASSERT_EQUAL(ih_retry_after_parse("Sun, 99 Foo 1994 99:99:99 GMT", t, &s), -1);
	CU_ASSERT_EQUAL(s, -1);

	CU_ASSERT_EQUAL(ih_retry_after_wait(NULL, t, 60, 600), 60);     /* absent: 60 */
	CU_ASSERT_EQUAL(ih_retry_after_wait(NULL, t, 60, 30), 30);      /* capped */
	CU_ASSERT_EQUAL(ih_retry_after_wait("junk", t, 60, 600), 60);
	CU_ASSERT_EQUAL(ih_retry_after_wait("7", t, 60, 600), 7);
	CU_ASSERT_EQUAL(ih_retry_after_wait("7200", t, 60, 600), 600);
	CU_ASSERT_EQUAL(ih_retry_after_wait("7200", t, 60, 0), 0);      /* max_wait 0: no wait */
	CU_ASSERT_EQUAL(ih_retry_after_wait("7200", t, 60, -1), 7200);  /* negative: no cap */
	CU_ASSERT_EQUAL(ih_retry_after_wait("Sun, 06 Nov 1994 08:49:37 GMT", t - 20, 60, 600), 20);
}

/* ---------------- rate limiter ---------------- */

static void test_ratelimit(void)
{
	ih_fake_clock fc;
	ih_ratelimit rl;
	atomic_int stop = 0;
	double total;
	int i;

	ih_fake_clock_init(&fc, WALL0);
	ih_ratelimit_init(&rl, &fc.clock, 2, 1);
	for (i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(ih_ratelimit_acquire(&rl, &stop), 0);
	CU_ASSERT_EQUAL(ih_fake_clock_slept(&fc, &total), 4);
	CU_ASSERT_DOUBLE_EQUAL(total, 2.0, 1e-6);
	for (i = 0; i < 4; i++)
		CU_ASSERT_DOUBLE_EQUAL(fc.sleeps[i], 0.5, 1e-6);

	/* time that passed refills the bucket: no wait */
	ih_fake_clock_advance(&fc, 10);
	ih_fake_clock_reset_sleeps(&fc);
	CU_ASSERT_EQUAL(ih_ratelimit_acquire(&rl, &stop), 0);
	CU_ASSERT_EQUAL(ih_fake_clock_slept(&fc, NULL), 0);

	/* a burst of 3 at 1/s: three at once, then one a second */
	ih_ratelimit_init(&rl, &fc.clock, 1, 3);
	ih_fake_clock_reset_sleeps(&fc);
	for (i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(ih_ratelimit_acquire(&rl, &stop), 0);
	CU_ASSERT_EQUAL(ih_fake_clock_slept(&fc, &total), 2);
	CU_ASSERT_DOUBLE_EQUAL(total, 2.0, 1e-6);

	/* unlimited */
	ih_ratelimit_init(&rl, &fc.clock, 0, 1);
	ih_fake_clock_reset_sleeps(&fc);
	for (i = 0; i < 100; i++)
		CU_ASSERT_EQUAL(ih_ratelimit_acquire(&rl, &stop), 0);
	CU_ASSERT_EQUAL(ih_fake_clock_slept(&fc, NULL), 0);

	/* a shutdown ends a wait for a token */
	ih_ratelimit_init(&rl, &fc.clock, 0.01, 1);
	CU_ASSERT_EQUAL(ih_ratelimit_acquire(&rl, &stop), 0);
	stop = 1;
	CU_ASSERT_EQUAL(ih_ratelimit_acquire(&rl, &stop), -1);
	ih_fake_clock_destroy(&fc);
}


CU_TestInfo ih_clock_tests[] = {
	{ "fake clock records and advances", test_fake_clock },
	{ "real sleep is cut short by stop", test_real_clock_stop },
	CU_TEST_INFO_NULL,
};

CU_TestInfo ih_backoff_tests[] = {
	{ "per-client generator", test_rng },
	{ "full-jitter bounds, zero on shutdown", test_backoff_bounds },
	{ "Retry-After: seconds and HTTP-date", test_retry_after_parse },
	CU_TEST_INFO_NULL,
};

CU_TestInfo ih_ratelimit_tests[] = {
	{ "token bucket on the fake clock", test_ratelimit },
	CU_TEST_INFO_NULL,
};

