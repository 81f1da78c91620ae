/*
 * import_test -- `import scryfall`: the stream reader on its own (every
 * format, fed in pieces as small as one byte), then the importer against a
 * real PostgreSQL: every format, cards without prices, bad lines, truncated
 * input, reruns, stdin and exit codes through the binary, and --download
 * from a small HTTP responder inside the test.
 */
#include "config.h"

#include <CUnit/CUnit.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "base/conf.h"
#include "store/bulk.h"
#include "import/import_download.h"
#include "import/import_int.h"
#include "import/import_scryfall.h"
#include "import/jsonskim.h"
#include "import/jsonstream.h"
#include "pgtest.h"
#include "testutil.h"

#define DATA IH_TOP_SRCDIR "/tests/data/scryfall/"
#define T1 "2026-09-22T09:00:00Z"
#define T2 "2026-09-23T09:00:00Z"

static char g_dir[64];
static char g_conninfo[512];
static PGconn *g_c;
static int16_t g_mkt;
static int g_mode; /* IH_IMPORT_WRITE_* */

/* ---- files ----------------------------------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (p = malloc((size_t)n + 1)) != NULL) {
		*len = fread(p, 1, (size_t)n, f);
		p[*len] = '\0';
	}
	fclose(f);
	return p;
}

static void spit(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT(fwrite(p, 1, n, f) == n);
	fclose(f);
}

static void expect_in(const char *text, const char *needle)
{
	if (strstr(text, needle) == NULL)
		printf("\n  expected '%s' in: %s\n", needle, text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, needle));
}

/* gzip of p into a malloc'd buffer. */
static unsigned char *gz(const char *p, size_t n, size_t *outlen)
{
	z_stream z;
	size_t cap = n + 1024;
	unsigned char *out = malloc(cap);

	memset(&z, 0, sizeof z);
	deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
	z.next_in = (unsigned char *)p;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	deflate(&z, Z_FINISH);
	*outlen = cap - z.avail_out;
	deflateEnd(&z);
	return out;
}

/* DATA/name, gzipped into g_dir/out; returns the path (static). */
static const char *gz_file(const char *name, const char *out, size_t cut)
{
	static char path[256];
	char src[512];
	size_t n, zn;
	char *p;
	unsigned char *z;

	snprintf(src, sizeof src, DATA "%s", name);
	p = slurp(src, &n);
	CU_ASSERT_FATAL(p != NULL);
	z = gz(p, n, &zn);
	snprintf(path, sizeof path, "%s/%s", g_dir, out);
	spit(path, z, cut > 0 && cut < zn ? cut : zn);
	free(p);
	free(z);
	return path;
}

/* ---- the stream reader alone ----------------------------------------------- */

typedef struct rec_log {
	int ok, bad;
	long last;
	char ids[16][40];
	char why[8][160]; /* the first reasons */
} rec_log;

static int log_rec(void *ud, json_object *obj, long recno, const char *why)
{
	rec_log *l = ud;
	json_object *id;

	l->last = recno;
	if (obj == NULL) {
		if (l->bad < 8)
			snprintf(l->why[l->bad], sizeof l->why[0], "%ld: %s", recno, why);
		l->bad++;
		return 0;
	}
	if (l->ok < 16 && json_object_object_get_ex(obj, "id", &id))
		snprintf(l->ids[l->ok], sizeof l->ids[0], "%s", json_object_get_string(id));
	l->ok++;
	return 0;
}

/* Feed buf in pieces of `step` bytes; returns the finish code. */
static int feed_all(const void *buf, size_t n, size_t step, rec_log *l, ih_js_format *fmt, int *gzip)
{
	ih_js *js = ih_js_new(log_rec, l, 0);
	char err[256];
	int rc = 0;

	memset(l, 0, sizeof *l);
	for (size_t off = 0; off < n && rc == 0; off += step)
		rc = ih_js_feed(js, (const char *)buf + off, n - off < step ? n - off : step, err, sizeof err);
	if (rc == 0)
		rc = ih_js_finish(js, err, sizeof err);
	*fmt = ih_js_get_format(js);
	*gzip = ih_js_is_gzip(js);
	ih_js_free(js);
	return rc;
}

static void test_stream_pieces(void)
{
	static const char *files[] = { "cards.jsonl", "cards_array.json" };
	static const size_t steps[] = { 1, 7, 4096, 1 << 20 };

	for (int f = 0; f < 2; f++) {
		char path[512];
		size_t n, zn;
		char *p;
		unsigned char *z;

		snprintf(path, sizeof path, DATA "%s", files[f]);
		p = slurp(path, &n);
		CU_ASSERT_FATAL(p != NULL);
		z = gz(p, n, &zn);
		for (int g = 0; g < 2; g++)
			for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
				rec_log l;
				ih_js_format fmt;
				int isgz;
				int rc = g ? feed_all(z, zn, steps[s], &l, &fmt, &isgz) : feed_all(p, n, steps[s], &l, &fmt, &isgz);

				CU_ASSERT_EQUAL(rc, 0);
				CU_ASSERT_EQUAL(l.ok, 6);
				CU_ASSERT_EQUAL(l.bad, 0);
				CU_ASSERT_EQUAL(fmt, f == 0 ? IH_JS_JSONL : IH_JS_ARRAY);
				CU_ASSERT_EQUAL(isgz, g);
				CU_ASSERT_STRING_EQUAL(l.ids[0], "1a2b0001-0000-4000-8000-000000000001");
				CU_ASSERT_STRING_EQUAL(l.ids[5], "1a2b0006-0000-4000-8000-000000000006");
			}
		free(p);
		free(z);
	}
}

static void test_stream_edges(void)
{
	rec_log l;
	ih_js_format fmt;
	int isgz;
	/* BOM, CRLF, blank lines, a last line without newline */
	static const char crlf[] = "\xef\xbb\xbf\r\n{\"id\":\"a\"}\r\n\r\n  \n{\"id\":\"b\"}";
	/* strings holding brackets, commas and escaped quotes; nested arrays */
	static const char arr[] = " [ {\"id\":\"x\",\"t\":\"],[{\\\"\"}, {\"id\":\"y\",\"a\":[[1],{\"b\":[]}]} ,"
				  "{\"id\":\"z\"}]  \n";
	static const char bad_arr[] = "[{\"id\":\"x\"}, {oops}, {\"id\":\"z\"}]";
	static const char trunc_arr[] = "[{\"id\":\"x\"}, {\"id\":";
	static const char trunc_line[] = "{\"id\":\"x\"}\n{\"id\":\"y";
	static const char bad_last[] = "{\"id\":\"x\"}\n{\"id\" 5}";
	size_t z1n, z2n;
	unsigned char *z1 = gz("{\"id\":\"m1\"}\n", 12, &z1n), *z2 = gz("{\"id\":\"m2\"}\n", 12, &z2n);
	unsigned char two[256];

	CU_ASSERT_EQUAL(feed_all(crlf, sizeof crlf - 1, 1, &l, &fmt, &isgz), 0);
	CU_ASSERT_EQUAL(l.ok, 2);
	CU_ASSERT_EQUAL(l.last, 5); /* line numbers count every line */
	CU_ASSERT_EQUAL(feed_all(arr, sizeof arr - 1, 3, &l, &fmt, &isgz), 0);
	CU_ASSERT_EQUAL(l.ok, 3);
	CU_ASSERT_STRING_EQUAL(l.ids[2], "z");
	CU_ASSERT_EQUAL(feed_all(bad_arr, sizeof bad_arr - 1, 5, &l, &fmt, &isgz), 0);
	CU_ASSERT_EQUAL(l.ok, 2);
	CU_ASSERT_EQUAL(l.bad, 1);
	CU_ASSERT_EQUAL(feed_all(trunc_arr, sizeof trunc_arr - 1, 5, &l, &fmt, &isgz), IH_JS_TRUNCATED);
	CU_ASSERT_EQUAL(l.ok, 1);
	CU_ASSERT_EQUAL(feed_all(trunc_line, sizeof trunc_line - 1, 64, &l, &fmt, &isgz), IH_JS_TRUNCATED);
	CU_ASSERT_EQUAL(l.ok, 1);
	CU_ASSERT_EQUAL(feed_all(bad_last, sizeof bad_last - 1, 64, &l, &fmt, &isgz), 0);
	CU_ASSERT_EQUAL(l.ok, 1);
	CU_ASSERT_EQUAL(l.bad, 1);
	CU_ASSERT_EQUAL(feed_all("", 0, 1, &l, &fmt, &isgz), IH_JS_CORRUPT);
	CU_ASSERT_EQUAL(feed_all("  \n", 3, 1, &l, &fmt, &isgz), IH_JS_CORRUPT);
	CU_ASSERT_EQUAL(feed_all("<html>", 6, 1, &l, &fmt, &isgz), IH_JS_CORRUPT);
	CU_ASSERT_EQUAL(feed_all("[1] x", 5, 1, &l, &fmt, &isgz), IH_JS_CORRUPT);
	/* two gzip members back to back (what `cat a.gz b.gz` gives) */
	memcpy(two, z1, z1n);
	memcpy(two + z1n, z2, z2n);
	CU_ASSERT_EQUAL(feed_all(two, z1n + z2n, 3, &l, &fmt, &isgz), 0);
	CU_ASSERT_EQUAL(l.ok, 2);
	CU_ASSERT_STRING_EQUAL(l.ids[1], "m2");
	/* corrupt deflate data */
	two[z1n / 2] ^= 0x55;
	two[z1n / 2 + 1] ^= 0x55;
	CU_ASSERT_NOT_EQUAL(feed_all(two, z1n, 64, &l, &fmt, &isgz), 0);
	/* a gzip stream cut short */
	CU_ASSERT_EQUAL(feed_all(z1, z1n - 6, 64, &l, &fmt, &isgz), IH_JS_TRUNCATED);
	free(z1);
	free(z2);
}

/* feed_all with members set and max_record; err gets the message. */
static int feed_opts(const void *buf, size_t n, size_t step, const char *const *keys, size_t nkeys, size_t max_record,
		     rec_log *l, char *err, size_t errlen)
{
	ih_js *js = ih_js_new(log_rec, l, max_record);
	int rc = 0;

	memset(l, 0, sizeof *l);
	err[0] = '\0';
	if (keys != NULL)
		CU_ASSERT_EQUAL(ih_js_set_members(js, keys, nkeys), 0);
	for (size_t off = 0; off < n && rc == 0; off += step)
		rc = ih_js_feed(js, (const char *)buf + off, n - off < step ? n - off : step, err, errlen);
	if (rc == 0)
		rc = ih_js_finish(js, err, errlen);
	ih_js_free(js);
	return rc;
}

