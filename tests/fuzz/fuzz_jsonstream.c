/*
 * jsonstream: the import's stream reader (core/import/jsonstream.c) fed the
 * same bytes whole, in random pieces (1 byte to a few KiB, drawn from the
 * input's hash) and, for plain input, gzip-compressed here (as one member,
 * or split into two members): every way must give the same records (number,
 * parsed value or reason) and the same end (status and message).  The
 * reader is set up as the importer sets it up (the card members, a record
 * limit of IH_FUZZ_MAX_RECORD bytes so the limit is met).
 *
 * Checks on each record: a value or a reason, never both or neither; the
 * numbers grow; a value is an object that json-c also reads from the whole
 * record (the members built from the skimmer's spans equal json-c's own).
 * On the stream: one that ends well and was plain text delivered every
 * record, counted here on their own (every non-blank line; every array
 * element, empty ones such as "[1,,2]" included); one that ends well and
 * was plain text starts with
 * nothing but blanks, after an optional complete UTF-8 byte-order mark,
 * before its first '[' or '{'; a gzip stream that ends well is made of
 * gzip members only (no zlib or raw stream after one).
 */
#include "config.h"

#include <zlib.h>

#include "fuzz.h"
#include "import/jsonstream.h"

#define IH_FUZZ_MAX_RECORD 1024

static const char *const card_members[] = { "object", "id", "oracle_id", "name", "set", "collector_number",
					     "lang", "tcgplayer_id", "tcgplayer_etched_id", "cardmarket_id",
					     "mtgo_id", "prices" };

typedef struct rec_log {
	char *s;
	size_t len, cap;
	long records, last;
} rec_log;

static void put(rec_log *l, const char *s, size_t n)
{
	if (l->len + n + 1 > l->cap) {
		l->cap = (l->len + n + 1) * 2;
		l->s = realloc(l->s, l->cap);
		if (l->s == NULL)
			abort();
	}
	memcpy(l->s + l->len, s, n);
	l->len += n;
	l->s[l->len] = '\0';
}

static int on_record(void *ud, json_object *obj, long recno, const char *why)
{
	rec_log *l = ud;
	char head[64];

	FUZZ_CHECK((obj == NULL) != (why == NULL), "record %ld: value %p and reason %p", recno, (void *)obj,
		   (const void *)why);
	FUZZ_CHECK(recno > l->last, "record number %ld after %ld", recno, l->last);
	l->last = recno;
	l->records++;
	snprintf(head, sizeof head, "%ld %s ", recno, obj != NULL ? "ok" : "bad");
	put(l, head, strlen(head));
	if (obj != NULL) {
		const char *t = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);

		put(l, t, strlen(t));
	} else {
		FUZZ_CHECK(why[0] != '\0' && strlen(why) < 1024, "record %ld: empty reason", recno);
		put(l, why, strlen(why));
	}
	put(l, "\n", 1);
	return 0;
}

typedef struct outcome {
	rec_log log;
	int rc;
	char err[512];
} outcome;

/* Feed data in pieces (n 0: whole), with or without the members. */
static void run(const uint8_t *data, size_t size, uint64_t seed, int pieces, int members, outcome *o)
{
	ih_js *js;
	uint64_t st = seed;
	size_t at = 0;
	int rc = 0;

	memset(o, 0, sizeof *o);
	o->log.last = 0;
	js = ih_js_new(on_record, &o->log, IH_FUZZ_MAX_RECORD);
	if (js == NULL)
		abort();
	if (members)
		FUZZ_CHECK(ih_js_set_members(js, card_members, sizeof card_members / sizeof card_members[0]) == 0,
			   "set_members");
	while (at < size && rc == 0) {
		size_t n = size - at;

		if (pieces) {
			uint64_t r = fuzz_rand(&st);

			n = (r & 3) == 0 ? 1 : (r & 3) == 1 ? 1 + (size_t)((r >> 8) % 16) : 1 + (size_t)((r >> 8) % 4096);
			if (n > size - at)
				n = size - at;
		}
		rc = ih_js_feed(js, data + at, n, o->err, sizeof o->err);
		at += n;
	}
	if (rc == 0)
		rc = ih_js_finish(js, o->err, sizeof o->err);
	o->rc = rc;
	FUZZ_CHECK(rc == 0 || rc == IH_JS_CORRUPT || rc == IH_JS_TRUNCATED, "ih_js ended %d (%s)", rc, o->err);
	FUZZ_CHECK(rc == 0 || o->err[0] != '\0', "ih_js ended %d without a message", rc);
	FUZZ_CHECK(ih_js_bytes_in(js) <= (long long)size, "bytes in %lld > %zu", ih_js_bytes_in(js), size);
	ih_js_free(js);
}

