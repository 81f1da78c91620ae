/*
 * emit_test -- core/host/emit.c on its own (with validate.c and writer.c
 * behind it), against the suite's PostgreSQL and Redis: the snapshot check
 * field by field, batches that end on a card boundary, rows counted
 * unwritten when the database stays unreachable past the give-up time, and
 * cards marked in Redis only once their batch committed.
 *
 * A database of its own (ih_emit_test, migrated); Redis database 11 and
 * marketplace ids of its own, so the binaries beside it see nothing.
 * Waits are for observable state (the emitter's counters, pg_locks), each
 * bounded, never a fixed sleep.
 */
#include "config.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <time.h>

#include "base/clock.h"
#include "base/conf.h"
#include "host/emit.h"
#include "pgtest.h"
#include "store/cache.h"
#include "store/pool.h"
#include "testutil.h"

#define CYCLE "2026-12-03T12:00:00Z"
#define REDIS_DB 11
#define WAIT_S 15.0 /* bound on every wait for the writer */
#define NCARDS 8

static char g_conninfo[1024];
static PGconn *g_q; /* checks and the lock holder */
static int g_db_ok;
static ih_card g_cards[NCARDS];
static char g_uuid[NCARDS][37];

static int init_db(void)
{
	const char *base = getenv("IH_TEST_CONNINFO");
	char err[512], sql[512];

	for (int i = 0; i < NCARDS; i++) {
		snprintf(g_uuid[i], sizeof g_uuid[i], "%08x-0000-4000-8000-00000000e417", (unsigned)i + 1);
		g_cards[i].card_id = i + 1;
		g_cards[i].scryfall_id = g_uuid[i];
		g_cards[i].lang = "en";
	}
	if (base == NULL || *base == '\0')
		return 0; /* the tests that need it skip */
	if (pgt_fresh_db(base, "ih_emit_test", 1, g_conninfo, sizeof g_conninfo) != 0)
		return -1;
	g_q = ih_pg_connect(g_conninfo, 10, err, sizeof err);
	if (g_q == NULL)
		return -1;
	if (pgt_exec(g_q, "INSERT INTO marketplaces (id, slug, currency) VALUES (71, 'emit-a', 'USD'), "
	                  "(72, 'emit-b', 'USD'), (73, 'emit-c', 'USD')") != 0)
		return -1;
	for (int i = 0; i < NCARDS; i++) {
		snprintf(sql, sizeof sql, "INSERT INTO cards (id, scryfall_id, lang) VALUES (%d, '%s', 'en')", i + 1,
		         g_uuid[i]);
		if (pgt_exec(g_q, sql) != 0)
			return -1;
	}
	g_db_ok = 1;
	return 0;
}

