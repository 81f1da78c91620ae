/* The HTTP side: routing by prefix, faults, rate limits, counters, control. */
#include "config.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

/* 1 when the client of conn has closed its side (it timed out and left). */
static int client_gone(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct pollfd p;
	char c;

	if (ci == NULL)
		return 0;
	p.fd = ci->connect_fd;
	p.events = POLLIN | POLLRDHUP;
	p.revents = 0;
	if (poll(&p, 1, 0) <= 0)
		return 0;
	if (p.revents & (POLLRDHUP | POLLHUP | POLLERR))
		return 1;
	return recv(p.fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

/* Wait ms (< 0: until shutdown) in slices; 1 if the client left meanwhile. */
static int hold(mm_state *s, struct MHD_Connection *conn, int ms)
{
	while ((ms < 0 || ms > 0) && !s->stopping) {
		int step = ms < 0 || ms > 50 ? 50 : ms;
		struct timespec ts = { 0, (long)step * 1000000L };

		if (client_gone(conn))
			return 1;
		nanosleep(&ts, NULL);
		if (ms > 0)
			ms -= step;
	}
	return 0;
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
	else if (strcmp(kind, "gate") == 0) {
		f->gate_on = 1;
		f->gate_k = n == 3 && arg > 0 ? arg : 0;
		s->gate_passed[m] = 0;
	} else
		return -1;
	return 0;
}

int mm_chaos_parse(mm_state *s, const char *spec)
{
	unsigned long long seed;
	double pct;

	if (sscanf(spec, "%llu:%lf", &seed, &pct) != 2 || pct < 0 || pct > 100)
		return -1;
	s->chaos.seed = seed;
	s->chaos.percent = pct;
	return 0;
}

/* Open the gate of marketplace `only` (NULL or "": every gate), for release,
 * reset and shutdown; call with s->mu held.  -1 if no such marketplace. */
static int open_gates(mm_state *s, const char *only)
{
	int found = 0;

	for (int m = 0; m < MM_NMKT; m++)
		if (only == NULL || *only == '\0' || strcmp(only, mm_names[m]) == 0) {
			s->fault[m].gate_on = 0;
			found = 1;
		}
	pthread_cond_broadcast(&s->gate_cv);
	return found ? 0 : -1;
}

/* Hold a request of m at its gate until the gate opens; -1 if the client left. */
static int gate(mm_state *s, int m, struct MHD_Connection *conn)
{
	int rc = 0;

	pthread_mutex_lock(&s->mu);
	if (s->fault[m].gate_on && s->gate_passed[m] >= s->fault[m].gate_k) {
		s->gated[m]++;
		/* a gate set again while requests wait here lets K more of them through */
		while (s->fault[m].gate_on && s->gate_passed[m] >= s->fault[m].gate_k && !s->stopping) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 100000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&s->gate_cv, &s->mu, &ts);
			if (client_gone(conn)) {
				rc = -1;
				break;
			}
		}
		s->gated[m]--;
	}
	if (rc == 0 && s->fault[m].gate_on)
		s->gate_passed[m]++;
	pthread_mutex_unlock(&s->mu);
	return rc;
}

enum { CHAOS_NONE = -1, CHAOS_500, CHAOS_429, CHAOS_HANG, CHAOS_MALFORMED, CHAOS_TRUNCATED, CHAOS_NKINDS };

