# ---- fuzzing (#14): tests/fuzz/ --------------------------------------------
# One libFuzzer harness per parser of untrusted input (tests/fuzz/fuzz_*.c,
# listed with their seeds in tests/fuzz/harnesses.txt), each built twice:
#  - tests/fuzz/replay_NAME: the harness with tests/fuzz/replay.c's main(),
#    in every build (gcc is fine).  `make check` runs tests/fuzz/replay.sh,
#    which replays every corpus, seed and past crash through them once.
#  - tests/fuzz/fuzz_NAME: the harness with libFuzzer, only with
#    ./configure CC=clang --enable-fuzzing (the whole tree is then built with
#    -fsanitize=fuzzer-no-link,address,undefined).  `make fuzz` runs each for
#    FUZZ_SECONDS [60] (FUZZ_JOBS at once [1]) and prints executions,
#    coverage and crashes; `make fuzz-merge` adds what it found, minimized,
#    to tests/fuzz/corpus/.
IH_FUZZ_HARNESSES = scryfall_collection cardtrader_expansions cardtrader_blueprints cardtrader_products tcgplayer_token tcgplayer_pricing manapool_singles money import_card jsonstream jsonskim snapshot http_url config bulk_list
FUZZ_SECONDS = 60
FUZZ_JOBS = 1
FUZZ_FLAGS =

IH_FUZZ_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/fuzz -I$(top_srcdir)/plugins/common
IH_FUZZ_CFLAGS = $(core_libihcore_la_CFLAGS)
IH_FUZZ_LIBS = core/libihcore.la $(core_libihcore_la_LIBADD)
IH_FUZZ_HDRS = tests/fuzz/fuzz.h tests/fuzz/fuzz_plugin.h
IH_FUZZ_PLUGIN_COMMON = plugins/common/ihp.c plugins/common/ihp.h
# the harnesses that replace a dependency at link time
IH_FUZZ_WRAP_PG = -Wl,--wrap=ih_pg_exec -Wl,--wrap=ih_pg_copy_put -Wl,--wrap=ih_pg_copy_end
IH_FUZZ_WRAP_HTTP = -Wl,--wrap=ih_http_stream_get

# the replay drivers: every build, run by `make check`
check_PROGRAMS += tests/fuzz/replay_scryfall_collection \
	tests/fuzz/replay_cardtrader_expansions \
	tests/fuzz/replay_cardtrader_blueprints \
	tests/fuzz/replay_cardtrader_products \
	tests/fuzz/replay_tcgplayer_token \
	tests/fuzz/replay_tcgplayer_pricing \
	tests/fuzz/replay_manapool_singles \
	tests/fuzz/replay_money \
	tests/fuzz/replay_import_card \
	tests/fuzz/replay_jsonstream \
	tests/fuzz/replay_jsonskim \
	tests/fuzz/replay_snapshot \
	tests/fuzz/replay_http_url \
	tests/fuzz/replay_config \
	tests/fuzz/replay_bulk_list
