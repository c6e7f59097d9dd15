#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# run.sh - slirpish --pcap: the capture of a curl is a valid pcap file that
# tshark reads and decodes.
#
# With --pcap FILE, curl in the namespace fetches a page with a unique path
# from python3's http.server on the host's 127.0.0.1 (via 10.0.2.2).  After
# slirpish exits, tshark must read FILE without error and show the GET of
# that path from 10.0.2.15 to 10.0.2.2, the 200 answer, the TCP handshake
# and the ARP exchange, with good IPv4 header checksums; the frame count
# must match the frames slirpish counted (RX + TX).
# Exit 0 pass, 77 skip (not root, tool missing), 1 fail.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/integration/lib.sh"

it_init slirpish-pcap curl tshark

mkdir -p "$IT_TMP/www"
page=pcap-probe-$$.txt
echo "captured page $$" >"$IT_TMP/www/$page"
port=$(it_free_port) || it_fail "no free port"
it_bg "$IT_PY" -m http.server --bind 127.0.0.1 --directory "$IT_TMP/www" "$port" \
	>"$IT_TMP/httpd.log" 2>&1
it_wait_listen "$port"

pcap=$IT_TMP/cap.pcap
it_netns
it_slirpish --pcap "$pcap"
it_static_addr
it_log "curl http://10.0.2.2:$port/$page with --pcap"
got=$(it_nsx timeout 20 curl -sS --max-time 15 "http://10.0.2.2:$port/$page") || it_fail "curl failed"
[ "$got" = "captured page $$" ] || it_fail "curl got '$got'"
sleep 0.3
c=$(it_counters)
frames=$(($(echo "$c" | awk '$1 == "RX_FRAMES" { print $2 }') + $(echo "$c" | awk '$1 == "TX_FRAMES" { print $2 }')))
# Stop slirpish cleanly (SIGTERM) so that the file is complete.
kill "$IT_SL_PID"
for i in $(seq 50); do kill -0 "$IT_SL_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$IT_SL_PID" 2>/dev/null && it_fail "slirpish did not exit on SIGTERM"
[ -s "$pcap" ] || it_fail "no capture in $pcap"

tshark -r "$pcap" -d "tcp.port==$port,http" >"$IT_TMP/all.txt" 2>"$IT_TMP/tshark.err" ||
	it_fail "tshark cannot read the capture: $(head -c 300 "$IT_TMP/tshark.err")"
grep -qiE 'cut short|corrupt|malformed' "$IT_TMP/tshark.err" "$IT_TMP/all.txt" &&
	{ cat "$IT_TMP/all.txt"; it_fail "tshark reports a damaged capture or frame: $(grep -iE 'cut short|corrupt|malformed' "$IT_TMP/tshark.err" "$IT_TMP/all.txt" | head -n 2)"; }
cat "$IT_TMP/all.txt"
n=$(wc -l <"$IT_TMP/all.txt")
# Frames sent after the SIGUSR1 snapshot (the FIN exchange is over by then,
# but IPv6 noise from the guest may add a few) - allow a small surplus.
[ "$n" -ge "$frames" ] && [ "$n" -le $((frames + 8)) ] ||
	it_fail "tshark shows $n frames, slirpish counted $frames (RX+TX)"

req=$(tshark -r "$pcap" -d "tcp.port==$port,http" -Y http.request -T fields \
	-e ip.src -e ip.dst -e http.request.method -e http.request.uri 2>/dev/null)
echo "request: $req"
[ "$req" = "$(printf '10.0.2.15\t10.0.2.2\tGET\t/%s' "$page")" ] ||
	it_fail "no 'GET /$page' from 10.0.2.15 to 10.0.2.2 in the capture (got '$req')"
resp=$(tshark -r "$pcap" -d "tcp.port==$port,http" -Y http.response -T fields \
	-e ip.src -e ip.dst -e http.response.code 2>/dev/null)
[ "$resp" = "$(printf '10.0.2.2\t10.0.2.15\t200')" ] || it_fail "no 200 response in the capture (got '$resp')"
syn=$(tshark -r "$pcap" -Y "tcp.flags.syn==1" 2>/dev/null | wc -l)
[ "$syn" -ge 2 ] || it_fail "handshake: $syn SYN segments in the capture, expected SYN and SYN-ACK"
arp=$(tshark -r "$pcap" -Y "arp" 2>/dev/null | wc -l)
[ "$arp" -ge 2 ] || it_fail "$arp ARP frames in the capture, expected request and reply"
# IPv4 header checksums must be right.  (TCP checksums are not checked: on a
# TAP link with a virtio-net header both sides leave them partial, as
# checksum offload does, and the capture shows the frames as they crossed.)
bad=$(tshark -r "$pcap" -o ip.check_checksum:TRUE -Y 'ip.checksum.status == "Bad"' 2>/dev/null | wc -l)
[ "$bad" = 0 ] || it_fail "$bad frames with a bad IPv4 header checksum in the capture"
it_pass "tshark reads $n frames: ARP, handshake, GET /$page and 200 between 10.0.2.15 and 10.0.2.2"
