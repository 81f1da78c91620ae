/*
 * replay -- a plain main() for a libFuzzer harness (#14): every file named,
 * and every file of every directory named, goes through the harness's
 * LLVMFuzzerTestOneInput once, in name order.  No libFuzzer needed: the
 * normal and sanitizer builds link it with each harness, and `make check`
 * (tests/fuzz/replay.sh) runs it over the corpora, the seeds and the past
 * crash reproducers.  A harness's sink check aborts, so a regression fails.
 *
 *   replay_NAME [-v] PATH...     replay files and directories
 *   replay_NAME --selftest       fail on purpose (shows a failure is seen)
 *
 * A directory that does not exist counts as empty; no input at all is an
 * error (a wrong path must not pass).  Files whose names start with '.' or
 * are README* are skipped.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int verbose;
static long inputs;

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, got;

	if (f == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (len == cap) {
			uint8_t *b;

			cap = cap ? 2 * cap : 65536;
			b = realloc(buf, cap);
			if (b == NULL) {
				fprintf(stderr, "replay: %s: out of memory\n", path);
				free(buf);
				fclose(f);
				return -1;
			}
			buf = b;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	fclose(f);
	if (verbose)
		fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
	{
		/* exactly len bytes, so the sanitizers see a read past the end */
		uint8_t *exact = malloc(len ? len : 1);

		if (exact == NULL) {
			free(buf);
			return -1;
		}
		if (len > 0)
			memcpy(exact, buf, len);
		free(buf);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	inputs++;
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int skipped(const char *name)
{
	return name[0] == '.' || strncmp(name, "README", 6) == 0;
}

static int run_path(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	if (stat(path, &st) != 0)
		return errno == ENOENT ? 0 : (fprintf(stderr, "replay: %s: %s\n", path, strerror(errno)), -1);
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	d = opendir(path);
	if (d == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (skipped(e->d_name))
			continue;
		if (n == cap) {
			char **v;

			cap = cap ? 2 * cap : 64;
			v = realloc(names, cap * sizeof *names);
			if (v == NULL)
				abort();
			names = v;
		}
		names[n] = malloc(strlen(path) + strlen(e->d_name) + 2);
		if (names[n] == NULL)
			abort();
		sprintf(names[n], "%s/%s", path, e->d_name);
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof *names, cmp_names);
	for (size_t i = 0; i < n; i++) {
		if (rc == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
			rc = run_file(names[i]);
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	int first = 1;

	if (argc > 1 && strcmp(argv[1], "--selftest") == 0)
		FUZZ_CHECK(0, "--selftest: a failed sink check must fail the replay");
	if (argc > 1 && strcmp(argv[1], "-v") == 0) {
		verbose = 1;
		first = 2;
	}
	if (first >= argc) {
		fprintf(stderr, "usage: %s [-v] FILE|DIR... | --selftest\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = first; i < argc; i++)
		if (run_path(argv[i]) != 0)
			return 1;
	if (inputs == 0) {
		fprintf(stderr, "replay %s: no input found in the paths given\n", FUZZ_NAME);
		return 1;
	}
	printf("replay %s: %ld inputs passed\n", FUZZ_NAME, inputs);
	return 0;
}
