/*
 * Fixture plugins that fault inside collect, for the process isolation tests
 * (#13; tests/isolation_test.c).  One source, built once per name
 * (FIXTURE_NAME) and kind of fault (CRASH_KIND):
 *   CRASH_SEGV   write through a NULL pointer          (fx_segv)
 *   CRASH_ABORT  abort()                                (fx_abort)
 *   CRASH_EXIT   exit(0)                                (fx_exit)
 *   CRASH_SPIN   loop forever, never asking should_stop (fx_spin)
 *   CRASH_HOG    malloc 1 GiB and memset it; if malloc returns NULL, write
 *                through it (fx_hog: under a worker's memory limit it dies,
 *                without one it goes on and ends ok)
 *
 * Until the fault it is a card-list plugin like tests/plugins/pipeline.c:
 * it asks {base_url}/prices?ids=1,2,... for `chunk` cards at a time and the
 * test's responder answers "id price" lines.  Of every ten cards of its list
 * (by position) the tenth gets no row but mark_done (the marketplace "has no
 * price" for it), the nine others one NM nonfoil USD row.  After the rows
 * and marks of its first `crash_after` requests it faults at once, before
 * anything else (crash_after = 0: before the first request).  crash_if =
 * PATH: fault only while PATH exists (the test turns the fault on and off
 * between cycles); "" = always.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ingesthost/plugin.h"

enum { CRASH_SEGV = 1, CRASH_ABORT, CRASH_EXIT, CRASH_SPIN, CRASH_HOG, CRASH_GARBLE, CRASH_FREEZE };

#ifndef FIXTURE_NAME
#error FIXTURE_NAME must be defined
#endif
#ifndef CRASH_KIND
#error CRASH_KIND must be defined (CRASH_SEGV, CRASH_ABORT, CRASH_EXIT, CRASH_SPIN, CRASH_HOG, CRASH_GARBLE or CRASH_FREEZE)
#endif

#define HOG_BYTES ((size_t)1 << 30)

static const ih_host_services *host;
/* NULL, read through volatile: the compiler cannot see it is NULL, so the
 * write below is a real store that faults (SIGSEGV), not a trap it made */
static int *volatile nowhere;
/* the hog's memory escapes here, so the allocation and memset stay */
static char *volatile hog_keep;
static volatile unsigned long spins;

static int cr_init(const ih_host_services *h, ih_ctx *ctx, void **state)
{
	(void)ctx;
	host = h;
	*state = NULL;
	return IH_OK;
}

/*
 * Returns only for a hog that got its memory.  Not checked by UBSan (in
 * sanitizer builds the fixture is built with it): the NULL store is the
 * point, and it must end the worker by SIGSEGV as in a plugin built
 * without the sanitizers, not by UBSan's report and exit(1).
 */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((no_sanitize("undefined")))
#endif
static void fault(ih_ctx *ctx)
{
	const char *when = host->config_string(ctx, "crash_if");

	if (when != NULL && *when != '\0' && access(when, F_OK) != 0)
		return;
	switch (CRASH_KIND) {
	case CRASH_SEGV:
		*nowhere = 11;
		break;
	case CRASH_ABORT:
		abort();
	case CRASH_EXIT:
		exit(0);
	case CRASH_SPIN:
		for (;;)
			spins++;
	case CRASH_GARBLE: {
		/* a frame of a type the host does not know, straight into the
		 * worker's channel (fd 3), as a plugin scribbling on it would;
		 * then wait to be killed */
		static const unsigned int frame[4] = { 8, 99, 0, 0 };

		if (write(3, frame, sizeof frame) == (ssize_t)sizeof frame)
			for (;;)
				pause();
		break;
	}
	case CRASH_FREEZE:
		/* the whole worker stops: no thread of it runs, no heartbeat */
		raise(SIGSTOP);
		break;
	case CRASH_HOG: {
		char *p = malloc(HOG_BYTES);

		if (p == NULL) {
			*nowhere = 1;
			break;
		}
		memset(p, 0x5a, HOG_BYTES);
		hog_keep = p;
		host->log(ctx, IH_LOG_INFO, "got and touched %zu MiB", HOG_BYTES >> 20);
		hog_keep = NULL;
		free(p);
		break;
	}
	default:
		break;
	}
}

