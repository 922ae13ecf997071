#!/usr/bin/env python3
"""Synthetic hourly bars for a portfolio ablation: AAA and BBB move as one
(BBB's returns are AAA's plus a little noise), CCC on its own. Trending
regimes so a moving-average strategy trades. Deterministic (seeded).

usage: portfolio_data.py OUTDIR [DAYS]   writes OUTDIR/{AAA,BBB,CCC}.csv"""
import math
import random
import sys

out = sys.argv[1]
days = int(sys.argv[2]) if len(sys.argv) > 2 else 420
rng = random.Random(18)
t0 = 1577836800000  # 2020-01-01T00:00Z
hour = 3600000
n = days * 24
prices = {"AAA": 100.0, "BBB": 50.0, "CCC": 20.0}
files = {s: open(f"{out}/{s}.csv", "w") for s in prices}
for f in files.values():
    f.write("open_time_ms,open,high,low,close,volume\n")
drift_a = drift_c = 0.0
for i in range(n):
    if i % 240 == 0:  # a new regime every ten days
        drift_a = rng.choice((-1, 1)) * rng.uniform(0.0002, 0.0012)
        drift_c = rng.choice((-1, 1)) * rng.uniform(0.0002, 0.0012)
    ra = drift_a + rng.gauss(0, 0.006)
    rets = {"AAA": ra, "BBB": ra + rng.gauss(0, 0.0008), "CCC": drift_c + rng.gauss(0, 0.006)}
    for s, r in rets.items():
        o = prices[s]
        c = o * math.exp(r)
        hi = max(o, c) * (1 + abs(rng.gauss(0, 0.001)))
        lo = min(o, c) * (1 - abs(rng.gauss(0, 0.001)))
        files[s].write(f"{t0 + i * hour},{o:.6f},{hi:.6f},{lo:.6f},{c:.6f},{rng.randint(100, 1000)}\n")
        prices[s] = c
for f in files.values():
    f.close()
