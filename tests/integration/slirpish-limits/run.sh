#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# run.sh - slirpish's flow-table limit and idle timeouts.
#
# slirpish --max-flows 16 --tcp-idle-timeout 5 --udp-idle-timeout 2:
#  1. 16 idle TCP connections from the guest fill the table; a 17th is
#     refused at once (RST: connection refused within 2 s, not a hang) and
#     FLOW_TABLE_FULL counts it;
#  2. after 5 s of idleness all 16 are closed on both sides: the guest's
#     clients see their connection end, the host server sees 16 closes,
#     and the flow count is back to 0;
#  3. a UDP round trip to a host echo server works, its flow expires after
#     2 s idle, and a new datagram then opens a new flow that works too.
# Exit 0 pass, 77 skip (not root, tool missing), 1 fail.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/integration/lib.sh"

it_init slirpish-limits ss

cat >"$IT_TMP/srv.py" <<'EOF_PY'
import socket, sys, threading
tcp = socket.socket()
tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
tcp.bind(("127.0.0.1", int(sys.argv[1])))
tcp.listen(64)
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind(("127.0.0.1", int(sys.argv[2])))
lock = threading.Lock()
def hold(c):
    try:
        while c.recv(4096):
            pass
        how = "eof"
    except OSError as e:
        how = "error"
    with lock:
        print("closed", how, flush=True)
    c.close()
def echo():
    while True:
        d, a = udp.recvfrom(2048)
        udp.sendto(b"echo:" + d, a)
threading.Thread(target=echo, daemon=True).start()
while True:
    c, _ = tcp.accept()
    print("accepted", flush=True)
    threading.Thread(target=hold, args=(c,), daemon=True).start()
EOF_PY
cat >"$IT_TMP/cli.py" <<'EOF_PY'
import socket, sys, time
mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
if mode == "hold":          # connect, stay idle until the connection ends
    s = socket.create_connection((host, port), timeout=5)
    s.settimeout(30)
    print("connected", flush=True)
    t0 = time.time()
    try:
        d = s.recv(1)
        print("ended: %s after %.1f s" % ("eof" if not d else "data", time.time() - t0))
    except ConnectionResetError:
        print("ended: reset after %.1f s" % (time.time() - t0))
    except socket.timeout:
        print("still open after 30 s")
        sys.exit(1)
elif mode == "try":         # one connection attempt, report how it went
    t0 = time.time()
    try:
        socket.create_connection((host, port), timeout=10).close()
        print("connected")
    except ConnectionRefusedError:
        print("refused after %.2f s" % (time.time() - t0))
    except OSError as e:
        print("failed after %.2f s: %s" % (time.time() - t0, e))
elif mode == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    s.sendto(b"ping-" + sys.argv[4].encode(), (host, port))
    d, a = s.recvfrom(2048)
    print(d.decode(), a[0])
EOF_PY

tp=$(it_free_port) && up=$(it_free_port udp) || it_fail "no free port"
it_bg "$IT_PY" "$IT_TMP/srv.py" "$tp" "$up" >"$IT_TMP/srv.log" 2>&1
it_wait_listen "$tp"
it_netns
it_slirpish --max-flows 16 --tcp-idle-timeout 5 --udp-idle-timeout 2
it_static_addr

it_log "16 idle TCP connections"
holders=()
for i in $(seq 16); do
	it_bg ip netns exec "$IT_NS" timeout 40 "$IT_PY" "$IT_TMP/cli.py" hold 10.0.2.2 "$tp" >"$IT_TMP/hold.$i" 2>&1
	holders+=("$IT_LAST")
done
for i in $(seq 40); do
	[ "$(grep -c accepted "$IT_TMP/srv.log")" -ge 16 ] && break
	sleep 0.1
done
[ "$(grep -c accepted "$IT_TMP/srv.log")" = 16 ] || it_fail "the host server accepted $(grep -c accepted "$IT_TMP/srv.log") of 16 connections"
t_full=$(date +%s.%N)
full0=$(it_counter FLOW_TABLE_FULL)
it_log "a 17th must be refused"
r=$(it_nsx timeout 15 "$IT_PY" "$IT_TMP/cli.py" try 10.0.2.2 "$tp" 2>&1)
echo "17th: $r"
case $r in
"refused after "*) ;;
*) it_fail "17th connection with the table full: '$r' (expected refused)" ;;
esac
full1=$(it_counter FLOW_TABLE_FULL)
[ $((full1 - full0)) -ge 1 ] || it_fail "FLOW_TABLE_FULL did not count the refused connection ($full0 -> $full1)"
flows=$(it_flows_in_use)
[ "$flows" = 16 ] || it_fail "$flows flows in use with 16 connections held"
since=$(awk -v a="$t_full" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
awk -v s="$since" 'BEGIN { exit !(s < 4.5) }' ||
	echo "note: the checks took $since s, close to the 5 s idle timeout"

it_log "waiting for the 5 s idle timeout"
for p in "${holders[@]}"; do
	for i in $(seq 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
done
ended=$(cat "$IT_TMP"/hold.* | grep -c '^ended')
[ "$ended" = 16 ] || { cat "$IT_TMP"/hold.*; it_fail "$ended of 16 idle guest connections ended after the idle timeout"; }
for i in $(seq 30); do
	[ "$(grep -c '^closed' "$IT_TMP/srv.log")" -ge 16 ] && break
	sleep 0.1
done
[ "$(grep -c '^closed' "$IT_TMP/srv.log")" = 16 ] ||
	it_fail "the host server saw $(grep -c '^closed' "$IT_TMP/srv.log") of 16 connections closed"
echo "guest side: $(cat "$IT_TMP"/hold.* | grep '^ended' | sed 's/ after.*//' | sort | uniq -c | tr '\n' ' ')"
flows=$(it_flows_in_use)
[ "$flows" = 0 ] || it_fail "$flows flows in use after the idle timeout"

it_log "UDP round trip, 2 s idle timeout, again"
f0=$(it_counter UDP_FLOWS)
r=$(it_nsx timeout 10 "$IT_PY" "$IT_TMP/cli.py" udp 10.0.2.2 "$up" one 2>&1)
[ "$r" = "echo:ping-one 10.0.2.2" ] || it_fail "UDP round trip: '$r'"
[ "$(it_flows_in_use)" = 1 ] || it_fail "no UDP flow in the table after the round trip"
for i in $(seq 25); do
	sleep 0.2
	[ "$(it_flows_in_use)" = 0 ] && break
done
[ "$(it_flows_in_use)" = 0 ] || it_fail "the UDP flow did not expire after 2 s idle (waited ~7 s)"
r=$(it_nsx timeout 10 "$IT_PY" "$IT_TMP/cli.py" udp 10.0.2.2 "$up" two 2>&1)
[ "$r" = "echo:ping-two 10.0.2.2" ] || it_fail "UDP round trip after expiry: '$r'"
f1=$(it_counter UDP_FLOWS)
[ $((f1 - f0)) = 2 ] || it_fail "UDP_FLOWS went $f0 -> $f1, expected +2 (one flow per round trip)"
it_pass "17th connection refused with the table full, 16 idle connections closed both sides after 5 s, UDP flow expired and reopened"
