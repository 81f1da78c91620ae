/*
 * cache_test -- the Redis SnapshotCache against the suite's Redis: round
 * trip with TTL, disabled cache, Redis killed and back (at the next cycle,
 * and within the same cycle on the cache's clock), error replies, a stalled
 * server, many threads.
 */
#include "config.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/cache.h"
#include "base/clock.h"
#include "base/conf.h"
#include "testutil.h"

static ih_config *cfg_for(int port)
{
	ih_config *cfg = ih_config_defaults();

	cfg->redis.present = 1;
	cfg->redis.port = port;
	free(cfg->redis.host);
	cfg->redis.host = strdup("127.0.0.1");
	cfg->redis.timeout_ms = 200;
	cfg->cache.ttl = 600;
	return cfg;
}

static redisContext *direct(int port)
{
	return redisConnect("127.0.0.1", port);
}

static void test_round_trip(void)
{
	int port = ih_test_redis_port_or_skip("cache round trip");
	int32_t ids[5] = { 1, 2, 3, 4, 5 };
	uint8_t hit[5];
	ih_config *cfg;
	ih_cache *c;
	redisContext *rc;
	redisReply *r;

	if (port == 0)
		return;
	cfg = cfg_for(port);
	c = ih_cache_new(cfg);
	ih_config_free(cfg);
	ih_cache_set_chunk(c, 2); /* several chunks */
	ih_cache_cycle_begin(c);
	rc = direct(port);
	freeReplyObject(redisCommand(rc, "DEL snapshot:last:7:1 snapshot:last:7:2 snapshot:last:7:3 snapshot:last:7:4 snapshot:last:7:5"));
	CU_ASSERT_EQUAL(ih_cache_get_marked(c, 7, ids, 5, hit), 0);
	ih_cache_mark(c, 7, ids + 1, 3, "2024-05-01T12:00:00Z");
	CU_ASSERT_EQUAL(ih_cache_get_marked(c, 7, ids, 5, hit), 3);
	CU_ASSERT(!hit[0] && hit[1] && hit[2] && hit[3] && !hit[4]);
	CU_ASSERT_EQUAL(ih_cache_get_marked(c, 8, ids, 5, hit), 0); /* another marketplace */
	r = redisCommand(rc, "GET snapshot:last:7:3");
	CU_ASSERT_STRING_EQUAL(r->str, "2024-05-01T12:00:00Z");
	freeReplyObject(r);
	r = redisCommand(rc, "TTL snapshot:last:7:3");
	CU_ASSERT(r->integer > 0 && r->integer <= 600);
	freeReplyObject(r);
	CU_ASSERT_TRUE(ih_cache_ok(c));
	redisFree(rc);
	ih_cache_free(c);
}

static void test_disabled(void)
{
	ih_config *cfg = ih_config_defaults();
	int32_t ids[2] = { 1, 2 };
	uint8_t hit[2] = { 9, 9 };
	ih_cache *c;

	cfg->redis.present = 0;
	c = ih_cache_new(cfg);
	ih_config_free(cfg);
	ih_cache_cycle_begin(c);
	ih_cache_mark(c, 1, ids, 2, "2024-05-01T12:00:00Z");
	CU_ASSERT_EQUAL(ih_cache_get_marked(c, 1, ids, 2, hit), 0);
	CU_ASSERT(hit[0] == 0 && hit[1] == 0);
	ih_cache_free(c);
}

