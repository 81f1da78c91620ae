#include "config.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/conf.h"
#include "base/log.h"
#include "net/http_int.h"

#define DEFAULT_429_WAIT 60.0 /* CONTRACT §6: Retry-After absent */

/* One attempt's received data. */
typedef struct xfer {
	char *data;
	size_t len, cap;
	long long max;          /* cap on len, <= 0: none */
	int too_big;
	char retry_after[128];  /* of the last header block */
} xfer;


static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;
static int global_done;

int ih_http_global_init(void)
{
	CURLcode rc = CURLE_OK;

	pthread_mutex_lock(&global_lock);
	if (!global_done) {
		rc = curl_global_init(CURL_GLOBAL_DEFAULT);
		if (rc == CURLE_OK)
			global_done = 1;
	}
	pthread_mutex_unlock(&global_lock);
	if (rc != CURLE_OK) {
		ih_err("cannot initialise libcurl: %s", curl_easy_strerror(rc));
		return -1;
	}
	return 0;
}

void ih_http_global_cleanup(void)
{
	pthread_mutex_lock(&global_lock);
	if (global_done)
		curl_global_cleanup();
	global_done = 0;
	pthread_mutex_unlock(&global_lock);
}

void ih_http_options_init(ih_http_options *o)
{
	*o = (ih_http_options){ 0 };
	o->timeout_ms = 30000;
	o->connect_timeout_ms = 10000;
	o->max_response_bytes = 64LL * 1024 * 1024;
	o->burst = 1;
	o->max_retries = 3;
	o->max_wait_s = 60;
	o->backoff_base_s = 1;
	o->stall_timeout_ms = 60000;
}

void ih_http_options_from_config(ih_http_options *o, const ih_config *cfg, const ih_plugin_config *pc)
{
	long long v;
	double d;

	ih_http_options_init(o);
	if (pc != NULL) {
		if (ih_pc_int(pc, "timeout_ms", &v) == 0)
			o->timeout_ms = (long)v;
		if (ih_pc_int(pc, "connect_timeout_ms", &v) == 0)
			o->connect_timeout_ms = (long)v;
		if (ih_pc_double(pc, "requests_per_second", &d) == 0)
			o->requests_per_second = d;
		if (ih_pc_int(pc, "max_retries", &v) == 0)
			o->max_retries = (int)v;
		o->user_agent = ih_pc_string(pc, "user_agent");
	}
	if (cfg != NULL) {
		o->max_wait_s = (double)cfg->ingest.max_wait;
		o->max_response_bytes = cfg->ingest.max_response_bytes;
	}
}

const char *ih_http_class_name(int status)
{
	switch (status) {
	case IH_OK: return "ok";
	case IH_ERR_AUTH: return "auth_failed";
	case IH_ERR_RATE_LIMITED: return "rate_limited";
	case IH_ERR_TRANSIENT: return "transient";
	case IH_ERR_FATAL: return "fatal";
	case IH_ERR_STOPPED: return "stopped";
	default: return "unknown";
	}
}

/* ---- libcurl callbacks ---- */

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	xfer *x = ud;
	size_t n = size * nmemb;

	if (x->max > 0 && (long long)(x->len + n) > x->max) {
		x->too_big = 1;
		return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
	}
	return ih_buf_append(&x->data, &x->len, &x->cap, 4096, ptr, n) == 0 ? n : 0;
}

void ih_http_note_retry_after(const char *hdr, size_t n, char *dst, size_t dstlen)
{
	size_t k = sizeof "retry-after:" - 1;

	if (n >= 5 && strncmp(hdr, "HTTP/", 5) == 0) {
		dst[0] = '\0'; /* a new response (redirect, 100): forget the last */
	} else if (n > k && strncasecmp(hdr, "retry-after:", k) == 0) {
		size_t v = n - k;

		if (v >= dstlen)
			v = dstlen - 1;
		memcpy(dst, hdr + k, v);
		dst[v] = '\0';
	}
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
	xfer *x = ud;

	ih_http_note_retry_after(ptr, size * nmemb, x->retry_after, sizeof x->retry_after);
	return size * nmemb;
}

