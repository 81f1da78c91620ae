#!/bin/sh
# A test that cannot reach its server is a SKIP, never a pass, and
# scripts/check fails on a SKIP (#12):
#  1. pool_test (PostgreSQL) and cache_test (Redis) run without their servers
#     exit 77, each naming what it lacks; with $CI set they fail (exit 1).
#  2. Their results, written by automake's own test driver, make
#     `scripts/check --skips DIR` (the gate scripts/check runs after every
#     make check) fail and name both tests; the same dir with the skips gone
#     (only a PASS left) passes the gate.
set -u
src=${IH_TOP_SRCDIR:?}
build=${IH_TOP_BUILDDIR:?}
tmp=$(mktemp -d /tmp/ih-skip.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/tests"
failed=0
fail() { echo "FAIL: $*"; failed=1; }

# no servers: every variable tests/servers.sh hands over is unset
noservers() {
	env -u IH_TEST_CONNINFO -u IH_TEST_REDIS_PORT -u IH_TEST_SERVERS -u IH_TEST_SERVERS_DIR \
		-u IH_TEST_PGHOST -u IH_TEST_PGPORT "$@"
}

for t in pool_test cache_test; do
	noservers env -u CI timeout 60 "$build/tests/$t" >"$tmp/$t.out" 2>&1
	rc=$?
	echo "$t without servers: exit $rc"
	[ "$rc" = 77 ] || { fail "$t without servers exited $rc, not 77"; cat "$tmp/$t.out"; }
	grep -q 'SKIP .*no \(PostgreSQL\|Redis\)' "$tmp/$t.out" || fail "$t did not say why it skipped"
	noservers env CI=1 timeout 60 "$build/tests/$t" >"$tmp/$t.ci.out" 2>&1
	rc=$?
	echo "$t without servers, CI set: exit $rc"
	[ "$rc" = 1 ] || { fail "$t without servers under CI exited $rc, not 1"; cat "$tmp/$t.ci.out"; }
	# the same run through the driver make check uses
	noservers env -u CI "$src/build-aux/test-driver" --test-name "tests/$t" --log-file "$tmp/tests/$t.log" \
		--trs-file "$tmp/tests/$t.trs" --color-tests no --enable-hard-errors yes --expect-failure no -- \
		timeout 60 "$build/tests/$t" >/dev/null
done
"$src/build-aux/test-driver" --test-name tests/passes --log-file "$tmp/tests/passes.log" \
	--trs-file "$tmp/tests/passes.trs" --color-tests no --enable-hard-errors yes --expect-failure no -- true >/dev/null
grep -q '^:test-result: PASS' "$tmp/tests/passes.trs" || fail "the driver did not record a PASS"

"$src/scripts/check" --skips "$tmp" >"$tmp/gate.out" 2>&1
rc=$?
sed 's/^/    gate: /' "$tmp/gate.out"
[ "$rc" != 0 ] || fail "scripts/check --skips passed with two skipped tests"
grep -q 'tests/pool_test$' "$tmp/gate.out" || fail "the gate did not name tests/pool_test"
grep -q 'tests/cache_test$' "$tmp/gate.out" || fail "the gate did not name tests/cache_test"
grep -q 'tests/passes' "$tmp/gate.out" && fail "the gate named a test that passed"

rm -f "$tmp/tests/pool_test.trs" "$tmp/tests/cache_test.trs"
"$src/scripts/check" --skips "$tmp" >"$tmp/gate2.out" 2>&1 || { fail "the gate failed with only a PASS"; cat "$tmp/gate2.out"; }

mkdir "$tmp/empty"
"$src/scripts/check" --skips "$tmp/empty" >/dev/null 2>&1 && fail "the gate passed a dir without any test result"

[ "$failed" = 0 ] && echo "PASS: a test without its server is a SKIP (77), a FAIL under CI, and scripts/check fails on a SKIP"
exit "$failed"
