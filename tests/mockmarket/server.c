/* The HTTP side: routing by prefix, faults, rate limits, counters, control. */
#include "config.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mockmarket.h"
#include "server.h"

typedef struct upload {
	char *p;
	size_t len;
} upload;

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pause_ms(mm_state *s, int ms)
{
	/* in slices, so shutdown is not held up by a long latency or a hang */
	while (ms > 0 && !s->stopping) {
		int step = ms > 50 ? 50 : ms;
		struct timespec ts = { 0, (long)step * 1000000L };

		nanosleep(&ts, NULL);
		ms -= step;
	}
}

int mm_fault_parse(mm_state *s, const char *spec)
{
	char mkt[32], kind[32];
	int arg = 0, m = -1, n;
	mm_fault *f;

	n = sscanf(spec, "%31[^:]:%31[^:]:%d", mkt, kind, &arg);
	if (n < 2)
		return -1;
	for (int i = 0; i < MM_NMKT; i++)
		if (strcmp(mkt, mm_names[i]) == 0)
			m = i;
	if (m < 0)
		return -1;
	f = &s->fault[m];
	if (strcmp(kind, "429") == 0)
		f->first_429 = n == 3 ? arg : 1000000000;
	else if (strcmp(kind, "401") == 0)
		f->always_401 = 1;
	else if (strcmp(kind, "500") == 0)
		f->first_500 = n == 3 ? arg : 1000000000;
	else if (strcmp(kind, "malformed") == 0)
		f->malformed = 1;
	else if (strcmp(kind, "truncated") == 0)
		f->truncated = 1;
	else if (strcmp(kind, "hang") == 0)
		f->hang = 1;
	else if (strcmp(kind, "latency") == 0)
		f->latency_ms = arg;
	else if (strcmp(kind, "rate") == 0)
		f->rate = arg;
	else
		return -1;
	return 0;
}

static const char *lookup_arg(void *ud, const char *name)
{
	return MHD_lookup_connection_value(ud, MHD_GET_ARGUMENT_KIND, name);
}

static const char *lookup_header(void *ud, const char *name)
{
	return MHD_lookup_connection_value(ud, MHD_HEADER_KIND, name);
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, mm_reply *r)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(r->len, r->body != NULL ? r->body : (char *)"", MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;
	char ra[16];

	MHD_add_response_header(resp, "Content-Type", r->content_type != NULL ? r->content_type : "application/json");
	if (r->retry_after >= 0) {
		snprintf(ra, sizeof ra, "%d", r->retry_after);
		MHD_add_response_header(resp, "Retry-After", ra);
	}
	ret = MHD_queue_response(conn, r->status, resp);
	MHD_destroy_response(resp);
	free(r->body);
	return ret;
}

static void stats_json(mm_state *s, mm_reply *r)
{
	mm_sb b = { 0 };

	mm_sb_printf(&b, "{");
	pthread_mutex_lock(&s->mu);
	for (int m = 0; m < MM_NMKT; m++) {
		mm_sb_printf(&b, "%s\"%s\":{\"total\":%ld", m ? "," : "", mm_names[m], s->total[m]);
		for (int e = 0; e < MM_NEP; e++)
			if (mm_endpoints[m][e] != NULL)
				mm_sb_printf(&b, ",\"%s\":%ld", mm_endpoints[m][e], s->served[m][e]);
		mm_sb_printf(&b, "}");
	}
	pthread_mutex_unlock(&s->mu);
	mm_sb_printf(&b, "}");
	r->status = 200;
	r->body = b.p;
	r->len = b.len;
	r->content_type = "application/json";
}

