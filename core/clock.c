#include "config.h"

#include <time.h>

#include "clock.h"

static double real_now(void *ud)
{
	struct timespec ts;

	(void)ud;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleeps in short slices so a stop request ends the wait promptly. */
static int real_sleep(void *ud, double seconds, const volatile int *stop)
{
	double end = real_now(ud) + seconds;

	for (;;) {
		double left = end - real_now(ud);
		struct timespec ts;

		if (stop != NULL && *stop)
			return -1;
		if (left <= 0)
			return 0;
		if (left > 0.05)
			left = 0.05;
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);
	}
}

static const ih_clock real_clock = { real_now, real_sleep, NULL };

const ih_clock *ih_clock_real(void)
{
	return &real_clock;
}

double ih_clock_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
