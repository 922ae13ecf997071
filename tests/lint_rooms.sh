#!/usr/bin/env bash
# host/ is a set of rooms, layered. A file may include headers of its own room
# and of rooms below it, never above or beside:
#
#   base                       errors, log, JSON, buffers, time, names, files, hashing
#   config  net                the INI schema and loader, plugin parameters; libcurl on the loop
#   plugin  risk  data         loader and library cache; pipeline, latch, state;
#                              CSV and tapes (side by side: none includes another)
#   db                         the journal, the PostgreSQL writer, migrations (the
#                              engine journals through it before anything leaves)
#   engine                     instances, host API, generations, book, execution
#   venue   ablate             the Binance executor (REST, streams, reconciliation); walk-forward research
#   daemon                     the running service
#   main.c                     the command line, the only file that sees both
#
# Every include names its room ("risk/pipeline.h"), no .c file lives loose in
# host/ except main.c, and a room's private header (*_int.h) stays in its room.
# usage: lint_rooms.sh [REPO_ROOT]
set -u
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root/host" || exit 2
declare -A RANK=([base]=0 [net]=1 [config]=1 [plugin]=2 [risk]=2 [data]=2 [db]=3 [engine]=4 [venue]=5 [ablate]=5 [daemon]=6)
bad=0
complain() { echo "lint_rooms: $*" >&2; bad=1; }

for f in *.c *.h; do
  [ -e "$f" ] || continue
  [ "$f" = main.c ] || complain "host/$f: every file but main.c belongs in a room (host/ROOM/)"
done
for d in */; do
  d=${d%/}
  [ -n "${RANK[$d]+x}" ] || complain "host/$d/: not a known room (add it to tests/lint_rooms.sh with its rank)"
done

while IFS= read -r line; do
  file=${line%%:*}
  rest=${line#*:}
  lineno=${rest%%:*}
  inc=$(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' <<<"${rest#*:}")
  [ -n "$inc" ] || continue
  from=${file%%/*}
  [ "$file" = main.c ] && from=main
  to=${inc%%/*}
  if [ "$to" = "$inc" ] || [ -z "${RANK[$to]+x}" ]; then
    complain "host/$file:$lineno: #include \"$inc\" does not name its room (\"ROOM/$inc\")"
    continue
  fi
  [ -f "$inc" ] || complain "host/$file:$lineno: #include \"$inc\": no such header"
  [ "$from" = main ] && continue
  if [ "$to" != "$from" ]; then
    case $inc in *_int.h) complain "host/$file:$lineno: \"$inc\" is private to $to/"; continue ;; esac
    if [ "${RANK[$to]}" -ge "${RANK[$from]}" ]; then
      complain "host/$file:$lineno: $from/ may not include $to/ (\"$inc\"): rooms include only rooms below them"
    fi
  fi
done < <(grep -rn '#[[:space:]]*include[[:space:]]*"' --include='*.c' --include='*.h' .| sed 's#^\./##')

if [ "$bad" = 0 ]; then
  echo "lint_rooms: ok ($(ls -d */ | wc -l) rooms, $(find . -name '*.[ch]' | wc -l) files)"
fi
exit "$bad"
