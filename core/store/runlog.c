#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pgexec.h"
#include "store/runlog.h"

int ih_runlog_record(PGconn *c, int16_t marketplace_id, const char *plugin, const char *cycle_time,
		     const char *status, long written, long unwritten, char *err, size_t errlen)
{
	char mid[16], w[24], u[24];
	const char *params[6] = { mid, plugin, cycle_time, status, w, u };

	snprintf(mid, sizeof mid, "%d", (int)marketplace_id);
	snprintf(w, sizeof w, "%ld", written);
	snprintf(u, sizeof u, "%ld", unwritten);
	return ih_pg_exec(c,
			 "INSERT INTO ingest_runs (marketplace_id, plugin, cycle_time, status, written, unwritten) "
			 "VALUES ($1::smallint, $2, $3::timestamptz, $4, $5::bigint, $6::bigint) "
			 "ON CONFLICT (marketplace_id, plugin, cycle_time) DO UPDATE SET ended_at = now(), "
			 "status = EXCLUDED.status, written = ingest_runs.written + EXCLUDED.written, "
			 "unwritten = EXCLUDED.unwritten",
			  6, params, PGRES_COMMAND_OK, NULL, "recording the run", err, errlen);
}

int ih_runlog_latest_with(PGconn *c, const char *status, char ***names, char ***times, size_t *n, char *err,
			  size_t errlen)
{
	const char *params[1] = { status };
	PGresult *r;
	int k;

	*names = *times = NULL;
	*n = 0;
	if (ih_pg_exec(c,
		       "SELECT plugin, to_char(cycle_time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
		       "FROM (SELECT DISTINCT ON (plugin) plugin, cycle_time, status FROM ingest_runs "
		       "ORDER BY plugin, cycle_time DESC) last WHERE status = $1",
		       1, params, PGRES_TUPLES_OK, &r, "reading the latest runs", err, errlen) != 0)
		return -1;
	k = PQntuples(r);
	*names = calloc((size_t)k + 1, sizeof **names);
	*times = calloc((size_t)k + 1, sizeof **times);
	if (*names == NULL || *times == NULL) {
		PQclear(r);
		ih_runlog_names_free(*names, *times, 0);
		*names = *times = NULL;
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (int i = 0; i < k; i++) {
		(*names)[i] = strdup(PQgetvalue(r, i, 0));
		(*times)[i] = strdup(PQgetvalue(r, i, 1));
		if ((*names)[i] == NULL || (*times)[i] == NULL)
			break;
		*n = (size_t)i + 1;
	}
	PQclear(r);
	return 0;
}

void ih_runlog_names_free(char **names, char **times, size_t n)
{
	(void)n; /* the arrays end with a NULL: a partial fill is freed too */
	for (size_t i = 0; names != NULL && times != NULL && names[i] != NULL; i++) {
		free(names[i]);
		free(times[i]);
	}
	free(names);
	free(times);
}

int ih_runlog_fresh(PGconn *c, int16_t marketplace_id, long freshness_seconds, const char *now_iso, int *fresh,
		    char *err, size_t errlen)
{
	char mid[16], secs[24];
	const char *params[3] = { mid, secs, now_iso };
	PGresult *r;

	snprintf(mid, sizeof mid, "%d", (int)marketplace_id);
	snprintf(secs, sizeof secs, "%ld", freshness_seconds);
	if (ih_pg_exec(c,
		       "SELECT EXISTS (SELECT 1 FROM ingest_runs WHERE marketplace_id = $1::smallint "
			 "AND status = 'ok' AND unwritten = 0 "
			 "AND cycle_time > coalesce($3::timestamptz, now()) - make_interval(secs => $2::bigint))",
		       3, params, PGRES_TUPLES_OK, &r, "reading the last completed run", err, errlen) != 0)
		return -1;
	*fresh = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	return 0;
}
