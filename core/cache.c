#include "config.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "conf.h"
#include "log.h"

#define MAX_IDLE 16
#define RETRY_MS 1000

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
	long long next_connect_ms; /* no connection attempt before this */
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

ih_cache *ih_cache_new(const struct ih_config *cfg)
{
	ih_cache *c = calloc(1, sizeof *c);

	if (c == NULL)
		return NULL;
	pthread_mutex_init(&c->mu, NULL);
	c->chunk = 1000;
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

/* Record a failure: one warning per cycle, and no reconnect for a while. */
static void failed(ih_cache *c, const char *what)
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
	c->next_connect_ms = now_ms() + RETRY_MS;
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

/* A ready context, or NULL (the reason in why). */
static redisContext *take(ih_cache *c, char *why, size_t whylen)
{
	struct timeval tv;
	redisContext *rc = NULL;
	redisReply *r;

	pthread_mutex_lock(&c->mu);
	if (c->nidle > 0)
		rc = c->idle[--c->nidle];
	else if (now_ms() < c->next_connect_ms) {
		pthread_mutex_unlock(&c->mu);
		snprintf(why, whylen, "unreachable (waiting before reconnecting)");
		return NULL;
	}
	pthread_mutex_unlock(&c->mu);
	if (rc != NULL)
		return rc;
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

/* Give a context back, or drop it when it failed (`ok` 0). */
static void give(ih_cache *c, redisContext *rc, int ok)
{
	if (rc == NULL)
		return;
	if (ok && rc->err == 0) {
		pthread_mutex_lock(&c->mu);
		if (c->nidle < MAX_IDLE) {
			c->idle[c->nidle++] = rc;
			rc = NULL;
		}
		pthread_mutex_unlock(&c->mu);
	}
	redisFree(rc);
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
	int ok = 1;

	memset(hit, 0, n);
	if (n == 0)
		return 0;
	if (!c->enabled) {
		failed(c, "not configured");
		return 0;
	}
	rc = take(c, why, sizeof why);
	if (rc == NULL) {
		failed(c, why);
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
		failed(c, why);
		return 0;
	}
	succeeded(c);
	return hits;
}

void ih_cache_mark(ih_cache *c, int16_t marketplace_id, const int32_t *card_ids, size_t n, const char *time_iso)
{
	char why[256] = "", key[40], ttl[24];
	redisContext *rc;
	int ok = 1;

	if (n == 0)
		return;
	if (!c->enabled) {
		failed(c, "not configured");
		return;
	}
	rc = take(c, why, sizeof why);
	if (rc == NULL) {
		failed(c, why);
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
		failed(c, why);
	else
		succeeded(c);
}
