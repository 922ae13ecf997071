#!/bin/bash
# packaging/slurm/ablate-submit.sh: a sharded walk-forward ablation on Slurm (issue 18). Submits
# ablate-array.sbatch as an array of N tasks (shard K of N each), then the merge with
# --dependency=afterok on the whole array: it starts once every shard has succeeded, and is
# cancelled if one fails (--kill-on-invalid-dep). Prints both job ids.
#
# usage: packaging/slurm/ablate-submit.sh CONFIG WORKDIR [GORDON_ABLATE_OPTION]...
#   CONFIG   the ablation's configuration (as for `gordon ablate --config`)
#   WORKDIR  a directory on a file system every node shares: WORKDIR/shards, WORKDIR/report
#            (ablation.json, report.html, trades/), WORKDIR/logs. Use a new one per ablation:
#            the merge reads every shard-*-of-*.gdab in WORKDIR/shards and refuses a mix.
#   options  passed to every shard and to the merge: --confd DIR, --plugin-dir DIR, --data SYM:FILE
# environment:
#   ABLATE_N     shards (default 8)             ABLATE_CPUS  CPUs and --jobs per shard (default 2)
#   ABLATE_TIME  time limit per shard (04:00:00) ABLATE_MEM  memory per shard (2G)
#   ABLATE_BIN   gordon (default: gordon on PATH), the same on every node
#   SBATCH_ARGS  more sbatch options for both jobs, e.g. "--partition=compute --account=research"
#                (sbatch also reads SBATCH_PARTITION, SBATCH_ACCOUNT, ...)
#
# Then: squeue -u "$USER"; the table is in WORKDIR/logs/merge-JOBID.out; a failed shard's log is
# WORKDIR/logs/shard-ARRAYID_K.out. To rerun only shard K after a failure (then merge by hand,
# or with this script's last sbatch line):
#   ABLATE_CONFIG=... ABLATE_SHARDS_DIR=WORKDIR/shards ABLATE_N=N sbatch --array=K ablate-array.sbatch
set -euo pipefail

usage() { sed -n 's/^# \{0,1\}//; 7,12p' "$0" >&2; exit 2; }
[ $# -ge 2 ] || usage
case $1 in -h | --help) usage ;; esac
command -v sbatch >/dev/null || { echo "ablate-submit.sh: sbatch not found (run this on a Slurm login node)" >&2; exit 2; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ -f "$1" ] || { echo "ablate-submit.sh: $1: no such configuration file" >&2; exit 2; }
config=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
mkdir -p "$2"
work=$(cd "$2" && pwd)
shift 2
n=${ABLATE_N:-8}
cpus=${ABLATE_CPUS:-2}
case $n in '' | *[!0-9]* | 0) echo "ablate-submit.sh: ABLATE_N=$n: expected a positive integer" >&2; exit 2 ;; esac
case $cpus in '' | *[!0-9]* | 0) echo "ablate-submit.sh: ABLATE_CPUS=$cpus: expected a positive integer" >&2; exit 2 ;; esac
bin=${ABLATE_BIN:-gordon}
extra=()
if [ -n "${SBATCH_ARGS:-}" ]; then read -r -a extra <<<"$SBATCH_ARGS"; fi
if [ -n "$(ls -A "$work/shards" 2>/dev/null)" ]; then
    echo "ablate-submit.sh: $work/shards is not empty: use a new WORKDIR per ablation" >&2
    exit 2
fi
mkdir -p "$work/shards" "$work/logs"

out=$(sbatch --parsable "${extra[@]}" \
    --job-name=gordon-ablate \
    --array="0-$((n - 1))" \
    --cpus-per-task="$cpus" \
    --mem="${ABLATE_MEM:-2G}" \
    --time="${ABLATE_TIME:-04:00:00}" \
    --output="$work/logs/shard-%A_%a.out" \
    --export="ALL,ABLATE_CONFIG=$config,ABLATE_SHARDS_DIR=$work/shards,ABLATE_N=$n,ABLATE_BIN=$bin" \
    "$here/ablate-array.sbatch" "$@")
array=${out%%;*} # --parsable prints JOBID or JOBID;CLUSTER
case $array in '' | *[!0-9]*) echo "ablate-submit.sh: sbatch said '$out', not a job id" >&2; exit 1 ;; esac

# The merge: one CPU, the same options; --config as the shards recorded it.
merge_cmd=$(printf '%q ' "$bin" ablate merge --config "$config" "$@" --out "$work/report" "$work/shards")
out=$(sbatch --parsable "${extra[@]}" \
    --job-name=gordon-ablate-merge \
    --dependency="afterok:$array" \
    --kill-on-invalid-dep=yes \
    --cpus-per-task=1 \
    --mem="${ABLATE_MEM:-2G}" \
    --time=01:00:00 \
    --output="$work/logs/merge-%j.out" \
    --wrap="exec $merge_cmd")
merge=${out%%;*}
echo "submitted: shards $array (array 0-$((n - 1)), $cpus CPUs each), merge $merge (after all of them)"
echo "report:    $work/report/report.html once job $merge has finished (squeue -j $array,$merge)"
