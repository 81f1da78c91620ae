#!/usr/bin/env bash
# Fault tests (#11): the real ingesthost, the bundled simulator, PostgreSQL and
# Redis, with the faults an operator meets.  Each case synchronises on state it
# can observe (requests held at the simulator's gate, pg_isready, log lines),
# never on a sleep; the only sleeps are a fault's own duration.
#   a  PostgreSQL stopped for 5 s mid-cycle: exit 0, statuses ok, every price stored
#   b  every open database connection goes silent mid-cycle (proxy): the same
#   c  Redis killed and restarted mid-cycle: the same, and the cache came back
#   d  the daemon: SIGHUP ten times mid-cycle, then SIGTERM while idle
#   e  PostgreSQL stopped for 20 s past the deadline: transient + unwritten, then
#      one clean cycle stores every price (nothing half-written counts as fresh)
# FAULT_CASES="a b ..." runs a subset; FAULT_KEEP=1 keeps the work dir.
#
# The faults stop and start servers, so the test runs its own pair (through
# $IH_TEST_SERVERS, in a temp dir): stopping the suite's shared PostgreSQL would
# break the test binaries running beside this one under make -j check.
set -uo pipefail

if [ -z "${IH_TEST_CONNINFO:-}" ] || [ -z "${IH_TEST_REDIS_PORT:-}" ] || [ -z "${IH_TEST_SERVERS:-}" ] ||
	[ -z "${IH_TEST_SERVERS_DIR:-}" ]; then
	echo "SKIP: no test servers (run through scripts/check, or source the env of tests/servers.sh start)"
	exit 77
fi
build=${IH_TOP_BUILDDIR:?}
servers=$IH_TEST_SERVERS
bin="$build/ingesthost"
sim="$build/tests/mockmarket/ingest-mockmarket"
proxy_bin="$build/tests/ih-silentproxy"
cases=${FAULT_CASES:-a b c d e}
ncards=1500
seed=11
rdb=5 # our Redis database number
T() { timeout "$@"; } # every command is bounded; T SECONDS CMD...

work=$(mktemp -d /tmp/ih-fault.XXXXXX)
chmod 755 "$work"
srv="$work/servers"
sim_pid= daemon_pid= failed=0 proxy_started=0

