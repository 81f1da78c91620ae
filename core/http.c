#include "config.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backoff.h"
#include "clock.h"
#include "http.h"
#include "log.h"

/* Wait for a 429 without Retry-After (CONTRACT §6). */
#define DEFAULT_RETRY_AFTER 60.0

struct ih_http_client {
	ih_http_opts o;
	CURL *curl;
	ih_rng rng;
	double next_slot;      /* token bucket with a burst of one: earliest next send */
	long requests, retries;
};

typedef struct body {
	char *p;
	size_t len, cap;
	size_t max;
	int too_big;
} body;

int ih_http_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

ih_http_client *ih_http_client_new(const ih_http_opts *opts)
{
	ih_http_client *c = calloc(1, sizeof *c);

	if (c == NULL)
		return NULL;
	c->o = *opts;
	if (c->o.clock == NULL)
		c->o.clock = ih_clock_real();
	if (c->o.accept == NULL)
		c->o.accept = "application/json";
	if (c->o.backoff_base_s <= 0)
		c->o.backoff_base_s = 1.0;
	if (c->o.max_wait_s <= 0)
		c->o.max_wait_s = 120.0;
	if (c->o.max_response_bytes <= 0)
		c->o.max_response_bytes = 512L * 1024 * 1024;
	ih_rng_seed(&c->rng, c->o.seed != 0 ? c->o.seed
					      : (unsigned long long)(ih_clock_wall() * 1e6) ^ (uintptr_t)c);
	c->curl = curl_easy_init();
	if (c->curl == NULL) {
		free(c);
		return NULL;
	}
	c->next_slot = c->o.clock->now(c->o.clock->ud);
	return c;
}

void ih_http_client_free(ih_http_client *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->curl);
	free(c);
}

void ih_http_stats(const ih_http_client *c, long *requests, long *retries)
{
	*requests = c->requests;
	*retries = c->retries;
}

void ih_http_response_free(ih_http_response *resp)
{
	free(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
}

int ih_http_classify_status(long status)
{
	if (status >= 200 && status < 300)
		return IH_OK;
	if (status == 401 || status == 403)
		return IH_ERR_AUTH;
	if (status == 429)
		return IH_ERR_RATE_LIMITED;
	if (status >= 500 || status == 408)
		return IH_ERR_TRANSIENT;
	return IH_ERR_FATAL;
}

static int loopback(const char *host)
{
	return strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0 ||
	       strcmp(host, "[::1]") == 0;
}

int ih_http_url_allowed(const char *url, char *why, size_t len)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	int ok = 0;

	if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		snprintf(why, len, "not a valid URL");
	} else if (strcasecmp(scheme, "https") == 0) {
		ok = 1;
	} else if (strcasecmp(scheme, "http") == 0 && loopback(host)) {
		ok = 1;
	} else {
		snprintf(why, len, "refusing %s:// to %s: only https://, or http:// to a loopback address", scheme,
			 host);
	}
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return ok;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
	body *b = ud;
	size_t len = size * n;

	if (b->len + len > b->max) {
		b->too_big = 1;
		return 0; /* aborts the transfer */
	}
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 16384;
		char *p;

		while (cap < b->len + len + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL)
			return 0;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
	return len;
}

typedef struct hdrs {
	char retry_after[128];
} hdrs;

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
	hdrs *h = ud;
	size_t len = size * n;

	if (len > 12 && strncasecmp(data, "Retry-After:", 12) == 0) {
		size_t v = len - 12;

		if (v >= sizeof h->retry_after)
			v = sizeof h->retry_after - 1;
		memcpy(h->retry_after, data + 12, v);
		h->retry_after[v] = '\0';
		for (char *e = h->retry_after + strlen(h->retry_after); e > h->retry_after && (e[-1] == '\r' || e[-1] == '\n');)
			*--e = '\0';
	}
	return len;
}

/* The URL without its query string, for messages (queries may hold keys). */
static void url_for_log(const char *url, char *out, size_t len)
{
	size_t n = strcspn(url, "?");

	if (n >= len)
		n = len - 1;
	memcpy(out, url, n);
	out[n] = '\0';
}

