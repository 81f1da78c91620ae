/*
 * responder -- a small HTTP marketplace inside a test (libmicrohttpd), for
 * the pipeline tests.  Routes by path prefix; each route answers
 * GET <prefix>/prices?ids=1,2,3 with "id price" lines, or fails on purpose.
 * Every request is counted; tests wait for counts on a condition variable,
 * never by sleeping.
 */
#ifndef IH_TEST_RESPONDER_H
#define IH_TEST_RESPONDER_H

#include <stddef.h>

enum rsp_mode {
	RSP_PRICES = 0,    /* 200 with prices */
	RSP_401,           /* always 401 */
	RSP_429_FIRST,     /* 429 + Retry-After for the first `fail_first`, then prices */
	RSP_503_FIRST      /* 503 for the first `fail_first`, then prices */
};

typedef struct rsp_route {
	const char *prefix;    /* "/ok" */
	enum rsp_mode mode;
	int fail_first;
	int retry_after;       /* seconds, for RSP_429_FIRST; -1: no header */
	int barrier;           /* hold the first request until every barrier route was asked */
} rsp_route;

/* Start on a free loopback port with up to 8 routes; returns the port or -1. */
int rsp_start(const rsp_route *routes, size_t n);
void rsp_stop(void);
/* Requests seen on a route so far. */
long rsp_count(const char *prefix);
/* Wait until the route has seen `n` requests; 0, or -1 after timeout_s. */
int rsp_wait(const char *prefix, long n, int timeout_s);
/* Called (on the server's thread) after each request on `prefix` is counted. */
void rsp_on_request(const char *prefix, void (*fn)(long count, void *ud), void *ud);
/* 1 when the barrier routes' first requests were all in flight together. */
int rsp_barrier_met(void);
/* The price the responder serves for a card id, as text. */
void rsp_price(int id, char *buf, size_t len);

#endif
