#include "config.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakehost.h"

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

static int classify(long status)
{
	if (status >= 200 && status < 300)
		return IH_OK;
	if (status == 401 || status == 403)
		return IH_ERR_AUTH;
	if (status == 429)
		return IH_ERR_RATE_LIMITED;
	if (status >= 500 || status == 0)
		return IH_ERR_TRANSIENT;
	return IH_ERR_FATAL;
}

static int fh_http(ih_ctx *fh, const ih_http_request *req, ih_http_response *resp)
{
	fh_req *r;
	const char *const *h;
	char *body = NULL;
	long status = 404;
	size_t i, hl = 0;

	memset(resp, 0, sizeof *resp);
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
	if (classify(status) != IH_OK)
		snprintf(resp->error, sizeof resp->error, "HTTP %ld from %s", status, req->url);
	return classify(status);
}

static void fh_http_free(ih_ctx *fh, ih_http_response *resp)
{
	(void)fh;
	free(resp->body);
	resp->body = NULL;
}

static int one_of(const char *s, const char *const *set)
{
	for (; s != NULL && *set != NULL; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

static int fh_emit(ih_ctx *fh, const ih_snapshot *s)
{
	static const char *const conds[] = { "NM", "LP", "MP", "HP", "DMG", NULL };
	static const char *const finishes[] = { "nonfoil", "foil", "etched", NULL };
	fh_snap *x;

	if (s->price == NULL || !one_of(s->condition, conds) || !one_of(s->finish, finishes) ||
	    s->currency == NULL || (s->card_id == 0 && s->scryfall_id == NULL)) {
		fh->counts[IH_COUNT_REJECTED]++;
		return IH_ERR_FATAL;
	}
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

static void *module_of(const char *name)
{
	const char *top = getenv("IH_TOP_BUILDDIR");
	char path[4096];

	snprintf(path, sizeof path, "%s/plugins/%s/.libs/%s.so", top != NULL ? top : IH_TOP_BUILDDIR, name, name);
	return dlopen(path, RTLD_NOW | RTLD_LOCAL);
}

fakehost *fh_new(const char *name)
{
	fakehost *fh;
	void *dl = module_of(name);

	if (dl == NULL) {
		fprintf(stderr, "fakehost: cannot load plugin %s: %s\n", name, dlerror());
		return NULL;
	}
	fh = calloc(1, sizeof *fh);
	if (fh == NULL)
		abort();
	fh->plugin = dlsym(dl, IH_PLUGIN_SYMBOL);
	if (fh->plugin == NULL || fh->plugin->magic != IH_PLUGIN_MAGIC) {
		free(fh);
		return NULL;
	}
	/* the handle stays open for the process: modules are tiny */
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

int fh_init(fakehost *fh)
{
	return fh->plugin->init != NULL ? fh->plugin->init(&fh->services, fh, &fh->state) : IH_OK;
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
}

void fh_free(fakehost *fh)
{
	size_t i;

	if (fh == NULL)
		return;
	if (fh->plugin->shutdown != NULL && fh->state != NULL)
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
	free(fh);
}
