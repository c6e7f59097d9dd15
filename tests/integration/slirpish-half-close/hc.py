# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# hc.py - half-close peers for the slirpish-half-close test.
#
#   srv-eof-reply BIND PORT          accept one connection, read to EOF, then
#                                    answer "got LEN SHA256\n" + 64 KiB and close
#   cli-send-shut HOST PORT BYTES    send BYTES, shut the write side, read the
#                                    answer to EOF and check it
#   srv-fin-first BIND PORT GREET    accept one connection, send GREET bytes,
#                                    shut the write side, read to EOF, print
#                                    "got LEN SHA256", close
#   cli-keep-sending HOST PORT BYTES GREET
#                                    read GREET bytes to EOF, then send BYTES,
#                                    shut the write side, wait for the close,
#                                    print "sent LEN SHA256"
# Exit 0 when the peer behaved, 1 otherwise (the reason on stdout).
import hashlib
import os
import socket
import sys

TAIL = 65536
TIMEOUT = 30


def pattern(n):
    return bytes((i * 7 + 3) & 0xff for i in range(n))


def read_to_eof(s):
    buf = bytearray()
    while True:
        d = s.recv(65536)
        if not d:
            return bytes(buf)
        buf += d


def listen_one(bind, port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((bind, port))
    ls.listen(1)
    ls.settimeout(TIMEOUT)
    print("listening", flush=True)
    c, _ = ls.accept()
    c.settimeout(TIMEOUT)
    ls.close()
    return c


def connect(host, port):
    s = socket.create_connection((host, port), timeout=TIMEOUT)
    s.settimeout(TIMEOUT)
    return s


def main(a):
    mode = a[0]
    if mode == "srv-eof-reply":
        c = listen_one(a[1], int(a[2]))
        data = read_to_eof(c)
        c.sendall(b"got %d %s\n" % (len(data), hashlib.sha256(data).hexdigest().encode()))
        c.sendall(pattern(TAIL))
        c.close()
        print("got %d" % len(data))
        return 0
    if mode == "cli-send-shut":
        n = int(a[3])
        data = os.urandom(n)
        s = connect(a[1], int(a[2]))
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        ans = read_to_eof(s)
        s.close()
        want = b"got %d %s\n" % (n, hashlib.sha256(data).hexdigest().encode())
        if not ans.startswith(want):
            print("bad answer after our FIN: %r (expected %r)" % (ans[:100], want))
            return 1
        if ans[len(want):] != pattern(TAIL):
            print("answer tail: %d bytes, expected the %d-byte pattern" % (len(ans) - len(want), TAIL))
            return 1
        print("ok: sent %d then FIN, got the answer and %d more bytes" % (n, TAIL))
        return 0
    if mode == "srv-fin-first":
        c = listen_one(a[1], int(a[2]))
        c.sendall(pattern(int(a[3])))
        c.shutdown(socket.SHUT_WR)
        data = read_to_eof(c)
        c.close()
        print("got %d %s" % (len(data), hashlib.sha256(data).hexdigest()))
        return 0
    if mode == "cli-keep-sending":
        n, g = int(a[3]), int(a[4])
        s = connect(a[1], int(a[2]))
        greet = read_to_eof(s)
        if greet != pattern(g):
            print("greeting: %d bytes, expected the %d-byte pattern" % (len(greet), g))
            return 1
        data = os.urandom(n)
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        rest = read_to_eof(s)   # the peer closes once it has read our FIN
        s.close()
        if rest:
            print("unexpected %d bytes after the peer's FIN" % len(rest))
            return 1
        print("sent %d %s" % (n, hashlib.sha256(data).hexdigest()))
        return 0
    print("unknown mode %s" % mode)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (OSError, ValueError, IndexError) as e:
        print("error: %s" % e)
        sys.exit(1)