/*
 * Issue 14, finding 5 (the importer's part): what the stream accepted
 * before and must not.  Each case below was accepted silently before the
 * fix: empty array elements were skipped, a partial byte-order mark was
 * taken for a whole one, zlib data after a gzip member was inflated as if
 * it were another member.
 */
static void test_stream_strict(void)
{
	static const char empties[] = "[,,{\"id\":\"a\"},,]";
	static const char trailing[] = "[{\"id\":\"a\"},\n]";
	static const char fine[] = "[ {\"id\":\"a\"} , {\"id\":\"b\"} ]";
	static const char half_bom[] = "\xef\xbb[{\"id\":\"a\"}]";
	static const char one_bom[] = "\xef{\"id\":\"a\"}\n";
	static const size_t steps[] = { 1, 3, 1 << 16 };
	unsigned char both[512], zl[128];
	size_t z1n, zln = sizeof zl;
	unsigned char *z1 = gz("{\"id\":\"m1\"}\n", 12, &z1n);
	rec_log l;
	char err[256];

	for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
		/* every empty element is a record of its own, unusable: 5 elements */
		CU_ASSERT_EQUAL(feed_opts(empties, sizeof empties - 1, steps[s], NULL, 0, 0, &l, err, sizeof err), 0);
		CU_ASSERT_EQUAL(l.ok, 1);
		CU_ASSERT_EQUAL(l.bad, 4);
		CU_ASSERT_EQUAL(l.last, 5);
		CU_ASSERT_STRING_EQUAL(l.why[0], "1: empty array element (a comma with no value before it)");
		CU_ASSERT(strncmp(l.why[3], "5: empty array element", 22) == 0);
		CU_ASSERT_EQUAL(feed_opts(trailing, sizeof trailing - 1, steps[s], NULL, 0, 0, &l, err, sizeof err), 0);
		CU_ASSERT_EQUAL(l.ok, 1);
		CU_ASSERT_EQUAL(l.bad, 1);
		CU_ASSERT_EQUAL(l.last, 2);
		CU_ASSERT_EQUAL(feed_opts(fine, sizeof fine - 1, steps[s], NULL, 0, 0, &l, err, sizeof err), 0);
		CU_ASSERT(l.ok == 2 && l.bad == 0);
		CU_ASSERT_EQUAL(feed_opts("[ ]", 3, steps[s], NULL, 0, 0, &l, err, sizeof err), 0);
		CU_ASSERT(l.ok == 0 && l.bad == 0);
		/* a byte-order mark is whole or absent */
		CU_ASSERT_EQUAL(feed_opts(half_bom, sizeof half_bom - 1, steps[s], NULL, 0, 0, &l, err, sizeof err),
				IH_JS_CORRUPT);
		expect_in(err, "a partial UTF-8 byte-order mark (2 of its 3 bytes");
		CU_ASSERT_EQUAL(l.ok, 0);
		CU_ASSERT_EQUAL(feed_opts(one_bom, sizeof one_bom - 1, steps[s], NULL, 0, 0, &l, err, sizeof err),
				IH_JS_CORRUPT);
		CU_ASSERT_EQUAL(l.ok, 0);
	}
	/* after a gzip member, only another gzip member: not zlib data... */
	CU_ASSERT_EQUAL_FATAL(compress2(zl, (uLongf *)&zln, (const Bytef *)"{\"id\":\"zlib\"}\n", 14, 6), Z_OK);
	memcpy(both, z1, z1n);
	memcpy(both + z1n, zl, zln);
	for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
		CU_ASSERT_EQUAL(feed_opts(both, z1n + zln, steps[s], NULL, 0, 0, &l, err, sizeof err), IH_JS_CORRUPT);
		expect_in(err, "gzip: the data after member 1 is not another gzip member");
		CU_ASSERT_EQUAL(l.ok, 1);
		CU_ASSERT_STRING_EQUAL(l.ids[0], "m1");
	}
	/* ...nor trailing bytes */
	memcpy(both + z1n, "\0\0\0\0", 4);
	CU_ASSERT_EQUAL(feed_opts(both, z1n + 4, 64, NULL, 0, 0, &l, err, sizeof err), IH_JS_CORRUPT);
	expect_in(err, "is not another gzip member");
	free(z1);
}

/*
 * Duplicate member names where they matter, names holding \u0000 (json-c
 * cuts a name there, so "id\u0000x" became a second "id"), and the JSON
 * grammar on every path (json-c alone, even strict, takes NaN and single
 * quotes).  Every record marked bad here was accepted before the fix.
 */
static void test_stream_names(void)
{
	static const char *const keys[] = { "id", "prices" };
	static const struct {
		const char *text;
		int ok_with_members, ok_without;
		const char *why; /* with members, when bad */
	} cases[] = {
		{ "{\"id\":\"a\",\"id\":\"b\"}", 0, 0, "the member 'id' appears twice" },
		{ "{\"id\":\"a\",\"prices\":{\"usd\":\"1.00\",\"usd\":\"9.00\"}}", 0, 0,
		  "a member name appears twice in prices: \"usd\"" },
		{ "{\"id\":\"a\",\"prices\":{\"usd\":\"1.00\",\"u\\u0073d\":\"9.00\"}}", 0, 0,
		  "a member name appears twice in prices: \"u\\u0073d\"" },
		{ "{\"i\\u0064\":\"a\",\"id\":\"b\"}", 0, 0, "a member name appears twice: \"id\"" },
		{ "{\"id\\u0000x\":\"a\",\"id\":\"b\"}", 0, 0, "a member name holds \\u0000: \"id\\u0000x\"" },
		{ "{\"id\":\"a\",\"prices\":{\"usd\\u0000\":\"1.00\"}}", 0, 0, "a member name holds \\u0000 in prices" },
		/* names the importer never reads: repeated, no harm done -- but
		 * without members every name matters */
		{ "{\"id\":\"a\",\"legalities\":{\"x\":1,\"x\":2}}", 1, 0, NULL },
		{ "{\"id\":\"a\",\"n\":1,\"n\":2}", 1, 0, NULL },
		{ "{\"id\":\"a\",\"prices\":[{\"k\":1},{\"k\":2}]}", 1, 1, NULL },
		{ "{\"id\":\"a\",\"prices\":{\"usd\":\"1.00\",\"eur\":\"2.00\"}}", 1, 1, NULL },
		{ "{\"id\":\"\\ud83d\\ude00\",\"prices\":{\"\\ud800\":1,\"\\udc00\":2}}", 0, 0,
		  "a member name appears twice in prices" },
		/* the grammar, whatever the path */
		{ "{\"id\":\"a\",\"n\":NaN}", 0, 0, "invalid JSON" },
		{ "{\"i\\u0064\":'a'}", 0, 0, "invalid JSON" },
		{ "{\"id\":\"a\"} // x", 0, 0, "invalid JSON" },
	};
	char line[256], err[256];
	rec_log l;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int n = snprintf(line, sizeof line, "%s\n", cases[i].text);

		for (size_t step = 1; step <= (size_t)n; step += (size_t)n - 1) {
			CU_ASSERT_EQUAL(feed_opts(line, (size_t)n, step, keys, 2, 0, &l, err, sizeof err), 0);
			if (l.ok != cases[i].ok_with_members)
				printf("\n  members: %s: ok %d, bad %d %s\n", cases[i].text, l.ok, l.bad, l.why[0]);
			CU_ASSERT_EQUAL(l.ok, cases[i].ok_with_members);
			if (cases[i].why != NULL && l.bad == 1)
				expect_in(l.why[0], cases[i].why);
			CU_ASSERT_EQUAL(feed_opts(line, (size_t)n, step, NULL, 0, 0, &l, err, sizeof err), 0);
			if (l.ok != cases[i].ok_without)
				printf("\n  no members: %s: ok %d, bad %d %s\n", cases[i].text, l.ok, l.bad, l.why[0]);
			CU_ASSERT_EQUAL(l.ok, cases[i].ok_without);
		}
	}
	/* ih_skim_names on its own: the offset of the second name */
	{
		const char *t = "{\"a\":{\"b\":1,\"c\":2,\"b\":3}}";
		size_t at = 0;

		CU_ASSERT_EQUAL(ih_skim_names(t, strlen(t), NULL, 0, &at), IH_SKIM_NAMES_DUP);
		CU_ASSERT_EQUAL(at, 18);
		CU_ASSERT_EQUAL(ih_skim_names(t, strlen(t), keys, 2, &at), IH_SKIM_OK);
	}
	/* many names in one object: the sorted path */
	{
		char big[4096];
		size_t n = 0, at;

		n += (size_t)snprintf(big + n, sizeof big - n, "{");
		for (int k = 0; k < 200; k++)
			n += (size_t)snprintf(big + n, sizeof big - n, "%s\"k%d\":%d", k ? "," : "", k, k);
		n += (size_t)snprintf(big + n, sizeof big - n, "}");
		CU_ASSERT_EQUAL(ih_skim_names(big, n, NULL, 0, &at), IH_SKIM_OK);
		memcpy(big + n - 1, ",\"k77\":0}", 9);
		n += 8;
		CU_ASSERT_EQUAL(ih_skim_names(big, n, NULL, 0, &at), IH_SKIM_NAMES_DUP);
		CU_ASSERT_EQUAL(at, n - 8);
	}
}

/*
 * Issue 14, finding 7: max_record on every path (a whole line inside one
 * feed skipped it before), and the array splitter's depth.  Its counter
 * was an int that 2^31 unclosed '[' overflowed (UBSan); it is a long long
 * now, bounded by the decompressed bytes (ih_js_set_max_bytes, 64 GiB by
 * default), and an element deeper than IH_JS_MAX_DEPTH is unusable at
 * once, its bytes no longer buffered, the elements after it still read.
 */
