/* The plugin scanner and loader against every fixture plugin. */
#include "config.h"

#include "fixtures.h"
#include "loader/plugin_loader.h"
#include "testutil.h"

static ih_plugin_list list;
static char *dir;

static const char *const all[] = { "good", "good_dup", "major_mismatch", "newer_minor", "older_minor",
				   "short_size", "bad_magic", "no_symbol", "not_elf", "ctor_segv",
				   "ctor_exit", "unresolved", NULL };

static int setup(void)
{
	char err[512];

	dir = ih_fixture_dir(all);
	if (dir == NULL)
		return -1;
	return ih_plugins_scan(dir, NULL, &list, err, sizeof err);
}

static int teardown(void)
{
	ih_plugin_list_free(&list);
	ih_fixture_dir_remove(dir);
	return 0;
}

static const ih_plugin_info *row(const char *file)
{
	for (size_t i = 0; i < list.n; i++) {
		const char *base = strrchr(list.v[i].path, '/');

		if (base != NULL && strncmp(base + 1, file, strlen(file)) == 0 && base[1 + strlen(file)] == '.')
			return &list.v[i];
	}
	return NULL;
}

static void check_reason(const char *file, const ih_plugin_info *r, const char *needle)
{
	if (needle == NULL)
		return;
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->reason);
	if (strstr(r->reason, needle) == NULL)
		printf("\n  %s: reason was: %s\n", file, r->reason);
	CU_ASSERT_PTR_NOT_NULL(strstr(r->reason, needle));
}

#define ASSERT_ROW(file, st, needle)                                                      \
	do {                                                                              \
		const ih_plugin_info *r_ = row(file);                                     \
		CU_ASSERT_PTR_NOT_NULL_FATAL(r_);                                         \
		CU_ASSERT_EQUAL(r_->state, st);                                           \
		check_reason(file, r_, needle);                                           \
	} while (0)

static void test_every_file_listed(void)
{
	CU_ASSERT_EQUAL(list.n, 12);
}

static void test_good(void)
{
	const ih_plugin_info *r = row("good");

	ASSERT_ROW("good", IH_PS_OK, NULL);
	CU_ASSERT_STRING_EQUAL(r->name, "good");
	CU_ASSERT_STRING_EQUAL(r->version, "1.0.0");
	CU_ASSERT_STRING_EQUAL(r->marketplace, "good");
	CU_ASSERT_EQUAL(r->abi_major, IH_ABI_MAJOR);
	CU_ASSERT_EQUAL(r->abi_minor, IH_ABI_MINOR);
	CU_ASSERT_PTR_NULL(r->reason);
}

static void test_duplicate(void)
{
	ASSERT_ROW("good_dup", IH_PS_INVALID, "duplicate");
}

static void test_major_mismatch(void)
{
	char both[128];

	snprintf(both, sizeof both, "plugin built for ABI %d.0, host has ABI %d.%d", IH_ABI_MAJOR + 1, IH_ABI_MAJOR,
		 IH_ABI_MINOR);
	ASSERT_ROW("major_mismatch", IH_PS_ABI_MISMATCH, both);
}

static void test_newer_minor_refused(void)
{
	char both[128];

	snprintf(both, sizeof both, "plugin built for ABI %d.%d, host has ABI %d.%d", IH_ABI_MAJOR, IH_ABI_MINOR + 1,
		 IH_ABI_MAJOR, IH_ABI_MINOR);
	ASSERT_ROW("newer_minor", IH_PS_ABI_MISMATCH, both);
}

static void test_older_minor_accepted(void)
{
	ASSERT_ROW("older_minor", IH_PS_OK, NULL);
	CU_ASSERT_EQUAL(row("older_minor")->abi_minor, 0);
}

static void test_short_size(void)
{
	ASSERT_ROW("short_size", IH_PS_INVALID, "descriptor declares 16 bytes");
}

static void test_bad_magic(void)
{
	ASSERT_ROW("bad_magic", IH_PS_INVALID, "bad magic 0xdeadbeef");
}

static void test_no_symbol(void)
{
	ASSERT_ROW("no_symbol", IH_PS_INVALID, "missing descriptor symbol 'ingesthost_plugin'");
}

static void test_not_elf(void)
{
	ASSERT_ROW("not_elf", IH_PS_INVALID, "not a shared object");
}

static void test_ctor_segv(void)
{
	ASSERT_ROW("ctor_segv", IH_PS_INVALID, "crashed while loading (signal 11)");
}

static void test_ctor_exit(void)
{
	ASSERT_ROW("ctor_exit", IH_PS_INVALID, "crashed while loading");
}

static void test_unresolved(void)
{
	ASSERT_ROW("unresolved", IH_PS_INVALID, "unresolved symbol");
	CU_ASSERT_PTR_NOT_NULL(strstr(row("unresolved")->reason, "ingesthost_no_such_function"));
}

/* Loading in-process refuses the same files, with the path in the message. */
static void test_open_in_process(void)
{
	char path[4200], err[512];
	ih_plugin_handle *h = NULL;

	snprintf(path, sizeof path, "%s/bad_magic.so", dir);
	CU_ASSERT_EQUAL(ih_plugin_open(path, &h, err, sizeof err), -1);
	CU_ASSERT_PTR_NULL(h);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "bad magic"));
	snprintf(path, sizeof path, "%s/good.so", dir);
	CU_ASSERT_EQUAL_FATAL(ih_plugin_open(path, &h, err, sizeof err), 0);
	CU_ASSERT_PTR_NOT_NULL(h->desc->collect);
	CU_ASSERT_STRING_EQUAL(h->info.name, "good");
	ih_plugin_close(h);
}

/* A missing directory is an error that names it. */
static void test_missing_dir(void)
{
	ih_plugin_list l;
	char err[512];

	CU_ASSERT_EQUAL(ih_plugins_scan("/nonexistent/ih-plugins", NULL, &l, err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/ih-plugins"));
	/* an empty directory is an empty listing */
	CU_ASSERT_EQUAL(ih_plugins_scan("/var/empty-ih-none", NULL, &l, err, sizeof err), -1);
	CU_ASSERT_EQUAL(ih_plugins_scan(IH_TOP_SRCDIR "/m4", NULL, &l, err, sizeof err), 0);
	CU_ASSERT_EQUAL(l.n, 0);
	ih_plugin_list_free(&l);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{ "every .so is listed", test_every_file_listed },
		{ "good plugin ok", test_good },
		{ "second file with one name: duplicate", test_duplicate },
		{ "major mismatch names both versions", test_major_mismatch },
		{ "newer minor refused", test_newer_minor_refused },
		{ "older minor accepted", test_older_minor_accepted },
		{ "short struct size", test_short_size },
		{ "bad magic", test_bad_magic },
		{ "no descriptor symbol", test_no_symbol },
		{ "not an ELF file", test_not_elf },
		{ "constructor segfaults", test_ctor_segv },
		{ "constructor calls exit()", test_ctor_exit },
		{ "unresolved symbol", test_unresolved },
		{ "in-process open checks too", test_open_in_process },
		{ "missing plugin dir", test_missing_dir },
		CU_TEST_INFO_NULL,
	};
	static CU_SuiteInfo suites[] = {
		{ "plugin_loader", setup, teardown, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};

	return ih_test_main(suites);
}
