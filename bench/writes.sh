#!/bin/sh
# Run bench/writes: against $IH_TEST_CONNINFO when set, else against
# throwaway servers with durable settings (tests/servers.sh --bench).
#   bench/writes.sh BINARY [args...]
set -eu
bin=$1; shift
top=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${IH_TEST_CONNINFO:-}" ]; then
	dir=$(mktemp -d /tmp/ingesthost-bench.XXXXXX)
	chmod 755 "$dir"
	trap '"$top/tests/servers.sh" stop "$dir/servers" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT INT TERM
	"$top/tests/servers.sh" start "$dir/servers" --bench >/dev/null
	. "$dir/servers/env"
fi
"$bin" "$@"
