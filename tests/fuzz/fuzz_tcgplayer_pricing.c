/*
 * tcgplayer_pricing: plugins/tcgplayer's GET /pricing/product/{ids} answer
 * (tcg_parse_pricing), as a 200 or (for one input in four) a 404.
 *
 * The entries: products of tests/data plus every productId of the body
 * (every other one by the input's hash), some of them etched products.
 * Checks beyond fuzz_plugin.h's: condition NM, currency USD; an etched
 * product's rows are etched; every price given has exactly two decimals
 * (JSON numbers rounded to cents);
 * an entry is TCG_PRICED exactly when a row was emitted for it; after a 404
 * that parsed, no entry is left TCG_UNSEEN.
 */
#include "config.h"

#include "fuzz_plugin.h"
#include "tcgplayer_parse.h"

#define MAXE 64

typedef struct entries {
	tcg_entry e[MAXE];
	ih_card cards[MAXE];
	const ih_card *ptr[MAXE];
	char ids[MAXE][37];
	long emitted[MAXE];
	size_t n;
	uint64_t h;
} entries;

static void entry(entries *x, int64_t pid, int etched)
{
	ih_card *c;

	if (pid <= 0 || pid > INT32_MAX || x->n >= MAXE)
		return;
	for (size_t i = 0; i < x->n; i++)
		if (x->e[i].product_id == pid)
			return;
	c = &x->cards[x->n];
	memset(c, 0, sizeof *c);
	c->card_id = (int32_t)(x->n + 1);
	fuzz_uuid_of((uint64_t)x->n + 1, x->ids[x->n]);
	c->scryfall_id = x->ids[x->n];
	c->lang = x->n % 3 ? "en" : "de";
	if (etched)
		c->tcgplayer_etched_id = (int32_t)pid;
	else
		c->tcgplayer_id = (int32_t)pid;
	x->e[x->n].product_id = (int32_t)pid;
	x->e[x->n].card = c;
	x->e[x->n].etched = etched;
	x->ptr[x->n] = c;
	x->n++;
}

static void body_pid(void *ud, int64_t pid)
{
	entries *x = ud;

	x->h = x->h * 31 + 7;
	if (x->h & 2)
		entry(x, pid, (x->h & 12) == 12);
}

static int check_row(fuzz_psink *ps, const ih_snapshot *s)
{
	entries *x = ps->ud;
	size_t i;

	FUZZ_CHECK(strcmp(s->condition, "NM") == 0 && strcmp(s->currency, "USD") == 0, "%s %s", s->condition,
		   s->currency);
	for (i = 0; i < x->n && x->cards[i].card_id != s->card_id; i++)
		;
	FUZZ_CHECK(i < x->n, "card %d", (int)s->card_id);
	x->emitted[i]++;
	if (x->e[i].etched)
		FUZZ_CHECK(strcmp(s->finish, "etched") == 0, "an etched product's row is %s", s->finish);
	FUZZ_CHECK(fuzz_decimals(s->price) == 2, "price %s", s->price);
	FUZZ_CHECK(s->price_low == NULL || fuzz_decimals(s->price_low) == 2, "price_low %s", s->price_low);
	FUZZ_CHECK(s->price_mid == NULL || fuzz_decimals(s->price_mid) == 2, "price_mid %s", s->price_mid);
	FUZZ_CHECK(s->price_high == NULL || fuzz_decimals(s->price_high) == 2, "price_high %s", s->price_high);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_psink ps;
	entries x;
	long status;
	int rc;

	memset(&x, 0, sizeof x);
	fuzz_psink_init(&ps, data, size);
	x.h = fuzz_hash(data, size);
	status = (x.h >> 8) % 4 == 0 ? 404 : 200;
	entry(&x, 262222, 0);
	entry(&x, 262223, 0);
	entry(&x, 262224, 1);
	fuzz_json_each_int(ps.tree, "productId", body_pid, &x);
	ps.cards = x.ptr;
	ps.ncards = x.n;
	ps.check = check_row;
	ps.ud = &x;
	rc = tcg_parse_pricing((const char *)data, size, status, x.e, x.n, &ps.s);
	fuzz_plugin_returned(&ps, rc, data, size);
	for (size_t i = 0; i < x.n; i++) {
		int st = x.e[i].state;

		FUZZ_CHECK(st == TCG_UNSEEN || st == TCG_NOPRICE || st == TCG_PRICED, "entry %zu: state %d", i, st);
		FUZZ_CHECK((st == TCG_PRICED) == (x.emitted[i] > 0), "entry %zu (product %d): state %d, %ld rows", i,
			   (int)x.e[i].product_id, st, x.emitted[i]);
		if (rc == IH_OK && status == 404)
			FUZZ_CHECK(st != TCG_UNSEEN, "entry %zu unseen after a 404", i);
	}
	fuzz_psink_free(&ps);
	return 0;
}
