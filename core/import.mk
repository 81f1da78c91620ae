# Bulk import of Scryfall bulk data (issue #6): `ingesthost import scryfall`.
core_libihcore_la_SOURCES += \
	core/jsonstream.c core/jsonstream.h \
	core/import_int.h core/import_card.c core/import_download.c \
	core/import_scryfall.c core/import_scryfall.h \
	core/cmd_import.c core/cmd_import.h