static int cr_collect(void *state, ih_ctx *ctx, const ih_card *cards, size_t n)
{
	const char *base = host->config_string(ctx, "base_url");
	long long chunk = 100, crash_after = 3;
	long long asked = 0;
	int faulted = 0;

	(void)state;
	host->config_int(ctx, "chunk", &chunk);
	host->config_int(ctx, "crash_after", &crash_after);
	if (crash_after == 0) {
		fault(ctx);
		faulted = 1;
	}
	for (size_t i = 0; i < n; i += (size_t)chunk) {
		size_t end = i + (size_t)chunk < n ? i + (size_t)chunk : n, used;
		char *url = malloc(strlen(base) + 32 + 12 * (end - i));
		ih_http_request req = { IH_HTTP_GET, url, NULL, NULL, NULL, 0 };
		ih_http_response resp;
		int rc;

		if (url == NULL)
			return IH_ERR_FATAL;
		if (host->should_stop(ctx)) {
			free(url);
			return IH_ERR_STOPPED;
		}
		used = (size_t)sprintf(url, "%s/prices?ids=", base);
		for (size_t j = i; j < end; j++)
			used += (size_t)sprintf(url + used, "%s%d", j > i ? "," : "", (int)cards[j].card_id);
		rc = host->http(ctx, &req, &resp);
		free(url);
		if (rc != IH_OK) {
			host->http_free(ctx, &resp);
			return rc;
		}
		asked++;
		for (char *line = resp.body, *next; line != NULL && *line; line = next) {
			char price[32];
			int id;
			size_t pos = i;
			ih_snapshot s;

			next = strchr(line, '\n');
			if (next != NULL)
				*next++ = '\0';
			if (sscanf(line, "%d %31s", &id, price) != 2)
				continue;
			while (pos < end && cards[pos].card_id != id)
				pos++;
			if (pos == end)
				continue; /* not asked */
			if (pos % 10 == 9) {
				host->mark_done(ctx, id);
				continue;
			}
			memset(&s, 0, sizeof s);
			s.card_id = id;
			s.condition = "NM";
			s.finish = "nonfoil";
			s.currency = "USD";
			s.price = price;
			s.num_listings = -1;
			rc = host->emit(ctx, &s);
			if (rc != IH_OK && rc != IH_ERR_FATAL) {
				host->http_free(ctx, &resp);
				return rc;
			}
		}
		host->http_free(ctx, &resp);
		if (!faulted && asked == crash_after) {
			fault(ctx);
			faulted = 1;
		}
	}
	return IH_OK;
}

static const ih_config_key cr_keys[] = {
	{ "chunk", IH_CFG_INT, "100", 1, 10000, 0, 0, "cards per request" },
	{ "crash_after", IH_CFG_INT, "3", 0, 100000, 0, 0, "fault after this many requests' rows" },
	{ "crash_if", IH_CFG_STRING, "", 1, 0, 0, 0, "fault only while this file exists (\"\": always)" },
	{ NULL, IH_CFG_END, NULL, 0, 0, 0, 0, NULL },
};

const ih_plugin_descriptor ingesthost_plugin = {
	IH_PLUGIN_DESCRIPTOR_HEAD,
	.name = FIXTURE_NAME,
	.version = "1.0.0",
	.marketplace = FIXTURE_NAME,
	.currency = "USD",
	.description = "process isolation fixture: faults inside collect",
	.fetch_mode = IH_FETCH_CARD_LIST,
	.init = cr_init,
	.collect = cr_collect,
	.config_keys = cr_keys,
	.default_requests_per_second = 1000,
};
