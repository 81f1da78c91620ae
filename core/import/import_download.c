#include "config.h"

#include <curl/curl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/buf.h"
#include "base/log.h"
#include "import/import_download.h"
#include "import/jsonskim.h"
#include "net/http.h"

#define LIST_MAX_BYTES (4LL * 1024 * 1024)
/* Scryfall asks API clients for an Accept header; the file is gzip. */
#define ACCEPT "application/json;q=0.9,*/*;q=0.8"

/*
 * A client for one download: no whole-transfer bound (the card file is
 * hundreds of MB) but a stall bound, max_bytes as the cap (<= 0: none),
 * two retries while nothing has been received.
 */
static int client(const char *user_agent, long long max_bytes, ih_http_client **c)
{
	ih_http_options o;

	ih_http_options_init(&o);
	o.name = "import scryfall";
	o.user_agent = user_agent;
	o.accept = ACCEPT;
	o.timeout_ms = 0;
	o.connect_timeout_ms = 30000;
	o.stall_timeout_ms = 60000;
	o.max_response_bytes = max_bytes;
	o.max_retries = 2;
	return ih_http_client_new(&o, c);
}

/* Stream url into sink/ud with a fresh client; the ih_status, err filled
 * unless OK. */
static int fetch(const char *url, const char *user_agent, long long max_bytes, ih_http_sink sink, void *ud,
		 ih_http_stream_meta *meta, char *err, size_t errlen)
{
	ih_http_client *c;
	int rc;

	memset(meta, 0, sizeof *meta);
	meta->content_length = -1;
	if (client(user_agent, max_bytes, &c) != 0) {
		snprintf(err, errlen, "cannot create an HTTP client (out of memory, or libcurl unusable)");
		return -1;
	}
	rc = ih_http_stream_get(c, url, sink, ud, meta);
	ih_http_client_free(c);
	if (rc != IH_OK)
		snprintf(err, errlen, "%s", meta->error);
	return rc;
}

typedef struct user_sink {
	int (*sink)(void *ud, const void *p, size_t n);
	void *ud;
	long long *content_length;
	const ih_http_stream_meta *meta;
} user_sink;

static size_t to_user(const void *p, size_t n, void *arg)
{
	user_sink *u = arg;

	if (u->content_length != NULL)
		*u->content_length = u->meta->content_length;
	return u->sink(u->ud, p, n) == 0 ? n : 0;
}

int imp_stream_url(const char *url, const char *user_agent, int (*sink)(void *ud, const void *p, size_t n),
		   void *ud, long long *content_length, char *err, size_t errlen)
{
	ih_http_stream_meta meta;
	user_sink u = { sink, ud, content_length, &meta };
	int rc;

	if (content_length != NULL)
		*content_length = -1;
	rc = fetch(url, user_agent, 0, to_user, &u, &meta, err, errlen);
	if (rc == IH_OK)
		return 0;
	return meta.sink_stopped ? 1 : -1;
}

/* A body gathered in memory (the cap is the client's). */
typedef struct mem {
	char *p;
	size_t len, cap;
} mem;

static size_t to_mem(const void *p, size_t n, void *arg)
{
	mem *m = arg;

	return ih_buf_append(&m->p, &m->len, &m->cap, 16384, p, n) == 0 ? n : 0;
}

/* A string member, or NULL when absent, not a string, or holding a NUL
 * (a C string would end there: "default_cards\u0000x" is not default_cards). */
static const char *str_field(json_object *o, const char *key)
{
	json_object *v;

	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) &&
	    strlen(json_object_get_string(v)) == (size_t)json_object_get_string_len(v))
		return json_object_get_string(v);
	return NULL;
}

/* 1 when member key is there as a string with a NUL inside. */
static int has_nul(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) &&
	       strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v);
}

/* ---- times ------------------------------------------------------------------ */

static int num(const char *s, int n, int *out)
{
	int v = 0;

	for (int k = 0; k < n; k++) {
		if (s[k] < '0' || s[k] > '9')
			return -1;
		v = v * 10 + (s[k] - '0');
	}
	*out = v;
	return 0;
}

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Seconds since 1970 of a proleptic Gregorian UTC date (no timegm: it is
 * not everywhere, and it reads the TZ of nobody here anyway). */
static long long epoch_of(int y, int mo, int d, int h, int mi, int sec)
{
	static const int before[12] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };
	long long days = 0;

	for (int yy = 1970; yy < y; yy++)
		days += leap(yy) ? 366 : 365;
	days += before[mo - 1] + (mo > 2 && leap(y)) + d - 1;
	return ((days * 24 + h) * 60 + mi) * 60LL + sec;
}

#define IMP_TIME_MIN 1262304000LL /* 2010-01-01T00:00:00Z */

