/* The validating config loader: every kind of error names file and line. */
#include "config.h"

#include <unistd.h>

#include "base/conf.h"
#include "testutil.h"

static char path[64];

/* Write `text` to a fresh temp file; its name goes to `path`. */
static void write_conf(const char *text)
{
	int fd;

	snprintf(path, sizeof path, "/tmp/ih-conf-test.XXXXXX");
	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
}

/* Load `text`; expect failure with one message containing each needle. */
static void expect_error(const char *text, const char *const *needles)
{
	ih_config *cfg = NULL;
	ih_errors errs = { 0 };

	write_conf(text);
	CU_ASSERT_EQUAL(ih_config_load(path, &cfg, &errs), -1);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT_FATAL(errs.n >= 1);
	for (; *needles != NULL; needles++) {
		if (strstr(errs.msg[0], *needles) == NULL)
			printf("\n  expected '%s' in: %s\n", *needles, errs.msg[0]);
		CU_ASSERT_PTR_NOT_NULL(strstr(errs.msg[0], *needles));
	}
	CU_ASSERT_PTR_NOT_NULL(strstr(errs.msg[0], path));
	ih_errors_clear(&errs);
	unlink(path);
}

static void test_defaults_and_values(void)
{
	ih_config *cfg = NULL;
	ih_errors errs = { 0 };

	write_conf("database: { conninfo = \"dbname=x\"; pool_size = 3; };\n"
		   "ingest: { batch_size = 250; };\n");
	CU_ASSERT_EQUAL_FATAL(ih_config_load(path, &cfg, &errs), 0);
	CU_ASSERT_STRING_EQUAL(cfg->database.conninfo, "dbname=x");
	CU_ASSERT_EQUAL(cfg->database.pool_size, 3);
	CU_ASSERT_EQUAL(cfg->ingest.batch_size, 250);
	CU_ASSERT_EQUAL(cfg->ingest.cards_per_cycle, 500);
	CU_ASSERT_EQUAL(cfg->cache.ttl, 7200);
	CU_ASSERT_EQUAL(cfg->redis.port, 6379);
	CU_ASSERT_EQUAL(cfg->redis.present, 0);
	ih_config_free(cfg);
	unlink(path);
}

static void test_unknown_key(void)
{
	static const char *const n[] = { ":2: unknown key 'pool_sise' in group 'database'",
					 "valid keys: conninfo, pool_size", NULL };

	expect_error("# comment\ndatabase: { pool_sise = 3; };\n", n);
}

static void test_unknown_group(void)
{
	static const char *const n[] = { ":1: unknown group 'databse'", "valid groups: database", NULL };

	expect_error("databse: { pool_size = 3; };\n", n);
}

static void test_wrong_type(void)
{
	static const char *const n[] = { ":3: database: pool_size must be an integer, not a string", NULL };

	expect_error("\n\ndatabase: { pool_size = \"8\"; };\n", n);
}

static void test_out_of_range(void)
{
	static const char *const n[] = { ":1: ingest: batch_size = 0 is out of range: must be between 1 and", NULL };

	expect_error("ingest: { batch_size = 0; };\n", n);
}

static void test_missing_file(void)
{
	ih_config *cfg = NULL;
	ih_errors errs = { 0 };

	CU_ASSERT_EQUAL(ih_config_load("/nonexistent/ingesthost.conf", &cfg, &errs), -1);
	CU_ASSERT_EQUAL_FATAL(errs.n, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(errs.msg[0], "/nonexistent/ingesthost.conf: cannot read config file"));
	CU_ASSERT_PTR_NOT_NULL(strstr(errs.msg[0], "No such file"));
	ih_errors_clear(&errs);
}

static void test_syntax_error_line(void)
{
	static const char *const n[] = { ":3: syntax error", NULL };

	expect_error("cache: { ttl = 10; };\n\ningest: { interval = ; };\n", n);
}

static void test_plugin_common_key_type(void)
{
	static const char *const n[] = { ":1: plugins.scryfall: enabled must be a boolean", NULL };

	expect_error("plugins: { scryfall: { enabled = 1; }; };\n", n);
}

/* A plugin's own keys: found through its descriptor's table. */
static const ih_config_key own[] = {
	{ "token", IH_CFG_STRING, NULL, 1, 0, 1, 1, "API token" },
	{ "page_size", IH_CFG_INT, "100", 1, 1000, 0, 0, "rows per page" },
	{ NULL, IH_CFG_END, NULL, 0, 0, 0, 0, NULL },
};

