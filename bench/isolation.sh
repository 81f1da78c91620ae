#!/usr/bin/env bash
# make bench-isolation (also part of `make bench`): plugins.<name>.isolation
# "thread" against "process" (#13).  `ingesthost --once` over the simulator's
# cards with the four real plugins, a fresh database and an empty cache before
# every run (so every card is fetched), both modes alternating
# (thread-process, process-thread, ...).  Measures per run: the process's wall
# time, the cycle's own time (the summary's first line), CPU user+sys of the
# host and of every child it reaped (the workers), the peak RSS of the host
# and of each worker, rows stored, requests served.  Writes the report and
# prints it; exits 1 if the process mode's wall time is not below
# (100 + ISO_LIMIT)% of the thread mode's in the first set, or if a run
# failed.  The gate's figure is the median over the rounds of process/thread
# (a round: one run of each mode, back to back), which the load of a shared
# machine drifting between rounds moves less than a ratio of two medians.
#   bench/isolation.sh BUILD_DIR SOURCE_DIR
# Environment (defaults in brackets):
#   ISO_CARDS [5000]        simulator universe and ingest.cards_per_cycle
#   ISO_SETS ["C:20 C:0 500:20", C = ISO_CARDS]  what is measured, CARDS:LATENCY_MS
#                           each (simulator latency per request).  The first set is
#                           the gate; the others are reported: 0 ms, nothing to wait
#                           for; 500 cards, the shipped ingest.cards_per_cycle, where
#                           what starting the workers costs weighs more
#   ISO_RUNS [7]            measured rounds per set (a run of each mode a round)
#   ISO_WARMUP [1]          rounds per set before those, not counted
#   ISO_LIMIT [10]          percent more wall time allowed for process mode
#   ISO_RPS [1000]          requests_per_second of every plugin
#   ISO_SAMPLE_MS [20]      RSS sampling period
#   ISO_REPORT [SOURCE_DIR/bench/isolation-results.md, else BUILD_DIR/bench/...]
#   ISO_KEEP                keep the work dir (logs, per-run files)
#   IH_TEST_CONNINFO        use these servers (with IH_TEST_REDIS_PORT) instead
#                           of starting throwaway ones
set -uo pipefail
build=${1:?usage: isolation.sh BUILD_DIR SOURCE_DIR}
src=${2:?usage: isolation.sh BUILD_DIR SOURCE_DIR}
cards=${ISO_CARDS:-5000}
sets=${ISO_SETS:-$cards:20 $cards:0 500:20}
runs=${ISO_RUNS:-7}
warmup=${ISO_WARMUP:-1}
limit=${ISO_LIMIT:-10}
rps=${ISO_RPS:-1000}
sample_ms=${ISO_SAMPLE_MS:-20}
report=${ISO_REPORT:-$src/bench/isolation-results.md}
bin="$build/ingesthost"
sim="$build/tests/mockmarket/ingest-mockmarket"
servers="$src/tests/servers.sh"
mkts="scryfall cardtrader tcgplayer manapool"
modes="thread process"
gtime=/usr/bin/time
work=$(mktemp -d /tmp/ih-isobench.XXXXXX)
chmod 755 "$work"
sim_pid='' own_servers=''

