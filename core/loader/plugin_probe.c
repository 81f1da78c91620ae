/*
 * plugin_probe -- one .so opened and checked in a child process, which
 * reports back over a pipe as "key=value" lines (GStreamer's plugin
 * scanner): a constructor that crashes, hangs or exits is named and set
 * aside instead of taking the host down.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "loader/loader_int.h"

/* How long a child may take to load one file before it is called hung. */
#define PROBE_TIMEOUT_MS 10000

/*
 * The child's report is a sequence of "key=value\n" lines ending with
 * "end=1\n".  Values never contain newlines (they are replaced).
 */
static void put(int fd, const char *key, const char *val)
{
	char line[768];
	int n;

	if (val == NULL)
		return;
	n = snprintf(line, sizeof line, "%s=%s", key, val);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line - 1)
		n = (int)sizeof line - 2;
	for (int i = 0; i < n; i++)
		if (line[i] == '\n')
			line[i] = ' ';
	line[n++] = '\n';
	(void)!write(fd, line, (size_t)n);
}

static void __attribute__((noreturn)) probe_child(const char *path, int fd)
{
	static ih_plugin_info found;
	ih_plugin_info *info;
	const void *desc = NULL;
	char num[32];
	struct sigaction sa;
	int devnull;

	/* Let a crash be a crash (sanitizers install their own handlers). */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	sigaction(SIGABRT, &sa, NULL);
	/* A constructor's output must not reach the listing on stdout. */
	devnull = open("/dev/null", O_WRONLY);
	if (devnull >= 0) {
		dup2(devnull, STDOUT_FILENO);
		close(devnull);
	}
	info = &found;
	ih_plugin_load_checked(path, info, &desc);
	snprintf(num, sizeof num, "%d", (int)info->state);
	put(fd, "state", num);
	put(fd, "reason", info->reason);
	put(fd, "name", info->name);
	put(fd, "version", info->version);
	put(fd, "marketplace", info->marketplace);
	put(fd, "currency", info->currency);
	put(fd, "description", info->description);
	snprintf(num, sizeof num, "%u", info->abi_major);
	put(fd, "abi_major", num);
	snprintf(num, sizeof num, "%u", info->abi_minor);
	put(fd, "abi_minor", num);
	snprintf(num, sizeof num, "%d", info->fetch_mode);
	put(fd, "fetch_mode", num);
	put(fd, "end", "1");
	/* no atexit handlers, no destructors of the parent's state */
	_exit(0);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void parse_report(char *buf, ih_plugin_info *info, int *complete)
{
	char *save = NULL;

	*complete = 0;
	for (char *line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		const char *v;

		if (eq == NULL)
			continue;
		*eq = '\0';
		v = eq + 1;
		if (strcmp(line, "state") == 0)
			info->state = (ih_plugin_state)atoi(v);
		else if (strcmp(line, "reason") == 0)
			info->reason = strdup(v);
		else if (strcmp(line, "name") == 0)
			info->name = strdup(v);
		else if (strcmp(line, "version") == 0)
			info->version = strdup(v);
		else if (strcmp(line, "marketplace") == 0)
			info->marketplace = strdup(v);
		else if (strcmp(line, "currency") == 0)
			info->currency = strdup(v);
		else if (strcmp(line, "description") == 0)
			info->description = strdup(v);
		else if (strcmp(line, "abi_major") == 0)
			info->abi_major = (unsigned)atoi(v);
		else if (strcmp(line, "abi_minor") == 0)
			info->abi_minor = (unsigned)atoi(v);
		else if (strcmp(line, "fetch_mode") == 0)
			info->fetch_mode = atoi(v);
		else if (strcmp(line, "end") == 0)
			*complete = 1;
	}
}

void ih_plugin_probe(const char *path, ih_plugin_info *info)
{
	char buf[8192];
	size_t used = 0;
	int fds[2], status = 0, complete = 0, timed_out = 0;
	long deadline;
	pid_t pid;

	if (pipe(fds) != 0) {
		ih_plugin_set_reason(info, "cannot probe: pipe: %s", strerror(errno));
		info->state = IH_PS_INVALID;
		return;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		ih_plugin_set_reason(info, "cannot probe: fork: %s", strerror(errno));
		info->state = IH_PS_INVALID;
		return;
	}
	if (pid == 0) {
		close(fds[0]);
		probe_child(path, fds[1]);
	}
	close(fds[1]);
	deadline = now_ms() + PROBE_TIMEOUT_MS;
	for (;;) {
		struct pollfd pfd = { fds[0], POLLIN, 0 };
		long left = deadline - now_ms();
		ssize_t r;
		int ready;

		if (left <= 0) {
			timed_out = 1;
			kill(pid, SIGKILL);
			break;
		}
		ready = poll(&pfd, 1, (int)left);

		if (ready < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (ready == 0)
			continue; /* the deadline, checked above: never a read that blocks */
		r = read(fds[0], buf + used, sizeof buf - 1 - used);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		used += (size_t)r;
		if (used >= sizeof buf - 1)
			break;
	}
	close(fds[0]);
	buf[used] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	parse_report(buf, info, &complete);
	if (timed_out) {
		ih_plugin_set_reason(info, "hung while loading (killed after %d s)", PROBE_TIMEOUT_MS / 1000);
		info->state = IH_PS_INVALID;
	} else if (WIFSIGNALED(status)) {
		ih_plugin_set_reason(info, "crashed while loading (signal %d)", WTERMSIG(status));
		info->state = IH_PS_INVALID;
	} else if (!complete) {
		ih_plugin_set_reason(info, "crashed while loading (exited with status %d before reporting)",
			   WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		info->state = IH_PS_INVALID;
	}
}

