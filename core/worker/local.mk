# core/worker: process isolation -- a plugin's init, collect and shutdown in
# a worker process per run (`ingesthost --plugin-worker`, started through
# /proc/self/exe), the frames between it and the host (wire), the worker's
# side (worker_main) and the host's (supervise: spawn, replay, stop, reap).
# The replay goes into host/host_services, so a process-mode run is
# validated, written and marked exactly as a thread-mode one; run.c hands
# collect to ih_worker_collect.  Depends on host, loader, net and base.
core_libihcore_la_SOURCES += \
	core/worker/wire.c core/worker/wire.h \
	core/worker/worker.h core/worker/worker_main.c \
	core/worker/supervise.c
