/*
 * conf -- the host's key table, and loading and checking a config file
 * against it (conf_bind.c builds a plugin's view, conf_print.c prints and
 * masks).
 */
#include "config.h"

#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/conf.h"
#include "base/conf_int.h"

/* ---- error list ------------------------------------------------------ */

void ih_errors_add(ih_errors *e, const char *fmt, ...)
{
	va_list ap;
	char buf[1024];
	char **m;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	m = realloc(e->msg, (e->n + 1) * sizeof *m);
	if (m == NULL)
		return;
	e->msg = m;
	e->msg[e->n] = strdup(buf);
	if (e->msg[e->n] != NULL)
		e->n++;
}

void ih_errors_print(const ih_errors *e, FILE *f)
{
	for (size_t i = 0; i < e->n; i++)
		fprintf(f, "%s\n", e->msg[i]);
}

void ih_errors_clear(ih_errors *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->msg[i]);
	free(e->msg);
	e->msg = NULL;
	e->n = 0;
}

/* ---- the host's key table -------------------------------------------- */

#define OFF(field) offsetof(ih_config, field)

const host_key ih_conf_host_keys[] = {
	{ "database", { "conninfo", IH_CFG_STRING, "host=127.0.0.1 port=5432 dbname=prices", NORANGE, 1, 0,
			"libpq connection string" }, OFF(database.conninfo) },
	{ "database", { "pool_size", IH_CFG_INT, "8", 1, 256, 0, 0, "connections in the pool" }, OFF(database.pool_size) },
	{ "database", { "connect_timeout", IH_CFG_INT, "5", 1, 600, 0, 0, "seconds per connection attempt" },
	  OFF(database.connect_timeout) },
	{ "database", { "checkout_timeout_ms", IH_CFG_INT, "30000", 1, 3600000, 0, 0,
			"how long a caller waits for a free connection" }, OFF(database.checkout_timeout_ms) },
	{ "database", { "statement_timeout_ms", IH_CFG_INT, "30000", 100, 3600000, 0, 0,
			"bound on every database call (client side), and the sessions' statement_timeout and "
			"idle_in_transaction_session_timeout" }, OFF(database.statement_timeout_ms) },
	{ "redis", { "host", IH_CFG_STRING, "127.0.0.1", NORANGE, 0, 0, "Redis host" }, OFF(redis.host) },
	{ "redis", { "port", IH_CFG_INT, "6379", 1, 65535, 0, 0, "Redis port" }, OFF(redis.port) },
	{ "redis", { "db", IH_CFG_INT, "0", 0, 1023, 0, 0, "Redis database number" }, OFF(redis.db) },
	{ "redis", { "password", IH_CFG_STRING, "", NORANGE, 1, 0, "Redis AUTH password" }, OFF(redis.password) },
	{ "redis", { "timeout_ms", IH_CFG_INT, "500", 1, 60000, 0, 0, "connect and command timeout" },
	  OFF(redis.timeout_ms) },
	{ "cache", { "ttl", IH_CFG_INT, "7200", 1, 31536000, 0, 0, "seconds a card counts as fresh" }, OFF(cache.ttl) },
	{ "ingest", { "interval", IH_CFG_INT, "3600", 1, 31536000, 0, 0, "seconds between cycles" }, OFF(ingest.interval) },
	{ "ingest", { "cards_per_cycle", IH_CFG_INT, "500", 1, 10000000, 0, 0, "priority cards per cycle" },
	  OFF(ingest.cards_per_cycle) },
	{ "ingest", { "batch_size", IH_CFG_INT, "500", 1, 100000, 0, 0, "rows per write statement" },
	  OFF(ingest.batch_size) },
	{ "ingest", { "freshness", IH_CFG_INT, "7200", 0, 31536000, 0, 0, "DB look-back window, seconds" },
	  OFF(ingest.freshness) },
	{ "ingest", { "max_retries", IH_CFG_INT, "3", 0, 100, 0, 0, "retries per request" }, OFF(ingest.max_retries) },
	{ "ingest", { "max_wait", IH_CFG_INT, "120", 0, 86400, 0, 0, "cap on one retry wait, seconds" },
	  OFF(ingest.max_wait) },
	{ "ingest", { "deadline", IH_CFG_INT, "1800", 1, 604800, 0, 0, "a plugin run longer than this is 'timeout'" },
	  OFF(ingest.deadline) },
	{ "ingest", { "max_response_bytes", IH_CFG_INT, "536870912", 1024, 4294967296.0, 0, 0,
		      "largest HTTP body accepted" }, OFF(ingest.max_response_bytes) },
	{ "ingest", { "copy_threshold", IH_CFG_INT, "2000", 1, 100000000, 0, 0,
		      "rows at or above which a flush uses COPY" }, OFF(ingest.copy_threshold) },
	{ "ingest", { "max_buffered_rows", IH_CFG_INT, "200000", 1, 100000000, 0, 0,
		      "rows a run may hold unwritten before its plugin waits for the writer" },
	  OFF(ingest.max_buffered_rows) },
	{ "ingest", { "stop_wait", IH_CFG_INT, "60", 0, 86400, 0, 0,
		      "seconds a stop (deadline, SIGTERM, SIGHUP, exit) waits for a run to return" },
	  OFF(ingest.stop_wait) },
	{ "log", { "level", IH_CFG_STRING, "info", NORANGE, 0, 0, "error, warning, notice, info or debug" },
	  OFF(log.level) },
	{ "log", { "syslog", IH_CFG_BOOL, "false", NORANGE, 0, 0, "also log to syslog" }, OFF(log.syslog) },
	{ "plugins", { "dir", IH_CFG_STRING, IH_PLUGINDIR, NORANGE, 0, 0, "directory scanned for *.so" },
	  OFF(plugins.dir) },
	{ "plugins", { "crash_limit", IH_CFG_INT, "3", 1, 1000, 0, 0,
		       "consecutive crashed runs (process isolation) after which a plugin is quarantined until SIGHUP "
		       "or restart" }, OFF(plugins.crash_limit) },
	{ "import", { "max_decompressed_bytes", IH_CFG_INT, "68719476736", 1024, 1125899906842624.0, 0, 0,
		      "decompressed bytes `import scryfall` reads before it stops with an error (a gzip bomb), "
		      "64 GiB" }, OFF(import.max_decompressed_bytes) },
};
const size_t ih_conf_nhost_keys = sizeof ih_conf_host_keys / sizeof ih_conf_host_keys[0];

