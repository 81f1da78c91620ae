# core/base: what every subsystem uses -- the validated config, the logger,
# the injectable clock.  Depends on nothing else in core/.
core_libihcore_la_SOURCES += \
	core/base/log.c core/base/log.h \
	core/base/conf.c core/base/conf.h \
	core/base/clock.c core/base/clock.h
