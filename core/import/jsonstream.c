#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "import/jsonskim.h"
#include "base/buf.h"
#include "import/jsonstream.h"

#define ZOUT_SIZE (256 * 1024)
#define DEFAULT_MAX_RECORD (16u * 1024 * 1024)
#define DEFAULT_MAX_OUT (64LL * 1024 * 1024 * 1024)

struct ih_js {
	ih_js_record_fn fn;
	void *ud;
	size_t max_record;
	int gz;                  /* -1 undecided, 0 plain, 1 gzip */
	unsigned char first;     /* a first byte held until the second arrives */
	int have_first;
	z_stream z;
	int z_init, z_ended;
	unsigned char *zout;
	ih_js_format fmt;
	int bom;                 /* BOM bytes matched so far */
	long lead_lines;         /* newlines before the first record */
	long long text_pos;      /* decompressed bytes seen */
	char *rec;               /* the record being gathered */
	size_t len, cap;
	int overlong;
	int too_deep;            /* the array element nests deeper than IH_JS_MAX_DEPTH */
	long recno;              /* records (array) or lines (JSONL) finished */
	/* array splitting; depth is bounded by the bytes seen (at most
	 * max_out), so it cannot overflow */
	long long depth;
	int in_str, esc, in_elem, closed;
	int after_comma;         /* the last element ended with ',': another must follow */
	long members;            /* gzip members ended */
	long long member_out;    /* bytes out of the current gzip member */
	long long max_out;       /* cap on decompressed bytes */
	const char *max_out_name;
	json_tokener *tok;
	const char *const *keys;  /* members to build, or NULL for all */
	size_t nkeys;
	ih_span *spans;
	char *mini;               /* the chosen members as one small object */
	size_t mini_cap;
	int err;                 /* sticky error code */
	char errmsg[256];
	long long in, out;
};

ih_js *ih_js_new(ih_js_record_fn fn, void *ud, size_t max_record)
{
	ih_js *js = calloc(1, sizeof *js);

	if (js == NULL)
		return NULL;
	js->fn = fn;
	js->ud = ud;
	js->max_record = max_record ? max_record : DEFAULT_MAX_RECORD;
	js->max_out = DEFAULT_MAX_OUT;
	js->gz = -1;
	js->tok = json_tokener_new_ex(IH_JS_MAX_DEPTH); /* the skimmer's bound too */
	if (js->tok == NULL) {
		free(js);
		return NULL;
	}
	/* the skimmer checks the grammar first; strict all the same */
	json_tokener_set_flags(js->tok, JSON_TOKENER_STRICT);
	return js;
}

void ih_js_set_max_bytes(ih_js *js, long long max_out, const char *name)
{
	js->max_out = max_out > 0 ? max_out : DEFAULT_MAX_OUT;
	js->max_out_name = name;
}

void ih_js_free(ih_js *js)
{
	if (js == NULL)
		return;
	if (js->z_init)
		inflateEnd(&js->z);
	free(js->zout);
	free(js->rec);
	free(js->spans);
	free(js->mini);
	json_tokener_free(js->tok);
	free(js);
}

static int fail(ih_js *js, int code, const char *fmt, const char *detail)
{
	js->err = code;
	snprintf(js->errmsg, sizeof js->errmsg, fmt, detail);
	return code;
}

static int rec_append(ih_js *js, const char *p, size_t n)
{
	if (n == 0 || js->overlong || js->too_deep)
		return 0;
	if (js->len + n > js->max_record) {
		js->overlong = 1;
		return 0;
	}
	if (ih_buf_append(&js->rec, &js->len, &js->cap, 16384, p, n) != 0)
		return fail(js, IH_JS_NOMEM, "out of memory%s", "");
	return 0;
}

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int ih_js_set_members(ih_js *js, const char *const *keys, size_t nkeys)
{
	size_t need = 2;

	free(js->spans);
	js->spans = calloc(nkeys ? nkeys : 1, sizeof *js->spans);
	for (size_t k = 0; k < nkeys; k++)
		need += strlen(keys[k]) + 4;
	free(js->mini);
	js->mini = malloc(need);
	js->mini_cap = need;
	if (js->spans == NULL || js->mini == NULL)
		return IH_JS_NOMEM;
	js->keys = keys;
	js->nkeys = nkeys;
	return 0;
}

