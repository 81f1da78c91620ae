/*
 * ingesthost/plugin-testkit.h -- run a plugin's collect() in a test program,
 * against canned HTTP answers, with no database, no Redis and no network.
 *
 *     cc -o price_test price_test.c \
 *         $(pkg-config --cflags ingesthost-plugin) \
 *         $(pkg-config --variable=testkit_libs ingesthost-plugin)
 *
 * The kit is a static library (libingesthost-testkit.a) built from the
 * host's own code, so a test sees what the real host would do:
 *  - the plugin is opened and checked by the host's loader (magic, ABI
 *    version, size, required fields): one the host would refuse is refused
 *    here, with the same sentence;
 *  - every snapshot the plugin emits goes through the host's validator
 *    (the one the writer uses): a row the host would reject is rejected
 *    here, emit() returns IH_ERR_FATAL and the reason is kept;
 *  - a canned HTTP status is classified by the host's classifier (2xx
 *    IH_OK, 401/403 IH_ERR_AUTH, 429 IH_ERR_RATE_LIMITED, 408/5xx
 *    IH_ERR_TRANSIENT, else IH_ERR_FATAL).  A canned answer is the *final*
 *    answer of the host's http service, after its retries: the kit does not
 *    retry or wait.
 *  - a line logged at IH_LOG_ERR becomes the run's error text, as in the host.
 *
 * The kit offers the services of this header's ABI minor.  It runs collect()
 * on the calling thread; one kit is used by one thread.  Strings passed in
 * are copied; strings and snapshots returned are owned by the kit and live
 * until the next ih_testkit_reset() or ih_testkit_free().
 */
#ifndef INGESTHOST_PLUGIN_TESTKIT_H
#define INGESTHOST_PLUGIN_TESTKIT_H

#include <stddef.h>
#include <ingesthost/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The fake host a plugin runs under; it is the ih_ctx the plugin is given. */
typedef struct ih_ctx ih_testkit;

/*
 * Open the plugin module at `path` with the host's loader and checks.
 * Returns a kit, or NULL with the reason in err (as --list-plugins says it).
 */
ih_testkit *ih_testkit_open(const char *path, char *err, size_t errlen);
/* A kit for a descriptor linked into the test program (not checked). */
ih_testkit *ih_testkit_new(const ih_plugin_descriptor *plugin);
/* Call the plugin's shutdown (after a successful init) and free everything. */
void ih_testkit_free(ih_testkit *k);

/* Set a key of the plugin's config section; before ih_testkit_init.  Keys
 * not set read the default of the plugin's key table (base_url: the
 * descriptor's default_base_url). */
void ih_testkit_config(ih_testkit *k, const char *key, const char *value);
/* Call the plugin's init: IH_OK or its status. */
int ih_testkit_init(ih_testkit *k);
/* Run one collect over cards[0..n) (NULL/0 for a bulk plugin): its status. */
int ih_testkit_collect(ih_testkit *k, const ih_card *cards, size_t n);

/*
 * Answer requests whose URL starts with url_prefix with `status` and `body`
 * (copied), `times` times (< 0: always).  Routes are tried in the order
 * added; a request no route answers gets 404.
 */
void ih_testkit_route(ih_testkit *k, const char *url_prefix, long status, const char *body, int times);
/* should_stop() turns true once this many requests were made (0: never);
 * the http service then answers IH_ERR_STOPPED without a request. */
void ih_testkit_stop_after(ih_testkit *k, long requests);

/* Requests made whose URL starts with url_prefix ("" for all). */
size_t ih_testkit_requests(const ih_testkit *k, const char *url_prefix);
/* Snapshots the host accepted, in emission order. */
size_t ih_testkit_snapshot_count(const ih_testkit *k);
const ih_snapshot *ih_testkit_snapshot(const ih_testkit *k, size_t i);
/* Snapshots the host's validator rejected, and why the last one was. */
long ih_testkit_rejected(const ih_testkit *k);
const char *ih_testkit_last_rejection(const ih_testkit *k);
/* What the plugin counted with count(), and cards it marked with mark_done. */
long ih_testkit_counter(const ih_testkit *k, ih_counter which);
size_t ih_testkit_marked(const ih_testkit *k);
/* The run's error text (the last line logged at IH_LOG_ERR; "" if none),
 * and every line logged, one per line. */
const char *ih_testkit_error(const ih_testkit *k);
const char *ih_testkit_log(const ih_testkit *k);
/* The host's word for a status: "ok", "auth_failed", "rate_limited",
 * "transient", "fatal", "stopped". */
const char *ih_testkit_status_name(int status);

/* Forget requests, snapshots, rejections, marks, counters and the error
 * text; keep routes, config and the plugin's state. */
void ih_testkit_reset(ih_testkit *k);

#ifdef __cplusplus
}
#endif
#endif /* INGESTHOST_PLUGIN_TESTKIT_H */
