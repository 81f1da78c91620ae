#!/usr/bin/env bash
# tests/fuzz/run.sh -- `make fuzz` and `make fuzz-merge` (#14).
#   run.sh fuzz  --srcdir S --builddir B [--seconds N] [--jobs J] [--flag F]... NAME...
#   run.sh merge --srcdir S --builddir B NAME...
# fuzz: each harness B/tests/fuzz/fuzz_NAME runs N seconds (J at once) on
# its corpus (S/tests/fuzz/corpus/NAME), its past crashes and its seeds
# (S/tests/fuzz/harnesses.txt), with its dictionary; what it finds goes to
# B/tests/fuzz/work/NAME/{corpus,artifacts}.  A table gives per harness the
# seconds it ran (less than N when it crashed), the executions, their rate, the coverage (libFuzzer's cov: edges, ft:
# features), the corpus size and the crashes; each crash is shown with its
# reproducer (replay it: B/tests/fuzz/replay_NAME FILE).  Exit 1 on any
# crash.  merge: the work corpora, minimized, into S/tests/fuzz/corpus/NAME.
set -u
mode=${1:-}
shift || true
src=. bld=. secs=60 jobs=1 flags=() names=()
while [ $# -gt 0 ]; do
	case "$1" in
	--srcdir) src=$2; shift ;;
	--builddir) bld=$2; shift ;;
	--seconds) secs=$2; shift ;;
	--jobs) jobs=$2; shift ;;
	--flag) flags+=("$2"); shift ;;
	*) names+=("$1") ;;
	esac
	shift
done
list=$src/tests/fuzz/harnesses.txt
[ -f "$list" ] || { echo "run.sh: $list not found" >&2; exit 2; }
[ ${#names[@]} -gt 0 ] || { echo "run.sh: no harness named" >&2; exit 2; }

# leaks of libraries, not ours (see the file)
export LSAN_OPTIONS="suppressions=$src/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

# "dict seeds..." of a harness
entry() { awk -v n="$1" '$1 == n { $1 = ""; print; exit }' "$list"; }

one() { # name: fuzz it, then write work/NAME/result
	local name=$1 bin=$bld/tests/fuzz/fuzz_$1 work=$bld/tests/fuzz/work/$1 dict seeds args=()
	read -r dict seeds <<<"$(entry "$name")"
	mkdir -p "$work/corpus" "$work/artifacts"
	rm -f "$work"/artifacts/crash-* "$work"/artifacts/leak-* "$work"/artifacts/timeout-* "$work"/artifacts/oom-*
	[ -n "$dict" ] && [ "$dict" != - ] && args+=("-dict=$src/tests/fuzz/$dict")
	args+=("-max_total_time=$secs" -print_final_stats=1 -timeout=25 -rss_limit_mb=2048 -max_len=65536
		"-artifact_prefix=$work/artifacts/" "${flags[@]}" "$work/corpus" "$src/tests/fuzz/corpus/$name")
	[ -d "$src/tests/fuzz/crashes/$name" ] && args+=("$src/tests/fuzz/crashes/$name")
	for s in $seeds; do args+=("$src/$s"); done
	local t0=$SECONDS
	"$bin" "${args[@]}" >"$work/log" 2>&1
	local rc=$? took=$((SECONDS - t0)) execs rate cov ft corp crashes
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -n 1)
	cov=$(grep -o ' cov: [0-9]*' "$work/log" | tail -n 1 | awk '{ print $2 }')
	ft=$(grep -o ' ft: [0-9]*' "$work/log" | tail -n 1 | awk '{ print $2 }')
	corp=$(grep -o ' corp: [0-9]*' "$work/log" | tail -n 1 | awk '{ print $2 }')
	crashes=$(find "$work/artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
	[ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ] && crashes=1 # died without an artifact
	# libFuzzer says 0 per second for a run shorter than a second
	[ "${rate:-0}" = 0 ] && [ -n "$execs" ] && rate=$((execs / (took > 0 ? took : 1)))
	printf '%-22s %6s %12s %8s %6s %6s %7s %7s\n' "$name" "$took" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
		"${ft:-?}" "${corp:-?}" "$crashes" >"$work/result"
	return 0
}

case "$mode" in
fuzz)
	echo "==> fuzzing ${#names[@]} harnesses, $secs s each, $jobs at once"
	running=0
	for n in "${names[@]}"; do
		[ -x "$bld/tests/fuzz/fuzz_$n" ] || { echo "run.sh: $bld/tests/fuzz/fuzz_$n not built" >&2; exit 2; }
		rm -f "$bld/tests/fuzz/work/$n/result"
		one "$n" &
		running=$((running + 1))
		if [ "$running" -ge "$jobs" ]; then
			wait -n
			running=$((running - 1))
		fi
	done
	wait
	printf '%-22s %6s %12s %8s %6s %6s %7s %7s\n' harness seconds executions exec/s cov ft corpus crashes
	total=0 bad=0
	for n in "${names[@]}"; do
		r=$bld/tests/fuzz/work/$n/result
		if [ ! -f "$r" ]; then
			echo "$n: no result" && bad=$((bad + 1))
			continue
		fi
		cat "$r"
		c=$(awk '{ print $8 }' "$r")
		x=$(awk '{ print $3 }' "$r")
		[ "$x" != "?" ] && total=$((total + x))
		[ "$c" -gt 0 ] && bad=$((bad + c))
	done
	echo "==> $total executions in all, $bad crash(es)"
	for n in "${names[@]}"; do
		w=$bld/tests/fuzz/work/$n
		for a in "$w"/artifacts/*; do
			[ -f "$a" ] || continue
			echo "---- $n: $a"
			grep -m 3 -e '^==fuzz==' -e 'SUMMARY:' -e 'runtime error' "$w/log" | sed 's/^/    /'
			echo "    replay: $bld/tests/fuzz/replay_$n $a"
			# the input itself, for a CI log that outlives the machine
			[ "$(wc -c <"$a")" -le 1024 ] && echo "    base64: $(base64 -w0 "$a")"
		done
		if [ -f "$w/result" ] && [ "$(awk '{ print $8 }' "$w/result")" -gt 0 ] &&
			[ -z "$(ls -A "$w/artifacts" 2>/dev/null)" ]; then
			echo "---- $n: died without a reproducer; the end of $w/log:"
			tail -n 20 "$w/log" | sed 's/^/    /'
		fi
	done
	[ "$bad" -eq 0 ]
	;;
merge)
	for n in "${names[@]}"; do
		w=$bld/tests/fuzz/work/$n
		[ -d "$w/corpus" ] || continue
		mkdir -p "$src/tests/fuzz/corpus/$n"
		before=$(ls "$src/tests/fuzz/corpus/$n" | wc -l)
		"$bld/tests/fuzz/fuzz_$n" -merge=1 "$src/tests/fuzz/corpus/$n" "$w/corpus" >"$w/merge.log" 2>&1 ||
			{ echo "$n: merge failed, see $w/merge.log"; exit 1; }
		echo "$n: $before -> $(ls "$src/tests/fuzz/corpus/$n" | wc -l) inputs in tests/fuzz/corpus/$n"
	done
	;;
*)
	sed -n '2,13p' "$0" >&2
	exit 2
	;;
esac
