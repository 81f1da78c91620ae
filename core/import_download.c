#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <json-c/json.h>

#include "http.h"
#include "import_int.h"
#include "import_scryfall.h"

#define LIST_MAX_BYTES (4L * 1024 * 1024)

const char *imp_default_user_agent(void)
{
	return "ingesthost/" PACKAGE_VERSION;
}

typedef struct stream_ud {
	CURL *h;
	int (*sink)(void *ud, const void *p, size_t n);
	void *ud;
	long long *content_length;
	int started, stopped;
	ih_buf mem;   /* when sink is NULL: gather the body, up to LIST_MAX_BYTES */
	int too_big;
} stream_ud;

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	stream_ud *s = arg;
	size_t len = size * n;

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

/* GET url into the stream; see imp_stream_url. */
static int get(const char *url, const char *ua, stream_ud *s, char *err, size_t errlen)
{
	char why[256], cerr[CURL_ERROR_SIZE] = "";
	CURL *h;
	CURLcode cr;
	long status = 0;
	int rc = 0;

	if (ih_http_url_allowed(url, why, sizeof why) != 0) {
		snprintf(err, errlen, "%s: %s", url, why);
		return -1;
	}
	h = curl_easy_init();
	if (h == NULL) {
		snprintf(err, errlen, "%s: cannot create a curl handle", url);
		return -1;
	}
	s->h = h;
	curl_easy_setopt(h, CURLOPT_URL, url);
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
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, strncmp(url, "http:", 5) == 0 ? "http,https" : "https");
	cr = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (cr == CURLE_OK) {
		char *eff = NULL;

		/* a redirect from loopback http may only stay on loopback */
		if (curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK && eff != NULL &&
		    ih_http_url_allowed(eff, why, sizeof why) != 0) {
			snprintf(err, errlen, "%s: redirected to %s: %s", url, eff, why);
			rc = -1;
		}
	} else if (s->stopped) {
		rc = 1;
	} else if (s->too_big) {
		snprintf(err, errlen, "%s: the answer is larger than %ld bytes", url, LIST_MAX_BYTES);
		rc = -1;
	} else if (cr == CURLE_HTTP_RETURNED_ERROR) {
		snprintf(err, errlen, "%s: HTTP status %ld", url, status);
		rc = -1;
	} else {
		snprintf(err, errlen, "%s: %s", url, cerr[0] ? cerr : curl_easy_strerror(cr));
		rc = -1;
	}
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
