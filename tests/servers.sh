#!/usr/bin/env bash
# Throwaway PostgreSQL and Redis servers on free loopback ports, for the test
# suite, the benchmarks and the demo.
#
#   servers.sh start DIR [--bench]   start both under DIR; prints the env to use
#   servers.sh stop DIR              stop both (and the proxy), remove nothing
#   servers.sh restart-pg DIR        fast restart of PostgreSQL (same port)
#   servers.sh stop-pg DIR | start-pg DIR    (also pg-stop, pg-start)
#   servers.sh stop-redis DIR | start-redis DIR
#   servers.sh proxy-start DIR BINARY  run BINARY (tests/ih-silentproxy) in
#                                    front of PostgreSQL on a free port; writes
#                                    DIR/proxy.port and DIR/proxy.pid, prints
#                                    export IH_TEST_PROXY_CONNINFO="..."
#   servers.sh proxy-silence DIR     the proxy's open connections fall silent
#                                    (returns once the proxy says so)
#   servers.sh proxy-stop DIR
#
# DIR/env holds the variables the tests read:
#   IH_TEST_CONNINFO, IH_TEST_PGPORT, IH_TEST_PGHOST, IH_TEST_REDIS_PORT,
#   IH_TEST_SERVERS (this script), IH_TEST_SERVERS_DIR (DIR).
# PostgreSQL refuses to run as root: as root the cluster belongs to the
# 'postgres' user and every pg command runs through runuser.
set -euo pipefail

cmd=${1:?usage: servers.sh start|stop|restart-pg|stop-pg|start-pg|stop-redis|start-redis|proxy-start|proxy-silence|proxy-stop DIR}
dir=${2:?usage: servers.sh $cmd DIR}
mode=${3:-}
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$pgbin" ] || { echo "servers.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

as_pg() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A port no one listens on, below the kernel's ephemeral range (a port in
# it may be taken by any outgoing connection between our check and the
# server's bind).  The servers' starts still retry on another port.
free_port() {
	local p lo=32768
	read -r lo _ < /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
	[ "$lo" -gt 12000 ] 2>/dev/null || lo=32768
	for _ in $(seq 1 200); do
		p=$(( 10000 + (RANDOM * 32768 + RANDOM) % (lo - 10000) ))
		if port_free "$p"; then echo "$p"; return 0; fi
	done
	echo "servers.sh: no free port found" >&2
	return 1
}

pg_start() {
	as_pg "$pgbin/pg_ctl" -D "$dir/pg" -l "$dir/pg.log" -w -t 60 start >/dev/null
}

pg_stop() {
	[ -f "$dir/pg/postmaster.pid" ] || return 0
	as_pg "$pgbin/pg_ctl" -D "$dir/pg" -m fast -w -t 60 stop >/dev/null || true
}

redis_start() {
	local port; port=$(cat "$dir/redis.port")
	redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
		--dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --daemonize yes
	for _ in $(seq 1 300); do
		# ours, not another test's server that had the port first
		if redis-cli -p "$port" ping >/dev/null 2>&1; then
			[ "$(redis-cli -p "$port" config get dir 2>/dev/null | sed -n 2p)" = "$dir" ] && return 0
			echo "servers.sh: port $port belongs to another Redis" >&2
			return 1
		fi
		sleep 0.05
	done
	echo "servers.sh: redis did not start on port $port:" >&2
	cat "$dir/redis.log" >&2 2>/dev/null
	return 1
}

redis_stop() {
	[ -f "$dir/redis.pid" ] || return 0
	local pid; pid=$(cat "$dir/redis.pid")
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$dir/redis.pid"
}

proxy_start() {
	local bin=${mode:?usage: servers.sh proxy-start DIR BINARY} pgport port
	proxy_stop
	pgport=$(sed -n 's/^export IH_TEST_PGPORT=//p' "$dir/env")
	[ -n "$pgport" ] || { echo "servers.sh: no $dir/env: run servers.sh start first" >&2; return 1; }
	rm -f "$dir/proxy.port"
	# its own session, so the caller's terminal or test harness signals never reach it
	setsid "$bin" --to "127.0.0.1:$pgport" --port 0 --port-file "$dir/proxy.port" \
		>"$dir/proxy.log" 2>&1 </dev/null &
	echo $! > "$dir/proxy.pid"
	for _ in $(seq 1 200); do
		[ -s "$dir/proxy.port" ] && break
		kill -0 "$(cat "$dir/proxy.pid")" 2>/dev/null || break
		sleep 0.05
	done
	[ -s "$dir/proxy.port" ] || { echo "servers.sh: the proxy did not start, see $dir/proxy.log" >&2; return 1; }
	port=$(cat "$dir/proxy.port")
	echo "export IH_TEST_PROXY_CONNINFO=\"host=127.0.0.1 port=$port user=postgres dbname=ingesthost_test\""
}