/* Faults and limits of marketplace m for its n-th request; 1 if they answered. */
static int apply_faults(mm_state *s, int m, long n, mm_reply *r)
{
	mm_fault f;
	int limited = 0;

	pthread_mutex_lock(&s->mu);
	f = s->fault[m];
	if (f.rate > 0) {
		/* a token bucket with a burst of 2 */
		double now = mono();

		s->bucket[m] += (now - s->bucket_at[m]) * f.rate;
		if (s->bucket[m] > 2)
			s->bucket[m] = 2;
		s->bucket_at[m] = now;
		if (s->bucket[m] < 1)
			limited = 1;
		else
			s->bucket[m] -= 1;
	}
	pthread_mutex_unlock(&s->mu);
	pause_ms(s, s->latency_ms + f.latency_ms);
	if (f.hang) {
		while (!s->stopping)
			pause_ms(s, 1000);
	}
	if (f.always_401) {
		r->status = 401;
		r->body = strdup("{\"error\":\"unauthorized\"}");
	} else if (limited || n <= f.first_429) {
		r->status = 429;
		r->body = strdup(m == MM_CARDTRADER ? "{\"error\":\"Too many requests: max 200 requests per 10 seconds\"}"
						    : "{\"object\":\"error\",\"code\":\"rate_limited\",\"status\":429}");
		r->retry_after = 1;
	} else if (n <= f.first_500) {
		r->status = 500;
		r->body = strdup("{\"error\":\"internal server error\"}");
	} else {
		return 0;
	}
	r->len = strlen(r->body);
	r->content_type = "application/json";
	return 1;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
			      const char *version, const char *data, size_t *data_size, void **con_cls)
{
	mm_state *s = cls;
	upload *up = *con_cls;
	mm_reply r = { 0 };
	int m = -1;
	long n;

	(void)version;
	if (up == NULL) {
		up = calloc(1, sizeof *up);
		*con_cls = up;
		return MHD_YES;
	}
	if (*data_size > 0) {
		up->p = realloc(up->p, up->len + *data_size + 1);
		memcpy(up->p + up->len, data, *data_size);
		up->len += *data_size;
		up->p[up->len] = '\0';
		*data_size = 0;
		return MHD_YES;
	}
	r.retry_after = -1;
	r.endpoint = -1;
	if (strcmp(url, "/_stats") == 0) {
		stats_json(s, &r);
		return send_reply(conn, &r);
	}
	if (strcmp(url, "/_control/reset") == 0) {
		pthread_mutex_lock(&s->mu);
		memset(s->fault, 0, sizeof s->fault);
		memset(s->total, 0, sizeof s->total);
		memset(s->served, 0, sizeof s->served);
		pthread_mutex_unlock(&s->mu);
		r.status = 200;
		r.body = strdup("{\"reset\":true}");
		r.len = strlen(r.body);
		return send_reply(conn, &r);
	}
	if (strcmp(url, "/_control/fault") == 0) {
		int rc;

		pthread_mutex_lock(&s->mu);
		rc = mm_fault_parse(s, up->p != NULL ? up->p : "");
		pthread_mutex_unlock(&s->mu);
		r.status = rc == 0 ? 200 : 400;
		r.body = strdup(rc == 0 ? "{\"fault\":true}" : "{\"error\":\"bad fault spec\"}");
		r.len = strlen(r.body);
		return send_reply(conn, &r);
	}
	for (int i = 0; i < MM_NMKT; i++) {
		size_t l = strlen(mm_names[i]);

		if (url[0] == '/' && strncmp(url + 1, mm_names[i], l) == 0 && (url[1 + l] == '/' || url[1 + l] == '\0'))
			m = i;
	}
	if (m < 0) {
		r.status = 404;
		r.body = strdup("{\"error\":\"unknown marketplace\"}");
		r.len = strlen(r.body);
		return send_reply(conn, &r);
	}
	pthread_mutex_lock(&s->mu);
	n = ++s->total[m];
	pthread_mutex_unlock(&s->mu);
	if (!apply_faults(s, m, n, &r)) {
		const char *path = url + 1 + strlen(mm_names[m]);

		if (m == MM_CARDTRADER && strncmp(path, "/api/v2", 7) == 0)
			path += 7;
		else if (m == MM_MANAPOOL && strncmp(path, "/api/v1", 7) == 0)
			path += 7;
		mm_handle(s, m, method, path, up->p, up->len, lookup_arg, lookup_header, conn, &r);
		if (r.endpoint >= 0) {
			pthread_mutex_lock(&s->mu);
			s->served[m][r.endpoint]++;
			pthread_mutex_unlock(&s->mu);
		}
		if (s->fault[m].malformed) {
			free(r.body);
			r.body = strdup("{not json");
			r.len = strlen(r.body);
		} else if (s->fault[m].truncated && r.len > 1) {
			r.len /= 2;
		}
	}
	return send_reply(conn, &r);
}

static void done(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode code)
{
	upload *up = *con_cls;

	(void)cls;
	(void)conn;
	(void)code;
	if (up != NULL) {
		free(up->p);
		free(up);
	}
	*con_cls = NULL;
}

struct MHD_Daemon *mm_serve(mm_state *s, int port, int *bound)
{
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	struct sockaddr_in sa;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL,
			     NULL, handle, s, MHD_OPTION_NOTIFY_COMPLETED, done, s, MHD_OPTION_SOCK_ADDR, &sa,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_END);
	if (d == NULL)
		return NULL;
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	*bound = info != NULL ? (int)info->port : port;
	return d;
}
