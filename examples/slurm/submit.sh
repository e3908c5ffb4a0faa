#!/bin/bash
# Submit the three stages of a sharded scan, each starting when the one
# before has succeeded:
#   MXPROBE_DATA=/shared/scan SHARDS=16 ./submit.sh
# $MXPROBE_DATA (on a file system every node mounts) holds domains.txt and
# receives resolved/, probed/, report.csv and stats.json.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shards=${SHARDS:-8}
export SHARDS=$shards
export MXPROBE_DATA=${MXPROBE_DATA:-$PWD/mxprobe-data}
test -f "$MXPROBE_DATA/domains.txt" || {
    echo "submit.sh: no $MXPROBE_DATA/domains.txt" >&2
    exit 2
}
array="--array=0-$((shards - 1))"
resolve=$(sbatch --parsable "$array" --export=ALL "$here/resolve.sbatch")
probe=$(sbatch --parsable "$array" --export=ALL --dependency="afterok:$resolve" "$here/probe.sbatch")
join=$(sbatch --parsable --export=ALL --dependency="afterok:$probe" "$here/join.sbatch")
echo "resolve $resolve, probe $probe, join $join: results in $MXPROBE_DATA/report.csv"
