# core/loader: plugins found, probed in a child process, checked and opened.
#   plugin_probe.c  the child process and its report protocol
#   plugin_check.c  the descriptor checks, dlopen, ih_plugin_open/close
#   plugin_list.c   the directory scan and the listing (table, JSON)
# Depends on core/base.
core_libihcore_la_SOURCES += \
	core/loader/plugin_loader.h core/loader/loader_int.h \
	core/loader/plugin_check.c \
	core/loader/plugin_probe.c \
	core/loader/plugin_list.c