cleanup() {
	[ -n "$daemon_pid" ] && kill -9 "$daemon_pid" 2>/dev/null
	[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
	[ "$proxy_started" = 1 ] && T 20 "$servers" proxy-stop "$srv" >/dev/null 2>&1
	T 60 "$servers" stop "$srv" >/dev/null 2>&1
	if [ -n "${FAULT_KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

say() { printf '%s\n' "$*"; }
fail() {
	say "FAIL [$case]: $*"
	failed=1
}
# poll CMD... every 0.1 s until it succeeds, for at most $1 seconds
poll() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# ---- servers ------------------------------------------------------------------
T 120 "$servers" start "$srv" >/dev/null || { say "FAIL: cannot start servers"; exit 1; }
# shellcheck disable=SC1091
. "$srv/env"
admin="$IH_TEST_CONNINFO"
db="$IH_TEST_CONNINFO dbname=ih_fault_test"
psqlq() { PGOPTIONS="-c client_min_messages=warning" T 30 psql "$1" -X -qAt -v ON_ERROR_STOP=1 -c "$2"; }
pg_ready() { T 5 pg_isready -q -h "$IH_TEST_PGHOST" -p "$IH_TEST_PGPORT"; }
srvcmd() { # the aliases pg-stop/pg-start where servers.sh has them
	local c=$1
	if ! grep -q -- "$c)" "$servers"; then
		case $c in pg-stop) c=stop-pg ;; pg-start) c=start-pg ;; esac
	fi
	T 90 "$servers" "$c" "$srv" "${@:2}"
}

# ---- the simulator, spoken to over bash's /dev/tcp (no curl needed) -----------
T 10 "$sim" --cards "$ncards" --seed "$seed" --print-expected >"$work/expected.all" ||
	{ say "FAIL: --print-expected"; exit 1; }
"$sim" --cards "$ncards" --seed "$seed" --port 0 --port-file "$work/sim.port" >/dev/null 2>"$work/sim.log" &
sim_pid=$!
poll 10 test -s "$work/sim.port" || { say "FAIL: the simulator did not start"; exit 1; }
port=$(cat "$work/sim.port")
base="http://127.0.0.1:$port"

http() { # METHOD PATH [BODY]: the answer's body on stdout
	local body=${3:-} out
	out=$(T 10 bash -c 'exec 5<>"/dev/tcp/127.0.0.1/$0" || exit 1
		printf "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n%s" "$1" "$2" "${#3}" "$3" >&5
		cat <&5' "$port" "$1" "$2" "$body") || return 1
	printf '%s\n' "$out" | sed '1,/^\r*$/d'
}
control() { http POST "/_control/$1" "${2:-}" >/dev/null; }
sim_stat() { http GET "/_stats?format=lines" | awk -v m="$1" -v k="$2" '$1 == m && $2 == k { print $3 }'; }
gated_at_least() { [ "$(sim_stat all gated)" -ge "$1" ] 2>/dev/null; }
mkt_gated() { [ "$(sim_stat "$1" gated)" -ge 1 ] 2>/dev/null; }
scryfall_rearmed() { [ "$(sim_stat scryfall passed)" -ge 5 ] 2>/dev/null && mkt_gated scryfall; }
# hold every marketplace mid-run: scryfall (20 requests), cardtrader (13),
# tcgplayer (7) after a few answers, manapool (1 request) before its export
gate_all() {
	control fault scryfall:gate:3 && control fault cardtrader:gate:4 && control fault tcgplayer:gate:2 &&
		control fault manapool:gate:0
}

# ---- config, database -----------------------------------------------------------
mkdir -p "$work/plugins"
for p in scryfall cardtrader tcgplayer manapool; do
	ln -s "$build/plugins/$p/.libs/$p.so" "$work/plugins/$p.so"
done

# write_conf FILE CONNINFO EXTRA_DATABASE EXTRA_INGEST FRESHNESS [noredis]
write_conf() {
	local redis="redis: { port = $IH_TEST_REDIS_PORT; db = $rdb; };"
	[ "${6:-}" = noredis ] && redis=
	local f="requests_per_second = 1000.0; timeout_ms = 20000; ${5:+freshness = $5;}"
	cat >"$1" <<CONF
database: { conninfo = "$2"; $3 };
$redis
ingest: { cards_per_cycle = $ncards; max_wait = 1; $4 };
log: { level = "info"; };
plugins: {
  dir = "$work/plugins";
  scryfall:   { base_url = "$base/scryfall"; $f };
  cardtrader: { base_url = "$base/cardtrader/api/v2"; token = "sim-token"; $f };
  tcgplayer:  { base_url = "$base/tcgplayer"; public_key = "sim-public"; private_key = "sim-private"; $f };
  manapool:   { base_url = "$base/manapool/api/v1"; $f };
};
CONF
}

# a fresh database and cache: every case starts from no history
fresh() {
	psqlq "$admin" "DROP DATABASE IF EXISTS ih_fault_test WITH (FORCE)" >/dev/null &&
		psqlq "$admin" "CREATE DATABASE ih_fault_test" >/dev/null || return 1
	write_conf "$work/base.conf" "$db" "" ""
	T 60 "$bin" -c "$work/base.conf" --migrate -q >/dev/null || return 1
	T 60 "$sim" --cards "$ncards" --seed "$seed" --seed-db "$db" 2>/dev/null || return 1
	T 10 redis-cli -p "$IH_TEST_REDIS_PORT" -n "$rdb" FLUSHDB >/dev/null || return 1
	control reset
}

# ---- what --once printed ----------------------------------------------------------
# field JSONFILE PLUGIN KEY
field() {
	grep -o "{\"name\":\"$2\"[^}]*" "$1" | grep -o "\"$3\":[^,}]*" | head -n 1 | cut -d: -f2- | tr -d '"'
}
check_ok() { # JSONFILE RC: exit 0, four plugins, every status ok
	local p s
	[ "$2" = 0 ] || fail "--once exited $2, want 0"
	for p in scryfall cardtrader tcgplayer manapool; do
		s=$(field "$1" "$p" status)
		[ "$s" = ok ] || fail "$p status '${s:-missing}', want ok ($(field "$1" "$p" error))"
	done
}
show_summary() {
	local p
	for p in scryfall cardtrader tcgplayer manapool; do
		say "  $p: status=$(field "$1" "$p" status) written=$(field "$1" "$p" written)" \
			"unwritten=$(field "$1" "$p" unwritten) requests=$(field "$1" "$p" requests)" \
			"retries=$(field "$1" "$p" retries)"
	done
}

# every price the simulator serves is stored, and nothing else: per marketplace,
# sorted lines against --print-expected (unique: uniq=1 after more than one cycle)
check_stored() {
	local uniq=${1:-0} m sortu=
	[ "$uniq" = 1 ] && sortu=-u
	psqlq "$db" "SELECT c.scryfall_id || '|' || m.slug || '|' || s.condition || '|' || s.finish || '|' ||
		s.language || '|' || s.currency || '|' || s.price::text || '|' || coalesce(s.num_listings, -1)
		FROM price_snapshots s JOIN cards c ON c.id = s.card_id JOIN marketplaces m ON m.id = s.marketplace_id" |
		LC_ALL=C sort $sortu >"$work/stored.all" || { fail "cannot read price_snapshots"; return; }
	for m in scryfall cardtrader tcgplayer manapool; do
		grep -F "|$m|" "$work/expected.all" >"$work/want.$m"
		grep -F "|$m|" "$work/stored.all" >"$work/got.$m"
		if ! cmp -s "$work/want.$m" "$work/got.$m"; then
			fail "$m: served $(wc -l <"$work/want.$m") prices, stored $(wc -l <"$work/got.$m");" \
				"first differences (< served, not stored; > stored, not served):"
			diff "$work/want.$m" "$work/got.$m" | grep '^[<>]' | head -n 8 | sed 's/^/    /'
		else
			say "  $m: all $(wc -l <"$work/want.$m") served prices stored"
		fi
	done
}

# --once in the background, its pid in once_pid
start_once() { # CONF TAG
	T 150 "$bin" -c "$1" --once --json >"$work/$2.json" 2>"$work/$2.log" &
	once_pid=$!
}
wait_once() {
	wait "$once_pid"
	once_rc=$?
	[ "$once_rc" = 124 ] && fail "--once did not finish within 150 s"
}
held() { # wait until all four marketplaces are held mid-run, or fail
	poll 60 gated_at_least 4 || { fail "the host never reached the gates (gated=$(sim_stat all gated))"; return 1; }
}

# ---- a: PostgreSQL stopped for 5 s mid-cycle ---------------------------------------
case_a() {
	fresh || { fail "setup"; return; }
	gate_all
	start_once "$work/base.conf" a
	held || { control release; wait_once; return; }
	srvcmd pg-stop || fail "pg-stop"
	control release
	sleep 5 # the outage itself
	srvcmd pg-start || fail "pg-start"
	poll 30 pg_ready || fail "PostgreSQL did not come back"
	wait_once
	show_summary "$work/a.json"
	check_ok "$work/a.json" "$once_rc"
	check_stored
}

# ---- b: every open connection silent mid-cycle -----------------------------------
case_b() {
	local env
	if ! grep -q 'proxy-start' "$servers" || [ ! -x "$proxy_bin" ]; then
		fail "servers.sh proxy-start or $proxy_bin is not there yet"
		return
	fi
	fresh || { fail "setup"; return; }
	env=$(T 30 "$servers" proxy-start "$srv" "$proxy_bin") || { fail "proxy-start"; return; }
	proxy_started=1
	eval "$env"
	[ -n "${IH_TEST_PROXY_CONNINFO:-}" ] || { fail "proxy-start printed no IH_TEST_PROXY_CONNINFO"; return; }
	write_conf "$work/b.conf" "$IH_TEST_PROXY_CONNINFO dbname=ih_fault_test" "statement_timeout_ms = 2000;" ""
	gate_all
	start_once "$work/b.conf" b
	held || { control release; wait_once; return; }
	T 30 "$servers" proxy-silence "$srv" || fail "proxy-silence"
	control release
	wait_once
	show_summary "$work/b.json"
	check_ok "$work/b.json" "$once_rc"
	check_stored
	T 30 "$servers" proxy-stop "$srv" >/dev/null 2>&1 && proxy_started=0
}

# ---- c: Redis killed and restarted mid-cycle ---------------------------------------
case_c() {
	local id keys hits
	fresh || { fail "setup"; return; }
	gate_all
	start_once "$work/base.conf" c
	held || { control release; wait_once; return; }
	srvcmd stop-redis || fail "stop-redis"
	# on with Redis down: Scryfall (20 requests) 5 more, then held again
	control fault scryfall:gate:5
	control release cardtrader && control release tcgplayer && control release manapool
	poll 60 scryfall_rearmed || fail "scryfall never reached its second gate"
	srvcmd start-redis || fail "start-redis"
	# the cache reconnects at most once a second: Scryfall's last 11 requests
	# take 150 ms each, so most of its cards are written after that second
	control fault scryfall:latency:150
	control release
	wait_once
	show_summary "$work/c.json"
	check_ok "$work/c.json" "$once_rc"
	check_stored
	# the cache came back within the cycle: Scryfall's later cards are marked, and
	# a cycle that looks at Redis alone (DB freshness 0) fetches none of them
	id=$(psqlq "$db" "SELECT id FROM marketplaces WHERE slug = 'scryfall'")
	keys=$(T 10 redis-cli -p "$IH_TEST_REDIS_PORT" -n "$rdb" --scan --pattern "snapshot:last:$id:*" | wc -l)
	say "  scryfall cards marked in Redis after the restart: $keys"
	[ "$keys" -gt 0 ] || fail "no Scryfall card marked after Redis came back: the cache did not reconnect"
	write_conf "$work/c2.conf" "$db" "" "freshness = 0;" 0
	start_once "$work/c2.conf" c2
	wait_once
	for p in scryfall cardtrader tcgplayer manapool; do
		s=$(field "$work/c2.json" "$p" status)
		[ "$s" = ok ] || fail "second --once: $p status '${s:-missing}', want ok"
	done
	hits=$(field "$work/c2.json" scryfall cache_hits)
	say "  second --once: scryfall cache_hits=$hits"
	[ "${hits:-0}" -ge "$keys" ] || fail "second --once fetched cards Redis marks (cache_hits $hits < $keys marked)"
}

# ---- d: the daemon: SIGHUP x10 mid-cycle, SIGTERM while idle -------------------------
cycles() { grep -c 'cycle summary' "$work/daemon.log"; }
reloads() { grep -c 'reloaded' "$work/daemon.log"; }
more_cycles() { [ "$(cycles)" -gt "$1" ]; }
more_reloads() { [ "$(reloads)" -ge "$1" ]; }
case_d() {
	local i c t0 t1 rc watchdog
	fresh || { fail "setup"; return; }
	# no Redis and no freshness: every cycle fetches, so every cycle reaches the gate
	write_conf "$work/d.conf" "$db" "" "interval = 1;" 0 noredis
	# not under timeout(1), which would take the SIGHUPs itself: a watchdog bounds it
	"$bin" -c "$work/d.conf" --foreground >"$work/daemon.out" 2>"$work/daemon.log" &
	daemon_pid=$!
	(sleep 150 && kill -9 "$daemon_pid") >/dev/null 2>&1 &
	watchdog=$!
	for ((i = 1; i <= 10; i++)); do
		c=$(cycles)
		poll 30 more_cycles "$c" || { fail "no new cycle line before SIGHUP $i"; break; }
		control fault scryfall:gate:0
		poll 30 mkt_gated scryfall || { fail "no cycle reached the gate before SIGHUP $i"; control release; break; }
		# the last reload makes the daemon idle for long after its next cycle
		[ "$i" = 10 ] && write_conf "$work/d.conf" "$db" "" "interval = 3600;" 0 noredis
		kill -HUP "$daemon_pid"
		control release
		poll 30 more_reloads "$i" || { fail "SIGHUP $i was not reloaded"; break; }
	done
	# idle: the one cycle already due after the last reload has ended
	c=$(cycles)
	poll 20 more_cycles "$c" || say "  (no cycle after the last reload: already idle)"
	t0=$(date +%s.%N)
	kill -TERM "$daemon_pid"
	poll 10 eval '! kill -0 "$daemon_pid" 2>/dev/null'
	t1=$(date +%s.%N)
	if kill -0 "$daemon_pid" 2>/dev/null; then
		fail "the daemon is still alive 10 s after SIGTERM"
		kill -9 "$daemon_pid"
	fi
	wait "$daemon_pid"
	rc=$?
	daemon_pid=
	kill "$watchdog" 2>/dev/null
	say "  $(cycles) cycles, $(reloads) reloads, exit $rc $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s after SIGTERM"
	[ "$rc" = 0 ] || fail "the daemon exited $rc after SIGTERM, want 0"
	awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a <= 3) }' || fail "SIGTERM while idle took more than 3 s"
	[ "$(reloads)" = 10 ] || fail "$(reloads) reload lines, want 10"
	if grep -nE 'AddressSanitizer|LeakSanitizer|runtime error:|SIGSEGV|Segmentation|Aborted|core dumped' \
		"$work/daemon.log" | head -n 5 | sed 's/^/    /' | grep .; then
		fail "the daemon's log shows a crash or a sanitizer report"
	fi
}