/*
 * A stop abandons a transfer whose answer has not begun (a marketplace that
 * hangs must not hold the stop), but not one whose answer is arriving: its
 * rows are read and kept, within the request's own timeouts.
 */
static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	const ih_http_client *c = ud;

	(void)dt, (void)ut, (void)un;
	return c->o.stop != NULL && *c->o.stop && dn == 0 ? 1 : 0;
}

void ih_http_setup(ih_http_client *c, const ih_url_info *ui, struct curl_slist *hdrs)
{
	CURL *h = c->curl;

	c->errbuf[0] = '\0';
	curl_easy_reset(h); /* keeps the connection cache */
	curl_easy_setopt(h, CURLOPT_CURLU, ui->u);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->o.timeout_ms > 0 ? c->o.timeout_ms : 0L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			 c->o.connect_timeout_ms > 0 ? c->o.connect_timeout_ms : 0L);
	if (c->o.stall_timeout_ms > 0) { /* under 1 byte/s for that long */
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (c->o.stall_timeout_ms + 999) / 1000);
	}
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
	if (ui->plain) /* loopback: never through a proxy, which could be remote */
		curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
}

/* ---- the client ---- */

int ih_http_client_new(const ih_http_options *o, ih_http_client **out)
{
	ih_http_client *c;

	*out = NULL;
	if (ih_http_global_init() != 0)
		return IH_ERR_FATAL;
	c = calloc(1, sizeof *c);
	if (c == NULL)
		goto oom;
	c->o = *o;
	if (c->o.clock == NULL)
		c->o.clock = ih_clock_real();
	c->name = o->name != NULL ? strdup(o->name) : NULL;
	c->user_agent = strdup(o->user_agent != NULL ? o->user_agent : PACKAGE_NAME "/" PACKAGE_VERSION);
	c->accept = strdup(o->accept != NULL ? o->accept : "application/json");
	if ((o->name != NULL && c->name == NULL) || c->user_agent == NULL || c->accept == NULL)
		goto oom;
	c->o.name = c->name;
	c->o.user_agent = c->user_agent;
	c->o.accept = c->accept;
	if (c->o.max_retries < 0)
		c->o.max_retries = 0;
	if (!(c->o.max_wait_s >= 0))
		c->o.max_wait_s = 0;
	c->curl = curl_easy_init();
	if (c->curl == NULL) {
		ih_err("cannot create a libcurl handle%s%s", c->name ? " for " : "", c->name ? c->name : "");
		ih_http_client_free(c);
		return IH_ERR_FATAL;
	}
	ih_ratelimit_init(&c->rl, c->o.clock, c->o.requests_per_second, c->o.burst);
	ih_rng_seed(&c->rng, c->o.seed);
	*out = c;
	return 0;
oom:
	ih_err("out of memory creating an HTTP client");
	ih_http_client_free(c);
	return IH_ERR_FATAL;
}

void ih_http_client_free(ih_http_client *c)
{
	if (c == NULL)
		return;
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	free(c->name);
	free(c->user_agent);
	free(c->accept);
	free(c);
}

void ih_http_stats(const ih_http_client *c, long *requests, long *retries)
{
	if (requests != NULL)
		*requests = c->counts.requests;
	if (retries != NULL)
		*retries = c->counts.retries;
}

void ih_http_counts_get(const ih_http_client *c, ih_http_counts *out)
{
	*out = c->counts;
}

