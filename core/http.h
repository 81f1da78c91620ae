/*
 * http -- the HTTP service plugins use (libcurl; plugins never link it).
 *
 * One client per plugin run, used by that run's thread only.  Every request
 * goes through the client's token bucket (requests_per_second), carries the
 * plugin's User-Agent and Accept, asks for gzip, and is classified:
 *   2xx ok; 401/403 IH_ERR_AUTH (never retried); 429 IH_ERR_RATE_LIMITED
 *   (waits Retry-After, 60 s when absent, capped by max_wait_s); timeout,
 *   connection failure, 5xx IH_ERR_TRANSIENT (capped exponential backoff
 *   with full jitter); other 4xx or an unusable answer IH_ERR_FATAL.
 * Rate limits and transients are retried up to max_retries times; every
 * wait goes through the injectable clock and is cut short by *stop.
 * TLS certificate checks are always on; plain http:// only to loopback.
 */
#ifndef IH_HTTP_H
#define IH_HTTP_H

#include "ingesthost/plugin.h"

struct ih_clock;

typedef struct ih_http_opts {
	const char *name;            /* for log lines */
	const char *user_agent;
	const char *accept;          /* default "application/json" */
	long timeout_ms;             /* whole request */
	long connect_timeout_ms;
	long max_response_bytes;     /* larger bodies are a fatal error */
	double requests_per_second;  /* token bucket rate; <= 0: unlimited */
	int max_retries;
	double max_wait_s;           /* cap on one wait */
	double backoff_base_s;       /* first backoff ceiling, default 1 s */
	const struct ih_clock *clock;
	const volatile int *stop;
	unsigned long long seed;     /* jitter generator seed (0: from the clock) */
} ih_http_opts;

typedef struct ih_http_client ih_http_client;

/* Call once on the main thread before any client is made. */
int ih_http_global_init(void);

ih_http_client *ih_http_client_new(const ih_http_opts *opts);
void ih_http_client_free(ih_http_client *c);

/*
 * Perform req, with the retry policy above.  resp is always filled (status,
 * body, error text without secrets) and must be released with
 * ih_http_response_free.  Returns IH_OK or the final failure's class, or
 * IH_ERR_STOPPED when *stop cut a wait short.
 */
int ih_http_do(ih_http_client *c, const ih_http_request *req, ih_http_response *resp);
void ih_http_response_free(ih_http_response *resp);

/* Requests sent (every attempt) and retries made by this client. */
void ih_http_stats(const ih_http_client *c, long *requests, long *retries);

/* The class of an HTTP status (IH_OK .. IH_ERR_FATAL). */
int ih_http_classify_status(long status);
/* 1 if url may be fetched: https://, or http:// to a loopback host. */
int ih_http_url_allowed(const char *url, char *why, size_t len);

#endif
