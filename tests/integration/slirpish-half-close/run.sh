#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# run.sh - TCP half-close through slirpish, both ways, both roles.
#
# With hc.py (same folder) as the peers:
#  1. guest client sends 1 MiB, shuts its write side (FIN), and must still
#     receive the host server's answer (which the server only sends after
#     reading EOF: the length and sha256 of what it got, plus 64 KiB);
#  2. the host server sends a greeting and shuts its write side first; the
#     guest reads it to EOF and then keeps sending 1 MiB, which the server
#     must receive in full (sha256 compared);
#  3 and 4. the same two with the roles reversed through a port map
#     (-t 127.0.0.1:P:PORT): the client on the host, the server in the guest.
# Exit 0 pass, 77 skip (not root, tool missing), 1 fail.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/integration/lib.sh"

it_init slirpish-half-close ss
hc=$top_srcdir/tests/integration/slirpish-half-close/hc.py
n=1048576
greet=200000

# case NAME SERVER-NS-OR-EMPTY SERVER-ARGS... -- CLIENT-NS-OR-EMPTY CLIENT-ARGS...
run_case() {
	local name=$1 sns=$2 cns rc sx="" cx=""
	shift 2
	local sargs=() cargs=()
	while [ "$1" != -- ]; do sargs+=("$1"); shift; done
	shift
	cns=$1
	shift
	cargs=("$@")
	[ -n "$sns" ] && sx="ip netns exec $sns"
	[ -n "$cns" ] && cx="ip netns exec $cns"
	it_bg $sx timeout 60 "$IT_PY" "$hc" "${sargs[@]}" >"$IT_TMP/$name.srv" 2>&1
	local srv=$IT_LAST
	it_wait_listen "${sargs[2]}" "$sns"
	$cx timeout 60 "$IT_PY" "$hc" "${cargs[@]}" >"$IT_TMP/$name.cli" 2>&1
	rc=$?
	for i in $(seq 100); do kill -0 "$srv" 2>/dev/null || break; sleep 0.1; done
	wait "$srv" 2>/dev/null
	local src=$?
	echo "$name: client: $(tr '\n' ' ' <"$IT_TMP/$name.cli")| server: $(tr '\n' ' ' <"$IT_TMP/$name.srv")"
	[ "$rc" = 0 ] || it_fail "$name: client exit $rc: $(tr '\n' ' ' <"$IT_TMP/$name.cli")"
	[ "$src" = 0 ] || it_fail "$name: server exit $src: $(tr '\n' ' ' <"$IT_TMP/$name.srv")"
}

# compare_sent_got NAME - server-side "got LEN SHA" against client-side "sent LEN SHA"
compare_sent_got() {
	local sent got
	sent=$(sed -n 's/^sent //p' "$IT_TMP/$1.cli")
	got=$(sed -n 's/^got //p' "$IT_TMP/$1.srv")
	[ -n "$sent" ] && [ "$sent" = "$got" ] ||
		it_fail "$1: the guest sent '$sent' after the server's FIN, the server got '$got'"
}

hp1=$(it_free_port) && hp2=$(it_free_port) || it_fail "no free port"
it_netns
it_slirpish -t 127.0.0.1:"$hp1":7001 -t 127.0.0.1:"$hp2":7002
it_static_addr
p1=$(it_free_port) || it_fail "no free port"
run_case guest-fin-first "" srv-eof-reply 127.0.0.1 "$p1" -- "$IT_NS" cli-send-shut 10.0.2.2 "$p1" $n
p2=$(it_free_port) || it_fail "no free port"
run_case host-fin-first "" srv-fin-first 127.0.0.1 "$p2" $greet -- "$IT_NS" cli-keep-sending 10.0.2.2 "$p2" $n $greet
compare_sent_got host-fin-first
run_case portmap-client-fin-first "$IT_NS" srv-eof-reply 0.0.0.0 7001 -- "" cli-send-shut 127.0.0.1 "$hp1" $n
run_case portmap-guest-server-fin-first "$IT_NS" srv-fin-first 0.0.0.0 7002 $greet -- "" cli-keep-sending 127.0.0.1 "$hp2" $n $greet
compare_sent_got portmap-guest-server-fin-first

flows=""
for i in $(seq 20); do
	flows=$(it_flows_in_use)
	[ "${flows:-x}" = 0 ] && break
	sleep 0.5
done
it_counters | grep -E '^(TCP_OPENED|TCP_PORTMAP_ACCEPTED|TCP_RESETS|TCP_RETRANSMITS) '
[ "${flows:-x}" = 0 ] || it_fail "$flows flows still in use 10 s after the four connections closed"
it_pass "data after FIN delivered both ways, guest as client and (port map) as server"