void ih_http_response_free(ih_http_response *resp)
{
	if (resp == NULL)
		return;
	free(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
}

const char *ih_http_who(const ih_http_client *c)
{
	const char *ctx = ih_log_get_context();

	if (c->name == NULL || (ctx != NULL && strcmp(ctx, c->name) == 0))
		return "";
	return c->name;
}
void ih_http_count(ih_http_client *c, int cls)
{
	switch (cls) {
	case IH_OK: c->counts.ok++; break;
	case IH_ERR_AUTH: c->counts.auth++; break;
	case IH_ERR_RATE_LIMITED: c->counts.rate_limited++; break;
	case IH_ERR_TRANSIENT: c->counts.transient++; break;
	case IH_ERR_STOPPED: c->counts.stopped++; break;
	default: c->counts.fatal++; break;
	}
}

int ih_http_header_ok(const char *line)
{
	const unsigned char *p = (const unsigned char *)line;

	if (p == NULL)
		return 0;
	/* the name: RFC 9110 token characters */
	for (; *p != '\0' && *p != ':'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr("!#$%&'*+-.^_`|~", *p) != NULL))
			return 0;
	if (*p != ':' || p == (const unsigned char *)line)
		return 0;
	/* the value: no control character but HTAB, so no CR or LF splits it */
	for (p++; *p != '\0'; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7F)
			return 0;
	return 1;
}

int ih_http_headers_check(const char *const *headers, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; headers != NULL && headers[i] != NULL; i++) {
		if (!ih_http_header_ok(headers[i])) {
			/* never the line itself: it may carry a credential */
			snprintf(err, errlen, "extra header %zu refused: not one \"Name: value\" line without "
				 "control characters (an unusable credential?)", i + 1);
			return IH_ERR_AUTH;
		}
	}
	return IH_OK;
}

/* Build the header list; a refused extra header (ih_http_headers_check) is
 * IH_ERR_AUTH, running out of memory IH_ERR_FATAL. */
static int build_headers(const ih_http_client *c, const ih_http_request *req,
			 struct curl_slist **out, char *err, size_t errlen)
{
	struct curl_slist *h = NULL, *t;
	char line[512];
	int has_accept = 0, rc;
	size_t i;

	*out = NULL;
	if ((rc = ih_http_headers_check(req->headers, err, errlen)) != IH_OK)
		return rc;
	for (i = 0; req->headers != NULL && req->headers[i] != NULL; i++)
		if (strncasecmp(req->headers[i], "accept:", 7) == 0)
			has_accept = 1;
	if (!has_accept) {
		snprintf(line, sizeof line, "Accept: %s", c->accept);
		if ((t = curl_slist_append(h, line)) == NULL)
			goto oom;
		h = t;
	}
	if (req->method == IH_HTTP_POST) {
		snprintf(line, sizeof line, "Content-Type: %s",
			 req->content_type != NULL ? req->content_type : "application/x-www-form-urlencoded");
		if ((t = curl_slist_append(h, line)) == NULL || (h = t, t = curl_slist_append(h, "Expect:")) == NULL)
			goto oom;
		h = t;
	}
	for (i = 0; req->headers != NULL && req->headers[i] != NULL; i++) {
		if ((t = curl_slist_append(h, req->headers[i])) == NULL)
			goto oom;
		h = t;
	}
	*out = h;
	return 0;
oom:
	snprintf(err, errlen, "out of memory building request headers");
	curl_slist_free_all(h);
	return IH_ERR_FATAL;
}

int ih_http_status_class(long status)
{
	if (status >= 200 && status < 300)
		return IH_OK;
	if (status == 401 || status == 403)
		return IH_ERR_AUTH;
	if (status == 429)
		return IH_ERR_RATE_LIMITED;
	if (status == 408 || status >= 500)
		return IH_ERR_TRANSIENT;
	return IH_ERR_FATAL;
}

int ih_http_curl_class(CURLcode rc)
{
	switch (rc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_TOO_MANY_REDIRECTS:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_BAD_CONTENT_ENCODING:
	case CURLE_FILESIZE_EXCEEDED:
	case CURLE_OUT_OF_MEMORY:
	case CURLE_BAD_FUNCTION_ARGUMENT:
	case CURLE_NOT_BUILT_IN:
		return IH_ERR_FATAL;
	default: /* timeouts, refused/reset connections, DNS, truncated bodies */
		return IH_ERR_TRANSIENT;
	}
}

