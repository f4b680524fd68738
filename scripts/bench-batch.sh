#!/usr/bin/env bash
# Times the same 4,000-device iproute2 batch through the real kernel
# (`ip -n NS -batch FILE` in a fresh namespace) and through ifnet
# (`ifnet --state S -n NS -batch FILE` on a fresh state), and prints both
# wall times and the ratio (issue 2, acceptance 3; target: ifnet >= 100x).
#
# The batch: 2,000 veth pairs (`link add vethN type veth peer name vpeerN`),
# then `link set DEV up` for each of the 4,000 devices, then
# `link set DEV name NEW` for each of them, then (the address phase) one
# IPv4 and one IPv6 address per device (`addr add 10.A.B.C/24 dev DEV`,
# `addr add 2001:db8:N::1/64 dev DEV nodad`; ADDR=0 leaves it out). Every
# device being up, each also gets its link-local and DAD runs for it.
#
# Usage: scripts/bench-batch.sh [PAIRS]          (default 2000 pairs)
# Environment:
#   IFNET      path of the ifnet binary (default: target/dist/ifnet, the
#              shipped build: `cargo build --profile dist -p ifnet-cli` unless
#              NO_BUILD=1)
#   SKIP_IP=1  skip the kernel half (no root / no netns)
#   SKIP_IFNET=1  skip the ifnet half
#   RUNS       repetitions of the ip half; the best time is reported (default 3)
#   IFNET_RUNS repetitions of the ifnet half (default 10: a 40 ms run is
#              cheap to repeat, and its best is less at the mercy of a
#              burst of background work on the machine)
#   KEEP=DIR   keep the batch file and ifnet state in DIR
#
# Needs root (or CAP_NET_ADMIN + CAP_SYS_ADMIN) for the `ip netns` half.
set -euo pipefail

PAIRS=${1:-2000}
RUNS=${RUNS:-3}
IFNET_RUNS=${IFNET_RUNS:-10}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
IFNET=${IFNET:-$ROOT/target/dist/ifnet}
NS="ifnet-bench-$$"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ifnet-bench.XXXXXX")
cleanup() {
    ip netns del "$NS" 2>/dev/null || true
    if [[ -z "${KEEP:-}" ]]; then
        rm -rf "$WORK"
    else
        mkdir -p "$KEEP" && cp -r "$WORK"/. "$KEEP"/
    fi
}
trap cleanup EXIT INT TERM

BATCH="$WORK/batch.txt"
{
    for ((i = 0; i < PAIRS; i++)); do
        echo "link add veth$i type veth peer name vpeer$i"
    done
    for ((i = 0; i < PAIRS; i++)); do
        echo "link set veth$i up"
        echo "link set vpeer$i up"
    done
    for ((i = 0; i < PAIRS; i++)); do
        echo "link set veth$i name va$i"
        echo "link set vpeer$i name vb$i"
    done
    if [[ "${ADDR:-1}" != 0 ]]; then
        for ((i = 0; i < PAIRS; i++)); do
            for side in a b; do
                n=$((2 * i))
                [[ $side == b ]] && n=$((n + 1))
                echo "addr add 10.$((n / 256 / 256)).$((n / 256 % 256)).$((n % 256))/8 dev v$side$i"
                printf 'addr add 2001:db8:%x::1/64 dev v%s%d nodad\n' "$n" "$side" "$i"
            done
        done
    fi
} >"$BATCH"
DEVICES=$((PAIRS * 2))
echo "batch: $(wc -l <"$BATCH") commands, $DEVICES devices ($BATCH)"

# Timestamps come from $EPOCHREALTIME (bash 5): reading it forks nothing,
# where `$(date …)` would put a fork and exec inside the timed interval.
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", b - a }'; }
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b < a) ? b : a }'; }

# Checks that NS holds the renamed devices (all UP) after a run, and with
# the address phase their addresses ($3: `addr show` output).
check_result() { # $1 = label, $2 = `link show` output, $3 = `addr show`
    local n
    n=$(grep -cE '^[0-9]+: (va|vb)[0-9]+@' <<<"$2" || true)
    if [[ "$n" -ne "$DEVICES" ]]; then
        echo "$1: expected $DEVICES renamed devices, found $n" >&2
        exit 1
    fi
    if [[ "${ADDR:-1}" != 0 ]]; then
        for pat in ' inet 10\.' ' inet6 2001:db8:'; do
            n=$(grep -c "$pat" <<<"$3" || true)
            if [[ "$n" -ne "$DEVICES" ]]; then
                echo "$1: expected $DEVICES addresses matching '$pat', found $n" >&2
                exit 1
            fi
        done
    fi
}

# `ip netns del` returns at once, but the kernel then spends 2-3 s of system
# time tearing 4,000 devices down (cleanup_net). Each timed run waits for
# that to end, so no run pays for the previous one; the ifnet half runs
# first, on a machine the kernel half has not disturbed yet.
settle() { sleep "${SETTLE_S:-5}"; }

IFNET_BEST=""
if [[ -z "${SKIP_IFNET:-}" ]]; then
    if [[ -z "${NO_BUILD:-}" && "$IFNET" == "$ROOT/target/dist/ifnet" ]]; then
        (cd "$ROOT" && cargo build --profile dist -q -p ifnet-cli)
    fi
    for ((r = 0; r < IFNET_RUNS; r++)); do
        STATE="$WORK/state-$r"
        rm -f "$STATE"
        "$IFNET" --state "$STATE" netns add "$NS"
        t0=${EPOCHREALTIME/,/.}
        "$IFNET" --state "$STATE" -n "$NS" -batch "$BATCH"
        t1=${EPOCHREALTIME/,/.}
        check_result "ifnet" "$("$IFNET" --state "$STATE" -n "$NS" link show)" \
            "$("$IFNET" --state "$STATE" -n "$NS" addr show)"
        t=$(elapsed "$t0" "$t1")
        echo "ifnet run $((r + 1)): ${t} s"
        IFNET_BEST=$(min "$IFNET_BEST" "$t")
    done
fi

IP_BEST=""
if [[ -z "${SKIP_IP:-}" ]]; then
    for ((r = 0; r < RUNS; r++)); do
        ip netns del "$NS" 2>/dev/null || true
        ip netns add "$NS"
        t0=${EPOCHREALTIME/,/.}
        ip -n "$NS" -batch "$BATCH"
        t1=${EPOCHREALTIME/,/.}
        check_result "ip" "$(ip -n "$NS" link show)" "$(ip -n "$NS" addr show)"
        ip netns del "$NS"
        settle
        t=$(elapsed "$t0" "$t1")
        echo "ip    run $((r + 1)): ${t} s"
        IP_BEST=$(min "$IP_BEST" "$t")
    done
fi

echo
[[ -n "$IP_BEST" ]] && echo "ip -n NS -batch:    ${IP_BEST} s (best of $RUNS)"
[[ -n "$IFNET_BEST" ]] && echo "ifnet -n NS -batch: ${IFNET_BEST} s (best of $IFNET_RUNS)"
if [[ -n "$IP_BEST" && -n "$IFNET_BEST" ]]; then
    awk -v a="$IP_BEST" -v b="$IFNET_BEST" 'BEGIN {
        r = a / b
        printf "ratio (ip / ifnet): %.1fx %s\n", r, (r >= 100 ? "(target >= 100x met)" : "(below the 100x target)")
    }'
fi
