# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# udp.py - UDP peers for the slirpish-udp test.
#
#   udp.py echo PORT            host echo server on 127.0.0.1:PORT; a datagram
#                               "BIG n" is answered with n bytes instead
#   udp.py rt HOST PORT SIZE... one round trip per SIZE (random content);
#                               prints "SIZE ok|lost|bad" per line
#   udp.py many HOST PORT N     N round trips of 1000 bytes from two sockets
#                               taking turns; prints "ok K of N"
#   udp.py big HOST PORT N      ask for an N-byte answer; prints "got LEN" or "lost"
import os
import socket
import sys


def main(a):
    mode = a[0]
    if mode == "echo":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", int(a[1])))
        while True:
            d, peer = s.recvfrom(70000)
            if d.startswith(b"BIG "):
                s.sendto(b"B" * int(d[4:]), peer)
            else:
                s.sendto(d, peer)
    host, port = a[1], int(a[2])
    if mode == "rt":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(2)
        for n in a[3:]:
            d = os.urandom(int(n))
            s.sendto(d, (host, port))
            try:
                r, _ = s.recvfrom(70000)
                print(n, "ok" if r == d else "bad")
            except socket.timeout:
                print(n, "lost")
        return 0
    if mode == "many":
        n = int(a[3])
        ss = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
        ok = 0
        for i in range(n):
            s = ss[i % 2]
            s.settimeout(2)
            d = b"%d:" % i + os.urandom(996)
            s.sendto(d, (host, port))
            try:
                r, _ = s.recvfrom(70000)
                ok += r == d
            except socket.timeout:
                pass
        print("ok %d of %d" % (ok, n))
        return 0
    if mode == "big":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(2)
        s.sendto(b"BIG %d" % int(a[3]), (host, port))
        try:
            r, _ = s.recvfrom(70000)
            print("got", len(r))
        except socket.timeout:
            print("lost")
        return 0
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (OSError, ValueError, IndexError) as e:
        print("error: %s" % e)
        sys.exit(1)
