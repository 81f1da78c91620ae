/*
 * ingesthost/plugin.h -- the ABI between the ingesthost host and its
 * marketplace adapter plugins.  This is the only header a plugin includes.
 * doc/plugin-abi.md says the same at length: lifecycle, threads, ownership.
 *
 * A plugin is a shared object that exports one data symbol,
 *
 *     IH_PLUGIN_EXPORT const ih_plugin_descriptor ingesthost_plugin = {
 *             IH_PLUGIN_DESCRIPTOR_HEAD, ... };
 *
 * The host dlopen()s it with RTLD_NOW | RTLD_LOCAL, reads the descriptor's
 * first four fields (magic, ABI major, ABI minor, struct size) and refuses the
 * plugin unless
 *     magic == IH_PLUGIN_MAGIC,
 *     abi_major == the host's IH_ABI_MAJOR,
 *     abi_minor <= the host's IH_ABI_MINOR,
 *     size >= the size of the descriptor as of 1.0,
 * and every required field (name, version, marketplace, currency, collect) is
 * set.  No plugin function is called before all of these checks pass.
 *
 * Versioning rule
 * ---------------
 *  - IH_ABI_MAJOR changes when anything already published changes meaning,
 *    type, width or position.  Plugins built for another major are refused.
 *  - IH_ABI_MINOR grows when something is added: a field appended to
 *    ih_plugin_descriptor, a service to ih_host_services, a macro here.
 *    Nothing is removed or reordered within a major.  A plugin built against
 *    minor m runs on any host with minor >= m.
 *  - The descriptor grows at its end.  The host reads a field appended after
 *    1.0 only through IH_DESCRIPTOR_HAS / IH_DESCRIPTOR_GET, which look at
 *    the size the plugin declared, never at the host's sizeof (GStreamer's
 *    rule): an older plugin's shorter descriptor is never read past its end.
 *  - ih_host_services grows into its reserved[] slots (see the rule there);
 *    its size never changes within a major.  A plugin checks IH_HAS_SERVICE
 *    before calling a service newer than the minor it requires.
 *  - Frozen for the whole major: ih_card, ih_snapshot, ih_http_request,
 *    ih_http_response and ih_config_key.  They carry no size field and are
 *    passed as arrays (cards, config keys) or filled and zeroed by the other
 *    side's sizeof (snapshots, requests, responses), so a field added to one
 *    of them would be read past the end of an older party's copy.  Anything
 *    new for them goes into a new struct reached through a new service.
 *
 * History
 *   1.0  descriptor; host services: log, config_string/int/bool/double.
 *   1.1  host services: http, http_free, emit, mark_done, count, should_stop,
 *        set_blueprint_id.
 *   1.2  IH_PLUGIN_EXPORT; fixed-width int32_t for the fields that were
 *        enums (descriptor fetch_mode, ih_http_request method: same size and
 *        place as before, so 1.0 and 1.1 plugins load unchanged); IH_DESCRIPTOR_HAS/GET; the frozen structs and the
 *        services growth rule written down.  No field added.
 *
 * All strings are UTF-8 and NUL-terminated.  Money is always decimal text
 * ("18.13"), never a binary floating-point number.
 */
#ifndef INGESTHOST_PLUGIN_H
#define INGESTHOST_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IH_PLUGIN_MAGIC 0x48474e49u /* "INGH" little-endian */
#define IH_ABI_MAJOR 1
#define IH_ABI_MINOR 2

/*
 * Put before the descriptor's definition.  It exports the one symbol the
 * host looks for even when the plugin is built with -fvisibility=hidden (the
 * recommended way: nothing else of the plugin leaks into the symbol table),
 * and in C++ gives it C linkage.
 */
#if defined(__GNUC__) || defined(__clang__)
#define IH_VISIBLE_ __attribute__((visibility("default")))
#else
#define IH_VISIBLE_
#endif
#ifdef __cplusplus
#define IH_PLUGIN_EXPORT extern "C" IH_VISIBLE_
#else
#define IH_PLUGIN_EXPORT IH_VISIBLE_
#endif