const char *const ih_conf_groups[] = { "database", "redis", "cache", "ingest", "log", "plugins", "import", NULL };

/* Keys every plugin section accepts; defaults resolved in ih_config_bind. */
const ih_config_key ih_conf_common_keys[] = {
	{ "enabled", IH_CFG_BOOL, "true", NORANGE, 0, 0, "take part in cycles" },
	{ "base_url", IH_CFG_STRING, NULL, NORANGE, 0, 0, "API root (https://, or http:// to loopback)" },
	{ "timeout_ms", IH_CFG_INT, "30000", 1, 3600000, 0, 0, "total time per request" },
	{ "connect_timeout_ms", IH_CFG_INT, "10000", 1, 600000, 0, 0, "time to connect" },
	{ "requests_per_second", IH_CFG_DOUBLE, NULL, 0.001, 100000, 0, 0, "rate limit" },
	{ "max_retries", IH_CFG_INT, NULL, 0, 100, 0, 0, "retries per request" },
	{ "user_agent", IH_CFG_STRING, NULL, NORANGE, 0, 0, "User-Agent header" },
	{ "freshness", IH_CFG_INT, NULL, 0, 31536000, 0, 0, "DB look-back window, seconds" },
	{ "isolation", IH_CFG_STRING, "process", NORANGE, 0, 0,
	  "\"process\": collect runs in a worker process, a crash is the run's status; \"thread\": in the host" },
	{ "memory_limit_mb", IH_CFG_INT, "1024", 0, 1048576, 0, 0,
	  "address-space limit of the plugin's worker process, MiB; 0 = none (process isolation)" },
	{ "heartbeat_timeout", IH_CFG_INT, "60", 1, 86400, 0, 0,
	  "seconds without a heartbeat after which the plugin's worker counts as frozen: killed, crashed "
	  "(process isolation)" },
	{ NULL, IH_CFG_END, NULL, 0, 0, 0, 0, NULL },
};

const char *ih_conf_type_name(ih_config_type t)
{
	switch (t) {
	case IH_CFG_STRING: return "a string";
	case IH_CFG_INT: return "an integer";
	case IH_CFG_BOOL: return "a boolean (true/false)";
	case IH_CFG_DOUBLE: return "a number";
	default: return "a value";
	}
}

