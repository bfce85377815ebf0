#!/usr/bin/env bash
# Per-step speed of the trainer against the paper-style PyTorch peer (../shared/bench-peers/train_torch_peer.py):
# the same ConvNet width, batch 128, CIFAR-shaped inputs (3x32x32, 10,000 images), protocol and thread count,
# measured alternately in the same run (the machine's speed drifts, so compare only within a run).
#   bench/train_vs_peer.sh [K=4] [THREADS=1] [PROTOCOL=elr] [PEER_ITERS=200] [REPEATS=3] [CHANNELS_LAST=1]
# Ours: bench_train_step's BM_TrainStep (a full training step: batch draw, forward/backward, float64 protocol step,
# weights back; no measurements). Prints ms per step for each repeat and the median ratio peer/ours.
# Needs: scripts/setup.sh --bench and a release build with benchmarks (cmake --preset release && cmake --build
# --preset release --target bench_train_step).
set -euo pipefail
cd "$(dirname "$0")/.."
k=${1:-4}; threads=${2:-1}; protocol=${3:-elr}; iters=${4:-200}; repeats=${5:-3}; cl=${6:-1}
peer=../shared/bench-peers/train_torch_peer.py
bin=build/release/bench/bench_train_step
[[ -x $bin ]] || { echo "build first: cmake --build --preset release --target bench_train_step" >&2; exit 2; }
[[ -f $peer ]] || { echo "peer not found at $peer" >&2; exit 2; }
case $protocol in lr) p=0 ;; elr) p=1 ;; sphere) p=2 ;; *) echo "protocol must be lr, elr or sphere" >&2; exit 2 ;; esac
ratios=()
printf '%-6s %12s %12s %10s\n' repeat "ours [ms]" "peer [ms]" "peer/ours"
for r in $(seq 1 "$repeats"); do
  ours=$("$bin" --benchmark_filter="BM_TrainStep/$k/$threads/$cl/$p/3/" --benchmark_min_time=5 --benchmark_format=csv \
         2>/dev/null | awk -F, '/BM_TrainStep/ {print $3}')
  theirs=$(/usr/bin/python3 "$peer" "$iters" "$k" "$protocol" "$threads" | sed -E 's/.*: ([0-9.]+) ms\/iter.*/\1/')
  ratio=$(echo "$theirs / $ours" | bc -l)
  ratios+=("$ratio")
  printf '%-6s %12.2f %12.2f %10.2f\n' "$r" "$ours" "$theirs" "$ratio"
done
printf '%s\n' "${ratios[@]}" | sort -g | awk '{a[NR]=$1} END {printf "median peer/ours: %.2f (k=%s, %s thread(s), %s, channels_last=%s)\n", a[int((NR+1)/2)], "'"$k"'", "'"$threads"'", "'"$protocol"'", "'"$cl"'"}'
