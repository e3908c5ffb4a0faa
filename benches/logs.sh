#!/usr/bin/env bash
# Benchmark of `mxprobe logs` (release build) against the shell pipeline
# admins use for the same table:
#
#     grep -o 'X=[^ ]*' mainlog | sort | uniq -c
#
# (run with grep -a: the generated logs, like real ones now and then,
# contain a line of binary garbage, after which plain grep stops with
# "binary file matches")
# on synthetic Exim main logs of each SIZE (default: 100M 1G), generated
# once under $BENCH_DIR (default /tmp/mxprobe-bench; never committed).
# Prints wall time, throughput and peak RSS of each, best of $BENCH_RUNS
# runs (default 3) with the file in the page cache. A benchmark, not a
# test: numbers depend on the machine.
#
#     benches/logs.sh            # 100M and 1G
#     benches/logs.sh 10M        # a quick look
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${BENCH_DIR:-/tmp/mxprobe-bench}
runs=${BENCH_RUNS:-3}
if [ $# -gt 0 ]; then sizes=("$@"); else sizes=(100M 1G); fi
if [ ! -x /usr/bin/time ]; then
    echo "benches/logs.sh: needs GNU time (/usr/bin/time): apt-get install time" >&2
    exit 2
fi

cargo build --quiet --release --bin mxprobe
bin=$PWD/target/release/mxprobe
mkdir -p "$dir"

# best_of CMD...: runs CMD $runs times; sets $secs (best wall time) and
# $rss (peak RSS in KiB, largest seen).
best_of() {
    secs="" rss=0
    for _ in $(seq "$runs"); do
        /usr/bin/time -f '%e %M' -o "$dir/time" "$@"
        read -r s m < "$dir/time"
        if [ -z "$secs" ] || awk -v a="$s" -v b="$secs" 'BEGIN { exit !(a < b) }'; then secs=$s; fi
        if [ "$m" -gt "$rss" ]; then rss=$m; fi
    done
}

row() { # name bytes secs rss
    awk -v n="$1" -v b="$2" -v s="$3" -v r="$4" \
        'BEGIN { printf "  %-40s %7.2f s %8.0f MB/s %8.1f MiB peak RSS\n", n, s, b / 1e6 / (s > 0 ? s : 0.001), r / 1024 }'
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
for size in "${sizes[@]}"; do
    log=$dir/mainlog-$size
    if [ ! -s "$log" ]; then
        echo "generating $log ..."
        python3 testdata/logs/generate.py --mta exim --size "$size" --seed 1 -o "$log"
    fi
    bytes=$(stat -c %s "$log")
    cat "$log" > /dev/null # into the page cache
    echo
    echo "$size: $log, $bytes bytes, $(wc -l < "$log") lines"

    best_of "$bin" logs -o "$dir/mxprobe.txt" "$log"
    row "mxprobe logs" "$bytes" "$secs" "$rss"
    mx_secs=$secs

    best_of "$bin" logs --by host -f json -o "$dir/mxprobe-hosts.json" "$log"
    row "mxprobe logs --by host -f json" "$bytes" "$secs" "$rss"

    best_of sh -c "grep -a -o 'X=[^ ]*' '$log' | sort | uniq -c > '$dir/pipeline.txt'"
    row "grep -a | sort | uniq -c (${LC_ALL:-${LANG:-C}})" "$bytes" "$secs" "$rss"
    pipe_secs=$secs

    best_of sh -c "LC_ALL=C grep -a -o 'X=[^ ]*' '$log' | LC_ALL=C sort | uniq -c > '$dir/pipeline-c.txt'"
    row "LC_ALL=C grep -a | sort | uniq -c" "$bytes" "$secs" "$rss"
    pipe_c_secs=$secs

    awk -v m="$mx_secs" -v p="$pipe_secs" -v c="$pipe_c_secs" \
        'BEGIN { printf "  speed-up: %.1fx (%.1fx against LC_ALL=C)\n", p / m, c / m }'
    # The two agree on the number of TLS uses (the pipeline also counts
    # loopback and malformed lines with X=; the generator makes none).
    tls=$(awk '$1 == "TLS" { print $2 }' "$dir/mxprobe.txt")
    piped=$(awk '{ n += $1 } END { print n }' "$dir/pipeline.txt")
    echo "  TLS uses: mxprobe $tls, pipeline $piped"
done

# The other inputs, at the first size: the Exim log gzipped (decompression
# runs on the reading thread) and a Postfix log (its smtpd/smtp lines are
# counted in order, on one thread).
size=${sizes[0]}
gz=$dir/mainlog-$size.gz
[ -s "$gz" ] || gzip -6 -c "$dir/mainlog-$size" > "$gz"
pf=$dir/mail.log-$size
[ -s "$pf" ] || python3 testdata/logs/generate.py --mta postfix --size "$size" --seed 1 -o "$pf"
echo
echo "$size, other inputs:"
best_of "$bin" logs -o "$dir/mxprobe-gz.txt" "$gz"
row "mxprobe logs on .gz (uncompressed MB/s)" "$(stat -c %s "$dir/mainlog-$size")" "$secs" "$rss"
best_of sh -c "zcat '$gz' | grep -a -o 'X=[^ ]*' | sort | uniq -c > '$dir/pipeline-gz.txt'"
row "zcat | grep -a | sort | uniq -c" "$(stat -c %s "$dir/mainlog-$size")" "$secs" "$rss"
best_of "$bin" logs -o "$dir/mxprobe-postfix.txt" "$pf"
row "mxprobe logs on a Postfix log" "$(stat -c %s "$pf")" "$secs" "$rss"