static const char *setting_type_name(int t)
{
	switch (t) {
	case CONFIG_TYPE_GROUP: return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64: return "an integer";
	case CONFIG_TYPE_FLOAT: return "a number";
	case CONFIG_TYPE_STRING: return "a string";
	case CONFIG_TYPE_BOOL: return "a boolean";
	case CONFIG_TYPE_ARRAY: return "an array";
	case CONFIG_TYPE_LIST: return "a list";
	default: return "a value";
	}
}

/* "a, b, c" of a group's valid keys. */
static void valid_host_keys(const char *group, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ih_conf_nhost_keys; i++) {
		if (strcmp(ih_conf_host_keys[i].group, group) != 0)
			continue;
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s", used ? ", " : "",
					 ih_conf_host_keys[i].k.name);
		if (used >= len)
			return;
	}
}

void ih_conf_append_keys(const ih_config_key *keys, char *buf, size_t len)
{
	size_t used = strlen(buf);

	for (; keys != NULL && keys->name != NULL; keys++) {
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s", used ? ", " : "", keys->name);
		if (used >= len)
			return;
	}
}

/* ---- typed conversion, shared by host and plugin keys ----------------- */

/* Check a libconfig setting against a key spec; fill *v.  0 or -1. */
static int convert(const ih_config_key *k, config_setting_t *s, const char *where, typed *v, ih_errors *errs)
{
	int t = config_setting_type(s);

	switch (k->type) {
	case IH_CFG_STRING:
		if (t != CONFIG_TYPE_STRING)
			goto wrong;
		v->s = strdup(config_setting_get_string(s));
		return 0;
	case IH_CFG_BOOL:
		if (t != CONFIG_TYPE_BOOL)
			goto wrong;
		v->i = config_setting_get_bool(s);
		return 0;
	case IH_CFG_INT:
		if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
			goto wrong;
		v->i = config_setting_get_int64(s);
		v->d = (double)v->i;
		break;
	case IH_CFG_DOUBLE:
		if (t == CONFIG_TYPE_FLOAT)
			v->d = config_setting_get_float(s);
		else if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)
			v->d = (double)config_setting_get_int64(s);
		else
			goto wrong;
		break;
	default:
		goto wrong;
	}
	if (k->min <= k->max && (v->d < k->min || v->d > k->max)) {
		if (k->type == IH_CFG_INT)
			ih_errors_add(errs, "%s: %s = %lld is out of range: must be between %.15g and %.15g", where,
				      k->name, v->i, k->min, k->max);
		else
			ih_errors_add(errs, "%s: %s = %g is out of range: must be between %.15g and %.15g", where,
				      k->name, v->d, k->min, k->max);
		return -1;
	}
	return 0;
wrong:
	ih_errors_add(errs, "%s: %s must be %s, not %s", where, k->name, ih_conf_type_name(k->type), setting_type_name(t));
	return -1;
}

/* Parse a default written as text. */
void ih_conf_parse_default(const ih_config_key *k, typed *v)
{
	memset(v, 0, sizeof *v);
	if (k->default_value == NULL)
		return;
	switch (k->type) {
	case IH_CFG_STRING: v->s = strdup(k->default_value); break;
	case IH_CFG_BOOL: v->i = strcmp(k->default_value, "true") == 0 || strcmp(k->default_value, "1") == 0; break;
	case IH_CFG_INT: v->i = strtoll(k->default_value, NULL, 10); v->d = (double)v->i; break;
	case IH_CFG_DOUBLE: v->d = strtod(k->default_value, NULL); break;
	default: break;
	}
}

static void store_host(ih_config *cfg, const host_key *hk, const typed *v)
{
	char *base = (char *)cfg + hk->off;

	switch (hk->k.type) {
	case IH_CFG_STRING:
		free(*(char **)(void *)base);
		*(char **)(void *)base = v->s;
		break;
	case IH_CFG_BOOL: *(int *)(void *)base = (int)v->i; break;
	case IH_CFG_INT: *(long long *)(void *)base = v->i; break;
	default: break;
	}
}

ih_config *ih_config_defaults(void)
{
	ih_config *cfg = calloc(1, sizeof *cfg);

	if (cfg == NULL)
		return NULL;
	for (size_t i = 0; i < ih_conf_nhost_keys; i++) {
		typed v;

		ih_conf_parse_default(&ih_conf_host_keys[i].k, &v);
		store_host(cfg, &ih_conf_host_keys[i], &v);
	}
	return cfg;
}

