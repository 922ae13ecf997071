#!/usr/bin/env python3
"""Checks that every record a journal held when the host was killed is in
PostgreSQL exactly as its row: the dumps (`gordon journal --dump DIR`, one
per kill) against `psql` exports of the tables' keys.

usage: db_crash_check.py KEYS_DIR DUMP...
KEYS_DIR holds one file per table with its keys, one per line:
intents (id), orders (client_id), order_events (id), positions (id),
fills (id), equity_points (id), risk_events (id), latch (last_seq)."""
import json
import sys

TYPES = {1: "intent", 2: "order", 3: "order_event", 4: "position", 5: "fill",
         6: "equity", 7: "risk", 8: "latch", 9: "session"}


def keys(d, name):
    with open(f"{d}/{name}") as f:
        return [l.strip() for l in f if l.strip()]


def main():
    kd, dumps = sys.argv[1], sys.argv[2:]
    tables = {t: keys(kd, t) for t in ("intents", "orders", "order_events", "positions", "fills",
                                       "equity_points", "risk_events")}
    bad = 0
    for t, ks in tables.items():
        if len(ks) != len(set(ks)):
            print(f"duplicate keys in trading.{t}")
            bad += 1
    have = {t: set(ks) for t, ks in tables.items()}
    latch_seq = int((keys(kd, "latch") or ["0"])[0])
    seen = 0
    by_type = {}
    for path in dumps:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line.startswith("{"):
                    continue
                r = json.loads(line)
                if "seq" not in r:
                    continue
                typ = r["type"]
                typ = TYPES.get(typ, typ) if isinstance(typ, int) else typ
                data = r["data"]
                if isinstance(data, str):
                    data = json.loads(data)
                seq = str(r["seq"])
                seen += 1
                by_type[str(typ)] = by_type.get(str(typ), 0) + 1
                want = {"intent": ("intents", str(data.get("id"))),
                        "order": ("orders", data.get("client_id")),
                        "order_event": ("order_events", seq),
                        "position": ("positions", str(data.get("id"))),
                        "fill": ("fills", seq),
                        "equity": ("equity_points", seq),
                        "risk": ("risk_events", seq)}.get(typ)
                if typ == "session":
                    continue  # a run's start: it changes rows, it adds none
                if typ == "latch":
                    if int(seq) > latch_seq:
                        print(f"latch record {seq} is newer than the database's ({latch_seq})")
                        bad += 1
                    continue
                if want is None:
                    print(f"record {seq}: unknown type {typ}")
                    bad += 1
                    continue
                if want[1] not in have[want[0]]:
                    print(f"record {seq} ({typ}) is missing from trading.{want[0]}: {want[1]}")
                    bad += 1
    print(f"{seen} journaled records checked ({', '.join(f'{k} {v}' for k, v in sorted(by_type.items()))}); "
          f"{bad} problem(s)")
    if seen == 0:
        print("no records in the dumps: nothing was checked")
        return 1
    return 1 if bad else 0


sys.exit(main())
