/*
 * fuzz_plugin.h -- the sink of the plugin parser harnesses (#14).
 *
 * The parsers of plugins/<name>/<name>_parse.c are compiled into the
 * harness and handed an ihp_sink that checks every row before it answers
 * like the host would:
 *  - the vocabulary: condition NM LP MP HP DMG, finish nonfoil foil etched,
 *    currency three capitals, language NULL or 2-3 lower-case letters;
 *  - money: price given, every price non-negative decimal text that
 *    ih_valid_decimal (core/store) accepts;
 *  - the card: for a card-list plugin one of the cards it was asked for
 *    (card_id and scryfall_id both from that card), for a bulk plugin
 *    card_id 0 and a valid UUID;
 *  - num_listings >= -1; no row after emit answered "stop";
 *  - then the host's own check (ih_snapshot_validate): a row it refuses is
 *    answered IH_ERR_FATAL, as the host does; a row it accepts must also fit
 *    the column (numeric(12,2) after rounding);
 *  - optionally no two rows for the same card, condition, finish, language
 *    (NULL = the card's own) and currency in one answer.
 * Each harness adds its own checks through `check`.  After the parse,
 * fuzz_plugin_returned() checks the status: IH_OK only for a strict JSON
 * body (fuzz_strict_body), IH_ERR_FATAL with a reason, or the status emit
 * answered when it answered stop.
 */
#ifndef IH_FUZZ_PLUGIN_H
#define IH_FUZZ_PLUGIN_H

#include "fuzz.h"

#include "host/validate.h"
#include "ihp.h"
#include "store/bulk.h"

typedef struct fuzz_psink fuzz_psink;

struct fuzz_psink {
	ihp_sink s;
	const ih_card *const *cards; /* the cards asked for (card-list plugins) */
	size_t ncards;
	int bulk;                    /* rows name their card by scryfall id */
	int unique;                  /* one row per key */
	json_object *tree;           /* the body as lenient json-c reads it, or NULL */
	long emitted, accepted, refused;
	int stop_at;                 /* the emit (1-based) answered stop_status; 0: none */
	int stop_status;
	int stopped;
	long counts[3];
	int32_t done[128];
	size_t ndone;
	char (*keys)[96];
	size_t nkeys, kcap;
	int (*check)(fuzz_psink *ps, const ih_snapshot *snap); /* the harness's own; 0 = fine */
	void *ud;
};

static inline const ih_card *fuzz_card_of(const fuzz_psink *ps, const ih_snapshot *s)
{
	for (size_t i = 0; i < ps->ncards; i++)
		if (ps->cards[i]->card_id == s->card_id && s->scryfall_id != NULL &&
		    strcmp(ps->cards[i]->scryfall_id, s->scryfall_id) == 0)
			return ps->cards[i];
	return NULL;
}

static inline void fuzz_check_price(const char *what, const char *p, int required)
{
	if (p == NULL) {
		FUZZ_CHECK(!required, "%s is NULL", what);
		return;
	}
	FUZZ_CHECK(*p != '-' && ih_valid_decimal(p), "%s '%.40s' is not non-negative decimal text", what, p);
}

static inline int fuzz_psink_emit(void *ctx, const ih_snapshot *s)
{
	fuzz_psink *ps = ctx;
	const ih_card *card = NULL;
	char why[256];

	FUZZ_CHECK(!ps->stopped, "emit called again after it answered %d (stop)", ps->stop_status);
	ps->emitted++;
	FUZZ_CHECK(fuzz_one_of(s->condition, fuzz_conditions), "condition '%.16s'", s->condition ? s->condition : "(null)");
	FUZZ_CHECK(fuzz_one_of(s->finish, fuzz_finishes), "finish '%.16s'", s->finish ? s->finish : "(null)");
	FUZZ_CHECK(fuzz_is_currency(s->currency), "currency '%.16s'", s->currency ? s->currency : "(null)");
	FUZZ_CHECK(s->language == NULL || fuzz_is_lang(s->language), "language '%.16s'", s->language);
	fuzz_check_price("price", s->price, 1);
	fuzz_check_price("price_low", s->price_low, 0);
	fuzz_check_price("price_mid", s->price_mid, 0);
	fuzz_check_price("price_high", s->price_high, 0);
	FUZZ_CHECK(s->num_listings >= -1, "num_listings %d", (int)s->num_listings);
	if (ps->bulk) {
		FUZZ_CHECK(s->card_id == 0, "a bulk row names card_id %d", (int)s->card_id);
		FUZZ_CHECK(fuzz_is_uuid(s->scryfall_id) && ih_valid_uuid(s->scryfall_id),
			   "scryfall_id '%.48s' is not a UUID", s->scryfall_id ? s->scryfall_id : "(null)");
	} else {
		card = fuzz_card_of(ps, s);
		FUZZ_CHECK(card != NULL, "row for card %d / '%.48s', which was not asked for", (int)s->card_id,
			   s->scryfall_id ? s->scryfall_id : "(null)");
	}
	if (ps->check != NULL)
		ps->check(ps, s);
	if (ps->unique) {
		char key[96];
		const char *lang = s->language != NULL ? s->language : card != NULL && card->lang ? card->lang : "";

		snprintf(key, sizeof key, "%d|%.40s|%s|%s|%s|%s", (int)s->card_id, s->scryfall_id ? s->scryfall_id : "",
			 s->condition, s->finish, lang, s->currency);
		for (size_t i = 0; i < ps->nkeys; i++)
			FUZZ_CHECK(strcmp(ps->keys[i], key) != 0, "two rows for one key (%s) in one answer", key);
		if (ps->nkeys == ps->kcap) {
			ps->kcap = ps->kcap ? 2 * ps->kcap : 64;
			ps->keys = realloc(ps->keys, ps->kcap * sizeof *ps->keys);
			if (ps->keys == NULL)
				abort();
		}
		memcpy(ps->keys[ps->nkeys++], key, sizeof key);
	}
	if (ps->stop_at > 0 && ps->emitted == ps->stop_at) {
		ps->stopped = 1;
		return ps->stop_status;
	}
	if (ih_snapshot_validate(s, why, sizeof why) != 0) {
		ps->refused++;
		return IH_ERR_FATAL;
	}
	FUZZ_CHECK(fuzz_is_price(s->price) && (s->price_low == NULL || fuzz_is_price(s->price_low)) &&
			   (s->price_mid == NULL || fuzz_is_price(s->price_mid)) &&
			   (s->price_high == NULL || fuzz_is_price(s->price_high)),
		   "the host accepted a price that does not fit numeric(12,2): %s %s %s %s", s->price,
		   s->price_low ? s->price_low : "-", s->price_mid ? s->price_mid : "-",
		   s->price_high ? s->price_high : "-");
	ps->accepted++;
	return IH_OK;
}

