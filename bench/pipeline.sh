#!/usr/bin/env bash
# make bench: the old pipeline against the new one, on the bundled simulator,
# a fresh database each run.  Writes bench/REPORT.md (in the build tree) and
# prints it.
#   BENCH_CARDS (5000) BENCH_LATENCY (ms per request, 20) BENCH_RUNS (3)
#   BENCH_OLD_RUNS (BENCH_RUNS; 0 skips the old pipeline) BENCH_GROWTH ("500 5000 50000", "" for none)
#   BENCH_RPS (1000)
set -euo pipefail
build=${1:?build dir}
src=${2:?source dir}
cards=${BENCH_CARDS:-5000}
latency=${BENCH_LATENCY:-20}
runs=${BENCH_RUNS:-3}
old_runs=${BENCH_OLD_RUNS:-$runs}
growth=${BENCH_GROWTH-500 5000 50000}
rps=${BENCH_RPS:-1000}
bin="$build/ingesthost"
sim="$build/tests/mockmarket/ingest-mockmarket"
old="$build/bench/oldpipe"
work=$(mktemp -d /tmp/ih-bench.XXXXXX)
chmod 755 "$work"
report="$build/bench/REPORT.md"
sim_pid=

cleanup() {
	[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
	[ -n "${own_servers:-}" ] && "$src/tests/servers.sh" stop "$work/servers" >/dev/null 2>&1 || true
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT INT TERM

if [ -z "${IH_TEST_CONNINFO:-}" ]; then
	echo "==> starting PostgreSQL (durable settings) and Redis under $work/servers" >&2
	"$src/tests/servers.sh" start "$work/servers" --bench >/dev/null
	own_servers=1
	. "$work/servers/env"
fi
admin="$IH_TEST_CONNINFO"
db="$IH_TEST_CONNINFO dbname=ih_bench"
psqlq() { psql "$db" -X -qAt -c "$1"; }

start_sim() { # cards
	[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null || true
	rm -f "$work/sim.port"
	"$sim" --cards "$1" --seed 7 --latency "$latency" --port 0 --port-file "$work/sim.port" >/dev/null 2>&1 &
	sim_pid=$!
	for _ in $(seq 1 200); do [ -s "$work/sim.port" ] && break; sleep 0.05; done
	port=$(cat "$work/sim.port")
	base="http://127.0.0.1:$port"
	cat > "$work/ih.conf" <<CONF
database: { conninfo = "$db"; pool_size = 8; };
redis: { port = $IH_TEST_REDIS_PORT; db = 7; };
ingest: { cards_per_cycle = $1; batch_size = 500; };
plugins: {
  dir = "$work/plugins";
  scryfall:   { base_url = "$base/scryfall"; requests_per_second = $rps.0; };
  cardtrader: { base_url = "$base/cardtrader/api/v2"; token = "sim-token"; requests_per_second = $rps.0; };
  tcgplayer:  { base_url = "$base/tcgplayer"; public_key = "sim-public"; private_key = "sim-private"; requests_per_second = $rps.0; };
  manapool:   { base_url = "$base/manapool/api/v1"; requests_per_second = $rps.0; };
};
CONF
}

fresh_db() { # cards
	psql "$admin" -X -qAt -c "DROP DATABASE IF EXISTS ih_bench" -c "CREATE DATABASE ih_bench" >/dev/null
	psqlq "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
	"$bin" -c "$work/ih.conf" --migrate -q >/dev/null
	"$sim" --cards "$1" --seed 7 --seed-db "$db" 2>/dev/null
	redis-cli -p "$IH_TEST_REDIS_PORT" -n 7 FLUSHDB >/dev/null
}

reset_counters() {
	psqlq "SELECT pg_stat_statements_reset()" >/dev/null
	curl -s -X POST "$base/_control/reset" >/dev/null
}

# Statements this run sent (pg_stat_statements of the bench db, without our own probes).
statements() {
	psqlq "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
	       WHERE d.datname = 'ih_bench' AND s.toplevel AND query NOT ILIKE '%pg_stat_statements%'"
}
writes() {
	psqlq "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
	       WHERE d.datname = 'ih_bench' AND (query ILIKE 'INSERT INTO price_snapshots%'
	              OR query ILIKE 'WITH u AS (SELECT * FROM %')"
}
# COPY statements into the staging tables (the COPY path of the writes).
copies() {
	psqlq "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
	       WHERE d.datname = 'ih_bench' AND query ILIKE 'COPY ih_stage_snap%'"
}
# Server time of the snapshot writes, seconds: the write statements, their
# staging DDL and COPY, and explicit COMMITs (an autocommitted statement's
# own commit is not in pg_stat_statements, which favours the older code).
write_secs() {
	psqlq "SELECT round(coalesce(sum(total_exec_time), 0)::numeric / 1000, 2) FROM pg_stat_statements s
	       JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = 'ih_bench' AND s.toplevel
	       AND (query ILIKE 'INSERT INTO price_snapshots%' OR query ILIKE 'WITH u AS (SELECT * FROM %'
	            OR query ILIKE 'COPY ih_stage_snap%' OR query ILIKE '%CREATE TEMP TABLE IF NOT EXISTS ih_stage_snap%'
	            OR query = 'COMMIT')"
}
reads() {
	psqlq "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
	       WHERE d.datname = 'ih_bench' AND (query ILIKE 'SELECT u.ord FROM unnest(%' OR query ILIKE 'SELECT % FROM price_snapshots WHERE card_id%')"
}
stat_of() { # marketplace -> its total requests from the simulator
	curl -s "$base/_stats" | sed -n "s/.*\"$1\":{\"total\":\([0-9]*\).*/\1/p"
}

# Run a command under /usr/bin/time -v; sets wall, rss_mb, cpu.
timed() {
	/usr/bin/time -v "$@" > "$work/out" 2> "$work/time" || true
	wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time" |
		awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
	rss_mb=$(awk '/Maximum resident set size/ { printf "%.1f", $6 / 1024 }' "$work/time")
	cpu=$(awk '/User time/ { u = $4 } /System time/ { s = $4 } END { printf "%.2f", u + s }' "$work/time")
}

measure() { # label command... -> one line of figures
	local label=$1 rows
	shift
	reset_counters
	timed "$@"
	rows=$(psqlq "SELECT count(*) FROM price_snapshots")
	echo "$label|$wall|$(stat_of scryfall)|$(stat_of cardtrader)|$(stat_of tcgplayer)|$(stat_of manapool)|$(statements)|$(reads)|$(writes)|$rows|$rss_mb|$cpu|$(copies)|$(write_secs)"
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

mkdir -p "$work/plugins" "$(dirname "$report")"
for p in scryfall cardtrader tcgplayer manapool; do ln -sf "$build/plugins/$p/.libs/$p.so" "$work/plugins/$p.so"; done

echo "==> $cards cards, ${latency} ms per request, $runs runs (old: $old_runs)" >&2
start_sim "$cards"
: > "$work/new.txt"
: > "$work/old.txt"
for i in $(seq 1 "$runs"); do
	fresh_db "$cards"
	measure new "$bin" -c "$work/ih.conf" --once -q >> "$work/new.txt"
	echo "    new run $i: $(tail -n 1 "$work/new.txt")" >&2
	if [ "$i" = 1 ]; then
		# a second cycle inside the TTL
		measure ttl "$bin" -c "$work/ih.conf" --once -q > "$work/ttl.txt"
		echo "    second cycle inside the TTL: $(cat "$work/ttl.txt")" >&2
	fi
done
for i in $(seq 1 "$old_runs"); do
	fresh_db "$cards"
	measure old "$old" "$db" "$base" "$cards" >> "$work/old.txt"
	echo "    old run $i: $(tail -n 1 "$work/old.txt")" >&2
done
# 80% of the cards fresh in the database, nothing in the cache
fresh_db "$cards"
for m in scryfall cardtrader tcgplayer manapool; do
	psqlq "INSERT INTO marketplaces (slug) VALUES ('$m') ON CONFLICT DO NOTHING" >/dev/null
done
psqlq "INSERT INTO price_snapshots (time, card_id, marketplace_id, condition, finish, language, currency, price, source)
       SELECT now() - interval '1 minute', c.id, m.id, 'NM', 'nonfoil', 'en', 'USD', 1.00, 'bench'
       FROM cards c CROSS JOIN marketplaces m WHERE c.id % 5 <> 0" >/dev/null
measure fresh80 "$bin" -c "$work/ih.conf" --once -q > "$work/fresh80.txt"
echo "    80% fresh: $(cat "$work/fresh80.txt")" >&2
# growth
: > "$work/growth.txt"
for n in $growth; do
	start_sim "$n"
	fresh_db "$n"
	line=$(measure "$n" "$bin" -c "$work/ih.conf" --once -q)
	echo "$line" >> "$work/growth.txt"
	echo "    growth $n: $line" >&2
done

col() { cut -d'|' -f"$1" "$2" | median; }
new_wall=$(col 2 "$work/new.txt"); old_wall=$(col 2 "$work/old.txt")
[ "$old_runs" -gt 0 ] && pipelines="new old" || pipelines=new
new_req=$(awk -F'|' '{ print $3 + $4 + $5 + $6 }' "$work/new.txt" | median)
old_req=$(awk -F'|' '{ print $3 + $4 + $5 + $6 }' "$work/old.txt" | median)
{
	echo "# Benchmark report: the old pipeline against the new"
	echo
	echo "Written by \`make bench\` on $(date -u '+%Y-%m-%d %H:%M UTC'). Machine: $(nproc) cores,"
	echo "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr);"
	echo "$(psql "$admin" -X -qAt -c 'SHOW server_version' | sed 's/^/PostgreSQL /') with durable settings; Redis $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p')."
	echo "Simulator: $cards cards (seed 7), ${latency} ms latency per request, no rate limit enforced;"
	echo "requests_per_second = $rps for every plugin. Median of $runs runs (old: $old_runs), a fresh database each run."
	echo
	echo "| pipeline | wall s | scryfall req | cardtrader req | tcgplayer req | manapool req | DB statements | freshness reads | snapshot writes | rows | peak RSS MB | CPU s |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for f in $pipelines; do
		for c in 2 3 4 5 6 7 8 9 10 11 12; do printf '%s ' "$(col $c "$work/$f.txt")"; done |
			awk -v n="$f" '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", n, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 }'
	done
	echo
	[ "$old_runs" -gt 0 ] && awk -v nw="$new_wall" -v ow="$old_wall" -v nr="$new_req" -v or="$old_req" 'BEGIN {
		printf "**old/new: %.0fx the wall time, %.0fx the API requests.**\n", ow / nw, or / nr }'
	echo
	echo "Writes of the new pipeline (median run): rows stored per second of the cycle's wall time, and"
	echo "per second of the server's time in the write statements (INSERT/upsert, staging DDL, COPY,"
	echo "explicit COMMIT; pg_stat_statements, top level); COPY = statements into the staging tables."
	echo
	echo "| rows | wall s | rows/s (wall) | write statements | COPY | server write s | rows/s (server write time) |"
	echo "|---:|---:|---:|---:|---:|---:|---:|"
	awk -F'|' '{ printf "%s %s %s %s %s\n", $10, $2, $9, $13, $14 }' "$work/new.txt" | sort -k2 -n |
		awk '{ a[NR] = $0 } END { split(a[int((NR + 1) / 2)], f, " ");
			printf "| %d | %s | %.0f | %d | %d | %s | %.0f |\n", f[1], f[2], f[1] / f[2], f[3], f[4], f[5], (f[5] > 0 ? f[1] / f[5] : 0) }'
	echo
	echo "DB statements are the client's own (pg_stat_statements, top level: foreign-key checks are not counted)."
echo "Statements allowed for the new pipeline: one freshness read per card-list plugin and"
	echo "ceil(rows/500) writes per plugin, plus the cycle's priority query, marketplace registration (one"
	echo "per plugin at load), Mana Pool's export-freshness check and CardTrader's one blueprint-id update."
	echo
	echo "| cycle | wall s | requests | DB statements | rows written |"
	echo "|---|---:|---:|---:|---:|"
	awk -F'|' '{ printf "| second cycle inside the TTL | %s | %d | %s | %s |\n", $2, $3 + $4 + $5 + $6, $7, $10 }' "$work/ttl.txt"
	awk -F'|' '{ printf "| 80%% of the cards fresh in the DB | %s | %d | %s | %s |\n", $2, $3 + $4 + $5 + $6, $7, $10 }' "$work/fresh80.txt"
	echo
	echo "(Rows written is the table's total after the cycle: the second cycle adds nothing; the 80% case"
	echo "includes the 16,000 placeholder rows that made those cards fresh.)"
	echo
	echo "## Growth (new pipeline)"
	echo
	echo "| cards | wall s | ms per card | requests | DB statements | rows |"
	echo "|---:|---:|---:|---:|---:|---:|"
	awk -F'|' '{ printf "| %s | %s | %.2f | %d | %s | %s |\n", $1, $2, 1000 * $2 / $1, $3 + $4 + $5 + $6, $7, $10 }' "$work/growth.txt"
} > "$report"
cat "$report"