/* json-c on p[0..n), the whole text. */
static json_object *full_parse(ih_js *js, const char *p, size_t n, char *why, size_t whylen, int *incomplete)
{
	json_object *obj;
	enum json_tokener_error jerr;

	json_tokener_reset(js->tok);
	obj = json_tokener_parse_ex(js->tok, p, (int)n);
	jerr = json_tokener_get_error(js->tok);
	if (obj == NULL && jerr == json_tokener_continue) {
		/* a bare number needs a delimiter to end */
		obj = json_tokener_parse_ex(js->tok, " ", 1);
		jerr = json_tokener_get_error(js->tok);
	}
	if (obj == NULL && jerr == json_tokener_continue) {
		*incomplete = 1;
		snprintf(why, whylen, "invalid JSON: the value is cut short");
	} else if (obj == NULL) {
		snprintf(why, whylen, "invalid JSON: %s at byte %zu", json_tokener_error_desc(jerr),
			 json_tokener_get_parse_end(js->tok));
	} else {
		size_t end = json_tokener_get_parse_end(js->tok);

		while (end < n && is_space((unsigned char)p[end]))
			end++;
		if (end < n) {
			snprintf(why, whylen, "invalid JSON: data after the value at byte %zu", end);
			json_object_put(obj);
			obj = NULL;
		}
	}
	return obj;
}

/* A member-name problem of ih_skim_names as a reason; 1 when there is one. */
static int names_problem(int rc, const char *p, size_t n, size_t at, const char *inside, char *why, size_t whylen)
{
	size_t e = at + 1;

	if (rc == IH_SKIM_OK)
		return 0;
	while (e < n && e - at < 48 && p[e] != '"')
		e += p[e] == '\\' ? 2 : 1;
	if (e > n)
		e = n;
	if (rc == IH_SKIM_NAMES_DUP)
		snprintf(why, whylen, "a member name appears twice%s%s: %.*s\"", inside ? " in " : "", inside ? inside : "",
			 (int)(e - at), p + at);
	else if (rc == IH_SKIM_NAMES_NUL)
		snprintf(why, whylen, "a member name holds \\u0000%s%s: %.*s\"", inside ? " in " : "", inside ? inside : "",
			 (int)(e - at), p + at);
	else
		snprintf(why, whylen, "out of memory");
	return 1;
}

/*
 * Parse one record.  The skimmer checks the whole text against the JSON
 * grammar first (json-c, even strict, takes comments, single quotes and
 * NaN); then only the chosen members are built by json-c (when members are
 * set, the record is an object and no top-level name holds an escape),
 * else json-c builds everything.  Member names that matter (ih_skim_names:
 * the chosen ones, every name inside their values; every name when no
 * members are set) must not repeat or hold \u0000, since json-c would keep
 * the last copy, or cut the name, silently.  NULL with why when unusable;
 * *incomplete when it is a valid start cut short.
 */
static json_object *parse_record(ih_js *js, const char *p, size_t n, char *why, size_t whylen, int *incomplete)
{
	size_t k = 0, at = 0, len = 1;
	const char *what;
	json_object *obj;
	int rc, dup = -1, use_keys;

	*incomplete = 0;
	why[0] = '\0';
	while (n > 0 && is_space((unsigned char)p[n - 1]))
		n--;
	if (js->overlong) {
		snprintf(why, whylen, "record longer than %zu bytes", js->max_record);
		return NULL;
	}
	if (js->too_deep) {
		snprintf(why, whylen, "invalid JSON: nested deeper than %d levels", IH_JS_MAX_DEPTH);
		return NULL;
	}
	while (k < n && is_space((unsigned char)p[k]))
		k++;
	use_keys = js->keys != NULL && k < n && p[k] == '{';
	rc = ih_skim_ex(p, n, use_keys ? js->keys : NULL, use_keys ? js->nkeys : 0, js->spans, &dup, &at, &what);
	if (rc == IH_SKIM_INCOMPLETE) {
		*incomplete = 1;
		snprintf(why, whylen, "invalid JSON: the value is cut short");
		return NULL;
	}
	if (rc == IH_SKIM_INVALID) {
		snprintf(why, whylen, "invalid JSON: %s at byte %zu", what, at);
		return NULL;
	}
	if (dup >= 0) {
		snprintf(why, whylen, "the member '%s' appears twice", js->keys[dup]);
		return NULL;
	}
	if (!use_keys || rc == IH_SKIM_ESCAPED_KEY) {
		rc = ih_skim_names(p, n, use_keys ? js->keys : NULL, use_keys ? js->nkeys : 0, &at);
		if (names_problem(rc, p, n, at, NULL, why, whylen))
			return NULL;
		return full_parse(js, p, n, why, whylen, incomplete);
	}
	/* the names inside the chosen members' values */
	for (size_t m = 0; m < js->nkeys; m++) {
		const char *v = p + js->spans[m].start;

		if (js->spans[m].len == 0 || (*v != '{' && *v != '['))
			continue;
		rc = ih_skim_names(v, js->spans[m].len, NULL, 0, &at);
		if (names_problem(rc, v, js->spans[m].len, at, js->keys[m], why, whylen))
			return NULL;
	}
	/* the chosen members, as one small object */
	for (size_t m = 0; m < js->nkeys; m++)
		len += strlen(js->keys[m]) + 4 + js->spans[m].len;
	if (len + 2 > js->mini_cap) {
		char *q = realloc(js->mini, len + 2);

		if (q == NULL) {
			snprintf(why, whylen, "out of memory");
			return NULL;
		}
		js->mini = q;
		js->mini_cap = len + 2;
	}
	len = 0;
	js->mini[len++] = '{';
	for (size_t m = 0; m < js->nkeys; m++) {
		size_t kl = strlen(js->keys[m]);

		if (js->spans[m].len == 0)
			continue;
		if (len > 1)
			js->mini[len++] = ',';
		js->mini[len++] = '"';
		memcpy(js->mini + len, js->keys[m], kl);
		len += kl;
		js->mini[len++] = '"';
		js->mini[len++] = ':';
		memcpy(js->mini + len, p + js->spans[m].start, js->spans[m].len);
		len += js->spans[m].len;
	}
	js->mini[len++] = '}';
	obj = full_parse(js, js->mini, len, why, whylen, incomplete);
	*incomplete = 0;
	return obj;
}