tests_fuzz_replay_scryfall_collection_SOURCES = tests/fuzz/fuzz_scryfall_collection.c tests/fuzz/replay.c $(IH_FUZZ_HDRS) plugins/scryfall/scryfall_parse.c plugins/scryfall/scryfall_parse.h $(IH_FUZZ_PLUGIN_COMMON)
tests_fuzz_replay_scryfall_collection_CPPFLAGS = $(IH_FUZZ_CPPFLAGS) -DFUZZ_NAME='"scryfall_collection"' -I$(top_srcdir)/plugins/scryfall
tests_fuzz_replay_scryfall_collection_CFLAGS = $(IH_FUZZ_CFLAGS)
tests_fuzz_replay_scryfall_collection_LDADD = $(IH_FUZZ_LIBS)
tests_fuzz_replay_cardtrader_expansions_SOURCES = tests/fuzz/fuzz_cardtrader_expansions.c tests/fuzz/replay.c $(IH_FUZZ_HDRS) plugins/cardtrader/cardtrader_parse.c plugins/cardtrader/cardtrader_parse.h $(IH_FUZZ_PLUGIN_COMMON)
tests_fuzz_replay_cardtrader_expansions_CPPFLAGS = $(IH_FUZZ_CPPFLAGS) -DFUZZ_NAME='"cardtrader_expansions"' -I$(top_srcdir)/plugins/cardtrader
tests_fuzz_replay_cardtrader_expansions_CFLAGS = $(IH_FUZZ_CFLAGS)
tests_fuzz_replay_cardtrader_expansions_LDADD = $(IH_FUZZ_LIBS)
tests_fuzz_replay_cardtrader_blueprints_SOURCES = tests/fuzz/fuzz_cardtrader_blueprints.c tests/fuzz/replay.c $(IH_FUZZ_HDRS) plugins/cardtrader/cardtrader_parse.c plugins/cardtrader/cardtrader_parse.h $(IH_FUZZ_PLUGIN_COMMON)
tests_fuzz_replay_cardtrader_blueprints_CPPFLAGS = $(IH_FUZZ_CPPFLAGS) -DFUZZ_NAME='"cardtrader_blueprints"' -I$(top_srcdir)/plugins/cardtrader
tests_fuzz_replay_cardtrader_blueprints_CFLAGS = $(IH_FUZZ_CFLAGS)
tests_fuzz_replay_cardtrader_blueprints_LDADD = $(IH_FUZZ_LIBS)
tests_fuzz_replay_cardtrader_products_SOURCES = tests/fuzz/fuzz_cardtrader_products.c tests/fuzz/replay.c $(IH_FUZZ_HDRS) plugins/cardtrader/cardtrader_parse.c plugins/cardtrader/cardtrader_parse.h $(IH_FUZZ_PLUGIN_COMMON)
tests_fuzz_replay_cardtrader_products_CPPFLAGS = $(IH_FUZZ_CPPFLAGS) -DFUZZ_NAME='"cardtrader_products"' -I$(top_srcdir)/plugins/cardtrader
tests_fuzz_replay_cardtrader_products_CFLAGS = $(IH_FUZZ_CFLAGS)
tests_fuzz_replay_cardtrader_products_LDADD = $(IH_FUZZ_LIBS)
tests_fuzz_replay_tcgplayer_token_SOURCES = tests/fuzz/fuzz_tcgplayer_token.c tests/fuzz/replay.c $(IH_FUZZ_HDRS) plugins/tcgplayer/tcgplayer_parse.c plugins/tcgplayer/tcgplayer_parse.h $(IH_FUZZ_PLUGIN_COMMON)
tests_fuzz_replay_tcgplayer_token_CPPFLAGS = $(IH_FUZZ_CPPFLAGS) -DFUZZ_NAME='"tcgplayer_token"' -I$(top_srcdir)/plugins/tcgplayer
tests_fuzz_replay_tcgplayer_token_CFLAGS = $(IH_FUZZ_CFLAGS)
tests_fuzz_replay_tcgplayer_token_LDADD = $(IH_FUZZ_LIBS)
tests_fuzz_replay_tcgplayer_pricing_SOURCES = tests/fuzz/fuzz_tcgplayer_pricing.c tests/fuzz/replay.c $(IH_FUZZ_HDRS) plugins/tcgplayer/tcgplayer_parse.c plugins/tcgplayer/tcgplayer_parse.h $(IH_FUZZ_PLUGIN_COMMON)
tests_fuzz_replay_tcgplayer_pricing_CPPFLAGS = $(IH_FUZZ_CPPFLAGS) -DFUZZ_NAME='"tcgplayer_pricing"' -I$(top_srcdir)/plugins/tcgplayer
tests_fuzz_replay_tcgplayer_pricing_CFLAGS = $(IH_FUZZ_CFLAGS)
tests_fuzz_replay_tcgplayer_pricing_LDADD = $(IH_FUZZ_LIBS)
tests_fuzz_replay_manapool_singles_SOURCES = tests/fuzz/fuzz_manapool_singles.c tests/fuzz/replay.c $(IH_FUZZ_HDRS) plugins/manapool/manapool_parse.c plugins/manapool/manapool_parse.h $(IH_FUZZ_PLUGIN_COMMON)
tests_fuzz_replay_manapool_singles_CPPFLAGS = $(IH_FUZZ_CPPFLAGS) -DFUZZ_NAME='"manapool_singles"' -I$(top_srcdir)/plugins/manapool
tests_fuzz_replay_manapool_singles_CFLAGS = $(IH_FUZZ_CFLAGS)
tests_fuzz_replay_manapool_singles_LDADD = $(IH_FUZZ_LIBS)
tests_fuzz_replay_money_SOURCES = tests/fuzz/fuzz_money.c tests/fuzz/replay.c $(IH_FUZZ_HDRS) $(IH_FUZZ_PLUGIN_COMMON)
tests_fuzz_replay_money_CPPFLAGS = $(IH_FUZZ_CPPFLAGS) -DFUZZ_NAME='"money"'
tests_fuzz_replay_money_CFLAGS = $(IH_FUZZ_CFLAGS)
tests_fuzz_replay_money_LDADD = $(IH_FUZZ_LIBS)
tests_fuzz_replay_import_card_SOURCES = tests/fuzz/fuzz_import_card.c tests/fuzz/replay.c $(IH_FUZZ_HDRS)
tests_fuzz_replay_import_card_CPPFLAGS = $(IH_FUZZ_CPPFLAGS) -DFUZZ_NAME='"import_card"'
tests_fuzz_replay_import_card_CFLAGS = $(IH_FUZZ_CFLAGS)
tests_fuzz_replay_import_card_LDADD = $(IH_FUZZ_LIBS)
tests_fuzz_replay_jsonstream_SOURCES = tests/fuzz/fuzz_jsonstream.c tests/fuzz/replay.c $(IH_FUZZ_HDRS)
tests_fuzz_replay_jsonstream_CPPFLAGS = $(IH_FUZZ_CPPFLAGS) -DFUZZ_NAME='"jsonstream"'
tests_fuzz_replay_jsonstream_CFLAGS = $(IH_FUZZ_CFLAGS)
tests_fuzz_replay_jsonstream_LDADD = $(IH_FUZZ_LIBS)
tests_fuzz_replay_jsonskim_SOURCES = tests/fuzz/fuzz_jsonskim.c tests/fuzz/replay.c $(IH_FUZZ_HDRS)
tests_fuzz_replay_jsonskim_CPPFLAGS = $(IH_FUZZ_CPPFLAGS) -DFUZZ_NAME='"jsonskim"'
tests_fuzz_replay_jsonskim_CFLAGS = $(IH_FUZZ_CFLAGS)
tests_fuzz_replay_jsonskim_LDADD = $(IH_FUZZ_LIBS)
tests_fuzz_replay_snapshot_SOURCES = tests/fuzz/fuzz_snapshot.c tests/fuzz/replay.c $(IH_FUZZ_HDRS)
tests_fuzz_replay_snapshot_CPPFLAGS = $(IH_FUZZ_CPPFLAGS) -DFUZZ_NAME='"snapshot"'
tests_fuzz_replay_snapshot_CFLAGS = $(IH_FUZZ_CFLAGS)
tests_fuzz_replay_snapshot_LDADD = $(IH_FUZZ_LIBS)
tests_fuzz_replay_snapshot_LDFLAGS = $(AM_LDFLAGS) $(IH_FUZZ_WRAP_PG)
tests_fuzz_replay_http_url_SOURCES = tests/fuzz/fuzz_http_url.c tests/fuzz/replay.c $(IH_FUZZ_HDRS)
tests_fuzz_replay_http_url_CPPFLAGS = $(IH_FUZZ_CPPFLAGS) -DFUZZ_NAME='"http_url"'
tests_fuzz_replay_http_url_CFLAGS = $(IH_FUZZ_CFLAGS)
tests_fuzz_replay_http_url_LDADD = $(IH_FUZZ_LIBS)
tests_fuzz_replay_config_SOURCES = tests/fuzz/fuzz_config.c tests/fuzz/replay.c $(IH_FUZZ_HDRS)
tests_fuzz_replay_config_CPPFLAGS = $(IH_FUZZ_CPPFLAGS) -DFUZZ_NAME='"config"'
tests_fuzz_replay_config_CFLAGS = $(IH_FUZZ_CFLAGS)
tests_fuzz_replay_config_LDADD = $(IH_FUZZ_LIBS)
tests_fuzz_replay_bulk_list_SOURCES = tests/fuzz/fuzz_bulk_list.c tests/fuzz/replay.c $(IH_FUZZ_HDRS)
tests_fuzz_replay_bulk_list_CPPFLAGS = $(IH_FUZZ_CPPFLAGS) -DFUZZ_NAME='"bulk_list"'
tests_fuzz_replay_bulk_list_CFLAGS = $(IH_FUZZ_CFLAGS)
tests_fuzz_replay_bulk_list_LDADD = $(IH_FUZZ_LIBS)
tests_fuzz_replay_bulk_list_LDFLAGS = $(AM_LDFLAGS) $(IH_FUZZ_WRAP_HTTP)
TESTS += tests/fuzz/replay.sh
EXTRA_DIST += tests/fuzz/replay.sh tests/fuzz/run.sh tests/fuzz/harnesses.txt tests/fuzz/json.dict tests/fuzz/lsan.supp \
	tests/fuzz/README.md tests/fuzz/corpus tests/fuzz/crashes

