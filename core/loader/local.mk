# core/loader: plugins found, probed in a child process, checked and opened.
# Depends on core/base.
core_libihcore_la_SOURCES += \
	core/loader/plugin_loader.c core/loader/plugin_loader.h