/** Name of the data symbol every plugin exports. */
#define IH_PLUGIN_SYMBOL "ingesthost_plugin"

/* Results of plugin calls and of host services.  0 is success. */
typedef enum ih_status {
	IH_OK = 0,
	IH_ERR_AUTH = -1,         /* credentials rejected (401/403): never retried */
	IH_ERR_RATE_LIMITED = -2, /* 429 after the host's retries */
	IH_ERR_TRANSIENT = -3,    /* timeout, connection error, 5xx after retries */
	IH_ERR_FATAL = -4,        /* other 4xx, unusable body, plugin's own error */
	IH_ERR_STOPPED = -5       /* the host is shutting down: return promptly */
} ih_status;

/* Log levels, as syslog's. */
enum { IH_LOG_ERR = 3, IH_LOG_WARNING = 4, IH_LOG_NOTICE = 5, IH_LOG_INFO = 6, IH_LOG_DEBUG = 7 };

/* How a plugin collects: the values of the descriptor's fetch_mode. */
typedef enum ih_fetch_mode {
	IH_FETCH_CARD_LIST = 0, /* collect() gets the cards to price */
	IH_FETCH_BULK = 1       /* collect() gets no cards; the plugin exports
	                           everything and the host resolves scryfall ids */
} ih_fetch_mode;

/* Opaque: one plugin run's context, owned by the host. */
typedef struct ih_ctx ih_ctx;

/* A card to price: one printing.  Integer ids are 0 when unknown. */
/*
 * Frozen for the major (no size field; the host passes an array of them):
 * ih_card, ih_snapshot, ih_http_request, ih_http_response, ih_config_key.
 */
typedef struct ih_card {
	int32_t card_id;           /* cards.id */
	const char *scryfall_id;   /* UUID text */
	const char *name;
	const char *set_code;
	const char *collector_number;
	const char *lang;          /* Scryfall language code */
	int32_t tcgplayer_id;
	int32_t tcgplayer_etched_id;
	int32_t cardmarket_id;
	int32_t cardtrader_blueprint_id;
	int32_t mtgo_id;
} ih_card;

/*
 * One price observation handed to the host by emit().  The host copies it.
 * Identify the card by card_id, or leave card_id 0 and give scryfall_id: the
 * host resolves it through the identity map (unresolvable ids are counted as
 * "unmatched").  condition: NM LP MP HP DMG; finish: nonfoil foil etched;
 * language: Scryfall code, NULL = the card's own; currency: ISO 4217 or TIX.
 * Prices are non-negative decimal text; NULL means "not given" (price itself
 * is required).  num_listings < 0 means unknown.
 */
typedef struct ih_snapshot {
	int32_t card_id;
	const char *scryfall_id;
	const char *condition;
	const char *finish;
	const char *language;
	const char *currency;
	const char *price;
	const char *price_low;
	const char *price_mid;
	const char *price_high;
	int32_t num_listings;
} ih_snapshot;

/* HTTP request for the host's http service (1.1).  Frozen: the plugin
 * fills it, the host reads it by its own sizeof. */
typedef enum ih_http_method { IH_HTTP_GET = 0, IH_HTTP_POST = 1 } ih_http_method;

typedef struct ih_http_request {
	int32_t method;           /* an ih_http_method (int32_t since 1.2: same layout) */
	const char *url;          /* absolute; https://, or http:// to loopback only */
	const char *content_type; /* for POST: "application/json", "application/x-www-form-urlencoded" */
	const char *body;         /* for POST, NUL-terminated */
	const char *const *headers; /* extra "Name: value" lines, NULL-terminated, may be NULL */
	int no_retry;             /* 1: classify but do not retry (e.g. a token request) */
} ih_http_request;

/* Frozen: the host zeroes and fills it by its own sizeof. */
typedef struct ih_http_response {
	long status;              /* HTTP status, 0 when no response arrived */
	char *body;               /* NUL-terminated, owned by the host: release with http_free */
	size_t body_len;
	char error[256];          /* human text when the call did not return IH_OK */
} ih_http_response;

