/*
 * instances -- the plugins a host runs: loaded, bound to their config,
 * registered and initialised; shut down and unloaded -- except one whose
 * run is still alive, which is left loaded for as long as the process
 * lives.  Above host_services (init gets the services table).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/conf.h"
#include "base/log.h"
#include "host/host.h"
#include "host/host_services.h"
#include "host/instances.h"
#include "loader/plugin_loader.h"
#include "store/bulk.h"
#include "store/cache.h"
#include "store/pool.h"

static int wanted(const char *name, const char *const *only, size_t nonly)
{
	if (nonly == 0)
		return 1;
	for (size_t i = 0; i < nonly; i++)
		if (strcmp(only[i], name) == 0)
			return 1;
	return 0;
}

static void free_instance(ih_instance *in)
{
	if (in == NULL)
		return;
	ih_plugin_config_free(in->pc);
	ih_plugin_close(in->handle);
	free(in->ctx);
	free(in);
}

/* Load, bind, register and init one plugin; NULL when it is skipped. */
static ih_instance *load_one(ih_host *h, const ih_plugin_info *info, ih_errors *errs, int *db_down)
{
	ih_instance *in = calloc(1, sizeof *in);
	char err[512];
	PGconn *c;
	int rc;

	if (in == NULL)
		return NULL;
	if (ih_plugin_open(info->path, &in->handle, err, sizeof err) != 0) {
		ih_err("skipping plugin: %s", err);
		free(in);
		return NULL;
	}
	in->desc = in->handle->desc;
	snprintf(in->name, sizeof in->name, "%s", info->name);
	snprintf(in->path, sizeof in->path, "%s", info->path);
	in->pc = ih_config_bind(h->cfg, in->name, in->desc, errs);
	if (in->pc == NULL)
		goto fail;
	{
		ih_plugin_settings ps;

		ih_pc_settings(in->pc, &ps);
		in->isolated = ps.isolate_process;
	}
	c = ih_pool_get(h->pool, err, sizeof err);
	if (c == NULL) {
		ih_errors_add(errs, "database unreachable: %s", err);
		*db_down = 1;
		goto fail;
	}
	rc = ih_bulk_ensure_marketplace(c, in->desc->marketplace, in->desc->description, in->desc->currency,
					&in->marketplace_id, err, sizeof err);
	ih_pool_put(h->pool, c);
	if (rc != 0) {
		ih_err("plugin %s: cannot register marketplace '%s': %s (did you run --migrate?)", in->name,
		       in->desc->marketplace, err);
		*db_down = 1;
		goto fail;
	}
	in->ctx = calloc(1, sizeof *in->ctx);
	if (in->ctx == NULL)
		goto fail;
	in->ctx->inst = in;
	in->ctx->host = h;
	/* process isolation: the library is mapped here for its descriptor
	 * only (a child already probed it); its code runs in the workers */
	if (!in->isolated && in->desc->init != NULL) {
		ih_log_set_context(in->name);
		rc = in->desc->init(ih_host_services_table(), in->ctx, &in->state);
		ih_log_set_context(NULL);
		if (rc != IH_OK) {
			ih_err("plugin %s: init failed (%d): the plugin is skipped", in->name, rc);
			goto fail;
		}
	}
	ih_info("loaded plugin %s %s (%s, marketplace %s #%d, %s)", in->name, in->desc->version,
		in->desc->fetch_mode == IH_FETCH_BULK ? "bulk" : "card list", in->desc->marketplace,
		(int)in->marketplace_id, in->isolated ? "a worker process per run" : "in the host's threads");
	return in;
fail:
	free_instance(in);
	return NULL;
}

int ih_host_load_plugins(ih_host *h, const char *const *only, size_t nonly, ih_errors *errs)
{
	ih_plugin_list list;
	char err[512];
	size_t before = errs->n;
	int db_down = 0;

	if (ih_plugins_scan(h->cfg->plugins.dir, h->cfg, &list, err, sizeof err) != 0) {
		ih_errors_add(errs, "%s", err);
		return -1;
	}
	h->inst = calloc(list.n + 1, sizeof *h->inst);
	if (h->inst == NULL) {
		ih_plugin_list_free(&list);
		return -1;
	}
	for (size_t i = 0; i < nonly; i++) {
		int found = 0;

		for (size_t j = 0; j < list.n; j++)
			found |= list.v[j].name != NULL && strcmp(list.v[j].name, only[i]) == 0 &&
				 list.v[j].state == IH_PS_OK;
		if (!found)
			ih_errors_add(errs, "--plugin %s: no enabled plugin of that name in %s (see --list-plugins)",
				      only[i], h->cfg->plugins.dir);
	}
	for (size_t i = 0; i < list.n && errs->n == before; i++) {
		const ih_plugin_info *p = &list.v[i];
		ih_instance *in;

		if (p->state == IH_PS_DISABLED)
			ih_info("plugin %s is disabled in the config", p->name);
		if (p->state == IH_PS_ABI_MISMATCH || p->state == IH_PS_INVALID)
			ih_warn("skipping %s: %s: %s", p->path, ih_plugin_state_name(p->state),
				p->reason != NULL ? p->reason : "");
		if (p->state != IH_PS_OK || !wanted(p->name, only, nonly))
			continue;
		in = load_one(h, p, errs, &db_down);
		if (in != NULL)
			h->inst[h->ninst++] = in;
		if (db_down)
			break;
	}
	ih_plugin_list_free(&list);
	if (db_down)
		return -2;
	return errs->n > before ? -1 : 0;
}

/*
 * What was left to runs that never returned: kept here, reachable, for as
 * long as the process lives (a thread may still execute the library and
 * use the pool, the cache and the config).  Main thread.
 */
static struct {
	void **v;
	size_t n, cap;
} left_behind;

static void leave_behind(void *p)
{
	if (p == NULL)
		return;
	if (ih_array_room(&left_behind.v, &left_behind.cap, left_behind.n + 1, sizeof *left_behind.v) != 0)
		return; /* then it is merely unreachable: still never freed */
	left_behind.v[left_behind.n++] = p;
}

void ih_host_unload_plugins(ih_host *h)
{
	for (size_t i = 0; i < h->ninst; i++) {
		ih_instance *in = h->inst[i];

		if (in->live != NULL) {
			/* never dlclose under a live thread: leave it all loaded */
			ih_err("plugin %s: its run did not return after ingest.stop_wait; the plugin stays loaded "
			       "(not shut down, not unloaded) until the process exits", in->name);
			h->leaked = 1;
			leave_behind(in);
			continue;
		}
		if (!in->isolated && in->desc->shutdown != NULL) {
			ih_log_set_context(in->name);
			in->desc->shutdown(in->state);
			ih_log_set_context(NULL);
		}
		free_instance(in);
	}
	free(h->inst);
	h->inst = NULL;
	h->ninst = 0;
}

void ih_host_stop(ih_host *h)
{
	ih_host_unload_plugins(h);
	if (h->leaked) {
		/* a run that never returned may still use them: the process ends anyway */
		leave_behind(h->cache);
		leave_behind(h->pool);
		leave_behind(h->cfg);
	} else {
		ih_cache_free(h->cache);
		ih_pool_free(h->pool);
		ih_config_free(h->cfg);
	}
	h->cache = NULL;
	h->pool = NULL;
	h->cfg = NULL;
}