static ih_plugin_descriptor desc = { IH_PLUGIN_DESCRIPTOR_HEAD, "mkt", "1", "mkt", "EUR", NULL,
				     IH_FETCH_CARD_LIST, NULL, NULL, NULL, own, "https://api.example/v2", 2.5,
				     86400, 0 };

static void test_bind_plugin_keys(void)
{
	ih_config *cfg = NULL;
	ih_errors errs = { 0 };
	ih_plugin_config *pc;
	long long v;
	double d;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;

	write_conf("ingest: { freshness = 600; max_retries = 5; };\n"
		   "plugins: { mkt: { token = \"s3cr3t-token\"; page_size = 20; }; };\n");
	CU_ASSERT_EQUAL_FATAL(ih_config_load(path, &cfg, &errs), 0);
	pc = ih_config_bind(cfg, "mkt", &desc, &errs);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pc);
	CU_ASSERT_STRING_EQUAL(ih_pc_string(pc, "token"), "s3cr3t-token");
	CU_ASSERT_EQUAL(ih_pc_int(pc, "page_size", &v), 0);
	CU_ASSERT_EQUAL(v, 20);
	CU_ASSERT_STRING_EQUAL(ih_pc_string(pc, "base_url"), "https://api.example/v2");
	CU_ASSERT_EQUAL(ih_pc_double(pc, "requests_per_second", &d), 0);
	CU_ASSERT_DOUBLE_EQUAL(d, 2.5, 1e-9);
	CU_ASSERT_EQUAL(ih_pc_int(pc, "freshness", &v), 0);
	CU_ASSERT_EQUAL(v, 86400); /* the plugin's default wins over ingest.freshness */
	CU_ASSERT_EQUAL(ih_pc_int(pc, "max_retries", &v), 0);
	CU_ASSERT_EQUAL(v, 5); /* from ingest.max_retries */
	CU_ASSERT_TRUE(ih_pc_enabled(pc));
	{
		/* the one resolved accessor agrees with the view */
		ih_plugin_settings ps;

		ih_pc_settings(pc, &ps);
		CU_ASSERT_EQUAL(ps.freshness, 86400);
		CU_ASSERT_EQUAL(ps.max_retries, 5);
		CU_ASSERT_DOUBLE_EQUAL(ps.requests_per_second, 2.5, 1e-9);
		CU_ASSERT_STRING_EQUAL(ps.base_url, "https://api.example/v2");
		CU_ASSERT_EQUAL(ps.timeout_ms, 30000);
		CU_ASSERT_TRUE(ps.enabled);
	}
	/* printing masks the secret */
	mem = open_memstream(&buf, &len);
	ih_plugin_config_print(pc, "mkt", mem);
	fclose(mem);
	CU_ASSERT_PTR_NULL(strstr(buf, "s3cr3t-token"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "token = \"********\""));
	free(buf);
	ih_plugin_config_free(pc);
	ih_config_free(cfg);
	unlink(path);
}

static void test_bind_unknown_and_missing(void)
{
	ih_config *cfg = NULL;
	ih_errors errs = { 0 };

	write_conf("plugins: {\n  mkt: {\n    tokn = \"x\";\n  };\n};\n");
	CU_ASSERT_EQUAL_FATAL(ih_config_load(path, &cfg, &errs), 0);
	CU_ASSERT_PTR_NULL(ih_config_bind(cfg, "mkt", &desc, &errs));
	CU_ASSERT_EQUAL_FATAL(errs.n, 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(errs.msg[0], ":3: unknown key 'tokn' in plugins.mkt"));
	CU_ASSERT_PTR_NOT_NULL(strstr(errs.msg[0], "valid keys: enabled, base_url"));
	CU_ASSERT_PTR_NOT_NULL(strstr(errs.msg[0], "token, page_size"));
	CU_ASSERT_PTR_NOT_NULL(strstr(errs.msg[1], "required key 'token' is missing"));
	ih_errors_clear(&errs);
	ih_config_free(cfg);
	unlink(path);
}

static void test_secrets_masked(void)
{
	ih_config *cfg = NULL;
	ih_errors errs = { 0 };
	char *buf = NULL, *m;
	size_t len = 0;
	FILE *mem;

	write_conf("database: { conninfo = \"host=db password=hunter2 dbname=p\"; };\n"
		   "redis: { password = \"redis-secret\"; };\n");
	CU_ASSERT_EQUAL_FATAL(ih_config_load(path, &cfg, &errs), 0);
	mem = open_memstream(&buf, &len);
	ih_config_print(cfg, mem);
	fclose(mem);
	CU_ASSERT_PTR_NULL(strstr(buf, "hunter2"));
	CU_ASSERT_PTR_NULL(strstr(buf, "redis-secret"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "dbname=p"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "password=***"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "  password = \"********\";")); /* redis */
	free(buf);
	m = ih_mask_conninfo("postgresql://u:pw@h/db");
	CU_ASSERT_STRING_EQUAL(m, "user=u password=*** dbname=db host=h");
	free(m);
	ih_config_free(cfg);
	unlink(path);
}

