# Tests: one CUnit binary per module, fixture plugins, the marketplace
# simulator.  Test binaries link the core library directly.
if ENABLE_TESTS
IH_TEST_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/tests $(CUNIT_CFLAGS) $(MHD_CFLAGS) $(core_libihcore_la_CFLAGS) \
	-DIH_TOP_SRCDIR='"$(abs_top_srcdir)"' -DIH_TOP_BUILDDIR='"$(abs_top_builddir)"'
IH_TEST_LIBS = core/libihcore.la $(CUNIT_LIBS) $(MHD_LIBS)
endif
EXTRA_DIST += tests/testutil.h tests/fixtures.h tests/servers.sh
TEST_EXTENSIONS = .sh
AM_TESTS_ENVIRONMENT = export IH_TOP_SRCDIR='$(abs_top_srcdir)' IH_TOP_BUILDDIR='$(abs_top_builddir)';

# Fixture plugins: one per ABI and loading failure case (tests/plugins/).
if ENABLE_TESTS
check_LTLIBRARIES += tests/plugins/good.la tests/plugins/good_dup.la tests/plugins/major_mismatch.la tests/plugins/newer_minor.la tests/plugins/older_minor.la tests/plugins/short_size.la tests/plugins/bad_magic.la tests/plugins/no_symbol.la tests/plugins/ctor_segv.la tests/plugins/ctor_exit.la tests/plugins/unresolved.la tests/plugins/own_keys.la
tests_plugins_good_la_SOURCES = tests/plugins/good.c tests/plugins/fixture.h
tests_plugins_good_la_LDFLAGS = $(IH_FIXTURE_FLAGS)
tests_plugins_good_dup_la_SOURCES = tests/plugins/good_dup.c tests/plugins/fixture.h
tests_plugins_good_dup_la_LDFLAGS = $(IH_FIXTURE_FLAGS)
tests_plugins_major_mismatch_la_SOURCES = tests/plugins/major_mismatch.c tests/plugins/fixture.h
tests_plugins_major_mismatch_la_LDFLAGS = $(IH_FIXTURE_FLAGS)
tests_plugins_newer_minor_la_SOURCES = tests/plugins/newer_minor.c tests/plugins/fixture.h
tests_plugins_newer_minor_la_LDFLAGS = $(IH_FIXTURE_FLAGS)
tests_plugins_older_minor_la_SOURCES = tests/plugins/older_minor.c tests/plugins/fixture.h
tests_plugins_older_minor_la_LDFLAGS = $(IH_FIXTURE_FLAGS)
tests_plugins_short_size_la_SOURCES = tests/plugins/short_size.c tests/plugins/fixture.h
tests_plugins_short_size_la_LDFLAGS = $(IH_FIXTURE_FLAGS)
tests_plugins_bad_magic_la_SOURCES = tests/plugins/bad_magic.c tests/plugins/fixture.h
tests_plugins_bad_magic_la_LDFLAGS = $(IH_FIXTURE_FLAGS)
tests_plugins_no_symbol_la_SOURCES = tests/plugins/no_symbol.c tests/plugins/fixture.h
tests_plugins_no_symbol_la_LDFLAGS = $(IH_FIXTURE_FLAGS)
tests_plugins_ctor_segv_la_SOURCES = tests/plugins/ctor_segv.c tests/plugins/fixture.h
tests_plugins_ctor_segv_la_LDFLAGS = $(IH_FIXTURE_FLAGS)
tests_plugins_ctor_exit_la_SOURCES = tests/plugins/ctor_exit.c tests/plugins/fixture.h
tests_plugins_ctor_exit_la_LDFLAGS = $(IH_FIXTURE_FLAGS)
tests_plugins_unresolved_la_SOURCES = tests/plugins/unresolved.c tests/plugins/fixture.h
tests_plugins_unresolved_la_LDFLAGS = $(IH_FIXTURE_FLAGS)
tests_plugins_own_keys_la_SOURCES = tests/plugins/own_keys.c tests/plugins/fixture.h
tests_plugins_own_keys_la_LDFLAGS = $(IH_FIXTURE_FLAGS)

check_PROGRAMS += tests/config_test tests/loader_test tests/cli_test
TESTS += tests/config_test tests/loader_test tests/cli_test tests/out_of_tree.sh
tests_config_test_SOURCES = tests/config_test.c tests/testutil.h
tests_config_test_CFLAGS = $(IH_TEST_CFLAGS)
tests_config_test_LDADD = $(IH_TEST_LIBS)
tests_loader_test_SOURCES = tests/loader_test.c tests/testutil.h
tests_loader_test_CFLAGS = $(IH_TEST_CFLAGS)
tests_loader_test_LDADD = $(IH_TEST_LIBS)
tests_cli_test_SOURCES = tests/cli_test.c tests/testutil.h
tests_cli_test_CFLAGS = $(IH_TEST_CFLAGS)
tests_cli_test_LDADD = $(IH_TEST_LIBS) $(JSONC_LIBS)
endif
EXTRA_DIST += tests/plugins/not_elf.txt tests/out_of_tree.sh

