#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# run.sh - slirpish relays a guest's ICMP echo to real hosts through
# unprivileged ping sockets, with the Linux stack of a network namespace as
# the guest.
#
# slirpish runs inside a second namespace of ours, "outside", whose loopback
# carries 192.0.2.1 and 198.51.100.1 and whose net.ipv4.ping_group_range
# lets it open ping sockets.  The guest pings both addresses, with several
# sizes and two pingers at once (distinct echo identifiers): every request
# must be answered by the address it went to.  Then ping sockets are denied
# in "outside" (the Debian default, "1 0"): a new echo to 192.0.2.1 gets no
# answer, slirpish says why once, and the gateway still answers pings.
# Exit 0 pass, 77 skip (not root, tool missing), 1 fail.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/integration/lib.sh"

it_init slirpish-icmp ping sysctl

out=it-icmp-out-$$
cleanup_out() { ip netns del "$out" 2>/dev/null; it_cleanup; }
trap cleanup_out EXIT
ip netns add "$out" || it_fail "ip netns add $out"
ip -n "$out" link set lo up
ip -n "$out" addr add 192.0.2.1/32 dev lo || it_fail "addr 192.0.2.1 in $out"
ip -n "$out" addr add 198.51.100.1/32 dev lo || it_fail "addr 198.51.100.1 in $out"
ip netns exec "$out" sysctl -qw net.ipv4.ping_group_range="0 2147483647" ||
	it_skip "cannot set net.ipv4.ping_group_range in a namespace"

it_netns
it_static_addr
IT_SL_LOG=$IT_TMP/slirpish.log
it_bg ip netns exec "$out" "$IT_SLIRPISH" --tap tap0 --netns "$IT_NS" >"$IT_SL_LOG" 2>&1
IT_SL_PID=$IT_LAST
for i in $(seq 50); do
	grep -q 'attached' "$IT_SL_LOG" 2>/dev/null && break
	kill -0 "$IT_SL_PID" 2>/dev/null || it_fail "slirpish exited at start"
	sleep 0.1
done
grep -q 'attached' "$IT_SL_LOG" || it_fail "slirpish did not attach to tap0 within 5 s"

# pingcheck ADDR COUNT SIZE LOG - COUNT echoes of SIZE bytes, all answered by ADDR.
pingcheck() {
	it_nsx timeout 20 ping -n -c "$2" -i 0.2 -W 3 -s "$3" "$1" >"$4" 2>&1 ||
		{ cat "$4"; it_fail "ping $1 (size $3): no answer through slirpish"; }
	grep -q " $2 received" "$4" || { cat "$4"; it_fail "ping $1 (size $3) lost echoes"; }
	[ "$(grep -c "bytes from $1: icmp_seq=" "$4")" -ge "$2" ] ||
		{ cat "$4"; it_fail "ping $1: answers not from $1"; }
	grep -q "$(($3 + 8)) bytes from $1" "$4" ||
		{ cat "$4"; it_fail "ping $1: answers not $(($3 + 8)) bytes long"; }
}

it_log "two pingers at once to 192.0.2.1 and 198.51.100.1"
pingcheck 192.0.2.1 5 56 "$IT_TMP/p1.log" &
p1=$!
pingcheck 198.51.100.1 5 56 "$IT_TMP/p2.log" &
p2=$!
wait $p1 || exit 1
wait $p2 || exit 1
it_log "sizes 0, 1000 and 1472 bytes"
pingcheck 192.0.2.1 2 0 "$IT_TMP/p3.log"
pingcheck 192.0.2.1 2 1000 "$IT_TMP/p4.log"
pingcheck 192.0.2.1 2 1472 "$IT_TMP/p5.log"

it_log "ping sockets denied: no answer, one warning, the gateway still answers"
ip netns exec "$out" sysctl -qw net.ipv4.ping_group_range="1 0" || it_fail "cannot deny ping sockets"
# A new identifier: the ping socket of the earlier flows must not be reused.
if it_nsx timeout 10 ping -n -c 2 -i 0.2 -W 1 192.0.2.1 >"$IT_TMP/p6.log" 2>&1; then
	cat "$IT_TMP/p6.log"
	it_fail "an echo was answered although ping sockets are denied (stale flow?)"
fi
grep -q 'ping sockets refused' "$IT_SL_LOG" ||
	it_fail "slirpish did not say why echoes to real hosts go unanswered"
it_nsx timeout 10 ping -n -c 2 -i 0.2 -W 2 10.0.2.2 >"$IT_TMP/p7.log" 2>&1 ||
	{ cat "$IT_TMP/p7.log"; it_fail "the gateway stopped answering pings"; }
kill -0 "$IT_SL_PID" 2>/dev/null || it_fail "slirpish died"
it_pass "echo relayed to 192.0.2.1 and 198.51.100.1 (two pingers, 0-1472 bytes); denied ping sockets reported, gateway still answers"
