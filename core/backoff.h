/*
 * backoff -- retry waits: capped exponential backoff with full jitter from
 * a per-client generator (never rand()), and Retry-After parsing.
 */
#ifndef IH_BACKOFF_H
#define IH_BACKOFF_H

#include <stdint.h>

/* xorshift64* state; seed with ih_rng_seed (any value, 0 included). */
typedef struct ih_rng {
	uint64_t s;
} ih_rng;

void ih_rng_seed(ih_rng *r, uint64_t seed);
/* Uniform in [0, 1). */
double ih_rng_unit(ih_rng *r);

/*
 * Wait before retry number `attempt` (1 = first retry): uniform in
 * [0, min(cap, base * 2^(attempt-1))].  0 when stopping.
 */
double ih_backoff_full_jitter(ih_rng *r, int attempt, double base, double cap, int stopping);

/*
 * Seconds to wait from a Retry-After value: delta-seconds ("120") or an
 * HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT") relative to `wall_now`.
 * Returns -1 when the header is absent or unparseable; never negative
 * otherwise.
 */
double ih_retry_after(const char *value, double wall_now);

#endif