# Pipeline fixtures: one source, one plugin per name.
if ENABLE_TESTS
check_LTLIBRARIES += tests/plugins/fx_ok.la tests/plugins/fx_auth.la tests/plugins/fx_rl.la tests/plugins/fx_late.la tests/plugins/fx_extra.la \
	tests/plugins/fx_block.la tests/plugins/fx_multi.la
tests_plugins_fx_ok_la_SOURCES = tests/plugins/pipeline.c
tests_plugins_fx_ok_la_CPPFLAGS = $(AM_CPPFLAGS) -DFIXTURE_NAME='"fx_ok"'
tests_plugins_fx_ok_la_LDFLAGS = $(IH_FIXTURE_FLAGS)
tests_plugins_fx_auth_la_SOURCES = tests/plugins/pipeline.c
tests_plugins_fx_auth_la_CPPFLAGS = $(AM_CPPFLAGS) -DFIXTURE_NAME='"fx_auth"'
tests_plugins_fx_auth_la_LDFLAGS = $(IH_FIXTURE_FLAGS)
tests_plugins_fx_rl_la_SOURCES = tests/plugins/pipeline.c
tests_plugins_fx_rl_la_CPPFLAGS = $(AM_CPPFLAGS) -DFIXTURE_NAME='"fx_rl"'
tests_plugins_fx_rl_la_LDFLAGS = $(IH_FIXTURE_FLAGS)
tests_plugins_fx_late_la_SOURCES = tests/plugins/pipeline.c
tests_plugins_fx_late_la_CPPFLAGS = $(AM_CPPFLAGS) -DFIXTURE_NAME='"fx_late"'
tests_plugins_fx_late_la_LDFLAGS = $(IH_FIXTURE_FLAGS)
tests_plugins_fx_extra_la_SOURCES = tests/plugins/pipeline.c
tests_plugins_fx_extra_la_CPPFLAGS = $(AM_CPPFLAGS) -DFIXTURE_NAME='"fx_extra"'
tests_plugins_fx_extra_la_LDFLAGS = $(IH_FIXTURE_FLAGS)
tests_plugins_fx_block_la_SOURCES = tests/plugins/pipeline.c
tests_plugins_fx_block_la_CPPFLAGS = $(AM_CPPFLAGS) -DFIXTURE_NAME='"fx_block"'
tests_plugins_fx_block_la_LDFLAGS = $(IH_FIXTURE_FLAGS)
tests_plugins_fx_multi_la_SOURCES = tests/plugins/pipeline.c
tests_plugins_fx_multi_la_CPPFLAGS = $(AM_CPPFLAGS) -DFIXTURE_NAME='"fx_multi"'
tests_plugins_fx_multi_la_LDFLAGS = $(IH_FIXTURE_FLAGS)
check_PROGRAMS += tests/dispatch_test
TESTS += tests/dispatch_test
tests_dispatch_test_SOURCES = tests/dispatch_test.c tests/fakeclock.h tests/responder.c tests/responder.h tests/testutil.h tests/fixtures.h
tests_dispatch_test_CFLAGS = $(IH_TEST_CFLAGS)
tests_dispatch_test_LDADD = $(IH_TEST_LIBS)
endif

# The shipped plugins against the simulator, through the real host.
if ENABLE_TESTS
check_PROGRAMS += tests/market_test
TESTS += tests/market_test
tests_market_test_SOURCES = tests/market_test.c tests/testutil.h
tests_market_test_CFLAGS = $(IH_TEST_CFLAGS)
tests_market_test_LDADD = $(IH_TEST_LIBS) tests/mockmarket/libmockuniverse.la $(LIBCURL_LIBS) $(HIREDIS_LIBS) $(LIBPQ_LIBS)
# it runs the simulator and the plugins built by `make` (through a variable:
# naming a .log target directly would replace automake's own rule)
IH_MARKET_TEST_LOG = tests/market_test.log
$(IH_MARKET_TEST_LOG): tests/mockmarket/ingest-mockmarket$(EXEEXT) $(plugin_LTLIBRARIES)
endif

