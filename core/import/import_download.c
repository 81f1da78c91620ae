#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "import/import_download.h"
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
	root = body.p != NULL ? json_tokener_parse(body.p) : NULL;
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
	free(body.p);
	return rc;
}
