# What the end-to-end scripts share; source it after setting T (a temp dir).
#   ok/bad/check NAME EXPR [DETAIL]  count and print one check
#   show FILE [N]                    the last N lines of FILE, indented
#   wait_api LOG PID [N]             sets U to the daemon's operator API (the
#                                    N-th "operator API on" line of LOG), waiting
#                                    up to 10 s while PID lives; 1 if it did not come
#   PY                               python3
#   venue_up LOG ARGS...             starts the loopback venue ($VENUE) on free
#                                    ports with the key $KEY:$SECRET and ARGS
#                                    (symbols, balance, ...), stderr to LOG;
#                                    sets VPID, B (REST) and W (websocket)
#   venue_ini [LINE...]              its [venue] section (key file $T/secret),
#                                    then each LINE
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1 [${3:-}]"; fi; }
show() { sed 's/^/    /' "$1" | cut -c1-300 | tail -"${2:-15}"; }
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)

wait_api() {
  local n=${3:-1} port
  U=
  for _ in $(seq 100); do
    port=$(sed -n 's/.*operator API on .*(port \([0-9]*\)).*/\1/p' "$1" 2>/dev/null | sed -n "${n}p")
    [ -n "$port" ] && U=http://127.0.0.1:$port && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

venue_up() {
  local log=$1
  shift
  rm -f "$T/port" "$T/wsport"
  printf '%s' "$SECRET" >"$T/secret"
  chmod 600 "$T/secret"
  "$VENUE" --port-file "$T/port" --ws-port-file "$T/wsport" --key "$KEY:$SECRET" "$@" 2>"$log" &
  VPID=$!
  PIDS+=("$VPID")
  for _ in $(seq 50); do [ -s "$T/port" ] && [ -s "$T/wsport" ] && break; sleep 0.1; done
  B=http://127.0.0.1:$(cat "$T/port")
  W=ws://127.0.0.1:$(cat "$T/wsport")
}

venue_ini() {
  printf '[venue]\nprofile = testnet\nrest_url = %s\nws_url = %s\napi_key = %s\nkey_file = %s\n' "$B" "$W" "$KEY" "$T/secret"
  [ $# -gt 0 ] && printf '%s\n' "$@"
  return 0
}