/*
 * One attempt.  Fills resp (status, body) and, unless OK, resp->error;
 * copies the Retry-After header into retry_after.  Returns the class.
 */
static int perform_once(ih_http_client *c, const ih_http_request *req, const ih_url_info *ui,
			struct curl_slist *hdrs, ih_http_response *resp,
			char *retry_after, size_t ralen)
{
	CURL *h = c->curl;
	xfer x = { 0 };
	CURLcode rc;
	long status = 0;
	int cls;

	x.max = c->o.max_response_bytes;
	ih_http_setup(c, ui, hdrs);
	/* single requests let libcurl follow redirects, to https:// only (any
	 * https URL passes the URL policy) */
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	if (x.max > 0)
		curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x.max);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
	if (req->method == IH_HTTP_POST) {
		const char *body = req->body != NULL ? req->body : "";

		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	} else {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	}

	c->counts.requests++;
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);

	ih_http_response_free(resp);
	resp->status = status;
	resp->body = x.data != NULL ? x.data : calloc(1, 1);
	resp->body_len = x.len;
	snprintf(retry_after, ralen, "%s", x.retry_after);

	if (rc == CURLE_OK) {
		cls = ih_http_status_class(status);
		if (cls != IH_OK)
			snprintf(resp->error, sizeof resp->error, "%.200s: HTTP %ld", ui->where, status);
	} else if (x.too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		cls = IH_ERR_FATAL;
		snprintf(resp->error, sizeof resp->error, "%.160s: response larger than %lld bytes",
			 ui->where, x.max);
	} else if (rc == CURLE_ABORTED_BY_CALLBACK && c->o.stop != NULL && *c->o.stop) {
		cls = IH_ERR_STOPPED;
		snprintf(resp->error, sizeof resp->error, "%.160s: stopped: the host is shutting down",
			 ui->where);
	} else if (rc == CURLE_UNSUPPORTED_PROTOCOL) {
		/* the URL itself was checked: only a redirect gets here */
		cls = IH_ERR_FATAL;
		snprintf(resp->error, sizeof resp->error,
			 "%.160s: redirected to a URL that is not https://; refused", ui->where);
	} else if (rc == CURLE_WRITE_ERROR) {
		cls = IH_ERR_FATAL;
		snprintf(resp->error, sizeof resp->error, "%.160s: out of memory reading the response",
			 ui->where);
	} else {
		cls = ih_http_curl_class(rc);
		if (rc == CURLE_OPERATION_TIMEDOUT)
			snprintf(resp->error, sizeof resp->error, "%.120s: timed out (limit %ld ms, connect %ld ms)",
				 ui->where, c->o.timeout_ms, c->o.connect_timeout_ms);
		else
			snprintf(resp->error, sizeof resp->error, "%.120s: %.120s", ui->where,
				 c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
	}
	if (resp->body == NULL && cls == IH_OK) {
		cls = IH_ERR_FATAL;
		snprintf(resp->error, sizeof resp->error, "%.160s: out of memory", ui->where);
	}
	return cls;
}

double ih_http_retry_wait(ih_http_client *c, int cls, const char *retry_after, int retry)
{
	const atomic_int *stop = c->o.stop;
	double wall = ih_clock_wall(c->o.clock), w;

	if (stop != NULL && *stop)
		return 0;
	if (cls == IH_ERR_RATE_LIMITED)
		return ih_retry_after_wait(retry_after, wall, DEFAULT_429_WAIT, c->o.max_wait_s);
	/* a 503 may say when to come back; otherwise full jitter */
	if (retry_after[0] != '\0' && ih_retry_after_parse(retry_after, wall, &w) == 0)
		return ih_retry_after_wait(retry_after, wall, 0, c->o.max_wait_s);
	return ih_backoff_delay(&c->rng, c->o.backoff_base_s, c->o.max_wait_s, retry, 0);
}