/* ---- loading ---------------------------------------------------------- */

static int setting_line(const config_setting_t *s)
{
	return (int)config_setting_source_line(s);
}

static void load_plugin_section(ih_config *cfg, config_setting_t *grp, const char *path, ih_errors *errs)
{
	ih_plugin_section *sec, *secs;
	int n = config_setting_length(grp);

	secs = realloc(cfg->sections, (cfg->nsections + 1) * sizeof *secs);
	if (secs == NULL)
		return;
	cfg->sections = secs;
	sec = &cfg->sections[cfg->nsections++];
	memset(sec, 0, sizeof *sec);
	sec->name = strdup(config_setting_name(grp));
	sec->line = setting_line(grp);
	sec->vals = calloc((size_t)(n > 0 ? n : 1), sizeof *sec->vals);
	for (int i = 0; i < n; i++) {
		config_setting_t *s = config_setting_get_elem(grp, (unsigned)i);
		ih_cfg_value *v = &sec->vals[sec->n];
		int t = config_setting_type(s);

		v->key = strdup(config_setting_name(s));
		v->line = setting_line(s);
		switch (t) {
		case CONFIG_TYPE_STRING:
			v->type = IH_CFG_STRING;
			v->s = strdup(config_setting_get_string(s));
			break;
		case CONFIG_TYPE_BOOL:
			v->type = IH_CFG_BOOL;
			v->i = config_setting_get_bool(s);
			break;
		case CONFIG_TYPE_INT:
		case CONFIG_TYPE_INT64:
			v->type = IH_CFG_INT;
			v->i = config_setting_get_int64(s);
			v->d = (double)v->i;
			break;
		case CONFIG_TYPE_FLOAT:
			v->type = IH_CFG_DOUBLE;
			v->d = config_setting_get_float(s);
			break;
		default:
			ih_errors_add(errs, "%s:%d: plugins.%s.%s must be a single value, not %s", path, v->line,
				      sec->name, v->key, setting_type_name(t));
			free(v->key);
			continue;
		}
		sec->n++;
	}
}

static void load_group(ih_config *cfg, config_setting_t *grp, const char *path, ih_errors *errs)
{
	const char *gname = config_setting_name(grp);
	int n = config_setting_length(grp);

	for (int i = 0; i < n; i++) {
		config_setting_t *s = config_setting_get_elem(grp, (unsigned)i);
		const char *name = config_setting_name(s);
		const host_key *hk = NULL;
		char where[512];

		snprintf(where, sizeof where, "%s:%d: %s", path, setting_line(s), gname);
		if (strcmp(gname, "plugins") == 0 && config_setting_type(s) == CONFIG_TYPE_GROUP) {
			load_plugin_section(cfg, s, path, errs);
			continue;
		}
		for (size_t j = 0; j < ih_conf_nhost_keys; j++)
			if (strcmp(ih_conf_host_keys[j].group, gname) == 0 && strcmp(ih_conf_host_keys[j].k.name, name) == 0)
				hk = &ih_conf_host_keys[j];
		if (hk == NULL) {
			char valid[512];

			valid_host_keys(gname, valid, sizeof valid);
			ih_errors_add(errs, "%s:%d: unknown key '%s' in group '%s'; valid keys: %s%s", path,
				      setting_line(s), name, gname, valid,
				      strcmp(gname, "plugins") == 0 ? ", and a group per plugin" : "");
			continue;
		}
		{
			typed v = { 0 };
			char kwhere[600];

			snprintf(kwhere, sizeof kwhere, "%s:%d: %s", path, setting_line(s), gname);
			if (convert(&hk->k, s, kwhere, &v, errs) == 0)
				store_host(cfg, hk, &v);
		}
		(void)where;
	}
}

