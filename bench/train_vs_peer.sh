#!/usr/bin/env bash
# Per-step speed of the trainer against the paper-style PyTorch peer (train_torch_peer.py in $IDEALGAS_PEERS):
# the same ConvNet width, batch 128, CIFAR-shaped inputs (3x32x32, 10,000 images), protocol and thread count,
# measured alternately in the same run (the machine's speed drifts, so compare only within a run).
#   bench/train_vs_peer.sh [K=4] [THREADS=1] [PROTOCOL=elr] [PEER_ITERS=100] [REPEATS=3] [CHANNELS_LAST=auto]
# Ours: bench_train_step's BM_TrainStep (a full training step: batch draw, forward/backward, float64 protocol step,
# weights back; no measurements). Two clocks, because the development machine is shared and often oversubscribed:
#   wall: ours from Google Benchmark, the peer's own ms/iter;
#   CPU:  ours from Google Benchmark; the peer's from two runs of PEER_ITERS and 2 x PEER_ITERS iterations
#         (user + system time difference / PEER_ITERS: start-up, data and warm-up cancel).
# Prints both per repeat and the median ratios peer/ours (> 1: ours is faster).
# PEER_TCMALLOC=1 runs the peer with tcmalloc preloaded, the allocator our build links: glibc's malloc page-faults
# on every step's activations and costs the peer (as shipped) most of its extra time (bench/README.md).
# Needs: scripts/setup.sh --bench and a release build (cmake --build --preset release --target bench_train_step).
# IDEALGAS_PEERS: the folder holding the peer scripts (not part of this repository; bench/README.md).
# ARCH=mlp: the scale-invariant MLP instead (K = its width, DEPTH=2 its depth; CHANNELS_LAST unused): ours is
# BM_TrainStepMlp on Fashion-MNIST-shaped data (1x28x28, 10,000 images), the peer bench/train_mlp_peer.py (in this
# repository, the same loop as the ConvNet peer; IDEALGAS_PEERS not needed).
set -euo pipefail
cd "$(dirname "$0")/.."
k=${1:-4}; threads=${2:-1}; protocol=${3:-elr}; iters=${4:-100}; repeats=${5:-3}; cl=${6:-auto}
arch=${ARCH:-convnet}; depth=${DEPTH:-2}
[[ $arch == convnet || $arch == mlp ]] || { echo "ARCH must be convnet or mlp" >&2; exit 2; }
[[ $cl == auto ]] && { (( k >= 8 )) && cl=1 || cl=0; }  # the trainer's default (docs/train.md)
if [[ $arch == mlp ]]; then
  peer=bench/train_mlp_peer.py
else
  [[ -n ${IDEALGAS_PEERS:-} ]] || { echo "set IDEALGAS_PEERS to the folder holding the peer scripts (not in this repository; bench/README.md)" >&2; exit 2; }
  peer=$IDEALGAS_PEERS/train_torch_peer.py
fi
bin=build/release/bench/bench_train_step
[[ -x $bin ]] || { echo "build first: cmake --build --preset release --target bench_train_step" >&2; exit 2; }
[[ -f $peer ]] || { echo "peer not found at $peer" >&2; exit 2; }
case $protocol in lr) p=0 ;; elr) p=1 ;; sphere) p=2 ;; *) echo "protocol must be lr, elr or sphere" >&2; exit 2 ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
preload=""
[[ ${PEER_TCMALLOC:-0} == 1 ]] && preload=$(ls /usr/lib/*/libtcmalloc_minimal.so.4 | head -1)
peer_args() {  # ITERS -> the peer's arguments
  if [[ $arch == mlp ]]; then echo "$1 $k $depth $protocol $threads"; else echo "$1 $k $protocol $threads"; fi
}
peer_run() {  # ITERS -> "cpu_seconds wall_ms_per_iter"
  # shellcheck disable=SC2046  # word splitting of the argument list is intended
  # OPENBLAS_NUM_THREADS: torch.set_num_threads does not size OpenBLAS's pool (Debian's torch), the trainer does.
  OPENBLAS_NUM_THREADS=$threads LD_PRELOAD=$preload /usr/bin/time -f '%U %S' -o "$tmp/time" /usr/bin/python3 "$peer" \
    $(peer_args "$1") > "$tmp/out"
  echo "$(awk '{print $1 + $2}' "$tmp/time") $(sed -E 's/.*: ([0-9.]+) ms\/iter.*/\1/' "$tmp/out")"
}
wall_ratios=(); cpu_ratios=()
printf '%-6s %14s %14s %14s %14s %10s %10s\n' repeat "ours wall ms" "peer wall ms" "ours CPU ms" "peer CPU ms" \
  "wall p/o" "CPU p/o"
for r in $(seq 1 "$repeats"); do
  if [[ $arch == mlp ]]; then filter="BM_TrainStepMlp/$k/$depth/$threads/$p/"; else filter="BM_TrainStep/$k/$threads/$cl/$p/3/"; fi
  read -r ours_wall ours_cpu < <("$bin" --benchmark_filter="$filter" --benchmark_min_time=5 \
      --benchmark_format=csv 2>/dev/null | awk -F, '/BM_TrainStep/ {print $3, $4}')
  read -r cpu1 wall1 < <(peer_run "$iters")
  read -r cpu2 wall2 < <(peer_run $((2 * iters)))
  peer_cpu=$(echo "1000 * ($cpu2 - $cpu1) / $iters" | bc -l)
  peer_wall=$(echo "($wall1 + $wall2) / 2" | bc -l)
  wr=$(echo "$peer_wall / $ours_wall" | bc -l); cr=$(echo "$peer_cpu / $ours_cpu" | bc -l)
  wall_ratios+=("$wr"); cpu_ratios+=("$cr")
  printf '%-6s %14.3f %14.3f %14.3f %14.3f %10.2f %10.2f\n' "$r" "$ours_wall" "$peer_wall" "$ours_cpu" "$peer_cpu" "$wr" "$cr"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]}'; }
echo "median peer/ours: wall $(median "${wall_ratios[@]}"), CPU $(median "${cpu_ratios[@]}")" \
     "($([[ $arch == mlp ]] && echo "MLP width=$k depth=$depth" || echo "ConvNet k=$k, channels_last=$cl")," \
     "$threads thread(s), $protocol, batch 128, peer allocator: ${preload:-glibc})"
