# Sourced by scripts/check and scripts/demo: install what a bare Debian
# machine lacks.  As root directly, otherwise through sudo when it exists.
IH_PACKAGES="gcc make autoconf automake libtool pkg-config
  libpq-dev libhiredis-dev libcurl4-openssl-dev libconfig-dev libjson-c-dev zlib1g-dev
  libcunit1-dev libmicrohttpd-dev postgresql postgresql-contrib redis-server redis-tools
  ca-certificates time"

ih_ensure_deps() {
	local missing=() p
	for p in $IH_PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "==> installing: ${missing[*]}"
	local sudo=
	if [ "$(id -u)" != 0 ]; then
		if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
			echo "missing packages and not root: apt-get install ${missing[*]}" >&2
			return 1
		fi
	fi
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	# the package starts a system cluster and redis we do not use
	$sudo systemctl stop redis-server 2>/dev/null || true
}

# Optional: clang with libFuzzer and its sanitizer runtimes, for the fuzzing
# step of .ci/run (#14; tests/fuzz).  Installs them when it can; returns 1,
# never exits, when it cannot (not root and no sudo, no such package): the
# caller then skips fuzzing (the corpus replay of make check does not need
# clang).
IH_FUZZ_PACKAGES="clang libclang-rt-dev"

ih_ensure_fuzz_deps() {
	local missing=() p sudo=
	for p in $IH_FUZZ_PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		if [ "$(id -u)" != 0 ]; then
			command -v sudo >/dev/null 2>&1 || return 1
			sudo="sudo -n"
		fi
		echo "==> installing for fuzzing: ${missing[*]}"
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
			>/dev/null 2>&1 ||
			{ $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 &&
				$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
					"${missing[@]}" >/dev/null 2>&1; } || return 1
	fi
	command -v clang >/dev/null 2>&1
}
