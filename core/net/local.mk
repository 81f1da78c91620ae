# core/net: the HTTP client plugins and the import use: single requests
# (http.c), the streaming GET (http_stream.c), the URL policy (http_url.c),
# rate limit, backoff.  Depends on core/base.
core_libihcore_la_SOURCES += \
	core/net/backoff.c core/net/backoff.h \
	core/net/ratelimit.c core/net/ratelimit.h \
	core/net/http_url.c core/net/http_url.h \
	core/net/http_int.h core/net/http.c core/net/http.h core/net/http_stream.c

if ENABLE_TESTS
check_PROGRAMS += tests/http_test
TESTS += tests/http_test
tests_http_test_SOURCES = tests/http_test.c tests/http_guard_test.c tests/http_fixture.h \
	tests/http_units.c tests/http_units.h \
	tests/http_responder.c tests/http_responder.h
tests_http_test_CFLAGS = $(IH_TEST_CFLAGS)
tests_http_test_LDADD = $(IH_TEST_LIBS) $(ZLIB_LIBS) $(LIBCURL_LIBS)
endif
