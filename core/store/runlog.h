/*
 * runlog -- the host's record of plugin runs that reached their end
 * (table ingest_runs, sql/002_runs.sql).  A bulk marketplace's freshness
 * comes from its last completed run, never from its newest snapshot, so an
 * export cut short by an outage is fetched again.  One statement each; any
 * thread, one connection per thread.
 */
#ifndef IH_RUNLOG_H
#define IH_RUNLOG_H

#include <stddef.h>
#include <stdint.h>
#include <libpq-fe.h>

/* Record a run of `plugin` on marketplace_id, of the cycle cycle_time. */
int ih_runlog_record(PGconn *c, int16_t marketplace_id, const char *plugin, const char *cycle_time,
		     const char *status, long written, long unwritten, char *err, size_t errlen);

/*
 * *fresh = 1 when marketplace_id had a completed run (status ok, nothing
 * unwritten) whose cycle began less than freshness_seconds before now_iso.
 */
int ih_runlog_fresh(PGconn *c, int16_t marketplace_id, long freshness_seconds, const char *now_iso, int *fresh,
		    char *err, size_t errlen);

/*
 * The plugins whose latest recorded run has status `status` (e.g.
 * "quarantined"): *names (malloc'd array of malloc'd strings, *n of them)
 * and, in the same order, the cycle times of those runs (*times).  Free
 * with ih_runlog_names_free.  0, or -1 with err set.
 */
int ih_runlog_latest_with(PGconn *c, const char *status, char ***names, char ***times, size_t *n, char *err,
			  size_t errlen);
void ih_runlog_names_free(char **names, char **times, size_t n);

#endif
