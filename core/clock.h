/*
 * clock -- an injectable clock, so retry and schedule logic can be tested
 * without real waiting.  now() is monotonic seconds; sleep() waits up to
 * `seconds` and returns -1 as soon as *stop becomes non-zero (stop may be
 * NULL), else 0.  wall() is the UTC time, for Retry-After dates.
 */
#ifndef IH_CLOCK_H
#define IH_CLOCK_H

typedef struct ih_clock {
	double (*now)(void *ud);
	int (*sleep)(void *ud, double seconds, const volatile int *stop);
	void *ud;
} ih_clock;

/* The real clock: CLOCK_MONOTONIC, nanosleep in slices of 50 ms. */
const ih_clock *ih_clock_real(void);
/* Seconds since the epoch, UTC. */
double ih_clock_wall(void);

#endif
