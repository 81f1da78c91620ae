/*
 * http_url: the URL policy of the HTTP client (core/net/http_url.c):
 * ih_http_url_check, ih_http_url_allowed, ih_http_redirect_check and
 * ih_http_url_shown.  Input: one URL (up to the first NUL).
 *
 * Checks, with the URL parsed again here (libcurl's URL API) and the
 * loopback rule written again here: an accepted URL is https://, or
 * http:// to 127.0.0.0/8, ::1 or localhost (and then marked plain); the
 * URL libcurl will be handed (ui->u) is the one checked, and checking it
 * again gives the same answer; the "where" text and every message carry no
 * query, fragment, user name or password (the same URL with other ones
 * gets the same answer, where, message and shown text, word for word); the
 * three checks agree; a redirect after https:// never goes to plain
 * http://.
 */
#include "config.h"

#include <arpa/inet.h>
#include <curl/curl.h>

#include "fuzz.h"
#include "ingesthost/plugin.h"
#include "net/http_url.h"

static int loopback(const char *host)
{
	char buf[128];
	size_t n = strlen(host);
	struct in_addr a4;
	struct in6_addr a6;

	if (strcasecmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return ((const unsigned char *)&a4)[0] == 127;
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof buf) {
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = '\0';
		if (strchr(buf, '%') != NULL)
			*strchr(buf, '%') = '\0'; /* a zone id */
		return inet_pton(AF_INET6, buf, &a6) == 1 && memcmp(&a6, &in6addr_loopback, sizeof a6) == 0;
	}
	return 0;
}

/* url with every secret part it has (user, password, options, query,
 * fragment) replaced by another value, as libcurl writes it; NULL when it
 * has none or libcurl cannot. */
static char *other_secrets(const char *url)
{
	static const CURLUPart secret[] = { CURLUPART_USER, CURLUPART_PASSWORD, CURLUPART_OPTIONS, CURLUPART_QUERY,
					    CURLUPART_FRAGMENT };
	CURLU *u = curl_url();
	char *out = NULL;
	int any = 0;

	if (u == NULL)
		abort();
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		curl_url_cleanup(u);
		return NULL;
	}
	for (size_t i = 0; i < sizeof secret / sizeof secret[0]; i++) {
		char *v = NULL;

		if (curl_url_get(u, secret[i], &v, 0) == CURLUE_OK && v != NULL) {
			const char *w = strcmp(v, "Zz9other") == 0 ? "Yy8other" : "Zz9other";

			any = 1;
			if (curl_url_set(u, secret[i], w, 0) != CURLUE_OK)
				any = -1000;
		}
		curl_free(v);
	}
	if (any <= 0 || curl_url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK)
		out = NULL;
	curl_url_cleanup(u);
	return out;
}

/* url as libcurl writes it back; NULL when it does not parse. */
static char *normal_form(const char *url)
{
	CURLU *u = curl_url();
	char *out = NULL;

	if (u == NULL)
		abort();
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK || curl_url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK)
		out = NULL;
	curl_url_cleanup(u);
	return out;
}

/* What the policy says of url, as text. */
static void verdict(const char *url, char *out, size_t len)
{
	ih_url_info ui;
	char err[512], shown[1024];
	int rc = ih_http_url_check(url, &ui, "GET", err, sizeof err);

	curl_url_cleanup(ui.u);
	ih_http_url_shown(url, shown, sizeof shown);
	snprintf(out, len, "rc %d plain %d where [%s] err [%s] shown [%s]", rc, ui.plain, ui.where, rc ? err : "",
		 shown);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *url, err[512], err2[512], shown[1024];
	ih_url_info ui, ui2;
	int rc, rc2;

	if (size > 8192)
		return 0;
	url = fuzz_cstr(data, size);
	memset(err, 0, sizeof err);
	rc = ih_http_url_check(url, &ui, "GET", err, sizeof err);
	FUZZ_CHECK(rc == 0 || rc == IH_ERR_FATAL, "ih_http_url_check returned %d", rc);
	FUZZ_CHECK(memchr(ui.where, '\0', sizeof ui.where) != NULL, "where is not terminated");
	if (rc != 0) {
		FUZZ_CHECK(ui.u == NULL && err[0] != '\0', "a refusal keeps the parse or gives no reason");
	} else {
		char *scheme = NULL, *host = NULL, *again = NULL;

		FUZZ_CHECK(ui.u != NULL, "an accepted URL without its parse");
		FUZZ_CHECK(curl_url_get(ui.u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
				   curl_url_get(ui.u, CURLUPART_HOST, &host, 0) == CURLUE_OK,
			   "an accepted URL without scheme or host");
		if (strcasecmp(scheme, "https") == 0) {
			FUZZ_CHECK(!ui.plain, "https marked plain");
		} else {
			FUZZ_CHECK(strcasecmp(scheme, "http") == 0 && ui.plain, "accepted scheme '%s' (plain %d)", scheme,
				   ui.plain);
			FUZZ_CHECK(loopback(host), "plain http:// accepted to '%s', which is not loopback", host);
		}
		FUZZ_CHECK(strncmp(ui.where, "GET ", 4) == 0, "where '%s'", ui.where);
		/* what libcurl is handed passes the same check */
		FUZZ_CHECK(curl_url_get(ui.u, CURLUPART_URL, &again, 0) == CURLUE_OK, "the parse gives no URL back");
		rc2 = ih_http_url_check(again, &ui2, "GET", err2, sizeof err2);
		FUZZ_CHECK(rc2 == 0 && ui2.plain == ui.plain, "'%s' is accepted but its normal form '%s' is not (%s)", url,
			   again, err2);
		curl_url_cleanup(ui2.u);
		curl_free(again);
		curl_free(scheme);
		curl_free(host);
	}
	/* the other two checks agree */
	FUZZ_CHECK(ih_http_url_allowed(url, err2, sizeof err2) == rc, "ih_http_url_allowed disagrees");
	rc2 = ih_http_redirect_check(url, 1, &ui2, err2, sizeof err2);
	FUZZ_CHECK(rc2 == rc, "a redirect from plain http disagrees: %d, %d", rc2, rc);
	curl_url_cleanup(ui2.u);
	rc2 = ih_http_redirect_check(url, 0, &ui2, err2, sizeof err2);
	FUZZ_CHECK(rc2 == (rc == 0 && !ui.plain ? 0 : IH_ERR_FATAL), "a redirect from https to '%s': %d", url, rc2);
	FUZZ_CHECK(rc2 != 0 || (ui2.u != NULL && !ui2.plain), "a redirect from https stepped down to plain http");
	curl_url_cleanup(ui2.u);
	curl_url_cleanup(ui.u);
	/* shown: no credentials, query or fragment */
	ih_http_url_shown(url, shown, sizeof shown);
	FUZZ_CHECK(memchr(shown, '\0', sizeof shown) != NULL, "shown text unterminated");
	/* nothing said of the URL depends on its secret parts: the same URL
	 * with other credentials, query and fragment gets the same answers
	 * (both compared in libcurl's normal form) */
	{
		char *norm = normal_form(url), *other = other_secrets(url);

		if (norm != NULL && other != NULL) {
			char a[2048], b[2048];

			verdict(norm, a, sizeof a);
			verdict(other, b, sizeof b);
			FUZZ_CHECK(strcmp(a, b) == 0, "what is said of the URL shows a secret part:\n  %s\n  %s", a, b);
		}
		curl_free(norm);
		curl_free(other);
	}
	free(url);
	return 0;
}
