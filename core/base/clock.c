#include "config.h"

#include <errno.h>
#include <time.h>

#include "base/clock.h"

/* How often a real sleep looks at its stop flag. */
#define POLL_SLICE 0.02

static double ts_seconds(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double real_now(void *ud)
{
	(void)ud;
	return ts_seconds(CLOCK_MONOTONIC);
}

static double real_wall(void *ud)
{
	(void)ud;
	return ts_seconds(CLOCK_REALTIME);
}

/*
 * Sleep in slices of POLL_SLICE against an absolute monotonic deadline, so
 * signals (EINTR) neither shorten nor lengthen the wait, and a stop request
 * ends it within one slice.  A signal handler can only set a flag, so
 * polling is the simple correct choice here (a condvar cannot be signalled
 * from a handler).
 */
static int real_sleep(void *ud, double seconds, const atomic_int *stop)
{
	double end = real_now(ud) + seconds;

	for (;;) {
		double left;
		struct timespec ts;

		if (stop != NULL && *stop)
			return -1;
		left = end - real_now(ud);
		if (!(left > 0))
			return 0;
		if (left > POLL_SLICE)
			left = POLL_SLICE;
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
			if (stop != NULL && *stop)
				return -1;
		}
	}
}

static const ih_clock real_clock = { real_now, real_sleep, NULL, real_wall };

const ih_clock *ih_clock_real(void) { return &real_clock; }

double ih_clock_now(const ih_clock *c)
{
	return c->now(c->ud);
}

double ih_clock_wall(const ih_clock *c)
{
	if (c->wall != NULL)
		return c->wall(c->ud);
	return real_wall(NULL);
}

int ih_clock_sleep(const ih_clock *c, double seconds, const atomic_int *stop)
{
	if (stop != NULL && *stop)
		return -1;
	if (!(seconds > 0))
		return 0;
	return c->sleep(c->ud, seconds, stop);
}

/* ---- fake clock ---- */

/* One of the fake clock's times, read under its lock. */
static double fake_read(ih_fake_clock *fc, const double *which)
{
	double t;

	pthread_mutex_lock(&fc->lock);
	t = *which;
	pthread_mutex_unlock(&fc->lock);
	return t;
}

static double fake_now(void *ud)
{
	ih_fake_clock *fc = ud;

	return fake_read(fc, &fc->mono);
}

static double fake_wall(void *ud)
{
	ih_fake_clock *fc = ud;

	return fake_read(fc, &fc->wall);
}

static int fake_sleep(void *ud, double seconds, const atomic_int *stop)
{
	ih_fake_clock *fc = ud;
	int rc = 0;

	pthread_mutex_lock(&fc->lock);
	if (fc->nsleeps < IH_FAKE_CLOCK_MAX_SLEEPS)
		fc->sleeps[fc->nsleeps] = seconds;
	fc->nsleeps++;
	fc->slept += seconds;
	if (stop != NULL && *stop) {
		rc = -1;
	} else if (fc->trip != NULL && fc->nsleeps == fc->trip_at) {
		*fc->trip = 1;
		rc = -1;
	} else if (seconds > 0) {
		fc->mono += seconds;
		fc->wall += seconds;
	}
	pthread_mutex_unlock(&fc->lock);
	return rc;
}

void ih_fake_clock_init(ih_fake_clock *fc, double wall_start)
{
	*fc = (ih_fake_clock){ 0 };
	pthread_mutex_init(&fc->lock, NULL);
	fc->wall = wall_start;
	fc->clock.now = fake_now;
	fc->clock.sleep = fake_sleep;
	fc->clock.wall = fake_wall;
	fc->clock.ud = fc;
}

void ih_fake_clock_destroy(ih_fake_clock *fc)
{
	pthread_mutex_destroy(&fc->lock);
}

void ih_fake_clock_advance(ih_fake_clock *fc, double seconds)
{
	pthread_mutex_lock(&fc->lock);
	fc->mono += seconds;
	fc->wall += seconds;
	pthread_mutex_unlock(&fc->lock);
}

size_t ih_fake_clock_slept(ih_fake_clock *fc, double *total)
{
	size_t n;

	pthread_mutex_lock(&fc->lock);
	n = fc->nsleeps;
	if (total != NULL)
		*total = fc->slept;
	pthread_mutex_unlock(&fc->lock);
	return n;
}

void ih_fake_clock_reset_sleeps(ih_fake_clock *fc)
{
	pthread_mutex_lock(&fc->lock);
	fc->nsleeps = 0;
	fc->slept = 0;
	pthread_mutex_unlock(&fc->lock);
}