static inline void fuzz_psink_done(void *ctx, int32_t card_id)
{
	fuzz_psink *ps = ctx;
	int known = 0;

	for (size_t i = 0; i < ps->ncards; i++)
		known |= ps->cards[i]->card_id == card_id;
	FUZZ_CHECK(known, "mark_done(%d) for a card not asked for", (int)card_id);
	for (size_t i = 0; i < ps->ndone && i < sizeof ps->done / sizeof ps->done[0]; i++)
		FUZZ_CHECK(ps->done[i] != card_id, "mark_done(%d) twice", (int)card_id);
	if (ps->ndone < sizeof ps->done / sizeof ps->done[0])
		ps->done[ps->ndone] = card_id;
	ps->ndone++;
}

static inline void fuzz_psink_count(void *ctx, ih_counter which, long n)
{
	fuzz_psink *ps = ctx;

	FUZZ_CHECK(which >= IH_COUNT_NOT_FOUND && which <= IH_COUNT_UNMATCHED, "count(%d)", (int)which);
	FUZZ_CHECK(n > 0, "count(%d, %ld)", (int)which, n);
	ps->counts[which] += n;
}

static inline void fuzz_psink_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	FUZZ_CHECK(level >= IH_LOG_ERR && level <= IH_LOG_DEBUG, "log level %d", level);
	FUZZ_CHECK(msg != NULL && strlen(msg) < 4096, "log message");
	if (getenv("IH_FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "  [%d] %s\n", level, msg);
}

/*
 * A sink over the body data[0..size): a stop answered at some emit for one
 * input in eight (chosen by the input's hash).
 */
static inline void fuzz_psink_init(fuzz_psink *ps, const uint8_t *data, size_t size)
{
	uint64_t h = fuzz_hash(data, size);

	memset(ps, 0, sizeof *ps);
	ps->s.ctx = ps;
	ps->s.emit = fuzz_psink_emit;
	ps->s.mark_done = fuzz_psink_done;
	ps->s.count = fuzz_psink_count;
	ps->s.log = fuzz_psink_log;
	ps->tree = fuzz_json_tree(data, size);
	if ((h & 7) == 0) {
		ps->stop_at = 1 + (int)((h >> 3) % 4);
		ps->stop_status = (h >> 5) & 1 ? IH_ERR_STOPPED : IH_ERR_TRANSIENT;
	}
}

/* Check what a parse function returned. */
static inline void fuzz_plugin_returned(fuzz_psink *ps, int rc, const uint8_t *data, size_t size)
{
	const char *why;

	FUZZ_CHECK(memchr(ps->s.err, '\0', sizeof ps->s.err) != NULL, "sink->err is not terminated");
	if (ps->stopped) {
		FUZZ_CHECK(rc == ps->stop_status, "emit answered %d (stop) but the parser returned %d",
			   ps->stop_status, rc);
		return;
	}
	FUZZ_CHECK(rc == IH_OK || rc == IH_ERR_FATAL, "the parser returned %d", rc);
	if (rc == IH_ERR_FATAL) {
		FUZZ_CHECK(ps->s.err[0] != '\0', "IH_ERR_FATAL without a reason in sink->err");
		return;
	}
	why = fuzz_strict_body(data, size);
	FUZZ_CHECK(why == NULL, "the parser accepted a body that is not strict JSON: %s", why);
}

static inline void fuzz_psink_free(fuzz_psink *ps)
{
	json_object_put(ps->tree);
	free(ps->keys);
}

/* A Scryfall id from a number: 00000000-0000-4000-8000-<12 hex>. */
static inline void fuzz_uuid_of(uint64_t n, char out[37])
{
	snprintf(out, 37, "00000000-0000-4000-8000-%012llx", (unsigned long long)(n & 0xffffffffffffULL));
}

#endif