proxy_silence() {
	[ -f "$dir/proxy.pid" ] || { echo "servers.sh: no proxy running in $dir" >&2; return 1; }
	local before; before=$(grep -c '^silenced' "$dir/proxy.log" || true)
	kill -USR1 "$(cat "$dir/proxy.pid")"
	for _ in $(seq 1 400); do
		[ "$(grep -c '^silenced' "$dir/proxy.log" || true)" -gt "$before" ] && return 0
		sleep 0.025
	done
	echo "servers.sh: the proxy did not acknowledge SIGUSR1, see $dir/proxy.log" >&2
	return 1
}

proxy_stop() {
	[ -f "$dir/proxy.pid" ] || return 0
	local pid; pid=$(cat "$dir/proxy.pid")
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$dir/proxy.pid" "$dir/proxy.port"
}

case "$cmd" in
start)
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	[ "$(id -u)" = 0 ] && chown postgres "$dir" && chmod 755 "$dir"
	if [ ! -d "$dir/pg" ]; then
		as_pg "$pgbin/initdb" -D "$dir/pg" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
			as_pg "$pgbin/initdb" -D "$dir/pg" -U postgres -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 || {
			cat "$dir/initdb.log" >&2; exit 1; }
	fi
	for attempt in 1 2 3 4 5; do
	pgport=$(free_port)
	{
		echo "listen_addresses = '127.0.0.1'"
		echo "port = $pgport"
		echo "unix_socket_directories = '$dir'"
		echo "shared_preload_libraries = 'pg_stat_statements'"
		echo "max_connections = 200"
		echo "shared_buffers = 256MB"
		if [ "$mode" = --bench ]; then
			# what a production server runs: statements inside statements
			# (the foreign-key checks of every row) are not tracked
			echo "pg_stat_statements.track = top"
		else
			echo "pg_stat_statements.track = all"
			# a throwaway test cluster: durability buys nothing here
			echo "fsync = off"
			echo "synchronous_commit = off"
			echo "full_page_writes = off"
		fi
	} > "$dir/ih.conf"
	as_pg cp "$dir/ih.conf" "$dir/pg/ih.conf" 2>/dev/null || cp "$dir/ih.conf" "$dir/pg/ih.conf"
	grep -q "include_if_exists = 'ih.conf'" "$dir/pg/postgresql.conf" ||
		echo "include_if_exists = 'ih.conf'" | as_pg tee -a "$dir/pg/postgresql.conf" >/dev/null
	pg_start && break
	# another server took the port between the check and the bind: again
	if [ "$attempt" = 5 ] || ! grep -q "Address already in use" "$dir/pg.log"; then
		cat "$dir/pg.log" >&2
		exit 1
	fi
	done
	# a reused DIR (scripts/demo run twice) already has the database
	[ "$(as_pg "$pgbin/psql" -h 127.0.0.1 -p "$pgport" -U postgres -d postgres -qAt \
		-c "SELECT 1 FROM pg_database WHERE datname = 'ingesthost_test'")" = 1 ] ||
		as_pg "$pgbin/psql" -h 127.0.0.1 -p "$pgport" -U postgres -d postgres -qAt \
			-c "CREATE DATABASE ingesthost_test" >/dev/null
	as_pg "$pgbin/psql" -h 127.0.0.1 -p "$pgport" -U postgres -d ingesthost_test -qAt \
		-c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
	for attempt in 1 2 3 4 5; do
		free_port > "$dir/redis.port"
		redis_start && break
		[ "$attempt" = 5 ] && exit 1
	done
	cat > "$dir/env" <<ENV
export IH_TEST_PGHOST=127.0.0.1
export IH_TEST_PGPORT=$pgport
export IH_TEST_CONNINFO="host=127.0.0.1 port=$pgport user=postgres dbname=ingesthost_test"
export IH_TEST_REDIS_PORT=$(cat "$dir/redis.port")
export IH_TEST_SERVERS="$self"
export IH_TEST_SERVERS_DIR="$dir"
ENV
	cat "$dir/env"
	;;
stop) proxy_stop; redis_stop; pg_stop ;;
restart-pg) pg_stop; pg_start ;;
stop-pg | pg-stop) pg_stop ;;
start-pg | pg-start) pg_start ;;
proxy-start) proxy_start ;;
proxy-silence) proxy_silence ;;
proxy-stop) proxy_stop ;;
stop-redis) redis_stop ;;
start-redis) redis_start ;;
*) echo "servers.sh: unknown command $cmd" >&2; exit 1 ;;
esac
