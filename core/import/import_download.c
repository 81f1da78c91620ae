#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <json-c/json.h>

#include "net/http.h"
#include "net/http_url.h"
#include "import/import_int.h"
#include "import/import_scryfall.h"

#define LIST_MAX_BYTES (4L * 1024 * 1024)

const char *imp_default_user_agent(void)
{
	return "ingesthost/" PACKAGE_VERSION;
}

/* Redirects the download follows, each target checked before it is asked. */
#define MAX_HOPS 5
/* A 3xx body is read and dropped up to this much, then the transfer is cut
 * (the target is already known from the headers). */
#define REDIRECT_BODY_MAX (64L * 1024)

typedef struct stream_ud {
	CURL *h;
	int (*sink)(void *ud, const void *p, size_t n);
	void *ud;
	long long *content_length;
	int started, stopped;
	ih_buf mem;   /* when sink is NULL: gather the body, up to LIST_MAX_BYTES */
	int too_big;
	/* per response (reset for each hop) */
	int status_known;
	int redirect;        /* a 3xx: its body never reaches the sink */
	long dropped;        /* bytes of a 3xx body read and dropped */
} stream_ud;

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	stream_ud *s = arg;
	size_t len = size * n;

	if (!s->status_known) {
		long status = 0;

		s->status_known = 1;
		curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &status);
		s->redirect = status >= 300 && status < 400;
	}
	if (s->redirect) {
		s->dropped += (long)len;
		return s->dropped > REDIRECT_BODY_MAX ? 0 : len;
	}
	if (!s->started) {
		curl_off_t cl = -1;

		s->started = 1;
		if (s->content_length != NULL) {
			if (curl_easy_getinfo(s->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) != CURLE_OK)
				cl = -1;
			*s->content_length = (long long)cl;
		}
	}
	if (s->sink == NULL) {
		if (s->mem.len + len > (size_t)LIST_MAX_BYTES) {
			s->too_big = 1;
			return 0;
		}
		ih_buf_put(&s->mem, p, len);
		return s->mem.oom ? 0 : len;
	}
	if (s->sink(s->ud, p, len) != 0) {
		s->stopped = 1;
		return 0;
	}
	return len;
}

/* url for messages: no credentials, query or fragment (they may carry a
 * token), as core/http.c's "where" texts. */
static void shown(const char *url, char *buf, size_t len)
{
	CURLU *u = curl_url();
	char *t = NULL;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK) {
		curl_url_set(u, CURLUPART_USER, NULL, 0);
		curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
		curl_url_set(u, CURLUPART_OPTIONS, NULL, 0);
		curl_url_set(u, CURLUPART_QUERY, NULL, 0);
		curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
		if (curl_url_get(u, CURLUPART_URL, &t, 0) != CURLUE_OK)
			t = NULL;
	}
	snprintf(buf, len, "%s", t != NULL ? t : "(a malformed URL)");
	curl_free(t);
	curl_url_cleanup(u);
}

/*
 * May the download go on to `target`, redirected from a first URL that
 * was plain http (to loopback) or not?  The URL policy (https anywhere,
 * http to loopback only), and plain http only when the first URL was:
 * an https server cannot send us to a local service.  0, or -1 with why.
 */
static int redirect_allowed(const char *target, int first_plain, char *why, size_t whylen)
{
	ih_url_info ui;

	if (ih_http_url_check(target, &ui, "GET", why, whylen) != 0)
		return -1;
	curl_url_cleanup(ui.u);
	if (ui.plain && !first_plain) {
		snprintf(why, whylen, "a download from https:// may not continue over plain http://");
		return -1;
	}
	return 0;
}

/*
 * GET url into the stream; see imp_stream_url.  Redirects are followed
 * here, not by libcurl: a 3xx body is dropped, its target checked against
 * the URL policy, and only then asked for, so a refused target never
 * receives a request and the sink never a byte.  libcurl is also told
 * which protocols it may use at all (https; http too when the first URL
 * is loopback http), in case a check is ever missed.
 */
