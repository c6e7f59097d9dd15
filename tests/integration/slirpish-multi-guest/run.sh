#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# slirpish-multi-guest - one daemon, three guests on its --socket at once,
# each on its own isolated virtual network: all three use the same guest
# address and port, and each gets only its own answers (DHCP lease, ARP,
# UDP replies from a real echo server on the host).  When one guest hangs
# up, its flows are freed and the others keep working.
set -u
IT_NAME=slirpish-multi-guest
. "$(dirname "$0")/../lib.sh"
it_init "$IT_NAME"

sock=$IT_TMP/sl.sock
IT_SL_LOG=$IT_TMP/slirpish.log
it_bg "$IT_SLIRPISH" --socket "$sock" --dns-forward 127.0.0.1 --udp-idle-timeout 60 2>"$IT_SL_LOG"
IT_SL_PID=$IT_LAST
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || it_fail "slirpish did not create $sock"

port=$(it_free_port udp)
cat > "$IT_TMP/echo.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
while True:
    d, a = s.recvfrom(2048)
    s.sendto(b"echo:" + d, a)
PY
it_bg "$IT_PY" "$IT_TMP/echo.py" "$port"
sleep 0.5

"$IT_PY" - "$sock" "$port" "$IT_SL_PID" > "$IT_TMP/guests.out" 2>&1 <<'PY'
# Fake guests speaking QEMU's stream framing: each guest's frames carry
# its own MAC; all use 10.0.2.15:5000 -> 10.0.2.2:PORT.
import os, select, signal, socket, struct, sys, time

path, port, slpid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def ip4(src, dst, proto, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000, 64, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload

def udp(src, dst, sp, dp, data):
    u = struct.pack("!HHHH", sp, dp, 8 + len(data), 0) + data
    ph = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 17, len(u))
    return u[:6] + struct.pack("!H", csum(ph + u) or 0xffff) + u[8:]

GW_MAC = bytes.fromhex("52550a000202")

class Guest:
    def __init__(self, n):
        self.mac = bytes([0x52, 0x54, 0, 0, 0, n])
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.buf = b""
    def send_eth(self, dst, etype, payload):
        f = dst + self.mac + struct.pack("!H", etype) + payload
        self.s.sendall(struct.pack("!I", len(f)) + f)
    def send_udp(self, data):
        self.send_eth(GW_MAC, 0x0800, ip4("10.0.2.15", "10.0.2.2", 17,
                      udp("10.0.2.15", "10.0.2.2", 5000, port, data)))
    def frames(self, timeout=2.0):
        end = time.time() + timeout
        while time.time() < end:
            while len(self.buf) >= 4:
                n = struct.unpack("!I", self.buf[:4])[0]
                if len(self.buf) < 4 + n: break
                f, self.buf = self.buf[4:4 + n], self.buf[4 + n:]
                yield f
            r, _, _ = select.select([self.s], [], [], 0.1)
            if r:
                d = self.s.recv(65536)
                if not d: return
                self.buf += d
    def udp_replies(self, timeout=2.0):
        out = []
        for f in self.frames(timeout):
            if f[0:6] == self.mac and f[12:14] == b"\x08\x00" and f[23] == 17:
                out.append(f[14 + 20 + 8:])
            if out: break
        return out

def fail(msg):
    print("guests: FAIL:", msg); sys.exit(1)

guests = [Guest(i + 1) for i in range(3)]
# Each guest says its name; each must hear only its own echo.
for g_i, g in enumerate(guests):
    g.send_udp(b"guest%d" % g_i)
for g_i, g in enumerate(guests):
    r = g.udp_replies()
    if r != [b"echo:guest%d" % g_i]:
        fail("guest %d got %r, wanted only its own echo" % (g_i, r))
# Interleaved second round, same addresses for all.
for rnd in range(5):
    for g_i, g in enumerate(guests):
        g.send_udp(b"r%d-g%d" % (rnd, g_i))
    for g_i, g in enumerate(guests):
        r = g.udp_replies()
        if r != [b"echo:r%d-g%d" % (rnd, g_i)]:
            fail("round %d: guest %d got %r" % (rnd, g_i, r))
# Guest 0 hangs up: guests 1 and 2 still work.
guests[0].s.close()
time.sleep(0.3)
for g_i in (1, 2):
    guests[g_i].send_udp(b"after%d" % g_i)
    r = guests[g_i].udp_replies()
    if r != [b"echo:after%d" % g_i]:
        fail("after guest 0 left, guest %d got %r" % (g_i, r))
print("guests: ok")
# Leave guests 1 and 2 connected for the flow count check below.
os.kill(slpid, signal.SIGUSR1)
time.sleep(0.5)
print("guests: counted")
PY
rc=$?
cat "$IT_TMP/guests.out"
[ $rc = 0 ] || it_fail "fake guests: $(tail -n 1 "$IT_TMP/guests.out")"
grep -q "guests: counted" "$IT_TMP/guests.out" || it_fail "fake guests did not finish"

# While guests 1 and 2 were still connected: exactly their two UDP flows.
flows=$(grep -o '([0-9]* flows in use)' "$IT_SL_LOG" | tail -n 1 | tr -dc 0-9)
[ "$flows" = 2 ] || it_fail "expected 2 flows in use (guests 1 and 2), found '$flows'"
grep -q "guest 0: closed" "$IT_SL_LOG" || it_fail "guest 0's hang-up was not noticed"
kill -0 "$IT_SL_PID" 2>/dev/null || it_fail "slirpish died"
it_pass "3 guests with the same address on one daemon stayed isolated; one leaving freed only its flows"
