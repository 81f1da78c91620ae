/*
 * plugin_loader -- finding, checking and loading marketplace plugins.
 *
 * ih_plugins_scan() lists every *.so in a directory without trusting any of
 * them: each file is opened in a child process (as GStreamer's plugin
 * scanner does), so a constructor that crashes, hangs or calls exit() is
 * reported instead of taking the host down.  The child checks the descriptor
 * and reports back over a pipe; no plugin function is ever called by a scan.
 *
 * ih_plugin_open() then loads a plugin in the host process
 * (RTLD_NOW | RTLD_LOCAL) and repeats the same checks before handing out the
 * descriptor.  Main thread only.
 */
#ifndef IH_PLUGIN_LOADER_H
#define IH_PLUGIN_LOADER_H

#include <stddef.h>
#include <stdio.h>
#include "ingesthost/plugin.h"

struct ih_config;

typedef enum ih_plugin_state {
	IH_PS_OK = 0,
	IH_PS_DISABLED,
	IH_PS_ABI_MISMATCH,
	IH_PS_INVALID,
	IH_PS_QUARANTINED /* loadable, but a running host set it aside after
	                     repeated crashes (ingest_runs says so) */
} ih_plugin_state;

/* What a scan learnt about one file.  All strings owned by the struct. */
typedef struct ih_plugin_info {
	char *path;
	char *name;        /* NULL when the descriptor could not be read */
	char *version;
	char *marketplace;
	char *currency;
	char *description;
	unsigned abi_major, abi_minor;
	int fetch_mode;
	ih_plugin_state state;
	char *reason;      /* why not ok; NULL when ok */
} ih_plugin_info;

typedef struct ih_plugin_list {
	ih_plugin_info *v;
	size_t n;
} ih_plugin_list;

const char *ih_plugin_state_name(ih_plugin_state s);

/*
 * Scan `dir` for *.so files, in name order, probing each in a child process.
 * `cfg` (may be NULL) marks plugins disabled.  A second file claiming a name
 * already seen is invalid: duplicate.  Returns 0, or -1 with *err set when
 * the directory itself cannot be read.
 */
int ih_plugins_scan(const char *dir, const struct ih_config *cfg, ih_plugin_list *out, char *err, size_t errlen);
void ih_plugin_list_free(ih_plugin_list *l);

/* Print the listing as a table, or as a JSON array. */
void ih_plugin_list_print(const ih_plugin_list *l, FILE *f);
void ih_plugin_list_print_json(const ih_plugin_list *l, FILE *f);

/*
 * Check a descriptor found at `sym`.  Fills `info` (strings copied) and
 * returns its state; on anything but IH_PS_OK, info->reason says why.
 * Reads no further than the size the descriptor declares.
 */
ih_plugin_state ih_plugin_check(const void *sym, ih_plugin_info *info);

/* A plugin loaded into the host. */
typedef struct ih_plugin_handle {
	void *dl;
	const ih_plugin_descriptor *desc;
	ih_plugin_info info;
} ih_plugin_handle;

/*
 * dlopen `path` and check it.  Returns 0 with *out set, or -1 with a
 * message in err (copied before dlclose).  Only call for files a scan
 * reported ok: loading runs the plugin's constructors in this process.
 */
int ih_plugin_open(const char *path, ih_plugin_handle **out, char *err, size_t errlen);
void ih_plugin_close(ih_plugin_handle *h);

void ih_plugin_info_clear(ih_plugin_info *info);

#endif