# the libFuzzer harnesses: only in an --enable-fuzzing build
if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_scryfall_collection \
	tests/fuzz/fuzz_cardtrader_expansions \
	tests/fuzz/fuzz_cardtrader_blueprints \
	tests/fuzz/fuzz_cardtrader_products \
	tests/fuzz/fuzz_tcgplayer_token \
	tests/fuzz/fuzz_tcgplayer_pricing \
	tests/fuzz/fuzz_manapool_singles \
	tests/fuzz/fuzz_money \
	tests/fuzz/fuzz_import_card \
	tests/fuzz/fuzz_jsonstream \
	tests/fuzz/fuzz_jsonskim \
	tests/fuzz/fuzz_snapshot \
	tests/fuzz/fuzz_http_url \
	tests/fuzz/fuzz_config \
	tests/fuzz/fuzz_bulk_list
tests_fuzz_fuzz_scryfall_collection_SOURCES = tests/fuzz/fuzz_scryfall_collection.c $(IH_FUZZ_HDRS) plugins/scryfall/scryfall_parse.c plugins/scryfall/scryfall_parse.h $(IH_FUZZ_PLUGIN_COMMON)
tests_fuzz_fuzz_scryfall_collection_CPPFLAGS = $(IH_FUZZ_CPPFLAGS) -DFUZZ_NAME='"scryfall_collection"' -I$(top_srcdir)/plugins/scryfall
tests_fuzz_fuzz_scryfall_collection_CFLAGS = $(IH_FUZZ_CFLAGS)
tests_fuzz_fuzz_scryfall_collection_LDADD = $(IH_FUZZ_LIBS)
tests_fuzz_fuzz_scryfall_collection_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_cardtrader_expansions_SOURCES = tests/fuzz/fuzz_cardtrader_expansions.c $(IH_FUZZ_HDRS) plugins/cardtrader/cardtrader_parse.c plugins/cardtrader/cardtrader_parse.h $(IH_FUZZ_PLUGIN_COMMON)
tests_fuzz_fuzz_cardtrader_expansions_CPPFLAGS = $(IH_FUZZ_CPPFLAGS) -DFUZZ_NAME='"cardtrader_expansions"' -I$(top_srcdir)/plugins/cardtrader
tests_fuzz_fuzz_cardtrader_expansions_CFLAGS = $(IH_FUZZ_CFLAGS)
tests_fuzz_fuzz_cardtrader_expansions_LDADD = $(IH_FUZZ_LIBS)
tests_fuzz_fuzz_cardtrader_expansions_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_cardtrader_blueprints_SOURCES = tests/fuzz/fuzz_cardtrader_blueprints.c $(IH_FUZZ_HDRS) plugins/cardtrader/cardtrader_parse.c plugins/cardtrader/cardtrader_parse.h $(IH_FUZZ_PLUGIN_COMMON)
tests_fuzz_fuzz_cardtrader_blueprints_CPPFLAGS = $(IH_FUZZ_CPPFLAGS) -DFUZZ_NAME='"cardtrader_blueprints"' -I$(top_srcdir)/plugins/cardtrader
tests_fuzz_fuzz_cardtrader_blueprints_CFLAGS = $(IH_FUZZ_CFLAGS)
tests_fuzz_fuzz_cardtrader_blueprints_LDADD = $(IH_FUZZ_LIBS)
tests_fuzz_fuzz_cardtrader_blueprints_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_cardtrader_products_SOURCES = tests/fuzz/fuzz_cardtrader_products.c $(IH_FUZZ_HDRS) plugins/cardtrader/cardtrader_parse.c plugins/cardtrader/cardtrader_parse.h $(IH_FUZZ_PLUGIN_COMMON)
tests_fuzz_fuzz_cardtrader_products_CPPFLAGS = $(IH_FUZZ_CPPFLAGS) -DFUZZ_NAME='"cardtrader_products"' -I$(top_srcdir)/plugins/cardtrader
tests_fuzz_fuzz_cardtrader_products_CFLAGS = $(IH_FUZZ_CFLAGS)
tests_fuzz_fuzz_cardtrader_products_LDADD = $(IH_FUZZ_LIBS)
tests_fuzz_fuzz_cardtrader_products_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_tcgplayer_token_SOURCES = tests/fuzz/fuzz_tcgplayer_token.c $(IH_FUZZ_HDRS) plugins/tcgplayer/tcgplayer_parse.c plugins/tcgplayer/tcgplayer_parse.h $(IH_FUZZ_PLUGIN_COMMON)
tests_fuzz_fuzz_tcgplayer_token_CPPFLAGS = $(IH_FUZZ_CPPFLAGS) -DFUZZ_NAME='"tcgplayer_token"' -I$(top_srcdir)/plugins/tcgplayer
tests_fuzz_fuzz_tcgplayer_token_CFLAGS = $(IH_FUZZ_CFLAGS)
tests_fuzz_fuzz_tcgplayer_token_LDADD = $(IH_FUZZ_LIBS)
tests_fuzz_fuzz_tcgplayer_token_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_tcgplayer_pricing_SOURCES = tests/fuzz/fuzz_tcgplayer_pricing.c $(IH_FUZZ_HDRS) plugins/tcgplayer/tcgplayer_parse.c plugins/tcgplayer/tcgplayer_parse.h $(IH_FUZZ_PLUGIN_COMMON)
tests_fuzz_fuzz_tcgplayer_pricing_CPPFLAGS = $(IH_FUZZ_CPPFLAGS) -DFUZZ_NAME='"tcgplayer_pricing"' -I$(top_srcdir)/plugins/tcgplayer
tests_fuzz_fuzz_tcgplayer_pricing_CFLAGS = $(IH_FUZZ_CFLAGS)
tests_fuzz_fuzz_tcgplayer_pricing_LDADD = $(IH_FUZZ_LIBS)
tests_fuzz_fuzz_tcgplayer_pricing_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_manapool_singles_SOURCES = tests/fuzz/fuzz_manapool_singles.c $(IH_FUZZ_HDRS) plugins/manapool/manapool_parse.c plugins/manapool/manapool_parse.h $(IH_FUZZ_PLUGIN_COMMON)
tests_fuzz_fuzz_manapool_singles_CPPFLAGS = $(IH_FUZZ_CPPFLAGS) -DFUZZ_NAME='"manapool_singles"' -I$(top_srcdir)/plugins/manapool
tests_fuzz_fuzz_manapool_singles_CFLAGS = $(IH_FUZZ_CFLAGS)
tests_fuzz_fuzz_manapool_singles_LDADD = $(IH_FUZZ_LIBS)
tests_fuzz_fuzz_manapool_singles_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_money_SOURCES = tests/fuzz/fuzz_money.c $(IH_FUZZ_HDRS) $(IH_FUZZ_PLUGIN_COMMON)
tests_fuzz_fuzz_money_CPPFLAGS = $(IH_FUZZ_CPPFLAGS) -DFUZZ_NAME='"money"'
tests_fuzz_fuzz_money_CFLAGS = $(IH_FUZZ_CFLAGS)
tests_fuzz_fuzz_money_LDADD = $(IH_FUZZ_LIBS)
tests_fuzz_fuzz_money_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_import_card_SOURCES = tests/fuzz/fuzz_import_card.c $(IH_FUZZ_HDRS)
tests_fuzz_fuzz_import_card_CPPFLAGS = $(IH_FUZZ_CPPFLAGS) -DFUZZ_NAME='"import_card"'
tests_fuzz_fuzz_import_card_CFLAGS = $(IH_FUZZ_CFLAGS)
tests_fuzz_fuzz_import_card_LDADD = $(IH_FUZZ_LIBS)
tests_fuzz_fuzz_import_card_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_jsonstream_SOURCES = tests/fuzz/fuzz_jsonstream.c $(IH_FUZZ_HDRS)
tests_fuzz_fuzz_jsonstream_CPPFLAGS = $(IH_FUZZ_CPPFLAGS) -DFUZZ_NAME='"jsonstream"'
tests_fuzz_fuzz_jsonstream_CFLAGS = $(IH_FUZZ_CFLAGS)
tests_fuzz_fuzz_jsonstream_LDADD = $(IH_FUZZ_LIBS)
tests_fuzz_fuzz_jsonstream_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_jsonskim_SOURCES = tests/fuzz/fuzz_jsonskim.c $(IH_FUZZ_HDRS)
tests_fuzz_fuzz_jsonskim_CPPFLAGS = $(IH_FUZZ_CPPFLAGS) -DFUZZ_NAME='"jsonskim"'
tests_fuzz_fuzz_jsonskim_CFLAGS = $(IH_FUZZ_CFLAGS)
tests_fuzz_fuzz_jsonskim_LDADD = $(IH_FUZZ_LIBS)
tests_fuzz_fuzz_jsonskim_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_snapshot_SOURCES = tests/fuzz/fuzz_snapshot.c $(IH_FUZZ_HDRS)
tests_fuzz_fuzz_snapshot_CPPFLAGS = $(IH_FUZZ_CPPFLAGS) -DFUZZ_NAME='"snapshot"'
tests_fuzz_fuzz_snapshot_CFLAGS = $(IH_FUZZ_CFLAGS)
tests_fuzz_fuzz_snapshot_LDADD = $(IH_FUZZ_LIBS)
tests_fuzz_fuzz_snapshot_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS) $(IH_FUZZ_WRAP_PG)
tests_fuzz_fuzz_http_url_SOURCES = tests/fuzz/fuzz_http_url.c $(IH_FUZZ_HDRS)
tests_fuzz_fuzz_http_url_CPPFLAGS = $(IH_FUZZ_CPPFLAGS) -DFUZZ_NAME='"http_url"'
tests_fuzz_fuzz_http_url_CFLAGS = $(IH_FUZZ_CFLAGS)
tests_fuzz_fuzz_http_url_LDADD = $(IH_FUZZ_LIBS)
tests_fuzz_fuzz_http_url_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz_config.c $(IH_FUZZ_HDRS)
tests_fuzz_fuzz_config_CPPFLAGS = $(IH_FUZZ_CPPFLAGS) -DFUZZ_NAME='"config"'
tests_fuzz_fuzz_config_CFLAGS = $(IH_FUZZ_CFLAGS)
tests_fuzz_fuzz_config_LDADD = $(IH_FUZZ_LIBS)
tests_fuzz_fuzz_config_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_bulk_list_SOURCES = tests/fuzz/fuzz_bulk_list.c $(IH_FUZZ_HDRS)
tests_fuzz_fuzz_bulk_list_CPPFLAGS = $(IH_FUZZ_CPPFLAGS) -DFUZZ_NAME='"bulk_list"'
tests_fuzz_fuzz_bulk_list_CFLAGS = $(IH_FUZZ_CFLAGS)
tests_fuzz_fuzz_bulk_list_LDADD = $(IH_FUZZ_LIBS)
tests_fuzz_fuzz_bulk_list_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS) $(IH_FUZZ_WRAP_HTTP)
IH_FUZZ_BINS = $(addprefix tests/fuzz/fuzz_,$(addsuffix $(EXEEXT),$(IH_FUZZ_HARNESSES)))
fuzz: $(IH_FUZZ_BINS)
	@bash $(srcdir)/tests/fuzz/run.sh fuzz --srcdir $(srcdir) --builddir . --seconds $(FUZZ_SECONDS) \
		--jobs $(FUZZ_JOBS) $(FUZZ_FLAGS:%=--flag %) $(IH_FUZZ_HARNESSES)
fuzz-build: $(IH_FUZZ_BINS)
fuzz-merge: $(IH_FUZZ_BINS)
	@bash $(srcdir)/tests/fuzz/run.sh merge --srcdir $(srcdir) --builddir . $(IH_FUZZ_HARNESSES)
else
fuzz fuzz-build fuzz-merge:
	@echo "make $@: the harnesses need clang and libFuzzer: ./configure CC=clang --enable-fuzzing" >&2; exit 1
endif
.PHONY: fuzz fuzz-build fuzz-merge
clean-local: clean-fuzz-work
clean-fuzz-work:
	-rm -rf tests/fuzz/work
.PHONY: clean-fuzz-work
