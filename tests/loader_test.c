/* The plugin scanner and loader against every fixture plugin. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

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

/* ---- a constructor that never returns ------------------------------------ */

/*
 * The probe kills a child that has not reported after 10 s
 * (core/loader/plugin_probe.c, PROBE_TIMEOUT_MS).  The scan and the
 * command line run in child processes of their own process groups, both at
 * once, watched here for the bound plus slack (a loaded machine, the
 * sanitizer build): if the probe's bound does not hold, the test fails at
 * that point and kills the groups (the hung probe with them) instead of
 * hanging the suite.
 */
#define HANG_BOUND_S 10.0
#define HANG_SLACK_S 15.0

typedef struct watched {
	pid_t pid;
	int fd, status, eof;
	size_t n;
	char out[16384];
} watched;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Fork a child in a process group of its own, its stdout and stderr into w->fd. */
static pid_t watched_fork(watched *w)
{
	int p[2];

	memset(w, 0, sizeof *w);
	w->fd = -1;
	w->status = -1;
	if (pipe(p) != 0)
		return -1;
	fflush(stdout);
	fflush(stderr);
	w->pid = fork();
	if (w->pid == 0) {
		setpgid(0, 0);
		close(p[0]);
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[1]);
		return 0;
	}
	close(p[1]);
	if (w->pid < 0) {
		close(p[0]);
		return -1;
	}
	setpgid(w->pid, w->pid);
	w->fd = p[0];
	return w->pid;
}

/* Read every child's output until EOF or `deadline`; then kill the groups
 * still running and reap them.  Returns how many had to be killed. */
static int watched_wait(watched *w, size_t n, double deadline)
{
	int killed = 0;

	for (;;) {
		struct pollfd pfd[2];
		watched *of[2];
		size_t i, open = 0;
		double left = deadline - now_s();

		for (i = 0; i < n && open < 2; i++)
			if (!w[i].eof) {
				pfd[open].fd = w[i].fd;
				pfd[open].events = POLLIN;
				pfd[open].revents = 0;
				of[open++] = &w[i];
			}
		if (open == 0 || left <= 0)
			break;
		if (poll(pfd, (nfds_t)open, (int)(left * 1000) + 1) < 0 && errno != EINTR)
			break;
		for (i = 0; i < open; i++) {
			ssize_t r;

			if (pfd[i].revents == 0)
				continue; /* never a read that could block */
			r = read(of[i]->fd, of[i]->out + of[i]->n, sizeof of[i]->out - 1 - of[i]->n);
			if (r > 0)
				of[i]->n += (size_t)r;
			else if (r == 0 || errno != EINTR)
				of[i]->eof = 1;
			of[i]->out[of[i]->n] = '\0';
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (!w[i].eof) {
			kill(-w[i].pid, SIGKILL);
			killed++;
		}
		close(w[i].fd);
		while (waitpid(w[i].pid, &w[i].status, 0) < 0 && errno == EINTR)
			;
	}
	return killed;
}

static void test_ctor_hang(void)
{
	static const char *const names[] = { "good", "ctor_segv", "ctor_hang", NULL };
	char *hdir = ih_fixture_dir(names), conf[4200], err[512], *row;
	watched w[2];
	double t0, secs;
	FILE *f;
	int killed;

	CU_ASSERT_PTR_NOT_NULL_FATAL(hdir);
	snprintf(conf, sizeof conf, "%s/ih.conf.txt", hdir);
	f = fopen(conf, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f, "plugins: { dir = \"%s\"; };\n", hdir);
	fclose(f);
	t0 = now_s();
	/* the scan, in-process in a child: one line per file */
	if (watched_fork(&w[0]) == 0) {
		ih_plugin_list l;

		if (ih_plugins_scan(hdir, NULL, &l, err, sizeof err) != 0) {
			printf("scan failed: %s\n", err);
			_exit(1);
		}
		for (size_t i = 0; i < l.n; i++)
			printf("%s|%s|%s\n", strrchr(l.v[i].path, '/') + 1, ih_plugin_state_name(l.v[i].state),
			       l.v[i].reason != NULL ? l.v[i].reason : "");
		fflush(stdout);
		_exit(0);
	}
	/* the command line on the same dir */
	if (watched_fork(&w[1]) == 0) {
		char bin[4200];

		snprintf(bin, sizeof bin, "%s/ingesthost", IH_TOP_BUILDDIR);
		execl(bin, bin, "-c", conf, "--list-plugins", (char *)NULL);
		_exit(127);
	}
	CU_ASSERT_FATAL(w[0].pid > 0 && w[1].pid > 0);
	killed = watched_wait(w, 2, t0 + HANG_BOUND_S + HANG_SLACK_S);
	secs = now_s() - t0;
	printf("\n  both listings done in %.1f s (probe bound %.0f s) ", secs, HANG_BOUND_S);
	if (killed > 0)
		printf("\n  the probe's bound did not hold: %d listing(s) still running after %.0f s, killed\n", killed,
		       HANG_BOUND_S + HANG_SLACK_S);
	CU_ASSERT_EQUAL(killed, 0);
	CU_ASSERT(secs >= HANG_BOUND_S - 0.5);

	/* ih_plugins_scan: invalid, the reason names the hang and the bound */
	CU_ASSERT(WIFEXITED(w[0].status) && WEXITSTATUS(w[0].status) == 0);
	if (strstr(w[0].out, "ctor_hang.so|invalid|hung while loading (killed after 10 s)") == NULL)
		printf("\n  the scan said:\n%s\n", w[0].out);
	CU_ASSERT_PTR_NOT_NULL(strstr(w[0].out, "ctor_hang.so|invalid|hung while loading (killed after 10 s)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(w[0].out, "good.so|ok|"));
	CU_ASSERT_PTR_NOT_NULL(strstr(w[0].out, "ctor_segv.so|invalid|crashed while loading (signal 11)"));

	/* --list-plugins: the same row, exit 0 */
	CU_ASSERT(WIFEXITED(w[1].status) && WEXITSTATUS(w[1].status) == 0);
	row = strstr(w[1].out, "/ctor_hang.so ");
	if (row == NULL || strstr(row, "invalid: hung while loading (killed after 10 s)") == NULL)
		printf("\n  --list-plugins said:\n%s\n", w[1].out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(row);
	CU_ASSERT_PTR_NOT_NULL(strstr(row, "invalid: hung while loading (killed after 10 s)"));
	ih_fixture_dir_remove(hdir);
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
		{ "constructor hangs: killed at the probe's bound", test_ctor_hang },
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
