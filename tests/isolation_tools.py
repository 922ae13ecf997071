#!/usr/bin/env python3
"""Helpers of the isolation suite (tests/e2e_isolation.sh, issue 12).

  listen DIR
      A TCP listener on 127.0.0.1 (port written to DIR/port) that records
      every connection and every byte it is sent, one JSON line each in
      DIR/conns.jsonl: what a hostile plugin would exfiltrate arrives here.
  poll URL TOKEN OUT DAEMON_PID SECRET [INTERVAL_MS [LIMIT_MS]]
      Until SIGTERM: GET /healthz and POST /risk/emergency-flatten (with the
      operator token) every INTERVAL_MS (50) ms, timing each, less the time
      the prober itself was kept off the CPU (its own 2 ms ticks over 20 ms
      late: the machine stalled, not the daemon); every 100 ms, the daemon's
      plugin workers (its children running gordon-worker) and whether their
      /proc/PID/environ holds SECRET. Writes a JSON summary to OUT; probes over
      LIMIT_MS (100) are listed, and excused when the stall accounts for it.
  around POLL_JSON LOG
      The daemon's log lines from 300 ms before each slow probe that poll
      listed to its answer, but the probes' own: what the loop was doing.
  drive WORKER PLUGIN.so OUT [key=value]...
      Runs a plugin in a gordon-worker directly, speaking the worker
      protocol (host/plugin/wire.h) as the host would, but WITHOUT the host's
      lint: the sandbox alone stands between the plugin and the system.
      LOAD, CREATE with the parameters given (types from the plugin's
      descriptor), three bars, DESTROY; writes what happened to OUT and
      prints its last line: how the worker ended.
  patch IN OUT key=value...
      Copies IN to OUT with its configuration block ("GDISOCFG:", in
      plugins that run before they get parameters) set to key=value;...
  zero-shdr IN OUT
      Copies an ELF file with e_shoff, e_shnum and e_shstrndx zeroed.
  audit-extends BEFORE AFTER
      Exit 0 when AFTER is BEFORE plus whole lines that the daemon writes for
      an operator's emergency flatten (event "flatten", who "operator:..."),
      else print the first difference and exit 1.
"""
import http.client
import json
import os
import select
import signal
import socket
import struct
import sys
import threading
import time

# ------------------------------------------------------------------ listen


def listen(d):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    log = open(os.path.join(d, "conns.jsonl"), "a")
    lock = threading.Lock()
    with open(os.path.join(d, "port.tmp"), "w") as f:
        f.write(str(srv.getsockname()[1]))
    os.rename(os.path.join(d, "port.tmp"), os.path.join(d, "port"))
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))

    def serve(c, peer):
        data = b""
        c.settimeout(2.0)
        try:
            while len(data) < 65536:
                b = c.recv(65536)
                if not b:
                    break
                data += b
        except OSError:
            pass
        c.close()
        with lock:
            log.write(json.dumps({"t": time.time(), "peer": "%s:%d" % peer,
                                  "data": data.decode("latin-1")}) + "\n")
            log.flush()

    while True:
        c, peer = srv.accept()
        with lock:  # the connection itself, before any byte
            log.write(json.dumps({"t": time.time(), "peer": "%s:%d" % peer, "event": "connect"}) + "\n")
            log.flush()
        threading.Thread(target=serve, args=(c, peer), daemon=True).start()


# ------------------------------------------------------------------ poll


