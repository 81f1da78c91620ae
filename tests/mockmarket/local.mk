# The marketplace simulator (tests, demo, benchmarks) and its universe.
if ENABLE_TESTS
noinst_LTLIBRARIES += tests/mockmarket/libmockuniverse.la
tests_mockmarket_libmockuniverse_la_SOURCES = tests/mockmarket/universe.c tests/mockmarket/universe.h \
	tests/mockmarket/expected.c tests/mockmarket/expected.h

noinst_PROGRAMS += tests/mockmarket/ingest-mockmarket
tests_mockmarket_ingest_mockmarket_SOURCES = tests/mockmarket/main.c tests/mockmarket/server.c \
	tests/mockmarket/server.h tests/mockmarket/routes.c tests/mockmarket/mockmarket.h
tests_mockmarket_ingest_mockmarket_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS) $(JSONC_CFLAGS) $(LIBPQ_CFLAGS) $(ZLIB_CFLAGS)
tests_mockmarket_ingest_mockmarket_LDADD = tests/mockmarket/libmockuniverse.la $(MHD_LIBS) $(JSONC_LIBS) \
	$(LIBPQ_LIBS) $(ZLIB_LIBS)
endif
EXTRA_DIST += tests/mockmarket/README.md
