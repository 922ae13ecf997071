#!/usr/bin/env bash
# End-to-end: a portfolio ablation. Three symbols walked forward at once
# (tests/portfolio_data.py: AAA and BBB move as one, CCC on its own) with the
# portfolio's gross exposure cap and the correlation breaker in play, and the
# per-symbol contribution in ablation.json and report.html.
# usage: e2e_ablate_portfolio.sh GORDON PLUGIN_DIR
set -u
GORDON=$1 PLUGINS=$2
T=$(mktemp -d)
export TMPDIR=$T
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }

python3 tests/portfolio_data.py "$T" || { echo "FAIL - portfolio data"; exit 1; }
DATA=(--data "AAA:$T/AAA.csv" --data "BBB:$T/BBB.csv" --data "CCC:$T/CCC.csv")
ab() { "$GORDON" ablate --config tests/fixtures/ablate_portfolio.ini --plugin-dir "$PLUGINS" "${DATA[@]}" --quiet "$@"; }

if ab --out "$T/pf" --jobs 2 >"$T/out" 2>"$T/err"; then ok "portfolio ablation runs"; else bad "ablate: $(tail -3 "$T/err")"; fi
python3 - "$T/pf/ablation.json" >"$T/check" 2>&1 <<'PY'
import json, math, sys
d = json.load(open(sys.argv[1]))
syms = d["data"]["symbols"]
assert syms == ["AAA", "BBB", "CCC"], syms
for c in d["configurations"]:
    bs = c["by_symbol"]
    assert [b["symbol"] for b in bs] == syms, c["name"]
    m = c["metrics"]
    tot = sum(b["net_pnl"] for b in bs)
    assert math.isclose(tot, m["net_pnl"], rel_tol=1e-9, abs_tol=1e-6), (c["name"], tot, m["net_pnl"])
    assert sum(b["trades"] for b in bs) == m["trades"], c["name"]
    for b in bs:
        assert b["wins"] <= b["trades"]
        assert b["win_rate"] is None if b["trades"] == 0 else math.isclose(b["win_rate"], b["wins"] / b["trades"])
    p = c["pipeline"]
    print(c["name"], "traded", " ".join(f'{b["symbol"]}:{b["trades"]}' for b in bs), "rejected", p["rejected"])
base = d["configurations"][0]
print("BASELINE_REJECTED", " ".join(sorted(base["pipeline"]["rejected"])))
print("ALL_SYMBOLS_TRADED", all(b["trades"] > 0 for b in base["by_symbol"]))
PY
[ $? = 0 ] && ok "each configuration's symbols sum to its net PnL and trades" || bad "by_symbol: $(tail -5 "$T/check")"
grep -q "ALL_SYMBOLS_TRADED True" "$T/check" && ok "every symbol traded in the baseline" || bad "a symbol never traded: $(cat "$T/check")"
grep "BASELINE_REJECTED" "$T/check" | grep -q "halted" && ok "the correlation breaker tripped and halted entries" ||
  bad "no breaker halt: $(cat "$T/check")"
grep "BASELINE_REJECTED" "$T/check" | grep -q "gross_exposure_cap" && ok "the portfolio gross exposure cap refused entries" ||
  bad "gross cap never bit: $(cat "$T/check")"

# Without the breaker (a drop-in disables it) the same ablation trades more:
# the breaker is in play, not decoration.
printf '[breaker.corr]\nenabled = false\n' >"$T/nobreaker.ini"
mkdir -p "$T/confd" && mv "$T/nobreaker.ini" "$T/confd/"
ab --confd "$T/confd" --out "$T/nb" --jobs 2 >/dev/null 2>"$T/err2" || bad "ablate without breaker: $(tail -3 "$T/err2")"
python3 - "$T/pf/ablation.json" "$T/nb/ablation.json" >"$T/cmp" 2>&1 <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
ta, tb = a["configurations"][0]["metrics"]["trades"], b["configurations"][0]["metrics"]["trades"]
ha = a["configurations"][0]["pipeline"]["rejected"].get("halted", 0)
hb = b["configurations"][0]["pipeline"]["rejected"].get("halted", 0)
print("with", ta, "halted", ha, "without", tb, "halted", hb)
assert tb > ta and hb == 0 and ha > 0
PY
[ $? = 0 ] && ok "disabling the breaker changes the result ($(cat "$T/cmp"))" || bad "breaker had no effect: $(cat "$T/cmp")"

grep -q '<h2>Contribution by symbol</h2>' "$T/pf/report.html" && ok "report has the contribution by symbol" || bad "no by-symbol section"
for s in AAA BBB CCC; do
  sed -n '/<section id="symbols">/,/<\/section>/p' "$T/pf/report.html" | grep -q "<th>$s</th>" && ok "report column for $s" || bad "no column for $s"
done
sed -n '/<section id="symbols">/,/<\/section>/p' "$T/pf/report.html" | grep -q "halt latch" && ok "report's pipeline column names the halts" ||
  bad "pipeline column lacks the halts"
bash tests/report_render.sh "$T/pf/report.html" "$T/report.png" >"$T/render" 2>&1
rc=$?
if [ $rc = 0 ]; then ok "report renders in headless Chromium"; elif [ $rc = 77 ]; then echo "skip - chromium not installed"; else bad "render: $(tail -3 "$T/render")"; fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