# ---- e: 20 s outage past the deadline, then one clean cycle --------------------------
case_e() {
	local p s v unw=0 tr=0 t0
	fresh || { fail "setup"; return; }
	write_conf "$work/e.conf" "$db" "" "deadline = 8; stop_wait = 5;"
	gate_all
	start_once "$work/e.conf" e
	held || { control release; wait_once; return; }
	srvcmd pg-stop || fail "pg-stop"
	t0=$SECONDS
	control release
	wait_once
	show_summary "$work/e.json"
	for p in scryfall cardtrader tcgplayer manapool; do
		s=$(field "$work/e.json" "$p" status)
		[ "$s" = transient ] && tr=$((tr + 1))
		v=$(field "$work/e.json" "$p" unwritten)
		unw=$((unw + ${v:-0}))
	done
	[ "$once_rc" = 3 ] || fail "--once through the outage exited $once_rc, want 3"
	[ "$tr" -gt 0 ] && [ "$unw" -gt 0 ] || fail "want a transient run with unwritten > 0 (transient $tr, unwritten $unw)"
	sleep $((20 - (SECONDS - t0) > 0 ? 20 - (SECONDS - t0) : 0)) # the rest of the outage
	srvcmd pg-start || fail "pg-start"
	poll 30 pg_ready || fail "PostgreSQL did not come back"
	start_once "$work/base.conf" e2
	wait_once
	say "  after the outage, one clean cycle:"
	show_summary "$work/e2.json"
	check_ok "$work/e2.json" "$once_rc"
	check_stored 1
}

for case in $cases; do
	say "== case $case"
	t=$SECONDS
	"case_$case"
	say "   ($((SECONDS - t)) s)"
	pg_ready || { srvcmd pg-start >/dev/null 2>&1; poll 30 pg_ready; }
	control reset
done
# no run of the host crashed or tripped a sanitizer (the ASan build runs this too)
case=all
if grep -lE 'AddressSanitizer|LeakSanitizer|runtime error:|SIGSEGV|Segmentation fault' "$work"/*.log 2>/dev/null |
	sed 's/^/    /' | grep .; then
	fail "a crash or sanitizer report in the logs above"
fi
if [ "$failed" != 0 ]; then
	say "FAIL: see above; logs of the last runs:"
	for f in "$work"/*.log; do
		say "---- $(basename "$f")"
		grep -vE ' INFO ' "$f" | tail -n 15
	done
	exit 1
fi
say "PASS"
