#!/usr/bin/env python3
"""tool.py - small helpers for the test DNS server (tests/dns/server.sh).

  tool.py freeport           a port free for UDP and TCP on 127.0.0.1 (and on
                             ::1 when the host has IPv6), printed
  tool.py has-ipv6           exit 0 when ::1 can be bound
  tool.py blackhole FILE     listen on a free UDP port of 127.0.0.1, write the
                             port to FILE, and never answer: every datagram
                             is counted in FILE.log, one line each
  tool.py probe PORT NAME    exit 0 when 127.0.0.1:PORT answers an A query
                             for NAME with NOERROR and an answer (0.5 s wait)

Only the standard library; nothing leaves the loopback interface.
"""
import os
import random
import socket
import struct
import sys


def has_ipv6():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def freeport():
    want6 = has_ipv6()
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            others = [(socket.AF_INET, socket.SOCK_STREAM, "127.0.0.1")]
            if want6:
                others += [(socket.AF_INET6, socket.SOCK_DGRAM, "::1"),
                           (socket.AF_INET6, socket.SOCK_STREAM, "::1")]
            ok = True
            for family, kind, addr in others:
                with socket.socket(family, kind) as t:
                    try:
                        t.bind((addr, port))
                    except OSError:
                        ok = False
                        break
            if ok:
                print(port)
                return 0
    print("tool.py: no free port found", file=sys.stderr)
    return 1


def blackhole(path):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    os.rename(tmp, path)
    with open(path + ".log", "a", buffering=1) as log:
        while True:
            data, peer = s.recvfrom(65535)
            log.write("%s:%d %d bytes\n" % (peer[0], peer[1], len(data)))


def probe(port, name):
    qid = random.randrange(65536)
    query = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        query += bytes([len(label)]) + label.encode("ascii")
    query += b"\0" + struct.pack(">HH", 1, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.5)
        try:
            s.sendto(query, ("127.0.0.1", port))
            reply = s.recv(65535)
        except OSError:
            return 1
    if len(reply) < 12:
        return 1
    rid, flags, _, ancount = struct.unpack(">HHHH", reply[:8])
    return 0 if rid == qid and flags & 0x000F == 0 and ancount > 0 else 1


def main(argv):
    if len(argv) == 2 and argv[1] == "freeport":
        return freeport()
    if len(argv) == 2 and argv[1] == "has-ipv6":
        return 0 if has_ipv6() else 1
    if len(argv) == 3 and argv[1] == "blackhole":
        blackhole(argv[2])
        return 0
    if len(argv) == 4 and argv[1] == "probe":
        return probe(int(argv[2]), argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
