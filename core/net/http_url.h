/*
 * http_url -- which URLs the HTTP service may reach (internal to core/http).
 *
 * https:// anywhere; plain http:// only to a loopback host (127.0.0.0/8,
 * ::1, localhost), for the marketplace simulator; nothing else.
 */
#ifndef IH_HTTP_URL_H
#define IH_HTTP_URL_H

#include <curl/curl.h>
#include <stddef.h>

typedef struct ih_url_info {
	CURLU *u;           /* the parsed URL, handed to libcurl as is */
	int plain;          /* http:// (to loopback) */
	char where[200];    /* "GET /path" for messages: never the query */
} ih_url_info;

/*
 * Parse and check url for `method` ("GET"/"POST", used in ui->where).
 * Returns 0 with ui->u owned by the caller (curl_url_cleanup), or
 * IH_ERR_FATAL with ui->u NULL and a message naming the problem (host and
 * scheme only, never the query) in err.  Thread-safe.
 */
int ih_http_url_check(const char *url, ih_url_info *ui, const char *method, char *err, size_t errlen);

/*
 * Check that url may be requested: ih_http_url_check without keeping the
 * parse.  Returns 0, or IH_ERR_FATAL with a message (no query string) in
 * err.  Thread-safe.
 */
int ih_http_url_allowed(const char *url, char *err, size_t errlen);

/*
 * May a transfer that began at a URL that was plain http (first_plain) or
 * https go on to the redirect target `target`?  The URL policy above, and
 * no step down from https:// to http:// (an https server must not send us
 * to a local service).  Returns 0 with ui->u owned by the caller
 * (curl_url_cleanup), or IH_ERR_FATAL with ui->u NULL and why in err.
 * Thread-safe.
 */
int ih_http_redirect_check(const char *target, int first_plain, ih_url_info *ui, char *err, size_t errlen);

/*
 * url as it may be shown in a message: scheme, host, port and path; never
 * credentials, query or fragment (they may carry a token).  Writes
 * "(a malformed URL)" when url does not parse.  Thread-safe.
 */
void ih_http_url_shown(const char *url, char *buf, size_t len);

#endif
