#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# run.sh - bulk TCP through slirpish, each direction, at MTU 1500 and 65520.
#
# 100 MiB of random data (ULVM_BULK_MB) go guest->host (socat in the
# namespace to a socat listener on the host's 127.0.0.1, via 10.0.2.2) and
# host->guest (the guest connects and the host's socat sends); the sha256 of
# what arrived must be the sha256 of what was sent.  The whole thing runs
# twice: tap0 at MTU 1500, then at MTU 65520.  Each transfer is bounded by
# ULVM_BULK_TIMEOUT seconds (default 120).
# Exit 0 pass, 77 skip (not root, tool missing), 1 fail.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/integration/lib.sh"

it_init slirpish-bulk socat sha256sum
mb=${ULVM_BULK_MB:-100}
limit=${ULVM_BULK_TIMEOUT:-120}

head -c $((mb * 1048576)) /dev/urandom >"$IT_TMP/data" || it_fail "cannot write test data"
want=$(it_sha "$IT_TMP/data")
summary=""

# rate BYTES T0 T1 - MB/s
rate() { awk -v b="$1" -v a="$2" -v c="$3" 'BEGIN { printf "%.0f", b / 1048576 / (c - a) }'; }

# one_mtu MTU - both directions on a fresh namespace and slirpish.
one_mtu() {
	local mtu=$1 port t0 t1 got rc sink
	it_netns "$mtu"
	it_slirpish
	it_static_addr
	it_nsx ip link show tap0 | grep -q "mtu $mtu " || it_fail "tap0 MTU is not $mtu"

	# guest -> host
	port=$(it_free_port) || it_fail "no free port"
	it_bg sh -c "exec timeout $((limit + 10)) socat -u TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr STDOUT | sha256sum >'$IT_TMP/g2h.sha'"
	sink=$IT_LAST
	it_wait_listen "$port"
	it_log "MTU $mtu: guest->host $mb MiB"
	t0=$(date +%s.%N)
	it_nsx timeout "$limit" socat -u FILE:"$IT_TMP/data" TCP:10.0.2.2:"$port" 2>"$IT_TMP/g2h.err"
	rc=$?
	[ "$rc" = 0 ] || it_fail "MTU $mtu guest->host: sender exit $rc: $(cat "$IT_TMP/g2h.err")"
	for i in $(seq 200); do kill -0 "$sink" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$sink" 2>/dev/null && it_fail "MTU $mtu guest->host: receiver did not see EOF 20 s after the sender finished"
	wait "$sink" 2>/dev/null
	t1=$(date +%s.%N)
	got=$(cut -d' ' -f1 "$IT_TMP/g2h.sha")
	[ "$got" = "$want" ] || it_fail "MTU $mtu guest->host: sha256 $got, expected $want"
	summary="$summary mtu$mtu g2h $(rate $((mb * 1048576)) "$t0" "$t1") MB/s;"

	# host -> guest
	port=$(it_free_port) || it_fail "no free port"
	it_bg timeout $((limit + 10)) socat -u FILE:"$IT_TMP/data" TCP-LISTEN:"$port",bind=127.0.0.1,reuseaddr
	sink=$IT_LAST
	it_wait_listen "$port"
	it_log "MTU $mtu: host->guest $mb MiB"
	t0=$(date +%s.%N)
	it_nsx timeout "$limit" sh -c "socat -u TCP:10.0.2.2:$port STDOUT | sha256sum >'$IT_TMP/h2g.sha'" 2>"$IT_TMP/h2g.err"
	rc=$?
	t1=$(date +%s.%N)
	[ "$rc" = 0 ] || it_fail "MTU $mtu host->guest: receiver exit $rc: $(cat "$IT_TMP/h2g.err")"
	got=$(cut -d' ' -f1 "$IT_TMP/h2g.sha")
	[ "$got" = "$want" ] || it_fail "MTU $mtu host->guest: sha256 $got, expected $want"
	for i in $(seq 50); do kill -0 "$sink" 2>/dev/null || break; sleep 0.1; done
	summary="$summary h2g $(rate $((mb * 1048576)) "$t0" "$t1") MB/s;"

	it_counters | grep -E '^(TCP_RETRANSMITS|TCP_OUT_OF_ORDER|TCP_SHORT_WRITES|TX_DROPPED|BAD_L4_CSUM) '
	it_stop
}

one_mtu 1500
one_mtu 65520
it_pass "$mb MiB each way, sha256 identical:$summary"
