#!/usr/bin/env python3
"""Bounded attackers and probes for the operator API flood test (tests/e2e_flood.sh,
bench/http_flood.sh). Standard library only; every socket goes to 127.0.0.1
(a source address of 127.0.0.x may be chosen, to play several peers). Each
mode stops by itself: after --seconds, or at SIGTERM (then prints its counts).

  slowloris PORT [--sockets 200] [--seconds 30] [--interval 0.2] [--source A,B,..]
      --sockets connections, each sending a request header one byte every
      --interval seconds and never finishing it; a socket the server drops
      (or answers) is replaced at once. Prints one JSON line of counts.
  hold PORT --count N [--source A] [--token T] [--seconds 20]
      N connections, each an operator's request in progress (a complete
      POST header with the bearer token and Content-Length 64, no body; with
      no --token, a header that does not finish); prints "held N" once they
      are sent, then keeps them until the time is up or SIGTERM.
  probe PORT [--source A] [--repeat 1] [--request R]
      --repeat connections in turn, each sending request R at once (\\r\\n
      escapes) and reading until the server closes. Prints one JSON line:
      how many got which status, how many a reset or nothing, and the first
      answer's head.
"""
import argparse
import errno
import json
import selectors
import signal
import socket
import sys
import time

HOST = "127.0.0.1"
stop = False


def on_term(signum, frame):
    global stop
    stop = True


def header_bytes(port):
    """An endless request header: the request line, Host, then X-N lines."""
    yield from b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: slowloris\r\n" % port
    n = 0
    while True:
        yield from b"X-%d: %d\r\n" % (n, n)
        n += 1


def sources_of(arg):
    return [s for s in arg.split(",") if s] or [None]


class Conn:
    __slots__ = ("s", "gen", "next_send", "connected", "slot")


def slowloris(a):
    sel = selectors.DefaultSelector()
    sources = sources_of(a.source)
    stats = {"sockets": a.sockets, "sources": len(sources), "connects": 0, "connect_errors": 0,
             "dropped": 0, "answered": {}, "bytes_sent": 0}
    conns = {}
    deadline = time.monotonic() + a.seconds

    def open_one(slot):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        src = sources[slot % len(sources)]
        try:
            if src:
                s.bind((src, 0))
            rc = s.connect_ex((HOST, a.port))
        except OSError:
            rc = -1
        if rc not in (0, errno.EINPROGRESS):
            s.close()
            stats["connect_errors"] += 1
            return False
        c = Conn()
        c.s, c.gen, c.connected, c.slot = s, header_bytes(a.port), False, slot
        c.next_send = time.monotonic()
        conns[s.fileno()] = c
        sel.register(s, selectors.EVENT_WRITE)
        stats["connects"] += 1
        return True

    def drop(c):
        del conns[c.s.fileno()]
        sel.unregister(c.s)
        c.s.close()
        missing.append(c.slot)

    missing = list(range(a.sockets))
    while not stop and time.monotonic() < deadline:
        # Replace dropped sockets at once: the attacker's whole point.
        retry = []
        for slot in missing:
            if not open_one(slot):
                retry.append(slot)
        missing = retry
        for key, _ in sel.select(0.01 if missing else a.interval / 4):
            c = conns.get(key.fd)
            if c is None:
                continue
            if not c.connected:
                if c.s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                    stats["connect_errors"] += 1
                    drop(c)
                    continue
                c.connected = True
                sel.modify(c.s, selectors.EVENT_READ)
                continue
            try:
                data = c.s.recv(4096)
            except OSError:
                data = b""
            if data:
                code = data[9:12].decode("ascii", "replace") if data.startswith(b"HTTP/1.1 ") else "?"
                stats["answered"][code] = stats["answered"].get(code, 0) + 1
            else:
                stats["dropped"] += 1
            drop(c)
        now = time.monotonic()
        for c in list(conns.values()):
            if not c.connected or c.next_send > now:
                continue
            try:
                c.s.send(bytes([next(c.gen)]))
                stats["bytes_sent"] += 1
                c.next_send = now + a.interval
            except OSError:
                stats["dropped"] += 1
                drop(c)
    for c in list(conns.values()):
        c.s.close()
    print(json.dumps(stats), flush=True)


def connect(src, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    if src:
        s.bind((src, 0))
    s.connect((HOST, port))
    return s


def hold(a):
    held = []
    for _ in range(a.count):
        s = connect(a.source or None, a.port)
        if a.token:
            s.sendall(b"POST /risk/halt HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: Bearer %s\r\n"
                      b"Content-Type: application/json\r\nContent-Length: 64\r\n\r\n"
                      % (a.port, a.token.encode()))
        else:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % a.port)
        held.append(s)
    print("held %d" % len(held), flush=True)
    deadline = time.monotonic() + a.seconds
    while not stop and time.monotonic() < deadline:
        time.sleep(0.05)
    for s in held:
        s.close()


def probe(a):
    req = a.request.encode().decode("unicode_escape").encode("latin-1")
    out = {"status": {}, "reset": 0, "nothing": 0, "first": None}
    for _ in range(a.repeat):
        data = b""
        try:
            s = connect(a.source or None, a.port)
            s.sendall(req)
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            s.close()
        except ConnectionResetError:
            out["reset"] += 1
            continue
        except OSError as e:
            out["error"] = str(e)
            out["nothing"] += 1
            continue
        if not data.startswith(b"HTTP/1.1 "):
            out["nothing"] += 1
            continue
        code = data[9:12].decode("ascii", "replace")
        out["status"][code] = out["status"].get(code, 0) + 1
        if out["first"] is None:
            out["first"] = data.split(b"\r\n\r\n")[0].decode("latin-1").replace("\r\n", " | ")
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["slowloris", "hold", "probe"])
    p.add_argument("port", type=int)
    p.add_argument("--sockets", type=int, default=200)
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--interval", type=float, default=0.2)
    p.add_argument("--source", default="")
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--token", default="")
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--request", default="GET /healthz HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n\\r\\n")
    a = p.parse_args()
    signal.signal(signal.SIGTERM, on_term)
    # Never outlive the test, whatever happens: a hard stop after the budget.
    signal.alarm(int(a.seconds) + 30)
    {"slowloris": slowloris, "hold": hold, "probe": probe}[a.mode](a)
