/*
 * wire -- the frames between the host and a plugin's worker process, over a
 * socketpair (the worker's fd 3).  Both ends are the same binary, so numbers
 * go in host byte order.
 *
 *   frame   = u32 length of body | u32 type | body
 *   string  = u32 length (0xffffffff: NULL) | bytes | NUL
 *
 * The host trusts nothing a worker sends: every read is bounds-checked, a
 * worker's frame is at most IH_WIRE_MAX_WORKER_FRAME bytes, and a malformed
 * one ends the run (the worker is killed).  See doc/plugin-abi.md, "Process
 * isolation", for the frames and their order.
 */
#ifndef IH_WIRE_H
#define IH_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define IH_WIRE_VERSION 1u
#define IH_WIRE_MAX_WORKER_FRAME (1u << 20)  /* a worker's frame, host side */
#define IH_WIRE_MAX_HOST_FRAME (64u << 20)   /* a host's frame, worker side */

enum ih_wire_type {
	/* host -> worker */
	IH_W_JOB = 1,   /* version, plugin, settings, number of cards */
	IH_W_CARDS = 2, /* u32 n, n cards */
	IH_W_GO = 3,    /* every card sent: init, collect, shutdown */
	IH_W_ABORT = 4, /* i32 status: the host cannot store more; emit returns it */
	/* worker -> host */
	IH_W_LOG = 16,       /* i32 level, string */
	IH_W_SNAPS = 17,     /* u32 n, n snapshots */
	IH_W_MARKS = 18,     /* u32 n, n card ids */
	IH_W_BLUEPRINTS = 19, /* u32 n, n (card id, blueprint id) */
	IH_W_STATS = 20,     /* i64 requests, retries, not_found, rejected, unmatched: totals */
	IH_W_DONE = 21       /* i32 collect's status, string last error */
};

/* A growing buffer that frames are written into. */
typedef struct ih_wbuf {
	char *p;
	size_t len, cap;
	int oom; /* an append failed: the content is incomplete */
} ih_wbuf;

void ih_wbuf_reset(ih_wbuf *b);
void ih_wbuf_free(ih_wbuf *b);
void ih_w_u32(ih_wbuf *b, uint32_t v);
void ih_w_i32(ih_wbuf *b, int32_t v);
void ih_w_i64(ih_wbuf *b, int64_t v);
void ih_w_f64(ih_wbuf *b, double v);
void ih_w_str(ih_wbuf *b, const char *s);
void ih_w_append(ih_wbuf *b, const void *src, size_t n); /* raw bytes */
/* Start a frame of `type` in b (its length is patched by ih_w_end); returns
 * the frame's offset. */
size_t ih_w_begin(ih_wbuf *b, uint32_t type);
void ih_w_end(ih_wbuf *b, size_t at);
/* Overwrite the u32 at offset `at` (a count known only at the end). */
void ih_w_patch_u32(ih_wbuf *b, size_t at, uint32_t v);

/* A cursor over one frame's body.  Reads past the end set `bad` and return
 * zeros (and NULL strings); check bad once at the end. */
typedef struct ih_wread {
	const char *p, *end;
	int bad;
} ih_wread;

uint32_t ih_r_u32(ih_wread *r);
int32_t ih_r_i32(ih_wread *r);
int64_t ih_r_i64(ih_wread *r);
double ih_r_f64(ih_wread *r);
/* A pointer into the frame (NUL-terminated there), or NULL for a NULL. */
const char *ih_r_str(ih_wread *r);

/* Write all of b to fd (blocking; EINTR retried; no SIGPIPE).  0 or -1. */
int ih_wire_send(int fd, const ih_wbuf *b);

/* Reads frames from a descriptor into a buffer of its own. */
typedef struct ih_wire_reader {
	int fd;
	size_t max_frame;
	char *buf;
	size_t len, cap, used; /* used: bytes of the frame returned last */
	int eof;
} ih_wire_reader;

void ih_wire_reader_init(ih_wire_reader *rd, int fd, size_t max_frame);
void ih_wire_reader_free(ih_wire_reader *rd);
/*
 * The next frame, waiting at most timeout_ms (-1: forever).  Returns 1 with
 * *type and *body (valid until the next call), 0 when none came in time,
 * -1 at end of stream (a partial frame there is -2), -2 for a frame longer
 * than max_frame or a read error.
 */
int ih_wire_next(ih_wire_reader *rd, uint32_t *type, ih_wread *body, int timeout_ms);

#endif
