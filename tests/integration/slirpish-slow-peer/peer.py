# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# peer.py - one end of a TCP transfer for the slirpish-slow-peer test.
#
#   peer.py listen BIND PORT SENDFILE DELAY
#   peer.py connect HOST PORT SENDFILE DELAY
# Sends SENDFILE ("-" for nothing) from a thread, then shuts the write side;
# meanwhile reads to EOF, sleeping DELAY seconds after each read of at most
# 64 KiB (a slow reader); then prints "got LEN SHA256".  Exit 1 on error.
import hashlib
import socket
import sys
import threading
import time

TIMEOUT = 60


def main(a):
    mode, addr, port, path, delay = a[0], a[1], int(a[2]), a[3], float(a[4])
    if mode == "listen":
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((addr, port))
        ls.listen(1)
        ls.settimeout(TIMEOUT)
        s, _ = ls.accept()
        ls.close()
    else:
        s = socket.create_connection((addr, port), timeout=TIMEOUT)
    s.settimeout(TIMEOUT)
    err = []

    def send():
        try:
            if path != "-":
                with open(path, "rb") as f:
                    while True:
                        b = f.read(262144)
                        if not b:
                            break
                        s.sendall(b)
            s.shutdown(socket.SHUT_WR)
        except OSError as e:
            err.append("send: %s" % e)

    t = threading.Thread(target=send)
    t.start()
    h = hashlib.sha256()
    got = 0
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            h.update(d)
            got += len(d)
            if delay:
                time.sleep(delay)
    except OSError as e:
        err.append("recv after %d bytes: %s" % (got, e))
    t.join()
    s.close()
    print("got %d %s" % (got, h.hexdigest()))
    for e in err:
        print("error:", e)
    return 1 if err else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (OSError, ValueError, IndexError) as e:
        print("error: %s" % e)
        sys.exit(1)