/* Parse one record and hand it over. */
static int deliver(ih_js *js, const char *p, size_t n, long recno, int *incomplete)
{
	char why[160];
	json_object *obj = parse_record(js, p, n, why, sizeof why, incomplete);
	int stop = js->fn(js->ud, obj, recno, obj != NULL ? NULL : why);

	json_object_put(obj);
	js->len = 0;
	js->overlong = 0;
	js->too_deep = 0;
	if (stop)
		return fail(js, IH_JS_STOP, "stopped%s", "");
	return 0;
}

/* JSONL: lines, parsed in place when a whole line is in the buffer. */
static int text_jsonl(ih_js *js, const char *p, size_t n)
{
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t seg = nl != NULL ? (size_t)(nl - p) : n;
		int rc, incomplete;

		if (nl == NULL)
			return rec_append(js, p, seg);
		js->recno++;
		if (js->len == 0 && !js->overlong) {
			size_t k = 0;

			while (k < seg && is_space((unsigned char)p[k]))
				k++;
			if (seg > js->max_record)
				js->overlong = 1; /* the same bound as a line gathered from pieces */
			rc = k < seg || js->overlong ? deliver(js, p, seg, js->recno, &incomplete) : 0;
			js->overlong = 0;
		} else {
			rc = rec_append(js, p, seg);
			if (rc == 0) {
				size_t k = 0;

				while (k < js->len && is_space((unsigned char)js->rec[k]))
					k++;
				if (k < js->len || js->overlong)
					rc = deliver(js, js->rec, js->len, js->recno, &incomplete);
				js->len = 0;
				js->overlong = 0;
			}
		}
		if (rc != 0)
			return rc;
		p += seg + 1;
		n -= seg + 1;
	}
	return 0;
}

/* An element with nothing in it ("[,", ",,", ",]"): an unusable record. */
static int empty_element(ih_js *js)
{
	int stop = js->fn(js->ud, NULL, ++js->recno, "empty array element (a comma with no value before it)");

	return stop ? fail(js, IH_JS_STOP, "stopped%s", "") : 0;
}

/*
 * A JSON array: split into elements by depth, outside strings.  Strict
 * about the commas between elements: an empty element ("[,", ",,", or a
 * trailing ",]") is a record of its own, reported unusable, so the
 * element numbers stay those of the array.
 */
