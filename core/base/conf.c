#include "config.h"

#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "base/conf.h"

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

#define NORANGE 1, 0
#define OFF(field) offsetof(ih_config, field)

typedef struct host_key {
	const char *group;
	ih_config_key k;
	size_t off;
} host_key;

static const host_key host_keys[] = {
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
		      "rows at or above which a write uses COPY" }, OFF(ingest.copy_threshold) },
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
};
#define N_HOST_KEYS (sizeof host_keys / sizeof host_keys[0])

static const char *const groups[] = { "database", "redis", "cache", "ingest", "log", "plugins" };
#define N_GROUPS (sizeof groups / sizeof groups[0])

/* Keys every plugin section accepts; defaults resolved in ih_config_bind. */
static const ih_config_key common_keys[] = {
	{ "enabled", IH_CFG_BOOL, "true", NORANGE, 0, 0, "take part in cycles" },
	{ "base_url", IH_CFG_STRING, NULL, NORANGE, 0, 0, "API root (https://, or http:// to loopback)" },
	{ "timeout_ms", IH_CFG_INT, "30000", 1, 3600000, 0, 0, "total time per request" },
	{ "connect_timeout_ms", IH_CFG_INT, "10000", 1, 600000, 0, 0, "time to connect" },
	{ "requests_per_second", IH_CFG_DOUBLE, NULL, 0.001, 100000, 0, 0, "rate limit" },
	{ "max_retries", IH_CFG_INT, NULL, 0, 100, 0, 0, "retries per request" },
	{ "user_agent", IH_CFG_STRING, NULL, NORANGE, 0, 0, "User-Agent header" },
	{ "freshness", IH_CFG_INT, NULL, 0, 31536000, 0, 0, "DB look-back window, seconds" },
	{ NULL, IH_CFG_END, NULL, 0, 0, 0, 0, NULL },
};

static const char *type_name(ih_config_type t)
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
	for (size_t i = 0; i < N_HOST_KEYS; i++) {
		if (strcmp(host_keys[i].group, group) != 0)
			continue;
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s", used ? ", " : "",
					 host_keys[i].k.name);
		if (used >= len)
			return;
	}
}

static void append_keys(const ih_config_key *keys, char *buf, size_t len)
{
	size_t used = strlen(buf);

	for (; keys != NULL && keys->name != NULL; keys++) {
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s", used ? ", " : "", keys->name);
		if (used >= len)
			return;
	}
}

/* ---- typed conversion, shared by host and plugin keys ----------------- */

typedef struct typed {
	char *s;
	long long i;
	double d;
} typed;

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
	ih_errors_add(errs, "%s: %s must be %s, not %s", where, k->name, type_name(k->type), setting_type_name(t));
	return -1;
}