/* Counters a plugin may bump with count(). */
typedef enum ih_counter {
	IH_COUNT_NOT_FOUND = 0,   /* the marketplace does not know this card */
	IH_COUNT_REJECTED = 1,    /* a row the plugin could not use */
	IH_COUNT_UNMATCHED = 2    /* a row for a card not in the identity map */
} ih_counter;

/*
 * Services the host offers a plugin.  The host owns the table; it outlives
 * the plugin instance (init to shutdown).  Every function may be called from
 * the thread that is running the plugin's init or collect, with the ctx it
 * was given, and from no other thread.
 *
 * Growth rule (the one rule): a service added in a later minor takes the
 * next free slot of reserved[], in order, one pointer per service, so the
 * table's layout and size never change within a major.  `size` is
 * sizeof(ih_host_services) of this major, never a growth signal: a plugin
 * decides whether it may call a service with IH_HAS_SERVICE(host, minor)
 * alone.  When reserved[] is used up, the next addition is a new major.
 */
typedef struct ih_host_services {
	uint32_t abi_major;
	uint32_t abi_minor;
	uint32_t size;

	/* --- 1.0 --- */
	/* Log a line; the host prefixes the plugin's name. Never log secrets. */
	void (*log)(ih_ctx *ctx, int level, const char *fmt, ...)
#if defined(__GNUC__)
	    __attribute__((format(printf, 3, 4)))
#endif
	    ;
	/* This plugin's config section, read-only.  Keys not set take the
	 * default from the plugin's key table.  Strings are owned by the host and
	 * live until shutdown(). config_string returns NULL for an unset key with
	 * no default; the numeric ones return 0 on success, -1 if unknown. */
	const char *(*config_string)(ih_ctx *ctx, const char *key);
	int (*config_int)(ih_ctx *ctx, const char *key, long long *out);
	int (*config_bool)(ih_ctx *ctx, const char *key, int *out);
	int (*config_double)(ih_ctx *ctx, const char *key, double *out);

	/* --- 1.1 --- */
	/* One HTTP exchange with the plugin's rate limit, User-Agent, timeouts
	 * and the host's retry policy applied.  Returns IH_OK for a 2xx answer,
	 * else the class of the final failure (IH_ERR_AUTH for 401/403, and for
	 * an extra header the host refuses -- control characters, a bad name --
	 * with status 0 and nothing sent, so a plugin replaces a bad token once;
	 * IH_ERR_FATAL for other 4xx: resp->status tells which).  resp is always
	 * filled and must be released with http_free. */
	int (*http)(ih_ctx *ctx, const ih_http_request *req, ih_http_response *resp);
	void (*http_free)(ih_ctx *ctx, ih_http_response *resp);
	/* Hand over one snapshot.  Returns IH_OK when accepted, IH_ERR_FATAL when
	 * rejected (counted and logged by the host), or a negative status when the
	 * host could not store it and the run should end.  In a worker process
	 * the host validates later: emit returns IH_OK for a row it will reject
	 * (still counted and logged), and the negative status shortly after the
	 * host failed. */
	int (*emit)(ih_ctx *ctx, const ih_snapshot *snap);
	/* The marketplace answered that it has no price for this card: mark it
	 * fresh in the cache anyway. */
	void (*mark_done)(ih_ctx *ctx, int32_t card_id);
	void (*count)(ih_ctx *ctx, ih_counter which, long n);
	/* Non-zero when the host is shutting down: stop between requests. */
	int (*should_stop)(ih_ctx *ctx);
	/* Identity map: remember a card's CardTrader blueprint id. */
	int (*set_blueprint_id)(ih_ctx *ctx, int32_t card_id, int32_t blueprint_id);

	/* --- 1.2 adds no service --- */

	void *reserved[16]; /* future services, in order; NULL until then */
} ih_host_services;

/* Non-zero when `host` offers the services of `minor` (this major). */
#define IH_HAS_SERVICE(host, minor) ((host)->abi_major == IH_ABI_MAJOR && (host)->abi_minor >= (minor))

/* A plugin-specific config key, for the host's validating parser.  Frozen:
 * the host walks an array of them up to the IH_CFG_END entry. */