static uint64_t mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The chaos fault of m's n-th request: a pure function of (seed, m, n). */
static int chaos_pick(const mm_chaos *c, int m, long n)
{
	uint64_t x;

	if (!(c->percent > 0))
		return CHAOS_NONE;
	x = mix64(mix64(c->seed * 0x100000001b3ULL + (uint64_t)m) + (uint64_t)n);
	if ((double)(x % 1000000) >= c->percent * 10000.0)
		return CHAOS_NONE;
	return (int)((x >> 32) % CHAOS_NKINDS);
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

/* GET /_stats: JSON; /_stats?format=lines: "MKT KEY VALUE" lines (and "all gated N"),
 * for shell scripts without a JSON parser. */
static void stats_json(mm_state *s, int lines, mm_reply *r)
{
	static const char *const keys[] = { "total", "max_inflight", "inflight", "rows_served", "rows_unknown",
					    "gated", "passed", "chaos" };
	mm_sb b = { 0 };
	long gated = 0;

	mm_sb_printf(&b, "%s", lines ? "" : "{");
	pthread_mutex_lock(&s->mu);
	for (int m = 0; m < MM_NMKT; m++) {
		long v[] = { s->total[m], s->max_inflight[m], s->inflight[m], s->rows_served[m], s->rows_unknown[m],
			     s->gated[m], s->gate_passed[m], s->chaos_hits[m] };

		gated += s->gated[m];
		if (!lines)
			mm_sb_printf(&b, "%s\"%s\":{", m ? "," : "", mm_names[m]);
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
			if (lines)
				mm_sb_printf(&b, "%s %s %ld\n", mm_names[m], keys[k], v[k]);
			else
				mm_sb_printf(&b, "%s\"%s\":%ld", k ? "," : "", keys[k], v[k]);
		}
		for (int e = 0; e < MM_NEP; e++) {
			if (mm_endpoints[m][e] == NULL)
				continue;
			if (lines)
				mm_sb_printf(&b, "%s %s %ld\n", mm_names[m], mm_endpoints[m][e], s->served[m][e]);
			else
				mm_sb_printf(&b, ",\"%s\":%ld", mm_endpoints[m][e], s->served[m][e]);
		}
		if (!lines)
			mm_sb_printf(&b, "}");
	}
	pthread_mutex_unlock(&s->mu);
	if (lines)
		mm_sb_printf(&b, "all gated %ld\n", gated);
	else
		mm_sb_printf(&b, ",\"gated\":%ld}", gated);
	r->status = 200;
	r->body = b.p;
	r->len = b.len;
	r->content_type = lines ? "text/plain" : "application/json";
}

/* What happens to a request besides its answer. */
typedef struct mm_fate {
	int malformed, truncated;
} mm_fate;

/* Faults and limits of marketplace m for its n-th request: 0 to answer it,
 * 1 if r holds the fault's answer, -1 to close the connection unanswered. */
static int apply_faults(mm_state *s, struct MHD_Connection *conn, int m, long n, mm_reply *r, mm_fate *fate)
{
	mm_fault f;
	int limited = 0, chaos;

	if (gate(s, m, conn) != 0)
		return -1;
	pthread_mutex_lock(&s->mu);
	f = s->fault[m];
	chaos = chaos_pick(&s->chaos, m, n);
	if (chaos != CHAOS_NONE)
		s->chaos_hits[m]++;
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
	fate->malformed = f.malformed || chaos == CHAOS_MALFORMED;
	fate->truncated = f.truncated || chaos == CHAOS_TRUNCATED;
	pause_ms(s, s->latency_ms + f.latency_ms);
	if (f.hang) {
		/* until shutdown, or until the client gives up */
		hold(s, conn, -1);
		return -1;
	}
	if (chaos == CHAOS_HANG) {
		hold(s, conn, s->chaos.hang_ms);
		return -1;
	}
	if (f.always_401) {
		r->status = 401;
		r->body = strdup("{\"error\":\"unauthorized\"}");
	} else if (limited || n <= f.first_429 || chaos == CHAOS_429) {
		r->status = 429;
		r->body = strdup(m == MM_CARDTRADER ? "{\"error\":\"Too many requests: max 200 requests per 10 seconds\"}"
						    : "{\"object\":\"error\",\"code\":\"rate_limited\",\"status\":429}");
		r->retry_after = 1;
	} else if (n <= f.first_500 || chaos == CHAOS_500) {
		r->status = 500;
		r->body = strdup("{\"error\":\"internal server error\"}");
	} else {
		return 0;
	}
	r->len = strlen(r->body);
	r->content_type = "application/json";
	return 1;
}

static enum MHD_Result control_reply(struct MHD_Connection *conn, mm_reply *r, unsigned status, const char *body)
{
	r->status = status;
	r->body = strdup(body);
	r->len = strlen(r->body);
	return send_reply(conn, r);
}

