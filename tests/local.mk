# Tests: one CUnit binary per module, fixture plugins, the marketplace
# simulator.  Test binaries link the core library directly.
if ENABLE_TESTS
IH_TEST_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(MHD_CFLAGS) $(core_libihcore_la_CFLAGS) \
	-DIH_TOP_SRCDIR='"$(abs_top_srcdir)"' -DIH_TOP_BUILDDIR='"$(abs_top_builddir)"'
IH_TEST_LIBS = core/libihcore.la $(CUNIT_LIBS) $(MHD_LIBS)
endif
EXTRA_DIST += tests/testutil.h tests/servers.sh
TEST_EXTENSIONS = .sh
AM_TESTS_ENVIRONMENT = export IH_TOP_SRCDIR='$(abs_top_srcdir)' IH_TOP_BUILDDIR='$(abs_top_builddir)';
