/*
 * config: the config loader (core/base/conf.c, ih_config_load, through a
 * memory file), the plugin views (conf_bind.c, ih_config_bind with a
 * descriptor that has keys of every type and a secret) and the printers
 * (conf_print.c: ih_config_print, ih_plugin_config_print,
 * ih_mask_conninfo).  Inputs naming an @include are skipped (the fuzzer
 * must not read files).
 *
 * Checks on a config that loads: every host key has a value within its
 * range (strings are never NULL); plugin sections carry names and keys;
 * the printed config does not depend on any secret's value (the Redis
 * password, a plugin's secret key, and a conninfo's password or other
 * secret option, libpq's own parse of it rebuilt with other secrets);
 * each plugin view that binds has its common settings within their ranges
 * and its own keys too.  A config that does not load says why and hands
 * out nothing.
 */
#include "config.h"

#include <sys/mman.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "base/conf.h"
#include "base/conf_int.h"
#include "fuzz.h"

static int fd = -1;
static char path[64];

static void cleanup(void)
{
	if (strncmp(path, "/tmp/", 5) == 0)
		unlink(path);
}

static const char *file_of(const uint8_t *data, size_t size)
{
	if (fd < 0) {
#ifdef MFD_CLOEXEC
		fd = memfd_create("ih-fuzz-config", MFD_CLOEXEC);
		if (fd >= 0)
			snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
#endif
		if (fd < 0 || access(path, R_OK) != 0) {
			snprintf(path, sizeof path, "/tmp/ih-fuzz-config.XXXXXX");
			fd = mkstemp(path);
			if (fd < 0)
				abort();
			atexit(cleanup);
		}
	}
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	return path;
}

static char *print_cfg(const ih_config *cfg)
{
	char *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);

	if (m == NULL)
		abort();
	ih_config_print(cfg, m);
	fclose(m);
	return out;
}

static char *print_pc(const ih_plugin_config *pc, const char *name)
{
	char *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);

	if (m == NULL)
		abort();
	ih_plugin_config_print(pc, name, m);
	fclose(m);
	return out;
}

static int secret_opt(const PQconninfoOption *o)
{
	return (o->dispchar != NULL && strchr(o->dispchar, '*') != NULL) || strstr(o->keyword, "password") != NULL ||
	       strstr(o->keyword, "secret") != NULL;
}

/* conninfo rebuilt from libpq's parse of it, every secret replaced. */
static char *other_secrets(const char *conninfo)
{
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
	char *out = NULL;
	size_t len = 0;
	FILE *m;

	if (opts == NULL)
		return NULL;
	m = open_memstream(&out, &len);
	if (m == NULL)
		abort();
	for (const PQconninfoOption *o = opts; o->keyword != NULL; o++) {
		const char *v = o->val;

		if (v == NULL)
			continue;
		if (secret_opt(o))
			v = strcmp(v, "Zz9-other") == 0 ? "Yy8-other" : "Zz9-other";
		fprintf(m, "%s='", o->keyword);
		for (; *v; v++) {
			if (*v == '\'' || *v == '\\')
				fputc('\\', m);
			fputc(*v, m);
		}
		fputs("' ", m);
	}
	fclose(m);
	PQconninfoFree(opts);
	return out;
}

static const ih_config_key own_keys[] = {
	{ "api_key", IH_CFG_STRING, NULL, 1, 0, 1, 0, "a secret" },
	{ "page_size", IH_CFG_INT, "10", 1, 100, 0, 0, "rows per page" },
	{ "verbose", IH_CFG_BOOL, "false", 1, 0, 0, 0, "more logs" },
	{ "ratio", IH_CFG_DOUBLE, "0.5", 0, 1, 0, 0, "a share" },
	{ "timeout_ms", IH_CFG_INT, "5", 1, 2, 0, 0, "a common key again: ignored" },
	{ NULL, IH_CFG_END, NULL, 0, 0, 0, 0, NULL },
};

