# core/host: what a running ingesthost owns and does -- the host and its
# plugin instances, the services table, a plugin's run and its writer
# (emit), the instances (load, unload, stop), the cycle (dispatch) and its
# summary.  Inside, each module uses only those before it: host < validate < emit (+ writer) < run
# < host_services < instances < dispatch < summary.  Depends on core/loader,
# core/store, core/net and core/base.
core_libihcore_la_SOURCES += \
	core/host/host.c core/host/host.h \
	core/host/instances.c core/host/instances.h \
	core/host/validate.c core/host/validate.h \
	core/host/emit.c core/host/emit.h core/host/emit_int.h core/host/writer.c \
	core/host/run.c core/host/run.h \
	core/host/host_services.c core/host/host_services.h \
	core/host/dispatch.c core/host/dispatch.h \
	core/host/summary.c core/host/summary.h
