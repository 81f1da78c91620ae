/*
 * bulk_list: the importer's reading of Scryfall's bulk-data list
 * (core/import/import_download.c, ih_import_find_default_cards, used by
 * `ingesthost import scryfall --download`).
 *
 * The body comes from the input instead of the network: the link wraps
 * ih_http_stream_get (-Wl,--wrap) with a function that hands the input to
 * the importer's sink in pieces, or (one input in eight) fails like a
 * network error.  Checks: one GET, of {base}/bulk-data; on success the URL
 * is, in full, the jsonl_download_uri (else download_uri) of the first
 * default_cards entry of the body as json-c reads it (a type or a URI cut at
 * an embedded \u0000 is caught), it is https:// or has the list's own
 * scheme and host (#14 finding 7: no other loopback address), and
 * updated_at is "" or an RFC 3339 time between 2010-01-01 and now + 1 day
 * (#14 finding 2) that is the instant of the entry's updated_at, a string
 * without NUL (never a cut copy); on failure a reason and no URL.
 */
#include "config.h"

#include <curl/curl.h>
#include <time.h>

#include "fuzz.h"
#include "import/import_download.h"
#include "net/http.h"

static const uint8_t *body;
static size_t body_len;
static uint64_t seed;
static int calls;
static char asked[1100];

int __wrap_ih_http_stream_get(ih_http_client *c, const char *url, ih_http_sink sink, void *ud,
			      ih_http_stream_meta *meta);

int __wrap_ih_http_stream_get(ih_http_client *c, const char *url, ih_http_sink sink, void *ud,
			      ih_http_stream_meta *meta)
{
	uint64_t st = seed;
	size_t at = 0;

	(void)c;
	calls++;
	snprintf(asked, sizeof asked, "%s", url);
	memset(meta, 0, sizeof *meta);
	meta->content_length = -1;
	if ((seed & 7) == 3) {
		snprintf(meta->error, sizeof meta->error, "GET %s: connection refused", url);
		return IH_ERR_TRANSIENT;
	}
	meta->status = 200;
	meta->content_length = (long long)body_len;
	while (at < body_len) {
		size_t n = 1 + (size_t)(fuzz_rand(&st) % 2048);

		if (n > body_len - at)
			n = body_len - at;
		if (sink(body + at, n, ud) != n) {
			meta->sink_stopped = 1;
			snprintf(meta->error, sizeof meta->error, "GET %s: stopped by the sink", url);
			return IH_ERR_FATAL;
		}
		at += n;
		meta->bytes += (long long)n;
	}
	return IH_OK;
}

static char *url_part(const char *url, CURLUPart part)
{
	CURLU *u = curl_url();
	char *v = NULL, *out = NULL;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
	    curl_url_get(u, part, &v, 0) == CURLUE_OK && v != NULL)
		out = strdup(v);
	curl_free(v);
	curl_url_cleanup(u);
	return out;
}

/* The first default_cards entry of tree's data array, or NULL. */
static json_object *default_cards(json_object *tree)
{
	json_object *arr, *t;

	if (tree == NULL || !json_object_is_type(tree, json_type_object) || !json_object_object_get_ex(tree, "data", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *e = json_object_array_get_idx(arr, i);

		if (e != NULL && json_object_is_type(e, json_type_object) && json_object_object_get_ex(e, "type", &t) &&
		    json_object_is_type(t, json_type_string) && json_object_get_string_len(t) == 13 &&
		    memcmp(json_object_get_string(t), "default_cards", 13) == 0)
			return e;
	}
	return NULL;
}

/* An RFC 3339 time (YYYY-MM-DD[Tt ]HH:MM:SS[.f](Z|z|+HH:MM|-HH:MM)): its
 * seconds since 1970 (timegm), and its fraction's digits. */
static int rfc3339(const char *s, long long *t, const char **frac, int *nfrac)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0, k;
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	char tail[16];

	*frac = "";
	*nfrac = 0;
	if (strlen(s) < 20 || sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &k) != 3 || k != 10 ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || sscanf(s + 11, "%2d:%2d:%2d%n", &h, &mi, &sec, &k) != 3 ||
	    k != 8)
		return 0;
	for (int i = 0; i < 19; i++)
		if (i != 4 && i != 7 && i != 10 && i != 13 && i != 16 && !(s[i] >= '0' && s[i] <= '9'))
			return 0;
	s += 19;
	if (*s == '.') {
		*frac = ++s;
		while (*s >= '0' && *s <= '9')
			s++;
		*nfrac = (int)(s - *frac);
		if (*nfrac == 0)
			return 0;
	}
	snprintf(tail, sizeof tail, "%s", s);
	if (strcmp(tail, "Z") != 0 && strcmp(tail, "z") != 0) {
		if (strlen(tail) != 6 || (tail[0] != '+' && tail[0] != '-') || tail[3] != ':' ||
		    sscanf(tail + 1, "%2d", &oh) != 1 || sscanf(tail + 4, "%2d", &om) != 1 || oh > 23 || om > 59)
			return 0;
		sign = tail[0] == '-' ? -1 : 1;
	}
	if (mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) || h > 23 || mi > 59 ||
	    sec > 59)
		return 0;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*t = (long long)timegm(&tm) - sign * (oh * 3600LL + om * 60LL);
	return 1;
}

