#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# run.sh - slow readers and full-duplex transfers through slirpish: data
# intact, and slirpish's memory bounded (it keeps no copy of the data: the
# host socket is the buffer, README "TCP keeps no copy").
#
# With peer.py (same folder) at both ends:
#  1. guest sends 32 MiB to a host server that reads 64 KiB every 10 ms;
#  2. host sends 32 MiB to a guest that reads 64 KiB every 10 ms;
#  3. 16 MiB each way at once on one connection, guest as client;
#  4. the same through a port map (-t), the guest as server.
# Every byte stream is checked by sha256, and slirpish's resident memory
# (sampled every 0.1 s) may not grow by more than 24 MiB over its start.
# Exit 0 pass, 77 skip (not root, tool missing), 1 fail.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/integration/lib.sh"

it_init slirpish-slow-peer sha256sum ss
peer=$top_srcdir/tests/integration/slirpish-slow-peer/peer.py
limit_kib=$((24 * 1024))

head -c 33554432 /dev/urandom >"$IT_TMP/big" || it_fail "cannot write test data"
head -c 16777216 /dev/urandom >"$IT_TMP/g2h"
head -c 16777216 /dev/urandom >"$IT_TMP/h2g"
sha_big=$(it_sha "$IT_TMP/big")
sha_g2h=$(it_sha "$IT_TMP/g2h")
sha_h2g=$(it_sha "$IT_TMP/h2g")
empty=$(printf '' | sha256sum | cut -d' ' -f1)

hp=$(it_free_port) || it_fail "no free port"
it_netns
it_slirpish -t 127.0.0.1:"$hp":7100
it_static_addr
it_nsx timeout 5 ping -c 1 -W 2 10.0.2.2 >/dev/null 2>&1 || it_fail "the guest cannot ping 10.0.2.2"
rss0=$(awk '/^VmRSS:/ { print $2 }' "/proc/$IT_SL_PID/status")
rssmax=$rss0

# xfer NAME SERVER-NS SERVER-ARGS(4) CLIENT-NS CLIENT-ARGS(4) WANT-AT-SERVER WANT-AT-CLIENT
xfer() {
	local name=$1 sns=$2 cns=$7 sx="" cx="" srv cli r
	[ -n "$sns" ] && sx="ip netns exec $sns"
	[ -n "$cns" ] && cx="ip netns exec $cns"
	it_bg $sx timeout 90 "$IT_PY" "$peer" listen "$3" "$4" "$5" "$6" >"$IT_TMP/$name.srv" 2>&1
	srv=$IT_LAST
	it_wait_listen "$4" "$sns"
	it_bg $cx timeout 90 "$IT_PY" "$peer" connect "$8" "$9" "${10}" "${11}" >"$IT_TMP/$name.cli" 2>&1
	cli=$IT_LAST
	while kill -0 "$cli" 2>/dev/null || kill -0 "$srv" 2>/dev/null; do
		r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$IT_SL_PID/status" 2>/dev/null)
		[ -n "$r" ] && [ "$r" -gt "$rssmax" ] && rssmax=$r
		sleep 0.1
	done
	wait "$srv"
	local src=$? crc
	wait "$cli"
	crc=$?
	echo "$name: server: $(tr '\n' ' ' <"$IT_TMP/$name.srv")| client: $(tr '\n' ' ' <"$IT_TMP/$name.cli")| rss max $rssmax KiB"
	[ "$src" = 0 ] || it_fail "$name: server exit $src: $(cat "$IT_TMP/$name.srv")"
	[ "$crc" = 0 ] || it_fail "$name: client exit $crc: $(cat "$IT_TMP/$name.cli")"
	grep -q " ${12}\$" "$IT_TMP/$name.srv" || it_fail "$name: the server received $(cat "$IT_TMP/$name.srv"), expected sha256 ${12}"
	grep -q " ${13}\$" "$IT_TMP/$name.cli" || it_fail "$name: the client received $(cat "$IT_TMP/$name.cli"), expected sha256 ${13}"
	[ $((rssmax - rss0)) -le $limit_kib ] ||
		it_fail "$name: slirpish RSS grew from $rss0 to $rssmax KiB (limit +$limit_kib)"
}

p=$(it_free_port) || it_fail "no free port"
it_log "32 MiB guest->host, slow host reader"
xfer slow-host-reader "" 127.0.0.1 "$p" - 0.01 "$IT_NS" 10.0.2.2 "$p" "$IT_TMP/big" 0 "$sha_big" "$empty"
p=$(it_free_port) || it_fail "no free port"
it_log "32 MiB host->guest, slow guest reader"
xfer slow-guest-reader "" 127.0.0.1 "$p" "$IT_TMP/big" 0 "$IT_NS" 10.0.2.2 "$p" - 0.01 "$empty" "$sha_big"
p=$(it_free_port) || it_fail "no free port"
it_log "16 MiB each way at once, guest client"
xfer duplex "" 127.0.0.1 "$p" "$IT_TMP/h2g" 0 "$IT_NS" 10.0.2.2 "$p" "$IT_TMP/g2h" 0 "$sha_g2h" "$sha_h2g"
it_log "16 MiB each way at once, through the port map, guest server"
xfer duplex-portmap "$IT_NS" 0.0.0.0 7100 "$IT_TMP/g2h" 0 "" 127.0.0.1 "$hp" "$IT_TMP/h2g" 0 "$sha_h2g" "$sha_g2h"

it_counters | grep -E '^(TCP_RETRANSMITS|TCP_OUT_OF_ORDER|TCP_SHORT_WRITES|TX_DROPPED|TCP_RESETS) '
it_pass "slow readers and full duplex intact (sha256), slirpish RSS $rss0 -> max $rssmax KiB"
