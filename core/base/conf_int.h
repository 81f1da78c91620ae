/*
 * conf_int -- what conf.c, conf_bind.c and conf_print.c share: the key
 * tables and typed values.  Internal to core/base.
 */
#ifndef IH_CONF_INT_H
#define IH_CONF_INT_H

#include <stddef.h>
#include "base/conf.h"

#define NORANGE 1, 0

/* A value of any key type. */
typedef struct typed {
	char *s;
	long long i;
	double d;
} typed;

/* One host key: its group, its spec and where it lands in ih_config. */
typedef struct host_key {
	const char *group;
	ih_config_key k;
	size_t off;
} host_key;

extern const host_key ih_conf_host_keys[];
extern const size_t ih_conf_nhost_keys;
extern const char *const ih_conf_groups[]; /* NULL-terminated */
#define IH_CONF_NGROUPS 7
/* Keys every plugin section accepts; defaults resolved in ih_config_bind. */
extern const ih_config_key ih_conf_common_keys[];

const char *ih_conf_type_name(ih_config_type t);
/* Append "a, b, c" of keys to buf. */
void ih_conf_append_keys(const ih_config_key *keys, char *buf, size_t len);
/* Parse a key's default written as text into *v (zeroed first). */
void ih_conf_parse_default(const ih_config_key *k, typed *v);

/* A plugin's view: one entry per key. */
typedef struct pc_entry {
	const ih_config_key *k;
	typed v;
	int set; /* has a value (from the file or a default) */
} pc_entry;

struct ih_plugin_config {
	pc_entry *e;
	size_t n;
};

#endif
