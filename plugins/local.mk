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
