/*
 * clock -- an injectable clock, so retry waits, rate limits and schedules
 * can be tested in milliseconds.
 *
 * Code that waits takes a `const ih_clock *` and never calls sleep() or
 * clock_gettime() itself.  The real clock is shared and immutable; a fake
 * clock (ih_fake_clock) advances instantly and records every sleep asked of
 * it, so a test asserts on the waits, never on wall time.
 */
#ifndef IH_CLOCK_H
#define IH_CLOCK_H

#include <stdatomic.h>
#include <pthread.h>
#include <stddef.h>

typedef struct ih_clock {
	/* Seconds on a monotonic clock (origin unspecified). */
	double (*now)(void *ud);
	/* Wait `seconds`.  Returns 0 after the full wait, -1 when cut short
	 * because *stop became non-zero (stop may be NULL: never cut short). */
	int (*sleep)(void *ud, double seconds, const atomic_int *stop);
	void *ud;
	/* Seconds since the Unix epoch (UTC), for HTTP dates such as
	 * Retry-After.  May be NULL: callers then use the system's time(). */
	double (*wall)(void *ud);
} ih_clock;

/*
 * The system clock: CLOCK_MONOTONIC for now(), CLOCK_REALTIME for wall(),
 * and a sleep that polls *stop every 20 ms so a shutdown cuts it short
 * promptly.  Static, shared, usable from any thread.
 */
const ih_clock *ih_clock_real(void);

/* Convenience wrappers: wall() falls back to the system's real time. */
double ih_clock_now(const ih_clock *c);
double ih_clock_wall(const ih_clock *c);
int ih_clock_sleep(const ih_clock *c, double seconds, const atomic_int *stop);

#define IH_FAKE_CLOCK_MAX_SLEEPS 256

/*
 * A clock for tests.  sleep() returns at once, advancing now() and wall() by
 * the amount asked, and records it.  If *stop is already set it records the
 * request, does not advance, and returns -1.  If `trip` is set, the sleep
 * number `trip_at` (1-based) sets *trip = 1 and returns -1 as if a shutdown
 * arrived during it.  Thread-safe (a mutex), so several plugin threads may
 * share one.
 */
typedef struct ih_fake_clock {
	ih_clock clock;          /* hand out &fc->clock */
	pthread_mutex_t lock;
	double mono;             /* current now() */
	double wall;             /* current wall() */
	double sleeps[IH_FAKE_CLOCK_MAX_SLEEPS]; /* the first requests, in order */
	size_t nsleeps;          /* every request, may exceed the array */
	double slept;            /* sum of all requests */
	atomic_int *trip;
	size_t trip_at;
} ih_fake_clock;

/* Initialise fc with now() = 0 and wall() = wall_start.  Not thread-safe
 * (call before sharing).  Release with ih_fake_clock_destroy. */
void ih_fake_clock_init(ih_fake_clock *fc, double wall_start);
void ih_fake_clock_destroy(ih_fake_clock *fc);
/* Move time on without recording a sleep. */
void ih_fake_clock_advance(ih_fake_clock *fc, double seconds);
/* Number of sleeps requested so far and their total (either may be NULL). */
size_t ih_fake_clock_slept(ih_fake_clock *fc, double *total);
/* Forget recorded sleeps (time is kept). */
void ih_fake_clock_reset_sleeps(ih_fake_clock *fc);

#endif