static int text_array(ih_js *js, const char *p, size_t n)
{
	size_t i = 0, start = 0;
	int rc, incomplete;

	while (i < n) {
		unsigned char c = (unsigned char)p[i];

		if (js->closed) {
			if (!is_space(c))
				return fail(js, IH_JS_CORRUPT, "data after the closing ']' of the JSON array%s", "");
			i++;
			continue;
		}
		if (js->in_str) {
			for (; i < n; i++) {
				c = (unsigned char)p[i];
				if (js->esc)
					js->esc = 0;
				else if (c == '\\')
					js->esc = 1;
				else if (c == '"') {
					js->in_str = 0;
					i++;
					break;
				}
			}
			continue;
		}
		if (!js->in_elem) {
			if (is_space(c)) {
				i++;
				continue;
			}
			if (c == ',' || (c == ']' && js->after_comma)) {
				if ((rc = empty_element(js)) != 0)
					return rc;
				js->after_comma = c == ',';
				js->closed = c == ']';
				i++;
				continue;
			}
			if (c == ']') { /* "[]", or the end after an element */
				js->closed = 1;
				i++;
				continue;
			}
			js->in_elem = 1;
			start = i;
		}
		if (js->depth == 0 && (c == ',' || c == ']')) {
			rc = rec_append(js, p + start, i - start);
			if (rc == 0)
				rc = deliver(js, js->rec != NULL ? js->rec : "", js->len, ++js->recno, &incomplete);
			if (rc != 0)
				return rc;
			js->in_elem = 0;
			js->after_comma = c == ',';
			js->closed = c == ']';
			i++;
			continue;
		}
		if (c == '"') {
			js->in_str = 1;
		} else if (c == '{' || c == '[') {
			if (++js->depth > IH_JS_MAX_DEPTH && !js->too_deep) {
				/* hopeless: keep counting to find its end, buffer no more */
				js->too_deep = 1;
				js->len = 0;
			}
		} else if ((c == '}' || c == ']') && js->depth > 0) {
			js->depth--;
		}
		i++;
	}
	if (js->in_elem)
		return rec_append(js, p + start, n - start);
	return 0;
}

/* Decompressed (or plain) bytes. */
static int text(ih_js *js, const char *p, size_t n)
{
	static const unsigned char bom[3] = { 0xef, 0xbb, 0xbf };

	if ((long long)n > js->max_out - js->out) {
		char d[96];

		snprintf(d, sizeof d, "%lld bytes (%s)", js->max_out,
			 js->max_out_name != NULL ? js->max_out_name : "the stream's limit");
		return fail(js, IH_JS_TOOBIG, "the decompressed input is larger than %s: stopped", d);
	}
	js->out += (long long)n;
	js->member_out += (long long)n;
	while (js->fmt == IH_JS_UNKNOWN && n > 0) {
		unsigned char c = (unsigned char)*p;

		if (js->text_pos < 3 && js->bom == js->text_pos && c == bom[js->bom]) {
			js->bom++;
		} else if (js->bom > 0 && js->bom < 3) {
			char d[64];

			snprintf(d, sizeof d, "%d of its 3 bytes, then 0x%02x", js->bom, c);
			return fail(js, IH_JS_CORRUPT, "a partial UTF-8 byte-order mark (%s): not UTF-8 JSON", d);
		} else if (c == '[') {
			js->fmt = IH_JS_ARRAY;
		} else if (c == '{') {
			js->fmt = IH_JS_JSONL;
			js->recno = js->lead_lines; /* blank lines before the first record */
			break;
		} else if (c == '\n') {
			js->lead_lines++;
		} else if (!is_space(c)) {
			char d[64];

			snprintf(d, sizeof d, "0x%02x ('%c')", c, c >= 0x20 && c < 0x7f ? c : '?');
			return fail(js, IH_JS_CORRUPT,
				    "neither a JSON array nor JSONL: the first character is %s, expected '[' or '{'", d);
		}
		js->text_pos++;
		p++;
		n--;
	}
	if (n == 0)
		return 0;
	return js->fmt == IH_JS_JSONL ? text_jsonl(js, p, n) : text_array(js, p, n);
}

static int inflate_bytes(ih_js *js, const unsigned char *p, size_t n)
{
	int more_out = 0;

	js->z.next_in = (unsigned char *)p;
	js->z.avail_in = (uInt)n;
	while (js->z.avail_in > 0 || more_out) {
		int zr, rc;
		size_t got;

		if (js->z_ended) {
			if (js->z.avail_in == 0)
				break;
			/* only another gzip member may follow (what `cat a.gz b.gz`
			 * gives); not a zlib or raw stream, nor trailing bytes */
			inflateReset2(&js->z, 15 + 16);
			js->z_ended = 0;
			js->member_out = 0;
		}
		js->z.next_out = js->zout;
		js->z.avail_out = ZOUT_SIZE;
		zr = inflate(&js->z, Z_NO_FLUSH);
		got = ZOUT_SIZE - js->z.avail_out;
		more_out = js->z.avail_out == 0;
		if (got > 0 && (rc = text(js, (const char *)js->zout, got)) != 0)
			return rc;
		if (zr == Z_STREAM_END) {
			js->z_ended = 1;
			js->members++;
			more_out = 0;
		} else if (zr == Z_DATA_ERROR && js->members > 0 && js->member_out == 0 && got == 0) {
			js->err = IH_JS_CORRUPT;
			snprintf(js->errmsg, sizeof js->errmsg,
				 "gzip: the data after member %ld is not another gzip member (%s): a zlib stream, or trailing "
				 "bytes", js->members, js->z.msg != NULL ? js->z.msg : "bad header");
			return js->err;
		} else if (zr == Z_BUF_ERROR) {
			if (got == 0)
				break;
		} else if (zr == Z_MEM_ERROR) {
			return fail(js, IH_JS_NOMEM, "gzip: out of memory%s", "");
		} else if (zr != Z_OK) {
			return fail(js, IH_JS_CORRUPT, "gzip data is corrupt: %s",
				    js->z.msg != NULL ? js->z.msg : "bad data");
		}
	}
	return 0;
}

