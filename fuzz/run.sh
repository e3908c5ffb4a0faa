#!/usr/bin/env bash
# Run one fuzz target for a while: fuzz/run.sh TARGET SECONDS [LIBFUZZER_FLAG...]
#
#   fuzz/run.sh smtp_reply 300
#   fuzz/run.sh log_gzip 600 -max_len=65536
#   fuzz/run.sh list                 # the targets
#
# Works on a stable toolchain: cargo-fuzz passes nightly-only flags
# (-Zsanitizer=address and friends), and RUSTC_BOOTSTRAP=1 makes stable
# rustc accept them. The first build compiles the vendored OpenSSL again
# (about ten minutes on two cores); later ones are incremental.
#
# New inputs go to fuzz/work/TARGET (not committed); the seeds in
# fuzz/corpus/TARGET are read, never written. A crash or hang is saved in
# fuzz/artifacts/TARGET/ and reproduces with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run TARGET fuzz/artifacts/TARGET/crash-...
# (from fuzz/) or as a plain call to mxprobe::fuzz::TARGET in a unit test.
set -euo pipefail
cd "$(dirname "$0")"
export RUSTC_BOOTSTRAP=1

if ! command -v cargo-fuzz >/dev/null; then
    cargo install cargo-fuzz --locked
fi
if [ "${1:-}" = list ]; then
    exec cargo fuzz list
fi
if [ $# -lt 2 ]; then
    echo "usage: fuzz/run.sh TARGET SECONDS [LIBFUZZER_FLAG...] (or: fuzz/run.sh list)" >&2
    exit 2
fi
target=$1
seconds=$2
shift 2
mkdir -p "work/$target"
# One process (the machine is shared), a hang is any input over 10 s (the
# dialogue's timeouts run in virtual time, so none should take a second),
# and the statistics at the end.
exec cargo fuzz run "$target" "work/$target" "corpus/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 "$@"