static void same(const outcome *a, const outcome *b, const char *how)
{
	FUZZ_CHECK(a->rc == b->rc, "%s: ended %d (%s), whole %d (%s)", how, b->rc, b->err, a->rc, a->err);
	FUZZ_CHECK(strcmp(a->err, b->err) == 0, "%s: message '%s', whole '%s'", how, b->err, a->err);
	FUZZ_CHECK(a->log.len == b->log.len && (a->log.len == 0 || memcmp(a->log.s, b->log.s, a->log.len) == 0),
		   "%s: records differ from the whole feed's\n--- whole:\n%.2000s\n--- %s:\n%.2000s", how,
		   a->log.s ? a->log.s : "", how, b->log.s ? b->log.s : "");
}

/* gzip of data, as one member or two (split at `split`). */
static uint8_t *gzip_of(const uint8_t *data, size_t size, size_t split, size_t *outlen)
{
	size_t cap = compressBound((uLong)size) * 2 + 64, len = 0;
	uint8_t *out = malloc(cap);
	size_t parts[2][2] = { { 0, split }, { split, size } };

	if (out == NULL)
		abort();
	for (int m = 0; m < 2; m++) {
		z_stream z;

		if (m == 1 && split >= size)
			break;
		memset(&z, 0, sizeof z);
		if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			abort();
		z.next_in = (Bytef *)(uintptr_t)(data + parts[m][0]);
		z.avail_in = (uInt)(parts[m][1] - parts[m][0]);
		z.next_out = out + len;
		z.avail_out = (uInt)(cap - len);
		if (deflate(&z, Z_FINISH) != Z_STREAM_END)
			abort();
		len = cap - z.avail_out;
		deflateEnd(&z);
	}
	*outlen = len;
	return out;
}

/* Whether data is gzip members and nothing else. */
static int gzip_members_only(const uint8_t *data, size_t size)
{
	static uint8_t sink[65536];
	size_t at = 0;

	while (at < size) {
		z_stream z;
		int zr;

		memset(&z, 0, sizeof z);
		if (inflateInit2(&z, 15 + 16) != Z_OK)
			abort();
		z.next_in = (Bytef *)(uintptr_t)(data + at);
		z.avail_in = (uInt)(size - at);
		do {
			z.next_out = sink;
			z.avail_out = sizeof sink;
			zr = inflate(&z, Z_NO_FLUSH);
		} while (zr == Z_OK);
		at = size - z.avail_in;
		inflateEnd(&z);
		if (zr != Z_STREAM_END)
			return 0;
	}
	return 1;
}

