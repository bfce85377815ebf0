#!/usr/bin/env bash
# The entropy estimator on a file larger than memory: N = 4000 snapshots of d = 1,550,016 float32 weights
# (24.8 GB), read in column blocks within --budget-mb, peak memory measured by /usr/bin/time -v, time compared
# with the machine's float32 GEMM rate measured in the same run (bench_entropy_knn BM_GramFloat32 at
# 4000 x 24,408) applied to the Gram FLOPs N (N+1) (d-1) of the big file. The file is deleted afterwards.
#   bench/entropy_scale.sh [N=4000] [D=1550016] [BUDGET_MB=6000] [BUILD=build/release] [DIR=/tmp]
# Needs ~N*D*4 bytes of free disk in DIR, numpy (/usr/bin/python3), a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-4000}; d=${2:-1550016}; budget=${3:-6000}; build=${4:-build/release}; dir=${5:-/tmp}
bin=$build/idealgas; bench=$build/bench/bench_entropy_knn
for f in "$bin" "$bench"; do [[ -x $f ]] || { echo "build first: $f is missing" >&2; exit 2; }; done
file=$(mktemp "$dir/idealgas_entropy_scale.XXXXXX.npy")
trap 'rm -f "$file" "$file.json" "$file.time" "$file.gemm.json"' EXIT
echo "writing $file: N=$n D=$d float32 ($(( n * d * 4 / 1000000000 )) GB)"
/usr/bin/python3 - "$n" "$d" "$file" <<'PY'
import sys, numpy as np
n, d, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
x = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, d))
rng = np.random.default_rng(0)
for i in range(0, n, 50):
    x[i:i + 50] = rng.standard_normal((min(50, n - i), d), dtype=np.float32)
    x.flush()
del x
PY
sync
echo "GEMM rate (float32 ssyrk, 4000 x 24,408, OpenBLAS, same machine, now):"
IDEALGAS_ENTROPY_N=4000 IDEALGAS_ENTROPY_D=24408 "$bench" --benchmark_filter=BM_GramFloat32 \
  --benchmark_repetitions=3 --benchmark_format=json 2>/dev/null > "$file.gemm.json"
# Google Benchmark writes the rate counter in FLOP/s.
rate=$(/usr/bin/python3 -c "import json,statistics,sys; b=json.load(open(sys.argv[1]))['benchmarks']; \
print(statistics.median([x['GFLOP/s'] for x in b if x.get('run_type')=='iteration']) / 1e9)" "$file.gemm.json")
rm -f "$file.gemm.json"
echo "  median $rate GFLOP/s"
if ! /usr/bin/time -v "$bin" entropy "$file" --budget-mb "$budget" > "$file.json" 2> "$file.time"; then
  head -2 "$file.time" >&2
  exit 1
fi
cat "$file.json"
grep -E "Maximum resident set size|Elapsed \(wall clock\)" "$file.time"
/usr/bin/python3 - "$file.json" "$n" "$d" "$rate" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); n, d, rate = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]) * 1e9
flops = n * (n + 1) * (d - 1)
gram = flops / rate
t = j["timing"]["seconds_total"]
print(f"Gram FLOPs {flops:.3g} at {rate / 1e9:.0f} GFLOP/s = {gram:.0f} s; estimate {t:.0f} s = {t / gram:.2f}x")
PY
