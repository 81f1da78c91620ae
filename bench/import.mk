# bench: `make bench-import` (issue #6): import speed and memory against the
# two limits an import cannot beat, parsing alone and a plain COPY.
noinst_PROGRAMS += bench/import
bench_import_SOURCES = bench/import.c
bench_import_CFLAGS = $(core_libihcore_la_CFLAGS) -DIH_BENCH_TEMPLATE='"$(abs_top_srcdir)/bench/import_card_template.json"'
bench_import_LDADD = core/libihcore.la
EXTRA_DIST += bench/import.sh bench/import_card_template.json bench/import-results.md

.PHONY: bench-import
bench-import: bench/import$(EXEEXT) ingesthost$(EXEEXT)
	$(SHELL) $(srcdir)/bench/import.sh $(abs_top_builddir) $(BENCH_ARGS)