/* /_stats and /_control/...; -1 when url is neither. */
static int control(mm_state *s, struct MHD_Connection *conn, const char *url, upload *up, enum MHD_Result *ret)
{
	mm_reply r = { 0 };
	const char *body = up->p != NULL ? up->p : "";
	int rc;

	r.retry_after = -1;
	r.endpoint = -1;
	if (strcmp(url, "/_stats") == 0) {
		const char *fmt = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "format");

		stats_json(s, fmt != NULL && strcmp(fmt, "lines") == 0, &r);
		*ret = send_reply(conn, &r);
	} else if (strcmp(url, "/_control/reset") == 0) {
		pthread_mutex_lock(&s->mu);
		memset(s->fault, 0, sizeof s->fault);
		memset(s->total, 0, sizeof s->total);
		memset(s->served, 0, sizeof s->served);
		memset(s->rows_served, 0, sizeof s->rows_served);
		memset(s->rows_unknown, 0, sizeof s->rows_unknown);
		memset(s->chaos_hits, 0, sizeof s->chaos_hits);
		memset(s->gate_passed, 0, sizeof s->gate_passed);
		for (int m = 0; m < MM_NMKT; m++)
			s->max_inflight[m] = s->inflight[m];
		s->chaos.percent = 0;
		open_gates(s, NULL);
		pthread_mutex_unlock(&s->mu);
		*ret = control_reply(conn, &r, 200, "{\"reset\":true}");
	} else if (strcmp(url, "/_control/fault") == 0) {
		pthread_mutex_lock(&s->mu);
		rc = mm_fault_parse(s, body);
		pthread_cond_broadcast(&s->gate_cv); /* a gate set again lets waiting requests through */
		pthread_mutex_unlock(&s->mu);
		*ret = control_reply(conn, &r, rc == 0 ? 200 : 400,
				     rc == 0 ? "{\"fault\":true}" : "{\"error\":\"bad fault spec\"}");
	} else if (strcmp(url, "/_control/release") == 0) {
		pthread_mutex_lock(&s->mu);
		rc = open_gates(s, body);
		pthread_mutex_unlock(&s->mu);
		*ret = control_reply(conn, &r, rc == 0 ? 200 : 400,
				     rc == 0 ? "{\"released\":true}" : "{\"error\":\"unknown marketplace\"}");
	} else if (strcmp(url, "/_control/chaos") == 0) {
		pthread_mutex_lock(&s->mu);
		rc = mm_chaos_parse(s, body);
		pthread_mutex_unlock(&s->mu);
		*ret = control_reply(conn, &r, rc == 0 ? 200 : 400,
				     rc == 0 ? "{\"chaos\":true}" : "{\"error\":\"bad chaos spec, want SEED:PERCENT\"}");
	} else {
		return -1;
	}
	return 0;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
			      const char *version, const char *data, size_t *data_size, void **con_cls)
{
	mm_state *s = cls;
	upload *up = *con_cls;
	mm_reply r = { 0 };
	mm_fate fate = { 0, 0 };
	enum MHD_Result ret;
	int m = -1, rc;
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
	if (control(s, conn, url, up, &ret) == 0)
		return ret;
	for (int i = 0; i < MM_NMKT; i++) {
		size_t l = strlen(mm_names[i]);

		if (url[0] == '/' && strncmp(url + 1, mm_names[i], l) == 0 && (url[1 + l] == '/' || url[1 + l] == '\0'))
			m = i;
	}
	if (m < 0)
		return control_reply(conn, &r, 404, "{\"error\":\"unknown marketplace\"}");
	pthread_mutex_lock(&s->mu);
	n = ++s->total[m];
	if (++s->inflight[m] > s->max_inflight[m])
		s->max_inflight[m] = s->inflight[m];
	pthread_mutex_unlock(&s->mu);
	rc = apply_faults(s, conn, m, n, &r, &fate);
	if (rc == 0) {
		const char *path = url + 1 + strlen(mm_names[m]);

		if (m == MM_CARDTRADER && strncmp(path, "/api/v2", 7) == 0)
			path += 7;
		else if (m == MM_MANAPOOL && strncmp(path, "/api/v1", 7) == 0)
			path += 7;
		mm_handle(s, m, method, path, up->p, up->len, lookup_arg, lookup_header, conn, &r);
		pthread_mutex_lock(&s->mu);
		if (r.endpoint >= 0)
			s->served[m][r.endpoint]++;
		if (fate.malformed) {
			free(r.body);
			r.body = strdup("{not json");
			r.len = strlen(r.body);
		} else if (fate.truncated && r.len > 1) {
			r.len /= 2;
		} else if (r.status == 200) {
			/* a complete answer: its rows are the host's to store */
			s->rows_served[m] += r.rows;
			s->rows_unknown[m] += r.rows_unknown;
		}
		pthread_mutex_unlock(&s->mu);
	}
	pthread_mutex_lock(&s->mu);
	s->inflight[m]--;
	pthread_mutex_unlock(&s->mu);
	if (rc < 0)
		return MHD_NO; /* closes the connection without an answer */
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
