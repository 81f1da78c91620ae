/*
 * fixtures -- a temporary plugin directory holding chosen fixture plugins
 * (symlinks to tests/plugins/.libs/NAME.so; "not_elf" is a text file).
 */
#ifndef IH_TEST_FIXTURES_H
#define IH_TEST_FIXTURES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline int ih_fixture_add(const char *dir, const char *name, const char *as)
{
	char src[4096], dst[4096];

	snprintf(dst, sizeof dst, "%s/%s.so", dir, as != NULL ? as : name);
	if (strcmp(name, "not_elf") == 0) {
		FILE *f = fopen(dst, "w");

		if (f == NULL)
			return -1;
		fputs("This is a text file named like a plugin.\n", f);
		return fclose(f);
	}
	snprintf(src, sizeof src, "%s/tests/plugins/.libs/%s.so", IH_TOP_BUILDDIR, name);
	return symlink(src, dst);
}

/* mkdtemp a dir and link each NULL-terminated name into it; caller frees. */
static inline char *ih_fixture_dir(const char *const *names)
{
	char *dir = strdup("/tmp/ih-fixtures.XXXXXX");

	if (dir == NULL || mkdtemp(dir) == NULL) {
		free(dir);
		return NULL;
	}
	for (; *names != NULL; names++)
		if (ih_fixture_add(dir, *names, NULL) != 0) {
			free(dir);
			return NULL;
		}
	return dir;
}

static inline void ih_fixture_dir_remove(char *dir)
{
	char cmd[4200];

	if (dir == NULL)
		return;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	free(dir);
}

#endif
