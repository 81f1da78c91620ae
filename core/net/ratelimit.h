/*
 * ratelimit -- a token bucket on an injectable clock.
 *
 * `rate` tokens per second accrue up to `burst`; each request takes one.
 * With burst 1 requests are spaced exactly 1/rate apart, which is what the
 * marketplaces ask for ("no more than 10 requests per second").
 * Not thread-safe: one per plugin run, used by that run's thread.
 */
#ifndef IH_RATELIMIT_H
#define IH_RATELIMIT_H

#include <stdatomic.h>
#include "base/clock.h"

typedef struct ih_ratelimit {
	const ih_clock *clock;
	double rate;   /* tokens per second; <= 0: unlimited */
	double burst;  /* bucket size, >= 1 */
	double tokens;
	double last;   /* clock time of the last refill */
} ih_ratelimit;

/* Start with a full bucket.  burst < 1 is taken as 1.  clock is borrowed
 * and must outlive rl. */
void ih_ratelimit_init(ih_ratelimit *rl, const ih_clock *clock, double rate, double burst);

/* Seconds until a token is available (0 if one is now).  Takes nothing. */
double ih_ratelimit_delay(ih_ratelimit *rl);

/*
 * Take one token, sleeping on the clock until one is available.  Returns 0,
 * or -1 when *stop cut the wait short (no token taken).  stop may be NULL.
 */
int ih_ratelimit_acquire(ih_ratelimit *rl, const atomic_int *stop);

#endif
