# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# shellcheck shell=bash
# lib.sh - shared helpers of slirpish's integration tests (sourced by bash).
#
# Each test gets a network namespace of its own (unique name), a TAP device
# tap0 inside it that slirpish attaches to from the init namespace
# (--tap tap0 --netns NS), and a temporary directory.  Everything a test
# starts goes through it_bg, which records the PID; the EXIT trap kills
# those PIDs (and only those), deletes the namespace and the directory.
# Only loopback and the namespace's own addresses are ever used.
#
# Verdicts: it_pass / it_fail / it_skip print the last line
# ("PASS: name: why", ...) and exit 0 / 1 / 77.
#
# The harness runs tests with $(SHELL) (often dash): a script that sources
# this file from another shell is re-run with bash here, before any bash-only
# syntax is read.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

IT_PY=/usr/bin/python3
[ -x "$IT_PY" ] || IT_PY=python3
IT_PIDS=()
IT_NS=""
IT_TMP=""
IT_SL_PID=""
IT_SL_LOG=""

top_srcdir=${top_srcdir:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
IT_SLIRPISH=${SLIRPISH:-$top_builddir/slirpish/slirpish}

# it_log MSG... - a progress line on stdout (kept in the test's .log).
it_log() { echo "[$(date +%T)] $IT_NAME: $*"; }

it_pass() { echo "PASS: $IT_NAME: $*"; exit 0; }
it_skip() { echo "SKIP: $IT_NAME: $*"; exit 77; }

# it_fail WHY - show the evidence (slirpish's log tail, counters), then FAIL.
it_fail() {
	if [ -n "$IT_SL_PID" ] && kill -0 "$IT_SL_PID" 2>/dev/null; then
		it_counters >/dev/null 2>&1
	fi
	if [ -n "$IT_SL_LOG" ] && [ -s "$IT_SL_LOG" ]; then
		echo "--- slirpish log (last 60 lines)"
		tail -n 60 "$IT_SL_LOG"
	fi
	echo "FAIL: $IT_NAME: $*"
	exit 1
}

# it_stop - kill what the test started (by PID) and delete its namespace;
# the temporary directory stays (a test may then build a fresh set-up).
it_stop() {
	local p
	for p in "${IT_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${IT_PIDS[@]}"; do
		local i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 20 ]; do sleep 0.1; i=$((i + 1)); done
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	IT_PIDS=()
	IT_SL_PID=""
	[ -n "$IT_NS" ] && ip netns del "$IT_NS" 2>/dev/null
	return 0
}

it_cleanup() {
	it_stop
	if [ -n "$IT_TMP" ] && [ -z "${ULVM_KEEP:-}" ]; then rm -rf "$IT_TMP"; fi
	[ -n "${ULVM_KEEP:-}" ] && [ -n "$IT_TMP" ] && echo "kept $IT_TMP"
	return 0
}

# it_init NAME TOOL... - root check, tools check (skip when missing), temp
# directory, namespace name, traps.
it_init() {
	IT_NAME=$1
	shift
	[ "$(id -u)" = 0 ] || it_skip "needs root (network namespaces, TAP devices)"
	local t
	for t in ip timeout "$@"; do
		command -v "$t" >/dev/null 2>&1 || it_skip "missing tool: $t"
	done
	[ -x "$IT_SLIRPISH" ] || it_fail "no $IT_SLIRPISH (build first)"
	IT_TMP=$(mktemp -d "/tmp/it-$IT_NAME.XXXXXX") || it_fail "mktemp"
	IT_NS="it-$IT_NAME-$$"
	trap 'it_cleanup' EXIT
	trap 'exit 130' INT TERM
}

# it_bg CMD... - start CMD in the background and remember its PID ($IT_LAST).
it_bg() {
	"$@" &
	IT_LAST=$!
	IT_PIDS+=("$IT_LAST")
}

