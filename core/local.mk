# The host: a convenience library of the core subsystems, and the ingesthost
# binary.  Each folder of core/ adds its modules (and its tests) in its own
# local.mk, included below in dependency order, lowest first:
#   base/    config, log, clock                      (needs nothing of core)
#   net/     http client, url policy, rate limit     (base)
#   store/   pool, bounded calls, bulk writes, cache (base)
#   loader/  plugin probing, checks, listing         (base)
#   import/  Scryfall bulk import                    (store, net, base)
#   host/    host, runs, instances, dispatch         (loader, store, net, base)
#   worker/  process isolation: a plugin in a child  (host, loader, net, base)
#   core/    main, cli, and the modes: run (--once, the daemon), import,
#            migrate                                  (everything)
noinst_LTLIBRARIES += core/libihcore.la
core_libihcore_la_SOURCES = \
	core/cli.c core/cli.h \
	core/cmd_db.c core/cmd_db.h \
	core/cmd_import.c core/cmd_import.h \
	core/cmd_migrate.c core/cmd_migrate.h \
	core/cmd_run.c core/cmd_run.h
core_libihcore_la_CFLAGS = $(AM_CFLAGS) $(LIBCONFIG_CFLAGS) $(JSONC_CFLAGS) $(LIBPQ_CFLAGS) \
	$(HIREDIS_CFLAGS) $(LIBCURL_CFLAGS) $(ZLIB_CFLAGS)
core_libihcore_la_LIBADD = $(LIBCONFIG_LIBS) $(JSONC_LIBS) $(LIBPQ_LIBS) $(HIREDIS_LIBS) \
	$(LIBCURL_LIBS) $(ZLIB_LIBS)

bin_PROGRAMS += ingesthost
ingesthost_SOURCES = core/main.c
ingesthost_CFLAGS = $(core_libihcore_la_CFLAGS)
ingesthost_LDADD = core/libihcore.la
# plugins resolve nothing from the host, but keep the binary's symbols private
ingesthost_LDFLAGS = $(AM_LDFLAGS)

include $(srcdir)/core/base/local.mk
include $(srcdir)/core/net/local.mk
include $(srcdir)/core/store/local.mk
include $(srcdir)/core/loader/local.mk
include $(srcdir)/core/import/local.mk
include $(srcdir)/core/host/local.mk
include $(srcdir)/core/worker/local.mk
