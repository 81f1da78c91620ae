/*
 * http_fixture -- shared by the client tests of tests/http_test: the
 * responder with its routes (tests/http_test.c) and small helpers.
 */
#ifndef IH_HTTP_FIXTURE_H
#define IH_HTTP_FIXTURE_H

#include <stdatomic.h>
#include "base/clock.h"
#include "net/http.h"
#include "http_responder.h"
#include "testutil.h"

#define WALL0 1700000000.0 /* the fake clock's wall time at start */

extern ih_responder *t_srv;
extern atomic_int stop_xfer; /* raised by the /stop_xfer route */

/* The route serving `path` (fails the test if none). */
ih_route *t_route(const char *path);
/* http://127.0.0.1:PORT<path>, in a static buffer. */
const char *t_url(const char *path);
/* A client on fc (NULL: the real clock) with this retry policy, seed 42. */
ih_http_client *t_client(ih_fake_clock *fc, int max_retries, double max_wait, double rps,
			 const atomic_int *stop);
/* GET path on the responder. */
int t_get(ih_http_client *c, const char *path, ih_http_response *resp);

extern CU_TestInfo ih_http_guard_tests[];

#endif
