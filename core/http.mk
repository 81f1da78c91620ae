# The HTTP service for plugins: injectable clock, backoff, rate limit, client.
core_libihcore_la_SOURCES += \
	core/clock.c core/clock.h \
	core/backoff.c core/backoff.h \
	core/ratelimit.c core/ratelimit.h \
	core/http_url.c core/http_url.h \
	core/http.c core/http.h

if ENABLE_TESTS
check_PROGRAMS += tests/http_test
TESTS += tests/http_test
tests_http_test_SOURCES = tests/http_test.c tests/http_guard_test.c tests/http_fixture.h \
	tests/http_units.c tests/http_units.h \
	tests/http_responder.c tests/http_responder.h
tests_http_test_CFLAGS = $(IH_TEST_CFLAGS)
tests_http_test_LDADD = $(IH_TEST_LIBS) $(ZLIB_LIBS) $(LIBCURL_LIBS)
endif