typedef enum ih_config_type {
	IH_CFG_END = 0, IH_CFG_STRING, IH_CFG_INT, IH_CFG_BOOL, IH_CFG_DOUBLE
} ih_config_type;

typedef struct ih_config_key {
	const char *name;
	ih_config_type type;       /* still an enum (int-sized on every supported ABI):
	                              int32_t at the next major */
	const char *default_value; /* as text, NULL = none */
	double min, max;           /* range for INT and DOUBLE; ignored when min > max */
	int secret;                /* masked wherever config is printed */
	int required;
	const char *help;
} ih_config_key;

/*
 * The descriptor: a const object of the plugin, read by the host and never
 * written.  Every pointer in it (strings, config_keys) points at storage of
 * the plugin that lives as long as the plugin is loaded.  The first four
 * fields never move; the rest grows at the end only (see the versioning
 * rule), and the host reads fields past 1.0 through IH_DESCRIPTOR_GET.
 *  init:     called once after the checks; *state is the plugin's own.
 *            Return IH_OK, or a negative status to disable the plugin.
 *  collect:  one run over `cards` (n of them; NULL/0 for a bulk plugin).
 *            Called on the plugin's own thread.  Returns IH_OK or the class
 *            of the failure that ended the run.
 *  shutdown: release state.  Optional.
 *  Under process isolation (plugins.<name>.isolation = "process", the
 *  default) init, collect and shutdown run in a fresh worker process for
 *  every run: no state outlives a run, and a failing init fails that run
 *  (status fatal) instead of disabling the plugin.  doc/plugin-abi.md,
 *  "Process isolation".
 *  config_keys: the plugin's own keys beyond the common ones (enabled,
 *            base_url, timeout_ms, requests_per_second, max_retries,
 *            user_agent, freshness), ended by an entry of type IH_CFG_END.
 *  default_*: the plugin's defaults for some common keys (0/NULL: host's).
 */
typedef struct ih_plugin_descriptor {
	uint32_t magic;
	uint16_t abi_major;
	uint16_t abi_minor;
	uint32_t size;

	const char *name;
	const char *version;
	const char *marketplace; /* slug, stored in marketplaces.slug */
	const char *currency;    /* the marketplace's main currency */
	const char *description;
	int32_t fetch_mode;      /* an ih_fetch_mode (int32_t since 1.2: same layout) */

	int (*init)(const ih_host_services *host, ih_ctx *ctx, void **state);
	int (*collect)(void *state, ih_ctx *ctx, const ih_card *cards, size_t n);
	void (*shutdown)(void *state);

	const ih_config_key *config_keys;
	const char *default_base_url;
	double default_requests_per_second;
	long default_freshness;
	size_t max_batch; /* the marketplace's largest request, in cards (informational) */
} ih_plugin_descriptor;

/* Use as the first initialiser of a descriptor. */
#define IH_PLUGIN_DESCRIPTOR_HEAD \
	IH_PLUGIN_MAGIC, IH_ABI_MAJOR, IH_ABI_MINOR, (uint32_t)sizeof(ih_plugin_descriptor)

/* Size of the descriptor as of 1.0 (every field up to max_batch).  1.1 and
 * 1.2 added no descriptor field: their size is the same. */
#define IH_PLUGIN_DESCRIPTOR_SIZE_1_0 (offsetof(ih_plugin_descriptor, max_batch) + sizeof(size_t))

/*
 * Whether the descriptor d (already checked: magic, major, size >= 1.0)
 * declares a size that covers `field`, and that field's value or `fallback`.
 * The host reads every descriptor field appended after 1.0 this way, so a
 * plugin built for an older minor is never read past the size it declared.
 */
#define IH_DESCRIPTOR_HAS(d, field) \
	((size_t)(d)->size >= offsetof(ih_plugin_descriptor, field) + sizeof((d)->field))
#define IH_DESCRIPTOR_GET(d, field, fallback) (IH_DESCRIPTOR_HAS(d, field) ? (d)->field : (fallback))

#ifdef __cplusplus
}
#endif
#endif /* INGESTHOST_PLUGIN_H */
