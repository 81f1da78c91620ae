/*
 * http -- the host's HTTP client for plugins (libcurl; plugins never link it).
 *
 * One ih_http_client per plugin run, created and destroyed by the run's
 * thread and used by that thread only.  Each ih_http_do() is one logical
 * exchange: the plugin's token-bucket rate limit, User-Agent, Accept, gzip,
 * timeouts and response-size cap are applied, TLS is always verified (plain
 * http:// only to a loopback host, for the simulator), and the outcome is
 * classified (CONTRACT §6):
 *
 *   2xx                       IH_OK
 *   401, 403, a refused
 *   extra header (nothing
 *   sent, status 0)           IH_ERR_AUTH          never retried
 *   429                       IH_ERR_RATE_LIMITED  waits Retry-After (60 s if
 *                                                  absent, capped), retried
 *   timeout, connection
 *   error, 408, 5xx           IH_ERR_TRANSIENT     full-jitter backoff (or the
 *                                                  server's Retry-After), retried
 *   other 4xx, oversize or
 *   undecodable body, refused
 *   URL, bad certificate      IH_ERR_FATAL         never retried
 *   *stop set                 IH_ERR_STOPPED       waits and transfers cut short
 *
 * at most max_retries retries per call.  Waits go through the injectable
 * clock.  Nothing logged or put in resp->error carries a query string,
 * header or credential: URLs are shown by path only.
 */
#ifndef IH_HTTP_H
#define IH_HTTP_H

#include <stdatomic.h>
#include <stdint.h>
#include "ingesthost/plugin.h"
#include "base/clock.h"

typedef struct ih_http_options {
	const char *name;             /* plugin name for log lines (copied); may be NULL */
	const char *user_agent;       /* copied; NULL: "ingesthost/<version>" */
	const char *accept;           /* copied; NULL: "application/json" */
	long timeout_ms;              /* whole transfer; default 30000 */
	long connect_timeout_ms;      /* default 10000 */
	long stall_timeout_ms;        /* under 1 byte/s for this long: cut, transient;
				       * <= 0: none; default 60000 */
	long long max_response_bytes; /* decoded body cap, <= 0: none; default 64 MiB */
	double requests_per_second;   /* <= 0: unlimited; default 0 */
	double burst;                 /* token bucket size; default 1 (even spacing) */
	int max_retries;              /* retries after the first attempt; default 3 */
	double max_wait_s;            /* cap on any one wait (0: retry at once); default 60 */
	double backoff_base_s;        /* bound of the first backoff; default 1 */
	uint64_t seed;                /* jitter generator seed; 0: random */
	const ih_clock *clock;        /* borrowed; NULL: ih_clock_real() */
	const atomic_int *stop;     /* borrowed shutdown flag; may be NULL */
} ih_http_options;

/* Per-client counters.  requests counts every attempt sent; the classes
 * count attempt outcomes, plus calls refused before sending (fatal) and
 * calls ended by *stop (stopped). */
typedef struct ih_http_counts {
	long requests;
	long retries;
	long ok, auth, rate_limited, transient, fatal, stopped;
} ih_http_counts;

typedef struct ih_http_client ih_http_client;

/*
 * Call once on the main thread before any other thread starts (wraps
 * curl_global_init).  Idempotent.  Returns 0, or -1 with a logged error.
 */
int ih_http_global_init(void);
/* Release libcurl's globals; main thread, after every client is freed. */
void ih_http_global_cleanup(void);

/* Fill o with the defaults above.  Any thread. */
void ih_http_options_init(ih_http_options *o);

struct ih_config;
struct ih_plugin_config;
/*
 * Fill o with the defaults, then the plugin's settings from its config view
 * pc (timeout_ms, connect_timeout_ms, requests_per_second, max_retries,
 * user_agent) and cfg's [ingest] max_wait and max_response_bytes.  Strings
 * in o point into pc (the client copies them).  name, clock and stop are
 * left for the caller.  Any thread (both configs are immutable).
 */
void ih_http_options_from_config(ih_http_options *o, const struct ih_config *cfg,
				 const struct ih_plugin_config *pc);

/*
 * Create a client from o (strings copied; clock and stop borrowed and must
 * outlive the client).  Returns 0 and *out, or IH_ERR_FATAL (out of memory,
 * curl unavailable) with an error logged.  Free with ih_http_client_free.
 */
int ih_http_client_new(const ih_http_options *o, ih_http_client **out);
void ih_http_client_free(ih_http_client *c);

