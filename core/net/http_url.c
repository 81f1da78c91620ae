#include "config.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ingesthost/plugin.h"
#include "net/http_url.h"

static int host_is_loopback(const char *host)
{
	char buf[64];
	size_t n = strlen(host);
	struct in_addr a4;
	struct in6_addr a6;

	if (strcasecmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (n >= 2 && n - 2 < sizeof buf && host[0] == '[' && host[n - 1] == ']') {
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = '\0';
		host = buf;
	}
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return memcmp(&a6, &in6addr_loopback, sizeof a6) == 0;
	return 0;
}

int ih_http_url_check(const char *url, ih_url_info *ui, const char *method, char *err, size_t errlen)
{
	char *scheme = NULL, *host = NULL, *path = NULL;
	CURLUcode uc;
	int rc = IH_ERR_FATAL;

	memset(ui, 0, sizeof *ui);
	if (url == NULL || *url == '\0') {
		snprintf(err, errlen, "no URL given");
		return IH_ERR_FATAL;
	}
	ui->u = curl_url();
	if (ui->u == NULL) {
		snprintf(err, errlen, "out of memory parsing a URL");
		return IH_ERR_FATAL;
	}
	uc = curl_url_set(ui->u, CURLUPART_URL, url, 0);
	if (uc != CURLUE_OK) {
		snprintf(err, errlen, "malformed URL (%s): it must be absolute, https://host/path",
			 curl_url_strerror(uc));
		goto out;
	}
	if (curl_url_get(ui->u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(ui->u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		snprintf(err, errlen, "URL without scheme or host");
		goto out;
	}
	if (curl_url_get(ui->u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
		path = NULL;
	snprintf(ui->where, sizeof ui->where, "%s %s", method, path != NULL ? path : "/");
	if (strcasecmp(scheme, "https") == 0) {
		rc = 0;
	} else if (strcasecmp(scheme, "http") == 0) {
		if (host_is_loopback(host)) {
			ui->plain = 1;
			rc = 0;
		} else {
			snprintf(err, errlen, "refused plain http:// to '%.60s': only loopback hosts "
				 "(127.0.0.0/8, ::1, localhost) may be reached without TLS; use https://", host);
		}
	} else {
		snprintf(err, errlen, "refused URL scheme '%.20s': only https:// (and http:// to loopback)",
			 scheme);
	}
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(path);
	if (rc != 0) {
		curl_url_cleanup(ui->u);
		ui->u = NULL;
	}
	return rc;
}

int ih_http_url_allowed(const char *url, char *err, size_t errlen)
{
	ih_url_info ui;
	int rc = ih_http_url_check(url, &ui, "GET", err, errlen);

	curl_url_cleanup(ui.u);
	return rc;
}

int ih_http_redirect_check(const char *target, int first_plain, ih_url_info *ui, char *err, size_t errlen)
{
	if (ih_http_url_check(target, ui, "GET", err, errlen) != 0)
		return IH_ERR_FATAL;
	if (ui->plain && !first_plain) {
		snprintf(err, errlen, "a transfer begun over https:// may not continue over plain http://");
		curl_url_cleanup(ui->u);
		ui->u = NULL;
		return IH_ERR_FATAL;
	}
	return 0;
}

void ih_http_url_shown(const char *url, char *buf, size_t len)
{
	CURLU *u = curl_url();
	char *t = NULL;

	if (u != NULL && url != NULL &&
	    curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK) {
		curl_url_set(u, CURLUPART_USER, NULL, 0);
		curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
		curl_url_set(u, CURLUPART_OPTIONS, NULL, 0);
		curl_url_set(u, CURLUPART_QUERY, NULL, 0);
		curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
		if (curl_url_get(u, CURLUPART_URL, &t, 0) != CURLUE_OK)
			t = NULL;
	}
	snprintf(buf, len, "%s", t != NULL ? t : "(a malformed URL)");
	curl_free(t);
	curl_url_cleanup(u);
}
