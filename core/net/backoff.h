/*
 * backoff -- retry waits: capped exponential backoff with full jitter, and
 * the HTTP Retry-After header.
 *
 * Randomness comes from a small generator each client (or thread) owns, so
 * nothing shares or reseeds a global rand() state (Fluent Bit's
 * backoff_full_jitter, without its rand()).
 */
#ifndef IH_BACKOFF_H
#define IH_BACKOFF_H

#include <stdint.h>

/* xorshift64* state.  Not thread-safe: one per client or thread. */
typedef struct ih_rng {
	uint64_t s;
} ih_rng;

/* Seed r.  seed 0 picks a seed from the time, the thread and r's address,
 * so two clients created in the same instant still differ. */
void ih_rng_seed(ih_rng *r, uint64_t seed);
uint64_t ih_rng_next(ih_rng *r);
/* Uniform in [0, 1). */
double ih_rng_uniform(ih_rng *r);

/*
 * Wait before retry number `attempt` (0 for the first retry): uniform in
 * [0, min(cap, base * 2^attempt)).  Returns 0 when `stopping` is non-zero
 * (a shutdown never waits).  base and cap are seconds; a negative or NaN
 * value counts as 0.
 */
double ih_backoff_delay(ih_rng *r, double base, double cap, int attempt, int stopping);

/*
 * Parse a Retry-After value: delta-seconds ("120") or an HTTP-date
 * ("Sun, 06 Nov 1994 08:49:37 GMT", and the obsolete RFC 850 and asctime
 * forms), the date taken relative to wall_now (seconds since the epoch).
 * On success stores the wait in *seconds (>= 0; a date in the past gives 0;
 * huge values are clamped to a year) and returns 0.  Returns -1 when value
 * is NULL, empty or neither form.  Thread-safe.
 */
int ih_retry_after_parse(const char *value, double wall_now, double *seconds);

/*
 * The wait for a response carrying `value` (NULL when absent): the parsed
 * Retry-After, else `dflt` (CONTRACT: 60 s for a 429), then capped to
 * [0, max_wait] (max_wait < 0 means no cap; 0 means do not wait).
 */
double ih_retry_after_wait(const char *value, double wall_now, double dflt, double max_wait);

#endif
