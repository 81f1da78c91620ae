-- One row per plugin run that reached its end: what the host recorded about
-- it.  A bulk marketplace's freshness comes from its last completed run
-- (status 'ok', nothing unwritten), never from its newest snapshot row, so an
-- export that was cut short is fetched again at the next cycle.
CREATE TABLE ingest_runs (
	marketplace_id smallint NOT NULL REFERENCES marketplaces (id),
	plugin         text NOT NULL,
	cycle_time     timestamptz NOT NULL,
	ended_at       timestamptz NOT NULL DEFAULT now(),
	status         text NOT NULL,
	written        bigint NOT NULL,
	unwritten      bigint NOT NULL,
	PRIMARY KEY (marketplace_id, plugin, cycle_time)
);

CREATE INDEX ingest_runs_ok ON ingest_runs (marketplace_id, cycle_time DESC) WHERE status = 'ok' AND unwritten = 0;