int ih_config_load(const char *path, ih_config **out, ih_errors *errs)
{
	config_t lc;
	config_setting_t *root;
	ih_config *cfg;
	size_t before = errs->n;
	FILE *f;

	*out = NULL;
	f = fopen(path, "r");
	if (f == NULL) {
		ih_errors_add(errs, "%s: cannot read config file: %s (give another with -c FILE or $INGESTHOST_CONFIG)",
			      path, strerror(errno));
		return -1;
	}
	config_init(&lc);
	if (config_read(&lc, f) != CONFIG_TRUE) {
		ih_errors_add(errs, "%s:%d: syntax error: %s", path, config_error_line(&lc), config_error_text(&lc));
		config_destroy(&lc);
		fclose(f);
		return -1;
	}
	fclose(f);
	cfg = ih_config_defaults();
	if (cfg == NULL) {
		config_destroy(&lc);
		ih_errors_add(errs, "%s: out of memory", path);
		return -1;
	}
	cfg->path = strdup(path);
	root = config_root_setting(&lc);
	for (int i = 0; i < config_setting_length(root); i++) {
		config_setting_t *g = config_setting_get_elem(root, (unsigned)i);
		const char *name = config_setting_name(g);
		int known = 0;

		for (size_t j = 0; ih_conf_groups[j] != NULL; j++)
			known |= strcmp(ih_conf_groups[j], name) == 0;
		if (!known) {
			ih_errors_add(errs,
				      "%s:%d: unknown group '%s'; valid groups: database, redis, cache, ingest, log, plugins, import",
				      path, setting_line(g), name);
			continue;
		}
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			ih_errors_add(errs, "%s:%d: '%s' must be a group { ... }, not %s", path, setting_line(g), name,
				      setting_type_name(config_setting_type(g)));
			continue;
		}
		if (strcmp(name, "redis") == 0)
			cfg->redis.present = 1;
		load_group(cfg, g, path, errs);
	}
	config_destroy(&lc);
	if (errs->n > before) {
		ih_config_free(cfg);
		return -1;
	}
	/* Check each plugin section's common keys now; its own keys at bind. */
	for (size_t i = 0; i < cfg->nsections; i++) {
		const ih_plugin_section *sec = &cfg->sections[i];

		for (size_t j = 0; j < sec->n; j++) {
			const ih_cfg_value *v = &sec->vals[j];

			for (const ih_config_key *k = ih_conf_common_keys; k->name; k++) {
				if (strcmp(k->name, v->key) != 0)
					continue;
				if ((int)k->type != (int)v->type && !(k->type == IH_CFG_DOUBLE && v->type == IH_CFG_INT))
					ih_errors_add(errs, "%s:%d: plugins.%s: %s must be %s, not %s", path, v->line,
						      sec->name, k->name, ih_conf_type_name(k->type), ih_conf_type_name(v->type));
				else if (k->min <= k->max && (v->d < k->min || v->d > k->max))
					ih_errors_add(errs,
						      "%s:%d: plugins.%s: %s = %g is out of range: must be between %g and %g",
						      path, v->line, sec->name, k->name, v->d, k->min, k->max);
				else if (strcmp(k->name, "isolation") == 0 && strcmp(v->s, "process") != 0 &&
					 strcmp(v->s, "thread") != 0)
					ih_errors_add(errs, "%s:%d: plugins.%s: isolation must be \"process\" or \"thread\", not "
						      "\"%s\"", path, v->line, sec->name, v->s);
			}
		}
	}
	if (errs->n > before) {
		ih_config_free(cfg);
		return -1;
	}
	*out = cfg;
	return 0;
}

void ih_config_free(ih_config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < ih_conf_nhost_keys; i++)
		if (ih_conf_host_keys[i].k.type == IH_CFG_STRING)
			free(*(char **)(void *)((char *)cfg + ih_conf_host_keys[i].off));
	for (size_t i = 0; i < cfg->nsections; i++) {
		for (size_t j = 0; j < cfg->sections[i].n; j++) {
			free(cfg->sections[i].vals[j].key);
			free(cfg->sections[i].vals[j].s);
		}
		free(cfg->sections[i].vals);
		free(cfg->sections[i].name);
	}
	free(cfg->sections);
	free(cfg->path);
	free(cfg);
}

const ih_plugin_section *ih_config_section(const ih_config *cfg, const char *name)
{
	for (size_t i = 0; cfg != NULL && i < cfg->nsections; i++)
		if (strcmp(cfg->sections[i].name, name) == 0)
			return &cfg->sections[i];
	return NULL;
}

int ih_config_plugin_enabled(const ih_config *cfg, const char *name)
{
	const ih_plugin_section *sec = ih_config_section(cfg, name);

	for (size_t j = 0; sec != NULL && j < sec->n; j++)
		if (strcmp(sec->vals[j].key, "enabled") == 0 && sec->vals[j].type == IH_CFG_BOOL)
			return sec->vals[j].i != 0;
	return 1;
}

