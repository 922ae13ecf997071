#!/usr/bin/env python3
"""A minimal Binance-shaped REST stub for test_venue_rest (the full loopback
venue is tests/venue/). Its clock runs 8 s ahead of ours; it checks the API
key, the HMAC signature over exactly the bytes sent, and the timestamp
against recvWindow, as Binance does. Prints its port, then serves.
usage: venue_stub.py SECONDS [hedge|-] [PORT]"""
import hashlib
import hmac
import json
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEY, SECRET, AHEAD_MS = "test-key", b"test-secret", 8000
HEDGE = len(sys.argv) > 2 and sys.argv[2] == "hedge"


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

    def signed(self, payload, what="order"):
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
        if what == "/fapi/v1/positionSide/dual":
            return self.reply(200, {"dualSidePosition": HEDGE})
        if what == "/fapi/v2/account":
            return self.reply(200, {"totalWalletBalance": "10000.00000000", "availableBalance": "9500.00000000",
                                    "positions": []})
        return self.reply(200, {"orderId": 42, "clientOrderId": q.get("newClientOrderId", ""), "status": "NEW"})

    def do_GET(self):
        path, _, query = self.path.partition("?")
        if path == "/fapi/v1/time":
            return self.reply(200, {"serverTime": now_ms()})
        if path == "/fapi/v1/order":
            return self.reply(503, {"code": -1001, "msg": "Internal error; unable to process your request."})
        if path == "/fapi/v1/exchangeInfo":
            return self.reply(200, {"timezone": "UTC", "serverTime": now_ms(), "symbols": [
                {"symbol": "BTCUSDT", "status": "TRADING", "filters": [
                    {"filterType": "PRICE_FILTER", "tickSize": "0.10"},
                    {"filterType": "LOT_SIZE", "stepSize": "0.001", "minQty": "0.001"}]},
                {"symbol": "ETHUSDT", "status": "TRADING", "filters": []}]})
        if path in ("/fapi/v1/positionSide/dual", "/fapi/v2/account"):
            return self.signed(query, path)
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


port = int(sys.argv[3]) if len(sys.argv) > 3 else 0
srv = ThreadingHTTPServer(("127.0.0.1", port), H)
print(srv.server_address[1], flush=True)
srv.timeout = 0.5
deadline = time.time() + float(sys.argv[1] if len(sys.argv) > 1 else 60)
while time.time() < deadline:
    srv.handle_request()