static int fini_db(void)
{
	if (g_q != NULL)
		PQfinish(g_q);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void nap(void)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

/* Rows of `card` on marketplace `mkt`. */
static long rows_of(int mkt, int card)
{
	char sql[160];

	snprintf(sql, sizeof sql, "SELECT count(*) FROM price_snapshots WHERE marketplace_id = %d AND card_id = %d", mkt,
	         card);
	return pgt_long(g_q, sql);
}

/* Wait (bounded) until the emitter has committed `n` rows; returns its count. */
static long wait_written(ih_emitter *em, long n)
{
	double until = now_s() + WAIT_S;
	ih_emit_stats st;

	for (;;) {
		ih_emitter_stats(em, &st);
		if (st.written >= n || now_s() > until)
			return st.written;
		nap();
	}
}

static ih_snapshot snap(int32_t card, const char *cond, const char *finish, const char *price)
{
	ih_snapshot s;

	memset(&s, 0, sizeof s);
	s.card_id = card;
	s.condition = cond;
	s.finish = finish;
	s.currency = "USD";
	s.price = price;
	s.num_listings = -1;
	return s;
}

static ih_emit_opts opts_for(ih_pool *pool, ih_cache *cache, const ih_clock *clk, int mkt, double give_up_at)
{
	ih_emit_opts o;

	memset(&o, 0, sizeof o);
	o.pool = pool;
	o.cache = cache;
	o.clock = clk;
	o.marketplace_id = (int16_t)mkt;
	o.cycle_time = CYCLE;
	o.source = "emit_test";
	o.batch_size = 3;
	o.copy_threshold = 1000000;
	o.max_buffered_rows = 1000;
	o.give_up_at = give_up_at;
	o.cards = g_cards;
	o.ncards = NCARDS;
	return o;
}

/* ---- validation: each field ------------------------------------------------ */

static int rejects(const ih_snapshot *s, const char *needle)
{
	char why[256] = "";
	int rc = ih_snapshot_validate(s, why, sizeof why);

	if (rc == 0 || strstr(why, needle) == NULL)
		printf("\n  expected a reject naming '%s', got rc %d: %s\n", needle, rc, why);
	return rc != 0 && strstr(why, needle) != NULL;
}

/* A cache client on the test's Redis db (600 s TTL). */
static ih_cache *test_cache(int redis_port)
{
	ih_config *cfg = ih_config_defaults();
	ih_cache *cache;

	cfg->redis.present = 1;
	cfg->redis.port = redis_port;
	free(cfg->redis.host);
	cfg->redis.host = strdup("127.0.0.1");
	cfg->redis.db = REDIS_DB;
	cfg->redis.timeout_ms = 2000;
	cfg->cache.ttl = 600;
	cache = ih_cache_new(cfg);
	ih_config_free(cfg);
	return cache;
}

static void test_validate(void)
{
	ih_snapshot ok = snap(1, "NM", "nonfoil", "18.13"), s;
	static const char *const good_money[] = { "0", "7", "0.5", "18.13", "9999999999.99", NULL };
	static const char *const bad_money[] = { "", "-1.00", "1.", ".5", "1.234", "1e3", "12345678901", " 1", "1,00",
		                                 NULL };
	char why[256];

	CU_ASSERT_EQUAL(ih_snapshot_validate(&ok, why, sizeof why), 0);
	/* the card: an id, or else a 36-character scryfall id */
	s = ok;
	s.card_id = 0;
	CU_ASSERT(rejects(&s, "no card"));
	s.scryfall_id = "00000001-0000-4000-8000";
	CU_ASSERT(rejects(&s, "no card"));
	s.scryfall_id = g_uuid[0];
	CU_ASSERT_EQUAL(ih_snapshot_validate(&s, why, sizeof why), 0);
	/* 36 characters are not a UUID: invalid UTF-8 or not hex is refused
	 * here, alone, before PostgreSQL would refuse its whole batch (#14) */
	s.scryfall_id = "00000001-0000-4000-8000-00000000000\xff";
	CU_ASSERT(rejects(&s, "is not a UUID"));
	s.scryfall_id = "\xc3\x28" "000001-0000-4000-8000-000000000001";
	CU_ASSERT(rejects(&s, "is not a UUID"));
	s.scryfall_id = "0000000g-0000-4000-8000-000000000001";
	CU_ASSERT(rejects(&s, "is not a UUID"));
	s.scryfall_id = "00000001+0000-4000-8000-000000000001";
	CU_ASSERT(rejects(&s, "is not a UUID"));
	s.scryfall_id = "00000001-0000-4000-8000-00000000000A"; /* either case */
	CU_ASSERT_EQUAL(ih_snapshot_validate(&s, why, sizeof why), 0);
	/* condition */
	s = ok;
	s.condition = "Near Mint";
	CU_ASSERT(rejects(&s, "condition 'Near Mint'"));
	s.condition = "nm";
	CU_ASSERT(rejects(&s, "condition"));
	s.condition = NULL;
	CU_ASSERT(rejects(&s, "condition '(null)'"));
	for (const char *const *c = (const char *const[]){ "NM", "LP", "MP", "HP", "DMG", NULL }; *c != NULL; c++) {
		s.condition = *c;
		CU_ASSERT_EQUAL(ih_snapshot_validate(&s, why, sizeof why), 0);
	}
	/* finish */
	s = ok;
	s.finish = "holo";
	CU_ASSERT(rejects(&s, "finish 'holo'"));
	s.finish = NULL;
	CU_ASSERT(rejects(&s, "finish"));
	s.finish = "etched";
	CU_ASSERT_EQUAL(ih_snapshot_validate(&s, why, sizeof why), 0);
	/* currency: three capitals */
	s = ok;
	s.currency = "usd";
	CU_ASSERT(rejects(&s, "currency 'usd'"));
	s.currency = "US";
	CU_ASSERT(rejects(&s, "currency"));
	s.currency = "EURO";
	CU_ASSERT(rejects(&s, "currency"));
	s.currency = NULL;
	CU_ASSERT(rejects(&s, "currency"));
	/* language: optional, else a Scryfall code */
	s = ok;
	s.language = "EN";
	CU_ASSERT(rejects(&s, "language 'EN'"));
	s.language = "e";
	CU_ASSERT(rejects(&s, "language"));
	s.language = "engl";
	CU_ASSERT(rejects(&s, "language"));
	s.language = "zhs";
	CU_ASSERT_EQUAL(ih_snapshot_validate(&s, why, sizeof why), 0);
	/* price and the low/mid/high band: decimal text that fits numeric(12,2) */
	for (const char *const *m = good_money; *m != NULL; m++) {
		s = ok;
		s.price = *m;
		s.price_low = s.price_mid = s.price_high = *m;
		CU_ASSERT_EQUAL(ih_snapshot_validate(&s, why, sizeof why), 0);
	}
	for (const char *const *m = bad_money; *m != NULL; m++) {
		s = ok;
		s.price = *m;
		CU_ASSERT(rejects(&s, "price '"));
		s = ok;
		s.price_low = *m;
		CU_ASSERT(rejects(&s, "price_low"));
		s = ok;
		s.price_mid = *m;
		CU_ASSERT(rejects(&s, "price_mid"));
		s = ok;
		s.price_high = *m;
		CU_ASSERT(rejects(&s, "price_high"));
	}
	s = ok;
	s.price = NULL;
	CU_ASSERT(rejects(&s, "price '(null)'"));
}

/* The emitter counts rejects and refuses a card outside the run's list; no
 * database is touched (the pool points at a closed port). */
static void test_add_rejects(void)
{
	ih_pool *pool = ih_pool_new("host=127.0.0.1 port=1 dbname=none connect_timeout=2", 1, 2, 1000);
	ih_emit_opts o = opts_for(pool, NULL, ih_clock_real(), 71, now_s() + 60);
	ih_emitter *em = ih_emitter_new(&o);
	ih_snapshot s = snap(1, "NM", "nonfoil", "1.00");
	ih_emit_stats st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(em);
	s.condition = "mint";
	CU_ASSERT_EQUAL(ih_emitter_add(em, &s), IH_ERR_FATAL);
	s = snap(NCARDS + 5, "NM", "nonfoil", "1.00"); /* valid, but not this run's card */
	CU_ASSERT_EQUAL(ih_emitter_add(em, &s), IH_ERR_FATAL);
	s = snap(0, "NM", "nonfoil", "1.00");
	s.scryfall_id = "not-a-uuid";
	CU_ASSERT_EQUAL(ih_emitter_add(em, &s), IH_ERR_FATAL);
	CU_ASSERT_EQUAL(ih_emitter_flush(em), IH_OK); /* nothing to write */
	ih_emitter_stats(em, &st);
	CU_ASSERT_EQUAL(st.rejected, 3);
	CU_ASSERT_EQUAL(st.accepted, 0);
	CU_ASSERT_EQUAL(st.failures, 0);
	ih_emitter_free(em);
	ih_pool_free(pool);
}

/* ---- batches end on a card boundary ------------------------------------------ */

static void test_card_boundary(void)
{
	static const char *const conds[] = { "NM", "LP", "MP", "HP", "DMG" };
	ih_pool *pool;
	ih_emitter *em;
	ih_emit_opts o;
	ih_snapshot s;
	ih_emit_stats st;

	if (ih_test_conninfo_or_skip("card boundary") == NULL)
		return;
	CU_ASSERT_FATAL(g_db_ok);
	pool = ih_pool_new(g_conninfo, 2, 5, 5000);
	o = opts_for(pool, NULL, ih_clock_real(), 71, now_s() + 120);
	em = ih_emitter_new(&o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(em);

	/* card 1: five rows with batch_size 3; the batch stays open past 3 */
	for (int i = 0; i < 5; i++) {
		s = snap(1, conds[i], "nonfoil", "1.00");
		CU_ASSERT_EQUAL(ih_emitter_add(em, &s), IH_OK);
	}
	ih_emitter_stats(em, &st);
	CU_ASSERT_EQUAL(st.buffered, 0); /* nothing handed to the writer yet */
	CU_ASSERT_EQUAL(rows_of(71, 1), 0);
	/* card 2's first row closes the batch: all five of card 1, none of 2 */
	s = snap(2, "NM", "nonfoil", "2.00");
	CU_ASSERT_EQUAL(ih_emitter_add(em, &s), IH_OK);
	CU_ASSERT_EQUAL(wait_written(em, 5), 5);
	CU_ASSERT_EQUAL(rows_of(71, 1), 5);
	CU_ASSERT_EQUAL(rows_of(71, 2), 0);
	/* 2, 2, 3, 3: under 3 rows the batch goes on; at 4 rows card 4 closes it */
	s = snap(2, "NM", "foil", "2.50");
	CU_ASSERT_EQUAL(ih_emitter_add(em, &s), IH_OK);
	s = snap(3, "NM", "nonfoil", "3.00");
	CU_ASSERT_EQUAL(ih_emitter_add(em, &s), IH_OK);
	s = snap(3, "LP", "nonfoil", "2.75");
	CU_ASSERT_EQUAL(ih_emitter_add(em, &s), IH_OK);
	ih_emitter_stats(em, &st);
	CU_ASSERT_EQUAL(st.written, 5);
	CU_ASSERT_EQUAL(st.buffered, 0);
	s = snap(4, "NM", "nonfoil", "4.00");
	CU_ASSERT_EQUAL(ih_emitter_add(em, &s), IH_OK);
	CU_ASSERT_EQUAL(wait_written(em, 9), 9);
	CU_ASSERT_EQUAL(rows_of(71, 2), 2);
	CU_ASSERT_EQUAL(rows_of(71, 3), 2);
	CU_ASSERT_EQUAL(rows_of(71, 4), 0);
	/* flush writes the open batch */
	CU_ASSERT_EQUAL(ih_emitter_flush(em), IH_OK);
	CU_ASSERT_EQUAL(rows_of(71, 4), 1);
	ih_emitter_stats(em, &st);
	CU_ASSERT_EQUAL(st.accepted, 10);
	CU_ASSERT_EQUAL(st.written, 10);
	CU_ASSERT_EQUAL(st.unwritten, 0);
	CU_ASSERT_EQUAL(st.failures, 0);
	CU_ASSERT_EQUAL(st.buffered, 0);
	CU_ASSERT_EQUAL(pgt_long(g_q, "SELECT count(*) FROM price_snapshots WHERE marketplace_id = 71 AND time = '" CYCLE
	                              "' AND source = 'emit_test' AND language = 'en'"),
	                10);
	ih_emitter_free(em);
	ih_pool_free(pool);
}

/* ---- the database unreachable past the give-up time --------------------------- */

static void test_unwritten_at_give_up(void)
{
	/* a closed port: every connection attempt is refused at once */
	ih_pool *pool = ih_pool_new("host=127.0.0.1 port=1 dbname=none connect_timeout=2", 1, 2, 1000);
	ih_fake_clock fc;
	ih_emit_opts o;
	ih_emitter *em;
	ih_snapshot s;
	ih_emit_stats st;
	double slept = 0;
	char err[512];

	ih_fake_clock_init(&fc, 1.8e9);
	o = opts_for(pool, NULL, &fc.clock, 72, 2.0); /* give up 2 s (fake) from now */
	em = ih_emitter_new(&o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(em);
	for (int i = 0; i < 4; i++) {
		s = snap(1, i % 2 ? "LP" : "NM", i < 2 ? "nonfoil" : "foil", "1.00");
		CU_ASSERT_EQUAL(ih_emitter_add(em, &s), IH_OK);
	}
	ih_emitter_mark_done(em, 2);
	ih_emitter_stats(em, &st);
	CU_ASSERT_EQUAL(st.unwritten, 0); /* nothing is given up before the give-up time */
	CU_ASSERT_EQUAL(ih_emitter_flush(em), IH_ERR_TRANSIENT);
	ih_emitter_stats(em, &st);
	CU_ASSERT_EQUAL(st.accepted, 4);
	CU_ASSERT_EQUAL(st.written, 0);
	CU_ASSERT_EQUAL(st.unwritten, 4);
	CU_ASSERT_EQUAL(st.marked, 0);
	CU_ASSERT_EQUAL(st.buffered, 0);
	CU_ASSERT(st.failures >= 2); /* retried, not dropped at the first failure */
	/* the writer waited between attempts exactly up to the give-up time */
	CU_ASSERT(ih_fake_clock_slept(&fc, &slept) >= 1);
	CU_ASSERT_DOUBLE_EQUAL(slept, 2.0, 1e-9);
	ih_emitter_error(em, err, sizeof err);
	if (strstr(err, "127.0.0.1") == NULL && strstr(err, "refused") == NULL)
		printf("\n  the last write error: %s\n", err);
	CU_ASSERT(err[0] != '\0');
	/* after giving up, a new row is refused as transient and counted */
	s = snap(3, "NM", "nonfoil", "1.00");
	CU_ASSERT_EQUAL(ih_emitter_add(em, &s), IH_ERR_TRANSIENT);
	ih_emitter_stats(em, &st);
	CU_ASSERT_EQUAL(st.unwritten, 5);
	ih_emitter_free(em);
	ih_pool_free(pool);
	ih_fake_clock_destroy(&fc);
}

/* ---- cards marked in Redis only after the commit -------------------------------- */

static redisContext *redis_at(int port)
{
	redisContext *r = redisConnect("127.0.0.1", port);
	redisReply *rep;

	if (r == NULL || r->err)
		return r;
	rep = redisCommand(r, "SELECT %d", REDIS_DB);
	freeReplyObject(rep);
	return r;
}

static long long redis_int(redisContext *r, const char *fmt, int mkt, int card)
{
	redisReply *rep = redisCommand(r, fmt, mkt, card);
	long long v = -1;

	if (rep != NULL && rep->type == REDIS_REPLY_INTEGER)
		v = rep->integer;
	freeReplyObject(rep);
	return v;
}

static int marked(redisContext *r, int mkt, int card)
{
	return redis_int(r, "EXISTS snapshot:last:%d:%d", mkt, card) == 1;
}

typedef struct flusher {
	ih_emitter *em;
	int rc;
	atomic_int done;
} flusher;

static void *flush_main(void *arg)
{
	flusher *f = arg;

	f->rc = ih_emitter_flush(f->em);
	atomic_store(&f->done, 1);
	return NULL;
}

/* Wait (bounded) until a backend of our database waits for a lock. */
static int wait_lock_waiter(void)
{
	double until = now_s() + WAIT_S;

	while (now_s() < until) {
		if (pgt_long(g_q, "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
		                  "WHERE NOT l.granted AND a.datname = current_database()") > 0)
			return 1;
		nap();
	}
	return 0;
}

static void test_marked_after_commit(void)
{
	const int mkt = 73;
	int port = ih_test_redis_port_or_skip("marked after commit");
	ih_cache *cache;
	ih_pool *pool;
	ih_emit_opts o;
	ih_emitter *em;
	ih_snapshot s;
	ih_emit_stats st;
	redisContext *r;
	flusher f;
	pthread_t t;

	if (port == 0 || ih_test_conninfo_or_skip("marked after commit") == NULL)
		return;
	CU_ASSERT_FATAL(g_db_ok);
	r = redis_at(port);
	CU_ASSERT_FATAL(r != NULL && !r->err);
	for (int c = 1; c <= NCARDS; c++)
		redis_int(r, "DEL snapshot:last:%d:%d", mkt, c);
	cache = test_cache(port);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cache);
	pool = ih_pool_new(g_conninfo, 2, 5, 5000);
	o = opts_for(pool, cache, ih_clock_real(), mkt, now_s() + 120);
	em = ih_emitter_new(&o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(em);

	/* hold the table so the writer's insert waits before its commit */
	CU_ASSERT_EQUAL_FATAL(pgt_exec(g_q, "BEGIN; LOCK TABLE price_snapshots IN SHARE ROW EXCLUSIVE MODE"), 0);
	s = snap(5, "NM", "nonfoil", "5.00");
	CU_ASSERT_EQUAL(ih_emitter_add(em, &s), IH_OK);
	s = snap(5, "NM", "foil", "6.00");
	CU_ASSERT_EQUAL(ih_emitter_add(em, &s), IH_OK);
	ih_emitter_mark_done(em, 6); /* no price for card 6: marked with the batch */
	f.em = em;
	f.rc = -1;
	atomic_init(&f.done, 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, flush_main, &f), 0);
	CU_ASSERT(wait_lock_waiter());
	/* the write is under way but not committed: nothing marked */
	CU_ASSERT_FALSE(atomic_load(&f.done));
	CU_ASSERT_FALSE(marked(r, mkt, 5));
	CU_ASSERT_FALSE(marked(r, mkt, 6));
	ih_emitter_stats(em, &st);
	CU_ASSERT_EQUAL(st.written, 0);
	CU_ASSERT_EQUAL(st.marked, 0);
	/* let it commit */
	CU_ASSERT_EQUAL(pgt_exec(g_q, "ROLLBACK"), 0);
	pthread_join(t, NULL);
	CU_ASSERT_EQUAL(f.rc, IH_OK);
	CU_ASSERT_EQUAL(rows_of(mkt, 5), 2);
	CU_ASSERT(marked(r, mkt, 5));
	CU_ASSERT(marked(r, mkt, 6));
	CU_ASSERT_FALSE(marked(r, mkt, 7));
	CU_ASSERT(redis_int(r, "TTL snapshot:last:%d:%d", mkt, 5) > 0);
	ih_emitter_stats(em, &st);
	CU_ASSERT_EQUAL(st.written, 2);
	CU_ASSERT_EQUAL(st.marked, 2);

	ih_emitter_free(em);
	ih_pool_free(pool);
	for (int c = 1; c <= NCARDS; c++)
		redis_int(r, "DEL snapshot:last:%d:%d", mkt, c);
	redisFree(r);
	ih_cache_free(cache);
}

/* The cache is told about cards of a batch that was given up: never. */
static void test_given_up_not_marked(void)
{
	const int mkt = 73;
	int port = ih_test_redis_port_or_skip("given up, not marked");
	ih_pool *pool;
	ih_cache *cache;
	ih_emit_opts o;
	ih_emitter *em;
	ih_snapshot s;
	ih_emit_stats st;
	redisContext *r;

	if (port == 0)
		return;
	r = redis_at(port);
	CU_ASSERT_FATAL(r != NULL && !r->err);
	cache = test_cache(port);
	pool = ih_pool_new("host=127.0.0.1 port=1 dbname=none connect_timeout=2", 1, 2, 1000);
	o = opts_for(pool, cache, ih_clock_real(), mkt, now_s() - 1); /* the give-up time has passed */
	em = ih_emitter_new(&o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(em);
	s = snap(7, "NM", "nonfoil", "7.00");
	CU_ASSERT_EQUAL(ih_emitter_add(em, &s), IH_OK);
	ih_emitter_mark_done(em, 8);
	CU_ASSERT_EQUAL(ih_emitter_flush(em), IH_ERR_TRANSIENT);
	ih_emitter_stats(em, &st);
	CU_ASSERT_EQUAL(st.unwritten, 1);
	CU_ASSERT_EQUAL(st.failures, 1); /* one attempt: no retry past the give-up time */
	CU_ASSERT_EQUAL(st.marked, 0);
	CU_ASSERT_FALSE(marked(r, mkt, 7));
	CU_ASSERT_FALSE(marked(r, mkt, 8));
	ih_emitter_free(em);
	ih_pool_free(pool);
	ih_cache_free(cache);
	redisFree(r);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{ "validation rejects each field", test_validate },
		{ "add: rejects counted, a card outside the list refused", test_add_rejects },
		{ "batches end on a card boundary (batch_size 3, a card of 5 rows)", test_card_boundary },
		{ "database unreachable: unwritten only at the give-up time", test_unwritten_at_give_up },
		{ "cards marked in Redis only after the commit", test_marked_after_commit },
		{ "a given-up batch marks nothing", test_given_up_not_marked },
		CU_TEST_INFO_NULL,
	};
	static CU_SuiteInfo suites[] = {
		{ "emit", init_db, fini_db, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};

	return ih_test_main(suites);
}
