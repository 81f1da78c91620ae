#include "config.h"

#include <ctype.h>
#include <curl/curl.h>
#include <math.h>
#include <stdlib.h>

#include "backoff.h"

void ih_rng_seed(ih_rng *r, uint64_t seed)
{
	/* splitmix64 step, so nearby seeds give unrelated streams */
	uint64_t z = seed + 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	r->s = (z ^ (z >> 31)) | 1;
}

double ih_rng_unit(ih_rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return (double)((r->s * 0x2545f4914f6cdd1dULL) >> 11) / 9007199254740992.0;
}

double ih_backoff_full_jitter(ih_rng *r, int attempt, double base, double cap, int stopping)
{
	double ceiling;

	if (stopping || attempt < 1)
		return 0;
	ceiling = base * pow(2.0, attempt > 30 ? 30 : attempt - 1);
	if (ceiling > cap)
		ceiling = cap;
	return ih_rng_unit(r) * ceiling;
}

double ih_retry_after(const char *value, double wall_now)
{
	const char *p;
	time_t when;

	if (value == NULL)
		return -1;
	while (isspace((unsigned char)*value))
		value++;
	if (*value == '\0')
		return -1;
	for (p = value; isdigit((unsigned char)*p); p++)
		;
	if (p != value) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0') {
			double s = strtod(value, NULL);

			return s > 1e7 ? 1e7 : s;
		}
	}
	when = curl_getdate(value, NULL);
	if (when == (time_t)-1)
		return -1;
	return (double)when > wall_now ? (double)when - wall_now : 0;
}
