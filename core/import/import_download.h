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
 * and its size, when given, into *size.  https only, or http to loopback.
 * Returns 0, or -1 with err.  Any one thread.
 */
int ih_import_find_default_cards(const char *base_url, const char *user_agent, char *url, size_t urllen,
				 char *updated_at, size_t ulen, long long *size, char *err, size_t errlen);

#endif
