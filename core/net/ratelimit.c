#include "config.h"

#include "net/ratelimit.h"

/* Rounding slack: a wait of exactly (1 - tokens) / rate must yield a token. */
#define EPS 1e-9

void ih_ratelimit_init(ih_ratelimit *rl, const ih_clock *clock, double rate, double burst)
{
	rl->clock = clock;
	rl->rate = rate > 0 ? rate : 0;
	rl->burst = burst >= 1 ? burst : 1;
	rl->tokens = rl->burst;
	rl->last = ih_clock_now(clock);
}

static void refill(ih_ratelimit *rl)
{
	double now = ih_clock_now(rl->clock), dt = now - rl->last;

	rl->last = now;
	if (dt > 0) {
		rl->tokens += dt * rl->rate;
		if (rl->tokens > rl->burst)
			rl->tokens = rl->burst;
	}
}

double ih_ratelimit_delay(ih_ratelimit *rl)
{
	if (rl->rate <= 0)
		return 0;
	refill(rl);
	if (rl->tokens >= 1 - EPS)
		return 0;
	return (1 - rl->tokens) / rl->rate;
}

int ih_ratelimit_acquire(ih_ratelimit *rl, const atomic_int *stop)
{
	double wait;

	if (rl->rate <= 0)
		return stop != NULL && *stop ? -1 : 0;
	while ((wait = ih_ratelimit_delay(rl)) > 0) {
		if (ih_clock_sleep(rl->clock, wait, stop) != 0)
			return -1;
	}
	rl->tokens -= 1;
	if (rl->tokens < 0)
		rl->tokens = 0;
	return 0;
}
