/*
 * cardtrader_expansions: plugins/cardtrader's GET /expansions answer
 * (ct_parse_expansions) and the lookup by set code (ct_find_expansion).
 *
 * Checks beyond fuzz_plugin.h's status rule: every expansion has a positive
 * id and a non-empty code below 24 bytes, in lower case, that is in full
 * (ignoring case, so a code cut at an embedded \u0000 is caught) a "code"
 * of the body; the list is sorted by code; ct_find_expansion finds every
 * code, in any case, and answers an expansion with that code; nothing is
 * handed out on failure; no more rejected than elements.
 */
#include "config.h"

#include "cardtrader_parse.h"
#include "fuzz_plugin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_psink ps;
	ct_expansion *x = NULL;
	size_t n = 0;
	int rc;

	fuzz_psink_init(&ps, data, size);
	rc = ct_parse_expansions((const char *)data, size, &x, &n, &ps.s);
	fuzz_plugin_returned(&ps, rc, data, size);
	if (rc != IH_OK) {
		FUZZ_CHECK(x == NULL, "a failed parse handed out a list");
		fuzz_psink_free(&ps);
		return 0;
	}
	FUZZ_CHECK(x != NULL || n == 0, "no list for %zu expansions", n);
	for (size_t i = 0; i < n; i++) {
		const ct_expansion *e = &x[i];
		size_t len = strnlen(e->code, sizeof e->code);
		char upper[sizeof e->code];
		int32_t id;

		FUZZ_CHECK(e->id > 0, "expansion %zu has id %d", i, (int)e->id);
		FUZZ_CHECK(len > 0 && len < sizeof e->code, "expansion %zu: code of %zu bytes", i, len);
		for (size_t k = 0; k < len; k++)
			FUZZ_CHECK(!(e->code[k] >= 'A' && e->code[k] <= 'Z'), "code '%s' is not lower case", e->code);
		if (ps.tree != NULL)
			FUZZ_CHECK(fuzz_json_has_string(ps.tree, "code", e->code, 1),
				   "code '%s' is not, in full, a code of the body", e->code);
		if (i > 0)
			FUZZ_CHECK(strcmp(x[i - 1].code, e->code) <= 0, "not sorted: '%s' before '%s'", x[i - 1].code,
				   e->code);
		id = ct_find_expansion(x, n, e->code);
		FUZZ_CHECK(id != 0, "ct_find_expansion misses '%s'", e->code);
		for (size_t k = 0; k <= len; k++)
			upper[k] = (char)toupper((unsigned char)e->code[k]);
		FUZZ_CHECK(ct_find_expansion(x, n, upper) != 0, "ct_find_expansion misses '%s'", upper);
		{
			int same = 0;

			for (size_t k = 0; k < n; k++)
				same |= x[k].id == id && strcmp(x[k].code, e->code) == 0;
			FUZZ_CHECK(same, "ct_find_expansion('%s') answers %d, an expansion of another code", e->code,
				   (int)id);
		}
	}
	if (ps.tree != NULL && json_object_is_type(ps.tree, json_type_array))
		FUZZ_CHECK(ps.counts[IH_COUNT_REJECTED] <= (long)json_object_array_length(ps.tree),
			   "%ld rejected of %zu", ps.counts[IH_COUNT_REJECTED], json_object_array_length(ps.tree));
	FUZZ_CHECK(ct_find_expansion(x, n, "") == 0 || n > 0, "an empty code found in an empty list");
	free(x);
	fuzz_psink_free(&ps);
	return 0;
}
