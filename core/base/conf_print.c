/*
 * conf_print -- the effective config printed with every secret masked, and
 * conninfo masking for messages.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "base/conf.h"
#include "base/conf_int.h"

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
	for (size_t g = 0; ih_conf_groups[g] != NULL; g++) {
		fprintf(f, "%s: {\n", ih_conf_groups[g]);
		for (size_t i = 0; i < ih_conf_nhost_keys; i++) {
			const host_key *hk = &ih_conf_host_keys[i];
			const char *base = (const char *)cfg + hk->off;
			typed v = { 0 };

			if (strcmp(hk->group, ih_conf_groups[g]) != 0)
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
