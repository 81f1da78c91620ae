/*
 * fakehost -- the fake host of the plugin tests and of the installed
 * author's kit (see fakehost.h and ingesthost/plugin-testkit.h).  What the
 * host decides -- whether a plugin loads, whether a row is valid, what an
 * HTTP status means -- is decided here by the host's own functions.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakehost.h"
#include "host/emit.h"
#include "loader/plugin_loader.h"
#include "net/http.h"

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (p == NULL)
		abort();
	return p;
}

static char *xstrdup(const char *s)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		abort();
	return d;
}

static void fh_log(ih_ctx *fh, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fh_log(ih_ctx *fh, int level, const char *fmt, ...)
{
	char line[1024];
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	/* as the host's svc_log: below ERR is ERR, and an ERR line is the
	 * run's error text */
	if (level <= IH_LOG_ERR)
		snprintf(fh->error, sizeof fh->error, "%s", line);
	if (getenv("IH_TEST_VERBOSE") != NULL)
		fprintf(stderr, "  [%s %d] %s\n", fh->plugin->name, level, line);
	n = strlen(line);
	fh->logs = xrealloc(fh->logs, fh->logs_len + n + 2);
	memcpy(fh->logs + fh->logs_len, line, n);
	fh->logs_len += n;
	fh->logs[fh->logs_len++] = '\n';
	fh->logs[fh->logs_len] = '\0';
}

static const char *fh_config_string(ih_ctx *fh, const char *key)
{
	const ih_config_key *k;
	size_t i;

	for (i = 0; i + 1 < fh->ncfg; i += 2)
		if (strcmp(fh->cfg[i], key) == 0)
			return fh->cfg[i + 1];
	for (k = fh->plugin->config_keys; k != NULL && k->type != IH_CFG_END; k++)
		if (strcmp(k->name, key) == 0)
			return k->default_value;
	if (strcmp(key, "base_url") == 0)
		return fh->plugin->default_base_url;
	if (strcmp(key, "user_agent") == 0)
		return "fakehost/1";
	return NULL;
}

static int fh_config_int(ih_ctx *fh, const char *key, long long *out)
{
	const char *v = fh_config_string(fh, key);

	if (v == NULL)
		return -1;
	*out = strtoll(v, NULL, 10);
	return 0;
}

static int fh_config_bool(ih_ctx *fh, const char *key, int *out)
{
	const char *v = fh_config_string(fh, key);

	if (v == NULL)
		return -1;
	*out = strcmp(v, "true") == 0;
	return 0;
}

static int fh_config_double(ih_ctx *fh, const char *key, double *out)
{
	const char *v = fh_config_string(fh, key);

	if (v == NULL)
		return -1;
	*out = strtod(v, NULL);
	return 0;
}

static int fh_should_stop(ih_ctx *fh);

static int fh_http(ih_ctx *fh, const ih_http_request *req, ih_http_response *resp)
{
	fh_req *r;
	const char *const *h;
	char *body = NULL;
	long status = 404;
	size_t i, hl = 0;
	int cls;

	memset(resp, 0, sizeof *resp);
	if (fh_should_stop(fh)) {
		/* the host's client does not start a request once stopping */
		snprintf(resp->error, sizeof resp->error, "stopped: the host is shutting down");
		return IH_ERR_STOPPED;
	}
	/* the host refuses a bad extra header before sending anything: an
	 * auth failure, as in ih_http_do */
	if (ih_http_headers_check(req->headers, resp->error, sizeof resp->error) != 0)
		return IH_ERR_AUTH;
	fh->reqs = xrealloc(fh->reqs, (fh->nreqs + 1) * sizeof *fh->reqs);
	r = &fh->reqs[fh->nreqs++];
	memset(r, 0, sizeof *r);
	r->method = req->method;
	r->url = xstrdup(req->url);
	r->body = xstrdup(req->body);
	r->no_retry = req->no_retry;
	r->headers = xstrdup("");
	for (h = req->headers; h != NULL && *h != NULL; h++) {
		r->headers = xrealloc(r->headers, hl + strlen(*h) + 2);
		strcpy(r->headers + hl, *h);
		hl += strlen(*h);
		r->headers[hl++] = '\n';
		r->headers[hl] = '\0';
	}
	for (i = 0; i < fh->nroutes; i++) {
		fh_rule *rt = &fh->routes[i];

		if (rt->times == 0 || strncmp(req->url, rt->prefix, strlen(rt->prefix)) != 0)
			continue;
		if (rt->times > 0)
			rt->times--;
		status = rt->status;
		body = xstrdup(rt->body);
		break;
	}
	if (i == fh->nroutes && (fh->handler == NULL || fh->handler(fh->handler_ud, req, &status, &body) < 0)) {
		status = 404;
		body = xstrdup("{\"error\":\"no route\"}");
	}
	resp->status = status;
	resp->body = body;
	resp->body_len = body != NULL ? strlen(body) : 0;
	cls = ih_http_status_class(status);
	if (cls != IH_OK) {
		/* as the host's client: the URL without its query (no credentials) */
		int where = (int)strcspn(req->url, "?#");

		snprintf(resp->error, sizeof resp->error, "%.*s: HTTP %ld", where < 200 ? where : 200, req->url, status);
	}
	return cls;
}

