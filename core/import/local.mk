# core/import: streaming import of Scryfall bulk data (`ingesthost import
# scryfall`).  Depends on core/store, core/net and core/base.
core_libihcore_la_SOURCES += \
	core/import/jsonstream.c core/import/jsonstream.h core/import/jsonskim.c core/import/jsonskim.h \
	core/import/import_int.h core/import/import_card.c core/import/import_download.c core/import/import_download.h \
	core/import/import_write.c core/import/import_scryfall.c core/import/import_scryfall.h

if ENABLE_TESTS
check_PROGRAMS += tests/import_test
TESTS += tests/import_test
tests_import_test_SOURCES = tests/import_test.c tests/pgtest.h tests/testutil.h
tests_import_test_CFLAGS = $(IH_TEST_CFLAGS)
tests_import_test_LDADD = $(IH_TEST_LIBS)
endif
EXTRA_DIST += tests/data/scryfall/cards.jsonl tests/data/scryfall/cards_array.json \
	tests/data/scryfall/bad_lines.jsonl tests/data/scryfall/bulk_data.json \
	tests/data/scryfall/card_neo_141.json
