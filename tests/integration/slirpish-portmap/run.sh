#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# run.sh - slirpish's port maps: host TCP and UDP ports to the guest.
#
# TCP: python3's http.server inside the namespace on 0.0.0.0:80; slirpish
# with -t 127.0.0.1:HP:80; curl on the host fetches a page and a 2 MiB random
# file from 127.0.0.1:HP, content compared, and the server must have seen
# the connection come from the gateway 10.0.2.2.
# UDP: a socat server in the namespace on UDP 7007 answers each datagram
# upper-cased, prefixed with the peer address it saw; slirpish with
# -u 127.0.0.1:UP:7007; three round trips from socat on the host.
# The guest pings the gateway first: slirpish learns a static guest's
# address from its traffic, and maps need it.
# Exit 0 pass, 77 skip (not root, tool missing), 1 fail.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/integration/lib.sh"

it_init slirpish-portmap curl socat ss sha256sum ping

hp=$(it_free_port) || it_fail "no free port"
up=$(it_free_port udp) || it_fail "no free port"
mkdir -p "$IT_TMP/www"
echo "served from inside the namespace, test $$" >"$IT_TMP/www/index.txt"
head -c 2097152 /dev/urandom >"$IT_TMP/www/blob.bin"

it_netns
it_slirpish -t 127.0.0.1:"$hp":80 -u 127.0.0.1:"$up":7007
it_static_addr
ss -Hltn "src 127.0.0.1 and sport = :$hp" | grep -q . || it_fail "slirpish does not listen on 127.0.0.1:$hp (TCP)"
ss -Hlun "src 127.0.0.1 and sport = :$up" | grep -q . || it_fail "slirpish does not listen on 127.0.0.1:$up (UDP)"

it_bg ip netns exec "$IT_NS" "$IT_PY" -m http.server --bind 0.0.0.0 --directory "$IT_TMP/www" 80 \
	>"$IT_TMP/httpd.log" 2>&1
it_wait_listen 80 "$IT_NS"
# slirpish learns a static guest's address from its first IPv4 packet
# ("maps lead to the oldest connected guest that has an address"): until
# then a mapped connection is reset.  Let the guest speak first.
it_nsx timeout 5 ping -c 1 -W 2 10.0.2.2 >/dev/null 2>&1 || it_fail "the guest cannot ping 10.0.2.2"

it_log "TCP: curl http://127.0.0.1:$hp/ -> guest :80"
timeout 20 curl -sS --max-time 15 -o "$IT_TMP/index.got" "http://127.0.0.1:$hp/index.txt" ||
	it_fail "curl index.txt through the port map failed"
cmp -s "$IT_TMP/www/index.txt" "$IT_TMP/index.got" ||
	it_fail "index.txt differs: got '$(head -c 200 "$IT_TMP/index.got")'"
timeout 30 curl -sS --max-time 25 -o "$IT_TMP/blob.got" "http://127.0.0.1:$hp/blob.bin" ||
	it_fail "curl blob.bin through the port map failed"
[ "$(it_sha "$IT_TMP/blob.got")" = "$(it_sha "$IT_TMP/www/blob.bin")" ] ||
	it_fail "blob.bin differs ($(stat -c %s "$IT_TMP/blob.got") bytes received)"
grep -q '^10\.0\.2\.2 .*"GET /index.txt' "$IT_TMP/httpd.log" ||
	{ cat "$IT_TMP/httpd.log"; it_fail "the guest's server did not see the request come from 10.0.2.2"; }

it_log "UDP: socat 127.0.0.1:$up -> guest :7007"
it_bg ip netns exec "$IT_NS" socat UDP4-RECVFROM:7007,fork \
	SYSTEM:'echo -n "$SOCAT_PEERADDR/"; tr a-z A-Z' >"$IT_TMP/udpsrv.log" 2>&1
for i in $(seq 50); do
	it_nsx ss -Hlun "sport = :7007" | grep -q . && break
	sleep 0.1
done
for k in 1 2 3; do
	msg="hello-udp-$k-$$"
	want="10.0.2.2/HELLO-UDP-$k-$$"
	got=$(printf '%s\n' "$msg" | timeout 10 socat -t 2 - UDP4:127.0.0.1:"$up" 2>"$IT_TMP/udpcli.err" | head -n 1)
	[ "$got" = "$want" ] || it_fail "UDP round trip $k: got '$got', expected '$want' $(cat "$IT_TMP/udpcli.err")"
done

c=$(it_counters)
echo "$c" | grep -E '^(TCP_PORTMAP_ACCEPTED|UDP_FLOWS|TCP_RESETS) '
acc=$(echo "$c" | awk '$1 == "TCP_PORTMAP_ACCEPTED" { print $2 }')
[ "${acc:-0}" -ge 2 ] || it_fail "TCP_PORTMAP_ACCEPTED=$acc, expected >= 2"
it_pass "TCP 127.0.0.1:$hp -> guest :80 (page + 2 MiB identical, source 10.0.2.2), UDP 127.0.0.1:$up -> guest :7007 x3"