cleanup() {
	[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null
	[ -n "$own_servers" ] && timeout 60 "$servers" stop "$work/servers" >/dev/null 2>&1
	if [ -n "${ISO_KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM
say() { printf '%s\n' "$*" >&2; }
die() { say "isolation: $*"; exit 1; }

for f in "$bin" "$sim"; do [ -x "$f" ] || die "$f is not built (make first)"; done
for p in $mkts; do [ -f "$build/plugins/$p/.libs/$p.so" ] || die "plugin $p is not built (make first)"; done
# GNU time (package `time`, in scripts/deps.sh): bash's `time` keyword gives
# no peak RSS and no CPU of the reaped children apart from the shell's own
if ! [ -x "$gtime" ] || ! "$gtime" -f %e true 2>/dev/null; then
	die "$gtime (GNU time) is missing: apt-get install time"
fi
command -v perl >/dev/null || die "perl is missing (the RSS sampler)"

if [ -z "${IH_TEST_CONNINFO:-}" ]; then
	say "==> PostgreSQL (durable settings) and Redis under $work/servers"
	timeout 120 "$servers" start "$work/servers" --bench >/dev/null || die "servers did not start"
	own_servers=1
	# shellcheck disable=SC1091
	. "$work/servers/env"
fi
admin="$IH_TEST_CONNINFO"
db="$IH_TEST_CONNINFO dbname=ih_isobench"
psqlq() { PGOPTIONS="-c client_min_messages=warning" timeout 120 psql "$1" -X -qAt -v ON_ERROR_STOP=1 -c "$2"; }

mkdir -p "$work/plugins"
for p in $mkts; do ln -s "$build/plugins/$p/.libs/$p.so" "$work/plugins/$p.so"; done

# The RSS sampler.  GNU time's %M is the wait4() ru_maxrss of the host, which
# the kernel takes as the larger of the host's own peak and the peak of any
# child it reaped; a child's peak includes what it held between fork() and
# exec() (the host's pages, counted again).  So the sampler reads, every
# ISO_SAMPLE_MS, VmHWM (peak RSS of the current image) of the host and of each
# child of the host whose command line holds --plugin-worker (so after its
# exec), and the host's utime/stime and cutime/cstime (CPU of the children it
# reaped).  VmHWM only grows: the last sample misses at most the last period of
# a process's life.  Also the largest RssAnon sampled (private memory: heap,
# stacks; not the binary and libraries every process maps).  Output:
# "host HWM_KB UTIME STIME CUTIME CSTIME ANON_KB" (ticks), then
# "worker PID HWM_KB PLUGIN ANON_KB CMDLINE" per worker seen (PLUGIN: the .so
# under a plugins/ directory in its maps), "samples N ITS_OWN_CPU_S".
cat >"$work/sampler.pl" <<'PERL'
use strict; use warnings; use Time::HiRes qw(sleep);
my ($tpid, $ms, $out) = @ARGV;
my ($host, $hwm, $hanon, @cpu, %w, %wanon, %cmd, %name);
my $n = 0;
sub slurp { my $f = shift; open(my $h, '<', $f) or return undef; local $/; my $s = <$h>; close $h; return $s; }
sub kids {
	my $p = shift; my @k;
	opendir(my $d, "/proc/$p/task") or return ();
	for my $t (readdir $d) {
		next if $t =~ /^\./;
		my $s = slurp("/proc/$p/task/$t/children"); push @k, split(' ', $s) if defined $s;
	}
	closedir $d; return @k;
}
sub mem { # -> (VmHWM, RssAnon) kB; (0, 0) when gone or a zombie
	my $s = slurp("/proc/$_[0]/status") // return (0, 0);
	my ($hwm) = $s =~ /^VmHWM:\s+(\d+)/m;
	my ($anon) = $s =~ /^RssAnon:\s+(\d+)/m;
	return ($hwm // 0, $anon // 0);
}
while (1) {
	if (!$host) {
		($host) = kids($tpid);
		if (!$host) { last unless -e "/proc/$tpid"; sleep($ms / 1000); next; }
	}
	my ($h, $a) = mem($host);
	last unless $h;                       # gone or a zombie: the host has exited
	$hwm = $h;
	$hanon = $a if $a > ($hanon // 0);
	my $st = slurp("/proc/$host/stat");
	if (defined $st && $st =~ /\) (.*)/) { my @f = split(' ', $1); @cpu = @f[11 .. 14]; }
	for my $k (kids($host)) {
		if (!$cmd{$k}) {
			my $c = slurp("/proc/$k/cmdline") // next;
			next unless $c =~ /--plugin-worker/;   # not exec'ed yet, or not a worker
			$c =~ tr/\0/ /; $c =~ s/\s+$//; $cmd{$k} = $c;
		}
		if (!$name{$k}) {                        # the plugin: the .so it mapped
			my $m = slurp("/proc/$k/maps");
			$name{$k} = $1 if defined $m && $m =~ m{/plugins/(?:[^/\n]*/)*([A-Za-z0-9_]+)\.so$}m;
		}
		my ($x, $y) = mem($k);
		$w{$k} = $x if $x > ($w{$k} // 0);
		$wanon{$k} = $y if $y > ($wanon{$k} // 0);
	}
	$n++;
	sleep($ms / 1000);
}
open(my $o, '>', $out) or die "$out: $!";
printf $o "host %d %s %d\n", $hwm // 0, (@cpu ? "@cpu" : "0 0 0 0"), $hanon // 0;
printf $o "worker %d %d %s %d %s\n", $_, $w{$_} // 0, $name{$_} // 'unnamed', $wanon{$_} // 0, $cmd{$_} for sort { $a <=> $b } keys %cmd;
my @t = times;
printf $o "samples %d %.3f\n", $n, $t[0] + $t[1];
close $o;
PERL

sim_cpu() { # the simulator's CPU so far, clock ticks
	awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$sim_pid/stat"
}
stats() { # the simulator's counters, "mkt key value" lines
	curl -s "$base/_stats?format=lines"
}

start_sim() { # CARDS:LATENCY -> sets cards, lat; the simulator and both configs
	cards=${1%%:*} lat=${1##*:}
	if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null; wait "$sim_pid" 2>/dev/null; fi
	rm -f "$work/sim.port"
	"$sim" --cards "$cards" --seed 7 --latency "$lat" --port 0 --port-file "$work/sim.port" >/dev/null 2>"$work/sim.log" &
	sim_pid=$!
	for _ in $(seq 1 200); do [ -s "$work/sim.port" ] && break; sleep 0.05; done
	[ -s "$work/sim.port" ] || die "the simulator did not start"
	base="http://127.0.0.1:$(cat "$work/sim.port")"
	for mode in $modes; do
		pc="requests_per_second = $rps.0; isolation = \"$mode\";"
		cat >"$work/$mode.conf" <<CONF
database: { conninfo = "$db"; pool_size = 8; };
redis: { port = $IH_TEST_REDIS_PORT; db = 6; };
ingest: { cards_per_cycle = $cards; batch_size = 500; };
plugins: {
  dir = "$work/plugins";
  scryfall:   { base_url = "$base/scryfall"; $pc };
  cardtrader: { base_url = "$base/cardtrader/api/v2"; token = "sim-token"; $pc };
  tcgplayer:  { base_url = "$base/tcgplayer"; public_key = "sim-public"; private_key = "sim-private"; $pc };
  manapool:   { base_url = "$base/manapool/api/v1"; $pc };
};
CONF
	done
}

fresh_db() {
	psqlq "$admin" "DROP DATABASE IF EXISTS ih_isobench" >/dev/null || die "cannot drop the database"
	psqlq "$admin" "CREATE DATABASE ih_isobench" >/dev/null || die "cannot create the database"
	timeout 120 "$bin" -c "$work/thread.conf" --migrate -q >/dev/null || die "--migrate failed"
	timeout 300 "$sim" --cards "$cards" --seed 7 --seed-db "$db" 2>/dev/null || die "--seed-db failed"
	timeout 10 redis-cli -p "$IH_TEST_REDIS_PORT" -n 6 FLUSHDB >/dev/null || die "redis FLUSHDB failed"
	# the seeding's dirty pages and statistics settled before the clock starts, so
	# neither mode pays for a checkpoint or an autovacuum of the other's setup
	psqlq "$db" "VACUUM ANALYZE" >/dev/null
	psqlq "$db" "CHECKPOINT" >/dev/null 2>&1 || true
}

# one measured run: mode -> appends a line to $work/runs.txt
# set|mode|seq|wall|cycle|user|sys|maxrss_kb|host_hwm|host_cpu_ticks|child_cpu_ticks|
#   workers|largest_worker_hwm|sum_worker_hwm|rows|requests|floor_s|sim_cpu_ticks|rc|statuses|counted|
#   plugin=worker_hwm,...|host_anon|sum_worker_anon|sampler_cpu_s|plugin=run_seconds,...
run_one() { # set mode seq counted
	local set=$1 mode=$2 seq=$3 counted=$4 rc s0 s1 tpid
	fresh_db
	curl -s -X POST "$base/_control/reset" >/dev/null
	s0=$(sim_cpu)
	"$gtime" -f '%e %U %S %M' -o "$work/time" "$bin" -c "$work/$mode.conf" --once \
		>"$work/out" 2>"$work/err" &
	tpid=$!
	perl "$work/sampler.pl" "$tpid" "$sample_ms" "$work/sample" &
	wait "$tpid"
	rc=$?
	wait $!
	s1=$(sim_cpu)
	stats >"$work/stats"
	cp "$work/out" "$work/out.$set.$mode.$seq"
	cp "$work/err" "$work/err.$set.$mode.$seq"
	cp "$work/sample" "$work/sample.$set.$mode.$seq"
	local wall user sys maxrss cycle hhwm hcpu ccpu nw wmax wsum rows req floor statuses
	read -r wall user sys maxrss < <(tail -n 1 "$work/time")
	cycle=$(sed -n '1s/^cycle .*, \([0-9.]*\) s$/\1/p' "$work/out")
	read -r hhwm hcpu ccpu hanon < <(awk '$1 == "host" { print $2, $3 + $4, $5 + $6, $7 }' "$work/sample")
	read -r nw wmax wsum wanon < <(awk '$1 == "worker" { n++; s += $3; a += $5; if ($3 > m) m = $3 } END { print n + 0, m + 0, s + 0, a + 0 }' "$work/sample")
	rows=$(psqlq "$db" "SELECT count(*) FROM price_snapshots")
	req=$(awk '$2 == "total" && $1 != "all" { s += $3 } END { print s + 0 }' "$work/stats")
	# the latency floor: a plugin asks one request at a time, so its run lasts at
	# least its requests times the latency; the cycle, the longest of those
	floor=$(awk -v l="$lat" '$2 == "total" { if ($3 > m) m = $3 } END { printf "%.2f", m * l / 1000 }' "$work/stats")
	perplugin=$(awk '$1 == "worker" { printf "%s%s=%d", (n++ ? "," : ""), $4, $3 }' "$work/sample")
	: "${hanon:=0}" "${wanon:=0}"
	samp_cpu=$(awk '$1 == "samples" { print $3 }' "$work/sample")
	runsecs=$(awk 'NR > 2 && NF >= 13 { printf "%s%s=%s", (n++ ? "," : ""), $1, $(NF - 2) }' "$work/out")
	statuses=$(awk 'NR > 2 && NF >= 13 { printf "%s%s=%s", (n++ ? "," : ""), $1, $(NF - 1) }' "$work/out")
	echo "$set|$mode|$seq|$wall|${cycle:-0}|$user|$sys|$maxrss|${hhwm:-0}|${hcpu:-0}|${ccpu:-0}|$nw|$wmax|$wsum|$rows|$req|$floor|$((s1 - s0))|$rc|$statuses|$counted|$perplugin|$hanon|$wanon|${samp_cpu:-0}|$runsecs" >>"$work/runs.txt"
	say "    $(printf '%-7s' "$mode") #$seq: wall ${wall}s cycle ${cycle:-?}s cpu $(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')s" \
		"rss host $((hhwm / 1024)) MB, workers $nw (largest $((wmax / 1024)) MB), rows $rows, requests $req, exit $rc" \
		"$([ "$counted" = 1 ] || echo '(warm-up)')"
}

: >"$work/runs.txt"
for set in $sets; do
	start_sim "$set"
	say "==> $cards cards, $lat ms per request: $warmup warm-up + $runs rounds, a run of each mode, alternating"
	for ((i = 1; i <= warmup; i++)); do
		for mode in $modes; do run_one "$set" "$mode" "w$i" 0; done
	done
	for ((i = 1; i <= runs; i++)); do
		if ((i % 2)); then order="thread process"; else order="process thread"; fi
		for mode in $order; do run_one "$set" "$mode" "$i" 1; done
	done
done

# ---- the report ------------------------------------------------------------------
# agg LAT MODE COLUMN [SCALE] -> "median min max" of the counted runs
agg() {
	awk -F'|' -v l="$1" -v m="$2" -v c="$3" -v k="${4:-1}" '$1 == l && $2 == m && $21 == 1 {
			if (c == "cpu") v = $6 + $7; else if (c == "hcpu") v = $10 / 100; else if (c == "ccpu") v = $11 / 100;
			else if (c == "simcpu") v = $18 / 100; else if (c == "priv") v = $23 + $24; else v = $c; print v / k }' "$work/runs.txt" |
		sort -g | awk '{ a[NR] = $1 } END { if (!NR) { print "0 0 0"; exit }
			m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; print m, a[1], a[NR] }'
}
fmt() { # "median min max" decimals -> "median (min–max)"
	awk -v d="$2" '{ printf "%.*f (%.*f–%.*f)", d, $1, d, $2, d, $3 }' <<<"$1"
}
med() { cut -d' ' -f1 <<<"$1"; }
per_plugin() { # LAT COLUMN MODE [SCALE [DECIMALS]] -> "name median (min–max); ..." of a plugin=value,... column
	awk -F'|' -v l="$1" -v c="$2" -v m="$3" -v k="${4:-1}" '$1 == l && $2 == m && $21 == 1 {
			n = split($c, a, ","); for (i = 1; i <= n; i++) { split(a[i], kv, "="); print kv[1], kv[2] / k } }' "$work/runs.txt" |
		sort -k1,1 -k2,2g | awk -v d="${5:-2}" '{ v[$1] = v[$1] " " $2 } END { for (p in v) { n = split(substr(v[p], 2), a, " ");
			m = (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2; printf "%s %.*f (%.*f–%.*f)\n", p, d, m, d, a[1], d, a[n] } }' |
		sort | awk '{ printf "%s%s", (NR > 1 ? "; " : ""), $0 }'
}
pairs() { # SET COLUMN [diff] -> "median (min–max)" of process/thread per round (or process - thread)
	awk -F'|' -v l="$1" -v c="$2" -v d="${3:-}" '$1 == l && $21 == 1 { v = (c == "cpu") ? $6 + $7 : $c; x[$3, $2] = v; r[$3] = 1 }
		END { for (i in r) if (d) print x[i, "process"] - x[i, "thread"]; else if (x[i, "thread"] > 0) print x[i, "process"] / x[i, "thread"] }' "$work/runs.txt" |
		sort -g | awk -v d="${3:-}" '{ a[NR] = $1 } END { if (!NR) { print "-"; exit }
			m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
			if (d) printf "%+.2f s (%+.2f to %+.2f)", m, a[1], a[NR]; else printf "%.3f (%.3f–%.3f)", m, a[1], a[NR] }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "-" }'; }

verdict=OK
# a worker that lives less than a sampling period can be missed: fewer than 4
# seen is a note, none at all (or any in thread mode) a failure
unsampled=$(awk -F'|' '$2 == "process" && $12 > 0 && $12 < 4 { printf "%s%s run %s (%d)", (n++ ? ", " : ""), $1, $3, $12 }' "$work/runs.txt")
problems=$(awk -F'|' '$19 != 0 || ($2 == "process" && $12 == 0) || ($2 == "thread" && $12 != 0) ||
		$20 !~ /^([a-z]+=ok,?)+$/ { printf "%s (cards:ms) %s run %s: exit %s, %d workers seen, %s\n", $1, $2, $3, $19, $12, $20 }' "$work/runs.txt")
# every run of a set stores the same rows, whatever the mode
rowdiff=$(cut -d'|' -f1,15 "$work/runs.txt" | sort -u | awk -F'|' '{ n[$1]++; r[$1] = r[$1] " " $2 }
	END { for (s in n) if (n[s] > 1) printf "%s:%s; ", s, r[s] }')
[ -z "$problems" ] || verdict=FAIL
[ -z "$rowdiff" ] || verdict=FAIL
commit=$(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$src" status --porcelain --untracked-files=no 2>/dev/null | grep -c . || true)
gate_set=${sets%% *}
gate=$(pairs "$gate_set" 4 | cut -d' ' -f1)
pass=$(awk -v r="$gate" -v l="$limit" 'BEGIN { print (r != "-" && r < 1 + l / 100) ? "PASS" : "FAIL" }')
[ "$pass" = PASS ] || verdict=FAIL
mb() { awk -v k="$(med "$(agg "$gate_set" "$1" "$2")")" 'BEGIN { printf "%.1f", k / 1024 }'; }

{
	echo "# Plugin isolation: thread against process (#13)"
	echo
	echo "Written by \`make bench-isolation\` (also run by \`make bench\`; bench/isolation.sh, settings at its"
	echo "top) on $(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit$([ "$dirty" = 0 ] || echo " (with $dirty modified tracked files in the tree)")."
	echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr);"
	echo "$(psql "$admin" -X -qAt -c 'SHOW server_version' | sed 's/ .*//; s/^/PostgreSQL /') with durable settings; Redis $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p')."
	echo
	echo "Each run: \`ingesthost --once\` with the four real plugins against the simulator (N cards, seed 7,"
	echo "a fixed latency per request), \`cards_per_cycle\` = N, \`requests_per_second = $rps\`, a fresh database"
	echo "(migrated, cards seeded, then VACUUM ANALYZE and CHECKPOINT, off the clock) and an empty Redis"
	echo "before it, so every card is fetched and every row written. Only \`plugins.<name>.isolation\`"
	echo "differs between the modes. Per set (cards, latency): $warmup warm-up round(s), not counted, then"
	echo "$runs rounds of a run in each mode, back to back, in alternating order (thread-process,"
	echo "process-thread, ...). Figures: median (min–max) of those runs; the gate (the first set) takes the"
	echo "median of the rounds' ratios process/thread, which drifts in the machine's load between rounds"
	echo "move less than a ratio of two medians (both are shown)."
	echo
	echo "**In short** (${gate_set%%:*} cards, ${gate_set##*:} ms per request, medians): wall time process/thread $gate" \
		"(limit $(awk -v l="$limit" 'BEGIN { printf "%.2f", 1 + l / 100 }'): **$pass**), process − thread $(pairs "$gate_set" 4 diff | cut -d' ' -f1-2);" \
		"CPU $(pairs "$gate_set" cpu | cut -d' ' -f1)x, $(pairs "$gate_set" cpu diff | cut -d' ' -f1-2) a cycle;" \
		"host peak RSS $(mb thread 9) → $(mb process 9) MB, plus a worker per plugin (the largest $(mb process 13) MB);" \
		"private memory, host and workers, $(mb thread priv) → $(mb process priv) MB."
	echo
	echo "What is measured:"
	echo
	echo "- **wall s**: \`/usr/bin/time\` %e of the whole process (start, config, plugin probe and load, the"
	echo "  cycle, exit). **cycle s**: the cycle's own time, the first line of the \`--once\` summary."
	echo "- **CPU s**: %U + %S, the host and every child it reaped (wait4 counts reaped descendants: the"
	echo "  workers, and in both modes the loader's probe children). **of which children**: the host's"
	echo "  cutime + cstime (/proc/PID/stat) at its last sample, i.e. the workers and the probes."
	echo "- **host RSS MB**: the host's own peak (VmHWM in /proc/PID/status, sampled every $sample_ms ms; it only"
	echo "  grows, so the last sample misses at most the last $sample_ms ms). **largest worker MB**, **workers"
	echo "  summed MB**: the same for each \`--plugin-worker\` child (from its exec on); a sum of peaks that"
	echo "  need not coincide, and counting in each process the pages they share (the ingesthost binary,"
	echo "  libc, libcurl, libpq, ...). **private MB**: host + every worker, the largest RssAnon sampled"
	echo "  of each (heap, stacks: memory no other process shares), the fairer sum. **tree max RSS MB**:"
	echo "  \`/usr/bin/time\` %M, the wait4 ru_maxrss: the larger of the host's peak and any reaped child's"
	echo "  (not a sum). A child forked without exec (the loader's probe) counts the host pages it shares;"
	echo "  the workers are started with posix_spawn (no copy of the host), so theirs is their own."
	echo "- **floor s**: the latency floor, the most requests any one marketplace was asked for times"
	echo "  the latency (a plugin sends one request at a time). **simulator CPU s**: the simulator's"
	echo "  utime + stime over the run (the other side of the same requests)."
	echo
	for set in $sets; do
		echo "## ${set%%:*} cards, ${set##*:} ms per request$([ "$set" = "$gate_set" ] && echo " (the gate: process < $((100 + limit))% of thread's wall time)")"
		echo
		echo "| mode | wall s | cycle s | CPU s | of which children | rows | requests |"
		echo "|---|---:|---:|---:|---:|---:|---:|"
		for mode in $modes; do
			echo "| $mode | $(fmt "$(agg "$set" "$mode" 4)" 2) | $(fmt "$(agg "$set" "$mode" 5)" 2) | $(fmt "$(agg "$set" "$mode" cpu)" 2) |" \
				"$(fmt "$(agg "$set" "$mode" ccpu)" 2) | $(med "$(agg "$set" "$mode" 15)") | $(med "$(agg "$set" "$mode" 16)") |"
		done
		rw=$(ratio "$(med "$(agg "$set" process 4)")" "$(med "$(agg "$set" thread 4)")")
		rc=$(ratio "$(med "$(agg "$set" process 5)")" "$(med "$(agg "$set" thread 5)")")
		ru=$(ratio "$(med "$(agg "$set" process cpu)")" "$(med "$(agg "$set" thread cpu)")")
		echo "| **process/thread** | **$rw** | **$rc** | **$ru** | | | |"
		echo
		echo "Each plugin's run, seconds (the summary's SECONDS), median (min–max), thread → process: $(per_plugin "$set" 26 thread)" \
			"→ $(per_plugin "$set" 26 process)."
		echo
		echo "Paired, the two back-to-back runs of each round, process/thread: wall $(pairs "$set" 4), CPU $(pairs "$set" cpu)" \
			"(median (min–max) of the $runs rounds' ratios: less sensitive to the machine's load drifting between rounds);" \
			"process − thread: wall $(pairs "$set" 4 diff), cycle $(pairs "$set" 5 diff), CPU $(pairs "$set" cpu diff)."
		echo
		echo "| mode | host RSS MB | largest worker MB | workers summed MB | private MB (host + workers) | tree max RSS MB |"
		echo "|---|---:|---:|---:|---:|---:|"
		for mode in $modes; do
			echo "| $mode | $(fmt "$(agg "$set" "$mode" 9 1024)" 1) | $(fmt "$(agg "$set" "$mode" 13 1024)" 1) |" \
				"$(fmt "$(agg "$set" "$mode" 14 1024)" 1) | $(fmt "$(agg "$set" "$mode" priv 1024)" 1) | $(fmt "$(agg "$set" "$mode" 8 1024)" 1) |"
		done
		rh=$(ratio "$(med "$(agg "$set" process 9)")" "$(med "$(agg "$set" thread 9)")")
		rp=$(ratio "$(med "$(agg "$set" process priv)")" "$(med "$(agg "$set" thread priv)")")
		rt=$(ratio "$(med "$(agg "$set" process 8)")" "$(med "$(agg "$set" thread 8)")")
		echo "| **process/thread** | $rh | | | **$rp** | $rt |"
		echo
		echo "Peak RSS of each plugin's worker, MB, median (min–max): $(per_plugin "$set" 22 process 1024 1)."
		echo
		echo "Latency floor $(med "$(agg "$set" thread 17)") s; simulator CPU per run: thread $(fmt "$(agg "$set" thread simcpu)" 2) s," \
			"process $(fmt "$(agg "$set" process simcpu)" 2) s. The RSS sampler's own CPU per run (not in the figures above):" \
			"$(fmt "$(agg "$set" thread 25)" 3) s beside thread, $(fmt "$(agg "$set" process 25)" 3) s beside process."
		if [ "$set" = "$gate_set" ]; then
			echo
			echo "**Wall time, process/thread: $gate, the median of the $runs rounds' ratios (median over median: $rw)" \
				"— limit $(awk -v l="$limit" 'BEGIN { printf "%.2f", 1 + l / 100 }'): $pass.**"
		fi
		echo
	done
	echo "## Every run"
	echo
	echo "In the order run; the warm-up runs are not counted above."
	echo
	echo "| cards:ms | mode | run | wall s | cycle s | CPU s | children CPU s | host RSS MB | workers | largest worker MB | private MB | tree max RSS MB | rows | requests | simulator CPU s | exit |"
	echo "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	awk -F'|' '{ printf "| %s | %s | %s%s | %s | %s | %.2f | %.2f | %.1f | %d | %.1f | %.1f | %.1f | %s | %s | %.2f | %s |\n",
		$1, $2, $3, ($21 == 1 ? "" : " (warm-up)"), $4, $5, $6 + $7, $11 / 100, $9 / 1024, $12, $13 / 1024, ($23 + $24) / 1024, $8 / 1024,
		$15, $16, $18 / 100, $19 }' "$work/runs.txt"
	echo
	if [ -n "$problems" ]; then
		echo "**Runs that went wrong** (expected: exit 0, every plugin ok, workers seen in process mode, none in thread mode):"
		echo
		sed 's/^/- /' <<<"$problems"
		echo
	fi
	[ -z "$unsampled" ] || { echo "Process-mode runs where the sampler saw fewer than the 4 workers (one lived less than" \
		"$sample_ms ms; its RSS is missing from the worker figures, not from the times): $unsampled."; echo; }
	[ -z "$rowdiff" ] || { echo "**Rows stored differ between the runs of a set (cards:ms: counts): $rowdiff**"; echo; }
	echo "Verdict: **$verdict**"
} >"$work/report"

cat "$work/report"
mkdir -p "$(dirname "$report")" 2>/dev/null
if cp "$work/report" "$report" 2>/dev/null; then
	say "==> written to $report"
else
	mkdir -p "$build/bench" && cp "$work/report" "$build/bench/isolation-results.md" &&
		say "==> $report is not writable: written to $build/bench/isolation-results.md"
fi
[ "$verdict" = OK ]
