#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# run.sh - malformed frames on slirpish's stream link: counted, dropped,
# and the daemon goes on serving.
#
# frames.py (same folder) connects to slirpish --socket and sends one frame
# of each kind in its BAD list (zero and short lengths, unknown ethertype,
# truncated/bad-version/over-long IPv4, bad IPv4 checksum, fragment,
# unknown protocol, bad UDP/ICMP checksums, truncated UDP/TCP, truncated
# ARP, DHCP and DNS), then an impossible length prefix (0xffffffff), which
# must make slirpish close that link.  Other clients send a frame longer
# than the largest MTU and a half frame then hang up.  Then a well-behaved
# client on the same socket must get an ARP reply and an ICMP echo reply
# from 10.0.2.2, the daemon must still run, and every counter named in the
# BAD list must have moved by exactly the number of frames sent for it.
# No namespace is needed (the guest is the python client).
# Exit 0 pass, 77 skip (not root, tool missing), 1 fail.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/integration/lib.sh"

it_init slirpish-bad-frames
fr=$top_srcdir/tests/integration/slirpish-bad-frames/frames.py
sock=$IT_TMP/link.sock

IT_SL_LOG=$IT_TMP/slirpish.log
it_bg "$IT_SLIRPISH" --socket "$sock" >"$IT_SL_LOG" 2>&1
IT_SL_PID=$IT_LAST
for i in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || it_fail "slirpish did not create $sock"

alive() { kill -0 "$IT_SL_PID" 2>/dev/null || it_fail "slirpish died after: $1 (exit $(wait "$IT_SL_PID"; echo $?))"; }
val() { echo "$1" | awk -v k="$2" '$1 == k { print $2 }'; }

before=$(it_counters)

it_log "hostile client: malformed frames, then length 0xffffffff"
timeout 30 "$IT_PY" "$fr" bad "$sock" >"$IT_TMP/bad.log" 2>&1 || { cat "$IT_TMP/bad.log"; it_fail "bad client error"; }
alive "the hostile client"
tail -n 1 "$IT_TMP/bad.log" | grep -qx closed ||
	it_fail "after a 0xffffffff length prefix the link was not closed ($(tail -n 1 "$IT_TMP/bad.log"))"

it_log "a 70000-byte frame (over 65520 + 14)"
timeout 20 "$IT_PY" "$fr" overlong "$sock" 70000 >"$IT_TMP/overlong.log" 2>&1
alive "a 70000-byte frame"
it_log "a half frame, then hang-up"
timeout 20 "$IT_PY" "$fr" partial "$sock" >"$IT_TMP/partial.log" 2>&1
alive "a half frame and hang-up"
sleep 0.3

it_log "well-behaved client: ARP and ping the gateway"
timeout 20 "$IT_PY" "$fr" good "$sock" >"$IT_TMP/good.log" 2>&1
rc=$?
cat "$IT_TMP/good.log"
alive "the good client"
[ "$rc" = 0 ] || it_fail "the well-behaved client got no ARP and/or ICMP answer after the hostile ones"

after=$(it_counters)
echo "$after" | grep -E '^(BAD_|IP_FRAGMENT|GUESTS_|ARP_REPLIES|ICMP_ECHOS)'
missing=""
while read -r ctr want; do
	b=$(val "$before" "$ctr")
	a=$(val "$after" "$ctr")
	[ -n "$a" ] || { missing="$missing $ctr(no such counter)"; continue; }
	[ $((a - ${b:-0})) -eq "$want" ] || missing="$missing $ctr(+$((a - ${b:-0})), expected +$want)"
done < <("$IT_PY" "$fr" list x | awk '{ n[$2]++ } END { for (k in n) print k, n[k] }' | sort)
# the 0xffffffff and 70000 length prefixes
a=$(val "$after" BAD_FRAME_LEN)
[ $((a - $(val "$before" BAD_FRAME_LEN))) -eq 2 ] ||
	missing="$missing BAD_FRAME_LEN(+$((a - $(val "$before" BAD_FRAME_LEN))), expected +2: 0xffffffff and 70000)"
g=$(val "$after" GUESTS_CONNECTED)
[ "$g" -eq 4 ] || it_fail "GUESTS_CONNECTED=$g, expected 4 clients"
[ -z "$missing" ] || it_fail "drops not counted:$missing (see bad.log: $(grep -c ^sent "$IT_TMP/bad.log") frames sent)"
it_pass "$(grep -c ^sent "$IT_TMP/bad.log") malformed frames counted and dropped, impossible length closed its link, daemon still answers ARP and ICMP"
