/*
 * tcgplayer_token: plugins/tcgplayer's token answer (tcg_parse_token).
 *
 * Checks beyond fuzz_plugin.h's status rule (IH_OK only for strict JSON):
 * an accepted token is, in full, the access_token of the body (a token cut
 * at an embedded \u0000 is caught), 1 to IH_FUZZ_TOKEN_MAX bytes of
 * printable ASCII without blanks or control characters (it goes into an
 * "Authorization: bearer" header: "a\r\nX: 1" must not pass); its expiry is
 * 1 s to the documented lifetime (14 days, 1209599 s as TCGplayer answers)
 * plus one day; the token never appears in a log line; nothing is handed
 * out on failure.
 */
#include "config.h"

#include "fuzz_plugin.h"
#include "tcgplayer_parse.h"

/* Generous bounds: a stricter plugin passes them too. */
#define IH_FUZZ_TOKEN_MAX 16384
#define IH_FUZZ_TOKEN_LIFETIME_MAX (14L * 86400 + 86400)

static const char *token_seen;

static void log_line(void *ctx, int level, const char *msg)
{
	fuzz_psink_log(ctx, level, msg);
	if (token_seen != NULL && strlen(token_seen) >= 6)
		FUZZ_CHECK(strstr(msg, token_seen) == NULL, "a log line shows the token: %s", msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_psink ps;
	char *token = NULL;
	long exp = -12345;
	int rc;

	fuzz_psink_init(&ps, data, size);
	ps.s.log = log_line;
	token_seen = NULL;
	if (ps.tree != NULL && json_object_is_type(ps.tree, json_type_object)) {
		json_object *t;

		if (json_object_object_get_ex(ps.tree, "access_token", &t) && json_object_is_type(t, json_type_string))
			token_seen = json_object_get_string(t);
	}
	rc = tcg_parse_token((const char *)data, size, &token, &exp, &ps.s);
	token_seen = NULL;
	fuzz_plugin_returned(&ps, rc, data, size);
	if (rc != IH_OK) {
		FUZZ_CHECK(token == NULL, "a failed parse handed out a token");
		fuzz_psink_free(&ps);
		return 0;
	}
	FUZZ_CHECK(token != NULL, "IH_OK without a token");
	{
		size_t n = strlen(token);

		FUZZ_CHECK(n >= 1 && n <= IH_FUZZ_TOKEN_MAX, "a token of %zu bytes", n);
		for (size_t i = 0; i < n; i++)
			FUZZ_CHECK(token[i] > 0x20 && token[i] < 0x7f, "token byte %zu is 0x%02x: not printable ASCII", i,
				   (unsigned char)token[i]);
		if (ps.tree != NULL)
			FUZZ_CHECK(fuzz_json_has_string(ps.tree, "access_token", token, 0),
				   "token '%.40s' is not, in full, the access_token of the body", token);
	}
	FUZZ_CHECK(exp >= 1 && exp <= IH_FUZZ_TOKEN_LIFETIME_MAX,
		   "expires_in %ld: not within 1 s .. the documented lifetime plus a day (%ld s)", exp,
		   IH_FUZZ_TOKEN_LIFETIME_MAX);
	free(token);
	fuzz_psink_free(&ps);
	return 0;
}
