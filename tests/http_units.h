/* http_units -- the clock, backoff and rate-limit test tables of http_test. */
#ifndef IH_HTTP_UNITS_H
#define IH_HTTP_UNITS_H

#include "testutil.h"

extern CU_TestInfo ih_clock_tests[];
extern CU_TestInfo ih_backoff_tests[];
extern CU_TestInfo ih_ratelimit_tests[];

#endif