int ih_js_feed(ih_js *js, const void *data, size_t n, char *err, size_t errlen)
{
	const unsigned char *p = data;
	int rc = 0;

	if (js->err == 0 && n > 0) {
		js->in += (long long)n;
		if (js->gz < 0) {
			unsigned char two[2];

			if (!js->have_first && n == 1) {
				js->first = p[0];
				js->have_first = 1;
				return 0;
			}
			two[0] = js->have_first ? js->first : p[0];
			two[1] = js->have_first ? p[0] : p[1];
			js->gz = two[0] == 0x1f && two[1] == 0x8b;
			if (js->gz) {
				js->zout = malloc(ZOUT_SIZE);
				if (js->zout == NULL || inflateInit2(&js->z, 15 + 16) != Z_OK)
					rc = fail(js, IH_JS_NOMEM, "gzip: out of memory%s", "");
				else
					js->z_init = 1;
			}
			if (rc == 0 && js->have_first) {
				js->have_first = 0;
				rc = js->gz ? inflate_bytes(js, &js->first, 1) : text(js, (const char *)&js->first, 1);
			}
		}
		if (rc == 0)
			rc = js->gz ? inflate_bytes(js, p, n) : text(js, (const char *)p, n);
	}
	if (js->err != 0 && err != NULL)
		snprintf(err, errlen, "%s", js->errmsg);
	return js->err;
}

int ih_js_finish(ih_js *js, char *err, size_t errlen)
{
	int incomplete = 0;
	char d[64];

	if (js->err == 0 && js->have_first) {
		js->have_first = 0;
		js->gz = 0;
		text(js, (const char *)&js->first, 1);
	}
	if (js->err != 0) {
		/* already failed */
	} else if (js->gz == 1 && !js->z_ended) {
		snprintf(d, sizeof d, "%lld", js->in);
		fail(js, IH_JS_TRUNCATED, "the gzip stream ends early (after %s compressed bytes): the file is truncated", d);
	} else if (js->fmt == IH_JS_UNKNOWN) {
		fail(js, IH_JS_CORRUPT, "the input holds no JSON%s", "");
	} else if (js->fmt == IH_JS_ARRAY && !js->closed) {
		snprintf(d, sizeof d, "%ld", js->recno + (js->in_elem ? 1 : 0));
		fail(js, IH_JS_TRUNCATED, "the JSON array is not closed (element %s is the last one seen): truncated", d);
	} else if (js->fmt == IH_JS_JSONL && (js->len > 0 || js->overlong)) {
		size_t k = 0;

		while (k < js->len && is_space((unsigned char)js->rec[k]))
			k++;
		if (k < js->len || js->overlong) {
			/* a last line without its newline: take it when complete */
			char why[160];
			json_object *o;

			js->recno++;
			o = parse_record(js, js->rec, js->len, why, sizeof why, &incomplete);
			json_object_put(o);
			if (incomplete) {
				snprintf(d, sizeof d, "%ld", js->recno);
				fail(js, IH_JS_TRUNCATED, "line %s is cut short at the end of the input: truncated", d);
			} else {
				deliver(js, js->rec, js->len, js->recno, &incomplete);
			}
		}
	}
	if (js->err != 0 && err != NULL)
		snprintf(err, errlen, "%s", js->errmsg);
	return js->err;
}

ih_js_format ih_js_get_format(const ih_js *js)
{
	return js->fmt;
}

int ih_js_is_gzip(const ih_js *js)
{
	return js->gz == 1;
}

const char *ih_js_describe(const ih_js *js)
{
	if (js->fmt == IH_JS_JSONL)
		return js->gz == 1 ? "gzip JSONL" : "JSONL";
	if (js->fmt == IH_JS_ARRAY)
		return js->gz == 1 ? "gzip JSON array" : "JSON array";
	return js->gz == 1 ? "gzip" : "unknown";
}

long long ih_js_bytes_in(const ih_js *js)
{
	return js->in;
}

long long ih_js_bytes_out(const ih_js *js)
{
	return js->out;
}
