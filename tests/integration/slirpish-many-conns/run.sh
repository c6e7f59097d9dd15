#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# run.sh - 1,000 short TCP connections through slirpish, then no flow left.
#
# A python3 echo server on the host's 127.0.0.1; a python3 client in the
# namespace makes ULVM_CONNS (1000) connections to 10.0.2.2, 4 at a time:
# each sends one line and must get it back.  Half of them are closed by the
# guest first, half by the server first (the server closes after its reply,
# the guest reads EOF, then closes).  All must succeed; then, after the
# close handshakes (settle up to 15 s), slirpish's SIGUSR1 flow count must be
# back to 0, and TCP_OPENED must have counted every connection.
# Exit 0 pass, 77 skip (not root, tool missing), 1 fail.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/integration/lib.sh"

it_init slirpish-many-conns ss
n=${ULVM_CONNS:-1000}

cat >"$IT_TMP/srv.py" <<'EOF_PY'
import socket, sys, threading
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", int(sys.argv[1])))
ls.listen(128)
def serve(c):
    try:
        c.settimeout(20)
        buf = b""
        while not buf.endswith(b"\n"):
            d = c.recv(256)
            if not d:
                return
            buf += d
        c.sendall(buf)
        if buf.startswith(b"S"):
            return                      # server closes first
        while c.recv(256):              # guest closes first: wait for its FIN
            pass
    except OSError:
        pass
    finally:
        c.close()
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF_PY

cat >"$IT_TMP/cli.py" <<'EOF_PY'
import socket, sys, threading
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
errors = []
lock = threading.Lock()
def one(i):
    mode = "S" if i % 2 else "C"
    msg = ("%s %d hello\n" % (mode, i)).encode()
    s = socket.create_connection((host, port), timeout=10)
    try:
        s.sendall(msg)
        buf = b""
        while len(buf) < len(msg):
            d = s.recv(256)
            if not d:
                break
            buf += d
        if buf != msg:
            raise RuntimeError("conn %d: got %r" % (i, buf))
        if mode == "S":
            if s.recv(256) != b"":
                raise RuntimeError("conn %d: no EOF after the reply" % i)
    finally:
        s.close()
def worker(k):
    for i in range(k, n, 4):
        try:
            one(i)
        except Exception as e:
            with lock:
                errors.append("conn %d: %s" % (i, e))
ts = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print("ok %d errors %d" % (n - len(errors), len(errors)))
for e in errors[:10]:
    print(e)
sys.exit(1 if errors else 0)
EOF_PY

port=$(it_free_port) || it_fail "no free port"
it_bg "$IT_PY" "$IT_TMP/srv.py" "$port" >"$IT_TMP/srv.log" 2>&1
it_wait_listen "$port"
it_netns
it_slirpish
it_static_addr

it_log "$n connections to 10.0.2.2:$port, 4 in parallel"
t0=$(date +%s.%N)
it_nsx timeout 180 "$IT_PY" "$IT_TMP/cli.py" 10.0.2.2 "$port" "$n" >"$IT_TMP/cli.log" 2>&1
rc=$?
t1=$(date +%s.%N)
cat "$IT_TMP/cli.log"
[ "$rc" = 0 ] || it_fail "client exit $rc: $(head -n 3 "$IT_TMP/cli.log" | tr '\n' ' ')"
rate=$(awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')

flows=""
for i in $(seq 30); do
	flows=$(it_flows_in_use)
	[ "${flows:-x}" = 0 ] && break
	sleep 0.5
done
c=$(it_counters)
echo "$c" | grep -E '^(TCP_OPENED|TCP_RESETS|TCP_REFUSED|FLOW_TABLE_FULL|TCP_RETRANSMITS|TCP_OUT_OF_ORDER) '
[ "${flows:-x}" = 0 ] || {
	echo "$c" | grep -v -E '^[A-Z_0-9]+ +[0-9]+ +#' | head -n 20
	it_fail "$flows flows still in use 15 s after the last close (expected 0)"
}
opened=$(echo "$c" | awk '$1 == "TCP_OPENED" { print $2 }')
[ "${opened:-0}" -ge "$n" ] || it_fail "TCP_OPENED=$opened, expected >= $n"
it_pass "$n connections ok ($rate conn/s), flow table back to 0, TCP_OPENED=$opened"
