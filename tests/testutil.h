/*
 * testutil -- shared by the CUnit test binaries.
 *
 * Servers: scripts/check starts PostgreSQL and Redis and exports
 * IH_TEST_CONNINFO, IH_TEST_REDIS_PORT, IH_TEST_SERVERS (tests/servers.sh)
 * and IH_TEST_SERVERS_DIR.  A test that needs a server and finds none fails
 * when $CI is set and otherwise skips: it says so on stdout and the binary
 * exits 77 (automake's SKIP) unless something failed, so a test that did not
 * run is never reported as passed.  scripts/check fails on any SKIP.
 */
#ifndef IH_TESTUTIL_H
#define IH_TESTUTIL_H

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Tests of this binary that skipped; ih_test_main exits 77 when nonzero. */
static unsigned ih_test_nskipped;

/*
 * The calling test cannot run (`why`: what it lacks): say so, and count it,
 * so the binary exits 77 (SKIP) instead of 0.  Under $CI it fails instead:
 * there every prerequisite is provided.  The test returns after this.
 */
#define ih_test_skip(test, why) ih_test_skip_at((test), (why), __LINE__, __FILE__)
static inline void ih_test_skip_at(const char *test, const char *why, unsigned line, const char *file)
{
	if (getenv("CI") != NULL && *getenv("CI") != '\0') {
		char msg[512];

		snprintf(msg, sizeof msg, "%s: %s, but CI is set: run the suite through scripts/check", test, why);
		CU_assertImplementation(CU_FALSE, line, msg, file, "", CU_FALSE);
		return;
	}
	printf("\n  SKIP %s: %s\n", test, why);
	ih_test_nskipped++;
}

/* The conninfo of the test database, or NULL (test already failed/skipped). */
static inline const char *ih_test_conninfo_or_skip(const char *test)
{
	const char *c = getenv("IH_TEST_CONNINFO");

	if (c != NULL && *c != '\0')
		return c;
	ih_test_skip(test, "no PostgreSQL (IH_TEST_CONNINFO unset; run through scripts/check)");
	return NULL;
}

/* The Redis port of the test server, or 0 (test already failed/skipped). */
static inline int ih_test_redis_port_or_skip(const char *test)
{
	const char *p = getenv("IH_TEST_REDIS_PORT");

	if (p != NULL && atoi(p) > 0)
		return atoi(p);
	ih_test_skip(test, "no Redis (IH_TEST_REDIS_PORT unset; run through scripts/check)");
	return 0;
}

/* Run tests/servers.sh CMD on the suite's servers ("restart-pg", "stop-redis", ...). */
static inline int ih_test_servers(const char *cmd)
{
	const char *script = getenv("IH_TEST_SERVERS"), *dir = getenv("IH_TEST_SERVERS_DIR");
	char line[2048];

	if (script == NULL || dir == NULL)
		return -1;
	snprintf(line, sizeof line, "'%s' %s '%s'", script, cmd, dir);
	return system(line);
}

/*
 * A test binary that stops or restarts its servers runs on servers of its
 * own, so the binaries running beside it (make -j check) never see that:
 * start a PostgreSQL and a Redis with tests/servers.sh in a temp dir and
 * point this process's IH_TEST_* variables at them; they are stopped and
 * removed at exit.  Without IH_TEST_SERVERS nothing happens (the tests skip
 * or fail as usual).  Returns 0, or -1 when they could not start.
 */
static char ih_test_private_dir[64];

static inline void ih_test_private_stop(void)
{
	char line[2048];

	if (ih_test_private_dir[0] == '\0' || getenv("IH_TEST_SERVERS") == NULL)
		return;
	snprintf(line, sizeof line, "'%s' stop '%s/s' >/dev/null 2>&1; rm -rf '%s'", getenv("IH_TEST_SERVERS"),
		 ih_test_private_dir, ih_test_private_dir);
	if (system(line) != 0)
		fprintf(stderr, "could not remove the private servers in %s\n", ih_test_private_dir);
	ih_test_private_dir[0] = '\0';
}

static inline int ih_test_private_servers(void)
{
	const char *script = getenv("IH_TEST_SERVERS");
	char line[2048];
	FILE *f;
	int n = 0;

	if (script == NULL || *script == '\0')
		return 0;
	snprintf(ih_test_private_dir, sizeof ih_test_private_dir, "/tmp/ih-test-own.XXXXXX");
	/* 0755: as root the cluster belongs to the postgres user */
	if (mkdtemp(ih_test_private_dir) == NULL || chmod(ih_test_private_dir, 0755) != 0)
		return -1;
	atexit(ih_test_private_stop);
	snprintf(line, sizeof line, "'%s' start '%s/s' >/dev/null", script, ih_test_private_dir);
	if (system(line) != 0)
		return -1;
	snprintf(line, sizeof line, "%s/s/env", ih_test_private_dir);
	f = fopen(line, "r");
	while (f != NULL && fgets(line, sizeof line, f) != NULL) {
		char *eq = strchr(line, '='), *v, *end;

		if (strncmp(line, "export ", 7) != 0 || eq == NULL)
			continue;
		*eq = '\0';
		v = eq + 1;
		end = v + strlen(v);
		while (end > v && (end[-1] == '\n' || end[-1] == '"'))
			*--end = '\0';
		if (*v == '"')
			v++;
		setenv(line + 7, v, 1);
		n++;
	}
	if (f != NULL)
		fclose(f);
	return n >= 4 ? 0 : -1;
}

/*
 * Register `suites` and run them verbosely.  The exit status: 1 if anything
 * failed, else 77 (automake's SKIP) if any test skipped, else 0.
 */
static inline int ih_test_main(CU_SuiteInfo *suites)
{
	unsigned failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	if (CU_register_suites(suites) != CUE_SUCCESS) {
		fprintf(stderr, "cannot register suites: %s\n", CU_get_error_msg());
		return 99;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	if (CU_get_number_of_suites_failed() > 0)
		failed++;
	CU_cleanup_registry();
	if (failed)
		return 1;
	if (ih_test_nskipped > 0) {
		printf("\n%u test(s) skipped: exit 77 (SKIP), not a pass\n", ih_test_nskipped);
		return 77;
	}
	return 0;
}

#endif
