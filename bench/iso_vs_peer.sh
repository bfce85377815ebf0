#!/usr/bin/env bash
# Isotropic-noise simulator against the paper-style batched PyTorch peer (vmf_torch_peer.py in $IDEALGAS_PEERS)
# on the same grid (17x17, d = 3) and iteration count, measured in the same run, one protocol at a time.
# Our side runs the whole job (simulation, entropy window, analysis, files); the peer only simulates.
#   bench/iso_vs_peer.sh [ITERS=100000] [GRID=17] [D=3] [PROTOCOLS="lr elr sphere"]
# Needs: scripts/setup.sh --bench, and a release build (cmake --preset release && cmake --build --preset release).
set -euo pipefail
cd "$(dirname "$0")/.."
iters=${1:-100000}; grid=${2:-17}; d=${3:-3}; protocols=${4:-lr elr sphere}
[[ -n ${IDEALGAS_PEERS:-} ]] || { echo "set IDEALGAS_PEERS to the folder holding the peer scripts (not in this repository; bench/README.md)" >&2; exit 2; }
peer=$IDEALGAS_PEERS/vmf_torch_peer.py
bin=build/release/idealgas
[[ -x $bin ]] || { echo "build first: cmake --preset release && cmake --build --preset release" >&2; exit 2; }
[[ -f $peer ]] || { echo "peer not found at $peer" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf '%-8s %12s %12s %10s\n' protocol "ours [s]" "peer [s]" "peer/ours"
for p in $protocols; do
  t0=$(date +%s.%N)
  "$bin" reproduce iso --out "$out/$p" --iters "$iters" --grid "$grid" --d "$d" --protocols "$p" --quiet >/dev/null
  t1=$(date +%s.%N)
  /usr/bin/python3 "$peer" "$iters" "$grid" "$d" "$p" > "$out/peer_$p.txt"
  t2=$(date +%s.%N)
  ours=$(echo "$t1 - $t0" | bc -l); theirs=$(echo "$t2 - $t1" | bc -l)
  printf '%-8s %12.2f %12.2f %10.1f\n' "$p" "$ours" "$theirs" "$(echo "$theirs / $ours" | bc -l)"
  sed 's/^/         peer: /' "$out/peer_$p.txt"
done