static int stopped(ih_http_client *c, ih_http_response *resp, const char *where)
{
	snprintf(resp->error, sizeof resp->error, "%.160s: stopped: the host is shutting down", where);
	ih_http_count(c, IH_ERR_STOPPED);
	if (resp->body == NULL)
		resp->body = calloc(1, 1);
	return IH_ERR_STOPPED;
}

int ih_http_do(ih_http_client *c, const ih_http_request *req, ih_http_response *resp)
{
	const atomic_int *stop = c->o.stop;
	struct curl_slist *hdrs = NULL;
	char retry_after[128];
	ih_url_info ui;
	int attempt, cls;

	memset(resp, 0, sizeof *resp);
	memset(&ui, 0, sizeof ui);
	if (req == NULL || (req->method != IH_HTTP_GET && req->method != IH_HTTP_POST)) {
		snprintf(resp->error, sizeof resp->error, "bad request: %s",
			 req == NULL ? "none given" : "method must be GET or POST");
		cls = IH_ERR_FATAL;
		goto refused;
	}
	cls = ih_http_url_check(req->url, &ui, req->method == IH_HTTP_POST ? "POST" : "GET",
			resp->error, sizeof resp->error);
	if (cls == 0)
		cls = build_headers(c, req, &hdrs, resp->error, sizeof resp->error);
	if (cls != 0)
		goto refused;

	for (attempt = 0;; attempt++) {
		double wait;

		if ((stop != NULL && *stop) || ih_ratelimit_acquire(&c->rl, stop) != 0) {
			cls = stopped(c, resp, ui.where);
			break;
		}
		cls = perform_once(c, req, &ui, hdrs, resp, retry_after, sizeof retry_after);
		ih_http_count(c, cls);
		if (cls == IH_OK) {
			ih_debug(WHO_FMT "%s: HTTP %ld, %zu bytes", WHO(c), ui.where, resp->status,
				 resp->body_len);
			break;
		}
		if (cls == IH_ERR_FATAL) {
			ih_info(WHO_FMT "%s (fatal, not retried)", WHO(c), resp->error);
			break;
		}
		if (cls == IH_ERR_STOPPED)
			break;
		if (cls == IH_ERR_AUTH) {
			ih_warn(WHO_FMT "%s: HTTP %ld: credentials rejected; check this plugin's "
				"credentials (token, keys) in the config", WHO(c), ui.where, resp->status);
			break;
		}
		if (req->no_retry) {
			ih_info(WHO_FMT "%s (%s, not retried: the caller asked so)", WHO(c), resp->error,
				ih_http_class_name(cls));
			break;
		}
		if (attempt >= c->o.max_retries) {
			ih_warn(WHO_FMT "%s (%s) after %d attempt%s, giving up", WHO(c), resp->error,
				ih_http_class_name(cls), attempt + 1, attempt ? "s" : "");
			break;
		}
		wait = ih_http_retry_wait(c, cls, retry_after, attempt);
		ih_info(WHO_FMT "%s (%s), retry %d of %d in %.1f s", WHO(c), resp->error,
			ih_http_class_name(cls), attempt + 1, c->o.max_retries, wait);
		if (ih_clock_sleep(c->o.clock, wait, stop) != 0) {
			cls = stopped(c, resp, ui.where);
			break;
		}
		c->counts.retries++;
	}
	if (cls == IH_OK)
		resp->error[0] = '\0';
	curl_easy_reset(c->curl); /* drop its pointers to hdrs, ui.u and this frame */
	curl_slist_free_all(hdrs);
	curl_url_cleanup(ui.u);
	return cls;

refused: /* nothing was sent: status 0 */
	ih_http_count(c, cls);
	if (cls == IH_ERR_AUTH)
		ih_warn(WHO_FMT "request refused: %s; check this plugin's credentials", WHO(c), resp->error);
	else
		ih_info(WHO_FMT "request refused: %s", WHO(c), resp->error);
	resp->body = calloc(1, 1);
	curl_url_cleanup(ui.u);
	return cls;
}
