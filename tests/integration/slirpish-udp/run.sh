#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# run.sh - UDP through slirpish: datagram sizes up to the MTU, many round
# trips over two flows, and datagrams that cannot fit: dropped and counted.
#
# udp.py (same folder) is the host echo server on 127.0.0.1 and the guest
# client (via 10.0.2.2).
#  MTU 1500: round trips of 1, 512 and 1472 bytes (content compared); 400
#   round trips from two sockets taking turns, all answered to the right
#   socket; a 3000-byte datagram from the guest is fragmented by the guest's
#   stack: dropped, IP_FRAGMENT counts it; a 2000-byte answer from the host
#   cannot reach the guest unfragmented: it is lost, and - README: "SIGUSR1
#   prints ... every drop with its reason" - some drop counter must count it.
#  MTU 65520 (tap0 and slirpish -m 65520): round trips of 1473, 9000 and
#   65000 bytes.
# Exit 0 pass, 77 skip (not root, tool missing), 1 fail.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/integration/lib.sh"

it_init slirpish-udp ss
u=$top_srcdir/tests/integration/slirpish-udp/udp.py

# echo_server - (re)start the host's echo server on a fresh port $up
echo_server() {
	up=$(it_free_port udp) || it_fail "no free port"
	it_bg "$IT_PY" "$u" echo "$up" >"$IT_TMP/echo.log" 2>&1
	for i in $(seq 50); do ss -Hlun "sport = :$up" | grep -q . && return 0; sleep 0.1; done
	it_fail "the echo server does not listen on UDP $up"
}

# drops - the sum of every drop counter (the "dropped" lines, TX_DROPPED
# included) but BAD_ETHERTYPE, which the guest's own chatter could move
drops() { it_counters | awk '/dropped|refused/ && $1 != "BAD_ETHERTYPE" && $2 ~ /^[0-9]+$/ { s += $2 } END { print s + 0 }'; }

# rt SIZE... - round trips that must all come back intact
rt() {
	local out
	out=$(it_nsx timeout 30 "$IT_PY" "$u" rt 10.0.2.2 "$up" "$@" 2>&1)
	echo "$out" | sed 's/^/  /'
	[ "$(echo "$out" | grep -c ' ok$')" = $# ] || it_fail "MTU $mtu: UDP round trips failed: $(echo "$out" | grep -v ' ok$' | tr '\n' ' ')"
}

uncounted=""
mtu=1500
echo_server
it_netns
it_slirpish
it_static_addr
it_log "MTU 1500: sizes"
rt 1 512 1472
it_log "MTU 1500: 400 round trips over two flows"
r=$(it_nsx timeout 60 "$IT_PY" "$u" many 10.0.2.2 "$up" 400 2>&1)
echo "  $r"
[ "$r" = "ok 400 of 400" ] || it_fail "many round trips: $r"
it_log "MTU 1500: a 3000-byte datagram from the guest (fragmented by the guest)"
f0=$(it_counter IP_FRAGMENT)
out=$(it_nsx timeout 10 "$IT_PY" "$u" rt 10.0.2.2 "$up" 3000 2>&1)
echo "  $out"
f1=$(it_counter IP_FRAGMENT)
[ $((f1 - f0)) -ge 2 ] || it_fail "IP_FRAGMENT went $f0 -> $f1 for a datagram sent in 3 fragments"
grep -q 'got 3000' "$IT_TMP/echo.log" && it_fail "a fragmented datagram reached the host (fragments are documented as dropped)"
it_log "MTU 1500: a 2000-byte answer from the host"
d0=$(drops)
out=$(it_nsx timeout 10 "$IT_PY" "$u" big 10.0.2.2 "$up" 2000 2>&1)
echo "  $out"
d1=$(drops)
case $out in
"got 2000") echo "  (delivered: slirpish fragments towards the guest)" ;;
lost) uncounted="a 2000-byte UDP answer to a 1500-MTU guest was lost (slirpish should send it in fragments; drop counters $d0 -> $d1)" ;;
*) it_fail "2000-byte answer: $out" ;;
esac
it_stop

mtu=65520
echo_server
it_netns 65520
it_slirpish -m 65520
it_static_addr
it_log "MTU 65520: sizes"
rt 1473 9000 65000
# reported last, so that the MTU 65520 part runs anyway
[ -z "$uncounted" ] || it_fail "$uncounted"
it_pass "UDP sizes to 1472 (MTU 1500) and 65000 (MTU 65520), 400 round trips on two flows, guest fragments dropped and counted, a 2000-byte answer fragmented to a 1500-MTU guest"