static void test_stream_bounds(void)
{
	static const char *const keys[] = { "id" };
	char line[256], deep[512], err[256];
	size_t n, d = 0;
	rec_log l;

	/* a 100-byte line against a 64-byte max_record: whole or in pieces */
	n = (size_t)snprintf(line, sizeof line, "{\"id\":\"a\",\"pad\":\"%080d\"}\n{\"id\":\"b\"}\n", 0);
	for (size_t step = 1; step <= n; step += n - 1) {
		CU_ASSERT_EQUAL(feed_opts(line, n, step, keys, 1, 64, &l, err, sizeof err), 0);
		CU_ASSERT_EQUAL(l.ok, 1);
		CU_ASSERT_EQUAL(l.bad, 1);
		CU_ASSERT_STRING_EQUAL(l.why[0], "1: record longer than 64 bytes");
		CU_ASSERT_STRING_EQUAL(l.ids[0], "b");
	}
	/* an element 65 deep, then a good one */
	deep[d++] = '[';
	for (int k = 0; k < IH_JS_MAX_DEPTH + 1; k++)
		deep[d++] = '[';
	for (int k = 0; k < IH_JS_MAX_DEPTH + 1; k++)
		deep[d++] = ']';
	d += (size_t)snprintf(deep + d, sizeof deep - d, ",{\"id\":\"after\"}]");
	for (size_t step = 1; step <= d; step += d - 1) {
		CU_ASSERT_EQUAL(feed_opts(deep, d, step, keys, 1, 0, &l, err, sizeof err), 0);
		CU_ASSERT_EQUAL(l.bad, 1);
		CU_ASSERT_STRING_EQUAL(l.why[0], "1: invalid JSON: nested deeper than 64 levels");
		CU_ASSERT_EQUAL(l.ok, 1);
		CU_ASSERT_STRING_EQUAL(l.ids[0], "after");
	}
	/* 64 deep is fine for the splitter (the skimmer's bound is the same) */
	d = 0;
	deep[d++] = '[';
	for (int k = 0; k < IH_JS_MAX_DEPTH; k++)
		deep[d++] = '[';
	for (int k = 0; k < IH_JS_MAX_DEPTH; k++)
		deep[d++] = ']';
	deep[d++] = ']';
	CU_ASSERT_EQUAL(feed_opts(deep, d, 7, NULL, 0, 0, &l, err, sizeof err), 0);
	CU_ASSERT(l.ok == 1 && l.bad == 0);
}

/* The decompressed bytes are bounded: a gzip bomb stops with the limit's name. */
static void test_stream_max_bytes(void)
{
	size_t plain_n = 4 << 20, zn;
	char *plain = malloc(plain_n), err[256];
	unsigned char *z;
	ih_js *js;
	rec_log l;
	int rc = 0;

	CU_ASSERT_FATAL(plain != NULL);
	memset(plain, '\n', plain_n);
	memcpy(plain, "{\"id\":\"a\"}", 10);
	z = gz(plain, plain_n, &zn);
	CU_ASSERT(zn < plain_n / 100); /* a bomb: 4 MiB from a few KB */
	memset(&l, 0, sizeof l);
	js = ih_js_new(log_rec, &l, 0);
	ih_js_set_max_bytes(js, 1 << 20, "import.max_decompressed_bytes");
	for (size_t off = 0; off < zn && rc == 0; off += 512)
		rc = ih_js_feed(js, z + off, zn - off < 512 ? zn - off : 512, err, sizeof err);
	if (rc == 0)
		rc = ih_js_finish(js, err, sizeof err);
	CU_ASSERT_EQUAL(rc, IH_JS_TOOBIG);
	expect_in(err, "larger than 1048576 bytes (import.max_decompressed_bytes)");
	CU_ASSERT(ih_js_bytes_out(js) <= 1 << 20);
	CU_ASSERT_EQUAL(ih_js_finish(js, NULL, 0), IH_JS_TOOBIG); /* sticky */
	ih_js_free(js);
	/* under the limit, the same bytes are fine */
	memset(&l, 0, sizeof l);
	js = ih_js_new(log_rec, &l, 0);
	ih_js_set_max_bytes(js, plain_n, "import.max_decompressed_bytes");
	CU_ASSERT_EQUAL(ih_js_feed(js, z, zn, err, sizeof err), 0);
	CU_ASSERT_EQUAL(ih_js_finish(js, err, sizeof err), 0);
	CU_ASSERT_EQUAL(l.ok, 1);
	ih_js_free(js);
	free(z);
	free(plain);
}

/* The skimmer accepts exactly what json-c accepts, on objects. */
static void test_skim_grammar(void)
{
	static const char *const ok[] = {
		"{}", "{\"a\":1}", " { \"a\" : [ 1 , -2.5e+3 , 0 , 0.1E-2 , true , false , null ] } ",
		"{\"a\":\"x\\\"y\\\\z\\/\\b\\f\\n\\r\\t\\u00e9\"}", "{\"a\":{\"b\":{\"c\":[[],{}]}}}",
		"{\"id\":\"x\",\"id\":\"y\"}", "{\"é\":\"ü\"}",
	};
	static const char *const bad[] = {
		"{\"a\":01}", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "{\"a\":tru}x", "{\"a\":[1,]}", "{\"a\":\"\\x\"}",
		"{\"a\":\"\\u12g4\"}", "{\"a\":1}}", "{\"a\":-}", "{\"a\":1.}", "{\"a\":1e}", "{\"a\":[1 2]}",
		"{\"a\":\"tab\there\"}", "{,}", "{\"a\":nul}", "{\"a\":.5}",
	};
	static const char *const cut[] = { "{", "{\"a\"", "{\"a\":", "{\"a\":[1,", "{\"a\":\"xy", "{\"a\":tr",
					   "{\"a\":-", "{\"a\":1.5e", "{\"a\":{\"b\":1}" };
	static const char *const keys[] = { "id", "c" };
	ih_span sp[2];
	size_t at;
	const char *what;

	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		CU_ASSERT_EQUAL(ih_skim(ok[i], strlen(ok[i]), keys, 2, sp, &at, &what), IH_SKIM_OK);
		json_object *o = json_tokener_parse(ok[i]);

		CU_ASSERT(o != NULL);
		json_object_put(o);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc = ih_skim(bad[i], strlen(bad[i]), keys, 2, sp, &at, &what);

		if (rc != IH_SKIM_INVALID)
			printf("\n  skim accepted bad JSON: %s (%d)\n", bad[i], rc);
		CU_ASSERT_EQUAL(rc, IH_SKIM_INVALID);
	}
	for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++)
		CU_ASSERT_EQUAL(ih_skim(cut[i], strlen(cut[i]), keys, 2, sp, &at, &what), IH_SKIM_INCOMPLETE);
	/* the last of a repeated member, nested keys ignored */
	{
		const char *t = "{\"x\":{\"id\":1,\"c\":2},\"id\":\"a\",\"id\":\"bb\",\"c\":[{\"c\":3}]}";

		CU_ASSERT_EQUAL(ih_skim(t, strlen(t), keys, 2, sp, &at, &what), IH_SKIM_OK);
		CU_ASSERT(sp[0].len == 4 && memcmp(t + sp[0].start, "\"bb\"", 4) == 0);
		CU_ASSERT(sp[1].len == 9 && memcmp(t + sp[1].start, "[{\"c\":3}]", 9) == 0);
	}
	CU_ASSERT_EQUAL(ih_skim("{\"i\\u0064\":1}", 13, keys, 2, sp, &at, &what), IH_SKIM_ESCAPED_KEY);
}

/* ---- the importer ---------------------------------------------------------- */

static int init_db(void)
{
	const char *base = getenv("IH_TEST_CONNINFO");
	char err[512];

	if (mkdtemp(strcpy(g_dir, "/tmp/ih-import-test.XXXXXX")) == NULL)
		return -1;
	if (base == NULL || *base == '\0')
		return 0; /* the tests skip */
	if (pgt_fresh_db(base, "ih_import_test", 1, g_conninfo, sizeof g_conninfo) != 0)
		return -1;
	g_c = ih_pg_connect(g_conninfo, 10, err, sizeof err);
	if (g_c == NULL || ih_bulk_ensure_marketplace(g_c, "scryfall", "scryfall", "USD", &g_mkt, err, sizeof err) != 0)
		return -1;
	return 0;
}

static int fini_db(void)
{
	char cmd[128];

	PQfinish(g_c);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static long q(const char *sql)
{
	return pgt_long(g_c, sql);
}

static void wipe(void)
{
	pgt_exec(g_c, "TRUNCATE price_snapshots, cards RESTART IDENTITY");
}

static int run(const char *path, const char *time_iso, size_t chunk, ih_import_stats *st, char *err, size_t errlen)
{
	ih_import_opts o = { .path = path, .time_iso = time_iso, .chunk_cards = chunk, .write_mode = g_mode };

	return ih_import_scryfall(g_c, g_mkt, &o, st, err, errlen);
}

/* Every column of both tables but updated_at, as one text. */
static char *dump(void)
{
	PGresult *r = PQexec(g_c,
			     "SELECT (SELECT string_agg(concat_ws('|', id, scryfall_id, oracle_id, name, set_code, "
			     "collector_number, lang, tcgplayer_id, tcgplayer_etched_id, cardmarket_id, "
			     "cardtrader_blueprint_id, mtgo_id), E'\\n' ORDER BY id) FROM cards) || E'\\n--\\n' || "
			     "(SELECT string_agg(concat_ws('|', time, card_id, marketplace_id, condition, finish, language, "
			     "currency, price, price_low, price_mid, price_high, num_listings, source, is_foil), E'\\n' "
			     "ORDER BY card_id, finish, currency, time) FROM price_snapshots)");
	char *s = strdup(PQresultStatus(r) == PGRES_TUPLES_OK && !PQgetisnull(r, 0, 0) ? PQgetvalue(r, 0, 0) : "");

	PQclear(r);
	return s;
}

static void check_six_cards(void)
{
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM cards"), 6);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM price_snapshots"), 16);
	/* Fable: every id, and its five prices exactly */
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM cards WHERE scryfall_id = '1a2b0001-0000-4000-8000-000000000001' "
			  "AND oracle_id = '0c0f0001-1111-4111-9111-000000000001' AND name = 'Fable of the Test-Breaker' "
			  "AND set_code = 'neo' AND collector_number = '141' AND lang = 'en' AND tcgplayer_id = 262222 "
			  "AND tcgplayer_etched_id IS NULL AND cardmarket_id = 607389 AND mtgo_id = 97210"), 1);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM price_snapshots s JOIN cards c ON c.id = s.card_id "
			  "WHERE c.collector_number = '141' AND s.condition = 'NM' AND s.source = 'scryfall-bulk' AND ("
			  "(finish, currency, price) IN (('nonfoil','USD',18.13), ('foil','USD',18.48), "
			  "('nonfoil','EUR',26.16), ('foil','EUR',27.82), ('nonfoil','TIX',18.89)))"), 5);
	/* every finish priced: seven rows, etched included, in both currencies */
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM price_snapshots s JOIN cards c ON c.id = s.card_id "
			  "WHERE c.tcgplayer_etched_id = 222 AND ((finish, currency, price) IN (('nonfoil','USD',1.00), "
			  "('foil','USD',2.00), ('etched','USD',3.00), ('nonfoil','EUR',4.00), ('foil','EUR',5.00), "
			  "('etched','EUR',6.00), ('nonfoil','TIX',0.07)))"), 7);
	/* every finish, no prices: the card, no snapshot */
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM cards WHERE tcgplayer_etched_id = 223 AND name = 'Every Finish No Prices'"), 1);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM price_snapshots s JOIN cards c ON c.id = s.card_id "
			  "WHERE c.tcgplayer_etched_id = 223"), 0);
	/* the card's language on its snapshots; non-ASCII collector number */
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM price_snapshots s JOIN cards c ON c.id = s.card_id "
			  "WHERE c.collector_number = '97★' AND s.language = 'ja'"), 2);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM cards WHERE name = 'Reversible Without Oracle' AND oracle_id IS NULL"), 1);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM cards WHERE name = E'Tab\\tand \\\\backslash// Name'"), 1);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM price_snapshots WHERE time <> '" T1 "'"), 0);
}