static void check_view(const ih_config *cfg, const char *name)
{
	ih_plugin_descriptor d;
	ih_plugin_config *pc;
	ih_plugin_settings st;
	ih_errors errs = { 0 };
	long long i;
	double x;

	memset(&d, 0, sizeof d);
	d.name = name;
	d.config_keys = own_keys;
	d.default_base_url = "https://api.example.invalid";
	d.default_requests_per_second = 3;
	pc = ih_config_bind(cfg, name, &d, &errs);
	if (pc == NULL) {
		FUZZ_CHECK(errs.n > 0, "plugins.%s: no view and no reason", name);
		ih_errors_clear(&errs);
		return;
	}
	FUZZ_CHECK(errs.n == 0, "plugins.%s: a view with errors", name);
	ih_pc_settings(pc, &st);
	FUZZ_CHECK(st.timeout_ms >= 1 && st.timeout_ms <= 3600000, "timeout_ms %lld", st.timeout_ms);
	FUZZ_CHECK(st.connect_timeout_ms >= 1 && st.connect_timeout_ms <= 600000, "connect_timeout_ms %lld",
		   st.connect_timeout_ms);
	FUZZ_CHECK(st.max_retries >= 0 && st.max_retries <= 100, "max_retries %lld", st.max_retries);
	FUZZ_CHECK(st.freshness >= 0 && st.freshness <= 31536000, "freshness %lld", st.freshness);
	FUZZ_CHECK(st.requests_per_second >= 0.001 && st.requests_per_second <= 100000, "requests_per_second %g",
		   st.requests_per_second);
	FUZZ_CHECK(st.memory_limit_mb >= 0 && st.memory_limit_mb <= 1048576, "memory_limit_mb %lld", st.memory_limit_mb);
	FUZZ_CHECK(st.base_url != NULL && st.user_agent != NULL, "base_url or user_agent unset");
	FUZZ_CHECK(ih_pc_int(pc, "page_size", &i) == 0 && i >= 1 && i <= 100, "page_size");
	FUZZ_CHECK(ih_pc_double(pc, "ratio", &x) == 0 && x >= 0 && x <= 1, "ratio %g", x);
	{
		char *a = print_pc(pc, name), *b;
		char *saved[64] = { 0 };

		for (size_t k = 0; k < pc->n && k < 64; k++)
			if (pc->e[k].k->secret && pc->e[k].k->type == IH_CFG_STRING && pc->e[k].v.s != NULL &&
			    pc->e[k].v.s[0] != '\0') {
				saved[k] = pc->e[k].v.s;
				pc->e[k].v.s = strcmp(saved[k], "Zz9-other") == 0 ? "Yy8-other" : "Zz9-other";
			}
		b = print_pc(pc, name);
		FUZZ_CHECK(strcmp(a, b) == 0, "plugins.%s: the print shows a secret:\n%s", name, a);
		for (size_t k = 0; k < pc->n && k < 64; k++)
			if (saved[k] != NULL)
				pc->e[k].v.s = saved[k];
		free(a);
		free(b);
	}
	ih_plugin_config_free(pc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ih_config *cfg = NULL;
	ih_errors errs = { 0 };
	int rc;

	if (size > 65536 || memmem(data, size, "include", 7) != NULL || memmem(data, size, "INCLUDE", 7) != NULL ||
	    memmem(data, size, "Include", 7) != NULL)
		return 0;
	{
		char *t = fuzz_cstr(data, size);
		int inc = strcasestr(t, "include") != NULL;

		free(t);
		if (inc)
			return 0;
	}
	rc = ih_config_load(file_of(data, size), &cfg, &errs);
	if (rc != 0) {
		FUZZ_CHECK(rc == -1 && cfg == NULL && errs.n > 0, "a failed load: rc %d, config %p, %zu messages", rc,
			   (void *)cfg, errs.n);
		ih_errors_clear(&errs);
		return 0;
	}
	FUZZ_CHECK(cfg != NULL && errs.n == 0, "a load without a config, or with errors");
	for (size_t i = 0; i < ih_conf_nhost_keys; i++) {
		const host_key *hk = &ih_conf_host_keys[i];
		const char *base = (const char *)cfg + hk->off;

		if (hk->k.type == IH_CFG_STRING) {
			FUZZ_CHECK(*(char *const *)(const void *)base != NULL, "%s.%s is NULL", hk->group, hk->k.name);
		} else if (hk->k.type == IH_CFG_INT && hk->k.min <= hk->k.max) {
			long long v = *(const long long *)(const void *)base;

			FUZZ_CHECK((double)v >= hk->k.min && (double)v <= hk->k.max, "%s.%s = %lld out of range", hk->group,
				   hk->k.name, v);
		} else if (hk->k.type == IH_CFG_BOOL) {
			int v = *(const int *)(const void *)base;

			FUZZ_CHECK(v == 0 || v == 1, "%s.%s = %d", hk->group, hk->k.name, v);
		}
	}
	for (size_t s = 0; s < cfg->nsections; s++) {
		const ih_plugin_section *sec = &cfg->sections[s];

		FUZZ_CHECK(sec->name != NULL, "section %zu without a name", s);
		for (size_t j = 0; j < sec->n; j++)
			FUZZ_CHECK(sec->vals[j].key != NULL && (sec->vals[j].type != IH_CFG_STRING || sec->vals[j].s != NULL),
				   "plugins.%s: value %zu", sec->name, j);
	}
	/* printing: secrets never show */
	{
		char *a = print_cfg(cfg), *b, *saved = cfg->redis.password, *conn = cfg->database.conninfo, *other;

		if (saved[0] != '\0') {
			cfg->redis.password = strcmp(saved, "Zz9-other") == 0 ? "Yy8-other" : "Zz9-other";
			b = print_cfg(cfg);
			FUZZ_CHECK(strcmp(a, b) == 0, "the print shows redis.password:\n%s", a);
			free(b);
			cfg->redis.password = saved;
		}
		other = other_secrets(conn);
		if (other != NULL) {
			char *m1 = ih_mask_conninfo(conn), *m2 = ih_mask_conninfo(other);

			FUZZ_CHECK(m1 != NULL && m2 != NULL && strcmp(m1, m2) == 0,
				   "the masked conninfo shows a secret: '%s' and, with other secrets, '%s'", m1 ? m1 : "",
				   m2 ? m2 : "");
			free(m1);
			free(m2);
			free(other);
		}
		free(a);
	}
	for (size_t s = 0; s < cfg->nsections && s < 8; s++)
		check_view(cfg, cfg->sections[s].name);
	check_view(cfg, "absent-plugin");
	ih_config_free(cfg);
	return 0;
}
