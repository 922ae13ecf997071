#!/usr/bin/env python3
"""A minimal Binance-shaped REST stub for test_venue_rest (the full loopback
venue is tests/venue/). Its clock runs 5 s ahead of ours; it checks the API
key, the HMAC signature over exactly the bytes sent, and the timestamp
against recvWindow, as Binance does. Prints its port, then serves."""
import hashlib
import hmac
import json
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEY, SECRET, AHEAD_MS = "test-key", b"test-secret", 5000


def now_ms():
    return int(time.time() * 1000) + AHEAD_MS


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, obj, headers=()):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-MBX-USED-WEIGHT-1M", "7")
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def signed(self, payload):
        if self.headers.get("X-MBX-APIKEY") != KEY:
            return self.reply(401, {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."})
        if "&signature=" not in payload:
            return self.reply(400, {"code": -1102, "msg": "Mandatory parameter 'signature' was not sent"})
        data, sig = payload.rsplit("&signature=", 1)
        want = hmac.new(SECRET, data.encode(), hashlib.sha256).hexdigest()
        if sig != want:
            return self.reply(400, {"code": -1022, "msg": "Signature for this request is not valid."})
        q = dict(urllib.parse.parse_qsl(data))
        ts, rw = int(q["timestamp"]), int(q.get("recvWindow", 5000))
        if ts > now_ms() + 1000 or now_ms() - ts > rw:
            return self.reply(400, {"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."})
        return self.reply(200, {"orderId": 42, "clientOrderId": q.get("newClientOrderId", ""), "status": "NEW"})

    def do_GET(self):
        path, _, query = self.path.partition("?")
        if path == "/fapi/v1/time":
            return self.reply(200, {"serverTime": now_ms()})
        if path == "/fapi/v1/order":
            return self.reply(503, {"code": -1001, "msg": "Internal error; unable to process your request."})
        if path == "/limited":
            return self.reply(429, {"code": -1003, "msg": "Too many requests"}, [("Retry-After", "7")])
        if path == "/slow":
            time.sleep(3)
            return self.reply(200, {})
        return self.reply(404, {"code": -1000, "msg": "not found"})

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode()
        if self.path == "/fapi/v1/order":
            return self.signed(body)
        return self.reply(404, {"code": -1000, "msg": "not found"})


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
print(srv.server_address[1], flush=True)
srv.timeout = 0.5
deadline = time.time() + float(sys.argv[1] if len(sys.argv) > 1 else 60)
while time.time() < deadline:
    srv.handle_request()