static void test_formats(void)
{
	const char *paths[4];
	static const char *const names[4] = { "JSONL", "gzip JSONL", "JSON array", "gzip JSON array" };
	char p0[256], p2[256], p1[256], p3[256];
	ih_import_stats st;
	char err[512];

	if (ih_test_conninfo_or_skip("import formats") == NULL)
		return;
	snprintf(p0, sizeof p0, DATA "cards.jsonl");
	snprintf(p1, sizeof p1, "%s", gz_file("cards.jsonl", "cards.jsonl.gz", 0));
	snprintf(p2, sizeof p2, DATA "cards_array.json");
	/* the name says nothing: a gzip array named .json */
	snprintf(p3, sizeof p3, "%s", gz_file("cards_array.json", "misnamed.json", 0));
	paths[0] = p0;
	paths[1] = p1;
	paths[2] = p2;
	paths[3] = p3;
	for (int i = 0; i < 12; i++) {
		g_mode = i / 4; /* COPY, ONE, BULK */
		wipe();
		CU_ASSERT_EQUAL(run(paths[i % 4], T1, i % 4 >= 2 ? 1 : 0, &st, err, sizeof err), 0);
		CU_ASSERT_STRING_EQUAL(st.format, names[i % 4]);
		CU_ASSERT_EQUAL(st.cards_read, 6);
		CU_ASSERT_EQUAL(st.cards_written, 6);
		CU_ASSERT_EQUAL(st.snapshots_written, 16);
		CU_ASSERT_EQUAL(st.rejected, 0);
		CU_ASSERT(st.reached_end);
		check_six_cards();
	}
	g_mode = IH_IMPORT_WRITE_COPY;
}

static void test_bad_lines(void)
{
	ih_import_stats st;
	char err[512];

	if (ih_test_conninfo_or_skip("bad lines") == NULL)
		return;
	wipe();
	CU_ASSERT_EQUAL(run(DATA "bad_lines.jsonl", T1, 0, &st, err, sizeof err), 0);
	CU_ASSERT_EQUAL(st.cards_written, 3);
	CU_ASSERT_EQUAL(st.rejected, 5);
	CU_ASSERT_EQUAL(st.snapshots_written, 3);
	CU_ASSERT_EQUAL(st.nreasons, IH_IMPORT_MAX_REASONS);
	CU_ASSERT(strncmp(st.reasons[0], "line 2: invalid JSON", 20) == 0);
	CU_ASSERT_STRING_EQUAL(st.reasons[1], "line 4: 'id' is missing");
	CU_ASSERT(strncmp(st.reasons[2], "line 5: 'id' is not a uuid", 26) == 0);
	CU_ASSERT(strncmp(st.reasons[3], "line 6: 'tcgplayer_id' is not an integer", 40) == 0);
	CU_ASSERT(strncmp(st.reasons[4], "line 8: not a JSON object (array)", 33) == 0);
	/* a price of the wrong type costs the price, not the card */
	CU_ASSERT_EQUAL(st.prices_rejected, 1);
	CU_ASSERT_STRING_EQUAL(st.price_reasons[0], "line 7: 'prices.usd' is not a string (double)");
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM cards WHERE name IN ('Good One', 'Good Two', 'Wrong Price')"), 3);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM cards"), 3);
}

static void test_truncated(void)
{
	ih_import_stats st;
	char err[512], path[256], *full;
	size_t n;
	long kept;

	if (ih_test_conninfo_or_skip("truncated input") == NULL)
		return;
	/* gzip cut at two thirds, one card per chunk: chunks committed before
	 * the cut stay, the import reports the truncation */
	wipe();
	snprintf(path, sizeof path, "%s", gz_file("cards.jsonl", "cut.jsonl.gz", 0));
	full = slurp(path, &n);
	CU_ASSERT_FATAL(full != NULL);
	free(full);
	snprintf(path, sizeof path, "%s", gz_file("cards.jsonl", "cut.jsonl.gz", n * 2 / 3));
	CU_ASSERT_EQUAL(run(path, T1, 1, &st, err, sizeof err), IH_IMPORT_ERR_INPUT);
	CU_ASSERT(strstr(err, "gzip stream ends early") != NULL);
	CU_ASSERT(!st.reached_end);
	kept = q("SELECT count(*) FROM cards");
	CU_ASSERT(kept >= 1 && kept < 6);
	CU_ASSERT_EQUAL(kept, st.cards_written);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM price_snapshots"), st.snapshots_written);
	/* the rerun of the whole file converges */
	CU_ASSERT_EQUAL(run(DATA "cards.jsonl", T1, 1, &st, err, sizeof err), 0);
	check_six_cards();

	/* plain JSONL whose last line is cut: an error, the lines before it kept */
	wipe();
	full = slurp(DATA "cards.jsonl", &n);
	snprintf(path, sizeof path, "%s/cut.jsonl", g_dir);
	spit(path, full, n - 40);
	CU_ASSERT_EQUAL(run(path, T1, 0, &st, err, sizeof err), IH_IMPORT_ERR_INPUT);
	CU_ASSERT(strstr(err, "line 6 is cut short") != NULL);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM cards"), 5);
	/* an array without its end */
	wipe();
	free(full);
	full = slurp(DATA "cards_array.json", &n);
	snprintf(path, sizeof path, "%s/cut.json", g_dir);
	spit(path, full, n - 100);
	CU_ASSERT_EQUAL(run(path, T1, 0, &st, err, sizeof err), IH_IMPORT_ERR_INPUT);
	CU_ASSERT(strstr(err, "not closed") != NULL);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM cards"), 5);
	free(full);
}

static void test_rerun(void)
{
	ih_import_stats st;
	char err[512], *a, *b;

	if (ih_test_conninfo_or_skip("rerun") == NULL)
		return;
	wipe();
	CU_ASSERT_EQUAL(run(DATA "cards.jsonl", T1, 2, &st, err, sizeof err), 0);
	CU_ASSERT_EQUAL(st.upserting, 0); /* a fresh time: snapshots COPYed straight in */
	a = dump();
	/* the same time again: the first chunk's COPY meets its rows, is rolled
	 * back and written again as an upsert, and so is the rest */
	CU_ASSERT_EQUAL(run(DATA "cards.jsonl", T1, 2, &st, err, sizeof err), 0);
	CU_ASSERT_EQUAL(st.upserting, 1);
	CU_ASSERT_EQUAL(st.cards_written, 6);
	CU_ASSERT_EQUAL(st.snapshots_written, 16);
	CU_ASSERT_EQUAL(run(gz_file("cards_array.json", "again.gz", 0), T1, 0, &st, err, sizeof err), 0);
	CU_ASSERT_EQUAL(st.upserting, 1);
	b = dump();
	CU_ASSERT_STRING_EQUAL(a, b);
	CU_ASSERT(strlen(a) > 100);
	free(a);
	free(b);
	/* a later import adds the later prices, never another card */
	CU_ASSERT_EQUAL(run(DATA "cards.jsonl", T2, 0, &st, err, sizeof err), 0);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM cards"), 6);
	CU_ASSERT_EQUAL(q("SELECT count(DISTINCT scryfall_id) FROM cards"), 6);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM price_snapshots"), 32);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM price_snapshots WHERE time = '" T2 "'"), 16);
}

/* A chunk the database refuses: the import stops, earlier chunks stay, the
 * reader thread is stopped rather than left blocked on the full queue. */
static void test_db_refuses(void)
{
	ih_import_stats st;
	char err[512];

	if (ih_test_conninfo_or_skip("database refuses a chunk") == NULL)
		return;
	wipe();
	CU_ASSERT_FATAL(pgt_exec(g_c, "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
				      "IF NEW.collector_number = '1000' THEN RAISE EXCEPTION 'boom on %', NEW.name; END IF; "
				      "RETURN NEW; END $$; "
				      "CREATE TRIGGER boom BEFORE INSERT ON cards FOR EACH ROW EXECUTE FUNCTION boom()") == 0);
	for (int mode = IH_IMPORT_WRITE_COPY; mode <= IH_IMPORT_WRITE_BULK; mode++) {
		g_mode = mode;
		wipe();
		CU_ASSERT_EQUAL(run(DATA "cards.jsonl", T1, 2, &st, err, sizeof err), IH_IMPORT_ERR_DB);
		CU_ASSERT(strstr(err, "boom on Every Finish No Prices") != NULL);
		CU_ASSERT_EQUAL(st.cards_written, 2);
		CU_ASSERT_EQUAL(q("SELECT count(*) FROM cards"), 2);
		CU_ASSERT_EQUAL(q("SELECT count(*) FROM price_snapshots"), 12);
	}
	g_mode = IH_IMPORT_WRITE_COPY;
	pgt_exec(g_c, "DROP TRIGGER boom ON cards; DROP FUNCTION boom()");
}

