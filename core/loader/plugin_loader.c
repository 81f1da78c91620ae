#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/conf.h"
#include "loader/plugin_loader.h"

/* How long a child may take to load one file before it is called hung. */
#define PROBE_TIMEOUT_MS 10000

const char *ih_plugin_state_name(ih_plugin_state s)
{
	switch (s) {
	case IH_PS_OK: return "ok";
	case IH_PS_DISABLED: return "disabled";
	case IH_PS_ABI_MISMATCH: return "abi-mismatch";
	default: return "invalid";
	}
}

void ih_plugin_info_clear(ih_plugin_info *info)
{
	free(info->path);
	free(info->name);
	free(info->version);
	free(info->marketplace);
	free(info->currency);
	free(info->description);
	free(info->reason);
	memset(info, 0, sizeof *info);
}

static void set_reason(ih_plugin_info *info, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_reason(ih_plugin_info *info, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	free(info->reason);
	info->reason = strdup(buf);
}

static char *dup_bounded(const char *s)
{
	return s != NULL ? strndup(s, 256) : NULL;
}

static int valid_name(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

ih_plugin_state ih_plugin_check(const void *sym, ih_plugin_info *info)
{
	const ih_plugin_descriptor *d = sym;

	/* The most basic mismatch first, both values in one sentence. */
	if (d->magic != IH_PLUGIN_MAGIC) {
		set_reason(info, "bad magic 0x%08x in descriptor (expected 0x%08x): not an ingesthost plugin",
			   (unsigned)d->magic, (unsigned)IH_PLUGIN_MAGIC);
		return info->state = IH_PS_INVALID;
	}
	info->abi_major = d->abi_major;
	info->abi_minor = d->abi_minor;
	if (d->abi_major != IH_ABI_MAJOR) {
		set_reason(info, "plugin built for ABI %u.%u, host has ABI %d.%d (major versions differ): rebuild it",
			   d->abi_major, d->abi_minor, IH_ABI_MAJOR, IH_ABI_MINOR);
		return info->state = IH_PS_ABI_MISMATCH;
	}
	if (d->abi_minor > IH_ABI_MINOR) {
		/* same major: the 1.0 fields are where this host expects them */
		if (d->size >= IH_PLUGIN_DESCRIPTOR_SIZE_1_0 && valid_name(d->name)) {
			info->name = dup_bounded(d->name);
			info->version = dup_bounded(d->version);
			info->marketplace = dup_bounded(d->marketplace);
		}
		set_reason(info, "plugin built for ABI %u.%u, host has ABI %d.%d (plugin is newer): upgrade ingesthost",
			   d->abi_major, d->abi_minor, IH_ABI_MAJOR, IH_ABI_MINOR);
		return info->state = IH_PS_ABI_MISMATCH;
	}
	if (d->size < IH_PLUGIN_DESCRIPTOR_SIZE_1_0) {
		set_reason(info, "descriptor declares %u bytes, ABI %u.%u needs at least %zu", (unsigned)d->size,
			   d->abi_major, d->abi_minor, (size_t)IH_PLUGIN_DESCRIPTOR_SIZE_1_0);
		return info->state = IH_PS_INVALID;
	}
	/* Every field read below is within 1.0's size, checked above. */
	if (!valid_name(d->name)) {
		set_reason(info, "descriptor has no valid name (lower-case letters, digits, '-' and '_')");
		return info->state = IH_PS_INVALID;
	}
	info->name = dup_bounded(d->name);
	info->version = dup_bounded(d->version);
	info->marketplace = dup_bounded(d->marketplace);
	info->currency = dup_bounded(d->currency);
	info->description = dup_bounded(d->description);
	info->fetch_mode = (int)d->fetch_mode;
	if (d->version == NULL || d->version[0] == '\0') {
		set_reason(info, "descriptor has no version");
		return info->state = IH_PS_INVALID;
	}
	if (!valid_name(d->marketplace)) {
		set_reason(info, "descriptor has no valid marketplace slug");
		return info->state = IH_PS_INVALID;
	}
	if (d->currency == NULL || strlen(d->currency) != 3) {
		set_reason(info, "descriptor currency must be a 3-letter code");
		return info->state = IH_PS_INVALID;
	}
	if (d->fetch_mode != IH_FETCH_CARD_LIST && d->fetch_mode != IH_FETCH_BULK) {
		set_reason(info, "descriptor fetch_mode %d is neither card list (0) nor bulk (1)", (int)d->fetch_mode);
		return info->state = IH_PS_INVALID;
	}
	if (d->collect == NULL) {
		set_reason(info, "descriptor has no collect function");
		return info->state = IH_PS_INVALID;
	}
	return info->state = IH_PS_OK;
}

/* Turn a dlopen() error into a reason the operator can act on. */
static void dlopen_reason(ih_plugin_info *info, const char *path, const char *dlerr)
{
	size_t plen = strlen(path);

	if (dlerr == NULL)
		dlerr = "unknown error";
	/* dlerror() repeats the path; the listing shows it already */
	if (strncmp(dlerr, path, plen) == 0 && strncmp(dlerr + plen, ": ", 2) == 0)
		dlerr += plen + 2;
	if (strstr(dlerr, "undefined symbol") != NULL)
		set_reason(info, "unresolved symbol: %s (check it with: ldd -r %s)", dlerr, path);
	else if (strstr(dlerr, "invalid ELF header") != NULL || strstr(dlerr, "file too short") != NULL ||
		 strstr(dlerr, "not a dynamic") != NULL)
		set_reason(info, "not a shared object: %s", dlerr);
	else
		set_reason(info, "cannot load: %s", dlerr);
	info->state = IH_PS_INVALID;
}

/*
 * dlopen and check; on failure the library is closed again and info holds
 * the reason.  Returns the handle or NULL.
 */
static void *load_checked(const char *path, ih_plugin_info *info, const void **descp)
{
	void *dl, *sym;

	dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (dl == NULL) {
		dlopen_reason(info, path, dlerror());
		return NULL;
	}
	dlerror();
	sym = dlsym(dl, IH_PLUGIN_SYMBOL);
	if (sym == NULL) {
		set_reason(info, "missing descriptor symbol '%s'", IH_PLUGIN_SYMBOL);
		info->state = IH_PS_INVALID;
	} else if (ih_plugin_check(sym, info) == IH_PS_OK) {
		*descp = sym;
		return dl;
	}
	/* everything the messages need was copied into info */
	dlclose(dl);
	return NULL;
}

int ih_plugin_open(const char *path, ih_plugin_handle **out, char *err, size_t errlen)
{
	ih_plugin_handle *h;
	const void *desc = NULL;

	*out = NULL;
	h = calloc(1, sizeof *h);
	if (h == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	h->info.path = strdup(path);
	h->dl = load_checked(path, &h->info, &desc);
	if (h->dl == NULL) {
		snprintf(err, errlen, "%s: %s: %s", path, ih_plugin_state_name(h->info.state),
			 h->info.reason ? h->info.reason : "cannot load");
		ih_plugin_info_clear(&h->info);
		free(h);
		return -1;
	}
	h->desc = desc;
	*out = h;
	return 0;
}

void ih_plugin_close(ih_plugin_handle *h)
{
	if (h == NULL)
		return;
	if (h->dl != NULL)
		dlclose(h->dl);
	ih_plugin_info_clear(&h->info);
	free(h);
}

/* ---- probing in a child ----------------------------------------------- */

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
	load_checked(path, info, &desc);
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

/* Probe one file in a child process; fills info (path already set). */
static void probe(const char *path, ih_plugin_info *info)
{
	char buf[8192];
	size_t used = 0;
	int fds[2], status = 0, complete = 0, timed_out = 0;
	long deadline;
	pid_t pid;

	if (pipe(fds) != 0) {
		set_reason(info, "cannot probe: pipe: %s", strerror(errno));
		info->state = IH_PS_INVALID;
		return;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		set_reason(info, "cannot probe: fork: %s", strerror(errno));
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

		if (left <= 0) {
			timed_out = 1;
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&pfd, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
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
		set_reason(info, "hung while loading (killed after %d s)", PROBE_TIMEOUT_MS / 1000);
		info->state = IH_PS_INVALID;
	} else if (WIFSIGNALED(status)) {
		set_reason(info, "crashed while loading (signal %d)", WTERMSIG(status));
		info->state = IH_PS_INVALID;
	} else if (!complete) {
		set_reason(info, "crashed while loading (exited with status %d before reporting)",
			   WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		info->state = IH_PS_INVALID;
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ih_plugins_scan(const char *dir, const struct ih_config *cfg, ih_plugin_list *out, char *err, size_t errlen)
{
	DIR *d;
	struct dirent *de;
	char **files = NULL;
	size_t nfiles = 0;

	out->v = NULL;
	out->n = 0;
	d = opendir(dir);
	if (d == NULL) {
		snprintf(err, errlen, "cannot read plugin directory %s: %s (set plugins.dir in the config)", dir,
			 strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		char **f;

		if (len < 4 || strcmp(de->d_name + len - 3, ".so") != 0)
			continue;
		f = realloc(files, (nfiles + 1) * sizeof *f);
		if (f == NULL)
			break;
		files = f;
		files[nfiles++] = strdup(de->d_name);
	}
	closedir(d);
	if (nfiles > 0)
		qsort(files, nfiles, sizeof *files, cmp_str);
	out->v = calloc(nfiles ? nfiles : 1, sizeof *out->v);
	for (size_t i = 0; i < nfiles && out->v != NULL; i++) {
		ih_plugin_info *info = &out->v[out->n++];
		size_t len = strlen(dir) + strlen(files[i]) + 2;

		info->path = malloc(len);
		if (info->path != NULL)
			snprintf(info->path, len, "%s/%s", dir, files[i]);
		probe(info->path, info);
		if (info->state != IH_PS_OK || info->name == NULL)
			continue;
		for (size_t j = 0; j + 1 < out->n; j++) {
			if (out->v[j].name != NULL && strcmp(out->v[j].name, info->name) == 0 &&
			    (out->v[j].state == IH_PS_OK || out->v[j].state == IH_PS_DISABLED)) {
				set_reason(info, "duplicate: name '%s' is already provided by %s", info->name,
					   out->v[j].path);
				info->state = IH_PS_INVALID;
				break;
			}
		}
		if (info->state == IH_PS_OK && cfg != NULL && !ih_config_plugin_enabled(cfg, info->name)) {
			info->state = IH_PS_DISABLED;
			set_reason(info, "disabled in config (plugins.%s.enabled = false)", info->name);
		}
	}
	for (size_t i = 0; i < nfiles; i++)
		free(files[i]);
	free(files);
	return 0;
}

void ih_plugin_list_free(ih_plugin_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		ih_plugin_info_clear(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static const char *or_dash(const char *s)
{
	return s != NULL && *s ? s : "-";
}

void ih_plugin_list_print(const ih_plugin_list *l, FILE *f)
{
	fprintf(f, "%-14s %-9s %-5s %-12s %-40s %s\n", "NAME", "VERSION", "ABI", "MARKETPLACE", "PATH", "STATE");
	for (size_t i = 0; i < l->n; i++) {
		const ih_plugin_info *p = &l->v[i];
		char abi[32], state[600];

		if (p->abi_major || p->abi_minor)
			snprintf(abi, sizeof abi, "%u.%u", p->abi_major, p->abi_minor);
		else
			snprintf(abi, sizeof abi, "-");
		if (p->state == IH_PS_OK || p->state == IH_PS_DISABLED || p->reason == NULL)
			snprintf(state, sizeof state, "%s", ih_plugin_state_name(p->state));
		else
			snprintf(state, sizeof state, "%s: %s", ih_plugin_state_name(p->state), p->reason);
		fprintf(f, "%-14s %-9s %-5s %-12s %-40s %s\n", or_dash(p->name), or_dash(p->version), abi,
			or_dash(p->marketplace), p->path, state);
	}
	if (l->n == 0)
		fprintf(f, "(no plugins found)\n");
}

static void json_str(FILE *f, const char *s)
{
	if (s == NULL) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

void ih_plugin_list_print_json(const ih_plugin_list *l, FILE *f)
{
	fputc('[', f);
	for (size_t i = 0; i < l->n; i++) {
		const ih_plugin_info *p = &l->v[i];
		char abi[32];

		snprintf(abi, sizeof abi, "%u.%u", p->abi_major, p->abi_minor);
		fprintf(f, "%s\n  {\"name\": ", i ? "," : "");
		json_str(f, p->name);
		fprintf(f, ", \"version\": ");
		json_str(f, p->version);
		fprintf(f, ", \"abi\": ");
		json_str(f, p->abi_major || p->abi_minor ? abi : NULL);
		fprintf(f, ", \"marketplace\": ");
		json_str(f, p->marketplace);
		fprintf(f, ", \"currency\": ");
		json_str(f, p->currency);
		fprintf(f, ", \"fetch\": ");
		json_str(f, p->name == NULL ? NULL : p->fetch_mode == IH_FETCH_BULK ? "bulk" : "cards");
		fprintf(f, ", \"state\": ");
		json_str(f, ih_plugin_state_name(p->state));
		fprintf(f, ", \"reason\": ");
		json_str(f, p->reason);
		fprintf(f, ", \"path\": ");
		json_str(f, p->path);
		fputc('}', f);
	}
	fprintf(f, "%s]\n", l->n ? "\n" : "");
}