static void fh_http_free(ih_ctx *fh, ih_http_response *resp)
{
	(void)fh;
	free(resp->body);
	resp->body = NULL;
}

static int fh_emit(ih_ctx *fh, const ih_snapshot *s)
{
	char why[256];
	fh_snap *x;

	if (s == NULL) {
		snprintf(why, sizeof why, "NULL snapshot");
		goto rejected;
	}
	if (ih_snapshot_validate(s, why, sizeof why) != 0)
		goto rejected;
	fh->snaps = xrealloc(fh->snaps, (fh->nsnaps + 1) * sizeof *fh->snaps);
	x = &fh->snaps[fh->nsnaps++];
	x->card_id = s->card_id;
	x->num_listings = s->num_listings;
	x->sid = xstrdup(s->scryfall_id);
	x->cond = xstrdup(s->condition);
	x->finish = xstrdup(s->finish);
	x->lang = xstrdup(s->language);
	x->cur = xstrdup(s->currency);
	x->price = xstrdup(s->price);
	x->low = xstrdup(s->price_low);
	x->mid = xstrdup(s->price_mid);
	x->high = xstrdup(s->price_high);
	return IH_OK;

rejected:
	/* as the host's emitter: counted, kept, the run goes on */
	fh->counts[IH_COUNT_REJECTED]++;
	fh->rejected++;
	snprintf(fh->last_rejection, sizeof fh->last_rejection, "%s", why);
	if (getenv("IH_TEST_VERBOSE") != NULL)
		fprintf(stderr, "  [%s] rejected row: %s\n", fh->plugin->name, why);
	return IH_ERR_FATAL;
}

static void fh_mark_done(ih_ctx *fh, int32_t card_id)
{
	fh->done = xrealloc(fh->done, (fh->ndone + 1) * sizeof *fh->done);
	fh->done[fh->ndone++] = card_id;
}

static void fh_count(ih_ctx *fh, ih_counter which, long n)
{
	if ((int)which >= 0 && which <= IH_COUNT_UNMATCHED)
		fh->counts[which] += n;
}

static int fh_should_stop(ih_ctx *fh)
{
	return fh->stop_after > 0 && (long)fh->nreqs >= fh->stop_after;
}

static int fh_set_blueprint_id(ih_ctx *fh, int32_t card_id, int32_t bp)
{
	fh->bp = xrealloc(fh->bp, (fh->nbp + 1) * sizeof *fh->bp);
	fh->bp[fh->nbp][0] = card_id;
	fh->bp[fh->nbp++][1] = bp;
	return IH_OK;
}

