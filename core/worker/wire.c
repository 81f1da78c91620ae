#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "worker/wire.h"

void ih_wbuf_reset(ih_wbuf *b)
{
	b->len = 0;
	b->oom = 0;
}

void ih_wbuf_free(ih_wbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

static void put(ih_wbuf *b, const void *src, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, src, n);
	b->len += n;
}

void ih_w_append(ih_wbuf *b, const void *src, size_t n) { put(b, src, n); }
void ih_w_u32(ih_wbuf *b, uint32_t v) { put(b, &v, sizeof v); }
void ih_w_i32(ih_wbuf *b, int32_t v) { put(b, &v, sizeof v); }
void ih_w_i64(ih_wbuf *b, int64_t v) { put(b, &v, sizeof v); }
void ih_w_f64(ih_wbuf *b, double v) { put(b, &v, sizeof v); }

void ih_w_str(ih_wbuf *b, const char *s)
{
	uint32_t n;

	if (s == NULL) {
		ih_w_u32(b, UINT32_MAX);
		return;
	}
	n = (uint32_t)strlen(s);
	ih_w_u32(b, n);
	put(b, s, (size_t)n + 1);
}

size_t ih_w_begin(ih_wbuf *b, uint32_t type)
{
	size_t at = b->len;

	ih_w_u32(b, 0);
	ih_w_u32(b, type);
	return at;
}

void ih_w_patch_u32(ih_wbuf *b, size_t at, uint32_t v)
{
	if (!b->oom && at + sizeof v <= b->len)
		memcpy(b->p + at, &v, sizeof v);
}

void ih_w_end(ih_wbuf *b, size_t at)
{
	ih_w_patch_u32(b, at, (uint32_t)(b->len - at - 8));
}

static int take(ih_wread *r, void *dst, size_t n)
{
	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = 1;
		memset(dst, 0, n);
		return -1;
	}
	memcpy(dst, r->p, n);
	r->p += n;
	return 0;
}

uint32_t ih_r_u32(ih_wread *r)
{
	uint32_t v;

	take(r, &v, sizeof v);
	return v;
}

int32_t ih_r_i32(ih_wread *r)
{
	int32_t v;

	take(r, &v, sizeof v);
	return v;
}

int64_t ih_r_i64(ih_wread *r)
{
	int64_t v;

	take(r, &v, sizeof v);
	return v;
}

double ih_r_f64(ih_wread *r)
{
	double v;

	take(r, &v, sizeof v);
	return v;
}

const char *ih_r_str(ih_wread *r)
{
	uint32_t n = ih_r_u32(r);
	const char *s;

	if (r->bad || n == UINT32_MAX)
		return NULL;
	if ((size_t)(r->end - r->p) < (size_t)n + 1 || r->p[n] != '\0') {
		r->bad = 1;
		return NULL;
	}
	s = r->p;
	r->p += (size_t)n + 1;
	return s;
}

int ih_wire_send(int fd, const ih_wbuf *b)
{
	size_t off = 0;

	if (b->oom)
		return -1;
	while (off < b->len) {
		ssize_t k = send(fd, b->p + off, b->len - off, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		off += (size_t)k;
	}
	return 0;
}

void ih_wire_reader_init(ih_wire_reader *rd, int fd, size_t max_frame)
{
	memset(rd, 0, sizeof *rd);
	rd->fd = fd;
	rd->max_frame = max_frame;
}

void ih_wire_reader_free(ih_wire_reader *rd)
{
	free(rd->buf);
	rd->buf = NULL;
	rd->len = rd->cap = rd->used = 0;
}

/* A whole frame at the start of the buffer: 1; not yet: 0; too long: -2. */
static int have_frame(ih_wire_reader *rd, uint32_t *type, ih_wread *body)
{
	uint32_t n;

	if (rd->len < 8)
		return 0;
	memcpy(&n, rd->buf, sizeof n);
	if (n > rd->max_frame)
		return -2;
	if (rd->len < 8 + (size_t)n)
		return 0;
	memcpy(type, rd->buf + 4, sizeof *type);
	body->p = rd->buf + 8;
	body->end = rd->buf + 8 + n;
	body->bad = 0;
	rd->used = 8 + (size_t)n;
	return 1;
}

int ih_wire_next(ih_wire_reader *rd, uint32_t *type, ih_wread *body, int timeout_ms)
{
	int h;

	if (rd->used > 0) { /* drop the frame returned last */
		memmove(rd->buf, rd->buf + rd->used, rd->len - rd->used);
		rd->len -= rd->used;
		rd->used = 0;
	}
	for (;;) {
		struct pollfd pfd = { .fd = rd->fd, .events = POLLIN };
		ssize_t k;
		int pr;

		h = have_frame(rd, type, body);
		if (h != 0)
			return h;
		if (rd->eof)
			return rd->len > 0 ? -2 : -1;
		if (rd->cap - rd->len < 65536) {
			/* room for the frame in progress (at most max_frame) and a read */
			size_t cap = rd->cap ? rd->cap * 2 : 131072;
			char *p;

			if (cap > rd->max_frame + 8 + 131072)
				cap = rd->max_frame + 8 + 131072;
			if (cap <= rd->cap)
				return -2; /* cannot happen: a full buffer holds a whole frame */
			p = realloc(rd->buf, cap);
			if (p == NULL)
				return -2;
			rd->buf = p;
			rd->cap = cap;
		}
		pr = poll(&pfd, 1, timeout_ms);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return -2;
		if (pr == 0)
			return 0;
		k = read(rd->fd, rd->buf + rd->len, rd->cap - rd->len);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k < 0) {
			if (errno == ECONNRESET) {
				rd->eof = 1;
				continue;
			}
			return -2;
		}
		if (k == 0)
			rd->eof = 1;
		rd->len += (size_t)k;
	}
}
