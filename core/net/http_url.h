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

#endif
