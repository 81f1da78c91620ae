#include "config.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/cache.h"
#include "base/clock.h"
#include "base/conf.h"
#include "base/log.h"

#define MAX_IDLE 16
#define RETRY_MS 1000 /* while Redis fails: one connection attempt per second */

struct ih_cache {
	pthread_mutex_t mu;
	int enabled;
	char *host, *password;
	int port, db, timeout_ms;
	long long ttl;
	size_t chunk;
	redisContext *idle[MAX_IDLE];
	int nidle;
	int warned;      /* a warning was logged this cycle */
	int failing;     /* the last operation failed */
	/* While failing, no connection attempt before this.  Moved only by a
	 * real attempt or a failed command, never by a call refused because of
	 * it: a refusal moving it would postpone the reconnect forever as long
	 * as calls come more often than once a second. */
	long long next_connect_ms;
	unsigned long connects; /* connection attempts made */
	const ih_clock *clock;
};

static long long now_ms(const ih_cache *c)
{
	return (long long)(ih_clock_now(c->clock) * 1000.0);
}

ih_cache *ih_cache_new(const struct ih_config *cfg)
{
	ih_cache *c = calloc(1, sizeof *c);

	if (c == NULL)
		return NULL;
	pthread_mutex_init(&c->mu, NULL);
	c->chunk = 1000;
	c->clock = ih_clock_real();
	c->ttl = cfg != NULL ? cfg->cache.ttl : 7200;
	c->enabled = cfg != NULL && cfg->redis.present;
	if (c->enabled) {
		c->host = strdup(cfg->redis.host != NULL ? cfg->redis.host : "127.0.0.1");
		c->password = cfg->redis.password != NULL && *cfg->redis.password ? strdup(cfg->redis.password) : NULL;
		c->port = (int)cfg->redis.port;
		c->db = (int)cfg->redis.db;
		c->timeout_ms = cfg->redis.timeout_ms > 0 ? (int)cfg->redis.timeout_ms : 500;
		if (c->host == NULL) {
			ih_cache_free(c);
			return NULL;
		}
	}
	return c;
}

void ih_cache_free(ih_cache *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < c->nidle; i++)
		redisFree(c->idle[i]);
	pthread_mutex_destroy(&c->mu);
	free(c->host);
	if (c->password != NULL) {
		memset(c->password, 0, strlen(c->password));
		free(c->password);
	}
	free(c);
}

void ih_cache_set_chunk(ih_cache *c, size_t keys)
{
	c->chunk = keys > 0 ? keys : 1000;
}

void ih_cache_set_clock(ih_cache *c, const ih_clock *clock)
{
	c->clock = clock != NULL ? clock : ih_clock_real();
}

unsigned long ih_cache_connect_attempts(ih_cache *c)
{
	unsigned long n;

	pthread_mutex_lock(&c->mu);
	n = c->connects;
	pthread_mutex_unlock(&c->mu);
	return n;
}

void ih_cache_cycle_begin(ih_cache *c)
{
	pthread_mutex_lock(&c->mu);
	c->warned = 0;
	c->next_connect_ms = 0;
	pthread_mutex_unlock(&c->mu);
}

int ih_cache_ok(ih_cache *c)
{
	int ok;

	pthread_mutex_lock(&c->mu);
	ok = c->enabled && !c->failing;
	pthread_mutex_unlock(&c->mu);
	return ok;
}

/*
 * Record a failure: one warning per cycle.  `tried` is 1 when Redis was
 * really asked (a connection attempt or a command): the next attempt then
 * waits RETRY_MS.  A call refused by that wait passes 0 and leaves it alone.
 */
static void failed(ih_cache *c, const char *what, int tried)
{
	pthread_mutex_lock(&c->mu);
	if (!c->warned) {
		if (c->enabled)
			ih_warn("redis %s:%d: %s; the cache is skipped, ingestion goes on from the database", c->host,
				c->port, what);
		else
			ih_warn("redis is not configured: the cache is skipped, ingestion goes on from the database");
		c->warned = 1;
	}
	c->failing = 1;
	if (tried)
		c->next_connect_ms = now_ms(c) + RETRY_MS;
	pthread_mutex_unlock(&c->mu);
}