int ih_import_check_time(const char *text, long long now, char *out, size_t outlen, char *why, size_t whylen)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0, nfrac = 0;
	const char *p = text, *frac = "";
	long long t;
	char shown[48];

	if (out != NULL && outlen > 0)
		*out = '\0';
	if (text == NULL || *text == '\0') {
		snprintf(why, whylen, "no time given");
		return -1;
	}
	snprintf(shown, sizeof shown, "%.40s%s", text, strlen(text) > 40 ? "..." : "");
	/* YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM), RFC 3339 */
	if (strlen(p) < 20 || num(p, 4, &y) || p[4] != '-' || num(p + 5, 2, &mo) || p[7] != '-' || num(p + 8, 2, &d) ||
	    (p[10] != 'T' && p[10] != 't' && p[10] != ' ') || num(p + 11, 2, &h) || p[13] != ':' ||
	    num(p + 14, 2, &mi) || p[16] != ':' || num(p + 17, 2, &sec))
		goto shape;
	p += 19;
	if (*p == '.') {
		frac = ++p;
		while (*p >= '0' && *p <= '9')
			p++;
		nfrac = (int)(p - frac);
		if (nfrac == 0 || nfrac > 9)
			goto shape;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		sign = 0;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 && !num(p + 1, 2, &oh) && p[3] == ':' &&
		   !num(p + 4, 2, &om)) {
		sign = *p == '-' ? -1 : 1;
	} else {
		goto shape;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap(y)) || h > 23 || mi > 59 || sec > 59 ||
	    oh > 23 || om > 59) {
		snprintf(why, whylen, "'%s' is not a valid date and time", shown);
		return -1;
	}
	if (y < 2010 || y > 9999) {
		snprintf(why, whylen, "'%s' is before 2010-01-01", shown);
		if (y > 9999)
			snprintf(why, whylen, "'%s' is more than a day ahead of now", shown);
		return -1;
	}
	t = epoch_of(y, mo, d, h, mi, sec) - sign * ((long long)oh * 3600 + om * 60);
	if (t < IMP_TIME_MIN) {
		snprintf(why, whylen, "'%s' is before 2010-01-01", shown);
		return -1;
	}
	if (t > now + 86400 || (t == now + 86400 && nfrac > 0 && strspn(frac, "0") < (size_t)nfrac)) {
		snprintf(why, whylen, "'%s' is more than a day ahead of now", shown);
		return -1;
	}
	if (out != NULL) {
		time_t tt = (time_t)t;
		struct tm tm;
		char base[32];

		gmtime_r(&tt, &tm);
		strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(out, outlen, "%s%s%.*sZ", base, nfrac > 0 ? "." : "", nfrac > 6 ? 6 : nfrac, frac);
	}
	return 0;
shape:
	snprintf(why, whylen, "'%s' is not a time of the form 2026-09-22T09:05:44.323+00:00", shown);
	return -1;
}

/* ---- where the file may come from -------------------------------------------- */

/* scheme, host and port (the scheme's default when not written) of url. */
static int origin(const char *url, char *scheme, size_t sl, char *host, size_t hl, char *port, size_t pl)
{
	CURLU *u = curl_url();
	char *sc = NULL, *ho = NULL, *po = NULL;
	int rc = -1;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &sc, 0) == CURLUE_OK && curl_url_get(u, CURLUPART_HOST, &ho, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &po, CURLU_DEFAULT_PORT) == CURLUE_OK) {
		snprintf(scheme, sl, "%s", sc);
		snprintf(host, hl, "%s", ho);
		snprintf(port, pl, "%s", po);
		rc = 0;
	}
	curl_free(sc);
	curl_free(ho);
	curl_free(po);
	curl_url_cleanup(u);
	return rc;
}

int ih_import_download_allowed(const char *list_url, const char *uri, char *err, size_t errlen)
{
	char ls[16], lh[256], lp[16], us[16], uh[256], up[16];

	if (origin(uri, us, sizeof us, uh, sizeof uh, up, sizeof up) != 0) {
		snprintf(err, errlen, "the download URI is not a URL");
		return -1;
	}
	if (strcasecmp(us, "https") == 0)
		return 0;
	if (origin(list_url, ls, sizeof ls, lh, sizeof lh, lp, sizeof lp) == 0 && strcasecmp(us, ls) == 0 &&
	    strcasecmp(uh, lh) == 0 && strcmp(up, lp) == 0)
		return 0;
	snprintf(err, errlen,
		 "the download URI (%.16s://%.100s:%.8s) is neither https nor on the bulk data list's own scheme, host and "
		 "port (%.16s://%.100s:%.8s): refused",
		 us, uh, up, ls, lh, lp);
	return -1;
}

