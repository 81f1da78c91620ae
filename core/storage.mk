# Storage core: schema migrations (embedded from sql/), the libpq pool,
# bulk reads and writes, the Redis SnapshotCache, and `--migrate`.
IH_SQL_MIGRATIONS = sql/001_schema.sql sql/002_runs.sql

core_libihcore_la_SOURCES += \
	core/migrate.c core/migrate.h \
	core/pool.c core/pool.h \
	core/pgexec.c core/pgexec.h \
	core/bulk.h core/bulk_int.h core/bulk_copy.c core/bulk_snap.c core/bulk_cards.c \
	core/cache.c core/cache.h \
	core/cmd_migrate.c core/cmd_migrate.h
nodist_core_libihcore_la_SOURCES = core/sql_embedded.c

core/sql_embedded.c: $(IH_SQL_MIGRATIONS) $(srcdir)/scripts/embed-sql.sh
	$(AM_V_GEN)$(MKDIR_P) core && \
	$(SHELL) $(srcdir)/scripts/embed-sql.sh $(addprefix $(srcdir)/,$(IH_SQL_MIGRATIONS)) > $@.tmp && mv $@.tmp $@
CLEANFILES += core/sql_embedded.c core/sql_embedded.c.tmp
EXTRA_DIST += scripts/embed-sql.sh $(IH_SQL_MIGRATIONS)

if ENABLE_TESTS
check_PROGRAMS += tests/storage_test tests/pool_test tests/cache_test
TESTS += tests/storage_test tests/pool_test tests/cache_test
tests_storage_test_SOURCES = tests/storage_test.c tests/pgtest.h tests/testutil.h
tests_storage_test_CFLAGS = $(IH_TEST_CFLAGS)
tests_storage_test_LDADD = $(IH_TEST_LIBS)
tests_pool_test_SOURCES = tests/pool_test.c tests/pgtest.h tests/testutil.h
tests_pool_test_CFLAGS = $(IH_TEST_CFLAGS)
tests_pool_test_LDADD = $(IH_TEST_LIBS)
tests_cache_test_SOURCES = tests/cache_test.c tests/testutil.h
tests_cache_test_CFLAGS = $(IH_TEST_CFLAGS)
tests_cache_test_LDADD = $(IH_TEST_LIBS)
endif

if ENABLE_TESTS
# pool_test restarts PostgreSQL and cache_test stops Redis, on the servers
# the whole suite shares: run them after every other test, one at a time.
# (targets through variables, so automake keeps its own rules for them)
IH_POOL_TEST_LOG = tests/pool_test.log
IH_CACHE_TEST_LOG = tests/cache_test.log
$(IH_POOL_TEST_LOG): $(filter-out $(IH_POOL_TEST_LOG) $(IH_CACHE_TEST_LOG),$(TEST_LOGS))
$(IH_CACHE_TEST_LOG): $(IH_POOL_TEST_LOG)
endif