ih_testkit *ih_testkit_new(const ih_plugin_descriptor *plugin)
{
	fakehost *fh = calloc(1, sizeof *fh);

	if (fh == NULL)
		abort();
	fh->plugin = plugin;
	fh->services.abi_major = IH_ABI_MAJOR;
	fh->services.abi_minor = IH_ABI_MINOR;
	fh->services.size = sizeof fh->services;
	fh->services.log = fh_log;
	fh->services.config_string = fh_config_string;
	fh->services.config_int = fh_config_int;
	fh->services.config_bool = fh_config_bool;
	fh->services.config_double = fh_config_double;
	fh->services.http = fh_http;
	fh->services.http_free = fh_http_free;
	fh->services.emit = fh_emit;
	fh->services.mark_done = fh_mark_done;
	fh->services.count = fh_count;
	fh->services.should_stop = fh_should_stop;
	fh->services.set_blueprint_id = fh_set_blueprint_id;
	return fh;
}

ih_testkit *ih_testkit_open(const char *path, char *err, size_t errlen)
{
	ih_plugin_handle *h;
	fakehost *fh;

	/* the host's loader: the same checks, the same sentences */
	if (ih_plugin_open(path, &h, err, errlen) != 0)
		return NULL;
	fh = ih_testkit_new(h->desc);
	fh->handle = h;
	return fh;
}

#ifdef IH_TOP_BUILDDIR
fakehost *fh_new(const char *name)
{
	const char *top = getenv("IH_TOP_BUILDDIR");
	char path[4096], err[1024];
	fakehost *fh;

	snprintf(path, sizeof path, "%s/plugins/%s/.libs/%s.so", top != NULL ? top : IH_TOP_BUILDDIR, name, name);
	fh = ih_testkit_open(path, err, sizeof err);
	if (fh == NULL)
		fprintf(stderr, "fakehost: %s\n", err);
	return fh;
}
#endif

int fh_init(fakehost *fh)
{
	int rc = fh->plugin->init != NULL ? fh->plugin->init(&fh->services, fh, &fh->state) : IH_OK;

	fh->inited = rc == IH_OK;
	return rc;
}

int fh_collect(fakehost *fh, const ih_card *cards, size_t n)
{
	return fh->plugin->collect(fh->state, fh, cards, n);
}

void fh_config(fakehost *fh, const char *key, const char *value)
{
	fh->cfg = xrealloc(fh->cfg, (fh->ncfg + 2) * sizeof *fh->cfg);
	fh->cfg[fh->ncfg++] = xstrdup(key);
	fh->cfg[fh->ncfg++] = xstrdup(value);
}

void fh_route(fakehost *fh, const char *prefix, long status, const char *body, int times)
{
	fh->routes = xrealloc(fh->routes, (fh->nroutes + 1) * sizeof *fh->routes);
	fh->routes[fh->nroutes].prefix = xstrdup(prefix);
	fh->routes[fh->nroutes].body = xstrdup(body);
	fh->routes[fh->nroutes].status = status;
	fh->routes[fh->nroutes++].times = times;
}

#ifdef IH_TOP_SRCDIR
void fh_route_file(fakehost *fh, const char *prefix, long status, const char *rel, int times)
{
	const char *top = getenv("IH_TOP_SRCDIR");
	char path[4096], *buf = NULL;
	FILE *f;
	long n;

	snprintf(path, sizeof path, "%s/tests/data/%s", top != NULL ? top : IH_TOP_SRCDIR, rel);
	f = fopen(path, "rb");
	if (f != NULL && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = xrealloc(NULL, (size_t)n + 1);
		buf[fread(buf, 1, (size_t)n, f)] = '\0';
	}
	if (f != NULL)
		fclose(f);
	fh_route(fh, prefix, status, buf != NULL ? buf : "missing test data", times);
	free(buf);
}
#endif

void fh_handler(fakehost *fh, fh_handler_fn fn, void *ud)
{
	fh->handler = fn;
	fh->handler_ud = ud;
}

size_t fh_requests(const fakehost *fh, const char *prefix)
{
	size_t i, n = 0;

	for (i = 0; i < fh->nreqs; i++)
		if (strncmp(fh->reqs[i].url, prefix, strlen(prefix)) == 0)
			n++;
	return n;
}

