#include "config.h"

#include <ctype.h>
#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "net/backoff.h"

/* Longest wait a header may ask for before clamping: a year. */
#define RETRY_AFTER_MAX 31536000.0

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

void ih_rng_seed(ih_rng *r, uint64_t seed)
{
	if (seed == 0) {
		struct timespec ts;
		pthread_t self = pthread_self();
		uint64_t t = 0;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		memcpy(&t, &self, sizeof t < sizeof self ? sizeof t : sizeof self);
		seed = splitmix64((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32));
		seed = splitmix64(seed ^ t);
		seed = splitmix64(seed ^ (uint64_t)(uintptr_t)r);
	} else {
		seed = splitmix64(seed);
	}
	r->s = seed != 0 ? seed : 0x2545f4914f6cdd1dULL; /* xorshift must not be 0 */
}

uint64_t ih_rng_next(ih_rng *r)
{
	uint64_t x = r->s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

double ih_rng_uniform(ih_rng *r)
{
	/* the top 53 bits, scaled into [0, 1) */
	return (double)(ih_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

double ih_backoff_delay(ih_rng *r, double base, double cap, int attempt, int stopping)
{
	double bound;

	if (stopping)
		return 0;
	if (!(base > 0) || !(cap > 0))
		return 0;
	if (attempt < 0)
		attempt = 0;
	/* 2^attempt overflows nothing below 1024; past ~64 the cap wins anyway */
	bound = attempt >= 64 ? cap : base * ldexp(1.0, attempt);
	if (bound > cap)
		bound = cap;
	return ih_rng_uniform(r) * bound;
}

int ih_retry_after_parse(const char *value, double wall_now, double *seconds)
{
	const char *p, *end;
	char buf[128];
	size_t len;
	time_t when;

	if (value == NULL)
		return -1;
	while (*value == ' ' || *value == '\t')
		value++;
	end = value + strlen(value);
	while (end > value && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
		end--;
	len = (size_t)(end - value);
	if (len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, value, len);
	buf[len] = '\0';

	/* delta-seconds = 1*DIGIT */
	for (p = buf; isdigit((unsigned char)*p); p++)
		;
	if (*p == '\0') {
		double v = 0;

		for (p = buf; *p != '\0' && v <= RETRY_AFTER_MAX; p++)
			v = v * 10 + (*p - '0');
		*seconds = v > RETRY_AFTER_MAX ? RETRY_AFTER_MAX : v;
		return 0;
	}
	/* An HTTP-date names a weekday, so it starts with a letter; this keeps
	 * curl_getdate's leniency from turning "-5" or "1.5" into a date. */
	if (!isalpha((unsigned char)buf[0]))
		return -1;
	when = curl_getdate(buf, NULL);
	if (when == (time_t)-1)
		return -1;
	*seconds = (double)when - wall_now;
	if (!(*seconds > 0))
		*seconds = 0;
	else if (*seconds > RETRY_AFTER_MAX)
		*seconds = RETRY_AFTER_MAX;
	return 0;
}

double ih_retry_after_wait(const char *value, double wall_now, double dflt, double max_wait)
{
	double w;

	if (ih_retry_after_parse(value, wall_now, &w) != 0)
		w = dflt;
	if (!(w > 0))
		w = 0;
	if (max_wait >= 0 && w > max_wait)
		w = max_wait;
	return w;
}