# A TCP forwarder whose connections can be made silent (SIGUSR1), for the
# tests of bounded database calls (pool_test); servers.sh proxy-start runs it.
if ENABLE_TESTS
check_PROGRAMS += tests/ih-silentproxy
tests_ih_silentproxy_SOURCES = tests/silentproxy.c
tests_ih_silentproxy_CFLAGS = $(AM_CFLAGS)
endif

# ---- fault tests (#11 item 8): tests/fault_test.sh --------------------------
# The real ingesthost through a PostgreSQL stop, silent connections, a Redis
# restart, SIGHUP/SIGTERM and an outage past the deadline, on servers of its
# own (it stops and starts them).  About 80 s.
EXTRA_DIST += tests/fault_test.sh
if ENABLE_TESTS
TESTS += tests/fault_test.sh
IH_FAULT_TEST_LOG = tests/fault_test.log
$(IH_FAULT_TEST_LOG): ingesthost$(EXEEXT) tests/mockmarket/ingest-mockmarket$(EXEEXT) tests/ih-silentproxy$(EXEEXT) \
	$(plugin_LTLIBRARIES)
endif

# ---- plugin ABI 1.2 (#12 item 4): tests/abi_test --------------------------
# 1.0 and 1.1 descriptors still load; IH_PLUGIN_EXPORT under
# -fvisibility=hidden; the checks never read past a descriptor's size.
if ENABLE_TESTS
check_LTLIBRARIES += tests/plugins/abi_1_1.la tests/plugins/hidden_export.la tests/plugins/hidden_noexport.la
tests_plugins_abi_1_1_la_SOURCES = tests/plugins/abi_1_1.c tests/plugins/fixture.h
tests_plugins_abi_1_1_la_LDFLAGS = $(IH_FIXTURE_FLAGS)
tests_plugins_hidden_export_la_SOURCES = tests/plugins/hidden_export.c tests/plugins/fixture.h
tests_plugins_hidden_export_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
tests_plugins_hidden_export_la_LDFLAGS = $(IH_FIXTURE_FLAGS)
tests_plugins_hidden_noexport_la_SOURCES = tests/plugins/hidden_noexport.c tests/plugins/fixture.h
tests_plugins_hidden_noexport_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
tests_plugins_hidden_noexport_la_LDFLAGS = $(IH_FIXTURE_FLAGS)
check_PROGRAMS += tests/abi_test
TESTS += tests/abi_test
tests_abi_test_SOURCES = tests/abi_test.c tests/testutil.h tests/fixtures.h
tests_abi_test_CFLAGS = $(IH_TEST_CFLAGS)
tests_abi_test_LDADD = $(IH_TEST_LIBS)
endif

# ---- #12 item 3: tests that cannot pass by skipping ------------------------
# skip_is_failure.sh: a test binary without its server exits 77 (SKIP, never
# PASS) and scripts/check's SKIP gate fails on it.
EXTRA_DIST += tests/skip_is_failure.sh
if ENABLE_TESTS
TESTS += tests/skip_is_failure.sh
endif
# Excerpts of real captures for plugins_parse_test (tests/data/SOURCES.md);
# plugins/local.mk ships tests/data whole, these are named for the record.
EXTRA_DIST += tests/data/SOURCES.md tests/data/scryfall/collection_not_found_2026.json \
	tests/data/scryfall/search_page1.json tests/data/cardtrader/products_bp1_2022.json \
	tests/data/cardtrader/blueprints_gnt_2022.json tests/data/cardtrader/blueprints_neo_2026.json
# ctor_hang: a constructor that never returns, for loader_test's hang case
# (it waits on the probe honouring its 10 s bound: plugin_probe.c reads after
# a poll() that timed out, so today a hung constructor hangs the listing).
if ENABLE_TESTS
check_LTLIBRARIES += tests/plugins/ctor_hang.la
tests_plugins_ctor_hang_la_SOURCES = tests/plugins/ctor_hang.c tests/plugins/fixture.h
tests_plugins_ctor_hang_la_LDFLAGS = $(IH_FIXTURE_FLAGS)
endif
# emit_test: core/host/emit.c on its own against PostgreSQL and Redis.
if ENABLE_TESTS
check_PROGRAMS += tests/emit_test
TESTS += tests/emit_test
tests_emit_test_SOURCES = tests/emit_test.c tests/pgtest.h tests/testutil.h
tests_emit_test_CFLAGS = $(IH_TEST_CFLAGS)
tests_emit_test_LDADD = $(IH_TEST_LIBS) $(HIREDIS_LIBS) $(LIBPQ_LIBS)
endif
# ---- end of the #12 item 3 block

