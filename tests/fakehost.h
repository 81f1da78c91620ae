/*
 * fakehost -- a stand-in host for exercising a plugin's collect() end to
 * end: an ih_host_services table whose `http` serves canned bodies per URL
 * (the marketplace's part only; no database, no cache) and which records
 * requests, snapshots, mark_done calls, counters and blueprint ids.
 *
 * It is the implementation of the installed author's kit
 * (include/ingesthost/plugin-testkit.h, libingesthost-testkit.a) and calls
 * the host's real code: the loader's checks (ih_plugin_open), the snapshot
 * validator (ih_snapshot_validate, core/host/emit.c) and the HTTP status
 * classifier (ih_http_status_class, core/net/http.c).  The in-tree tests use
 * the fh_* names and the struct below; authors use the ih_testkit_* API.
 * Single-threaded.
 */
#ifndef IH_FAKEHOST_H
#define IH_FAKEHOST_H

#include <stddef.h>
#include "ingesthost/plugin.h"
#include "ingesthost/plugin-testkit.h"

struct ih_plugin_handle;

/* A handler builds an answer for a request no route matched: set *status
 * and *body (malloc'd) and return 0, or return -1 to pass. */
typedef int (*fh_handler_fn)(void *ud, const ih_http_request *req, long *status, char **body);

typedef struct fh_req {
	int method;
	char *url, *body, *headers; /* headers joined by '\n' */
	int no_retry;
} fh_req;

typedef struct fh_snap {
	int32_t card_id, num_listings;
	char *sid, *cond, *finish, *lang, *cur, *price, *low, *mid, *high;
	ih_snapshot view; /* the same row, pointing at the strings above */
} fh_snap;

typedef struct fh_rule {
	char *prefix, *body;
	long status;
	int times; /* < 0: forever */
} fh_rule;

/* The fake host is the ctx handed to the plugin. */
struct ih_ctx {
	ih_host_services services;
	const ih_plugin_descriptor *plugin;
	void *state;
	char **cfg; /* key, value, key, value, ... */
	size_t ncfg;
	fh_rule *routes;
	size_t nroutes;
	fh_handler_fn handler;
	void *handler_ud;
	fh_req *reqs;
	size_t nreqs;
	fh_snap *snaps;
	size_t nsnaps;
	int32_t *done;
	size_t ndone;
	int32_t (*bp)[2];
	size_t nbp;
	long counts[3];
	long stop_after; /* should_stop() true once this many requests were made (0: never) */
	char *logs;      /* every line logged, joined */
	size_t logs_len;
	struct ih_plugin_handle *handle; /* when opened through the loader */
	int inited;                      /* init returned IH_OK */
	long rejected;                   /* rows the host's validator refused */
	char last_rejection[256];
	char error[1024];                /* the last line logged at IH_LOG_ERR */
};
typedef struct ih_ctx fakehost;

/* Load the plugin module `name` from the build tree (not yet init'ed).  NULL
 * on failure, the reason on stderr. */
fakehost *fh_new(const char *name);
/* Shut the plugin down and free everything. */
void fh_free(fakehost *fh);
/* Set a config key of the plugin's section (before fh_init). */
void fh_config(fakehost *fh, const char *key, const char *value);
/* Call the plugin's init; IH_OK or its status. */
int fh_init(fakehost *fh);
/* Run collect over cards[0..n). */
int fh_collect(fakehost *fh, const ih_card *cards, size_t n);
/* Answer URLs starting with prefix with status/body, `times` times (< 0:
 * always).  The status is classified by the host's classifier. */
void fh_route(fakehost *fh, const char *prefix, long status, const char *body, int times);
/* As fh_route, the body read from tests/data/<rel>. */
void fh_route_file(fakehost *fh, const char *prefix, long status, const char *rel, int times);
void fh_handler(fakehost *fh, fh_handler_fn fn, void *ud);
/* Requests made whose URL starts with prefix. */
size_t fh_requests(const fakehost *fh, const char *prefix);
/* Forget recorded requests, snapshots, rejections, marks, counters and the
 * error text (not routes, not the plugin's state). */
void fh_reset(fakehost *fh);

#endif
