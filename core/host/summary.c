#include "config.h"

#include <json-c/json.h>
#include <stddef.h>
#include <string.h>

#include "host/dispatch.h"
#include "host/summary.h"
#include "base/log.h"

void ih_cycle_print_table(const ih_cycle *c, FILE *f)
{
	fprintf(f, "cycle %s, %.2f s\n", c->time, c->seconds);
	fprintf(f, "%-12s %9s %6s %6s %7s %8s %9s %9s %8s %8s %7s %8s  %-12s %s\n", "PLUGIN", "REQUESTED",
		"CACHED", "FRESH", "FETCHED", "WRITTEN", "UNWRITTEN", "UNMATCHED", "REJECTED", "REQUESTS", "RETRIES",
		"SECONDS", "STATUS", "ERROR");
	for (size_t i = 0; i < c->n; i++) {
		const ih_run_stats *r = &c->runs[i];
		char err[sizeof r->error];

		/* one line per plugin, whatever the error text holds */
		snprintf(err, sizeof err, "%s", r->error[0] ? r->error : "-");
		for (char *p = err; *p; p++)
			if (*p == '\n' || *p == '\r' || *p == '\t')
				*p = ' ';
		fprintf(f, "%-12s %9ld %6ld %6ld %7ld %8ld %9ld %9ld %8ld %8ld %7ld %8.2f  %-12s %s\n", r->name,
			r->requested, r->cache_hits, r->fresh, r->fetched, r->written, r->unwritten, r->unmatched,
			r->rejected, r->requests, r->retries, r->seconds, r->status, err);
	}
}

/* The counters of a run, in the order CONTRACT §2 lists them. */
static const struct {
	const char *name;
	size_t off;
} counts[] = {
#define COUNT(f) { #f, offsetof(ih_run_stats, f) }
	COUNT(requested), COUNT(cache_hits), COUNT(fresh), COUNT(fetched), COUNT(written), COUNT(unwritten),
	COUNT(cached_rows), COUNT(unmatched), COUNT(rejected), COUNT(not_found), COUNT(requests), COUNT(retries),
#undef COUNT
};

static json_object *cycle_json(const ih_cycle *c)
{
	json_object *o = json_object_new_object(), *arr = json_object_new_array();

	json_object_object_add(o, "cycle_time", json_object_new_string(c->time));
	json_object_object_add(o, "seconds", json_object_new_double(c->seconds));
	for (size_t i = 0; i < c->n; i++) {
		const ih_run_stats *r = &c->runs[i];
		json_object *p = json_object_new_object();

		json_object_object_add(p, "name", json_object_new_string(r->name));
		json_object_object_add(p, "status", json_object_new_string(r->status));
		json_object_object_add(p, "error", r->error[0] ? json_object_new_string(r->error) : NULL);
		for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++)
			json_object_object_add(p, counts[k].name,
					       json_object_new_int64(*(const long *)(const void *)((const char *)r +
												   counts[k].off)));
		json_object_object_add(p, "seconds", json_object_new_double(r->seconds));
		json_object_array_add(arr, p);
	}
	json_object_object_add(o, "plugins", arr);
	return o;
}

void ih_cycle_print_json(const ih_cycle *c, FILE *f)
{
	json_object *o = cycle_json(c);

	fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

void ih_cycle_log(const ih_cycle *c)
{
	json_object *o = cycle_json(c);

	ih_notice("cycle summary %s", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}