static void test_killed_and_back(void)
{
	int port = ih_test_redis_port_or_skip("cache killed");
	int32_t ids[3] = { 11, 12, 13 };
	uint8_t hit[3];
	ih_config *cfg;
	ih_cache *c;

	if (port == 0)
		return;
	cfg = cfg_for(port);
	c = ih_cache_new(cfg);
	ih_config_free(cfg);
	ih_cache_cycle_begin(c);
	ih_cache_mark(c, 9, ids, 3, "2024-05-01T12:00:00Z");
	CU_ASSERT_EQUAL(ih_cache_get_marked(c, 9, ids, 3, hit), 3);
	CU_ASSERT_EQUAL_FATAL(ih_test_servers("stop-redis"), 0);
	/* the idle connection is dead, then connecting fails: misses, no error */
	CU_ASSERT_EQUAL(ih_cache_get_marked(c, 9, ids, 3, hit), 0);
	CU_ASSERT(!hit[0] && !hit[1] && !hit[2]);
	ih_cache_mark(c, 9, ids, 3, "2024-05-01T12:00:00Z");
	CU_ASSERT_EQUAL(ih_cache_get_marked(c, 9, ids, 3, hit), 0);
	CU_ASSERT_FALSE(ih_cache_ok(c));
	CU_ASSERT_EQUAL_FATAL(ih_test_servers("start-redis"), 0);
	ih_cache_cycle_begin(c); /* a new cycle reconnects at once */
	ih_cache_mark(c, 9, ids, 3, "2024-05-01T13:00:00Z");
	CU_ASSERT_EQUAL(ih_cache_get_marked(c, 9, ids, 3, hit), 3);
	CU_ASSERT_TRUE(ih_cache_ok(c));
	ih_cache_free(c);
}

/*
 * Redis restarts in the middle of a cycle, with calls coming four times a
 * second (of the cache's fake clock): while it is down the calls miss, and
 * only one a second tries to connect; once it is back, the cache reaches it
 * within about a second, still in the same cycle.  (A refusal used to push
 * the next attempt a second further every time, so it never came back.)
 */
static void test_restart_mid_cycle(void)
{
	int port = ih_test_redis_port_or_skip("cache restart mid-cycle");
	int32_t ids[3] = { 31, 32, 33 };
	uint8_t hit[3];
	ih_fake_clock fc;
	ih_config *cfg;
	ih_cache *c;
	unsigned long before;
	int calls;

	if (port == 0)
		return;
	ih_fake_clock_init(&fc, 1.7e9);
	cfg = cfg_for(port);
	c = ih_cache_new(cfg);
	ih_config_free(cfg);
	ih_cache_set_clock(c, &fc.clock);
	ih_cache_cycle_begin(c);
	ih_cache_mark(c, 6, ids, 3, "2024-05-01T12:00:00Z");
	CU_ASSERT_EQUAL(ih_cache_get_marked(c, 6, ids, 3, hit), 3);
	CU_ASSERT_EQUAL_FATAL(ih_test_servers("stop-redis"), 0);

	/* down: the idle connection fails, then 3 s of calls 0.25 s apart miss;
	 * connection attempts: at most one a second */
	CU_ASSERT_EQUAL(ih_cache_get_marked(c, 6, ids, 3, hit), 0);
	before = ih_cache_connect_attempts(c);
	for (int i = 0; i < 12; i++) {
		ih_fake_clock_advance(&fc, 0.25);
		CU_ASSERT_EQUAL(ih_cache_get_marked(c, 6, ids, 3, hit), 0);
		CU_ASSERT(!hit[0] && !hit[1] && !hit[2]);
		ih_cache_mark(c, 6, ids, 3, "2024-05-01T12:00:00Z");
	}
	CU_ASSERT(ih_cache_connect_attempts(c) - before >= 2);
	CU_ASSERT(ih_cache_connect_attempts(c) - before <= 3);
	CU_ASSERT_FALSE(ih_cache_ok(c));

	/* back (empty: the test server keeps nothing): same cycle, no
	 * cycle_begin; the cache answers within a bounded number of calls */
	CU_ASSERT_EQUAL_FATAL(ih_test_servers("start-redis"), 0);
	for (calls = 1; calls <= 20; calls++) {
		ih_fake_clock_advance(&fc, 0.25);
		ih_cache_get_marked(c, 6, ids, 3, hit);
		if (ih_cache_ok(c))
			break;
	}
	CU_ASSERT(calls <= 5); /* the next attempt is at most a second away */
	ih_cache_mark(c, 6, ids, 3, "2024-05-01T14:00:00Z");
	CU_ASSERT_TRUE(ih_cache_ok(c));
	CU_ASSERT_EQUAL(ih_cache_get_marked(c, 6, ids, 3, hit), 3);
	ih_cache_free(c);
	ih_fake_clock_destroy(&fc);
}

