# The host: a convenience library of core modules, and the ingesthost binary.
noinst_LTLIBRARIES += core/libihcore.la
core_libihcore_la_SOURCES = \
	core/log.c core/log.h \
	core/conf.c core/conf.h \
	core/cli.c core/cli.h \
	core/plugin_loader.c core/plugin_loader.h \
	core/identity.c core/identity.h \
	core/emit.c core/emit.h \
	core/host.c core/host.h \
	core/host_services.c core/host_services.h \
	core/runlog.c core/runlog.h \
	core/run.c core/run.h \
	core/dispatch.c core/dispatch.h \
	core/summary.c \
	core/scheduler.c core/scheduler.h
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
