#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# run.sh - the guest link disappears in the middle of transfers.
#
# slirpish --tap alone "exits when the link goes away" (README).  Twice,
# with one transfer guest->host and one host->guest running: first the TAP
# device is deleted (ip link del tap0), then, on a fresh set-up, the whole
# namespace is deleted.  Each time slirpish must exit by itself with status
# 0 within 5 s, saying why, and both host peers must see their connection
# end within 5 s (no connection left hanging on the host).  How it ended
# (orderly EOF or reset) is printed.
# Exit 0 pass, 77 skip (not root, tool missing), 1 fail.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/integration/lib.sh"

it_init slirpish-link-loss socat ss

# host side: a sink that reads and a source that writes, each reporting
# how its connection ended
cat >"$IT_TMP/host.py" <<'EOF_PY'
import socket, sys, time
mode, port = sys.argv[1], int(sys.argv[2])
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(1)
ls.settimeout(30)
c, _ = ls.accept()
c.settimeout(30)
print("accepted", flush=True)
n = 0
try:
    if mode == "sink":
        while True:
            d = c.recv(65536)
            if not d:
                print("ended: eof after %d bytes" % n, flush=True)
                break
            n += len(d)
    else:
        b = b"\x55" * 65536
        while True:
            n += c.send(b)
except socket.timeout:
    print("hung: no end within 30 s (%d bytes)" % n, flush=True)
    sys.exit(1)
except OSError as e:
    print("ended: %s after %d bytes" % (e.__class__.__name__, n), flush=True)
EOF_PY

# one_case HOW - HOW is "tap" (delete tap0) or "netns" (delete the namespace)
one_case() {
	local how=$1 ps pr sink src i
	ps=$(it_free_port) && pr=$(it_free_port) || it_fail "no free port"
	it_netns
	it_slirpish
	it_static_addr
	it_bg "$IT_PY" "$IT_TMP/host.py" sink "$ps" >"$IT_TMP/$how.sink" 2>&1
	sink=$IT_LAST
	it_bg "$IT_PY" "$IT_TMP/host.py" source "$pr" >"$IT_TMP/$how.source" 2>&1
	src=$IT_LAST
	it_wait_listen "$ps"
	it_wait_listen "$pr"
	it_bg ip netns exec "$IT_NS" sh -c "exec socat -u OPEN:/dev/zero TCP:10.0.2.2:$ps"
	it_bg ip netns exec "$IT_NS" sh -c "exec socat -u TCP:10.0.2.2:$pr OPEN:/dev/null"
	for i in $(seq 50); do
		[ "$(cat "$IT_TMP/$how.sink" "$IT_TMP/$how.source" | grep -c accepted)" = 2 ] && break
		sleep 0.1
	done
	sleep 1
	it_log "$how: removing the link during two transfers"
	if [ "$how" = tap ]; then
		ip -n "$IT_NS" link del tap0 || it_fail "ip link del tap0"
	else
		ip netns del "$IT_NS" || it_fail "ip netns del"
	fi
	for i in $(seq 50); do kill -0 "$IT_SL_PID" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$IT_SL_PID" 2>/dev/null && it_fail "$how: slirpish still runs 5 s after its link went away"
	wait "$IT_SL_PID"
	local rc=$?
	[ "$rc" = 0 ] || it_fail "$how: slirpish exit status $rc"
	for i in $(seq 50); do
		kill -0 "$sink" 2>/dev/null || kill -0 "$src" 2>/dev/null || break
		sleep 0.1
	done
	echo "$how: sink: $(tail -n 1 "$IT_TMP/$how.sink"); source: $(tail -n 1 "$IT_TMP/$how.source"); slirpish: $(tail -n 1 "$IT_SL_LOG")"
	grep -q '^ended' "$IT_TMP/$how.sink" || it_fail "$how: the host sink's connection did not end: $(tail -n 1 "$IT_TMP/$how.sink")"
	grep -q '^ended' "$IT_TMP/$how.source" || it_fail "$how: the host source's connection did not end: $(tail -n 1 "$IT_TMP/$how.source")"
	grep -q 'closed' "$IT_SL_LOG" || it_fail "$how: slirpish did not log why it closed the guest"
	it_stop
}

one_case tap
one_case netns
it_pass "TAP deleted / namespace deleted mid-transfer: slirpish exited 0 and both host peers' connections ended"
