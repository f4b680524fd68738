#!/usr/bin/env bash
# Times `ifnet pktgen dev va count N` between two namespaces over a veth
# pair (issue 3, acceptance 4; target: 5,000,000 frames in under 1 s of
# wall time). The whole invocation is timed — process start, state load
# and lock, N × dev_queue_xmit → veth_xmit → the peer's receive path, the
# capture drain, state save — and the peer's rx counter is checked after.
#
# Usage: scripts/bench-pktgen.sh [COUNT]          (default 5000000)
# Environment:
#   IFNET   path of the ifnet binary (default: target/release/ifnet, built
#           with `cargo build --release -p ifnet-cli` unless NO_BUILD=1)
#   RUNS    repetitions; the best and the worst are reported (default 3)
#   SIZE    pkt_size in bytes (default 64, FCS excluded as in Linux pktgen)
#   KEEP=DIR  keep the ifnet state in DIR
set -euo pipefail

COUNT=${1:-5000000}
RUNS=${RUNS:-3}
SIZE=${SIZE:-64}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
IFNET=${IFNET:-$ROOT/target/release/ifnet}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ifnet-pktgen.XXXXXX")
cleanup() {
    if [[ -n "${KEEP:-}" ]]; then
        mkdir -p "$KEEP" && cp -r "$WORK"/. "$KEEP"/
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

if [[ -z "${NO_BUILD:-}" && "$IFNET" == "$ROOT/target/release/ifnet" ]]; then
    (cd "$ROOT" && cargo build --release -q -p ifnet-cli)
fi

STATE="$WORK/state"
ifnet() { "$IFNET" --state "$STATE" "$@"; }

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", b - a }'; }

ifnet netns add a
ifnet netns add b
ifnet link add va netns a type veth peer name vb netns b
ifnet -n a link set va up
ifnet -n b link set vb up

BEST="" WORST=""
for ((r = 0; r < RUNS; r++)); do
    before=$(ifnet -n b -s -j link show vb | grep -o '"rx":{"bytes":[0-9]*,"packets":[0-9]*' | grep -o '[0-9]*$')
    t0=$(now)
    out=$(ifnet -n a pktgen dev va count "$COUNT" size "$SIZE")
    t1=$(now)
    after=$(ifnet -n b -s -j link show vb | grep -o '"rx":{"bytes":[0-9]*,"packets":[0-9]*' | grep -o '[0-9]*$')
    if [[ $((after - before)) -ne $COUNT ]]; then
        echo "vb received $((after - before)) frames, expected $COUNT" >&2
        echo "$out" >&2
        exit 1
    fi
    t=$(elapsed "$t0" "$t1")
    echo "run $((r + 1)): ${t} s wall   [$(head -1 <<<"$out")]"
    BEST=$(awk -v a="$BEST" -v b="$t" 'BEGIN { print (a == "" || b < a) ? b : a }')
    WORST=$(awk -v a="$WORST" -v b="$t" 'BEGIN { print (a == "" || b > a) ? b : a }')
done

echo
awk -v n="$COUNT" -v b="$BEST" -v w="$WORST" -v runs="$RUNS" 'BEGIN {
    printf "ifnet -n a pktgen dev va count %d: best %.4f s, worst %.4f s (of %d runs), %.1f M frames/s end to end %s\n",
        n, b, w, runs, n / b / 1e6, (w < 1.0 ? "(target < 1 s met)" : "(target < 1 s MISSED)")
}'
