#!/usr/bin/env bash
# bench/quiet-run.sh: the side-by-side run behind docs/performance.md, for a
# quiet machine. From the project root:
#
#   bench/quiet-run.sh [ROUNDS]        # default 3 rounds; over an hour on 2 cores
#
# QUICK=1 checks that everything runs (gerl bench -quick, the peers harness
# --quick; Erlang's harness as always): the figures are then not comparable.
# OUT=DIR writes there instead of docs/performance-data/quiet-DATE.
#
# Each round runs, one after the other:
#   1. Erlang/OTP's harness (../shared/bench/erlang/run_all.sh): workloads 1-8;
#   2. gerl bench: the same workloads, gerl's own, the groups workloads and the
#      scaling workloads (call_backlog, selective_newest, million,
#      remote_fanout, mesh_scale), each of the last two kinds followed at once
#      by Erlang's side of it (bench/erlang/*.erl);
#   3. the peers harness (../shared/bench/peers: gerl vs ergo v3.1.0), one
#      round, its workloads alternating ergo then gerl.
# The raw JSON lines go to docs/performance-data/quiet-<date>/ (erlang.jsonl,
# gerl.jsonl, peers.jsonl), with report.md (gerl bench report: medians,
# spreads, ratios) and the scaling plots (*.svg) beside them.
#
# The shared harnesses are read-only: they are copied to a temporary
# directory, and the peers harness's gerl driver is brought to the current
# package names with bench/peers-harness.patch (node/dist is node/cluster;
# the port mapper's daemon) when it still uses the old ones.
set -eu
ROUNDS=${1:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${GERL_SHARED:-$ROOT/../shared}
[ -d "$SHARED/bench/erlang" ] || SHARED=/work/shared
OUT=${OUT:-$ROOT/docs/performance-data/quiet-$(date -u +%Y-%m-%d)}
GERL_QUICK=() PEERS_QUICK=()
if [ -n "${QUICK:-}" ]; then
    GERL_QUICK=(-quick) PEERS_QUICK=(--quick)
fi
TMP=$(mktemp -d -t gerl-quiet-run.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$OUT"

echo "== building gerl and gerl-bench" >&2
(cd "$ROOT" && go build -o "$TMP/bin/" ./cmd/gerl ./cmd/gerl-bench)
cp -r "$SHARED/bench/erlang" "$TMP/erlang"
cp -r "$SHARED/bench/peers" "$TMP/peers"
chmod -R u+w "$TMP/erlang" "$TMP/peers"
if grep -q '"github.com/gerl-dev/gerl/node/dist"' "$TMP/peers/gerl/main.go"; then
    patch -s -d "$TMP/peers" -p1 <"$ROOT/bench/peers-harness.patch"
fi
{
    echo "machine: $(uname -srm), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
    echo "go: $(go version)"
    echo "erlang: $(erl -noshell -eval 'io:format("~s", [erlang:system_info(otp_release)]), halt().')"
    echo "gerl: $(git -C "$ROOT" rev-parse --short HEAD)"
    echo "start: $(date -u +%FT%TZ), load: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/machine.txt"

for ((r = 1; r <= ROUNDS; r++)); do
    echo "== round $r of $ROUNDS: Erlang/OTP" >&2
    (cd "$TMP/erlang" && EB_RESULTS="$OUT/erlang.jsonl" ./run_all.sh)
    echo "== round $r of $ROUNDS: gerl bench" >&2
    "$TMP/bin/gerl" bench "${GERL_QUICK[@]}" >>"$OUT/gerl.jsonl"
    echo "== round $r of $ROUNDS: peers (gerl vs ergo)" >&2
    (cd "$TMP/peers" && GERL_SRC=$ROOT ./run.sh -r 1 "${PEERS_QUICK[@]}" -o "$OUT/peers.jsonl")
done
echo "end: $(date -u +%FT%TZ), load: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"

"$TMP/bin/gerl" bench report -svg "$OUT" "$OUT/erlang.jsonl" "$OUT/gerl.jsonl" >"$OUT/report.md"
"$TMP/peers/bin/peers-summary" "$OUT/peers.jsonl" >"$OUT/peers-summary.txt"
echo "== done: $OUT (report.md, peers-summary.txt, *.svg)" >&2