# it_nsx CMD... - run CMD inside the test's namespace.
it_nsx() { ip netns exec "$IT_NS" "$@"; }

# it_netns [MTU] - create the namespace (IPv6 off) with lo and tap0 up.
it_netns() {
	ip netns add "$IT_NS" || it_fail "ip netns add $IT_NS"
	ip -n "$IT_NS" link set lo up
	# No IPv6 chatter from the guest (router solicitations, MLD): slirpish
	# drops it as an unknown ethertype, which would blur exact counts.
	ip netns exec "$IT_NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 2>/dev/null
	ip -n "$IT_NS" tuntap add tap0 mode tap || it_fail "tuntap add in $IT_NS"
	if [ -n "${1:-}" ]; then
		ip -n "$IT_NS" link set tap0 mtu "$1" || it_fail "set mtu $1"
	fi
	ip -n "$IT_NS" link set tap0 up
}

# it_slirpish ARGS... - start slirpish on tap0 of the namespace with extra
# ARGS; its standard error goes to $IT_SL_LOG.  Waits until it says it is
# attached (or fails).
it_slirpish() {
	IT_SL_LOG=$IT_TMP/slirpish.log
	it_bg "$IT_SLIRPISH" --tap tap0 --netns "$IT_NS" "$@" >"$IT_SL_LOG" 2>&1
	IT_SL_PID=$IT_LAST
	local i
	for i in $(seq 50); do
		grep -q 'attached' "$IT_SL_LOG" 2>/dev/null && return 0
		kill -0 "$IT_SL_PID" 2>/dev/null || it_fail "slirpish exited at start"
		sleep 0.1
	done
	it_fail "slirpish did not attach to tap0 within 5 s"
}

# it_static_addr - the guest's static configuration: 10.0.2.15/24 via .2
it_static_addr() {
	ip -n "$IT_NS" addr add 10.0.2.15/24 dev tap0 || it_fail "addr add"
	ip -n "$IT_NS" route add default via 10.0.2.2 || it_fail "route add"
}

# it_free_port [udp] - a port free on 127.0.0.1 right now.
it_free_port() {
	"$IT_PY" - "${1:-tcp}" <<'EOF'
import socket, sys
t = socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM
s = socket.socket(socket.AF_INET, t)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
EOF
}

# it_wait_listen PORT [NS] - wait (5 s) for a TCP listener on PORT, in the
# init namespace or in NS.
it_wait_listen() {
	local port=$1 ns=${2:-} i
	for i in $(seq 50); do
		if [ -n "$ns" ]; then
			ip netns exec "$ns" ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && return 0
		else
			ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && return 0
		fi
		sleep 0.1
	done
	it_fail "nothing listens on TCP port $port"
}

# it_counters - ask slirpish for its counters (SIGUSR1) and print the newest
# block (counter lines and flow table) once it is complete.
it_counters() {
	local before i
	before=$(grep -c 'counters (' "$IT_SL_LOG" 2>/dev/null)
	kill -USR1 "$IT_SL_PID" 2>/dev/null || return 1
	for i in $(seq 50); do
		[ "$(grep -c 'counters (' "$IT_SL_LOG")" -gt "$before" ] && break
		sleep 0.1
	done
	sleep 0.2
	awk '/counters \(/ { n++ } { if (n) b[n] = b[n] $0 "\n" } END { printf "%s", b[n] }' "$IT_SL_LOG"
}

# it_counter NAME - NAME's value in a fresh counters block.
it_counter() {
	it_counters | awk -v k="$1" '$1 == k { print $2; exit }'
}

# it_flows_in_use - the "N flows in use" of a fresh counters block.
it_flows_in_use() {
	it_counters | sed -n 's/.*counters (\([0-9]*\) flows in use).*/\1/p' | head -n 1
}

# it_sha FILE - sha256 of FILE.
it_sha() { sha256sum "$1" | cut -d' ' -f1; }
