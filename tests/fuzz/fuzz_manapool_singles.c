/*
 * manapool_singles: plugins/manapool's GET /prices/singles export
 * (mp_parse_singles), a bulk answer scanned as a stream.
 *
 * Checks beyond fuzz_plugin.h's (bulk rows: card_id 0 and a UUID): the
 * scryfall_id is in full a "scryfall_id" of the body (an id cut at an
 * embedded \u0000 is caught); condition NM or LP, currency USD, one price
 * with two decimals (cents), no low/mid/high; the stats agree with what
 * reached emit.  Rows may precede an IH_ERR_FATAL (a stream meets a
 * truncated end late), but IH_OK needs a strict JSON body.
 */
#include "config.h"

#include "fuzz_plugin.h"
#include "manapool_parse.h"

static int check_row(fuzz_psink *ps, const ih_snapshot *s)
{
	FUZZ_CHECK(strcmp(s->condition, "NM") == 0 || strcmp(s->condition, "LP") == 0, "condition %s", s->condition);
	FUZZ_CHECK(strcmp(s->currency, "USD") == 0, "currency %s", s->currency);
	FUZZ_CHECK(s->price_low == NULL && s->price_mid == NULL && s->price_high == NULL, "Mana Pool gives one price");
	FUZZ_CHECK(fuzz_decimals(s->price) == 2, "price %s", s->price);
	FUZZ_CHECK(s->language == NULL, "language %s", s->language);
	if (ps->tree != NULL)
		FUZZ_CHECK(fuzz_json_has_string(ps->tree, "scryfall_id", s->scryfall_id, 0),
			   "scryfall_id '%s' is not, in full, one of the body", s->scryfall_id);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_psink ps;
	mp_stats st;
	int rc;

	fuzz_psink_init(&ps, data, size);
	ps.bulk = 1;
	ps.check = check_row;
	rc = mp_parse_singles((const char *)data, size, &ps.s, &st);
	fuzz_plugin_returned(&ps, rc, data, size);
	FUZZ_CHECK((long)st.snapshots == ps.emitted, "stats: %zu snapshots, %ld emitted", st.snapshots, ps.emitted);
	FUZZ_CHECK(st.snapshots <= 6 * st.rows, "%zu snapshots from %zu rows", st.snapshots, st.rows);
	fuzz_psink_free(&ps);
	return 0;
}
