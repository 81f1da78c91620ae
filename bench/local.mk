# bench: `make bench-writes` (snapshot write methods, freshness lookup).
# Built with the rest so it keeps compiling; run only on demand.
noinst_PROGRAMS += bench/writes
bench_writes_SOURCES = bench/writes.c
bench_writes_CFLAGS = $(core_libihcore_la_CFLAGS)
bench_writes_LDADD = core/libihcore.la
EXTRA_DIST += bench/writes.sh

.PHONY: bench-writes
bench-writes: bench/writes$(EXEEXT)
	$(SHELL) $(srcdir)/bench/writes.sh $(abs_top_builddir)/bench/writes$(EXEEXT) $(BENCH_ARGS)

# bench/pipeline: `make bench` -- the old pipeline against the new one, then
# bench/isolation.sh (below).
if ENABLE_TESTS
noinst_PROGRAMS += bench/oldpipe
bench_oldpipe_SOURCES = bench/oldpipe.c \
	plugins/common/ihp.c plugins/scryfall/scryfall_parse.c plugins/cardtrader/cardtrader_parse.c \
	plugins/tcgplayer/tcgplayer_parse.c plugins/manapool/manapool_parse.c
bench_oldpipe_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins -I$(top_srcdir)/plugins/common
bench_oldpipe_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(LIBPQ_CFLAGS) $(LIBCURL_CFLAGS)
bench_oldpipe_LDADD = $(JSONC_LIBS) $(LIBPQ_LIBS) $(LIBCURL_LIBS)
endif
EXTRA_DIST += bench/pipeline.sh

.PHONY: bench
bench: bench/oldpipe$(EXEEXT) ingesthost$(EXEEXT) tests/mockmarket/ingest-mockmarket$(EXEEXT) $(plugin_LTLIBRARIES)
	$(SHELL) $(srcdir)/bench/pipeline.sh $(abs_top_builddir) $(abs_top_srcdir) $(BENCH_ARGS)
	bash $(srcdir)/bench/isolation.sh $(abs_top_builddir) $(abs_top_srcdir)

# bench/isolation: `make bench-isolation` (also the end of `make bench`) --
# plugins.<name>.isolation "thread" against "process", 5,000 cards; writes
# bench/isolation-results.md (ISO_CARDS, ISO_RUNS, ... see bench/isolation.sh).
EXTRA_DIST += bench/isolation.sh bench/isolation-results.md
.PHONY: bench-isolation
bench-isolation: ingesthost$(EXEEXT) tests/mockmarket/ingest-mockmarket$(EXEEXT) $(plugin_LTLIBRARIES)
	bash $(srcdir)/bench/isolation.sh $(abs_top_builddir) $(abs_top_srcdir)

# bench/soak: `make soak` -- the daemon ~10 minutes under simulator chaos and
# server restarts (SOAK_SECONDS, SOAK_CARDS, ... see bench/soak.sh).
EXTRA_DIST += bench/soak.sh bench/soak-results.md
.PHONY: soak
soak: ingesthost$(EXEEXT) tests/mockmarket/ingest-mockmarket$(EXEEXT) $(plugin_LTLIBRARIES)
	bash $(srcdir)/bench/soak.sh $(abs_top_builddir) $(abs_top_srcdir)
