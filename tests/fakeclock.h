/*
 * fakeclock -- an ih_clock for tests: time moves only when something
 * sleeps, sleeps return at once and are recorded in fake_slept[].
 */
#ifndef IH_TEST_FAKECLOCK_H
#define IH_TEST_FAKECLOCK_H

#include "base/clock.h"

static double fake_now_s, fake_slept[64];
static int fake_nslept;

static double fake_now(void *ud)
{
	(void)ud;
	return fake_now_s;
}

static int fake_sleep(void *ud, double s, const atomic_int *stop)
{
	(void)ud;
	if (stop != NULL && *stop)
		return -1;
	if (fake_nslept < 64)
		fake_slept[fake_nslept++] = s;
	fake_now_s += s;
	return 0;
}

static const ih_clock fake_clock = { fake_now, fake_sleep, NULL, NULL };

#endif