/* Parse a default written as text. */
static void parse_default(const ih_config_key *k, typed *v)
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
	for (size_t i = 0; i < N_HOST_KEYS; i++) {
		typed v;

		parse_default(&host_keys[i].k, &v);
		store_host(cfg, &host_keys[i], &v);
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
		for (size_t j = 0; j < N_HOST_KEYS; j++)
			if (strcmp(host_keys[j].group, gname) == 0 && strcmp(host_keys[j].k.name, name) == 0)
				hk = &host_keys[j];
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

		for (size_t j = 0; j < N_GROUPS; j++)
			known |= strcmp(groups[j], name) == 0;
		if (!known) {
			ih_errors_add(errs,
				      "%s:%d: unknown group '%s'; valid groups: database, redis, cache, ingest, log, plugins",
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

			for (const ih_config_key *k = common_keys; k->name; k++) {
				if (strcmp(k->name, v->key) != 0)
					continue;
				if (k->type != v->type && !(k->type == IH_CFG_DOUBLE && v->type == IH_CFG_INT))
					ih_errors_add(errs, "%s:%d: plugins.%s: %s must be %s, not %s", path, v->line,
						      sec->name, k->name, type_name(k->type), type_name(v->type));
				else if (k->min <= k->max && (v->d < k->min || v->d > k->max))
					ih_errors_add(errs,
						      "%s:%d: plugins.%s: %s = %g is out of range: must be between %g and %g",
						      path, v->line, sec->name, k->name, v->d, k->min, k->max);
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
	for (size_t i = 0; i < N_HOST_KEYS; i++)
		if (host_keys[i].k.type == IH_CFG_STRING)
			free(*(char **)(void *)((char *)cfg + host_keys[i].off));
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

/* ---- plugin views ----------------------------------------------------- */

typedef struct pc_entry {
	const ih_config_key *k;
	typed v;
	int set; /* has a value (from the file or a default) */
} pc_entry;

struct ih_plugin_config {
	pc_entry *e;
	size_t n;
};

static pc_entry *pc_find(const ih_plugin_config *pc, const char *key)
{
	for (size_t i = 0; pc != NULL && i < pc->n; i++)
		if (strcmp(pc->e[i].k->name, key) == 0)
			return &pc->e[i];
	return NULL;
}

static void set_default_text(pc_entry *e, const char *text)
{
	ih_config_key k = *e->k;

	k.default_value = text;
	free(e->v.s);
	parse_default(&k, &e->v);
	e->set = text != NULL;
}

ih_plugin_config *ih_config_bind(const ih_config *cfg, const char *name, const ih_plugin_descriptor *desc,
				 ih_errors *errs)
{
	const ih_plugin_section *sec = ih_config_section(cfg, name);
	const ih_config_key *own = desc != NULL ? desc->config_keys : NULL;
	const char *path = cfg->path != NULL ? cfg->path : "(defaults)";
	ih_plugin_config *pc;
	size_t nown = 0, before = errs->n;
	char text[64];

	for (const ih_config_key *k = own; k != NULL && k->name != NULL; k++)
		nown++;
	pc = calloc(1, sizeof *pc);
	if (pc == NULL)
		return NULL;
	pc->e = calloc(nown + sizeof common_keys / sizeof common_keys[0], sizeof *pc->e);
	if (pc->e == NULL) {
		free(pc);
		return NULL;
	}
	for (const ih_config_key *k = common_keys; k->name; k++) {
		pc->e[pc->n].k = k;
		parse_default(k, &pc->e[pc->n].v);
		pc->e[pc->n].set = k->default_value != NULL;
		pc->n++;
	}
	for (size_t i = 0; i < nown; i++) {
		if (pc_find(pc, own[i].name) != NULL)
			continue; /* a plugin cannot redefine a common key */
		pc->e[pc->n].k = &own[i];
		parse_default(&own[i], &pc->e[pc->n].v);
		pc->e[pc->n].set = own[i].default_value != NULL;
		pc->n++;
	}
	/* Defaults that depend on the descriptor and on [ingest]. */
	if (desc != NULL && desc->default_base_url != NULL)
		set_default_text(pc_find(pc, "base_url"), desc->default_base_url);
	snprintf(text, sizeof text, "%g",
		 desc != NULL && desc->default_requests_per_second > 0 ? desc->default_requests_per_second : 10.0);
	set_default_text(pc_find(pc, "requests_per_second"), text);
	snprintf(text, sizeof text, "%lld", cfg->ingest.max_retries);
	set_default_text(pc_find(pc, "max_retries"), text);
	snprintf(text, sizeof text, "%lld",
		 desc != NULL && desc->default_freshness > 0 ? (long long)desc->default_freshness : cfg->ingest.freshness);
	set_default_text(pc_find(pc, "freshness"), text);
	snprintf(text, sizeof text, "ingesthost/%s (%s)", PACKAGE_VERSION, name);
	set_default_text(pc_find(pc, "user_agent"), text);

	for (size_t j = 0; sec != NULL && j < sec->n; j++) {
		const ih_cfg_value *v = &sec->vals[j];
		pc_entry *e = pc_find(pc, v->key);

		if (e == NULL) {
			char valid[1024] = "";

			append_keys(common_keys, valid, sizeof valid);
			append_keys(own, valid, sizeof valid);
			ih_errors_add(errs, "%s:%d: unknown key '%s' in plugins.%s; valid keys: %s", path, v->line,
				      v->key, name, valid);
			continue;
		}
		if (e->k->type != v->type && !(e->k->type == IH_CFG_DOUBLE && v->type == IH_CFG_INT)) {
			ih_errors_add(errs, "%s:%d: plugins.%s: %s must be %s, not %s", path, v->line, name, v->key,
				      type_name(e->k->type), type_name(v->type));
			continue;
		}
		if (e->k->min <= e->k->max && (v->type == IH_CFG_INT || v->type == IH_CFG_DOUBLE) &&
		    (v->d < e->k->min || v->d > e->k->max)) {
			ih_errors_add(errs, "%s:%d: plugins.%s: %s = %g is out of range: must be between %g and %g", path,
				      v->line, name, v->key, v->d, e->k->min, e->k->max);
			continue;
		}
		free(e->v.s);
		e->v.s = v->s != NULL ? strdup(v->s) : NULL;
		e->v.i = v->i;
		e->v.d = v->d;
		e->set = 1;
	}
	for (size_t i = 0; i < pc->n; i++)
		if (pc->e[i].k->required && !pc->e[i].set)
			ih_errors_add(errs, "%s:%d: plugins.%s: required key '%s' is missing (%s)", path,
				      sec != NULL ? sec->line : 0, name, pc->e[i].k->name,
				      pc->e[i].k->help != NULL ? pc->e[i].k->help : "see the plugin's documentation");
	if (errs->n > before) {
		ih_plugin_config_free(pc);
		return NULL;
	}
	return pc;
}

void ih_plugin_config_free(ih_plugin_config *pc)
{
	if (pc == NULL)
		return;
	for (size_t i = 0; i < pc->n; i++)
		free(pc->e[i].v.s);
	free(pc->e);
	free(pc);
}

const char *ih_pc_string(const ih_plugin_config *pc, const char *key)
{
	pc_entry *e = pc_find(pc, key);

	return e != NULL && e->set && e->k->type == IH_CFG_STRING ? e->v.s : NULL;
}

int ih_pc_int(const ih_plugin_config *pc, const char *key, long long *out)
{
	pc_entry *e = pc_find(pc, key);

	if (e == NULL || !e->set || (e->k->type != IH_CFG_INT && e->k->type != IH_CFG_BOOL))
		return -1;
	*out = e->v.i;
	return 0;
}

int ih_pc_bool(const ih_plugin_config *pc, const char *key, int *out)
{
	pc_entry *e = pc_find(pc, key);

	if (e == NULL || !e->set || e->k->type != IH_CFG_BOOL)
		return -1;
	*out = (int)e->v.i;
	return 0;
}

int ih_pc_double(const ih_plugin_config *pc, const char *key, double *out)
{
	pc_entry *e = pc_find(pc, key);

	if (e == NULL || !e->set || (e->k->type != IH_CFG_DOUBLE && e->k->type != IH_CFG_INT))
		return -1;
	*out = e->k->type == IH_CFG_INT ? (double)e->v.i : e->v.d;
	return 0;
}

int ih_pc_enabled(const ih_plugin_config *pc)
{
	int b = 1;

	ih_pc_bool(pc, "enabled", &b);
	return b;
}

/* ---- printing --------------------------------------------------------- */

/*
 * Masking a libpq connection string.  libpq itself parses it
 * (PQconninfoParse: key=value with blanks around '=', single quotes and
 * backslash escapes, and postgresql:// or postgres:// URIs with userinfo,
 * host lists and query parameters), so the masker never disagrees with the
 * connection about where a value ends.  The result is rebuilt in key=value
 * form, in libpq's option order, whatever form was written: a URI
 * "postgresql://u:pw@h:5432/db?sslmode=require" prints as
 * "host=h port=5432 dbname=db user=u password=*** sslmode=require".  Every
 * value of a secret key is "***": libpq marks those with dispchar '*'
 * (password, sslpassword); a key whose name says password or secret is
 * masked as well, for keys a newer libpq adds.  A dbname that is itself a
 * connection string (libpq expands the first one) is masked the same way.
 * What libpq cannot parse is not shown at all: its error message may quote
 * a piece of the string, so neither is printed.
 */
#define CONNINFO_MASK "***"
#define CONNINFO_UNPARSABLE "(unparsable conninfo, not shown)"

static int secret_conn_key(const PQconninfoOption *o)
{
	return (o->dispchar != NULL && strchr(o->dispchar, '*') != NULL) || strstr(o->keyword, "password") != NULL ||
	       strstr(o->keyword, "secret") != NULL;
}

/* A value as libpq reads it back: bare when it can be, else single-quoted
 * with ' and \ escaped. */
static void put_conn_value(FILE *m, const char *v)
{
	int bare = *v != '\0';

	for (const char *p = v; *p && bare; p++)
		bare = !(*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v' ||
			 *p == '\'' || *p == '\\');
	if (bare) {
		fputs(v, m);
		return;
	}
	fputc('\'', m);
	for (const char *p = v; *p; p++) {
		if (*p == '\'' || *p == '\\')
			fputc('\\', m);
		fputc(*p, m);
	}
	fputc('\'', m);
}

/* A dbname libpq would expand as a connection string. */
static int looks_like_conninfo(const char *v)
{
	return strchr(v, '=') != NULL || strncmp(v, "postgresql://", 13) == 0 || strncmp(v, "postgres://", 11) == 0;
}

char *ih_mask_conninfo(const char *conninfo)
{
	PQconninfoOption *opts;
	char *errmsg = NULL, *out = NULL;
	size_t len = 0;
	FILE *m;
	int n = 0;

	opts = PQconninfoParse(conninfo != NULL ? conninfo : "", &errmsg);
	PQfreemem(errmsg); /* never printed: it may quote a piece of the string */
	if (opts == NULL)
		return strdup(CONNINFO_UNPARSABLE);
	m = open_memstream(&out, &len);
	if (m == NULL) {
		PQconninfoFree(opts);
		return NULL;
	}
	for (const PQconninfoOption *o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL)
			continue;
		fprintf(m, "%s%s=", n++ ? " " : "", o->keyword);
		if (secret_conn_key(o)) {
			fputs(CONNINFO_MASK, m);
		} else if (strcmp(o->keyword, "dbname") == 0 && looks_like_conninfo(o->val)) {
			char *inner = ih_mask_conninfo(o->val);

			put_conn_value(m, inner != NULL && strcmp(inner, CONNINFO_UNPARSABLE) != 0 ? inner : CONNINFO_MASK);
			free(inner);
		} else {
			put_conn_value(m, o->val);
		}
	}
	PQconninfoFree(opts);
	if (fclose(m) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static void print_value(FILE *f, const ih_config_key *k, const typed *v, int set)
{
	if (!set) {
		fprintf(f, "(unset)");
		return;
	}
	/* a secret of any type is masked; an empty string shows it is unset */
	if (k->secret && (k->type != IH_CFG_STRING || (v->s != NULL && v->s[0] != '\0'))) {
		fputs(k->type == IH_CFG_STRING ? "\"********\"" : "********", f);
		return;
	}
	switch (k->type) {
	case IH_CFG_STRING:
		fprintf(f, "\"%s\"", v->s != NULL ? v->s : "");
		break;
	case IH_CFG_BOOL: fprintf(f, "%s", v->i ? "true" : "false"); break;
	case IH_CFG_INT: fprintf(f, "%lld", v->i); break;
	case IH_CFG_DOUBLE: fprintf(f, "%g", v->d); break;
	default: break;
	}
}

void ih_config_print(const ih_config *cfg, FILE *f)
{
	for (size_t g = 0; g < N_GROUPS; g++) {
		fprintf(f, "%s: {\n", groups[g]);
		for (size_t i = 0; i < N_HOST_KEYS; i++) {
			const host_key *hk = &host_keys[i];
			const char *base = (const char *)cfg + hk->off;
			typed v = { 0 };

			if (strcmp(hk->group, groups[g]) != 0)
				continue;
			if (hk->k.type == IH_CFG_STRING)
				v.s = *(char *const *)(const void *)base;
			else if (hk->k.type == IH_CFG_BOOL)
				v.i = *(const int *)(const void *)base;
			else
				v.i = *(const long long *)(const void *)base;
			fprintf(f, "  %s = ", hk->k.name);
			if (strcmp(hk->k.name, "conninfo") == 0) {
				char *m = ih_mask_conninfo(v.s);

				fprintf(f, "\"%s\"", m != NULL ? m : "");
				free(m);
			} else {
				print_value(f, &hk->k, &v, 1);
			}
			fprintf(f, ";\n");
		}
		fprintf(f, "};\n");
	}
}

void ih_plugin_config_print(const ih_plugin_config *pc, const char *name, FILE *f)
{
	fprintf(f, "plugins.%s: {\n", name);
	for (size_t i = 0; i < pc->n; i++) {
		fprintf(f, "  %s = ", pc->e[i].k->name);
		print_value(f, pc->e[i].k, &pc->e[i].v, pc->e[i].set);
		fprintf(f, ";\n");
	}
	fprintf(f, "};\n");
}