def poll(url, token, out, daemon_pid, secret, interval_ms=50, limit_ms=100):
    host, port = url.split("//")[1].split(":")
    port = int(port)
    st = {"n": 0, "healthz_max_ms": 0.0, "flatten_max_ms": 0.0, "healthz_net_max_ms": 0.0,
          "flatten_net_max_ms": 0.0, "excused": 0, "healthz_bad": [], "flatten_bad": [],
          "slow": [], "slow_wall": [], "workers_seen": [], "environ_read": 0, "environ_unreadable": 0, "secret_in_environ": [],
          "secret_bytes": 0}
    stop = [False]
    signal.signal(signal.SIGTERM, lambda *a: stop.__setitem__(0, True))
    body = json.dumps({"reason": "isolation drill"})
    hdrs = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
    t_start = time.monotonic()

    # The machine's own stalls (the VM descheduled, its CPUs taken by
    # others): a thread that asks to wake every 2 ms notes each wake-up that
    # came over 20 ms late. The part of a probe the prober itself was not
    # running is not the daemon's.
    stalls = []

    def ticker():
        last = time.monotonic()
        while not stop[0]:
            time.sleep(0.002)
            now = time.monotonic()
            if now - last > 0.020:
                stalls.append((last + 0.002, now))
                del stalls[:-1000]
            last = now

    threading.Thread(target=ticker, daemon=True).start()

    def stalled(t0, t1):
        return sum(max(0.0, min(b, t1) - max(a, t0)) for a, b in list(stalls))

    def req(method, path, what):
        t0 = time.monotonic()
        w0 = time.time()
        code = None
        try:
            c = http.client.HTTPConnection(host, port, timeout=2.0)
            c.request(method, path, body=body if method == "POST" else None, headers=hdrs if method == "POST" else {})
            r = c.getresponse()
            r.read()
            code = r.status
            c.close()
        except Exception as e:  # a timeout or a refused connection is a failure, not a crash
            code = repr(e)
        t1 = time.monotonic()
        ms = (t1 - t0) * 1000.0
        away = stalled(t0, t1) * 1000.0
        st[what + "_max_ms"] = max(st[what + "_max_ms"], ms)
        st[what + "_net_max_ms"] = max(st[what + "_net_max_ms"], ms - away)
        if code != 200:
            st[what + "_bad"].append([round(t1 - t_start, 3), str(code)])
        if ms > limit_ms:
            if ms - away <= limit_ms:
                st["excused"] += 1
            if len(st["slow"]) < 20:
                st["slow"].append([round(t1 - t_start, 3), what, round(ms, 1), round(away, 1)])
                st["slow_wall"].append([w0, w0 + (t1 - t0)])

    def children():
        kids = []
        for p in os.listdir("/proc"):
            if not p.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % p) as f:
                    s = f.read()
                ppid = int(s[s.rindex(")") + 2:].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == daemon_pid:
                kids.append(int(p))
        return kids

    seen = set()
    last_scan = 0.0
    while not stop[0]:
        t = time.monotonic()
        req("GET", "/healthz", "healthz")
        req("POST", "/risk/emergency-flatten", "flatten")
        st["n"] += 1
        if t - last_scan >= 0.1:
            last_scan = t
            for k in children():
                # Only a worker that has exec'd: between posix_spawn's clone
                # and its execve a child still shares the daemon's memory,
                # and /proc/PID/environ shows the daemon's own environment.
                try:
                    if not os.readlink("/proc/%d/exe" % k).endswith("/gordon-worker"):
                        continue
                    with open("/proc/%d/environ" % k, "rb") as f:
                        env = f.read()
                    if not os.readlink("/proc/%d/exe" % k).endswith("/gordon-worker"):
                        continue
                    st["environ_read"] += 1
                    st["secret_bytes"] += len(env)
                    if secret.encode() in env:
                        st["secret_in_environ"].append(k)
                except OSError:
                    st["environ_unreadable"] += 1
                    continue
                seen.add(k)
        left = interval_ms / 1000.0 - (time.monotonic() - t)
        if left > 0:
            time.sleep(left)
    st["workers_seen"] = sorted(seen)
    for k in ("healthz_max_ms", "flatten_max_ms", "healthz_net_max_ms", "flatten_net_max_ms"):
        st[k] = round(st[k], 1)
    st["stalls"] = len(stalls)
    with open(out, "w") as f:
        json.dump(st, f)


# ------------------------------------------------------------------ drive

MAGIC = 0x31574447
W_LOAD, W_CREATE, W_WARMUP, W_BAR, W_DESTROY, W_REPLY = 1, 2, 3, 4, 11, 12
W_HELLO, W_FAIL, W_DONE, W_LOG, W_EMIT = 64, 65, 66, 67, 68
P_INT, P_DOUBLE, P_BOOL, P_STRING = 1, 2, 3, 4


class Reader:
    def __init__(self, b):
        self.b, self.o = b, 0

    def take(self, fmt):
        v = struct.unpack_from("<" + fmt, self.b, self.o)
        self.o += struct.calcsize("<" + fmt)
        return v[0]

    def str(self):
        n = self.take("I")
        s = self.b[self.o:self.o + n].decode("utf-8", "replace")
        self.o += n
        return s

    def opt_str(self):
        return self.str() if self.take("B") else None


def msg(t, payload=b""):
    return struct.pack("<IHH", MAGIC, t, 0) + payload


def wstr(s):
    b = s.encode()
    return struct.pack("<I", len(b)) + b


def drive(worker, plugin, out, kv):
    log = open(out, "w")

    def say(line):
        log.write(line + "\n")
        log.flush()

    host, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    err = open(out + ".stderr", "w")
    pid = os.posix_spawn(worker, [worker], {}, file_actions=[
        (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
        (os.POSIX_SPAWN_DUP2, err.fileno(), 1),
        (os.POSIX_SPAWN_DUP2, err.fileno(), 2),
        (os.POSIX_SPAWN_DUP2, child.fileno(), 3),
    ], setsid=True)
    child.close()

    def recv(timeout):
        r, _, _ = select.select([host], [], [], timeout)
        if not r:
            return None, None
        b = host.recv(70000)
        if len(b) < 8:
            return "closed", None
        magic, t, _ = struct.unpack_from("<IHH", b)
        return t, Reader(b[8:])

    def call(m, answer, timeout=3.0):
        """Sends a call and serves the worker's requests until its answer."""
        try:
            host.send(m)
        except OSError as e:
            return "send failed: %s" % e
        deadline = time.monotonic() + timeout
        while True:
            t, r = recv(max(0.0, deadline - time.monotonic()))
            if t is None:
                return "no answer within %.0f s" % timeout
            if t == "closed":
                return "the worker closed its socket"
            if t == answer:
                return r
            if t == W_FAIL:
                return "FAIL: " + r.str()
            if t == W_LOG:
                level = r.take("I")
                say("log %d: %s" % (level, r.str()))
            elif t == W_EMIT:
                host.send(msg(W_REPLY, struct.pack("<i", 1)))
            else:  # every query: refused
                host.send(msg(W_REPLY, struct.pack("<i", -1)))

    params = []
    r = call(msg(W_LOAD, struct.pack("<I", 1) + wstr(plugin) + struct.pack("<IQQ", 0, 1024, 60)), W_HELLO, 10.0)
    if isinstance(r, str):
        say("load: " + r)
    else:
        r.take("I"), r.take("I"), r.take("I"), r.take("i")
        name, _ = r.str(), r.str()
        r.opt_str()
        r.take("I"), r.take("I")
        for _ in range(r.take("I")):
            pname, ptype = r.str(), r.take("i")
            r.take("i")
            pdef = r.take("d")
            r.take("d"), r.take("d"), r.take("d")
            pstr = r.opt_str()
            r.opt_str()
            params.append((pname, ptype, pdef, pstr))
        say("hello: %s, %d params" % (name, len(params)))
        c = wstr("strategy.driven") + struct.pack("<II", 0, 1) + wstr("USDCHF") + struct.pack("<B", 1)
        c += struct.pack("<I", len(params))
        for pname, ptype, pdef, pstr in params:
            v = kv.get(pname)
            if ptype == P_STRING:
                c += wstr(pname) + struct.pack("<iqd", ptype, 0, 0.0) + wstr(v if v is not None else (pstr or ""))
            else:
                num = float(v) if v is not None else pdef
                c += wstr(pname) + struct.pack("<iqd", ptype, int(num), num) + wstr("")
        r = call(msg(W_CREATE, c), W_DONE)
        if isinstance(r, str):
            say("create: " + r)
        else:
            say("create: rc %d" % r.take("q"))
            for i in range(3):
                bar = struct.pack("<qdI", (i + 1) * 1800000, 10000.0, 0)
                bar += struct.pack("<qqddddd", i * 1800000, (i + 1) * 1800000, 1.0, 1.0, 1.0, 1.0, 0.0)
                bar += struct.pack("<B", 0)  # no position comes with the bar
                r = call(msg(W_BAR, bar), W_DONE)
                if isinstance(r, str):
                    say("bar %d: %s" % (i, r))
                    break
                say("bar %d: done" % i)
            else:
                try:
                    host.send(msg(W_DESTROY))
                except OSError:
                    pass
    # How it ended: give it a moment to exit, then make sure it has.
    end = None
    for _ in range(50):
        p, status = os.waitpid(pid, os.WNOHANG)
        if p == pid:
            end = status
            break
        time.sleep(0.02)
    if end is None:
        os.kill(pid, signal.SIGKILL)
        _, end = os.waitpid(pid, 0)
        how = "still running: killed by the driver"
    elif os.WIFSIGNALED(end):
        sig = os.WTERMSIG(end)
        how = "killed by %s" % signal.Signals(sig).name
    else:
        how = "exit status %d" % os.WEXITSTATUS(end)
    say("worker ended: " + how)
    print("worker ended: " + how)


# ------------------------------------------------------------------ files


def patch(src, dst, kv):
    b = bytearray(open(src, "rb").read())
    tag = b"GDISOCFG:"
    i = b.find(tag)
    if i < 0 or b.find(tag, i + 1) >= 0:
        sys.exit("patch: %s: no single configuration block" % src)
    cfg = ("".join("%s=%s;" % (k, v) for k, v in kv.items())).encode()
    room = 512 - len(tag) - 1
    if len(cfg) > room:
        sys.exit("patch: settings longer than %d bytes" % room)
    b[i + len(tag):i + len(tag) + room] = cfg + b"\0" * (room - len(cfg))
    open(dst, "wb").write(bytes(b))
    os.chmod(dst, 0o755)


def zero_shdr(src, dst):
    b = bytearray(open(src, "rb").read())
    if b[:4] != b"\x7fELF" or b[4] != 2:
        sys.exit("zero-shdr: %s: not a 64-bit ELF file" % src)
    struct.pack_into("<Q", b, 0x28, 0)      # e_shoff
    struct.pack_into("<HH", b, 0x3c, 0, 0)  # e_shnum, e_shstrndx
    open(dst, "wb").write(bytes(b))
    os.chmod(dst, 0o755)


def audit_extends(before, after):
    a, b = open(before, "rb").read(), open(after, "rb").read()
    if not b.startswith(a):
        n = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
        line = a[:n].count(b"\n") + 1
        print("the trail's first %d bytes changed: line %d differs (or was cut)" % (len(a), line))
        return 1
    for k, line in enumerate(b[len(a):].split(b"\n")[:-1], a.count(b"\n") + 1):
        try:
            o = json.loads(line)
        except ValueError:
            print("line %d is not JSON: %r" % (k, line[:200]))
            return 1
        if o.get("event") != "flatten" or not str(o.get("who", "")).startswith("operator:"):
            print("line %d is not an operator's flatten: %r" % (k, line[:300]))
            return 1
    if not b.endswith(b"\n") and len(b) > len(a):
        print("the trail ends in a cut line")
        return 1
    return 0


def around(poll_json, log, before_ms=300):
    """The daemon's log lines from before_ms ahead of each slow probe to its
    answer: what held the loop."""
    import datetime
    slow = json.load(open(poll_json)).get("slow_wall", [])

    def own(line):  # the probes' own lines: the flatten, its audit record, the access log
        return '"component":"http"' in line or '"msg":"flatten by operator' in line or \
            ('"msg":"audit record' in line and "(flatten)" in line)

    lines = []
    for line in open(log, errors="replace"):
        try:
            ts = json.loads(line)["ts"]
        except (ValueError, KeyError, TypeError):
            continue
        t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()
        lines.append((t, line.rstrip()))
    for w0, w1 in slow:
        print("  the log from %.0f ms before the slow probe (%.1f ms) to its answer:" % (before_ms, (w1 - w0) * 1000))
        shown = 0
        for t, line in lines:
            if w0 - before_ms / 1000.0 <= t <= w1 + 0.002 and not own(line) and shown < 20:
                print("    " + line[:300])
                shown += 1
        if not shown:
            print("    (nothing but the probes' own lines)")


def main():
    a = sys.argv[1:]
    if not a:
        sys.exit(__doc__)
    cmd = a[0]
    if cmd == "listen":
        listen(a[1])
    elif cmd == "poll":
        poll(a[1], a[2], a[3], int(a[4]), a[5], int(a[6]) if len(a) > 6 else 50, float(a[7]) if len(a) > 7 else 100)
    elif cmd == "drive":
        drive(a[1], a[2], a[3], dict(x.split("=", 1) for x in a[4:]))
    elif cmd == "patch":
        patch(a[1], a[2], dict(x.split("=", 1) for x in a[3:]))
    elif cmd == "zero-shdr":
        zero_shdr(a[1], a[2])
    elif cmd == "around":
        around(a[1], a[2])
    elif cmd == "audit-extends":
        sys.exit(audit_extends(a[1], a[2]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
