# core/host: what a running ingesthost owns and does -- the host and its
# plugin instances, the services table, a plugin's run and its writer
# (emit), the cycle (dispatch, summary) and the scheduler (--once, daemon,
# signals).  Depends on core/loader, core/store, core/net and core/base.
core_libihcore_la_SOURCES += \
	core/host/host.c core/host/host.h \
	core/host/emit.c core/host/emit.h \
	core/host/run.c core/host/run.h \
	core/host/host_services.c core/host/host_services.h \
	core/host/dispatch.c core/host/dispatch.h \
	core/host/summary.c \
	core/host/scheduler.c core/host/scheduler.h