/* Bytes PostgreSQL would refuse are a rejected line, not a failed chunk. */
static void test_bad_text(void)
{
	static const char text[] =
		"{\"object\":\"card\",\"id\":\"1a2b0031-0000-4000-8000-000000000031\",\"name\":\"Bad \xff byte\","
		"\"set\":\"x\",\"collector_number\":\"1\",\"lang\":\"en\"}\n"
		"{\"object\":\"card\",\"id\":\"1a2b0032-0000-4000-8000-000000000032\",\"name\":\"Nul \\u0000 here\","
		"\"set\":\"x\",\"collector_number\":\"2\",\"lang\":\"en\"}\n"
		"{\"object\":\"card\",\"id\":\"1a2b0033-0000-4000-8000-000000000033\",\"name\":\"Fine \\u00e9\","
		"\"set\":\"x\",\"collector_number\":\"3\",\"lang\":\"en\",\"prices\":{\"usd\":\"1e3\"}}\n"
		"{\"object\":\"card\",\"id\":\"1a2b0034-0000-4000-8000-000000000034\",\"name\":\"Fine \\u00e9\","
		"\"set\":\"x\",\"collector_number\":\"4\",\"lang\":\"en\",\"prices\":{\"usd\":\"0.25\"}}\n"
		/* an id written as 0 means none; a negative one is wrong */
		"{\"object\":\"card\",\"id\":\"1a2b0035-0000-4000-8000-000000000035\",\"name\":\"Zero\",\"mtgo_id\":0,"
		"\"set\":\"x\",\"collector_number\":\"5\",\"lang\":\"en\"}\n"
		"{\"object\":\"card\",\"id\":\"1a2b0036-0000-4000-8000-000000000036\",\"name\":\"Neg\",\"mtgo_id\":-5,"
		"\"set\":\"x\",\"collector_number\":\"6\",\"lang\":\"en\"}\n";
	ih_import_stats st;
	char err[512], path[256];

	if (ih_test_conninfo_or_skip("bad text") == NULL)
		return;
	wipe();
	snprintf(path, sizeof path, "%s/text.jsonl", g_dir);
	spit(path, text, sizeof text - 1);
	CU_ASSERT_EQUAL(run(path, T1, 0, &st, err, sizeof err), 0);
	CU_ASSERT_EQUAL(st.rejected, 3);
	CU_ASSERT_STRING_EQUAL(st.reasons[2], "line 6: 'mtgo_id' is out of range (-5)");
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM cards WHERE name = 'Zero' AND mtgo_id IS NULL"), 1);
	CU_ASSERT_STRING_EQUAL(st.reasons[0], "line 1: 'name' is not valid UTF-8");
	CU_ASSERT_STRING_EQUAL(st.reasons[1], "line 2: 'name' holds a NUL character");
	/* a price that is not a decimal: the card without it */
	CU_ASSERT_EQUAL(st.prices_rejected, 1);
	CU_ASSERT_STRING_EQUAL(st.price_reasons[0], "line 3: 'prices.usd' = '1e3' is not a decimal number");
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM cards WHERE name = 'Fine é'"), 2);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM price_snapshots"), 1);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM price_snapshots WHERE price = 0.25"), 1);
}

/*
 * Issue 14, finding 4: text after an embedded \u0000 was silently dropped:
 * "1.50\u0000junk" was stored as 1.50, and "card\u0000x" passed as a card
 * object.  Every string the importer reads is now taken whole or not at
 * all: a price with a NUL is rejected alone (counted, named), any other
 * field with one rejects its card.  The first two lines failed before.
 */
static void test_nul_values(void)
{
	static const char text[] =
		"{\"object\":\"card\",\"id\":\"1a2b0041-0000-4000-8000-000000000041\",\"name\":\"Nul Price\",\"set\":\"x\","
		"\"collector_number\":\"1\",\"lang\":\"en\",\"prices\":{\"usd\":\"1.50\\u0000junk\",\"eur\":\"2.00\"}}\n"
		"{\"object\":\"card\\u0000x\",\"id\":\"1a2b0042-0000-4000-8000-000000000042\",\"name\":\"Nul Object\",\"set\":\"x\","
		"\"collector_number\":\"2\",\"lang\":\"en\"}\n"
		"{\"object\":\"card\",\"id\":\"1a2b0043-0000-4000-8000-000000000043\\u0000x\",\"name\":\"Nul Id\",\"set\":\"x\","
		"\"collector_number\":\"3\",\"lang\":\"en\"}\n"
		"{\"object\":\"card\",\"id\":\"1a2b0044-0000-4000-8000-000000000044\",\"name\":\"Nul Lang\",\"set\":\"x\","
		"\"collector_number\":\"4\",\"lang\":\"en\\u0000x\"}\n"
		"{\"object\":\"card\",\"id\":\"1a2b0045-0000-4000-8000-000000000045\",\"name\":\"Nul Key\",\"set\":\"x\","
		"\"collector_number\":\"5\",\"lang\":\"en\",\"prices\":{\"usd\\u0000\":\"3.00\"}}\n";
	ih_import_stats st;
	char err[512], path[256];

	if (ih_test_conninfo_or_skip("NUL inside values") == NULL)
		return;
	wipe();
	snprintf(path, sizeof path, "%s/nul.jsonl", g_dir);
	spit(path, text, sizeof text - 1);
	CU_ASSERT_EQUAL(run(path, T1, 0, &st, err, sizeof err), 0);
	CU_ASSERT_EQUAL(st.cards_written, 1);
	CU_ASSERT_EQUAL(st.prices_rejected, 1);
	CU_ASSERT_STRING_EQUAL(st.price_reasons[0], "line 1: 'prices.usd' = '1.50...' holds a NUL character");
	CU_ASSERT_EQUAL(st.rejected, 4);
	CU_ASSERT(strncmp(st.reasons[0], "line 2: not a card object", 25) == 0);
	CU_ASSERT_STRING_EQUAL(st.reasons[1], "line 3: 'id' holds a NUL character");
	CU_ASSERT_STRING_EQUAL(st.reasons[2], "line 4: 'lang' holds a NUL character");
	CU_ASSERT(strncmp(st.reasons[3], "line 5: a member name holds \\u0000 in prices", 44) == 0);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM price_snapshots"), 1);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM price_snapshots WHERE currency = 'EUR' AND price = 2.00"), 1);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM cards WHERE name LIKE 'Nul %'"), 1);
}

/* The same card again in one file: one card, its last prices. */
static void test_duplicate_in_file(void)
{
	ih_import_stats st;
	char err[512], path[256], *p, *q2;
	size_t n;

	if (ih_test_conninfo_or_skip("duplicates in one file") == NULL)
		return;
	wipe();
	p = slurp(DATA "cards.jsonl", &n);
	q2 = malloc(2 * n + 1);
	memcpy(q2, p, n);
	memcpy(q2 + n, p, n);
	/* the second copy of Fable is cheaper */
	{
		char *second = strstr(q2 + n, "\"usd\": \"18.13\"");

		CU_ASSERT_FATAL(second != NULL);
		memcpy(second, "\"usd\": \"11.11\"", 14);
	}
	snprintf(path, sizeof path, "%s/dup.jsonl", g_dir);
	spit(path, q2, 2 * n);
	/* both copies in one chunk, then in different chunks (the second copy
	 * of Fable meets the first one's rows and turns the import to upserts) */
	for (size_t chunk = 0; chunk <= 4; chunk += 4) {
		wipe();
		CU_ASSERT_EQUAL(run(path, T1, chunk, &st, err, sizeof err), 0);
		CU_ASSERT_EQUAL(st.upserting, chunk != 0);
		CU_ASSERT_EQUAL(q("SELECT count(*) FROM cards"), 6);
		CU_ASSERT_EQUAL(q("SELECT count(*) FROM price_snapshots"), 16);
		CU_ASSERT_EQUAL(q("SELECT count(*) FROM price_snapshots WHERE price = 11.11 AND currency = 'USD'"), 1);
		CU_ASSERT_EQUAL(q("SELECT count(*) FROM price_snapshots WHERE price = 18.13 AND currency = 'USD'"), 0);
	}
	free(p);
	free(q2);
}

/* The real capture of one card (a copy the project ships), as a legacy array. */
static void test_shared_fixture(void)
{
	const char *fx = IH_TOP_SRCDIR "/tests/data/scryfall/card_neo_141.json";
	ih_import_stats st;
	char err[512], path[256], *p, *arr;
	size_t n;

	if (ih_test_conninfo_or_skip("shared fixture") == NULL)
		return;
	p = slurp(fx, &n);
	if (p == NULL) {
		CU_FAIL("tests/data/scryfall/card_neo_141.json is missing");
		return;
	}
	wipe();
	arr = malloc(n + 4);
	arr[0] = '[';
	memcpy(arr + 1, p, n);
	memcpy(arr + 1 + n, "]\n", 2);
	snprintf(path, sizeof path, "%s/fable.json", g_dir);
	spit(path, arr, n + 3);
	CU_ASSERT_EQUAL(run(path, T1, 0, &st, err, sizeof err), 0);
	CU_ASSERT_EQUAL(st.cards_written, 1);
	CU_ASSERT_EQUAL(st.snapshots_written, 5);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM cards WHERE scryfall_id = '24c0d87b-0049-4beb-b9cb-6f813b7aa7dc' "
			  "AND tcgplayer_id = 262222 AND cardmarket_id = 607389 AND mtgo_id = 97210 AND set_code = 'neo' "
			  "AND collector_number = '141'"), 1);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM price_snapshots WHERE finish = 'foil' AND currency = 'EUR' AND price = 27.82"), 1);
	free(p);
	free(arr);
}

/* ---- the binary: stdin, exit codes ------------------------------------------- */

static int sh(const char *fmt, const char *a, const char *b)
{
	char cmd[2048];
	int st;

	snprintf(cmd, sizeof cmd, fmt, a, b);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void write_conf(const char *name, const char *conninfo, const char *base_url)
{
	char path[256], text[1024];
	int n = snprintf(text, sizeof text, "database: { conninfo = \"%s\"; connect_timeout = 3; };\n%s%s%s", conninfo,
			 base_url ? "plugins: { scryfall: { base_url = \"" : "", base_url ? base_url : "",
			 base_url ? "\"; }; };\n" : "");

	snprintf(path, sizeof path, "%s/%s", g_dir, name);
	spit(path, text, (size_t)n);
}

static void test_binary(void)
{
	char conf[256], bad[256];
	const char *bin = IH_TOP_BUILDDIR "/ingesthost";

	if (ih_test_conninfo_or_skip("binary") == NULL)
		return;
	write_conf("ok.conf", g_conninfo, NULL);
	write_conf("down.conf", "host=127.0.0.1 port=1 dbname=x", NULL);
	snprintf(conf, sizeof conf, "%s/ok.conf", g_dir);
	snprintf(bad, sizeof bad, "%s/down.conf", g_dir);
	wipe();
	/* stdin, gzip */
	CU_ASSERT_EQUAL(sh("gzip -c " DATA "cards.jsonl | '%s' -c '%s' import scryfall - 2>/dev/null", bin, conf), 0);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM cards"), 6);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM price_snapshots"), 16);
	/* rejected lines: still 0, the summary says so */
	CU_ASSERT_EQUAL(sh("'%s' -c '%s' import scryfall " DATA "bad_lines.jsonl 2>&1 | grep -q '5 rejected (line 2: '", bin,
			   conf), 0);
	/* truncated: 3; missing file: 1; database down: 2 */
	CU_ASSERT_EQUAL(sh("head -c 3000 " DATA "cards.jsonl | '%s' -c '%s' import scryfall - 2>/dev/null", bin, conf), 3);
	CU_ASSERT_EQUAL(sh("'%s' -c '%s' import scryfall /nonexistent/file.jsonl 2>/dev/null", bin, conf), 1);
	CU_ASSERT_EQUAL(sh("'%s' -c '%s' import scryfall " DATA "cards.jsonl 2>/dev/null", bin, bad), 2);
	/* the summary goes to stderr, nothing to stdout */
	CU_ASSERT_EQUAL(sh("test -z \"$('%s' -c '%s' import scryfall " DATA "cards.jsonl 2>/dev/null)\"", bin, conf), 0);
}