# ---- the fake host is the author's kit (#12 items 3 and 5) -----------------
# tests/fakehost.c calls the host's loader, snapshot validator and HTTP
# classifier, so the plugin tests link the core library.
if ENABLE_TESTS
tests_plugins_collect_test_LDADD += core/libihcore.la
endif

# ---- the parser tests' sink checks rows with the host's validator (#12) ----
if ENABLE_TESTS
tests_plugins_parse_test_LDADD += core/libihcore.la
endif

# ---- process isolation (#13): tests/isolation_test --------------------------
# Fixture plugins that fault inside collect (tests/plugins/crash.c, one per
# kind of fault) beside fx_ok, each run in a worker process; the host
# survives them, keeps their rows, quarantines a plugin that keeps crashing.
EXTRA_DIST += tests/plugins/crash.c tests/plugins/segv_sim.c tests/isolation_test.c
if ENABLE_TESTS
check_LTLIBRARIES += tests/plugins/fx_segv.la tests/plugins/fx_abort.la tests/plugins/fx_exit.la tests/plugins/fx_spin.la \
	tests/plugins/fx_hog.la tests/plugins/fx_garble.la tests/plugins/fx_freeze.la
tests_plugins_fx_segv_la_SOURCES = tests/plugins/crash.c
tests_plugins_fx_segv_la_CPPFLAGS = $(AM_CPPFLAGS) -DFIXTURE_NAME='"fx_segv"' -DCRASH_KIND=CRASH_SEGV
tests_plugins_fx_segv_la_LDFLAGS = $(IH_FIXTURE_FLAGS)
tests_plugins_fx_abort_la_SOURCES = tests/plugins/crash.c
tests_plugins_fx_abort_la_CPPFLAGS = $(AM_CPPFLAGS) -DFIXTURE_NAME='"fx_abort"' -DCRASH_KIND=CRASH_ABORT
tests_plugins_fx_abort_la_LDFLAGS = $(IH_FIXTURE_FLAGS)
tests_plugins_fx_exit_la_SOURCES = tests/plugins/crash.c
tests_plugins_fx_exit_la_CPPFLAGS = $(AM_CPPFLAGS) -DFIXTURE_NAME='"fx_exit"' -DCRASH_KIND=CRASH_EXIT
tests_plugins_fx_exit_la_LDFLAGS = $(IH_FIXTURE_FLAGS)
tests_plugins_fx_spin_la_SOURCES = tests/plugins/crash.c
tests_plugins_fx_spin_la_CPPFLAGS = $(AM_CPPFLAGS) -DFIXTURE_NAME='"fx_spin"' -DCRASH_KIND=CRASH_SPIN
tests_plugins_fx_spin_la_LDFLAGS = $(IH_FIXTURE_FLAGS)
tests_plugins_fx_hog_la_SOURCES = tests/plugins/crash.c
tests_plugins_fx_hog_la_CPPFLAGS = $(AM_CPPFLAGS) -DFIXTURE_NAME='"fx_hog"' -DCRASH_KIND=CRASH_HOG
tests_plugins_fx_hog_la_LDFLAGS = $(IH_FIXTURE_FLAGS)
tests_plugins_fx_garble_la_SOURCES = tests/plugins/crash.c
tests_plugins_fx_garble_la_CPPFLAGS = $(AM_CPPFLAGS) -DFIXTURE_NAME='"fx_garble"' -DCRASH_KIND=CRASH_GARBLE
tests_plugins_fx_garble_la_LDFLAGS = $(IH_FIXTURE_FLAGS)
tests_plugins_fx_freeze_la_SOURCES = tests/plugins/crash.c
tests_plugins_fx_freeze_la_CPPFLAGS = $(AM_CPPFLAGS) -DFIXTURE_NAME='"fx_freeze"' -DCRASH_KIND=CRASH_FREEZE
tests_plugins_fx_freeze_la_LDFLAGS = $(IH_FIXTURE_FLAGS)
# segv_sim: prices cards without a marketplace, then segfaults (market_test
# runs it beside the four real plugins)
check_LTLIBRARIES += tests/plugins/segv_sim.la
tests_plugins_segv_sim_la_SOURCES = tests/plugins/segv_sim.c
tests_plugins_segv_sim_la_LDFLAGS = $(IH_FIXTURE_FLAGS)
check_PROGRAMS += tests/isolation_test
TESTS += tests/isolation_test
tests_isolation_test_SOURCES = tests/isolation_test.c tests/responder.c tests/responder.h tests/pgtest.h tests/testutil.h \
	tests/fixtures.h
tests_isolation_test_CFLAGS = $(IH_TEST_CFLAGS)
tests_isolation_test_LDADD = $(IH_TEST_LIBS) $(HIREDIS_LIBS) $(LIBPQ_LIBS)
endif
