# plugins: the four bundled marketplace adapters, each a dlopen()ed module
# built only against include/ingesthost/plugin.h and json-c.  plugins/common
# is compiled into each of them (no shared helper library), and each exports
# nothing but its descriptor.
IH_PLUGIN_CPPFLAGS = -I$(top_srcdir)/include -I$(top_srcdir)/plugins/common
IH_PLUGIN_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
IH_PLUGIN_LDFLAGS = $(IH_MODULE_FLAGS) -export-symbols-regex '^ingesthost_plugin$$'
IH_PLUGIN_COMMON = plugins/common/ihp.c plugins/common/ihp.h \
	plugins/common/ihp_host.c plugins/common/ihp_host.h

plugin_LTLIBRARIES += plugins/scryfall/scryfall.la
plugins_scryfall_scryfall_la_SOURCES = plugins/scryfall/scryfall.c \
	plugins/scryfall/scryfall_parse.c plugins/scryfall/scryfall_parse.h $(IH_PLUGIN_COMMON)
plugins_scryfall_scryfall_la_CPPFLAGS = $(IH_PLUGIN_CPPFLAGS)
plugins_scryfall_scryfall_la_CFLAGS = $(IH_PLUGIN_CFLAGS)
plugins_scryfall_scryfall_la_LDFLAGS = $(IH_PLUGIN_LDFLAGS)
plugins_scryfall_scryfall_la_LIBADD = $(JSONC_LIBS)

plugin_LTLIBRARIES += plugins/cardtrader/cardtrader.la
plugins_cardtrader_cardtrader_la_SOURCES = plugins/cardtrader/cardtrader.c \
	plugins/cardtrader/cardtrader_parse.c plugins/cardtrader/cardtrader_parse.h $(IH_PLUGIN_COMMON)
plugins_cardtrader_cardtrader_la_CPPFLAGS = $(IH_PLUGIN_CPPFLAGS)
plugins_cardtrader_cardtrader_la_CFLAGS = $(IH_PLUGIN_CFLAGS)
plugins_cardtrader_cardtrader_la_LDFLAGS = $(IH_PLUGIN_LDFLAGS)
plugins_cardtrader_cardtrader_la_LIBADD = $(JSONC_LIBS)

plugin_LTLIBRARIES += plugins/tcgplayer/tcgplayer.la
plugins_tcgplayer_tcgplayer_la_SOURCES = plugins/tcgplayer/tcgplayer.c \
	plugins/tcgplayer/tcgplayer_parse.c plugins/tcgplayer/tcgplayer_parse.h $(IH_PLUGIN_COMMON)
plugins_tcgplayer_tcgplayer_la_CPPFLAGS = $(IH_PLUGIN_CPPFLAGS)
plugins_tcgplayer_tcgplayer_la_CFLAGS = $(IH_PLUGIN_CFLAGS)
plugins_tcgplayer_tcgplayer_la_LDFLAGS = $(IH_PLUGIN_LDFLAGS)
plugins_tcgplayer_tcgplayer_la_LIBADD = $(JSONC_LIBS)

plugin_LTLIBRARIES += plugins/manapool/manapool.la
plugins_manapool_manapool_la_SOURCES = plugins/manapool/manapool.c \
	plugins/manapool/manapool_parse.c plugins/manapool/manapool_parse.h $(IH_PLUGIN_COMMON)
plugins_manapool_manapool_la_CPPFLAGS = $(IH_PLUGIN_CPPFLAGS)
plugins_manapool_manapool_la_CFLAGS = $(IH_PLUGIN_CFLAGS)
plugins_manapool_manapool_la_LDFLAGS = $(IH_PLUGIN_LDFLAGS)
plugins_manapool_manapool_la_LIBADD = $(JSONC_LIBS)

# Tests of the plugins: their parsers linked directly, and each module
# dlopen()ed under a fake host that serves canned marketplace answers.
IH_PLUGIN_PARSE = plugins/common/ihp.c plugins/common/ihp.h \
	plugins/scryfall/scryfall_parse.c plugins/cardtrader/cardtrader_parse.c \
	plugins/tcgplayer/tcgplayer_parse.c plugins/manapool/manapool_parse.c
IH_PLUGIN_TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/common -I$(top_srcdir)/plugins/scryfall \
	-I$(top_srcdir)/plugins/cardtrader -I$(top_srcdir)/plugins/tcgplayer -I$(top_srcdir)/plugins/manapool \
	-I$(top_srcdir)/tests
if ENABLE_TESTS
check_PROGRAMS += tests/plugins_parse_test
TESTS += tests/plugins_parse_test
tests_plugins_parse_test_SOURCES = tests/plugins_parse_test.c tests/plugins_collector.h $(IH_PLUGIN_PARSE)
tests_plugins_parse_test_CPPFLAGS = $(IH_PLUGIN_TEST_CPPFLAGS)
tests_plugins_parse_test_CFLAGS = $(IH_TEST_CFLAGS) $(JSONC_CFLAGS)
tests_plugins_parse_test_LDADD = $(CUNIT_LIBS) $(JSONC_LIBS)
endif
EXTRA_DIST += tests/data
if ENABLE_TESTS
check_PROGRAMS += tests/plugins_collect_test
TESTS += tests/plugins_collect_test
tests_plugins_collect_test_SOURCES = tests/plugins_collect_test.c tests/fakehost.c tests/fakehost.h
tests_plugins_collect_test_CPPFLAGS = $(IH_PLUGIN_TEST_CPPFLAGS)
tests_plugins_collect_test_CFLAGS = $(IH_TEST_CFLAGS) $(JSONC_CFLAGS)
tests_plugins_collect_test_LDADD = $(CUNIT_LIBS) $(JSONC_LIBS)
# the modules it loads
EXTRA_tests_plugins_collect_test_DEPENDENCIES = $(plugin_LTLIBRARIES)
endif
