#include "config.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "responder.h"

#define MAX_ROUTES 8

static struct MHD_Daemon *daemon_;
static rsp_route routes[MAX_ROUTES];
static long counts[MAX_ROUTES];
static void (*hooks[MAX_ROUTES])(long, void *);
static void *hook_ud[MAX_ROUTES];
static size_t nroutes;
static int barrier_waiting, barrier_total, barrier_met;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

void rsp_price(int id, char *buf, size_t len)
{
	snprintf(buf, len, "%d.%02d", id % 997, id % 100);
}

static int route_of(const char *url)
{
	for (size_t i = 0; i < nroutes; i++)
		if (strncmp(url, routes[i].prefix, strlen(routes[i].prefix)) == 0 &&
		    url[strlen(routes[i].prefix)] == '/')
			return (int)i;
	return -1;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, char *body, int retry_after)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;
	char ra[16];

	MHD_add_response_header(r, "Content-Type", "text/plain");
	if (retry_after >= 0) {
		snprintf(ra, sizeof ra, "%d", retry_after);
		MHD_add_response_header(r, "Retry-After", ra);
	}
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* "id price\n" for each id in the ids= argument. */
static char *prices(struct MHD_Connection *conn)
{
	const char *ids = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "ids");
	size_t cap = 64 + (ids != NULL ? strlen(ids) * 4 + 64 : 0), used = 0;
	char *out = malloc(cap), *copy, *save = NULL;

	out[0] = '\0';
	if (ids == NULL)
		return out;
	copy = strdup(ids);
	for (char *t = strtok_r(copy, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
		char p[32];
		int id = atoi(t);

		rsp_price(id, p, sizeof p);
		if (used + 64 > cap) {
			cap *= 2;
			out = realloc(out, cap);
		}
		used += (size_t)snprintf(out + used, cap - used, "%d %s\n", id, p);
	}
	free(copy);
	return out;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
			      const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	int i = route_of(url);
	long n;
	rsp_route *r;

	(void)cls; (void)method; (void)version; (void)upload; (void)upload_size; (void)con_cls;
	if (i < 0)
		return reply(conn, 404, strdup("no such route\n"), -1);
	r = &routes[i];
	pthread_mutex_lock(&mu);
	n = ++counts[i];
	if (r->barrier && n == 1) {
		struct timespec ts;

		barrier_waiting++;
		pthread_cond_broadcast(&cv);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 30;
		while (barrier_waiting < barrier_total)
			if (pthread_cond_timedwait(&cv, &mu, &ts) != 0)
				break;
		if (barrier_waiting >= barrier_total)
			barrier_met = 1;
	}
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	if (hooks[i] != NULL)
		hooks[i](n, hook_ud[i]);
	switch (r->mode) {
	case RSP_401:
		return reply(conn, 401, strdup("{\"error\":\"unauthorized\"}"), -1);
	case RSP_429_FIRST:
		if (n <= r->fail_first)
			return reply(conn, 429, strdup("slow down\n"), r->retry_after);
		break;
	case RSP_503_FIRST:
		if (n <= r->fail_first)
			return reply(conn, 503, strdup("unavailable\n"), -1);
		break;
	default:
		break;
	}
	return reply(conn, 200, prices(conn), -1);
}

int rsp_start(const rsp_route *rs, size_t n)
{
	const union MHD_DaemonInfo *info;

	if (n > MAX_ROUTES)
		return -1;
	memset(counts, 0, sizeof counts);
	memset(hooks, 0, sizeof hooks);
	memcpy(routes, rs, n * sizeof *rs);
	nroutes = n;
	barrier_waiting = barrier_met = barrier_total = 0;
	for (size_t i = 0; i < n; i++)
		barrier_total += rs[i].barrier != 0;
	daemon_ = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
				   handle, NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_END);
	if (daemon_ == NULL)
		return -1;
	info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
	return info != NULL ? (int)info->port : -1;
}

void rsp_stop(void)
{
	if (daemon_ != NULL)
		MHD_stop_daemon(daemon_);
	daemon_ = NULL;
}

long rsp_count(const char *prefix)
{
	long n = 0;

	pthread_mutex_lock(&mu);
	for (size_t i = 0; i < nroutes; i++)
		if (strcmp(routes[i].prefix, prefix) == 0)
			n = counts[i];
	pthread_mutex_unlock(&mu);
	return n;
}

int rsp_wait(const char *prefix, long n, int timeout_s)
{
	struct timespec ts;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_s;
	pthread_mutex_lock(&mu);
	for (;;) {
		long c = 0;

		for (size_t i = 0; i < nroutes; i++)
			if (strcmp(routes[i].prefix, prefix) == 0)
				c = counts[i];
		if (c >= n)
			break;
		if (pthread_cond_timedwait(&cv, &mu, &ts) != 0) {
			rc = -1;
			break;
		}
	}
	pthread_mutex_unlock(&mu);
	return rc;
}

void rsp_on_request(const char *prefix, void (*fn)(long, void *), void *ud)
{
	for (size_t i = 0; i < nroutes; i++)
		if (strcmp(routes[i].prefix, prefix) == 0) {
			hooks[i] = fn;
			hook_ud[i] = ud;
		}
}

int rsp_barrier_met(void)
{
	int m;

	pthread_mutex_lock(&mu);
	m = barrier_met;
	pthread_mutex_unlock(&mu);
	return m;
}
