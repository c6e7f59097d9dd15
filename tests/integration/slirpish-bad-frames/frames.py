# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# frames.py - a hostile and a well-behaved guest on slirpish's stream link
# (QEMU -netdev stream framing: 4-byte big-endian length, Ethernet frame).
#
#   bad SOCKET       send one of each malformed frame (list in BAD below),
#                    then an impossible length prefix; print "sent NAME" per
#                    frame and "closed" when slirpish closes the link
#   overlong SOCKET N   a length prefix of N followed by N bytes (stays open
#                    or is closed: prints which)
#   partial SOCKET   half a length prefix, then half a frame, then close
#   good SOCKET      ARP request for the gateway and an ICMP echo to it;
#                    both answers must come back (exit 1 otherwise)
import socket
import struct
import sys
import time

GMAC = bytes.fromhex("525400123456")
BCAST = b"\xff" * 6
GW_MAC_ANY = b"\x00" * 6
GUEST = bytes([10, 0, 2, 15])
GW = bytes([10, 0, 2, 2])
DNS = bytes([10, 0, 2, 3])


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def eth(payload, etype=0x0800, dst=BCAST):
    return dst + GMAC + struct.pack("!H", etype) + payload


def ip4(proto, payload, src=GUEST, dst=GW, frag=0x4000, tot=None, bad_csum=False, ident=1):
    tot = 20 + len(payload) if tot is None else tot
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tot, ident, frag, 64, proto, 0, src, dst)
    c = csum(h)
    if bad_csum:
        c ^= 0x5a5a
    return h[:10] + struct.pack("!H", c) + h[12:] + payload


def l4_csum(proto, src, dst, seg):
    ph = src + dst + struct.pack("!BBH", 0, proto, len(seg))
    return csum(ph + seg)


def udp(sport, dport, data, src=GUEST, dst=GW, bad_csum=False):
    u = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    c = l4_csum(17, src, dst, u) or 0xffff
    if bad_csum:
        c = (c ^ 0x1234) or 1
    return u[:6] + struct.pack("!H", c) + u[8:]


def icmp_echo(ident, seq, data):
    h = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + data
    return h[:2] + struct.pack("!H", csum(h)) + h[4:]


def arp_req(target):
    return struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + GMAC + GUEST + b"\0" * 6 + target


def rec(frame):
    return struct.pack("!I", len(frame)) + frame


# name, raw bytes on the stream (length prefix included), counter expected to move
BAD = [
    ("zero-length", struct.pack("!I", 0), "BAD_ETH"),
    ("short-eth", rec(b"\x01\x02\x03\x04\x05\x06\x07"), "BAD_ETH"),
    ("ethertype-0x88b5", rec(eth(b"hello" * 10, 0x88b5)), "BAD_ETHERTYPE"),
    ("ipv4-truncated-header", rec(eth(ip4(17, b"")[:12])), "BAD_IP"),
    ("ipv4-bad-version", rec(eth(b"\x65" + ip4(17, udp(1, 9, b"x"))[1:])), "BAD_IP"),
    ("ipv4-total-len-beyond-frame", rec(eth(ip4(17, udp(1, 9, b"x"), tot=1400))), "BAD_IP"),
    ("ipv4-bad-header-checksum", rec(eth(ip4(17, udp(1, 9, b"x"), bad_csum=True))), "BAD_IP_CSUM"),
    ("ipv4-fragment", rec(eth(ip4(17, udp(1, 9, b"x" * 16), frag=0x2000))), "IP_FRAGMENT"),
    ("ip-proto-47", rec(eth(ip4(47, b"\0" * 24))), "BAD_PROTO"),
    ("udp-bad-checksum", rec(eth(ip4(17, udp(40000, 9, b"abc", bad_csum=True)))), "BAD_L4_CSUM"),
    ("udp-length-beyond-ip", rec(eth(ip4(17, struct.pack("!HHHH", 40000, 9, 500, 0) + b"abc"))), "BAD_L4"),
    ("tcp-truncated-header", rec(eth(ip4(6, b"\x9c\x40\x00\x50\x00\x00"))), "BAD_L4"),
    ("icmp-bad-checksum", rec(eth(ip4(1, b"\x08\x00\xde\xad\x00\x01\x00\x01abcd"))), "BAD_L4_CSUM"),
    ("arp-truncated", rec(eth(arp_req(GW)[:10], 0x0806)), "BAD_ARP"),
    ("dhcp-truncated", rec(eth(ip4(17, udp(68, 67, b"\x01\x01\x06\x00" + b"\0" * 20, src=b"\0" * 4,
                                           dst=b"\xff" * 4), src=b"\0" * 4, dst=b"\xff" * 4))), "BAD_DHCP"),
    ("dns-garbage", rec(eth(ip4(17, udp(40001, 53, b"\x12\x34\x01", dst=DNS), dst=DNS))), "BAD_DNS"),
]


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s


