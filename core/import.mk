# Bulk import of Scryfall bulk data (issue #6): `ingesthost import scryfall`.
core_libihcore_la_SOURCES += \
	core/jsonstream.c core/jsonstream.h core/jsonskim.c core/jsonskim.h \
	core/import_int.h core/import_card.c core/import_download.c core/import_write.c \
	core/import_scryfall.c core/import_scryfall.h \
	core/cmd_import.c core/cmd_import.h

if ENABLE_TESTS
check_PROGRAMS += tests/import_test
TESTS += tests/import_test
tests_import_test_SOURCES = tests/import_test.c tests/pgtest.h tests/testutil.h
tests_import_test_CFLAGS = $(IH_TEST_CFLAGS)
tests_import_test_LDADD = $(IH_TEST_LIBS)
endif
EXTRA_DIST += tests/data/scryfall/cards.jsonl tests/data/scryfall/cards_array.json \
	tests/data/scryfall/bad_lines.jsonl tests/data/scryfall/bulk_data.json