/* A minimal card line: id number i, its usd price text as JSON (a quoted
 * string, or anything), written into buf. */
static int card_line(char *buf, size_t len, unsigned i, const char *usd_json)
{
	return snprintf(buf, len,
			"{\"object\":\"card\",\"id\":\"%08x-0000-4000-8000-%012x\",\"name\":\"Card %u\",\"set\":\"tst\","
			"\"collector_number\":\"%u\",\"lang\":\"en\",\"prices\":{\"usd\":%s,\"eur\":\"0.50\"}}\n",
			0x5e000000u + i, i, i, i, usd_json);
}

/*
 * Issue 14, finding 1: 2,000 good cards and one whose usd price
 * (9999999999.995) PostgreSQL would round out of numeric(12,2).  Before
 * the fix the price passed the check, the COPY of the chunk failed with
 * "numeric field overflow", exit 3, no card written.  Now the import ends
 * normally: all 2,001 cards (the card itself is fine), every other price,
 * and the one price rejected, counted and named -- in every write mode,
 * and through the binary (exit 0, the summary names the price).
 */
#define GOOD_CARDS 2000
static void test_bad_price_alone(void)
{
	char err[512], path[256], conf[256], line[512];
	const char *bin = IH_TOP_BUILDDIR "/ingesthost";
	ih_import_stats st;
	FILE *f;

	if (ih_test_conninfo_or_skip("one bad price among 2,000 cards") == NULL)
		return;
	snprintf(path, sizeof path, "%s/bad_price.jsonl", g_dir);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	for (unsigned i = 1; i <= GOOD_CARDS + 1; i++) {
		card_line(line, sizeof line, i, i == 1001 ? "\"9999999999.995\"" : "\"1.25\"");
		fputs(line, f);
	}
	fclose(f);
	for (int mode = IH_IMPORT_WRITE_COPY; mode <= IH_IMPORT_WRITE_BULK; mode++) {
		g_mode = mode;
		wipe();
		CU_ASSERT_EQUAL(run(path, T1, 0, &st, err, sizeof err), 0);
		if (st.cards_written != GOOD_CARDS + 1)
			printf("\n  mode %d: %s\n", mode, err);
		CU_ASSERT_EQUAL(st.cards_written, GOOD_CARDS + 1);
		CU_ASSERT_EQUAL(st.snapshots_written, 2 * GOOD_CARDS + 1);
		CU_ASSERT_EQUAL(st.rejected, 0);
		CU_ASSERT_EQUAL(st.prices_rejected, 1);
		CU_ASSERT_EQUAL(st.nprice_reasons, 1);
		CU_ASSERT_STRING_EQUAL(st.price_reasons[0],
				       "line 1001: 'prices.usd' = '9999999999.995' does not fit numeric(12,2) once rounded to cents");
		CU_ASSERT(st.reached_end);
		CU_ASSERT_EQUAL(q("SELECT count(*) FROM cards"), GOOD_CARDS + 1);
		CU_ASSERT_EQUAL(q("SELECT count(*) FROM price_snapshots WHERE currency = 'USD'"), GOOD_CARDS);
		/* the card of the bad price: written, its EUR price kept */
		CU_ASSERT_EQUAL(q("SELECT count(*) FROM cards c JOIN price_snapshots s ON s.card_id = c.id "
				  "WHERE c.collector_number = '1001'"), 1);
		CU_ASSERT_EQUAL(q("SELECT count(*) FROM cards c JOIN price_snapshots s ON s.card_id = c.id "
				  "WHERE c.collector_number = '1001' AND s.currency = 'EUR' AND s.price = 0.50"), 1);
	}
	g_mode = IH_IMPORT_WRITE_COPY;
	/* the command itself: exit 0, the price named in its summary */
	wipe();
	write_conf("price.conf", g_conninfo, NULL);
	snprintf(conf, sizeof conf, "%s/price.conf", g_dir);
	{
		char cmd[1024], *out;
		size_t n;

		snprintf(cmd, sizeof cmd, "'%s' -c '%s' import scryfall '%s' > /dev/null 2> '%s/price.out'", bin, conf,
			 path, g_dir);
		CU_ASSERT_EQUAL(sh("%s%s", cmd, ""), 0);
		snprintf(cmd, sizeof cmd, "%s/price.out", g_dir);
		out = slurp(cmd, &n);
		CU_ASSERT_FATAL(out != NULL);
		printf("\n  %s", out); /* the must-show line, in the test log */
		expect_in(out, "read to the end: 2001 cards, 4001 snapshots written, 0 rejected, 1 price rejected "
			       "(line 1001: 'prices.usd' = '9999999999.995' does not fit numeric(12,2) once rounded to cents)");
		free(out);
	}
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM cards"), GOOD_CARDS + 1);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM price_snapshots"), 2 * GOOD_CARDS + 1);
}

/*
 * Issue 14, finding 7: import.max_decompressed_bytes [64 GiB] bounds a
 * gzip bomb.  Before the fix there was no such key (the config file below
 * was refused as unknown) and no bound: 16 MiB of newlines from a gzip of
 * a few KB was read to the end.  Now the import stops with an error naming
 * the key, the chunks before it kept; through the library and the binary.
 */
static void test_max_decompressed(void)
{
	char err[512], path[256], conf[256], text[1024], cmd[1024], *plain, *out;
	const char *bin = IH_TOP_BUILDDIR "/ingesthost";
	size_t plain_n = 16 << 20, zn, n;
	unsigned char *z;
	ih_import_opts o = { 0 };
	ih_import_stats st;
	ih_config *cfg = ih_config_defaults();
	ih_errors errs = { 0 };

	/* the key and its default */
	CU_ASSERT_FATAL(cfg != NULL);
	CU_ASSERT_EQUAL(cfg->import.max_decompressed_bytes, 64LL << 30);
	ih_config_free(cfg);
	snprintf(path, sizeof path, "%s/range.conf", g_dir);
	spit(path, "import: { max_decompressed_bytes = 100; };\n", 43);
	CU_ASSERT_EQUAL(ih_config_load(path, &cfg, &errs), -1);
	CU_ASSERT(errs.n == 1 && strstr(errs.msg[0], "max_decompressed_bytes = 100 is out of range") != NULL);
	ih_errors_clear(&errs);
	spit(path, "import: { max_decompressed_bytes = 5000000L; };\n", 48);
	CU_ASSERT_EQUAL_FATAL(ih_config_load(path, &cfg, &errs), 0);
	CU_ASSERT_EQUAL(cfg->import.max_decompressed_bytes, 5000000);
	ih_config_free(cfg);

	if (ih_test_conninfo_or_skip("import.max_decompressed_bytes") == NULL)
		return;
	/* six cards, then a run of newlines: a bomb of 16 MiB */
	plain = malloc(plain_n);
	CU_ASSERT_FATAL(plain != NULL);
	memset(plain, '\n', plain_n);
	{
		char *cards = slurp(DATA "cards.jsonl", &n);

		CU_ASSERT_FATAL(cards != NULL && n < plain_n);
		memcpy(plain, cards, n);
		free(cards);
	}
	z = gz(plain, plain_n, &zn);
	CU_ASSERT(zn < plain_n / 100);
	snprintf(path, sizeof path, "%s/bomb.jsonl.gz", g_dir);
	spit(path, z, zn);
	wipe();
	o.path = path;
	o.time_iso = T1;
	o.chunk_cards = 2;
	o.max_decompressed_bytes = 4 << 20;
	CU_ASSERT_EQUAL(ih_import_scryfall(g_c, g_mkt, &o, &st, err, sizeof err), IH_IMPORT_ERR_INPUT);
	expect_in(err, "the decompressed input is larger than 4194304 bytes (import.max_decompressed_bytes)");
	CU_ASSERT(st.bytes_out <= 4 << 20);
	CU_ASSERT(!st.reached_end);
	CU_ASSERT_EQUAL(st.cards_read, 6);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM cards"), st.cards_written);
	/* unset: the default is far above, the same file is fine */
	o.max_decompressed_bytes = 0;
	CU_ASSERT_EQUAL(ih_import_scryfall(g_c, g_mkt, &o, &st, err, sizeof err), 0);
	CU_ASSERT_EQUAL(st.bytes_out, (long long)plain_n);
	check_six_cards();

	/* the binary, the key in its config file: exit 3, the key named */
	n = (size_t)snprintf(text, sizeof text,
			     "database: { conninfo = \"%s\"; connect_timeout = 3; };\nimport: { max_decompressed_bytes = 1048576; };\n",
			     g_conninfo);
	snprintf(conf, sizeof conf, "%s/bomb.conf", g_dir);
	spit(conf, text, n);
	snprintf(cmd, sizeof cmd, "'%s' -c '%s' import scryfall '%s' 2> '%s/bomb.err'", bin, conf, path, g_dir);
	CU_ASSERT_EQUAL(sh("%s%s", cmd, ""), 3);
	snprintf(cmd, sizeof cmd, "%s/bomb.err", g_dir);
	out = slurp(cmd, &n);
	CU_ASSERT_FATAL(out != NULL);
	expect_in(out, "STOPPED");
	expect_in(out, "larger than 1048576 bytes (import.max_decompressed_bytes)");
	free(out);
	free(z);
	free(plain);
}

/* ---- --download ------------------------------------------------------------ */

static struct {
	char *list, *file;
	size_t list_len, file_len, cut;
	char ua[128];
	int file_gets;
	char base[64];
} g_srv;

/* Redirects: path, status, Location ("@BASE@" is the server's own root). */
static const struct redirect {
	const char *path;
	unsigned status;
	const char *location;
} g_redirects[] = {
	{ "/redir/public-http", 302, "http://example.invalid/default-cards.jsonl.gz?token=target-secret" },
	{ "/redir/ftp", 302, "ftp://127.0.0.1/default-cards.jsonl.gz" },
	{ "/redir/ok", 302, "/redir/ok2" },                              /* relative */
	{ "/redir/ok2", 301, "@BASE@/default-cards.jsonl.gz" },          /* absolute */
	{ "/redir/loop", 307, "/redir/loop" },
};

