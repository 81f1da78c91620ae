#include "config.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "http_responder.h"

/* A hanging request gives up on its own after this long, so a broken test
 * cannot wedge the suite (a guard, never a synchronisation). */
#define HANG_GUARD_S 60

struct ih_responder {
	struct MHD_Daemon *d;
	ih_route *routes;
	size_t n;
	int port;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int released;
};

typedef struct req_state {
	char body[512];
	size_t len;
	int counted;
} req_state;

typedef struct trunc_state {
	const char *data;
	size_t limit;
} trunc_state;

static int gzip_body(ih_route *rt)
{
	const char *b = rt->body != NULL ? rt->body : "{}";
	size_t n = strlen(b);
	z_stream z = { 0 };
	uLong cap = compressBound((uLong)n) + 64;

	rt->gz = malloc(cap);
	if (rt->gz == NULL || deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	z.next_in = (unsigned char *)(uintptr_t)b;
	z.avail_in = (uInt)n;
	z.next_out = rt->gz;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		return -1;
	}
	rt->gz_len = z.total_out;
	deflateEnd(&z);
	return 0;
}

static void copy_header(struct MHD_Connection *conn, const char *name, char *dst, size_t len)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);

	snprintf(dst, len, "%s", v != NULL ? v : "");
}

static ssize_t trunc_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	trunc_state *t = cls;
	size_t left;

	if (pos >= t->limit)
		return MHD_CONTENT_READER_END_WITH_ERROR; /* close: the client sees a short body */
	left = t->limit - (size_t)pos;
	if (left > max)
		left = max;
	memcpy(buf, t->data + pos, left);
	return (ssize_t)left;
}

static enum MHD_Result respond(struct MHD_Connection *conn, int status, const char *body,
			       const char *retry_after, const char *location)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(body), (void *)(uintptr_t)body,
								    MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (retry_after != NULL)
		MHD_add_response_header(resp, "Retry-After", retry_after);
	if (location != NULL)
		MHD_add_response_header(resp, "Location", location);
	MHD_add_response_header(resp, "Content-Type", "application/json");
	rc = MHD_queue_response(conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
			       const char *method, const char *version, const char *upload,
			       size_t *upload_size, void **req_cls)
{
	ih_responder *r = cls;
	req_state *st = *req_cls;
	ih_route *rt = NULL;
	struct MHD_Response *resp;
	enum MHD_Result rc;
	const char *body, *ra;
	long hit;
	int status, i;
	size_t k;

	(void)version;
	if (st == NULL) {
		st = calloc(1, sizeof *st);
		if (st == NULL)
			return MHD_NO;
		*req_cls = st;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		size_t take = *upload_size;

		if (take > sizeof st->body - 1 - st->len)
			take = sizeof st->body - 1 - st->len;
		memcpy(st->body + st->len, upload, take);
		st->len += take;
		st->body[st->len] = '\0';
		*upload_size = 0;
		return MHD_YES;
	}
	for (k = 0; k < r->n; k++)
		if (strcmp(r->routes[k].path, url) == 0)
			rt = &r->routes[k];
	if (rt == NULL)
		return respond(conn, 404, "{\"error\":\"no route\"}", NULL, NULL);

	pthread_mutex_lock(&r->lock);
	hit = rt->hits++;
	snprintf(rt->method, sizeof rt->method, "%s", method);
	copy_header(conn, "Content-Type", rt->content_type, sizeof rt->content_type);
	copy_header(conn, "Accept", rt->accept, sizeof rt->accept);
	copy_header(conn, "Accept-Encoding", rt->accept_encoding, sizeof rt->accept_encoding);
	copy_header(conn, "User-Agent", rt->user_agent, sizeof rt->user_agent);
	copy_header(conn, "X-Test", rt->x_test, sizeof rt->x_test);
	snprintf(rt->body_seen, sizeof rt->body_seen, "%s", st->body);
	if (rt->set_on_hit != NULL)
		*rt->set_on_hit = 1;
	if (rt->hang) {
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += HANG_GUARD_S;
		while (!r->released)
			if (pthread_cond_timedwait(&r->cond, &r->lock, &until) != 0)
				break;
	}
	pthread_mutex_unlock(&r->lock);

	i = hit < IH_ROUTE_STEPS ? (int)hit : IH_ROUTE_STEPS - 1;
	while (i > 0 && rt->status[i] == 0)
		i--;
	status = rt->status[i] != 0 ? rt->status[i] : 200;
	ra = hit < IH_ROUTE_STEPS ? rt->retry_after[hit] : NULL;
	body = rt->body != NULL ? rt->body : "{}";

	if (rt->truncate_to > 0) {
		trunc_state *t = malloc(sizeof *t);

		if (t == NULL)
			return MHD_NO;
		t->data = body;
		t->limit = rt->truncate_to;
		resp = MHD_create_response_from_callback(strlen(body), 1024, trunc_reader, t, free);
	} else if (rt->gzip) {
		resp = MHD_create_response_from_buffer(rt->gz_len, rt->gz, MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(resp, "Content-Encoding", "gzip");
	} else {
		return respond(conn, status, body, ra, rt->location);
	}
	if (ra != NULL)
		MHD_add_response_header(resp, "Retry-After", ra);
	rc = MHD_queue_response(conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static void completed(void *cls, struct MHD_Connection *conn, void **req_cls,
		      enum MHD_RequestTerminationCode code)
{
	(void)cls, (void)conn, (void)code;
	free(*req_cls);
	*req_cls = NULL;
}

ih_responder *ih_responder_start(ih_route *routes, size_t n)
{
	ih_responder *r = calloc(1, sizeof *r);
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;
	size_t k;

	if (r == NULL)
		return NULL;
	r->routes = routes;
	r->n = n;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	for (k = 0; k < n; k++)
		if (routes[k].gzip && gzip_body(&routes[k]) != 0) {
			fprintf(stderr, "responder: cannot gzip the body of %s\n", routes[k].path);
			ih_responder_stop(r);
			return NULL;
		}
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = 0;
	r->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
				0, NULL, NULL, handler, r,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				MHD_OPTION_NOTIFY_COMPLETED, completed, r,
				MHD_OPTION_END);
	if (r->d == NULL) {
		fprintf(stderr, "responder: cannot start libmicrohttpd on 127.0.0.1\n");
		ih_responder_stop(r);
		return NULL;
	}
	info = MHD_get_daemon_info(r->d, MHD_DAEMON_INFO_BIND_PORT);
	r->port = info != NULL ? info->port : 0;
	if (r->port == 0) {
		fprintf(stderr, "responder: cannot learn the bound port\n");
		ih_responder_stop(r);
		return NULL;
	}
	return r;
}

int ih_responder_port(const ih_responder *r) { return r->port; }

long ih_responder_hits(ih_responder *r, const char *path)
{
	long h = -1;
	size_t k;

	pthread_mutex_lock(&r->lock);
	for (k = 0; k < r->n; k++)
		if (strcmp(r->routes[k].path, path) == 0)
			h = r->routes[k].hits;
	pthread_mutex_unlock(&r->lock);
	return h;
}

void ih_responder_release(ih_responder *r)
{
	pthread_mutex_lock(&r->lock);
	r->released = 1;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

void ih_responder_stop(ih_responder *r)
{
	size_t k;

	if (r == NULL)
		return;
	ih_responder_release(r);
	if (r->d != NULL)
		MHD_stop_daemon(r->d);
	for (k = 0; k < r->n; k++) {
		free(r->routes[k].gz);
		r->routes[k].gz = NULL;
	}
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	free(r);
}