static void test_error_replies(void)
{
	int port = ih_test_redis_port_or_skip("cache errors");
	int32_t ids[2] = { 1, 2 };
	uint8_t hit[2];
	ih_config *cfg;
	ih_cache *c;

	if (port == 0)
		return;
	/* the server has no password: AUTH is answered with an error */
	cfg = cfg_for(port);
	free(cfg->redis.password);
	cfg->redis.password = strdup("not-the-password");
	c = ih_cache_new(cfg);
	ih_cache_cycle_begin(c);
	ih_cache_mark(c, 1, ids, 2, "2024-05-01T12:00:00Z");
	CU_ASSERT_EQUAL(ih_cache_get_marked(c, 1, ids, 2, hit), 0);
	CU_ASSERT_FALSE(ih_cache_ok(c));
	ih_cache_free(c);
	/* a database number the server does not have */
	free(cfg->redis.password);
	cfg->redis.password = strdup("");
	cfg->redis.db = 5000;
	c = ih_cache_new(cfg);
	ih_config_free(cfg);
	ih_cache_cycle_begin(c);
	CU_ASSERT_EQUAL(ih_cache_get_marked(c, 1, ids, 2, hit), 0);
	CU_ASSERT_FALSE(ih_cache_ok(c));
	ih_cache_free(c);
}

static void test_stalled(void)
{
	int port = ih_test_redis_port_or_skip("cache stalled");
	int32_t ids[2] = { 21, 22 };
	uint8_t hit[2];
	ih_config *cfg;
	ih_cache *c;
	redisContext *rc;

	if (port == 0)
		return;
	cfg = cfg_for(port);
	cfg->redis.timeout_ms = 50;
	c = ih_cache_new(cfg);
	ih_config_free(cfg);
	ih_cache_cycle_begin(c);
	ih_cache_mark(c, 3, ids, 2, "2024-05-01T12:00:00Z");
	CU_ASSERT_EQUAL(ih_cache_get_marked(c, 3, ids, 2, hit), 2);
	/* every client's commands wait 500 ms: ours time out after 50 ms */
	rc = direct(port);
	freeReplyObject(redisCommand(rc, "CLIENT PAUSE 500 ALL"));
	CU_ASSERT_EQUAL(ih_cache_get_marked(c, 3, ids, 2, hit), 0);
	CU_ASSERT_FALSE(ih_cache_ok(c));
	/* answered only once the pause is over */
	freeReplyObject(redisCommand(rc, "PING"));
	redisFree(rc);
	ih_cache_cycle_begin(c);
	CU_ASSERT_EQUAL(ih_cache_get_marked(c, 3, ids, 2, hit), 2);
	ih_cache_free(c);
}

static ih_cache *g_tc;
static size_t g_thits[4];

static void *worker(void *arg)
{
	int k = (int)(long)arg;
	int32_t ids[100];
	uint8_t hit[100];

	for (int i = 0; i < 100; i++)
		ids[i] = k * 1000 + i;
	for (int round = 0; round < 50; round++) {
		ih_cache_mark(g_tc, 4, ids, 100, "2024-05-01T12:00:00Z");
		g_thits[k] += ih_cache_get_marked(g_tc, 4, ids, 100, hit);
	}
	return NULL;
}

static void test_threads(void)
{
	int port = ih_test_redis_port_or_skip("cache threads");
	pthread_t t[4];
	ih_config *cfg;

	if (port == 0)
		return;
	cfg = cfg_for(port);
	g_tc = ih_cache_new(cfg);
	ih_config_free(cfg);
	ih_cache_cycle_begin(g_tc);
	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(g_thits[i], 5000);
	ih_cache_free(g_tc);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{ "round trip with TTL", test_round_trip },
		{ "disabled cache misses", test_disabled },
		{ "redis killed mid-test, then back", test_killed_and_back },
		{ "redis restarted mid-cycle: back within a second, one attempt a second", test_restart_mid_cycle },
		{ "error replies are misses", test_error_replies },
		{ "a stalled server times out", test_stalled },
		{ "four threads", test_threads },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "cache", NULL, NULL, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};

	/* this binary stops and restarts its servers: its own, not the suite's */
	if (ih_test_private_servers() != 0) {
		fprintf(stderr, "cannot start private servers with tests/servers.sh\n");
		return 1;
	}
	return ih_test_main(suites);
}
