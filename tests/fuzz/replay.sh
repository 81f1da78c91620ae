#!/bin/sh
# tests/fuzz/replay.sh -- the corpus replay of `make check` (#14): every
# file of tests/fuzz/corpus/NAME, tests/fuzz/crashes/NAME and NAME's seed
# directories (tests/fuzz/harnesses.txt) goes once through harness NAME,
# built with tests/fuzz/replay.c (tests/fuzz/replay_NAME): no libFuzzer,
# any compiler, the normal and the sanitizer builds alike.  A harness's
# sink check aborts on a broken invariant, and the test fails naming the
# harness; run tests/fuzz/replay_NAME -v FILE... to see one input's run.
set -u
top=${IH_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bld=${IH_TOP_BUILDDIR:-$(pwd)}
list=$top/tests/fuzz/harnesses.txt
fail=0 count=0 names=

[ -f "$list" ] || { echo "FAIL: $list is missing"; exit 1; }
# leaks of libraries, not ours (sanitizer builds; see the file)
LSAN_OPTIONS="suppressions=$top/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS

# A failing sink check must fail the replay (or the test proves nothing).
first=$(awk '!/^#/ && NF { print $1; exit }' "$list")
if "$bld/tests/fuzz/replay_$first" --selftest >/dev/null 2>&1; then
	echo "FAIL: replay_$first --selftest passed: a failed check would not fail the replay"
	exit 1
fi

while read -r name dict seeds; do
	case $name in '' | \#*) continue ;; esac
	: "$dict"
	names="$names $name"
	bin=$bld/tests/fuzz/replay_$name
	if [ ! -x "$bin" ]; then
		echo "FAIL: $name: $bin is not built (tests/fuzz/local.mk and harnesses.txt disagree?)"
		fail=1
		continue
	fi
	corpus=$top/tests/fuzz/corpus/$name
	if [ -z "$(ls -A "$corpus" 2>/dev/null)" ]; then
		echo "FAIL: $name: no corpus in $corpus"
		fail=1
		continue
	fi
	dirs="$corpus $top/tests/fuzz/crashes/$name"
	for s in $seeds; do
		dirs="$dirs $top/$s"
	done
	# shellcheck disable=SC2086
	if "$bin" $dirs; then
		count=$((count + 1))
	else
		echo "FAIL: $name: an input of $dirs broke the harness (above)"
		fail=1
	fi
done <"$list"

for bin in "$bld"/tests/fuzz/replay_*; do
	[ -x "$bin" ] || continue
	case " $names " in *" ${bin##*/replay_} "*) ;; *)
		echo "FAIL: $bin is not in $list"
		fail=1 ;;
	esac
done
[ "$count" -gt 0 ] || fail=1
[ "$fail" = 0 ] && echo "replay: $count harnesses replayed, all inputs passed"
exit $fail
