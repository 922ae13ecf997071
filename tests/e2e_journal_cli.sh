#!/usr/bin/env bash
# End-to-end: `gordon journal DIR [--dump]` on journals written here by an
# independent writer of the format in host/db/journal.h (Python, with its
# own CRC-32C), so the binary is checked against the documented format and
# not only against itself.
#  - a sound journal: exit 0, the summary, --dump gives one JSON line per
#    record with the payload (JSON text as is, anything else base64);
#  - a torn tail: exit 0, reported, the file left as it was;
#  - a damaged record in the middle: exit 1 naming the file and offset;
#  - an empty directory, a missing one, no directory named.
# usage: e2e_journal_cli.sh GORDON
set -u
GORDON=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }
# expect NAME WANT_RC GREP_PATTERN FILE
expect() {
  if [ "$2" != "$rc" ]; then bad "$1: exit $rc, wanted $2"; sed 's/^/    /' "$T/out" "$T/err" | head -5; return; fi
  if [ -n "$3" ] && ! grep -q -- "$3" "$4"; then bad "$1: no '$3' in output"; sed 's/^/    /' "$4" | head -5; return; fi
  ok "$1"
}
run() { "$GORDON" "$@" >"$T/out" 2>"$T/err"; rc=$?; }

# mkjournal DIR SEGMENT_FIRST... : segments named by their first seq, five
# records in all (seq 1..5), split where the names say.
mkjournal() {
  python3 - "$@" <<'PY'
import os, struct, sys
d, firsts = sys.argv[1], [int(x) for x in sys.argv[2:]]
os.makedirs(d, mode=0o700, exist_ok=True)
def crc32c(b, crc=0):
    crc ^= 0xFFFFFFFF
    for x in b:
        crc ^= x
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF
assert crc32c(b"123456789") == 0xE3069283
payloads = [b'{"kind":"intent","id":1}', b"\x00\x01binary\xff", b"", b'[1, 2,\n 3]', b'{"kind":"fill","px":"101.5"}']
def record(seq, t, typ, p):
    head = struct.pack("<4sIQqHH", b"GDJ1", len(p), seq, t, typ, 0)
    crc = crc32c(p, crc32c(head))
    return head + struct.pack("<I", crc) + p + b"\0" * (-len(p) % 8)
bounds = firsts + [len(payloads) + 1]
for i, first in enumerate(firsts):
    with open(os.path.join(d, "%020d.gdj" % first), "wb") as f:
        for seq in range(first, bounds[i + 1]):
            f.write(record(seq, 1700000000000 + seq, seq % 3, payloads[seq - 1]))
PY
}

J=$T/j
mkjournal "$J" 1 3
run journal "$J"
expect "a sound journal: exit 0 and the summary" 0 "^$J: 2 segment(s), 5 record(s), seq 1..5; applied up to 0, 5 unapplied" "$T/out"
expect "ok" 0 "^ok$" "$T/out"
run journal "$J" --dump
expect "--dump: exit 0" 0 '"seq":1,' "$T/out"
if [ "$(wc -l <"$T/out")" = 5 ] && python3 -c '
import json, sys, base64
recs = [json.loads(l) for l in open(sys.argv[1])]
assert [r["seq"] for r in recs] == [1, 2, 3, 4, 5]
assert recs[0]["data"] == {"kind": "intent", "id": 1} and recs[0]["time_ms"] == 1700000000001 and recs[0]["type"] == 1
assert base64.b64decode(recs[1]["data_b64"]) == b"\x00\x01binary\xff" and recs[1]["len"] == 9
assert recs[2]["len"] == 0 and "data" not in recs[2]
assert recs[3]["data"] == [1, 2, 3]
assert recs[4]["data"]["px"] == "101.5"
' "$T/out"; then ok "--dump: one JSON line per record, payloads intact"; else bad "--dump output"; sed 's/^/    /' "$T/out"; fi
if grep -q "5 record(s)" "$T/err"; then ok "--dump: the summary on stderr"; else bad "--dump: no summary on stderr"; fi

# The applied file and a torn tail: reported, sound, nothing cut.
printf '2\n' >"$J/applied"
seg=$J/00000000000000000003.gdj
printf 'GDJ1\x20\x00\x00' >>"$seg"
size=$(stat -c %s "$seg")
run journal "$J"
expect "a torn tail: exit 0" 0 "^torn tail: 7 byte(s) at the end of the newest segment (short header at offset" "$T/out"
expect "the applied mark is read" 0 "applied up to 2, 3 unapplied" "$T/out"
if [ "$(stat -c %s "$seg")" = "$size" ]; then ok "a torn tail is left as it is"; else bad "the tail was cut"; fi

# A flipped byte in the first record: damage, named.
python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[40]^=1; open(p,"wb").write(b)' \
  "$J/00000000000000000001.gdj"
run journal "$J"
expect "damage in the middle: exit 1" 1 "^DAMAGED: $J/00000000000000000001.gdj: offset 0: seq 1: crc mismatch" "$T/out"

# A gap: the second segment begins where the first does not end.
rm -rf "$J" && mkjournal "$J" 1 4 && mv "$J/00000000000000000004.gdj" "$J/00000000000000000005.gdj"
run journal "$J"
expect "a gap between segments: exit 1" 1 "records are missing" "$T/out"

mkdir "$T/empty"
run journal "$T/empty"
expect "an empty directory: exit 0" 0 "0 segment(s), 0 record(s)" "$T/out"
run journal "$T/missing"
expect "a missing directory: exit 1" 1 "cannot open" "$T/err"
run journal
expect "no directory: usage" 2 "name the journal directory" "$T/err"
run journal "$J" --bogus
expect "an unknown option: usage" 2 "unexpected argument" "$T/err"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