static int full_string(json_object *e, const char *key, const char *s)
{
	json_object *v;

	return json_object_object_get_ex(e, key, &v) && json_object_is_type(v, json_type_string) &&
	       (size_t)json_object_get_string_len(v) == strlen(s) && memcmp(json_object_get_string(v), s, strlen(s)) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const bases[] = { "http://127.0.0.1:9/scryfall", "https://api.scryfall.com/",
					     "http://localhost:8080/scryfall//" };
	char url[1024], updated[64], err[512], want_list[1100];
	const char *base;
	long long sz = -7;
	json_object *tree, *e;
	int rc;

	if (size > 1 << 20)
		return 0;
	body = data;
	body_len = size;
	seed = fuzz_hash(data, size);
	calls = 0;
	base = bases[(seed >> 8) % 3];
	memset(url, 'x', sizeof url);
	memset(updated, 'x', sizeof updated);
	err[0] = '\0';
	rc = ih_import_find_default_cards(base, NULL, url, sizeof url, updated, sizeof updated, &sz, err, sizeof err);
	FUZZ_CHECK(calls == 1, "%d GETs: does ih_import_find_default_cards still use ih_http_stream_get?", calls);
	{
		size_t bl = strlen(base);

		while (bl > 0 && base[bl - 1] == '/')
			bl--;
		snprintf(want_list, sizeof want_list, "%.*s/bulk-data", (int)bl, base);
		FUZZ_CHECK(strcmp(asked, want_list) == 0, "asked for %s, not %s", asked, want_list);
	}
	FUZZ_CHECK(memchr(url, '\0', sizeof url) != NULL && memchr(updated, '\0', sizeof updated) != NULL &&
			   memchr(err, '\0', sizeof err) != NULL,
		   "unterminated output");
	if (rc != 0) {
		FUZZ_CHECK(rc == -1 && err[0] != '\0' && url[0] == '\0', "a failure: rc %d, err '%s', url '%.80s'", rc, err,
			   url);
		return 0;
	}
	FUZZ_CHECK(url[0] != '\0', "success without a URL");
	FUZZ_CHECK((seed & 7) != 3, "success although the GET failed");
	tree = fuzz_json_tree(data, size);
	e = default_cards(tree);
	if (tree != NULL) {
		json_object *j;
		const char *key = "jsonl_download_uri";

		FUZZ_CHECK(e != NULL, "a URL from a list without a default_cards entry (a type cut at a NUL?)");
		if (!json_object_object_get_ex(e, key, &j) || !json_object_is_type(j, json_type_string) ||
		    json_object_get_string_len(j) == 0)
			key = "download_uri";
		FUZZ_CHECK(full_string(e, key, url), "URL '%.200s' is not, in full, the entry's %s", url, key);
		if (updated[0] != '\0') {
			json_object *ua;
			long long t_in, t_out;
			const char *f_in, *f_out;
			int n_in, n_out;

			FUZZ_CHECK(json_object_object_get_ex(e, "updated_at", &ua) && json_object_is_type(ua, json_type_string) &&
					   strlen(json_object_get_string(ua)) == (size_t)json_object_get_string_len(ua),
				   "updated_at '%s' from an entry whose updated_at is no string, or holds a NUL", updated);
			FUZZ_CHECK(rfc3339(updated, &t_out, &f_out, &n_out), "updated_at '%s' is not an RFC 3339 time", updated);
			FUZZ_CHECK(rfc3339(json_object_get_string(ua), &t_in, &f_in, &n_in),
				   "updated_at '%s' from '%.60s', which is not an RFC 3339 time", updated,
				   json_object_get_string(ua));
			/* the same second; a fraction kept is the entry's, maybe shortened */
			FUZZ_CHECK(t_in == t_out && (n_out == 0 || (n_out <= n_in && strncmp(f_in, f_out, (size_t)n_out) == 0)),
				   "updated_at '%s' is not the time '%s'", updated, json_object_get_string(ua));
			FUZZ_CHECK(t_out >= 1262304000LL && t_out <= (long long)time(NULL) + 86400,
				   "updated_at '%s' is not between 2010-01-01 and now + 1 day (#14 finding 2)", updated);
		}
	}
	{
		char *scheme = url_part(url, CURLUPART_SCHEME), *host = url_part(url, CURLUPART_HOST);
		char *bscheme = url_part(base, CURLUPART_SCHEME), *bhost = url_part(base, CURLUPART_HOST);

		FUZZ_CHECK((scheme != NULL && strcasecmp(scheme, "https") == 0) ||
				   (scheme != NULL && host != NULL && strcasecmp(scheme, bscheme) == 0 &&
				    strcasecmp(host, bhost) == 0),
			   "the download goes to '%.200s', neither https:// nor the list's own %s://%s", url, bscheme,
			   bhost);
		free(scheme);
		free(host);
		free(bscheme);
		free(bhost);
	}
	json_object_put(tree);
	return 0;
}
