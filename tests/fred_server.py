#!/usr/bin/env python3
"""A loopback stand-in for FRED's fred/series/observations endpoint, for tests.

Usage: fred_server.py [API_KEY]   (or FRED_TEST_API_KEY in the environment)

Binds 127.0.0.1 on a free port and prints the port as the first line of
stdout. Exits when stdin closes or on SIGTERM. Standard library only.

Speaks FRED's wire format: GET /fred/series/observations with series_id,
api_key, file_type=json and optional observation_start. Errors are HTTP 400
with FRED's JSON error object {"error_code":400,"error_message":"..."}.
Known series are tests/fixtures/fred/<ID>.json (synthetic values in FRED's
reply shape). Special series ids for failure tests:
  SLOW        answers only after 30 s (longer than any client timeout)
  BROKEN      HTTP 200 with a truncated JSON body
  HUGE        HTTP 200 with a valid ~3 MiB body and a Content-Length
  HUGESTREAM  the same without Content-Length (body ends at connection close)
"""
import json
import os
import re
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

DEFAULT_KEY = "abcdefghij0123456789abcdefghij01"
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "fred")
KEY_HELP = "  Read https://fred.stlouisfed.org/docs/api/api_key.html for more information."
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SERIES_RE = re.compile(r"^[A-Za-z0-9_]{1,64}$")


def huge_body():
    rows = ",".join(
        '{"realtime_start":"2024-05-10","realtime_end":"2024-05-10","date":"%04d-%02d-%02d","value":"1.00"}'
        % (1000 + i // 336, 1 + (i // 28) % 12, 1 + i % 28)
        for i in range(32000)
    )
    return ('{"count":32000,"observations":[' + rows + "]}").encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like FRED
    server_version = "fred-test/1"
    valid_key = DEFAULT_KEY

    def log_message(self, fmt, *args):
        pass  # request lines carry the api_key

    def send_json(self, status, obj, close=False):
        body = json.dumps(obj, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def error400(self, message):
        self.send_json(400, {"error_code": 400, "error_message": "Bad Request.  " + message})

    def do_GET(self):
        try:
            self.handle_get()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeouts, stop mid-transfer)

    def handle_get(self):
        url = urlsplit(self.path)
        if url.path != "/fred/series/observations":
            self.send_json(404, {"error_code": 404, "error_message": "Not Found"})
            return
        q = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        key = q.get("api_key", "")
        if not key:
            self.error400("Variable api_key has not been set." + KEY_HELP)
            return
        if not re.fullmatch(r"[a-z0-9]{32}", key):
            self.error400("The value for variable api_key is not a 32 character alpha-numeric lower-case string." + KEY_HELP)
            return
        if key != self.valid_key:
            self.error400("The value for variable api_key is not registered." + KEY_HELP)
            return
        if q.get("file_type", "xml") != "json":
            self.error400("This test server only speaks file_type=json.")
            return
        sid = q.get("series_id", "")
        if not sid:
            self.error400("Variable series_id is not set.")
            return
        start = q.get("observation_start")
        if start is not None and not DATE_RE.match(start):
            self.error400("Variable observation_start can not be \"%s\"." % start)
            return

        if sid == "SLOW":
            time.sleep(30)
            self.send_json(200, {"observations": []})
            return
        if sid == "BROKEN":
            body = b'{"realtime_start":"2024-05-10","observations":[{"date":"1996-01-02","value":"17.05"},'
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if sid in ("HUGE", "HUGESTREAM"):
            body = huge_body()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            if sid == "HUGE":
                self.send_header("Content-Length", str(len(body)))
            else:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            for i in range(0, len(body), 65536):
                self.wfile.write(body[i:i + 65536])
            return

        path = os.path.join(FIXTURES, sid + ".json")
        if not SERIES_RE.match(sid) or not os.path.isfile(path):
            self.error400("The series does not exist.")
            return
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
        if start is not None:
            doc["observations"] = [o for o in doc["observations"] if o["date"] >= start]
            doc["observation_start"] = start
            doc["count"] = len(doc["observations"])
        self.send_json(200, doc)


def main():
    key = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("FRED_TEST_API_KEY", DEFAULT_KEY)
    Handler.valid_key = key
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True  # SLOW handlers must not hold up exit
    threading.Thread(target=srv.serve_forever, daemon=True).start()

    def on_term(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, on_term)
    print(srv.server_address[1], flush=True)
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except (SystemExit, KeyboardInterrupt):
        pass
    finally:
        srv.shutdown()
        srv.server_close()


if __name__ == "__main__":
    main()