/*
 * One HTTP exchange with retries, on the client's thread.  req is borrowed.
 * resp is overwritten (pass an empty or released one): on return it always
 * holds the last status (0 if no response arrived) and a NUL-terminated
 * body (never NULL unless memory ran out), kept on failure too so a plugin
 * can read an error envelope; resp->error explains any non-OK result.
 * Release with ih_http_response_free.  Returns an ih_status.
 */
int ih_http_do(ih_http_client *c, const ih_http_request *req, ih_http_response *resp);
/* Free resp's body and clear it.  NULL-safe; idempotent. */
void ih_http_response_free(ih_http_response *resp);

/*
 * A streamed body's receiver: called with each piece as it arrives (after
 * gzip Content-Encoding is undone), in order, on the caller's thread.
 * Returns len to go on; anything else stops the transfer (IH_ERR_STOPPED
 * with meta->sink_stopped set).
 */
typedef size_t (*ih_http_sink)(const void *buf, size_t len, void *ud);

/* What a streaming GET learned.  Filled by ih_http_stream_get. */
typedef struct ih_http_stream_meta {
	long status;              /* the last response's status; 0 if none arrived */
	long long content_length; /* the answer's Content-Length, -1 unknown: set
				   * before the first sink call, for progress/ETA */
	long long bytes;          /* body bytes handed to the sink */
	int redirects;            /* redirects followed */
	int sink_stopped;         /* the sink asked to stop */
	char error[512];          /* why, when not IH_OK: "GET https://host/path: ...",
				   * never a query, credential or header */
} ih_http_stream_meta;

/*
 * GET url and hand the body to sink as it arrives; nothing is buffered
 * whole.  The client's policy applies as for ih_http_do: the URL policy,
 * verified TLS, User-Agent and Accept, gzip, connect, whole-transfer
 * (timeout_ms, <= 0: none) and stall timeouts, the rate limit, the stop
 * flag, and max_response_bytes as a cap on the bytes given to the sink.
 * Redirects (at most 5) are followed here, not by libcurl: a 3xx body is
 * read and dropped (never given to the sink), its Location checked with
 * ih_http_redirect_check, and only then asked for, so a refused target
 * never receives a request.  Only a 2xx body reaches the sink; any other
 * final status is classified with ih_http_status_class.  A transient or
 * rate-limited failure is retried (max_retries, with the client's waits)
 * only while no byte has reached the sink.
 *
 * c: the caller's client, on its thread.  sink, ud: borrowed for the call.
 * meta: overwritten.  Returns IH_OK when the whole body reached the sink,
 * IH_ERR_STOPPED when *stop or the sink ended it, else the failure's
 * class; meta->error says why.
 */
int ih_http_stream_get(ih_http_client *c, const char *url, ih_http_sink sink, void *ud,
		       ih_http_stream_meta *meta);

/* Attempts sent and retries made by c so far (either pointer may be NULL). */
void ih_http_stats(const ih_http_client *c, long *requests, long *retries);
/* All counters. */
void ih_http_counts_get(const ih_http_client *c, ih_http_counts *out);

/*
 * The class of a completed exchange's HTTP status (CONTRACT §6): IH_OK for
 * 2xx, IH_ERR_AUTH for 401/403, IH_ERR_RATE_LIMITED for 429,
 * IH_ERR_TRANSIENT for 408 and 5xx, IH_ERR_FATAL for anything else (other
 * 4xx, 1xx, 3xx left unfollowed, 0).  The one home of this rule: the client
 * uses it, and so may a test harness.  Pure; any thread.
 */
int ih_http_status_class(long status);

/*
 * May `line` be sent as an extra request header?  1 for one "Name: value"
 * line: a name of RFC 9110 token characters, a colon, and a value without
 * control characters other than HTAB (so no CR or LF can add a line); else
 * 0.  Pure; any thread.
 */
int ih_http_header_ok(const char *line);
/*
 * The extra headers of a request (NULL-terminated, may be NULL): IH_OK when
 * each passes ih_http_header_ok, else IH_ERR_AUTH with err saying which one
 * (never its text).  A refused header is an auth failure: extra headers
 * carry credentials (a token from a token endpoint, a key from the config),
 * and a plugin answers IH_ERR_AUTH by replacing its token once, as for a
 * 401.  ih_http_do applies it before sending anything.  Pure; any thread.
 */
int ih_http_headers_check(const char *const *headers, char *err, size_t errlen);

/* "ok", "auth_failed", "rate_limited", "transient", "fatal", "stopped": the
 * CONTRACT's status words for an ih_status; "unknown" otherwise. */
const char *ih_http_class_name(int status);

#endif
