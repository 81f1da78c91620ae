#!/usr/bin/env bash
# make soak: the daemon for about ten minutes against the simulator in chaos
# mode, with PostgreSQL and Redis restarted at random (seeded) times.  Reports
# cycles run, rows served against stored (the difference must be exactly the
# rows counted unwritten), overlapping runs, and RSS / open fds every second.
#   bench/soak.sh BUILD_DIR SOURCE_DIR
# Environment (defaults in brackets):
#   SOAK_SECONDS [600]     how long the daemon runs
#   SOAK_CARDS [5000]      simulator universe, all of it every cycle
#   SOAK_INTERVAL [2]      ingest.interval
#   SOAK_FRESHNESS [60]    DB freshness of every plugin (cache.ttl is half): cards come
#                          due again, so later cycles keep working
#   SOAK_CHAOS [5]         percent of requests that get a random fault
#   SOAK_SEED [1]          seeds the chaos and the restart times
#   SOAK_PG_RESTARTS [3]   PostgreSQL restarts; SOAK_REDIS_RESTARTS [3] Redis restarts
#   SOAK_REPORT [SOURCE_DIR/bench/soak-results.md]
#   SOAK_KEEP              keep the work dir (logs, samples)
set -uo pipefail
build=${1:?usage: soak.sh BUILD_DIR SOURCE_DIR}
src=${2:?usage: soak.sh BUILD_DIR SOURCE_DIR}
secs=${SOAK_SECONDS:-600}
cards=${SOAK_CARDS:-5000}
interval=${SOAK_INTERVAL:-2}
fresh=${SOAK_FRESHNESS:-60}
chaos=${SOAK_CHAOS:-5}
seed=${SOAK_SEED:-1}
npg=${SOAK_PG_RESTARTS:-3}
nredis=${SOAK_REDIS_RESTARTS:-3}
report=${SOAK_REPORT:-$src/bench/soak-results.md}
bin="$build/ingesthost"
sim="$build/tests/mockmarket/ingest-mockmarket"
servers="$src/tests/servers.sh"
mkts="scryfall cardtrader tcgplayer manapool"
work=$(mktemp -d /tmp/ih-soak.XXXXXX)
chmod 755 "$work"
sim_pid= daemon_pid=

