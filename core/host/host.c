#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "store/bulk.h"
#include "store/cache.h"
#include "base/clock.h"
#include "base/conf.h"
#include "host/host.h"
#include "base/log.h"
#include "store/pgexec.h"
#include "store/pool.h"

int ih_host_start(ih_host *h, ih_config *cfg, const ih_clock *clock, char *err, size_t errlen)
{
	PGconn *c;

	memset(h, 0, sizeof *h);
	h->cfg = cfg;
	h->clock = clock != NULL ? clock : ih_clock_real();
	ih_pg_set_statement_timeout_ms((int)cfg->database.statement_timeout_ms);
	h->pool = ih_pool_new(cfg->database.conninfo, (int)cfg->database.pool_size, (int)cfg->database.connect_timeout,
			      (int)cfg->database.checkout_timeout_ms);
	if (h->pool == NULL) {
		snprintf(err, errlen, "out of memory creating the connection pool");
		return -1;
	}
	c = ih_pool_get(h->pool, err, errlen);
	if (c == NULL)
		return -1;
	ih_pool_put(h->pool, c);
	h->cache = ih_cache_new(cfg);
	return 0;
}

int ih_host_reopen(ih_host *h, int pool, int cache, char *err, size_t errlen)
{
	int rc = 0;

	if (pool) {
		ih_pool *np;
		PGconn *c;

		ih_pg_set_statement_timeout_ms((int)h->cfg->database.statement_timeout_ms);
		np = ih_pool_new(h->cfg->database.conninfo, (int)h->cfg->database.pool_size,
				 (int)h->cfg->database.connect_timeout, (int)h->cfg->database.checkout_timeout_ms);
		if (np == NULL) {
			snprintf(err, errlen, "out of memory creating the connection pool");
			return -1;
		}
		ih_pool_free(h->pool);
		h->pool = np;
		c = ih_pool_get(h->pool, err, errlen);
		if (c == NULL)
			rc = -1;
		ih_pool_put(h->pool, c);
	}
	if (cache) {
		ih_cache *nc = ih_cache_new(h->cfg);

		if (nc == NULL) {
			snprintf(err, errlen, "out of memory creating the cache client");
			return -1;
		}
		ih_cache_free(h->cache);
		h->cache = nc;
	}
	return rc;
}
