/*
 * plugin_list -- scanning a plugin directory (every *.so probed, in name
 * order; duplicates and disabled plugins marked) and printing the listing.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/conf.h"
#include "loader/loader_int.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ih_plugins_scan(const char *dir, const struct ih_config *cfg, ih_plugin_list *out, char *err, size_t errlen)
{
	DIR *d;
	struct dirent *de;
	char **files = NULL;
	size_t nfiles = 0;

	out->v = NULL;
	out->n = 0;
	d = opendir(dir);
	if (d == NULL) {
		snprintf(err, errlen, "cannot read plugin directory %s: %s (set plugins.dir in the config)", dir,
			 strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		char **f;

		if (len < 4 || strcmp(de->d_name + len - 3, ".so") != 0)
			continue;
		f = realloc(files, (nfiles + 1) * sizeof *f);
		if (f == NULL)
			break;
		files = f;
		files[nfiles++] = strdup(de->d_name);
	}
	closedir(d);
	if (nfiles > 0)
		qsort(files, nfiles, sizeof *files, cmp_str);
	out->v = calloc(nfiles ? nfiles : 1, sizeof *out->v);
	for (size_t i = 0; i < nfiles && out->v != NULL; i++) {
		ih_plugin_info *info = &out->v[out->n++];
		size_t len = strlen(dir) + strlen(files[i]) + 2;

		info->path = malloc(len);
		if (info->path != NULL)
			snprintf(info->path, len, "%s/%s", dir, files[i]);
		ih_plugin_probe(info->path, info);
		if (info->state != IH_PS_OK || info->name == NULL)
			continue;
		for (size_t j = 0; j + 1 < out->n; j++) {
			if (out->v[j].name != NULL && strcmp(out->v[j].name, info->name) == 0 &&
			    (out->v[j].state == IH_PS_OK || out->v[j].state == IH_PS_DISABLED)) {
				ih_plugin_set_reason(info, "duplicate: name '%s' is already provided by %s", info->name,
					   out->v[j].path);
				info->state = IH_PS_INVALID;
				break;
			}
		}
		if (info->state == IH_PS_OK && cfg != NULL && !ih_config_plugin_enabled(cfg, info->name)) {
			info->state = IH_PS_DISABLED;
			ih_plugin_set_reason(info, "disabled in config (plugins.%s.enabled = false)", info->name);
		}
	}
	for (size_t i = 0; i < nfiles; i++)
		free(files[i]);
	free(files);
	return 0;
}

void ih_plugin_list_free(ih_plugin_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		ih_plugin_info_clear(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static const char *or_dash(const char *s)
{
	return s != NULL && *s ? s : "-";
}

void ih_plugin_list_print(const ih_plugin_list *l, FILE *f)
{
	fprintf(f, "%-14s %-9s %-5s %-12s %-40s %s\n", "NAME", "VERSION", "ABI", "MARKETPLACE", "PATH", "STATE");
	for (size_t i = 0; i < l->n; i++) {
		const ih_plugin_info *p = &l->v[i];
		char abi[32], state[600];

		if (p->abi_major || p->abi_minor)
			snprintf(abi, sizeof abi, "%u.%u", p->abi_major, p->abi_minor);
		else
			snprintf(abi, sizeof abi, "-");
		if (p->state == IH_PS_OK || p->state == IH_PS_DISABLED || p->reason == NULL)
			snprintf(state, sizeof state, "%s", ih_plugin_state_name(p->state));
		else
			snprintf(state, sizeof state, "%s: %s", ih_plugin_state_name(p->state), p->reason);
		fprintf(f, "%-14s %-9s %-5s %-12s %-40s %s\n", or_dash(p->name), or_dash(p->version), abi,
			or_dash(p->marketplace), p->path, state);
	}
	if (l->n == 0)
		fprintf(f, "(no plugins found)\n");
}

static void json_str(FILE *f, const char *s)
{
	if (s == NULL) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

void ih_plugin_list_print_json(const ih_plugin_list *l, FILE *f)
{
	fputc('[', f);
	for (size_t i = 0; i < l->n; i++) {
		const ih_plugin_info *p = &l->v[i];
		char abi[32];

		snprintf(abi, sizeof abi, "%u.%u", p->abi_major, p->abi_minor);
		fprintf(f, "%s\n  {\"name\": ", i ? "," : "");
		json_str(f, p->name);
		fprintf(f, ", \"version\": ");
		json_str(f, p->version);
		fprintf(f, ", \"abi\": ");
		json_str(f, p->abi_major || p->abi_minor ? abi : NULL);
		fprintf(f, ", \"marketplace\": ");
		json_str(f, p->marketplace);
		fprintf(f, ", \"currency\": ");
		json_str(f, p->currency);
		fprintf(f, ", \"fetch\": ");
		json_str(f, p->name == NULL ? NULL : p->fetch_mode == IH_FETCH_BULK ? "bulk" : "cards");
		fprintf(f, ", \"state\": ");
		json_str(f, ih_plugin_state_name(p->state));
		fprintf(f, ", \"reason\": ");
		json_str(f, p->reason);
		fprintf(f, ", \"path\": ");
		json_str(f, p->path);
		fputc('}', f);
	}
	fprintf(f, "%s]\n", l->n ? "\n" : "");
}