void fh_reset(fakehost *fh)
{
	size_t i;

	for (i = 0; i < fh->nreqs; i++) {
		free(fh->reqs[i].url);
		free(fh->reqs[i].body);
		free(fh->reqs[i].headers);
	}
	for (i = 0; i < fh->nsnaps; i++) {
		fh_snap *x = &fh->snaps[i];

		free(x->sid), free(x->cond), free(x->finish), free(x->lang), free(x->cur);
		free(x->price), free(x->low), free(x->mid), free(x->high);
	}
	free(fh->reqs);
	free(fh->snaps);
	free(fh->done);
	free(fh->bp);
	fh->reqs = NULL;
	fh->snaps = NULL;
	fh->done = NULL;
	fh->bp = NULL;
	fh->nreqs = fh->nsnaps = fh->ndone = fh->nbp = 0;
	memset(fh->counts, 0, sizeof fh->counts);
	fh->rejected = 0;
	fh->last_rejection[0] = '\0';
	fh->error[0] = '\0';
}

void fh_free(fakehost *fh)
{
	size_t i;

	if (fh == NULL)
		return;
	if (fh->plugin->shutdown != NULL && fh->inited)
		fh->plugin->shutdown(fh->state);
	fh_reset(fh);
	for (i = 0; i < fh->ncfg; i++)
		free(fh->cfg[i]);
	for (i = 0; i < fh->nroutes; i++) {
		free(fh->routes[i].prefix);
		free(fh->routes[i].body);
	}
	free(fh->cfg);
	free(fh->routes);
	free(fh->logs);
	/* the module goes last: the descriptor and the routes' owner are in it */
	ih_plugin_close(fh->handle);
	free(fh);
}

/* ---- the author's kit (ingesthost/plugin-testkit.h) -------------------- */

void ih_testkit_free(ih_testkit *k)
{
	fh_free(k);
}

void ih_testkit_config(ih_testkit *k, const char *key, const char *value)
{
	fh_config(k, key, value);
}

int ih_testkit_init(ih_testkit *k)
{
	return fh_init(k);
}

int ih_testkit_collect(ih_testkit *k, const ih_card *cards, size_t n)
{
	return fh_collect(k, cards, n);
}

void ih_testkit_route(ih_testkit *k, const char *url_prefix, long status, const char *body, int times)
{
	fh_route(k, url_prefix, status, body, times);
}

void ih_testkit_stop_after(ih_testkit *k, long requests)
{
	k->stop_after = requests;
}

size_t ih_testkit_requests(const ih_testkit *k, const char *url_prefix)
{
	return fh_requests(k, url_prefix != NULL ? url_prefix : "");
}

size_t ih_testkit_snapshot_count(const ih_testkit *k)
{
	return k->nsnaps;
}

const ih_snapshot *ih_testkit_snapshot(const ih_testkit *k, size_t i)
{
	fh_snap *x;

	if (i >= k->nsnaps)
		return NULL;
	x = &k->snaps[i];
	x->view.card_id = x->card_id;
	x->view.scryfall_id = x->sid;
	x->view.condition = x->cond;
	x->view.finish = x->finish;
	x->view.language = x->lang;
	x->view.currency = x->cur;
	x->view.price = x->price;
	x->view.price_low = x->low;
	x->view.price_mid = x->mid;
	x->view.price_high = x->high;
	x->view.num_listings = x->num_listings;
	return &x->view;
}

long ih_testkit_rejected(const ih_testkit *k)
{
	return k->rejected;
}

const char *ih_testkit_last_rejection(const ih_testkit *k)
{
	return k->last_rejection;
}

long ih_testkit_counter(const ih_testkit *k, ih_counter which)
{
	return (int)which >= 0 && which <= IH_COUNT_UNMATCHED ? k->counts[which] : 0;
}

size_t ih_testkit_marked(const ih_testkit *k)
{
	return k->ndone;
}

const char *ih_testkit_error(const ih_testkit *k)
{
	return k->error;
}

const char *ih_testkit_log(const ih_testkit *k)
{
	return k->logs != NULL ? k->logs : "";
}

const char *ih_testkit_status_name(int status)
{
	return ih_http_class_name(status);
}

void ih_testkit_reset(ih_testkit *k)
{
	fh_reset(k);
}
