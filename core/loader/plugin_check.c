/*
 * plugin_check -- the checks every plugin passes before the host calls it,
 * and loading one into the host process (ih_plugin_open).  The probe child
 * (plugin_probe.c) runs the same ih_plugin_load_checked().
 */
#include "config.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/loader_int.h"

const char *ih_plugin_state_name(ih_plugin_state s)
{
	switch (s) {
	case IH_PS_OK: return "ok";
	case IH_PS_DISABLED: return "disabled";
	case IH_PS_ABI_MISMATCH: return "abi-mismatch";
	case IH_PS_QUARANTINED: return "quarantined";
	default: return "invalid";
	}
}

void ih_plugin_info_clear(ih_plugin_info *info)
{
	free(info->path);
	free(info->name);
	free(info->version);
	free(info->marketplace);
	free(info->currency);
	free(info->description);
	free(info->reason);
	memset(info, 0, sizeof *info);
}

void ih_plugin_set_reason(ih_plugin_info *info, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	free(info->reason);
	info->reason = strdup(buf);
}

static char *dup_bounded(const char *s)
{
	return s != NULL ? strndup(s, 256) : NULL;
}

static int valid_name(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

ih_plugin_state ih_plugin_check(const void *sym, ih_plugin_info *info)
{
	const ih_plugin_descriptor *d = sym;

	/* The most basic mismatch first, both values in one sentence. */
	if (d->magic != IH_PLUGIN_MAGIC) {
		ih_plugin_set_reason(info, "bad magic 0x%08x in descriptor (expected 0x%08x): not an ingesthost plugin",
			   (unsigned)d->magic, (unsigned)IH_PLUGIN_MAGIC);
		return info->state = IH_PS_INVALID;
	}
	info->abi_major = d->abi_major;
	info->abi_minor = d->abi_minor;
	if (d->abi_major != IH_ABI_MAJOR) {
		ih_plugin_set_reason(info, "plugin built for ABI %u.%u, host has ABI %d.%d (major versions differ): rebuild it",
			   d->abi_major, d->abi_minor, IH_ABI_MAJOR, IH_ABI_MINOR);
		return info->state = IH_PS_ABI_MISMATCH;
	}
	if (d->abi_minor > IH_ABI_MINOR) {
		/* same major: the 1.0 fields are where this host expects them */
		if (d->size >= IH_PLUGIN_DESCRIPTOR_SIZE_1_0 && valid_name(d->name)) {
			info->name = dup_bounded(d->name);
			info->version = dup_bounded(d->version);
			info->marketplace = dup_bounded(d->marketplace);
		}
		ih_plugin_set_reason(info, "plugin built for ABI %u.%u, host has ABI %d.%d (plugin is newer): upgrade ingesthost",
			   d->abi_major, d->abi_minor, IH_ABI_MAJOR, IH_ABI_MINOR);
		return info->state = IH_PS_ABI_MISMATCH;
	}
	if (d->size < IH_PLUGIN_DESCRIPTOR_SIZE_1_0) {
		ih_plugin_set_reason(info, "descriptor declares %u bytes, ABI %u.%u needs at least %zu", (unsigned)d->size,
			   d->abi_major, d->abi_minor, (size_t)IH_PLUGIN_DESCRIPTOR_SIZE_1_0);
		return info->state = IH_PS_INVALID;
	}
	/* Every field read below is within 1.0's size, checked above. */
	if (!valid_name(d->name)) {
		ih_plugin_set_reason(info, "descriptor has no valid name (lower-case letters, digits, '-' and '_')");
		return info->state = IH_PS_INVALID;
	}
	info->name = dup_bounded(d->name);
	info->version = dup_bounded(d->version);
	info->marketplace = dup_bounded(d->marketplace);
	info->currency = dup_bounded(d->currency);
	info->description = dup_bounded(d->description);
	info->fetch_mode = (int)d->fetch_mode;
	if (d->version == NULL || d->version[0] == '\0') {
		ih_plugin_set_reason(info, "descriptor has no version");
		return info->state = IH_PS_INVALID;
	}
	if (!valid_name(d->marketplace)) {
		ih_plugin_set_reason(info, "descriptor has no valid marketplace slug");
		return info->state = IH_PS_INVALID;
	}
	if (d->currency == NULL || strlen(d->currency) != 3) {
		ih_plugin_set_reason(info, "descriptor currency must be a 3-letter code");
		return info->state = IH_PS_INVALID;
	}
	if (d->fetch_mode != IH_FETCH_CARD_LIST && d->fetch_mode != IH_FETCH_BULK) {
		ih_plugin_set_reason(info, "descriptor fetch_mode %d is neither card list (0) nor bulk (1)", (int)d->fetch_mode);
		return info->state = IH_PS_INVALID;
	}
	if (d->collect == NULL) {
		ih_plugin_set_reason(info, "descriptor has no collect function");
		return info->state = IH_PS_INVALID;
	}
	return info->state = IH_PS_OK;
}

/* Turn a dlopen() error into a reason the operator can act on. */
static void dlopen_reason(ih_plugin_info *info, const char *path, const char *dlerr)
{
	size_t plen = strlen(path);

	if (dlerr == NULL)
		dlerr = "unknown error";
	/* dlerror() repeats the path; the listing shows it already */
	if (strncmp(dlerr, path, plen) == 0 && strncmp(dlerr + plen, ": ", 2) == 0)
		dlerr += plen + 2;
	if (strstr(dlerr, "undefined symbol") != NULL)
		ih_plugin_set_reason(info, "unresolved symbol: %s (check it with: ldd -r %s)", dlerr, path);
	else if (strstr(dlerr, "invalid ELF header") != NULL || strstr(dlerr, "file too short") != NULL ||
		 strstr(dlerr, "not a dynamic") != NULL)
		ih_plugin_set_reason(info, "not a shared object: %s", dlerr);
	else
		ih_plugin_set_reason(info, "cannot load: %s", dlerr);
	info->state = IH_PS_INVALID;
}

void *ih_plugin_load_checked(const char *path, ih_plugin_info *info, const void **descp)
{
	void *dl, *sym;

	dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (dl == NULL) {
		dlopen_reason(info, path, dlerror());
		return NULL;
	}
	dlerror();
	sym = dlsym(dl, IH_PLUGIN_SYMBOL);
	if (sym == NULL) {
		ih_plugin_set_reason(info, "missing descriptor symbol '%s'", IH_PLUGIN_SYMBOL);
		info->state = IH_PS_INVALID;
	} else if (ih_plugin_check(sym, info) == IH_PS_OK) {
		*descp = sym;
		return dl;
	}
	/* everything the messages need was copied into info */
	dlclose(dl);
	return NULL;
}

int ih_plugin_open(const char *path, ih_plugin_handle **out, char *err, size_t errlen)
{
	ih_plugin_handle *h;
	const void *desc = NULL;

	*out = NULL;
	h = calloc(1, sizeof *h);
	if (h == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	h->info.path = strdup(path);
	h->dl = ih_plugin_load_checked(path, &h->info, &desc);
	if (h->dl == NULL) {
		snprintf(err, errlen, "%s: %s: %s", path, ih_plugin_state_name(h->info.state),
			 h->info.reason ? h->info.reason : "cannot load");
		ih_plugin_info_clear(&h->info);
		free(h);
		return -1;
	}
	h->desc = desc;
	*out = h;
	return 0;
}

void ih_plugin_close(ih_plugin_handle *h)
{
	if (h == NULL)
		return;
	if (h->dl != NULL)
		dlclose(h->dl);
	ih_plugin_info_clear(&h->info);
	free(h);
}

