/*
 * http_int -- what http.c (single requests) and http_stream.c (the
 * streaming GET) share: the client's state and its one libcurl setup.
 * Internal to core/net.
 */
#ifndef IH_HTTP_INT_H
#define IH_HTTP_INT_H

#include <curl/curl.h>

#include "net/backoff.h"
#include "net/http.h"
#include "net/http_url.h"
#include "net/ratelimit.h"

struct ih_http_client {
	CURL *curl;
	ih_http_options o;
	char *name, *user_agent, *accept;
	ih_ratelimit rl;
	ih_rng rng;
	ih_http_counts counts;
	char errbuf[CURL_ERROR_SIZE];
};

/* "name" when the thread's log context does not already say who we are,
 * else "".  For WHO_FMT / WHO(c) in log lines. */
const char *ih_http_who(const ih_http_client *c);
#define WHO_FMT "%s%s"
#define WHO(c) ih_http_who(c), *ih_http_who(c) ? ": " : ""

/*
 * Reset c's handle (its connection cache stays) and apply the policy every
 * transfer shares: the URL ui->u, TLS verified, http/https only, gzip
 * offered, User-Agent, Accept (hdrs), timeouts (whole transfer, connect,
 * stall), c's stop flag through the progress callback, errors into
 * c->errbuf, and no proxy for loopback.  Redirects are not followed: the
 * caller decides.  Body and header callbacks are the caller's.  Client's
 * thread.
 */
void ih_http_setup(ih_http_client *c, const ih_url_info *ui, struct curl_slist *hdrs);

/* The class of a transfer libcurl could not complete. */
int ih_http_curl_class(CURLcode rc);

/* Count one outcome of class cls in c->counts. */
void ih_http_count(ih_http_client *c, int cls);

/* The wait before retry number `retry` (0 for the first) after `cls`,
 * honouring the server's Retry-After text (may be ""). */
double ih_http_retry_wait(ih_http_client *c, int cls, const char *retry_after, int retry);

/* Copy a Retry-After header line into dst when hdr is one; forget the last
 * one when hdr starts a new response.  For header callbacks. */
void ih_http_note_retry_after(const char *hdr, size_t n, char *dst, size_t dstlen);

#endif