static void succeeded(ih_cache *c)
{
	pthread_mutex_lock(&c->mu);
	if (c->failing)
		ih_notice("redis %s:%d answers again: the cache is back in use", c->host, c->port);
	c->failing = 0;
	pthread_mutex_unlock(&c->mu);
}

/*
 * A ready context, or NULL with the reason in why and *tried 1 when a
 * connection was attempted, 0 when the call was refused without asking
 * Redis (it failed less than RETRY_MS ago).  While Redis fails, the thread
 * that attempts claims the next second, so concurrent callers do not
 * attempt too; while it answers, every thread connects as it needs.
 */
static redisContext *take(ih_cache *c, char *why, size_t whylen, int *tried)
{
	struct timeval tv;
	redisContext *rc = NULL;
	redisReply *r;

	*tried = 0;
	pthread_mutex_lock(&c->mu);
	if (c->nidle > 0) {
		rc = c->idle[--c->nidle];
		pthread_mutex_unlock(&c->mu);
		*tried = 1;
		return rc;
	}
	if (c->failing) {
		long long now = now_ms(c);

		if (now < c->next_connect_ms) {
			pthread_mutex_unlock(&c->mu);
			snprintf(why, whylen, "unreachable (waiting before reconnecting)");
			return NULL;
		}
		c->next_connect_ms = now + RETRY_MS;
	}
	c->connects++;
	pthread_mutex_unlock(&c->mu);
	*tried = 1;
	tv.tv_sec = c->timeout_ms / 1000;
	tv.tv_usec = (c->timeout_ms % 1000) * 1000;
	rc = redisConnectWithTimeout(c->host, c->port, tv);
	if (rc == NULL || rc->err) {
		snprintf(why, whylen, "cannot connect: %s", rc != NULL ? rc->errstr : "out of memory");
		redisFree(rc);
		return NULL;
	}
	redisSetTimeout(rc, tv);
	if (c->password != NULL) {
		r = redisCommand(rc, "AUTH %s", c->password);
		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			/* the reply never echoes the password */
			snprintf(why, whylen, "AUTH failed: %s", r != NULL ? r->str : rc->errstr);
			freeReplyObject(r);
			redisFree(rc);
			return NULL;
		}
		freeReplyObject(r);
	}
	if (c->db != 0) {
		r = redisCommand(rc, "SELECT %d", c->db);
		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			snprintf(why, whylen, "SELECT %d failed: %s", c->db, r != NULL ? r->str : rc->errstr);
			freeReplyObject(r);
			redisFree(rc);
			return NULL;
		}
		freeReplyObject(r);
	}
	return rc;
}

/*
 * Give a context back, or drop it when it failed (`ok` 0).  A connection
 * that broke (rc->err: Redis restarted, went away or stalled) takes the
 * idle ones with it: they lead to the same server and would each fail one
 * more call before a reconnect.
 */
