# core/store: schema migrations (embedded from sql/), the libpq pool and its
# bounded calls, bulk reads and writes, the identity map, the run log and the
# Redis SnapshotCache.  Depends on core/base.
IH_SQL_MIGRATIONS = sql/001_schema.sql sql/002_runs.sql

core_libihcore_la_SOURCES += \
	core/store/migrate.c core/store/migrate.h \
	core/store/pgexec.c core/store/pgexec.h core/store/pgexec_int.h core/store/pgsession.c \
	core/store/pool.c core/store/pool.h \
	core/store/bulk.h core/store/bulk_int.h core/store/bulk_copy.c core/store/bulk_snap.c \
	core/store/bulk_cards.c \
	core/store/identity.c core/store/identity.h \
	core/store/runlog.c core/store/runlog.h \
	core/store/cache.c core/store/cache.h
nodist_core_libihcore_la_SOURCES = core/store/sql_embedded.c

core/store/sql_embedded.c: $(IH_SQL_MIGRATIONS) $(srcdir)/scripts/embed-sql.sh
	$(AM_V_GEN)$(MKDIR_P) core/store && \
	$(SHELL) $(srcdir)/scripts/embed-sql.sh $(addprefix $(srcdir)/,$(IH_SQL_MIGRATIONS)) > $@.tmp && mv $@.tmp $@
CLEANFILES += core/store/sql_embedded.c core/store/sql_embedded.c.tmp
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