/* Plain text: blanks, after an optional complete BOM, up to the first '[' or '{'. */
static int clean_start(const uint8_t *data, size_t size)
{
	size_t i = 0;

	if (size >= 3 && data[0] == 0xef && data[1] == 0xbb && data[2] == 0xbf)
		i = 3;
	while (i < size && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r'))
		i++;
	return i < size && (data[i] == '[' || data[i] == '{');
}

/*
 * The record numbers a plain (not gzip) stream that ended well must have
 * delivered, counted here independently: for JSONL every line holding
 * more than blanks (numbered from 1, blank lines counted); for an array
 * every element, empty ones ("[1,,2]", "[1,]") included, numbered from 1.
 * Into want[0..*n); 0 when there are more than max or the shape is unknown.
 */
static int expected_records(const uint8_t *d, size_t size, long *want, size_t max, size_t *n)
{
	size_t i = 0, bom = 0;

	*n = 0;
	if (size >= 3 && d[0] == 0xef && d[1] == 0xbb && d[2] == 0xbf)
		i = bom = 3;
	while (i < size && (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r'))
		i++;
	if (i >= size)
		return 0;
	if (d[i] == '{') {
		long line = 1;
		int blank = 1;

		for (size_t k = bom; k < size; k++) {
			if (d[k] == '\n') {
				if (!blank) {
					if (*n >= max)
						return 0;
					want[(*n)++] = line;
				}
				line++;
				blank = 1;
			} else if (!(d[k] == ' ' || d[k] == '\t' || d[k] == '\r')) {
				blank = 0;
			}
		}
		if (!blank) {
			if (*n >= max)
				return 0;
			want[(*n)++] = line;
		}
		return 1;
	}
	if (d[i] == '[') {
		int depth = 0, in_str = 0, esc = 0, any = 0;
		long elems = 0;

		for (i++; i < size; i++) {
			uint8_t c = d[i];

			if (in_str) {
				if (esc)
					esc = 0;
				else if (c == '\\')
					esc = 1;
				else if (c == '"')
					in_str = 0;
				continue;
			}
			if (depth == 0 && (c == ',' || c == ']')) {
				if (c == ']' && !any && elems == 0)
					break; /* [] */
				elems++;
				any = 0;
				if (c == ']')
					break;
				continue;
			}
			if (!(c == ' ' || c == '\t' || c == '\n' || c == '\r'))
				any = 1;
			if (c == '"')
				in_str = 1;
			else if (c == '{' || c == '[')
				depth++;
			else if ((c == '}' || c == ']') && depth > 0)
				depth--;
		}
		if ((size_t)elems > max)
			return 0;
		for (long e = 1; e <= elems; e++)
			want[(*n)++] = e;
		return 1;
	}
	return 0;
}

/* The record numbers in a log. */
static size_t logged_records(const rec_log *l, long *got, size_t max)
{
	size_t n = 0;

	for (const char *a = l->s; a != NULL && *a && n < max;) {
		const char *e = strchr(a, '\n');

		got[n++] = strtol(a, NULL, 10);
		if (e == NULL)
			break;
		a = e + 1;
	}
	return n;
}

/* The value logged on the line [s, e): "N ok VALUE". */
static json_object *line_value(const char *s, const char *e)
{
	const char *v = strchr(strchr(s, ' ') + 1, ' ') + 1;
	char *t = fuzz_cstr((const uint8_t *)v, (size_t)(e - v));
	json_object *o = json_tokener_parse(t);

	free(t);
	return o;
}

/* Every record's value is an object json-c reads from the whole record
 * with the same members: checked by the full (no members) run agreeing on
 * the records both runs parsed. */
static void members_agree(const outcome *chosen, const outcome *full)
{
	const char *a = chosen->log.s, *b = full->log.s;

	while (a != NULL && b != NULL && *a && *b) {
		long ra, rb;
		char oka[4], okb[4];
		const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');

		if (ea == NULL || eb == NULL || sscanf(a, "%ld %3s", &ra, oka) != 2 || sscanf(b, "%ld %3s", &rb, okb) != 2)
			break;
		FUZZ_CHECK(ra == rb, "record %ld with members, %ld without", ra, rb);
		if (strcmp(oka, "ok") == 0 && strcmp(okb, "ok") == 0) {
			json_object *x = line_value(a, ea), *y = line_value(b, eb);

			if (x != NULL && y != NULL && json_object_is_type(y, json_type_object)) {
				FUZZ_CHECK(json_object_is_type(x, json_type_object), "record %ld: not an object", ra);
				for (size_t m = 0; m < sizeof card_members / sizeof card_members[0]; m++) {
					json_object *vx = NULL, *vy = NULL;
					int hx = json_object_object_get_ex(x, card_members[m], &vx);
					int hy = json_object_object_get_ex(y, card_members[m], &vy);

					FUZZ_CHECK(hx == hy && json_object_equal(vx, vy),
						   "record %ld: member '%s' built from the spans differs from json-c's", ra,
						   card_members[m]);
				}
			}
			json_object_put(x);
			json_object_put(y);
		}
		a = ea + 1;
		b = eb + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t seed = fuzz_hash(data, size);
	int gz = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
	outcome whole, piece, other;

	if (size > 256 * 1024)
		return 0;
	run(data, size, seed, 0, 1, &whole);
	run(data, size, seed, 1, 1, &piece);
	same(&whole, &piece, "in pieces");
	free(piece.log.s);
	if (whole.rc == 0 && !gz)
		FUZZ_CHECK(clean_start(data, size), "a stream that starts with neither '[' nor '{' (after blanks and a BOM) was read");
	if (whole.rc == 0 && !gz) {
		static long want[4096], got[4096];
		size_t nw, ng;

		if (expected_records(data, size, want, 4096, &nw) && whole.log.records < 4096) {
			ng = logged_records(&whole.log, got, 4096);
			FUZZ_CHECK(ng == nw && memcmp(want, got, nw * sizeof *want) == 0,
				   "%zu records delivered, %zu expected (a line or an element skipped, empty ones too)", ng, nw);
		}
	}
	if (whole.rc == 0 && gz)
		FUZZ_CHECK(gzip_members_only(data, size), "a gzip stream with something else than gzip members was read");
	if (!gz) {
		size_t glen, split = size > 0 ? (size_t)(seed >> 32) % size : 0;
		uint8_t *g = gzip_of(data, size, (seed & 1) ? split : size, &glen);

		run(g, glen, seed, (seed >> 1) & 1, 1, &other);
		if (size == 0) {
			FUZZ_CHECK(other.rc == whole.rc, "empty input: %d, gzip of it %d", whole.rc, other.rc);
		} else {
			same(&whole, &other, "gzip");
		}
		free(other.log.s);
		free(g);
	}
	run(data, size, seed, 0, 0, &other);
	members_agree(&whole, &other);
	free(other.log.s);
	free(whole.log.s);
	return 0;
}