/* One attempt; returns its class and fills resp, *wait_hint for 429. */
static int attempt(ih_http_client *c, const ih_http_request *req, ih_http_response *resp, double *retry_after)
{
	struct curl_slist *hl = NULL;
	body b = { NULL, 0, 0, (size_t)c->o.max_response_bytes, 0 };
	hdrs h = { "" };
	char line[512], where[160];
	CURLcode cc;
	long status = 0;
	int cls;

	url_for_log(req->url, where, sizeof where);
	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_URL, req->url);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, c->o.timeout_ms > 0 ? c->o.timeout_ms : 30000L);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS,
			 c->o.connect_timeout_ms > 0 ? c->o.connect_timeout_ms : 10000L);
	if (c->o.user_agent != NULL)
		curl_easy_setopt(c->curl, CURLOPT_USERAGENT, c->o.user_agent);
	snprintf(line, sizeof line, "Accept: %s", c->o.accept);
	hl = curl_slist_append(hl, line);
	if (req->method == IH_HTTP_POST) {
		snprintf(line, sizeof line, "Content-Type: %s",
			 req->content_type != NULL ? req->content_type : "application/json");
		hl = curl_slist_append(hl, line);
		curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, req->body != NULL ? req->body : "");
	}
	for (const char *const *x = req->headers; x != NULL && *x != NULL; x++)
		hl = curl_slist_append(hl, *x);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, &h);
	c->requests++;
	cc = curl_easy_perform(c->curl);
	curl_slist_free_all(hl);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	free(resp->body);
	resp->body = b.p != NULL ? b.p : calloc(1, 1);
	resp->body_len = b.len;
	resp->status = status;
	resp->error[0] = '\0';
	*retry_after = -1;
	if (b.too_big) {
		snprintf(resp->error, sizeof resp->error, "%s: response larger than %ld bytes (ingest.max_response_bytes)",
			 where, c->o.max_response_bytes);
		return IH_ERR_FATAL;
	}
	if (cc != CURLE_OK) {
		resp->status = 0;
		snprintf(resp->error, sizeof resp->error, "%s: %s", where, curl_easy_strerror(cc));
		switch (cc) {
		case CURLE_SSL_CACERT_BADFILE:
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CERTPROBLEM:
		case CURLE_UNSUPPORTED_PROTOCOL:
		case CURLE_URL_MALFORMAT:
		case CURLE_OUT_OF_MEMORY:
			return IH_ERR_FATAL;
		default:
			return IH_ERR_TRANSIENT; /* timeouts, refused, reset, truncated */
		}
	}
	cls = ih_http_classify_status(status);
	if (cls != IH_OK)
		snprintf(resp->error, sizeof resp->error, "%s: HTTP %ld", where, status);
	if (cls == IH_ERR_RATE_LIMITED)
		*retry_after = ih_retry_after(h.retry_after, ih_clock_wall());
	return cls;
}

static const char *class_name(int cls)
{
	switch (cls) {
	case IH_ERR_AUTH: return "auth_failed";
	case IH_ERR_RATE_LIMITED: return "rate_limited";
	case IH_ERR_TRANSIENT: return "transient";
	case IH_ERR_FATAL: return "fatal";
	default: return "ok";
	}
}

/* Take a token: wait until the next send slot. */
static int take_token(ih_http_client *c)
{
	const ih_clock *ck = c->o.clock;
	double now = ck->now(ck->ud);

	if (c->o.requests_per_second <= 0)
		return 0;
	if (c->next_slot > now && ck->sleep(ck->ud, c->next_slot - now, c->o.stop) != 0)
		return -1;
	now = ck->now(ck->ud);
	c->next_slot = (c->next_slot > now ? c->next_slot : now) + 1.0 / c->o.requests_per_second;
	return 0;
}

int ih_http_do(ih_http_client *c, const ih_http_request *req, ih_http_response *resp)
{
	char why[256];
	int cls;

	memset(resp, 0, sizeof *resp);
	if (req == NULL || req->url == NULL || !ih_http_url_allowed(req->url, why, sizeof why)) {
		snprintf(resp->error, sizeof resp->error, "%s", req != NULL && req->url != NULL ? why : "no URL");
		resp->body = calloc(1, 1);
		return IH_ERR_FATAL;
	}
	for (int n = 0;; n++) {
		double retry_after, wait;

		if (take_token(c) != 0 || (c->o.stop != NULL && *c->o.stop)) {
			snprintf(resp->error, sizeof resp->error, "stopping");
			if (resp->body == NULL)
				resp->body = calloc(1, 1);
			return IH_ERR_STOPPED;
		}
		cls = attempt(c, req, resp, &retry_after);
		if (cls == IH_OK || cls == IH_ERR_AUTH || cls == IH_ERR_FATAL || req->no_retry || n >= c->o.max_retries)
			break;
		if (cls == IH_ERR_RATE_LIMITED)
			wait = retry_after >= 0 ? retry_after : DEFAULT_RETRY_AFTER;
		else
			wait = ih_backoff_full_jitter(&c->rng, n + 1, c->o.backoff_base_s, c->o.max_wait_s, 0);
		if (wait > c->o.max_wait_s)
			wait = c->o.max_wait_s;
		c->retries++;
		ih_info("%s (%s); retry %d of %d in %.1f s", resp->error, class_name(cls), n + 1, c->o.max_retries,
			wait);
		if (c->o.clock->sleep(c->o.clock->ud, wait, c->o.stop) != 0) {
			snprintf(resp->error, sizeof resp->error, "stopping");
			return IH_ERR_STOPPED;
		}
	}
	/* an auth failure is logged once per run by the dispatcher */
	if (cls != IH_OK && cls != IH_ERR_AUTH)
		ih_warn("%s: giving up (%s)", resp->error, class_name(cls));
	return cls;
}
