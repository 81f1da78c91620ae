/*
 * jsonstream -- records out of a byte stream of JSON, whatever its shape.
 *
 * Bytes are pushed in as they arrive (a read() loop, a libcurl write
 * callback).  The stream is told apart by content, never by name: gzip
 * (magic 1f 8b; zlib's inflate with automatic header detection, members
 * may be concatenated) or plain; then, at the first non-space character
 * (after an optional UTF-8 BOM), '[' a JSON array whose elements are the
 * records, '{' JSONL with one record a line.  Each record is parsed with
 * json-c and handed to a callback with its number (the line for JSONL, the
 * 1-based element index for an array) or with the reason it is unusable.
 *
 * Memory is flat: a fixed inflate window and output buffer, and one record
 * buffer that grows to the longest record, capped by max_record (a longer
 * record is reported as unusable and skipped, however it arrived).  The
 * decompressed bytes are capped too (ih_js_set_max_bytes, 64 GiB unless
 * set), which also bounds every counter.  One thread at a time.
 *
 * Strict where leniency would hide damage: every record is checked against
 * the JSON grammar (RFC 8259) before json-c builds it; a member name that
 * matters (ih_js_set_members) must not repeat or hold \u0000; a byte-order
 * mark is whole or absent; between array elements exactly one comma (an
 * empty element, "[,{...},]", is an unusable record of its own); after a
 * gzip member only another gzip member may follow (not zlib data, not
 * trailing bytes: the stream is corrupt).
 */
#ifndef IH_JSONSTREAM_H
#define IH_JSONSTREAM_H

#include <stddef.h>
#include <json-c/json.h>

enum {
	IH_JS_STOP = -1,      /* the callback asked to stop */
	IH_JS_CORRUPT = -2,   /* bad gzip data, or neither a JSON array nor JSONL */
	IH_JS_TRUNCATED = -3, /* the stream ended early (gzip, array or last line) */
	IH_JS_NOMEM = -4,
	IH_JS_TOOBIG = -5     /* more decompressed bytes than ih_js_set_max_bytes allows */
};

/* An array element nesting deeper than this is unusable (the skimmer's own bound). */
#define IH_JS_MAX_DEPTH 64

typedef enum ih_js_format {
	IH_JS_UNKNOWN = 0,
	IH_JS_JSONL,
	IH_JS_ARRAY
} ih_js_format;

/*
 * Called once per record.  obj is the parsed value (borrowed: freed after
 * the call; take a reference to keep it), or NULL with `why` saying what is
 * wrong with the record.  recno: the line (JSONL) or element (array)
 * number, from 1.  Return 0 to go on, non-zero to stop the stream.
 */
typedef int (*ih_js_record_fn)(void *ud, json_object *obj, long recno, const char *why);

typedef struct ih_js ih_js;

/* A new stream; max_record 0 means 16 MiB.  NULL when out of memory. */
ih_js *ih_js_new(ih_js_record_fn fn, void *ud, size_t max_record);
void ih_js_free(ih_js *js);

/*
 * Build only these top-level members of object records (keys borrowed,
 * must outlive the stream); the rest of each record is still checked
 * against the JSON grammar, so invalid JSON anywhere is still reported.
 * A record naming one of them twice, or with a name repeated in an object
 * inside their values, is unusable; without members, a name repeated in
 * any object of the record is.  0 or IH_JS_NOMEM.
 */
int ih_js_set_members(ih_js *js, const char *const *keys, size_t nkeys);

/*
 * At most max_out decompressed bytes (<= 0: 64 GiB); beyond, feed stops
 * with IH_JS_TOOBIG and a message naming `name` (borrowed; the config key,
 * say), or "the stream's limit".
 */
void ih_js_set_max_bytes(ih_js *js, long long max_out, const char *name);

/*
 * Push n bytes.  Calls the callback for every record they complete.
 * Returns 0, or IH_JS_STOP / IH_JS_CORRUPT / IH_JS_NOMEM with a message in
 * err; after an error the stream takes nothing more.
 */
int ih_js_feed(ih_js *js, const void *data, size_t n, char *err, size_t errlen);

/*
 * The end of the input: delivers a last line without a newline when it is
 * a complete value.  Returns 0, or IH_JS_TRUNCATED (gzip stream not ended,
 * array not closed, last line cut short), IH_JS_CORRUPT for an empty
 * stream, or an earlier error, with a message in err.
 */
int ih_js_finish(ih_js *js, char *err, size_t errlen);

/* What was detected so far; "gzip JSONL", "JSON array", ... */
ih_js_format ih_js_get_format(const ih_js *js);
int ih_js_is_gzip(const ih_js *js);
const char *ih_js_describe(const ih_js *js);
/* Bytes pushed in, and bytes after decompression. */
long long ih_js_bytes_in(const ih_js *js);
long long ih_js_bytes_out(const ih_js *js);

#endif
