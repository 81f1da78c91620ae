/*
 * http_stream -- the client's streaming GET (see ih_http_stream_get in
 * http.h): a body handed to a sink as it arrives, redirects followed one
 * checked hop at a time.
 */
#include "config.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "net/http_int.h"

/* Redirects followed, each target checked before it is asked. */
#define MAX_HOPS 5
/* The body of a 3xx (or of a failure) is read and dropped up to this much,
 * then the transfer is cut: what we need is in the headers. */
#define DROP_BODY_MAX (64L * 1024)

typedef struct stream {
	ih_http_client *c;
	ih_http_sink sink;
	void *ud;
	ih_http_stream_meta *meta;
	long long max;          /* cap on meta->bytes, <= 0: none */
	int too_big;
	/* per response (reset for each hop) */
	int status_known;
	int drop;               /* not a 2xx: its body never reaches the sink */
	long dropped;           /* bytes of such a body read and dropped */
	char retry_after[128];
} stream;

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	stream *s = arg;
	ih_http_stream_meta *m = s->meta;
	size_t len = size * n;

	if (!s->status_known) {
		long status = 0;

		s->status_known = 1;
		curl_easy_getinfo(s->c->curl, CURLINFO_RESPONSE_CODE, &status);
		s->drop = status < 200 || status >= 300;
		if (!s->drop && m->bytes == 0) {
			curl_off_t cl = -1;

			if (curl_easy_getinfo(s->c->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) != CURLE_OK)
				cl = -1;
			m->content_length = (long long)cl;
		}
	}
	if (s->drop) {
		s->dropped += (long)len;
		return s->dropped > DROP_BODY_MAX ? 0 : len;
	}
	if (s->max > 0 && m->bytes + (long long)len > s->max) {
		s->too_big = 1;
		return 0;
	}
	if (s->sink(p, len, s->ud) != len) {
		m->sink_stopped = 1;
		return 0;
	}
	m->bytes += (long long)len;
	return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	stream *s = arg;

	ih_http_note_retry_after(p, size * n, s->retry_after, sizeof s->retry_after);
	return size * n;
}

/* The outcome of a transfer that ended on a non-redirect: its class, with
 * meta->error filled unless OK.  first: "GET <first URL>"; at: the URL
 * answering, when a redirect led there ("" otherwise). */
static int outcome(stream *s, CURLcode rc, long status, const char *first, const char *at)
{
	ih_http_client *c = s->c;
	ih_http_stream_meta *m = s->meta;
	char *e = m->error;
	size_t elen = sizeof m->error;
	int cls;

	if (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && s->drop)) {
		cls = ih_http_status_class(status);
		if (cls != IH_OK)
			snprintf(e, elen, "%.200s: HTTP %ld%s%.100s", first, status, *at ? " from " : "", at);
		else if (m->content_length < 0 && m->bytes == 0)
			m->content_length = 0;
	} else if (s->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		cls = IH_ERR_FATAL;
		snprintf(e, elen, "%.200s: the answer is larger than %lld bytes", first, s->max);
	} else if (rc == CURLE_WRITE_ERROR && m->sink_stopped) {
		cls = IH_ERR_STOPPED;
		snprintf(e, elen, "%.200s: stopped by its reader after %lld bytes", first, m->bytes);
	} else if (rc == CURLE_ABORTED_BY_CALLBACK && c->o.stop != NULL && *c->o.stop) {
		cls = IH_ERR_STOPPED;
		snprintf(e, elen, "%.200s: stopped: the host is shutting down", first);
	} else if (rc == CURLE_OPERATION_TIMEDOUT) {
		cls = IH_ERR_TRANSIENT;
		snprintf(e, elen, "%.200s: timed out (limit %ld ms, connect %ld ms, stalled %ld ms) after %lld bytes",
			 first, c->o.timeout_ms, c->o.connect_timeout_ms, c->o.stall_timeout_ms, m->bytes);
	} else {
		cls = rc == CURLE_WRITE_ERROR ? IH_ERR_FATAL : ih_http_curl_class(rc);
		snprintf(e, elen, "%.200s: %.110s", first, c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
	}
	return cls;
}

/*
 * One attempt: GET ui (consumed: freed here) and the redirects it leads
 * to, each checked before it is asked.  Returns the class, with
 * meta->error filled unless OK.
 */
static int stream_once(stream *s, ih_url_info *ui, int first_plain, const char *first,
		       struct curl_slist *hdrs)
{
	ih_http_client *c = s->c;
	ih_http_stream_meta *m = s->meta;
	char why[256], at[300] = "", next[300];
	int cls;

