/* The ingesthost command line, run as a separate process. */
#include "config.h"

#include <json-c/json.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixtures.h"
#include "testutil.h"

static char out[1 << 16], err[1 << 16];

static void slurp(const char *p, char *buf, size_t len)
{
	FILE *f = fopen(p, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (f == NULL)
		return;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* Run "ingesthost ARGS" with optional env prefix; stdout/stderr to out/err. */
static int run(const char *env, const char *args)
{
	char cmd[8192];
	int st;

	snprintf(cmd, sizeof cmd, "%s '%s/ingesthost' %s >/tmp/ih-cli-out.%d 2>/tmp/ih-cli-err.%d", env ? env : "",
		 IH_TOP_BUILDDIR, args, (int)getpid(), (int)getpid());
	st = system(cmd);
	snprintf(cmd, sizeof cmd, "/tmp/ih-cli-out.%d", (int)getpid());
	slurp(cmd, out, sizeof out);
	unlink(cmd);
	snprintf(cmd, sizeof cmd, "/tmp/ih-cli-err.%d", (int)getpid());
	slurp(cmd, err, sizeof err);
	unlink(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char conf[64];

static void write_conf(const char *text)
{
	int fd;

	snprintf(conf, sizeof conf, "/tmp/ih-cli-conf.XXXXXX");
	fd = mkstemp(conf);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
}

static void test_help_version(void)
{
	CU_ASSERT_EQUAL(run(NULL, "--help"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "Usage: ingesthost"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "--list-plugins"));
	CU_ASSERT_EQUAL(run(NULL, "--version"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, PACKAGE_VERSION));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "plugin ABI"));
}

static void test_usage_errors(void)
{
	CU_ASSERT_EQUAL(run(NULL, "--bogus"), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown option '--bogus'"));
	CU_ASSERT_EQUAL(run(NULL, "--once --migrate"), 1);
	CU_ASSERT_EQUAL(run(NULL, "import"), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "import scryfall"));
	CU_ASSERT_EQUAL(run(NULL, "-c /nonexistent/x.conf --list-plugins"), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/x.conf: cannot read config file"));
}

static void test_list_plugins_table_and_json(void)
{
	static const char *const names[] = { "good", "major_mismatch", "ctor_segv", "not_elf", "own_keys", NULL };
	char *dir = ih_fixture_dir(names);
	char text[4300];
	json_object *arr;
	int ok = 0, crashed = 0, mismatch = 0, disabled = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	snprintf(text, sizeof text, "plugins: { dir = \"%s\"; own-keys: { enabled = false; }; };\n", dir);
	write_conf(text);
	snprintf(text, sizeof text, "-c %s --list-plugins", conf);
	CU_ASSERT_EQUAL(run(NULL, text), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "NAME"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "invalid: crashed while loading (signal 11)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "abi-mismatch: plugin built for ABI 2.0, host has ABI"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "invalid: not a shared object"));
	snprintf(text, sizeof text, "-c %s --list-plugins --json", conf);
	CU_ASSERT_EQUAL(run(NULL, text), 0);
	arr = json_tokener_parse(out);
	CU_ASSERT_FATAL(arr != NULL && json_object_is_type(arr, json_type_array));
	CU_ASSERT_EQUAL(json_object_array_length(arr), 5);
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *o = json_object_array_get_idx(arr, i), *st, *reason;

		CU_ASSERT_TRUE(json_object_object_get_ex(o, "state", &st));
		CU_ASSERT_TRUE(json_object_object_get_ex(o, "reason", &reason));
		CU_ASSERT_TRUE(json_object_object_get_ex(o, "path", NULL));
		ok += strcmp(json_object_get_string(st), "ok") == 0;
		disabled += strcmp(json_object_get_string(st), "disabled") == 0;
		mismatch += strcmp(json_object_get_string(st), "abi-mismatch") == 0;
		crashed += reason != NULL && strstr(json_object_get_string(reason), "crashed") != NULL;
	}
	CU_ASSERT_EQUAL(ok, 1);
	CU_ASSERT_EQUAL(disabled, 1);
	CU_ASSERT_EQUAL(mismatch, 1);
	CU_ASSERT_EQUAL(crashed, 1);
	json_object_put(arr);
	unlink(conf);
	ih_fixture_dir_remove(dir);
}

static void test_check_config_misspelt_key(void)
{
	char args[256];

	write_conf("database: {\n  conninfo = \"dbname=x\";\n  pool_sise = 4;\n};\n");
	snprintf(args, sizeof args, "-c %s --check-config", conf);
	CU_ASSERT_EQUAL(run(NULL, args), 1);
	snprintf(args, sizeof args, "%s:3: unknown key 'pool_sise'", conf);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, args));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "valid keys: conninfo, pool_size"));
	/* the same file through $INGESTHOST_CONFIG */
	snprintf(args, sizeof args, "INGESTHOST_CONFIG=%s", conf);
	CU_ASSERT_EQUAL(run(args, "--check-config"), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "pool_sise"));
	unlink(conf);
}

static void test_check_config_plugin_section(void)
{
	static const char *const names[] = { "own_keys", NULL };
	char *dir = ih_fixture_dir(names);
	char text[4300];

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	snprintf(text, sizeof text,
		 "plugins: {\n  dir = \"%s\";\n  own-keys: {\n    token = \"tok-123\";\n    page_sise = 3;\n  };\n"
		 "  nosuch: { enabled = true; };\n};\n",
		 dir);
	write_conf(text);
	snprintf(text, sizeof text, "-c %s --check-config", conf);
	CU_ASSERT_EQUAL(run(NULL, text), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":5: unknown key 'page_sise' in plugins.own-keys"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "token, page_size"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":7: plugins.nosuch: no usable plugin named 'nosuch'"));
	unlink(conf);
	/* a valid one prints the effective config, the token masked */
	snprintf(text, sizeof text, "plugins: { dir = \"%s\"; own-keys: { token = \"tok-123\"; }; };\n", dir);
	write_conf(text);
	snprintf(text, sizeof text, "-c %s --check-config", conf);
	CU_ASSERT_EQUAL(run(NULL, text), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "config OK"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "page_size = 100;"));
	CU_ASSERT_PTR_NULL(strstr(out, "tok-123"));
	unlink(conf);
	ih_fixture_dir_remove(dir);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{ "--help and --version", test_help_version },
		{ "usage errors exit 1", test_usage_errors },
		{ "--list-plugins table and --json", test_list_plugins_table_and_json },
		{ "--check-config: misspelt key", test_check_config_misspelt_key },
		{ "--check-config: plugin sections", test_check_config_plugin_section },
		CU_TEST_INFO_NULL,
	};
	static CU_SuiteInfo suites[] = {
		{ "cli", NULL, NULL, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};

	return ih_test_main(suites);
}