static void give(ih_cache *c, redisContext *rc, int ok)
{
	redisContext *drop[MAX_IDLE];
	int ndrop = 0;

	if (rc == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	if (ok && rc->err == 0) {
		if (c->nidle < MAX_IDLE) {
			c->idle[c->nidle++] = rc;
			rc = NULL;
		}
	} else if (rc->err != 0) {
		while (c->nidle > 0)
			drop[ndrop++] = c->idle[--c->nidle];
	}
	pthread_mutex_unlock(&c->mu);
	redisFree(rc);
	while (ndrop > 0)
		redisFree(drop[--ndrop]);
}

/* A context's error, naming a timeout as such. */
static const char *io_error(ih_cache *c, redisContext *rc)
{
	static __thread char buf[128];

	if (rc->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		snprintf(buf, sizeof buf, "no answer within redis.timeout_ms = %d ms", c->timeout_ms);
		return buf;
	}
	return rc->errstr;
}

static void key_of(char *buf, size_t len, int16_t mkt, int32_t card)
{
	snprintf(buf, len, "snapshot:last:%d:%d", (int)mkt, (int)card);
}

size_t ih_cache_get_marked(ih_cache *c, int16_t marketplace_id, const int32_t *card_ids, size_t n, uint8_t *hit)
{
	char why[256];
	size_t hits = 0, chunk = c->chunk;
	const char **argv;
	char (*keys)[40];
	redisContext *rc;
	int ok = 1, tried;

	memset(hit, 0, n);
	if (n == 0)
		return 0;
	if (!c->enabled) {
		failed(c, "not configured", 0);
		return 0;
	}
	rc = take(c, why, sizeof why, &tried);
	if (rc == NULL) {
		failed(c, why, tried);
		return 0;
	}
	argv = malloc((chunk + 1) * sizeof *argv);
	keys = malloc(chunk * sizeof *keys);
	if (argv == NULL || keys == NULL) {
		free(argv);
		free(keys);
		give(c, rc, 1);
		return 0;
	}
	argv[0] = "MGET";
	for (size_t off = 0; off < n && ok; off += chunk) {
		size_t k = n - off < chunk ? n - off : chunk;
		redisReply *r;

		for (size_t i = 0; i < k; i++) {
			key_of(keys[i], sizeof keys[i], marketplace_id, card_ids[off + i]);
			argv[i + 1] = keys[i];
		}
		r = redisCommandArgv(rc, (int)k + 1, argv, NULL);
		if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != k) {
			snprintf(why, sizeof why, "MGET failed: %s",
				 r == NULL ? io_error(c, rc) : r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
			ok = 0;
		} else {
			for (size_t i = 0; i < k; i++)
				if (r->element[i]->type == REDIS_REPLY_STRING) {
					hit[off + i] = 1;
					hits++;
				}
		}
		freeReplyObject(r);
	}
	free(argv);
	free(keys);
	give(c, rc, ok);
	if (!ok) {
		memset(hit, 0, n);
		failed(c, why, 1);
		return 0;
	}
	succeeded(c);
	return hits;
}

void ih_cache_mark(ih_cache *c, int16_t marketplace_id, const int32_t *card_ids, size_t n, const char *time_iso)
{
	char why[256] = "", key[40], ttl[24];
	redisContext *rc;
	int ok = 1, tried;

	if (n == 0)
		return;
	if (!c->enabled) {
		failed(c, "not configured", 0);
		return;
	}
	rc = take(c, why, sizeof why, &tried);
	if (rc == NULL) {
		failed(c, why, tried);
		return;
	}
	snprintf(ttl, sizeof ttl, "%lld", c->ttl);
	for (size_t off = 0; off < n && ok; off += c->chunk) {
		size_t k = n - off < c->chunk ? n - off : c->chunk;

		for (size_t i = 0; i < k && ok; i++) {
			const char *argv[4] = { "SETEX", key, ttl, time_iso };

			key_of(key, sizeof key, marketplace_id, card_ids[off + i]);
			if (redisAppendCommandArgv(rc, 4, argv, NULL) != REDIS_OK)
				ok = 0;
		}
		/* read every reply of the pipeline, even after an error reply */
		for (size_t i = 0; i < k; i++) {
			redisReply *r = NULL;

			if (!ok && rc->err)
				break;
			if (redisGetReply(rc, (void **)&r) != REDIS_OK || r == NULL) {
				snprintf(why, sizeof why, "SETEX failed: %s", io_error(c, rc));
				ok = 0;
				break;
			}
			if (r->type == REDIS_REPLY_ERROR) {
				snprintf(why, sizeof why, "SETEX failed: %s", r->str);
				ok = 0;
			}
			freeReplyObject(r);
		}
	}
	if (!ok && rc->err == 0 && why[0] == '\0')
		snprintf(why, sizeof why, "SETEX failed");
	give(c, rc, ok);
	if (!ok)
		failed(c, why, 1);
	else
		succeeded(c);
}
