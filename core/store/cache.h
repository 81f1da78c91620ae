/*
 * cache -- the Redis SnapshotCache (CONTRACT section 5).
 *
 * Key snapshot:last:{marketplace_id}:{card_id}, value the ISO-8601 UTC time
 * the card's prices were written, TTL cache.ttl.  Reads are one MGET per
 * chunk, writes one pipeline of SETEX per chunk.
 *
 * The cache never fails its caller: with Redis unconfigured, down, slower
 * than redis.timeout_ms or answering errors, reads miss and writes are
 * dropped, one warning is logged per cycle and one line when Redis answers
 * again; it reconnects on its own, trying at most once a second while Redis
 * fails (calls in between miss at once, without waiting on the network).  hiredis contexts are not thread-safe,
 * so the cache keeps a small locked stack of them, each used by one thread
 * at a time: any number of threads may call it at once.
 */
#ifndef IH_CACHE_H
#define IH_CACHE_H

#include <stddef.h>
#include <stdint.h>

struct ih_clock;
struct ih_config;
typedef struct ih_cache ih_cache;

/*
 * A cache for cfg's redis and cache groups (copied; cfg may be freed
 * afterwards).  Without a redis group the cache is disabled: every read a
 * miss.  No connection is made yet.  Returns NULL only when out of memory.
 */
ih_cache *ih_cache_new(const struct ih_config *cfg);
void ih_cache_free(ih_cache *c);

/* A new cycle: the next problem is warned about again, and a reconnect is
 * tried at once. */
void ih_cache_cycle_begin(ih_cache *c);

/*
 * hit[i] = 1 when card_ids[i] of marketplace_id is marked, else 0.  Returns
 * the number of hits (0 whenever Redis cannot answer).  Thread-safe.
 */
size_t ih_cache_get_marked(ih_cache *c, int16_t marketplace_id, const int32_t *card_ids, size_t n, uint8_t *hit);

/* Mark the cards as written at time_iso, with the configured TTL.
 * Dropped when Redis cannot answer.  Thread-safe. */
void ih_cache_mark(ih_cache *c, int16_t marketplace_id, const int32_t *card_ids, size_t n, const char *time_iso);

/* 1 when the last operation reached Redis. */
int ih_cache_ok(ih_cache *c);

/* Keys per MGET / pipeline (default 1000); for tests. */
void ih_cache_set_chunk(ih_cache *c, size_t keys);

/* The clock that spaces reconnect attempts (borrowed; NULL: the real one),
 * for tests.  Set it before the cache is shared between threads. */
void ih_cache_set_clock(ih_cache *c, const struct ih_clock *clock);

/* Connection attempts made so far (each one, successful or not).
 * Thread-safe. */
unsigned long ih_cache_connect_attempts(ih_cache *c);

#endif