static int get(const char *url, const char *ua, stream_ud *s, char *err, size_t errlen)
{
	char why[256], cerr[CURL_ERROR_SIZE] = "", first[300], at[300], next[300];
	ih_url_info ui;
	CURL *h;
	CURLcode cr;
	long status = 0;
	int rc = -1, first_plain;
	char *cur;

	shown(url, first, sizeof first);
	if (ih_http_url_check(url, &ui, "GET", why, sizeof why) != 0) {
		snprintf(err, errlen, "%s: %s", first, why);
		return -1;
	}
	first_plain = ui.plain;
	curl_url_cleanup(ui.u);
	h = curl_easy_init();
	cur = strdup(url);
	if (h == NULL || cur == NULL) {
		snprintf(err, errlen, "%s: cannot create a curl handle", first);
		curl_easy_cleanup(h);
		free(cur);
		return -1;
	}
	s->h = h;
	curl_easy_setopt(h, CURLOPT_USERAGENT, ua != NULL ? ua : imp_default_user_agent());
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	/* a stalled transfer: under 1 byte/s for a minute */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	/* the legacy file is served gzip-encoded: let curl decode that layer;
	 * a .jsonl.gz body (no Content-Encoding) comes through as is */
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, first_plain ? "http,https" : "https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, first_plain ? "http,https" : "https");
	for (int hop = 0;; hop++) {
		char *loc = NULL;

		s->status_known = s->redirect = 0;
		s->dropped = 0;
		cerr[0] = '\0';
		status = 0;
		curl_easy_setopt(h, CURLOPT_URL, cur);
		cr = curl_easy_perform(h);
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		if (s->redirect || (cr == CURLE_OK && status >= 300 && status < 400)) {
			shown(cur, at, sizeof at);
			if (curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &loc) != CURLE_OK || loc == NULL) {
				snprintf(err, errlen, "%s: HTTP status %ld without a usable Location%s%s", first, status,
					 hop > 0 ? " at " : "", hop > 0 ? at : "");
				break;
			}
			shown(loc, next, sizeof next);
			if (hop == MAX_HOPS) {
				snprintf(err, errlen, "%s: more than %d redirects (the last to %s); refused", first,
					 MAX_HOPS, next);
				break;
			}
			if (redirect_allowed(loc, first_plain, why, sizeof why) != 0) {
				snprintf(err, errlen, "%s: redirected to %s: %s; refused before downloading anything",
					 first, next, why);
				break;
			}
			free(cur);
			cur = strdup(loc);
			if (cur == NULL) {
				snprintf(err, errlen, "%s: out of memory", first);
				break;
			}
			continue;
		}
		if (cr == CURLE_OK) {
			rc = 0;
		} else if (s->stopped) {
			rc = 1;
		} else if (s->too_big) {
			snprintf(err, errlen, "%s: the answer is larger than %ld bytes", first, LIST_MAX_BYTES);
		} else if (cr == CURLE_HTTP_RETURNED_ERROR) {
			shown(cur, at, sizeof at);
			snprintf(err, errlen, "%s: HTTP status %ld%s%s", first, status, hop > 0 ? " from " : "",
				 hop > 0 ? at : "");
		} else {
			snprintf(err, errlen, "%s: %s", first, cerr[0] ? cerr : curl_easy_strerror(cr));
		}
		break;
	}
	free(cur);
	curl_easy_cleanup(h);
	return rc;
}

int imp_stream_url(const char *url, const char *user_agent, int (*sink)(void *ud, const void *p, size_t n),
		   void *ud, long long *content_length, char *err, size_t errlen)
{
	stream_ud s = { .sink = sink, .ud = ud, .content_length = content_length };

	if (content_length != NULL)
		*content_length = -1;
	return get(url, user_agent, &s, err, errlen);
}

static const char *str_field(json_object *o, const char *key)
{
	json_object *v;

	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

int ih_import_find_default_cards(const char *base_url, const char *user_agent, char *url, size_t urllen,
				 char *updated_at, size_t ulen, long long *size, char *err, size_t errlen)
{
	stream_ud s = { 0 };
	char list_url[1024];
	json_object *root = NULL, *data = NULL;
	size_t blen = strlen(base_url);
	int rc = IH_IMPORT_ERR_INPUT;

	while (blen > 0 && base_url[blen - 1] == '/')
		blen--;
	snprintf(list_url, sizeof list_url, "%.*s/bulk-data", (int)blen, base_url);
	*url = '\0';
	if (updated_at != NULL && ulen > 0)
		*updated_at = '\0';
	if (size != NULL)
		*size = 0;
	if (get(list_url, user_agent, &s, err, errlen) != 0) {
		ih_buf_free(&s.mem);
		return IH_IMPORT_ERR_INPUT;
	}
	ih_buf_putc(&s.mem, '\0');
	root = s.mem.oom ? NULL : json_tokener_parse(s.mem.p);
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
		snprintf(url, urllen, "%s", u);
		if (updated_at != NULL && str_field(e, "updated_at") != NULL)
			snprintf(updated_at, ulen, "%s", str_field(e, "updated_at"));
		if (size != NULL && ((json_object_object_get_ex(e, "compressed_size", &v) && json_object_is_type(v, json_type_int)) ||
				     (json_object_object_get_ex(e, "size", &v) && json_object_is_type(v, json_type_int))))
			*size = json_object_get_int64(v);
		rc = 0;
		goto out;
	}
	snprintf(err, errlen, "%s: no 'default_cards' entry in the list", list_url);
out:
	json_object_put(root);
	ih_buf_free(&s.mem);
	return rc;
}