int ih_import_find_default_cards(const char *base_url, const char *user_agent, char *url, size_t urllen,
				 char *updated_at, size_t ulen, long long *size, char *err, size_t errlen)
{
	ih_http_stream_meta meta;
	mem body = { 0 };
	char list_url[1024];
	json_object *root = NULL, *data = NULL;
	size_t blen = strlen(base_url);
	int rc = -1;

	while (blen > 0 && base_url[blen - 1] == '/')
		blen--;
	snprintf(list_url, sizeof list_url, "%.*s/bulk-data", (int)blen, base_url);
	*url = '\0';
	if (updated_at != NULL && ulen > 0)
		*updated_at = '\0';
	if (size != NULL)
		*size = 0;
	if (fetch(list_url, user_agent, LIST_MAX_BYTES, to_mem, &body, &meta, err, errlen) != IH_OK) {
		if (meta.sink_stopped)
			snprintf(err, errlen, "%s: out of memory", list_url);
		free(body.p);
		return -1;
	}
	/* strict: the JSON grammar over every byte, no name twice in any object */
	{
		size_t at = 0;
		const char *what = "";
		int sk = body.p != NULL ? ih_skim(body.p, body.len, NULL, 0, NULL, &at, &what) : IH_SKIM_INCOMPLETE;

		if (sk == IH_SKIM_OK && (sk = ih_skim_names(body.p, body.len, NULL, 0, &at)) != IH_SKIM_OK)
			what = sk == IH_SKIM_NAMES_DUP ? "a member name appears twice" : "a member name holds \\u0000";
		if (sk != IH_SKIM_OK) {
			snprintf(err, errlen, "%s: the bulk data list is not valid JSON (%s at byte %zu)", list_url,
				 sk == IH_SKIM_INCOMPLETE ? "cut short" : what, at);
			goto out;
		}
	}
	{
		json_tokener *tok = json_tokener_new();

		if (tok != NULL) {
			json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
			root = json_tokener_parse_ex(tok, body.p, (int)body.len);
			json_tokener_free(tok);
		}
	}
	if (root == NULL || !json_object_object_get_ex(root, "data", &data) ||
	    !json_object_is_type(data, json_type_array)) {
		snprintf(err, errlen, "%s: not a list of bulk data (no 'data' array)", list_url);
		goto out;
	}
	for (size_t i = 0; i < json_object_array_length(data); i++) {
		json_object *e = json_object_array_get_idx(data, i), *v;
		const char *type = str_field(e, "type"), *u;

		if (type == NULL || strcmp(type, "default_cards") != 0)
			continue;
		if (has_nul(e, "jsonl_download_uri") || has_nul(e, "download_uri")) {
			snprintf(err, errlen, "%s: default_cards's download URI holds a NUL character", list_url);
			goto out;
		}
		u = str_field(e, "jsonl_download_uri");
		if (u == NULL || *u == '\0')
			u = str_field(e, "download_uri");
		if (u == NULL || *u == '\0') {
			snprintf(err, errlen, "%s: default_cards has neither jsonl_download_uri nor download_uri", list_url);
			goto out;
		}
		if (strlen(u) >= urllen) {
			snprintf(err, errlen, "%s: the download URI is too long", list_url);
			goto out;
		}
		/* the list must not send the download to another (local) service */
		if (ih_import_download_allowed(list_url, u, err, errlen) != 0) {
			char m[512];

			snprintf(m, sizeof m, "%s", err);
			snprintf(err, errlen, "%s: %s", list_url, m);
			goto out;
		}
		snprintf(url, urllen, "%s", u);
		if (updated_at != NULL && ulen > 0) {
			json_object *ua;
			char why[160];

			/* the snapshot time of every row: used only when sane,
			 * else the import's own start time */
			if (json_object_object_get_ex(e, "updated_at", &ua) && ua != NULL) {
				const char *t = str_field(e, "updated_at");

				if (t == NULL)
					snprintf(why, sizeof why, "it is not a string, or holds a NUL character");
				if (t == NULL ||
				    ih_import_check_time(t, (long long)time(NULL), updated_at, ulen, why, sizeof why) != 0) {
					*updated_at = '\0';
					ih_warn("import scryfall --download: the bulk data list's updated_at is not usable as the "
						"snapshot time (%s; it must lie between 2010-01-01 and now + 1 day): the "
						"snapshots take the import's start time", why);
				}
			}
		}
		if (size != NULL && ((json_object_object_get_ex(e, "compressed_size", &v) && json_object_is_type(v, json_type_int)) ||
				     (json_object_object_get_ex(e, "size", &v) && json_object_is_type(v, json_type_int))))
			*size = json_object_get_int64(v);
		rc = 0;
		goto out;
	}
	snprintf(err, errlen, "%s: no 'default_cards' entry in the list", list_url);
out:
	json_object_put(root);
	free(body.p);
	return rc;
}
