/*
 * import_download -- what the Scryfall import fetches over HTTP: the bulk
 * data list, and the card file streamed into a sink.  Everything goes
 * through core/net's streaming GET (ih_http_stream_get), so the URL, TLS,
 * redirect, size and timeout policy is the HTTP client's own.
 *
 * Below import_scryfall: this module knows nothing of cards, formats or
 * the database; the importer hands it a sink.  Depends on core/net only.
 */
#ifndef IH_IMPORT_DOWNLOAD_H
#define IH_IMPORT_DOWNLOAD_H

#include <stddef.h>

/*
 * Stream url (https, or http to loopback) into sink as the bytes arrive;
 * no temp file, no cap on the size.  *content_length (may be NULL) is set
 * (or -1) before each sink call.  The sink returns 0 to go on.  Redirects
 * are followed, each target checked before it is asked (see
 * ih_http_stream_get); a transient failure is retried only while nothing
 * reached the sink.  user_agent: NULL for "ingesthost/VERSION".  Returns
 * 0 when the whole body arrived, 1 when the sink stopped it, or -1 with
 * err (HTTP status, network failure, refused URL; never a query string).
 * Any one thread (it makes its own client).
 */
int imp_stream_url(const char *url, const char *user_agent, int (*sink)(void *ud, const void *p, size_t n),
		   void *ud, long long *content_length, char *err, size_t errlen);

/*
 * --download: GET {base_url}/bulk-data (at most 4 MiB), take the
 * `default_cards` entry, and write its jsonl_download_uri (else
 * download_uri) into url, its updated_at into updated_at (may be empty)
 * (checked, below) and its size, when given, into *size.  https only, or
 * http to loopback.
 * Returns 0, or -1 with err.  Any one thread.
 */
int ih_import_find_default_cards(const char *base_url, const char *user_agent, char *url, size_t urllen,
				 char *updated_at, size_t ulen, long long *size, char *err, size_t errlen);

/*
 * What ih_import_find_default_cards checks of the list (issue 14):
 *
 * - The list is strict JSON (the skimmer's grammar, no member name twice
 *   in any object, no NUL in the strings it reads).
 * - The download URI is https, or on the list's own scheme, host and port:
 *   a list must not point the download at another (loopback) service.
 *   ih_import_download_allowed: 0, or -1 with why in err.
 * - updated_at becomes the snapshot time only when it is an RFC 3339 time
 *   between 2010-01-01 and now + 1 day; it is written to updated_at
 *   normalised to UTC ("2026-09-22T09:05:44.323Z").  Otherwise updated_at
 *   is left empty (the import then stamps its own start time) and a
 *   warning says why.
 */
int ih_import_download_allowed(const char *list_url, const char *uri, char *err, size_t errlen);

/*
 * Check an RFC 3339 time (YYYY-MM-DDTHH:MM:SS[.f](Z|+HH:MM|-HH:MM)) against
 * [2010-01-01, now + 1 day] (now: seconds since 1970).  0 with out (may be
 * NULL) set to it in UTC, or -1 with why.  Pure; any thread.
 */
int ih_import_check_time(const char *text, long long now, char *out, size_t outlen, char *why, size_t whylen);

#endif
