/*
 * cardtrader_blueprints: plugins/cardtrader's GET /blueprints/export answer
 * (ct_parse_blueprints) and the matching of cards to blueprints
 * (ct_match_blueprint).
 *
 * Checks: every blueprint has a positive id, a tcg id >= 0, a scryfall_id
 * that is "" or a UUID that is in full a "scryfall_id" of the body, a
 * collector number that is "" or in full a "collector_number" of the body
 * (a value cut at an embedded \u0000 is caught); nothing is handed out on
 * failure.  Matching, for cards built from the blueprints: a card with a
 * blueprint's scryfall id gets the first blueprint with that id; a card
 * known by tcgplayer id only gets the first blueprint with that id; a card
 * known by collector number only gets the one blueprint with that number,
 * or 0 when two have it.
 */
#include "config.h"

#include "cardtrader_parse.h"
#include "fuzz_plugin.h"

static int32_t first_by_sid(const ct_blueprint *bp, size_t n, const char *sid)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(bp[i].scryfall_id, sid) == 0)
			return bp[i].id;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_psink ps;
	ct_blueprint *bp = NULL;
	size_t n = 0;
	int rc;

	fuzz_psink_init(&ps, data, size);
	rc = ct_parse_blueprints((const char *)data, size, &bp, &n, &ps.s);
	fuzz_plugin_returned(&ps, rc, data, size);
	if (rc != IH_OK) {
		FUZZ_CHECK(bp == NULL && n == 0, "a failed parse handed out %zu blueprints", n);
		fuzz_psink_free(&ps);
		return 0;
	}
	FUZZ_CHECK((bp == NULL) == (n == 0), "%zu blueprints, list %p", n, (void *)bp);
	for (size_t i = 0; i < n; i++) {
		const ct_blueprint *b = &bp[i];
		size_t sl = strnlen(b->scryfall_id, sizeof b->scryfall_id), nl = strnlen(b->number, sizeof b->number);

		FUZZ_CHECK(b->id > 0 && b->tcg_id >= 0, "blueprint %zu: id %d, tcg id %d", i, (int)b->id, (int)b->tcg_id);
		FUZZ_CHECK(sl < sizeof b->scryfall_id && nl < sizeof b->number, "blueprint %zu: unterminated text", i);
		if (sl > 0) {
			FUZZ_CHECK(fuzz_is_uuid(b->scryfall_id), "blueprint %d: scryfall_id '%s'", (int)b->id,
				   b->scryfall_id);
			if (ps.tree != NULL)
				FUZZ_CHECK(fuzz_json_has_string(ps.tree, "scryfall_id", b->scryfall_id, 0),
					   "blueprint %d: scryfall_id '%s' is not, in full, one of the body", (int)b->id,
					   b->scryfall_id);
		}
		if (nl > 0 && ps.tree != NULL)
			FUZZ_CHECK(fuzz_json_has_string(ps.tree, "collector_number", b->number, 0),
				   "blueprint %d: number '%s' is not, in full, one of the body", (int)b->id, b->number);
	}
	for (size_t i = 0; i < n && i < 16; i++) {
		ih_card c;
		int32_t got, want = 0, count = 0;

		memset(&c, 0, sizeof c);
		c.card_id = 1;
		c.lang = "en";
		if (bp[i].scryfall_id[0] != '\0') {
			c.scryfall_id = bp[i].scryfall_id;
			got = ct_match_blueprint(bp, n, &c);
			FUZZ_CHECK(got == first_by_sid(bp, n, c.scryfall_id), "card %s matched blueprint %d",
				   c.scryfall_id, (int)got);
		}
		c.scryfall_id = "ffffffff-ffff-4fff-bfff-ffffffffffff";
		if (first_by_sid(bp, n, c.scryfall_id) != 0)
			continue;
		if (bp[i].tcg_id > 0) {
			c.tcgplayer_id = bp[i].tcg_id;
			got = ct_match_blueprint(bp, n, &c);
			for (size_t k = 0; k < n && want == 0; k++)
				if (bp[k].tcg_id == c.tcgplayer_id)
					want = bp[k].id;
			FUZZ_CHECK(got == want, "tcgplayer id %d matched blueprint %d, not %d", (int)c.tcgplayer_id, (int)got,
				   (int)want);
			c.tcgplayer_id = 0;
		}
		if (bp[i].number[0] != '\0') {
			c.collector_number = bp[i].number;
			got = ct_match_blueprint(bp, n, &c);
			want = 0;
			for (size_t k = 0; k < n; k++)
				if (strcasecmp(bp[k].number, c.collector_number) == 0) {
					count++;
					want = bp[k].id;
				}
			FUZZ_CHECK(got == (count == 1 ? want : 0), "number '%s' (%d blueprints) matched %d",
				   c.collector_number, (int)count, (int)got);
		}
	}
	free(bp);
	fuzz_psink_free(&ps);
	return 0;
}
