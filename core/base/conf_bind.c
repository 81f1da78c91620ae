/*
 * conf_bind -- a plugin's immutable view of its section: the common keys
 * and the plugin's own, each resolved to its value or its default.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/conf.h"
#include "base/conf_int.h"

/* ---- plugin views ----------------------------------------------------- */

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
	ih_conf_parse_default(&k, &e->v);
	e->set = text != NULL;
}

ih_plugin_config *ih_config_bind(const ih_config *cfg, const char *name, const ih_plugin_descriptor *desc,
				 ih_errors *errs)
{
	const ih_plugin_section *sec = ih_config_section(cfg, name);
	const ih_config_key *own = desc != NULL ? desc->config_keys : NULL;
	const char *path = cfg->path != NULL ? cfg->path : "(defaults)";
	ih_plugin_config *pc;
	size_t nown = 0, ncommon = 0, before = errs->n;
	char text[64];

	for (const ih_config_key *k = own; k != NULL && k->name != NULL; k++)
		nown++;
	pc = calloc(1, sizeof *pc);
	if (pc == NULL)
		return NULL;
	for (const ih_config_key *k = ih_conf_common_keys; k->name != NULL; k++)
		ncommon++;
	pc->e = calloc(ncommon + nown + 1, sizeof *pc->e);
	if (pc->e == NULL) {
		free(pc);
		return NULL;
	}
	for (const ih_config_key *k = ih_conf_common_keys; k->name; k++) {
		pc->e[pc->n].k = k;
		ih_conf_parse_default(k, &pc->e[pc->n].v);
		pc->e[pc->n].set = k->default_value != NULL;
		pc->n++;
	}
	for (size_t i = 0; i < nown; i++) {
		if (pc_find(pc, own[i].name) != NULL)
			continue; /* a plugin cannot redefine a common key */
		pc->e[pc->n].k = &own[i];
		ih_conf_parse_default(&own[i], &pc->e[pc->n].v);
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

			ih_conf_append_keys(ih_conf_common_keys, valid, sizeof valid);
			ih_conf_append_keys(own, valid, sizeof valid);
			ih_errors_add(errs, "%s:%d: unknown key '%s' in plugins.%s; valid keys: %s", path, v->line,
				      v->key, name, valid);
			continue;
		}
		if ((int)e->k->type != (int)v->type && !(e->k->type == IH_CFG_DOUBLE && v->type == IH_CFG_INT)) {
			ih_errors_add(errs, "%s:%d: plugins.%s: %s must be %s, not %s", path, v->line, name, v->key,
				      ih_conf_type_name(e->k->type), ih_conf_type_name(v->type));
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


void ih_pc_settings(const ih_plugin_config *pc, ih_plugin_settings *out)
{
	memset(out, 0, sizeof *out);
	out->enabled = ih_pc_enabled(pc);
	out->base_url = ih_pc_string(pc, "base_url");
	out->user_agent = ih_pc_string(pc, "user_agent");
	ih_pc_int(pc, "timeout_ms", &out->timeout_ms);
	ih_pc_int(pc, "connect_timeout_ms", &out->connect_timeout_ms);
	ih_pc_int(pc, "max_retries", &out->max_retries);
	ih_pc_int(pc, "freshness", &out->freshness);
	ih_pc_double(pc, "requests_per_second", &out->requests_per_second);
	{
		const char *iso = ih_pc_string(pc, "isolation");

		out->isolate_process = iso == NULL || strcmp(iso, "thread") != 0;
	}
	ih_pc_int(pc, "memory_limit_mb", &out->memory_limit_mb);
	ih_pc_int(pc, "heartbeat_timeout", &out->heartbeat_timeout);
}