/* ih_mask_conninfo(in) is `want`, and no piece of `secret` shows. */
static void mask_case(const char *in, const char *want, const char *secret)
{
	char *m = ih_mask_conninfo(in);

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	if (want != NULL && strcmp(m, want) != 0)
		printf("\n  mask(%s)\n    = %s\n want %s\n", in, m, want);
	if (want != NULL)
		CU_ASSERT_STRING_EQUAL(m, want);
	/* every word of the secret, so "my secret pw" cannot leak as "secret pw" */
	if (secret != NULL) {
		char words[256], *save = NULL;

		snprintf(words, sizeof words, "%s", secret);
		for (char *w = strtok_r(words, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save)) {
			if (strstr(m, w) != NULL)
				printf("\n  mask(%s) = %s shows '%s'\n", in, m, w);
			CU_ASSERT_PTR_NULL(strstr(m, w));
		}
	}
	free(m);
}

static void test_mask_conninfo_forms(void)
{
	/* key=value, blanks around '=', quotes, escapes */
	mask_case("host=db password=hunter2 dbname=p", "password=*** dbname=p host=db", "hunter2");
	mask_case("host=db password='my secret pw' dbname=p", "password=*** dbname=p host=db", "my secret pw");
	mask_case("host = db password = 'my secret pw'  dbname = p", "password=*** dbname=p host=db", "my secret pw");
	mask_case("password = 'it\\'s a \\\\ trap' host=db", "password=*** host=db", "it\\'s trap");
	mask_case("password=zq\\ xv host=db", "password=*** host=db", "zq xv");
	mask_case("host=db sslpassword='kq zv' sslmode=verify-full", "host=db sslmode=verify-full sslpassword=***",
		  "kq zv");
	mask_case("password=qqq1 password=qqq2", "password=***", "qqq1 qqq2"); /* the last one wins, both hidden */
	/* values that need quoting keep it */
	mask_case("dbname='my db' application_name='it\\'s'", "dbname='my db' application_name='it\\'s'", NULL);
	mask_case("", "", NULL);
	mask_case(NULL, "", NULL);
	/* URIs: userinfo and query parameters */
	mask_case("postgresql://alice:s3cr3t@db.example:5433/prices?sslmode=require",
		  "user=alice password=*** dbname=prices host=db.example port=5433 sslmode=require", "s3cr3t");
	mask_case("postgres://alice:zq%20xv@db/prices", "user=alice password=*** dbname=prices host=db", "zq xv");
	mask_case("postgresql://db/prices?user=bob&password=qp-secret&sslpassword=qk-secret",
		  "user=bob password=*** dbname=prices host=db sslpassword=***", "qp-secret qk-secret");
	mask_case("postgresql://alice@h1:1,h2:2/db", "user=alice dbname=db host=h1,h2 port=1,2", NULL);
	/* a dbname that is itself a connection string */
	mask_case("dbname='host=x password=inner-pw'", "dbname='password=*** host=x'", "inner-pw");
	mask_case("dbname='postgresql://u:inner-pw@x/d'", "dbname='user=u password=*** dbname=d host=x'", "inner-pw");
	/* what libpq cannot parse is never shown */
	mask_case("host=db password='unterminated secret", "(unparsable conninfo, not shown)", "unterminated secret");
	mask_case("host=db password my-secret", "(unparsable conninfo, not shown)", "my-secret");
	mask_case("postgresql://u:pw-secret@[::1/db", "(unparsable conninfo, not shown)", "pw-secret");
	mask_case("nosuchkey=val-secret password=x", "(unparsable conninfo, not shown)", "val-secret");
}

/* Every key marked secret in a plugin's table is masked, whatever its type;
 * an empty one prints as empty (it shows the key is unset). */
static const ih_config_key secret_keys[] = {
	{ "api_secret", IH_CFG_STRING, NULL, 1, 0, 1, 0, "a secret string" },
	{ "empty_secret", IH_CFG_STRING, "", 1, 0, 1, 0, "an unset secret" },
	{ "pin", IH_CFG_INT, NULL, 1, 0, 1, 0, "a secret number" },
	{ "plain", IH_CFG_STRING, NULL, 1, 0, 0, 0, "not a secret" },
	{ NULL, IH_CFG_END, NULL, 0, 0, 0, 0, NULL },
};

