# core/base: what every subsystem uses -- the validated config, the logger,
# the injectable clock.  Depends on nothing else in core/.
core_libihcore_la_SOURCES += \
	core/base/buf.c core/base/buf.h \
	core/base/log.c core/base/log.h \
	core/base/conf.c core/base/conf.h core/base/conf_int.h core/base/conf_bind.c core/base/conf_print.c \
	core/base/clock.c core/base/clock.h
