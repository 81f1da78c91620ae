/*
 * conf -- the validated libconfig file.
 *
 * Every key the host knows is one row of a declarative table (group, name,
 * type, default, range, secret).  Loading checks each setting against the
 * table: an unknown key, a wrong type or an out-of-range value is an error
 * naming file, line and the valid keys.  Plugin sections (plugins.<name>)
 * are checked against the common plugin keys at load, and against the
 * plugin's own key table once its descriptor is known (ih_config_bind).
 *
 * The file is parsed once, on the main thread; the result is plain data that
 * is never modified afterwards, so any thread may read it.
 */
#ifndef IH_CONF_H
#define IH_CONF_H

#include <stdio.h>
#include "ingesthost/plugin.h"

/* Accumulated error messages ("file:line: text"). */
typedef struct ih_errors {
	char **msg;
	size_t n;
} ih_errors;

void ih_errors_add(ih_errors *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ih_errors_print(const ih_errors *e, FILE *f);
void ih_errors_clear(ih_errors *e);

/* One setting of a plugin section, copied out of libconfig. */
typedef struct ih_cfg_value {
	char *key;
	ih_config_type type; /* as written in the file */
	char *s;             /* strings only */
	long long i;         /* ints and bools */
	double d;            /* doubles (ints too) */
	int line;
} ih_cfg_value;

/* plugins.<name> { ... } */
typedef struct ih_plugin_section {
	char *name;
	int line;
	ih_cfg_value *vals;
	size_t n;
} ih_plugin_section;

typedef struct ih_config {
	char *path;
	struct {
		char *conninfo;
		long long pool_size;
		long long connect_timeout;   /* seconds */
		long long checkout_timeout_ms;
		long long statement_timeout_ms; /* bound on every database call */
	} database;
	struct {
		int present;                 /* the group was in the file */
		char *host;
		long long port;
		long long db;
		char *password;
		long long timeout_ms;
	} redis;
	struct {
		long long ttl;
	} cache;
	struct {
		long long interval;
		long long cards_per_cycle;
		long long batch_size;
		long long freshness;
		long long max_retries;
		long long max_wait;          /* cap on one retry wait, seconds */
		long long deadline;          /* a plugin run past this is 'timeout', seconds */
		long long max_response_bytes;
		long long copy_threshold;    /* rows at or above which writes use COPY */
		long long max_buffered_rows; /* unwritten rows a run may hold */
		long long stop_wait;         /* seconds a stop waits for a live run */
	} ingest;
	struct {
		char *level;
		int syslog;
	} log;
	struct {
		char *dir;
		long long crash_limit;       /* consecutive crashes before quarantine */
	} plugins;
	struct {
		long long max_decompressed_bytes; /* `import scryfall` stops past this */
	} import;
	ih_plugin_section *sections;
	size_t nsections;
} ih_config;

/*
 * Read and validate `path`.  On success returns 0 and *out (free with
 * ih_config_free).  On failure returns -1 with the messages in errs; *out is
 * NULL.  Call on the main thread only.
 */
int ih_config_load(const char *path, ih_config **out, ih_errors *errs);
/* The same with built-in defaults only, no file (for tools and tests). */
ih_config *ih_config_defaults(void);
void ih_config_free(ih_config *cfg);

/* The section for plugin `name`, or NULL when the file has none. */
const ih_plugin_section *ih_config_section(const ih_config *cfg, const char *name);

/*
 * An immutable view of one plugin's section, with every key (common and the
 * plugin's own) resolved to a value or its default.
 */
typedef struct ih_plugin_config ih_plugin_config;

/*
 * Check `name`'s section against the common keys plus `desc`'s own key
 * table and build its view.  Errors (unknown key with the valid ones, wrong
 * type, out of range, missing required key) go to errs; returns NULL then.
 */
ih_plugin_config *ih_config_bind(const ih_config *cfg, const char *name,
				 const ih_plugin_descriptor *desc, ih_errors *errs);
void ih_plugin_config_free(ih_plugin_config *pc);

const char *ih_pc_string(const ih_plugin_config *pc, const char *key);
int ih_pc_int(const ih_plugin_config *pc, const char *key, long long *out);
int ih_pc_bool(const ih_plugin_config *pc, const char *key, int *out);
int ih_pc_double(const ih_plugin_config *pc, const char *key, double *out);
/* Convenience for the host: 1 if enabled (default true). */
int ih_pc_enabled(const ih_plugin_config *pc);

/*
 * A plugin's effective common settings: each its section's value, else the
 * default resolved once when the view was bound (the descriptor's own
 * default, then [ingest]'s: freshness, max_retries).  The one place those
 * fallbacks are read.  Strings are owned by the view.
 */
typedef struct ih_plugin_settings {
	int enabled;
	const char *base_url;    /* NULL when neither set nor defaulted */
	const char *user_agent;
	long long timeout_ms, connect_timeout_ms, max_retries, freshness;
	double requests_per_second;
	int isolate_process;     /* isolation = "process" (the default) */
	long long memory_limit_mb; /* the worker's address-space limit, 0 = none */
	long long heartbeat_timeout; /* seconds of a worker's silence before it is killed */
} ih_plugin_settings;
void ih_pc_settings(const ih_plugin_config *pc, ih_plugin_settings *out);

/* Print the effective config: every key marked secret (host table or the
 * plugin's own table) as ********, database.conninfo through ih_mask_conninfo. */
void ih_config_print(const ih_config *cfg, FILE *f);
void ih_plugin_config_print(const ih_plugin_config *pc, const char *name, FILE *f);

/*
 * A libpq connection string fit for messages, or NULL when out of memory;
 * the caller frees it.  conninfo (NULL reads as "") is parsed by libpq
 * (key=value, quoting, escapes, postgresql:// and postgres:// URIs) and
 * rebuilt as key=value in libpq's option order, with the value of every
 * secret key (password, sslpassword, ...) as "***", also inside a dbname
 * that is itself a connection string.  What libpq cannot parse comes back as
 * "(unparsable conninfo, not shown)".  Thread-safe.
 */
char *ih_mask_conninfo(const char *conninfo);

/* 1 if `name` is enabled in cfg (section absent or enabled = true). */
int ih_config_plugin_enabled(const ih_config *cfg, const char *name);

#endif
