#!/bin/sh
# make bench-import: import speed and memory of `ingesthost import scryfall`
# against the two limits an import cannot beat, in one run:
#   parse-only (decompress + parse + check, no database) and a plain COPY
#   of the rows the import produced into empty tables; plus the same rows
#   through per-row INSERTs (a sample, extrapolated).
#
#   bench/import.sh BUILDDIR [CARDS...]       default: 100000 400000
#
# Uses $IH_TEST_CONNINFO when set, else starts throwaway servers with
# durable settings (tests/servers.sh --bench).  The bulk file comes from
# bench/import gen, whose cards weigh what real ones do (about 8 KB, like
# the shared fixture's card), or with IH_BENCH_GEN=sim from the marketplace
# simulator (lighter cards, about 4.4 KB).
set -eu
build=$1; shift
sizes=${*:-100000 400000}
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$build/ingesthost
tool=$build/bench/import
sim=$build/tests/mockmarket/ingest-mockmarket
work=$(mktemp -d /tmp/ingesthost-bench-import.XXXXXX)
chmod 755 "$work"
cleanup() {
	[ -n "${own_servers:-}" ] && "$top/tests/servers.sh" stop "$work/servers" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
if [ -z "${IH_TEST_CONNINFO:-}" ]; then
	own_servers=1
	"$top/tests/servers.sh" start "$work/servers" --bench >/dev/null
	. "$work/servers/env"
fi
base=$IH_TEST_CONNINFO

fresh_db() { # name -> a migrated database, its config file in $work/$1.conf
	psql "$base" -qAt -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null 2>&1
	printf 'database: { conninfo = "%s dbname=%s"; };\nplugins: { dir = "%s"; };\n' "$base" "$1" "$work" > "$work/$1.conf"
	"$bin" -c "$work/$1.conf" --migrate >/dev/null 2>&1
}

timed() { # out-file command... : /usr/bin/time -v into out-file, the command's own output to stdout
	out=$1; shift
	/usr/bin/time -v -o "$out" "$@"
}
wall() { # seconds from a /usr/bin/time -v file
	awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$1"
}
rss_mb() { awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$1"; }

echo "## bench/import: $(psql "$base" -qAt -c 'SHOW server_version') fsync=$(psql "$base" -qAt -c 'SHOW fsync')" \
	"synchronous_commit=$(psql "$base" -qAt -c 'SHOW synchronous_commit'), $(nproc) cores"
for n in $sizes; do
	file=$work/cards-$n.jsonl.gz
	if [ -x "$sim" ] && [ "${IH_BENCH_GEN:-}" = sim ]; then
		"$sim" --cards "$n" --seed 1 --write-bulk "$file" >/dev/null
		gen="simulator"
	else
		"$tool" gen "$n" "$file" 1 >/dev/null
		gen="bench/import gen"
	fi
	echo
	echo "### $n cards ($gen: $(du -m "$file" | cut -f1) MB gzip, $(zcat "$file" | head -n 1 | wc -c) bytes per card)"
	timed "$work/parse.time" "$tool" parse "$file"
	fresh_db ih_bench_import
	timed "$work/import.time" "$bin" -c "$work/ih_bench_import.conf" import scryfall "$file" 2>"$work/import.err" ||
		{ cat "$work/import.err"; exit 1; }
	grep 'import scryfall:' "$work/import.err"
	src="$base dbname=ih_bench_import"
	rows=$(psql "$src" -qAt -c "SELECT (SELECT count(*) FROM cards) || ' ' || (SELECT count(*) FROM price_snapshots)")
	cards=${rows% *}
	snaps=${rows#* }
	fresh_db ih_bench_copy
	"$tool" copy "$src" "$base dbname=ih_bench_copy" | tee "$work/copy.out"
	copy_s=$(sed -n 's/.* rows in \([0-9.]*\) s.*/\1/p' "$work/copy.out")
	if [ "$n" = "$(echo $sizes | cut -d' ' -f1)" ]; then
		fresh_db ih_bench_rows
		"$tool" inserts "$src" "$base dbname=ih_bench_rows" 20000 | tee "$work/rows.out"
		rows_s=$(sed -n 's/.*extrapolated to [0-9]* rows: \([0-9.]*\) s.*/\1/p' "$work/rows.out")
		# the write path before COPY mode: one upsert statement per chunk
		fresh_db ih_bench_one
		"$tool" import "$base dbname=ih_bench_one" "$file" one | tee "$work/one.out"
		one_s=$(sed -n 's/.* in, \([0-9.]*\) s,.*/\1/p' "$work/one.out")
	else
		rows_s=
		one_s=
	fi
	imp=$(wall "$work/import.time")
	parse=$(wall "$work/parse.time")
	awk -v imp="$imp" -v parse="$parse" -v copy="$copy_s" -v rows="$rows_s" -v one="$one_s" -v cards="$cards" -v snaps="$snaps" \
	    -v rss="$(rss_mb "$work/import.time")" -v prss="$(rss_mb "$work/parse.time")" 'BEGIN {
		lim = parse > copy ? parse : copy
		printf "| figure | value |\n|---|---:|\n"
		printf "| import wall time | %.2f s |\n", imp
		printf "| cards/s | %.0f |\n| snapshot rows/s | %.0f |\n", cards / imp, snaps / imp
		printf "| peak RSS, import | %s MB |\n| peak RSS, parse-only | %s MB |\n", rss, prss
		printf "| parse-only (decompress + parse) | %.2f s |\n", parse
		printf "| plain COPY of the same %d rows | %.2f s |\n", cards + snaps, copy
		printf "| import / max(parse-only, plain COPY) | %.2fx (limit 1.5x) |\n", imp / lim
		if (one != "")
			printf "| the same import, upsert statement per chunk (no COPY of snapshots) | %.2f s |\n", one
		if (rows != "")
			printf "| per-row INSERTs, extrapolated from a 20000-row sample | %.1f s (%.0fx slower than the import; want >= 20x) |\n", rows, rows / imp
		if (rows != "")
			printf "| per-row INSERTs / plain COPY: what no import writing through one connection can beat | %.1fx |\n", rows / copy
	}'
done