cleanup() {
	[ -n "$daemon_pid" ] && kill -9 "$daemon_pid" 2>/dev/null
	[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null
	timeout 60 "$servers" stop "$work/servers" >/dev/null 2>&1
	if [ -n "${SOAK_KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM
say() { printf '%s\n' "$*" >&2; }
die() { say "soak: $*"; exit 1; }

for f in "$bin" "$sim"; do [ -x "$f" ] || die "$f is not built (make first)"; done

say "==> servers under $work/servers"
timeout 120 "$servers" start "$work/servers" --bench >/dev/null || die "servers did not start"
# shellcheck disable=SC1091
. "$work/servers/env"
db="$IH_TEST_CONNINFO dbname=ih_soak"
psqlq() { PGOPTIONS="-c client_min_messages=warning" timeout 60 psql "$1" -X -qAt -v ON_ERROR_STOP=1 -c "$2"; }

say "==> simulator: $cards cards, chaos ${chaos}% (seed $seed)"
# --min-listings 1: CardTrader answers a whole expansion; a blueprint without
# listings is never fresh in the DB and would be asked for alone, so its
# expansion's rows would be served and (rightly) not stored
"$sim" --cards "$cards" --seed 42 --port 0 --port-file "$work/sim.port" --chaos "$seed:$chaos" --chaos-hang 3000 \
	--min-listings 1 \
	>/dev/null 2>"$work/sim.log" &
sim_pid=$!
for _ in $(seq 1 100); do [ -s "$work/sim.port" ] && break; sleep 0.05; done
[ -s "$work/sim.port" ] || die "the simulator did not start"
port=$(cat "$work/sim.port")
base="http://127.0.0.1:$port"
stats() { # the simulator's counters as "mkt key value" lines, over bash's /dev/tcp
	timeout 10 bash -c 'exec 5<>"/dev/tcp/127.0.0.1/$0" || exit 1
		printf "GET /_stats?format=lines HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&5; cat <&5' "$port" |
		sed '1,/^\r*$/d'
}

mkdir -p "$work/plugins"
for p in $mkts; do ln -s "$build/plugins/$p/.libs/$p.so" "$work/plugins/$p.so"; done
# per request 1 s (the chaos hangs last 3 s); a run gets 120 s before it is stopped
pc="requests_per_second = 1000.0; timeout_ms = 1000; freshness = $fresh;"
cat >"$work/ih.conf" <<CONF
database: { conninfo = "$db"; statement_timeout_ms = 5000; };
redis: { port = $IH_TEST_REDIS_PORT; db = 9; };
cache: { ttl = $(((fresh + 1) / 2)); };
ingest: { interval = $interval; cards_per_cycle = $cards; freshness = $fresh; max_wait = 2; deadline = 120; };
log: { level = "info"; };
plugins: {
  dir = "$work/plugins";
  scryfall:   { base_url = "$base/scryfall"; $pc };
  cardtrader: { base_url = "$base/cardtrader/api/v2"; token = "sim-token"; $pc };
  tcgplayer:  { base_url = "$base/tcgplayer"; public_key = "sim-public"; private_key = "sim-private"; $pc };
  manapool:   { base_url = "$base/manapool/api/v1"; $pc };
};
CONF
psqlq "$IH_TEST_CONNINFO" "DROP DATABASE IF EXISTS ih_soak" >/dev/null && psqlq "$IH_TEST_CONNINFO" "CREATE DATABASE ih_soak" >/dev/null ||
	die "cannot create the database"
timeout 60 "$bin" -c "$work/ih.conf" --migrate -q >/dev/null || die "--migrate failed"
timeout 120 "$sim" --cards "$cards" --seed 42 --seed-db "$db" 2>/dev/null || die "--seed-db failed"
timeout 10 redis-cli -p "$IH_TEST_REDIS_PORT" -n 9 FLUSHDB >/dev/null

# restart times, seeded: uniform in [20 s, end - 20 s]
RANDOM=$seed
span=$((secs > 60 ? secs - 40 : 1))
: >"$work/events"
for ((i = 0; i < npg; i++)); do echo "$((20 + RANDOM % span)) pg" >>"$work/events"; done
for ((i = 0; i < nredis; i++)); do echo "$((20 + RANDOM % span)) redis" >>"$work/events"; done
sort -n -o "$work/events" "$work/events"
restarts=$(awk '{ printf "%s%s %d s", (NR > 1 ? ", " : ""), ($2 == "pg" ? "PostgreSQL" : "Redis"), $1 }' "$work/events")

say "==> ingesthost --foreground for $secs s, interval $interval s; restarts at: $(tr '\n' ' ' <"$work/events")"
"$bin" -c "$work/ih.conf" --foreground >"$work/daemon.out" 2>"$work/daemon.log" &
daemon_pid=$!
(sleep $((secs + 180)) && kill -9 "$daemon_pid") >/dev/null 2>&1 &
watchdog=$!
: >"$work/samples"
start=$SECONDS
next_sample=0
while :; do
	t=$((SECONDS - start))
	[ "$t" -ge "$secs" ] && break
	kill -0 "$daemon_pid" 2>/dev/null || { say "soak: the daemon died at $t s"; break; }
	if [ "$t" -ge "$next_sample" ]; then
		rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$daemon_pid/status" 2>/dev/null)
		fds=$(ls "/proc/$daemon_pid/fd" 2>/dev/null | wc -l)
		echo "$t ${rss:-0} $fds" >>"$work/samples"
		next_sample=$((next_sample + 1))
	fi
	while read -r at what; do
		[ "$at" -le "$t" ] || break
		case $what in
		pg) say "    $t s: restarting PostgreSQL"; timeout 120 "$servers" restart-pg "$work/servers" >/dev/null 2>&1 ||
			say "    PostgreSQL restart failed" ;;
		redis) say "    $t s: restarting Redis"; timeout 60 "$servers" stop-redis "$work/servers" >/dev/null 2>&1
			timeout 60 "$servers" start-redis "$work/servers" >/dev/null 2>&1 || say "    Redis restart failed" ;;
		esac
		sed -i 1d "$work/events"
	done <"$work/events"
	sleep 1
done

say "==> SIGTERM"
t0=$SECONDS
kill -TERM "$daemon_pid" 2>/dev/null
for _ in $(seq 1 1200); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$daemon_pid" 2>/dev/null; then
	stop_note="still alive 120 s after SIGTERM: killed"
	kill -9 "$daemon_pid"
fi
wait "$daemon_pid"
daemon_rc=$?
daemon_pid=
kill "$watchdog" 2>/dev/null
stop_note=${stop_note:-"exit $daemon_rc, $((SECONDS - t0)) s after SIGTERM"}
stats >"$work/stats"

# ---- the report ------------------------------------------------------------------
psqlq "$db" "SELECT m.slug, count(*) FROM price_snapshots s JOIN marketplaces m ON m.id = s.marketplace_id
	GROUP BY m.slug" | tr '|' ' ' >"$work/stored"
# "... [PLUGIN] run ended: STATUS; W rows written, U unwritten, D cached rows dropped, R requests, T retries, S s"
sed -n 's/.*\[\([a-z_]*\)\] run ended: \([a-z_]*\); \([0-9]*\) rows written, \([0-9]*\) unwritten, \([0-9]*\) cached rows dropped, .*/\1 \2 \3 \4 \5/p' \
	"$work/daemon.log" >"$work/runs"
cycles=$(grep -c 'cycle summary' "$work/daemon.log")
crashes=$(grep -cE 'AddressSanitizer|LeakSanitizer|runtime error:|SIGSEGV|Segmentation' "$work/daemon.log")
verdict=OK

{
	echo "# make soak: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo
	echo "Written by \`make soak\` (bench/soak.sh; SOAK_SECONDS, SOAK_CARDS, SOAK_CHAOS, SOAK_SEED, ... at its top)."
	echo
	echo "$secs s at ingest.interval = $interval s over $cards cards; DB freshness $fresh s (cache ttl half);"
	echo "simulator chaos ${chaos}% of requests (500, 429, 3 s hang, malformed, truncated), seed $seed;"
	echo "restarts: ${restarts:-none}. The daemon: $stop_note. Cycles run: $cycles."
	echo "Runs by status: $(awk '{ n[$2]++ } END { for (s in n) printf "%s %d, ", s, n[s] }' "$work/runs" | sed 's/, $//')."
	[ "$crashes" = 0 ] || echo "**Crash or sanitizer lines in the log: $crashes.**"
	echo
	echo "| marketplace | rows served | stored | unwritten | cached dropped | served − stored − cached | = unwritten? | max in flight |"
	echo "|---|---:|---:|---:|---:|---:|---|---:|"
} >"$work/report"
for m in $mkts; do
	served=$(awk -v m="$m" '$1 == m && $2 == "rows_served" { print $3 }' "$work/stats")
	inflight=$(awk -v m="$m" '$1 == m && $2 == "max_inflight" { print $3 }' "$work/stats")
	stored=$(awk -v m="$m" '$1 == m { print $2 }' "$work/stored")
	unw=$(awk -v m="$m" '$1 == m { s += $4 } END { print s + 0 }' "$work/runs")
	cached=$(awk -v m="$m" '$1 == m { s += $5 } END { print s + 0 }' "$work/runs")
	served=${served:-0} stored=${stored:-0} inflight=${inflight:-0}
	d=$((served - stored - cached))
	ok=OK
	[ "$d" = "$unw" ] || { ok=MISMATCH; verdict=FAIL; }
	[ "$inflight" -le 1 ] || { inflight="$inflight (overlap!)"; verdict=FAIL; }
	echo "| $m | $served | $stored | $unw | $cached | $d | $ok | $inflight |" >>"$work/report"
done
# flat: a sample every second; per minute its baseline (the least: what the
# daemon comes back to between cycles, whatever a cycle holds at the instant
# of a sample) and its mean and peak.  Flat = the last minute's baseline at
# most 10% above the second minute's (growth is what a leak shows).
flat() { # column (2 rss, 3 fds) -> "second last verdict"
	awk -v c="$1" -v end="$secs" '
		$1 >= 60 && $1 < 120 { if (!na || $c < a) a = $c; na++ }
		$1 >= end - 60 { if (!nb || $c < b) b = $c; nb++ }
		END {
			if (!na || !nb || end < 180) { print "- - n/a (run shorter than 3 minutes)"; exit }
			printf "%d %d %s\n", a, b, (b <= a * 1.10) ? "OK" : "FAIL"
		}' "$work/samples"
}
per_minute() {
	awk '{ m = int($1 / 60); if (!(m in lo) || $2 < lo[m]) lo[m] = $2; if ($2 > hi[m]) hi[m] = $2; sum[m] += $2; n[m]++
		if (!(m in flo) || $3 < flo[m]) flo[m] = $3; if ($3 > fhi[m]) fhi[m] = $3; if (m > last) last = m }
		END { for (m = 0; m <= last; m++) if (n[m]) printf "| %d | %d | %.0f | %d | %d | %d |\n", m + 1, lo[m], sum[m] / n[m], hi[m], flo[m], fhi[m] }' "$work/samples"
}
read -r rss2 rssl rssv <<<"$(flat 2)"
read -r fd2 fdl fdv <<<"$(flat 3)"
[ "$rssv" = FAIL ] || [ "$fdv" = FAIL ] && verdict=FAIL
[ "$crashes" = 0 ] || verdict=FAIL
{
	echo
	echo "Flat over time (a sample a second; the baseline of the last minute at most 10% above the second minute's):"
	echo "RSS ${rss2} kB → ${rssl} kB: **${rssv}**; open fds ${fd2} → ${fdl}: **${fdv}**."
	echo
	echo "| minute | RSS baseline kB | RSS mean kB | RSS peak kB | fds baseline | fds peak |"
	echo "|---:|---:|---:|---:|---:|---:|"
	per_minute
	echo
	echo "Samples (every 10th): \`t(s) RSS(kB) fds\`"
	echo
	echo '```'
	awk 'NR % 10 == 1 { k++; printf "%s%5d %7d %3d", (k % 4 == 1 ? "" : "   |"), $1, $2, $3; if (k % 4 == 0) print "" } END { if (k % 4) print "" }' "$work/samples"
	echo '```'
	echo
	echo "Verdict: **$verdict**"
} >>"$work/report"
cat "$work/report"
cp "$work/report" "$report" 2>/dev/null && say "==> written to $report"
[ "$verdict" = OK ]
