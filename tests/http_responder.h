/*
 * http_responder -- a tiny programmable HTTP server for tests (libmicrohttpd,
 * one thread per connection, bound to 127.0.0.1 on a free port).
 *
 * Each route answers its n-th request with status[n] (the last one repeats)
 * and, if set, retry_after[n]; the body is `body`, optionally gzip-encoded,
 * or cut short after truncate_to bytes while Content-Length announces it
 * whole.  A `hang` route holds every request until ih_responder_release(),
 * for client timeouts without sleeping anywhere.  Requests are counted and
 * the last one's method, some headers and body are recorded.
 */
#ifndef IH_HTTP_RESPONDER_H
#define IH_HTTP_RESPONDER_H

#include <stdatomic.h>
#include <stddef.h>

#define IH_ROUTE_STEPS 8

typedef struct ih_route {
	const char *path;
	int status[IH_ROUTE_STEPS];        /* 0 entries after the first: repeat */
	const char *retry_after[IH_ROUTE_STEPS];
	const char *body;                  /* NULL: "{}" */
	int gzip;                          /* Content-Encoding: gzip */
	size_t truncate_to;                /* > 0: send only this many bytes */
	int hang;                          /* wait for ih_responder_release() */
	const char *location;              /* a Location header (with a 3xx status) */
	atomic_int *set_on_hit;            /* set to 1 when a request arrives */

	/* recorded by the server (read them after the client returned) */
	long hits;
	char method[8];
	char content_type[128];
	char accept[128];
	char accept_encoding[128];
	char user_agent[128];
	char x_test[128];                  /* the X-Test header */
	char body_seen[512];

	/* private */
	unsigned char *gz;
	size_t gz_len;
} ih_route;

typedef struct ih_responder ih_responder;

/* Start serving `routes` (n of them, borrowed, must outlive the server).
 * Returns NULL on failure (printed on stderr). */
ih_responder *ih_responder_start(ih_route *routes, size_t n);
int ih_responder_port(const ih_responder *r);
/* Requests seen on `path` so far. */
long ih_responder_hits(ih_responder *r, const char *path);
/* Let every hanging request finish (with a 200). */
void ih_responder_release(ih_responder *r);
/* Release, stop and free. NULL-safe. */
void ih_responder_stop(ih_responder *r);

#endif
