#!/usr/bin/env python3
"""A loopback Loki for tests: the push API (POST /loki/api/v1/push, JSON
streams) stores log lines; the query API (GET /loki/api/v1/query_range) answers
a stream selector of exact label matches ({a="b", c="d"}) over [start, end]
in nanoseconds, newest first with direction=backward, in Loki's reply shape.
Serves 127.0.0.1 only; prints its port on stdout (or into --port-file).

usage: loki_server.py [--port-file FILE]
"""
import json
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

STREAMS = []  # [(labels dict, [(ns int, line str)])]
LOCK = threading.Lock()
SEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*')


def parse_selector(q):
    q = q.strip()
    if not (q.startswith("{") and q.endswith("}")):
        return None
    body, out = q[1:-1], {}
    for part in filter(None, (p.strip() for p in body.split(","))):
        m = SEL.fullmatch(part)
        if not m:
            return None
        out[m.group(1)] = m.group(2).encode().decode("unicode_escape")
    return out


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def reply(self, code, obj):
        b = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def do_POST(self):
        if urlparse(self.path).path != "/loki/api/v1/push":
            return self.reply(404, {"error": "not found"})
        n = int(self.headers.get("Content-Length") or 0)
        try:
            d = json.loads(self.rfile.read(min(n, 1 << 20)))
            with LOCK:
                for s in d["streams"]:
                    STREAMS.append((dict(s["stream"]), [(int(v[0]), str(v[1])) for v in s["values"]]))
        except (ValueError, KeyError, TypeError, IndexError):
            return self.reply(400, {"error": "bad push"})
        self.send_response(204)
        self.end_headers()

    def do_GET(self):
        u = urlparse(self.path)
        if u.path != "/loki/api/v1/query_range":
            return self.reply(404, {"error": "not found"})
        a = {k: v[0] for k, v in parse_qs(u.query).items()}
        sel = parse_selector(a.get("query", ""))
        if sel is None:
            return self.reply(400, {"status": "error", "error": "parse error: query"})
        try:
            start, end = int(a.get("start", "0")), int(a.get("end", str(1 << 62)))
            limit = int(a.get("limit", "100"))
        except ValueError:
            return self.reply(400, {"status": "error", "error": "bad start, end or limit"})
        result = []
        with LOCK:
            for labels, values in STREAMS:
                if any(labels.get(k) != v for k, v in sel.items()):
                    continue
                vals = sorted((v for v in values if start <= v[0] <= end),
                              reverse=a.get("direction", "backward") == "backward")[:limit]
                if vals:
                    result.append({"stream": labels, "values": [[str(t), l] for t, l in vals]})
        self.reply(200, {"status": "success", "data": {"resultType": "streams", "result": result}})


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    port = srv.server_address[1]
    if len(sys.argv) == 3 and sys.argv[1] == "--port-file":
        with open(sys.argv[2] + ".tmp", "w") as f:
            f.write(str(port))
        import os
        os.rename(sys.argv[2] + ".tmp", sys.argv[2])
    else:
        print(port, flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