def wait_closed(s, secs):
    s.settimeout(secs)
    try:
        while True:
            d = s.recv(65536)
            if not d:
                return True
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True


def main(a):
    mode, path = a[0], a[1]
    if mode == "list":
        for name, _, ctr in BAD:
            print(name, ctr)
        return 0
    if mode == "bad":
        s = connect(path)
        for name, raw, _ in BAD:
            s.sendall(raw)
            print("sent", name)
            time.sleep(0.02)
        time.sleep(0.3)
        s.sendall(b"\xff\xff\xff\xff" + b"garbage after an impossible length")
        print("sent length-0xffffffff")
        print("closed" if wait_closed(s, 5) else "still-open")
        return 0
    if mode == "overlong":
        n = int(a[2])
        s = connect(path)
        try:
            s.sendall(struct.pack("!I", n) + eth(b"\0" * (n - 14)))
        except OSError:
            pass
        print("closed" if wait_closed(s, 3) else "still-open")
        return 0
    if mode == "partial":
        s = connect(path)
        s.sendall(b"\x00\x00")
        time.sleep(0.2)
        s.sendall(b"\x00\x40" + b"\x01" * 20)
        time.sleep(0.2)
        s.close()
        print("closed by us mid-frame")
        return 0
    if mode == "good":
        s = connect(path)
        s.sendall(rec(eth(arp_req(GW), 0x0806)))
        s.sendall(rec(eth(ip4(1, icmp_echo(0x4242, 7, b"ulvm-ping" * 4)), dst=GW_MAC_ANY)))
        buf, got_arp, got_echo = b"", False, False
        deadline = time.time() + 10
        while time.time() < deadline and not (got_arp and got_echo):
            s.settimeout(max(0.1, deadline - time.time()))
            try:
                d = s.recv(65536)
            except socket.timeout:
                break
            if not d:
                print("link closed by slirpish")
                return 1
            buf += d
            while len(buf) >= 4:
                n = struct.unpack("!I", buf[:4])[0]
                if len(buf) < 4 + n:
                    break
                f, buf = buf[4:4 + n], buf[4 + n:]
                et = struct.unpack("!H", f[12:14])[0] if len(f) >= 14 else 0
                if et == 0x0806 and len(f) >= 42:
                    op = struct.unpack("!H", f[20:22])[0]
                    if op == 2 and f[28:32] == GW and f[32:38] == GMAC and f[38:42] == GUEST:
                        got_arp = True
                        print("arp reply: 10.0.2.2 is at", f[22:28].hex(":"))
                elif et == 0x0800 and len(f) >= 42 and f[23] == 1:
                    ihl = (f[14] & 15) * 4
                    ic = f[14 + ihl:]
                    if (len(ic) >= 8 and ic[0] == 0 and f[26:30] == GW and f[30:34] == GUEST
                            and struct.unpack("!HH", ic[4:8]) == (0x4242, 7)
                            and ic[8:] == b"ulvm-ping" * 4 and csum(ic) == 0):
                        got_echo = True
                        print("icmp echo reply from 10.0.2.2")
        print("arp=%s echo=%s" % (got_arp, got_echo))
        return 0 if (got_arp and got_echo) else 1
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except OSError as e:
        print("error: %s" % e)
        sys.exit(1)
