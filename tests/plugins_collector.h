/*
 * plugins_collector -- an ihp_sink for the plugin parser tests that keeps
 * copies of every row a parser delivers and the host would accept: each row
 * goes through the host's own validator (ih_snapshot_validate,
 * core/host/emit.c); a row it refuses is counted in `rejected`, not kept, and
 * emit returns IH_ERR_FATAL as the host's does.  Header-only, test use only.
 */
#ifndef IH_PLUGINS_COLLECTOR_H
#define IH_PLUGINS_COLLECTOR_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/emit.h"
#include "ihp.h"

typedef struct coll_snap {
	int32_t card_id, num_listings;
	char sid[40], cond[8], finish[8], lang[8], cur[8];
	char price[24], low[24], mid[24], high[24];
} coll_snap;

typedef struct coll {
	coll_snap *s;
	size_t n, cap;
	int32_t done[256];
	size_t ndone;
	long counts[3];
	int emit_rc; /* what emit returns for an accepted row (IH_OK by default) */
	long rejected; /* rows the host's validator refused */
	char why[256]; /* ... and why the last one was */
} coll;

static void coll_cpy(char *dst, size_t sz, const char *src)
{
	snprintf(dst, sz, "%s", src != NULL ? src : "");
}

static int coll_emit(void *ctx, const ih_snapshot *snap)
{
	coll *c = ctx;
	coll_snap *x;

	if (ih_snapshot_validate(snap, c->why, sizeof c->why) != 0) {
		c->rejected++;
		return IH_ERR_FATAL;
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->s = realloc(c->s, c->cap * sizeof *c->s);
		if (c->s == NULL)
			abort();
	}
	x = &c->s[c->n++];
	memset(x, 0, sizeof *x);
	x->card_id = snap->card_id;
	x->num_listings = snap->num_listings;
	coll_cpy(x->sid, sizeof x->sid, snap->scryfall_id);
	coll_cpy(x->cond, sizeof x->cond, snap->condition);
	coll_cpy(x->finish, sizeof x->finish, snap->finish);
	coll_cpy(x->lang, sizeof x->lang, snap->language);
	coll_cpy(x->cur, sizeof x->cur, snap->currency);
	coll_cpy(x->price, sizeof x->price, snap->price);
	coll_cpy(x->low, sizeof x->low, snap->price_low);
	coll_cpy(x->mid, sizeof x->mid, snap->price_mid);
	coll_cpy(x->high, sizeof x->high, snap->price_high);
	return c->emit_rc;
}

static void coll_done(void *ctx, int32_t id)
{
	coll *c = ctx;

	if (c->ndone < sizeof c->done / sizeof c->done[0])
		c->done[c->ndone] = id;
	c->ndone++;
}

static void coll_count(void *ctx, ih_counter which, long n)
{
	((coll *)ctx)->counts[which] += n;
}

static void coll_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	if (getenv("IH_TEST_VERBOSE") != NULL)
		fprintf(stderr, "  [%d] %s\n", level, msg);
}

/* A fresh sink writing into c (which is zeroed). */
static inline ihp_sink coll_sink(coll *c)
{
	ihp_sink s;

	memset(c, 0, sizeof *c);
	memset(&s, 0, sizeof s);
	s.ctx = c;
	s.emit = coll_emit;
	s.mark_done = coll_done;
	s.count = coll_count;
	s.log = coll_log;
	return s;
}

static inline void coll_free(coll *c)
{
	free(c->s);
	c->s = NULL;
}

/* The snapshot matching every non-NULL key, or NULL (and none if two match). */
static inline const coll_snap *coll_find(const coll *c, int32_t card_id, const char *sid, const char *cond,
                                         const char *finish, const char *lang, const char *cur)
{
	const coll_snap *hit = NULL;
	size_t i;

	for (i = 0; i < c->n; i++) {
		const coll_snap *x = &c->s[i];

		if ((card_id >= 0 && x->card_id != card_id) || (sid && strcmp(x->sid, sid)) ||
		    (cond && strcmp(x->cond, cond)) || (finish && strcmp(x->finish, finish)) ||
		    (lang && strcmp(x->lang, lang)) || (cur && strcmp(x->cur, cur)))
			continue;
		if (hit != NULL)
			return NULL;
		hit = x;
	}
	return hit;
}

/* Read a whole file (NUL-terminated); NULL if unreadable. */
static inline char *coll_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) != NULL) {
		if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
			*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

#endif