/* The body of every redirect: it must never reach the parser. */
static char g_redirect_body[] = "{\"id\":\"this is the body of a redirect, not a card\"}\n";

static enum MHD_Result serve(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
			     const char *version, const char *data, size_t *size, void **state)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	const char *ua = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "User-Agent");
	unsigned status = 200;

	(void)cls, (void)method, (void)version, (void)data, (void)size, (void)state;
	snprintf(g_srv.ua, sizeof g_srv.ua, "%s", ua ? ua : "");
	for (size_t i = 0; i < sizeof g_redirects / sizeof g_redirects[0]; i++) {
		char loc[256];

		if (strcmp(url, g_redirects[i].path) != 0)
			continue;
		if (strncmp(g_redirects[i].location, "@BASE@", 6) == 0)
			snprintf(loc, sizeof loc, "%s%s", g_srv.base, g_redirects[i].location + 6);
		else
			snprintf(loc, sizeof loc, "%s", g_redirects[i].location);
		r = MHD_create_response_from_buffer(strlen(g_redirect_body), g_redirect_body, MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(r, "Location", loc);
		ret = MHD_queue_response(conn, g_redirects[i].status, r);
		MHD_destroy_response(r);
		return ret;
	}
	if (strcmp(url, "/bulk-data") == 0) {
		/* a copy: set_list replaces the list between requests, possibly
		 * while the server thread still sends the last one */
		r = MHD_create_response_from_buffer(g_srv.list_len, g_srv.list, MHD_RESPMEM_MUST_COPY);
	} else if (strcmp(url, "/default-cards.jsonl.gz") == 0) {
		g_srv.file_gets++;
		r = MHD_create_response_from_buffer(g_srv.cut ? g_srv.cut : g_srv.file_len, g_srv.file,
						    MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(r, "Content-Type", "application/gzip");
	} else {
		status = 404;
		r = MHD_create_response_from_buffer(2, (void *)"{}", MHD_RESPMEM_PERSISTENT);
	}
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Serve the bulk list and the gzip JSONL file on a free loopback port; the
 * root goes to g_srv.base.  Stop with srv_stop. */
static struct MHD_Daemon *srv_start(void)
{
	struct MHD_Daemon *d;
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;
	char *tmpl, *at, *plain;
	size_t n;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, serve, NULL, MHD_OPTION_SOCK_ADDR, &sa,
			     MHD_OPTION_END);
	if (d == NULL)
		return NULL;
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(g_srv.base, sizeof g_srv.base, "http://127.0.0.1:%u", (unsigned)info->port);
	tmpl = slurp(DATA "bulk_data.json", &n);
	plain = slurp(DATA "cards.jsonl", &n);
	if (tmpl == NULL || plain == NULL) {
		free(tmpl);
		free(plain);
		MHD_stop_daemon(d);
		return NULL;
	}
	g_srv.list = calloc(1, strlen(tmpl) + 512);
	for (char *p = tmpl, *out = g_srv.list; *p;) {
		if ((at = strstr(p, "@BASE@")) == NULL) {
			strcpy(out, p);
			break;
		}
		memcpy(out, p, (size_t)(at - p));
		out += at - p;
		out += sprintf(out, "%s", g_srv.base);
		p = at + 6;
	}
	g_srv.list_len = strlen(g_srv.list);
	g_srv.file = (char *)gz(plain, n, &g_srv.file_len);
	free(tmpl);
	free(plain);
	return d;
}

static void srv_stop(struct MHD_Daemon *d)
{
	MHD_stop_daemon(d);
	free(g_srv.list);
	free(g_srv.file);
	g_srv.list = g_srv.file = NULL;
}

static void test_download(void)
{
	struct MHD_Daemon *d;
	char url[512], upd[64], err[512], conf[256];
	const char *bin = IH_TOP_BUILDDIR "/ingesthost", *base;
	ih_import_opts o = { 0 };
	ih_import_stats st;
	long long size;

	if (ih_test_conninfo_or_skip("download") == NULL)
		return;
	d = srv_start();
	CU_ASSERT_FATAL(d != NULL);
	base = g_srv.base;

	CU_ASSERT_EQUAL(ih_import_find_default_cards(base, NULL, url, sizeof url, upd, sizeof upd, &size, err, sizeof err), 0);
	CU_ASSERT(strstr(url, "/default-cards.jsonl.gz") != NULL);
	CU_ASSERT_STRING_EQUAL(upd, "2026-09-22T09:05:44.323Z"); /* checked, in UTC */
	/* the API library call, then the whole command */
	wipe();
	o.url = url;
	o.time_iso = T1;
	CU_ASSERT_EQUAL(ih_import_scryfall(g_c, g_mkt, &o, &st, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(st.format, "gzip JSONL");
	check_six_cards();
	CU_ASSERT(strncmp(g_srv.ua, "ingesthost/", 11) == 0);

	wipe();
	write_conf("dl.conf", g_conninfo, base);
	snprintf(conf, sizeof conf, "%s/dl.conf", g_dir);
	CU_ASSERT_EQUAL(sh("'%s' -c '%s' import scryfall --download 2>/dev/null", bin, conf), 0);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM cards"), 6);
	/* snapshots carry the file's time, so a second download converges */
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM price_snapshots WHERE time = '2026-09-22T09:05:44.323+00:00'"), 16);
	CU_ASSERT_EQUAL(sh("'%s' -c '%s' import scryfall --download 2>/dev/null", bin, conf), 0);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM price_snapshots"), 16);
	/* a download cut short: 3, the rest kept */
	g_srv.cut = g_srv.file_len - 10;
	CU_ASSERT_EQUAL(sh("'%s' -c '%s' import scryfall --download 2>/dev/null", bin, conf), 3);
	g_srv.cut = 0;
	/* the simulator's only exception to https is loopback */
	CU_ASSERT_NOT_EQUAL(ih_import_find_default_cards("http://example.com", NULL, url, sizeof url, upd, sizeof upd,
							 &size, err, sizeof err), 0);
	CU_ASSERT(strstr(err, "loopback") != NULL);
	srv_stop(d);
}

/* Serve a bulk data list whose default_cards entry is `entry` (JSON members,
 * "@BASE@" replaced by the server's root). */
static void set_list(const char *entry)
{
	char e[1024], *at, *out;
	const char *p = entry;

	out = e;
	while ((at = strstr(p, "@BASE@")) != NULL) {
		memcpy(out, p, (size_t)(at - p));
		out += at - p;
		out += sprintf(out, "%s", g_srv.base);
		p = at + 6;
	}
	strcpy(out, p);
	free(g_srv.list);
	g_srv.list = malloc(strlen(e) + 128);
	sprintf(g_srv.list, "{\"object\":\"list\",\"has_more\":false,\"data\":[{\"object\":\"bulk_data\",%s}]}", e);
	g_srv.list_len = strlen(g_srv.list);
}

/*
 * Issue 14, findings 2, 3, 5 and 7 for --download: the list's updated_at
 * is the snapshot time only when it lies between 2010-01-01 and now + 1
 * day (else the import's own start time, and a warning); the download URI
 * is https or on the list's own scheme, host and port; the list is strict
 * JSON; no string it reads may hold a NUL.  Before the fix every bad case
 * below was taken as it came: the snapshots of the binary run were stamped
 * in the year 294276 (or 1970), the URIs to 127.0.0.2 and localhost were
 * returned, and the NUL-cut and duplicated lists were read.
 */
static void test_download_checks(void)
{
	static const char *const bad_times[] = { "294276-01-01T00:00:00Z", "1970-01-01", "epoch",
						 "2009-12-31T23:59:59Z", "2026-02-30T00:00:00Z", "infinity" };
	struct MHD_Daemon *d;
	char url[512], upd[64], err[512], conf[256], why[160], out[64], entry[512];
	const char *bin = IH_TOP_BUILDDIR "/ingesthost";
	long long size, now = 1790000000; /* 2026-09-21T14:13:20Z */

	/* the time check on its own, against a fixed now */
	CU_ASSERT_EQUAL(ih_import_check_time("2026-09-22T09:05:44.323+00:00", now, out, sizeof out, why, sizeof why), 0);
	CU_ASSERT_STRING_EQUAL(out, "2026-09-22T09:05:44.323Z");
	CU_ASSERT_EQUAL(ih_import_check_time("2026-09-22T11:05:44-02:00", now, out, sizeof out, why, sizeof why), 0);
	CU_ASSERT_STRING_EQUAL(out, "2026-09-22T13:05:44Z");
	CU_ASSERT_EQUAL(ih_import_check_time("2010-01-01T00:00:00Z", now, out, sizeof out, why, sizeof why), 0);
	CU_ASSERT_EQUAL(ih_import_check_time("2009-12-31T23:59:59.999Z", now, out, sizeof out, why, sizeof why), -1);
	expect_in(why, "before 2010-01-01");
	CU_ASSERT_EQUAL(ih_import_check_time("2026-09-22T14:13:20Z", now, out, sizeof out, why, sizeof why), 0);
	CU_ASSERT_EQUAL(ih_import_check_time("2026-09-22T14:13:20.001Z", now, out, sizeof out, why, sizeof why), -1);
	CU_ASSERT_EQUAL(ih_import_check_time("2026-09-22T14:13:21Z", now, out, sizeof out, why, sizeof why), -1);
	expect_in(why, "more than a day ahead of now");
	CU_ASSERT_EQUAL(ih_import_check_time("2024-02-29T00:00:00Z", now, out, sizeof out, why, sizeof why), 0);
	CU_ASSERT_EQUAL(ih_import_check_time("2025-02-29T00:00:00Z", now, out, sizeof out, why, sizeof why), -1);
	CU_ASSERT_EQUAL(ih_import_check_time("2026-09-22T09:05:44", now, out, sizeof out, why, sizeof why), -1);
	for (size_t i = 0; i < sizeof bad_times / sizeof bad_times[0]; i++)
		CU_ASSERT_EQUAL(ih_import_check_time(bad_times[i], now, out, sizeof out, why, sizeof why), -1);

	if (ih_test_conninfo_or_skip("download checks") == NULL)
		return;
	d = srv_start();
	CU_ASSERT_FATAL(d != NULL);
	write_conf("checks.conf", g_conninfo, g_srv.base);
	snprintf(conf, sizeof conf, "%s/checks.conf", g_dir);

	/* a time out of range: the import's own start time, and why */
	for (size_t i = 0; i < 3; i++) {
		char cmd[1024], *log;
		size_t n;

		snprintf(entry, sizeof entry, "\"type\":\"default_cards\",\"updated_at\":\"%s\","
			 "\"jsonl_download_uri\":\"@BASE@/default-cards.jsonl.gz\"", bad_times[i]);
		set_list(entry);
		CU_ASSERT_EQUAL(ih_import_find_default_cards(g_srv.base, NULL, url, sizeof url, upd, sizeof upd, &size, err,
							     sizeof err), 0);
		CU_ASSERT_STRING_EQUAL(upd, "");
		wipe();
		pgt_exec(g_c, "CREATE TEMP TABLE IF NOT EXISTS t0 (t timestamptz); TRUNCATE t0; INSERT INTO t0 VALUES (now())");
		snprintf(cmd, sizeof cmd, "'%s' -c '%s' import scryfall --download 2> '%s/checks.err'", bin, conf, g_dir);
		CU_ASSERT_EQUAL(sh("%s%s", cmd, ""), 0);
		snprintf(cmd, sizeof cmd, "%s/checks.err", g_dir);
		log = slurp(cmd, &n);
		CU_ASSERT_FATAL(log != NULL);
		expect_in(log, "the bulk data list's updated_at is not usable as the snapshot time");
		expect_in(log, bad_times[i]);
		free(log);
		CU_ASSERT_EQUAL(q("SELECT count(*) FROM price_snapshots"), 16);
		CU_ASSERT_EQUAL(q("SELECT count(*) FROM price_snapshots WHERE time >= (SELECT t FROM t0) - interval '1 second' "
				  "AND time <= now()"), 16);
	}

	/* the download must stay on the list's origin, or be https */
	{
		static const char *const refused[] = { "http://127.0.0.2:%s/default-cards.jsonl.gz",
						       "http://localhost:%s/default-cards.jsonl.gz",
						       "http://127.0.0.1:6379/default-cards.jsonl.gz",
						       "ftp://127.0.0.1:%s/x", "not a url" };
		const char *port = strrchr(g_srv.base, ':') + 1;

		for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
			char uri[256];

			snprintf(uri, sizeof uri, refused[i], port);
			snprintf(entry, sizeof entry, "\"type\":\"default_cards\",\"jsonl_download_uri\":\"%s\"", uri);
			set_list(entry);
			CU_ASSERT_EQUAL(ih_import_find_default_cards(g_srv.base, NULL, url, sizeof url, upd, sizeof upd, &size,
								     err, sizeof err), -1);
			expect_in(err, "download URI");
			CU_ASSERT_STRING_EQUAL(url, "");
		}
		set_list("\"type\":\"default_cards\",\"jsonl_download_uri\":\"https://data.scryfall.invalid/x.jsonl.gz\"");
		CU_ASSERT_EQUAL(ih_import_find_default_cards(g_srv.base, NULL, url, sizeof url, upd, sizeof upd, &size, err,
							     sizeof err), 0);
		CU_ASSERT_STRING_EQUAL(url, "https://data.scryfall.invalid/x.jsonl.gz");
		CU_ASSERT_EQUAL(ih_import_download_allowed("http://127.0.0.1:80/bulk-data", "HTTP://127.0.0.1/f", err,
							   sizeof err), 0);
	}

	/* strict JSON; no NUL in what is read */
	{
		static const char *const lists[] = {
			"{\"data\":[],\"data\":[{\"type\":\"default_cards\",\"jsonl_download_uri\":\"@BASE@/d\"}]}",
			"{\"data\":[{\"type\":\"default_cards\",\"type\":\"x\",\"jsonl_download_uri\":\"@BASE@/d\"}]}",
			"{\"data\":[{\"type\":\"default_cards\",\"jsonl_download_uri\":\"@BASE@/d\",}]}",
			"{\"data\":[{\"type\":'default_cards',\"jsonl_download_uri\":\"@BASE@/d\"}]}",
			"{\"data\":[{\"type\":\"default_cards\\u0000x\",\"jsonl_download_uri\":\"@BASE@/d\"}]}",
			"{\"data\":[{\"type\":\"default_cards\",\"jsonl_download_uri\":\"@BASE@/d\\u0000x\"}]}",
		};

		for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
			char *at;

			free(g_srv.list);
			g_srv.list = malloc(1024);
			strcpy(g_srv.list, lists[i]);
			at = strstr(g_srv.list, "@BASE@");
			memmove(at + strlen(g_srv.base), at + 6, strlen(at + 6) + 1);
			memcpy(at, g_srv.base, strlen(g_srv.base));
			g_srv.list_len = strlen(g_srv.list);
			CU_ASSERT_EQUAL(ih_import_find_default_cards(g_srv.base, NULL, url, sizeof url, upd, sizeof upd, &size,
								     err, sizeof err), -1);
			if (*url)
				printf("\n  list %zu taken: %s\n", i, url);
		}
	}
	srv_stop(d);
}

static int count_sink(void *ud, const void *p, size_t n)
{
	(void)p;
	*(size_t *)ud += n;
	return 0;
}

/* imp_stream_url(path on the test server): its return, bytes given to the
 * sink in *got, the message in err. */
static int stream(const char *path, size_t *got, char *err, size_t errlen)
{
	char url[256];
	long long cl;

	snprintf(url, sizeof url, "%s%s", g_srv.base, path);
	*got = 0;
	err[0] = '\0';
	return imp_stream_url(url, NULL, count_sink, got, &cl, err, errlen);
}

/*
 * A redirect is checked before it is followed: to plain http off loopback
 * or to another protocol, the download fails naming the first URL, the
 * target and why (no query strings), and not one byte reached the parser;
 * to loopback it is followed (two hops); a loop stops after 5.
 */
static void test_download_redirects(void)
{
	struct MHD_Daemon *d;
	char err[512], url[256];
	ih_import_opts o = { 0 };
	ih_import_stats st;
	size_t got;
	int file_gets;

	if (ih_test_conninfo_or_skip("download redirects") == NULL)
		return;
	d = srv_start();
	CU_ASSERT_FATAL(d != NULL);
	file_gets = g_srv.file_gets;

	/* the stream on its own: the sink sees nothing */
	CU_ASSERT_EQUAL(stream("/redir/public-http?sig=first-secret", &got, err, sizeof err), -1);
	CU_ASSERT_EQUAL(got, 0);
	expect_in(err, g_srv.base);
	expect_in(err, "/redir/public-http: redirected to http://example.invalid/default-cards.jsonl.gz: ");
	expect_in(err, "refused plain http:// to 'example.invalid'");
	CU_ASSERT_PTR_NULL(strstr(err, "first-secret"));
	CU_ASSERT_PTR_NULL(strstr(err, "target-secret"));
	CU_ASSERT_EQUAL(stream("/redir/ftp", &got, err, sizeof err), -1);
	CU_ASSERT_EQUAL(got, 0);
	expect_in(err, "/redir/ftp: redirected to ftp://127.0.0.1/default-cards.jsonl.gz: ");
	expect_in(err, "refused URL scheme 'ftp'");
	CU_ASSERT_EQUAL(stream("/redir/loop", &got, err, sizeof err), -1);
	CU_ASSERT_EQUAL(got, 0);
	expect_in(err, "more than 5 redirects");
	CU_ASSERT_EQUAL(g_srv.file_gets, file_gets); /* the file was never asked for */
	/* to loopback: followed, the file's bytes and only them */
	CU_ASSERT_EQUAL(stream("/redir/ok", &got, err, sizeof err), 0);
	CU_ASSERT_EQUAL(got, g_srv.file_len);
	CU_ASSERT_EQUAL(g_srv.file_gets, file_gets + 1);

	/* the whole import: refused, no card read, nothing written */
	wipe();
	snprintf(url, sizeof url, "%s/redir/public-http", g_srv.base);
	o.url = url;
	o.time_iso = T1;
	CU_ASSERT(ih_import_scryfall(g_c, g_mkt, &o, &st, err, sizeof err) < 0);
	expect_in(err, "redirected to http://example.invalid/default-cards.jsonl.gz");
	CU_ASSERT_EQUAL(st.cards_read, 0);
	CU_ASSERT_EQUAL(st.records, 0);
	CU_ASSERT_EQUAL(st.bytes_in, 0);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM cards"), 0);
	/* and through an allowed redirect, the six cards */
	snprintf(url, sizeof url, "%s/redir/ok", g_srv.base);
	CU_ASSERT_EQUAL(ih_import_scryfall(g_c, g_mkt, &o, &st, err, sizeof err), 0);
	check_six_cards();
	srv_stop(d);
}

int main(void)
{
	CU_TestInfo stream[] = {
		{ "every format, fed in pieces from 1 byte", test_stream_pieces },
		{ "BOM, CRLF, strings, truncation, gzip members", test_stream_edges },
		{ "the skimmer's grammar against json-c", test_skim_grammar },
		{ "strict: empty elements, partial BOM, data after a gzip member", test_stream_strict },
		{ "member names: repeated, holding NUL; the grammar on every path", test_stream_names },
		{ "max_record on every path; depth bounded", test_stream_bounds },
		{ "decompressed bytes bounded", test_stream_max_bytes },
		CU_TEST_INFO_NULL,
	};
	CU_TestInfo import[] = {
		{ "gzip/plain JSONL and array, both write paths: every id, finish, currency", test_formats },
		{ "bad lines counted with their numbers", test_bad_lines },
		{ "truncated input keeps committed chunks", test_truncated },
		{ "a rerun changes nothing; a later one adds prices only", test_rerun },
		{ "a card twice in one file", test_duplicate_in_file },
		{ "invalid UTF-8, NUL, bad price text", test_bad_text },
		{ "a NUL inside a price, the object type, an id, a name", test_nul_values },
		{ "a chunk the database refuses stops the import", test_db_refuses },
		{ "the shared Scryfall capture", test_shared_fixture },
		{ "the binary: stdin and exit codes", test_binary },
		{ "one price out of numeric(12,2) among 2,000 cards: the price rejected, not the chunk", test_bad_price_alone },
		{ "import.max_decompressed_bytes stops a gzip bomb, naming the key", test_max_decompressed },
		{ "--download from a local responder", test_download },
		{ "--download: a redirect is checked before it is followed", test_download_redirects },
		{ "--download: updated_at in range, the URI on the list's origin, a strict list", test_download_checks },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "jsonstream", NULL, NULL, NULL, NULL, stream },
		{ "import", init_db, fini_db, NULL, NULL, import },
		CU_SUITE_INFO_NULL,
	};

	return ih_test_main(suites);
}
