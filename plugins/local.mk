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
