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