	for (int hop = 0;; hop++) {
		CURL *h = c->curl;
		ih_url_info nu;
		CURLcode rc;
		char *loc = NULL;
		long status = 0;

		s->status_known = s->drop = 0;
		s->dropped = 0;
		s->retry_after[0] = '\0';
		ih_http_setup(c, ui, hdrs);
		/* in case a check is ever missed: https only, unless we began on
		 * loopback http */
		curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, first_plain ? "http,https" : "https");
		if (s->max > 0)
			curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)s->max);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
		curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(h, CURLOPT_HEADERDATA, s);
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
		c->counts.requests++;
		rc = curl_easy_perform(h);
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		m->status = status;
		if (!(status >= 300 && status < 400 && (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && s->drop)))) {
			cls = outcome(s, rc, status, first, at);
			break;
		}
		/* a redirect: its body was dropped; check the target first */
		if (curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &loc) != CURLE_OK || loc == NULL) {
			snprintf(m->error, sizeof m->error, "%.200s: HTTP %ld without a usable Location%s%.100s",
				 first, status, *at ? " at " : "", at);
			cls = IH_ERR_FATAL;
			break;
		}
		ih_http_url_shown(loc, next, sizeof next);
		if (hop == MAX_HOPS) {
			snprintf(m->error, sizeof m->error, "%.200s: more than %d redirects (the last to %.100s); refused",
				 first, MAX_HOPS, next);
			cls = IH_ERR_FATAL;
			break;
		}
		if (ih_http_redirect_check(loc, first_plain, &nu, why, sizeof why) != 0) {
			snprintf(m->error, sizeof m->error,
				 "%.120s: redirected to %.100s: %.200s; refused before downloading anything", first, next,
				 why);
			cls = IH_ERR_FATAL;
			break;
		}
		curl_easy_reset(h); /* it points at ui->u */
		curl_url_cleanup(ui->u);
		*ui = nu;
		snprintf(at, sizeof at, "%s", next);
		m->redirects++;
	}
	curl_easy_reset(c->curl); /* drop its pointers to hdrs, ui->u and this frame */
	curl_url_cleanup(ui->u);
	ui->u = NULL;
	return cls;
}

int ih_http_stream_get(ih_http_client *c, const char *url, ih_http_sink sink, void *ud,
		       ih_http_stream_meta *meta)
{
	const atomic_int *stop = c->o.stop;
	stream s = { .c = c, .sink = sink, .ud = ud, .meta = meta, .max = c->o.max_response_bytes };
	struct curl_slist *hdrs = NULL;
	char first[320], why[256], line[300];
	ih_url_info ui;
	int cls, first_plain;

	memset(meta, 0, sizeof *meta);
	meta->content_length = -1;
	ih_http_url_shown(url, line, sizeof line);
	snprintf(first, sizeof first, "GET %s", line);
	if (sink == NULL || ih_http_url_check(url, &ui, "GET", why, sizeof why) != 0) {
		snprintf(meta->error, sizeof meta->error, "%.200s: %.110s", first,
			 sink == NULL ? "no sink given" : why);
		ih_http_count(c, IH_ERR_FATAL);
		return IH_ERR_FATAL;
	}
	first_plain = ui.plain;
	curl_url_cleanup(ui.u);
	snprintf(line, sizeof line, "Accept: %s", c->accept);
	hdrs = curl_slist_append(NULL, line);
	if (hdrs == NULL) {
		snprintf(meta->error, sizeof meta->error, "%.200s: out of memory", first);
		ih_http_count(c, IH_ERR_FATAL);
		return IH_ERR_FATAL;
	}
	for (int attempt = 0;; attempt++) {
		double wait;

		if ((stop != NULL && *stop) || ih_ratelimit_acquire(&c->rl, stop) != 0) {
			snprintf(meta->error, sizeof meta->error, "%.200s: stopped: the host is shutting down", first);
			cls = IH_ERR_STOPPED;
			ih_http_count(c, cls);
			break;
		}
		/* checked above; parsed again for this attempt's first hop */
		if (ih_http_url_check(url, &ui, "GET", why, sizeof why) != 0) {
			snprintf(meta->error, sizeof meta->error, "%.200s: %.110s", first, why);
			cls = IH_ERR_FATAL;
			ih_http_count(c, cls);
			break;
		}
		meta->redirects = 0;
		cls = stream_once(&s, &ui, first_plain, first, hdrs);
		ih_http_count(c, cls);
		if (cls == IH_OK) {
			ih_debug(WHO_FMT "%s: HTTP %ld, %lld bytes streamed", WHO(c), first, meta->status, meta->bytes);
			break;
		}
		if (cls == IH_ERR_FATAL || cls == IH_ERR_STOPPED || cls == IH_ERR_AUTH)
			break;
		if (meta->bytes > 0) /* the sink holds part of the body: no do-over */
			break;
		if (attempt >= c->o.max_retries) {
			ih_warn(WHO_FMT "%s (%s) after %d attempt%s, giving up", WHO(c), meta->error,
				ih_http_class_name(cls), attempt + 1, attempt ? "s" : "");
			break;
		}
		wait = ih_http_retry_wait(c, cls, s.retry_after, attempt);
		ih_info(WHO_FMT "%s (%s), retry %d of %d in %.1f s", WHO(c), meta->error, ih_http_class_name(cls),
			attempt + 1, c->o.max_retries, wait);
		if (ih_clock_sleep(c->o.clock, wait, stop) != 0) {
			snprintf(meta->error, sizeof meta->error, "%.200s: stopped: the host is shutting down", first);
			cls = IH_ERR_STOPPED;
			ih_http_count(c, cls);
			break;
		}
		c->counts.retries++;
	}
	if (cls == IH_OK)
		meta->error[0] = '\0';
	curl_slist_free_all(hdrs);
	return cls;
}
