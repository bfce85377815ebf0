#!/usr/bin/env bash
# The entropy estimator against the scikit-learn peer (kl_sklearn_peer.py in $IDEALGAS_PEERS, the paper's method)
# and against one float32 Gram product (OpenBLAS ssyrk) of the same samples, all measured in the same run.
# Samples: numpy's default_rng(SEED).standard_normal((N, D)).astype(float32), written once to an .npy that the
# peer, `idealgas entropy` and bench_entropy_knn all read. Prints every repeat, then medians and ratios:
#   peer / ours   : the peer's seconds (after np.load) over `idealgas entropy`'s seconds_total (reading included)
#   ours / ssyrk  : estimate_entropy on the samples in memory over one ssyrk of them, in one process
#   bench/entropy_vs_peer.sh [N=4000] [D=24408] [REPEATS=3] [BUILD=build/release] [SEED=0]
# Needs: scripts/setup.sh --bench, and a release build (cmake --preset release && cmake --build --preset release).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-4000}; d=${2:-24408}; repeats=${3:-3}; build=${4:-build/release}; seed=${5:-0}
[[ -n ${PEER:-} ]] || [[ -n ${IDEALGAS_PEERS:-} ]] || { echo "set IDEALGAS_PEERS to the folder holding the peer scripts (not in this repository; bench/README.md)" >&2; exit 2; }
peer=${PEER:-$IDEALGAS_PEERS/kl_sklearn_peer.py}  # PEER: the peer script itself, if elsewhere
bin=$build/idealgas; bench=$build/bench/bench_entropy_knn
for f in "$bin" "$bench"; do [[ -x $f ]] || { echo "build first: $f is missing" >&2; exit 2; }; done
[[ -f $peer ]] || { echo "peer not found at $peer" >&2; exit 2; }
tmp=$(mktemp -d /tmp/idealgas_entropy_bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 - "$n" "$d" "$seed" "$tmp/x.npy" <<'PY'
import sys, numpy as np
n, d, seed, path = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
np.save(path, np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32))
PY
echo "samples: N=$n D=$d float32 ($(du -h "$tmp/x.npy" | cut -f1)), $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$repeats"); do
  /usr/bin/python3 "$peer" --file "$tmp/x.npy" > "$tmp/peer_$r.txt"
  "$bin" entropy "$tmp/x.npy" > "$tmp/ours_$r.json"
  IDEALGAS_ENTROPY_NPY="$tmp/x.npy" "$bench" --benchmark_filter='BM_GramFloat32|BM_Entropy/0' \
    --benchmark_format=json > "$tmp/bench_$r.json" 2>/dev/null
  echo "repeat $r: $(cat "$tmp/peer_$r.txt")"
done
/usr/bin/python3 - "$tmp" "$repeats" <<'PY'
import json, re, statistics, sys
tmp, reps = sys.argv[1], int(sys.argv[2])
peer, ours, gram, est, s_peer, s_ours = [], [], [], [], None, None
for r in range(1, reps + 1):
    txt = open(f"{tmp}/peer_{r}.txt").read()
    peer.append(float(re.search(r"seconds=([0-9.]+)", txt).group(1)))
    s_peer = float(re.search(r"spherical_entropy=(-?[0-9.]+)", txt).group(1))
    j = json.load(open(f"{tmp}/ours_{r}.json"))
    ours.append(j["timing"]["seconds_total"]); s_ours = j["spherical_entropy"]
    b = {x["name"]: x for x in json.load(open(f"{tmp}/bench_{r}.json"))["benchmarks"]}
    gram.append(b["BM_GramFloat32/iterations:1/real_time"]["real_time"])
    est.append(b["BM_Entropy/0/iterations:1/real_time"]["real_time"])
    print(f"repeat {r}: peer {peer[-1]:.2f} s | ours (CLI, incl. reading) {ours[-1]:.2f} s | "
          f"in process: ssyrk {gram[-1]:.2f} s, estimate {est[-1]:.2f} s ({est[-1] / gram[-1]:.2f}x)")
med = statistics.median
print(f"median: peer {med(peer):.2f} s, ours {med(ours):.2f} s -> peer/ours = {med(peer) / med(ours):.1f}x "
      f"(per-repeat {min(p / o for p, o in zip(peer, ours)):.1f}..{max(p / o for p, o in zip(peer, ours)):.1f})")
print(f"median: ssyrk {med(gram):.2f} s, estimate {med(est):.2f} s -> ours/ssyrk = {med(est) / med(gram):.2f}x "
      f"(per-repeat {min(e / g for e, g in zip(est, gram)):.2f}..{max(e / g for e, g in zip(est, gram)):.2f})")
print(f"values: ours spherical_entropy {s_ours:.6f}, peer {s_peer:.6f} (float32 angles), difference {s_peer - s_ours:.4f} nats")
PY
