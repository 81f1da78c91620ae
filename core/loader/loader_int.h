/*
 * loader_int.h -- what the loader's three files share (plugin_check.c,
 * plugin_probe.c, plugin_list.c); not for use outside core/loader.
 */
#ifndef IH_LOADER_INT_H
#define IH_LOADER_INT_H

#include "loader/plugin_loader.h"

/* Replace info->reason with the formatted text. */
void ih_plugin_set_reason(ih_plugin_info *info, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * dlopen `path` (RTLD_NOW | RTLD_LOCAL) and check its descriptor into info.
 * Returns the dl handle with *descp set, or NULL with info->state and
 * info->reason set and the library closed again (the reason was copied
 * first).
 */
void *ih_plugin_load_checked(const char *path, ih_plugin_info *info, const void **descp);

/* Probe one file in a child process; fills info (path already set). */
void ih_plugin_probe(const char *path, ih_plugin_info *info);

#endif