static ih_plugin_descriptor secret_desc = { IH_PLUGIN_DESCRIPTOR_HEAD, "sec", "1", "sec", "EUR", NULL,
					    IH_FETCH_CARD_LIST, NULL, NULL, NULL, secret_keys, "https://api.example/v2",
					    1, 0, 0 };

static void test_plugin_secrets_masked(void)
{
	ih_config *cfg = NULL;
	ih_errors errs = { 0 };
	ih_plugin_config *pc;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;

	write_conf("plugins: { sec: { api_secret = \"str-secret-1\"; pin = 987654; plain = \"shown-value\"; }; };\n");
	CU_ASSERT_EQUAL_FATAL(ih_config_load(path, &cfg, &errs), 0);
	pc = ih_config_bind(cfg, "sec", &secret_desc, &errs);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pc);
	mem = open_memstream(&buf, &len);
	ih_plugin_config_print(pc, "sec", mem);
	fclose(mem);
	CU_ASSERT_PTR_NULL(strstr(buf, "str-secret-1"));
	CU_ASSERT_PTR_NULL(strstr(buf, "987654"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "api_secret = \"********\";"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "pin = ********;"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "empty_secret = \"\";"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "plain = \"shown-value\";"));
	free(buf);
	ih_plugin_config_free(pc);
	ih_config_free(cfg);
	unlink(path);
}

/* Every host key marked secret is masked by ih_config_print. */
static void test_host_secrets_masked(void)
{
	ih_config *cfg = NULL;
	ih_errors errs = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;

	write_conf("database: { conninfo = \"host=db password = 'my secret pw' dbname=p\"; };\n"
		   "redis: { password = \"redis pass word\"; };\n");
	CU_ASSERT_EQUAL_FATAL(ih_config_load(path, &cfg, &errs), 0);
	mem = open_memstream(&buf, &len);
	ih_config_print(cfg, mem);
	fclose(mem);
	CU_ASSERT_PTR_NULL(strstr(buf, "secret"));
	CU_ASSERT_PTR_NULL(strstr(buf, " pw"));
	CU_ASSERT_PTR_NULL(strstr(buf, "pass word"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "conninfo = \"password=*** dbname=p host=db\";"));
	free(buf);
	ih_config_free(cfg);
	unlink(path);
	/* an unparsable conninfo is not shown at all */
	write_conf("database: { conninfo = \"host=db password='open quote secret\"; };\n");
	CU_ASSERT_EQUAL_FATAL(ih_config_load(path, &cfg, &errs), 0);
	buf = NULL;
	mem = open_memstream(&buf, &len);
	ih_config_print(cfg, mem);
	fclose(mem);
	CU_ASSERT_PTR_NULL(strstr(buf, "secret"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "conninfo = \"(unparsable conninfo, not shown)\";"));
	free(buf);
	ih_config_free(cfg);
	unlink(path);
}

/* The shipped example passes the host-side checks. */
static void test_example_loads(void)
{
	char p[4096];
	ih_config *cfg = NULL;
	ih_errors errs = { 0 };

	snprintf(p, sizeof p, "%s/etc/ingesthost.conf.example", IH_TOP_SRCDIR);
	CU_ASSERT_EQUAL(ih_config_load(p, &cfg, &errs), 0);
	ih_errors_print(&errs, stdout);
	ih_errors_clear(&errs);
	ih_config_free(cfg);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{ "values and defaults", test_defaults_and_values },
		{ "unknown key names file:line and valid keys", test_unknown_key },
		{ "unknown group", test_unknown_group },
		{ "wrong type", test_wrong_type },
		{ "out of range", test_out_of_range },
		{ "missing file", test_missing_file },
		{ "syntax error with its line", test_syntax_error_line },
		{ "plugin section: common key type", test_plugin_common_key_type },
		{ "plugin's own keys bound with defaults", test_bind_plugin_keys },
		{ "plugin: unknown key and missing required key", test_bind_unknown_and_missing },
		{ "secrets masked when printed", test_secrets_masked },
		{ "conninfo masking: key=value, quotes, escapes, URIs, unparsable", test_mask_conninfo_forms },
		{ "host keys marked secret masked by ih_config_print", test_host_secrets_masked },
		{ "plugin keys marked secret masked, any type", test_plugin_secrets_masked },
		{ "etc/ingesthost.conf.example loads", test_example_loads },
		CU_TEST_INFO_NULL,
	};
	static CU_SuiteInfo suites[] = {
		{ "config", NULL, NULL, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};

	return ih_test_main(suites);
}
