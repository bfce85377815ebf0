#!/usr/bin/env bash
# GPU checks (docs/cuda.md): on a machine with an NVIDIA GPU and a CUDA LibTorch, configure build/cuda against it,
# build the CLI, the GPU benchmark and the device tests, and run, in under 10 minutes after the build:
#   1. tests/gpu on cuda:0 (rounding bound of the products, neighbours and entropy bitwise equal to OpenBLAS);
#   2. entropy with the Gram products on the GPU against OpenBLAS on the CPU (agreement, speed) at a few N, d;
#   3. a short `idealgas train` on the GPU against the CPU (ms per step), and the GPU run twice (same bits?).
# Prints a Markdown table and writes it to OUT (default build/cuda/gpu-check.md). Fails with one clear line when
# there is no GPU, no CUDA LibTorch, a LibTorch of the wrong C++ ABI or no CUDA toolkit.
#
#   bench/gpu.sh [--libtorch DIR] [--out FILE] [--sizes 1000x24408,4000x24408,8000x50000] [--iterations 300]
#
# LibTorch: DIR (a LibTorch zip unpacked, or any prefix with share/cmake/Torch), else a pip-installed torch
# (python3 -c 'import torch; print(torch.utils.cmake_prefix_path)').
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build="$root/build/cuda"
out="$build/gpu-check.md"
libtorch=""
sizes="1000x24408,4000x24408,8000x50000"
iterations=300
while [[ $# -gt 0 ]]; do
  case "$1" in
    --libtorch) libtorch="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --sizes) sizes="$2"; shift 2 ;;
    --iterations) iterations="$2"; shift 2 ;;
    *) echo "bench/gpu.sh: unknown argument '$1'; expected --libtorch DIR, --out FILE, --sizes NxD,..., --iterations N" >&2; exit 2 ;;
  esac
done
fail() { echo "bench/gpu.sh: $*" >&2; exit 1; }
[[ "$iterations" =~ ^[0-9]+$ && "$iterations" -ge 60 ]] || { echo "bench/gpu.sh: --iterations '$iterations': expected an integer >= 60 (the CPU run takes a third, whose stationary half needs two blocks of 5)" >&2; exit 2; }

# --- a GPU ------------------------------------------------------------------------------------------------------
command -v nvidia-smi >/dev/null || fail "no NVIDIA GPU here (nvidia-smi not found); run this on a machine with one"
gpu=$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -1) || true
[[ -n "$gpu" ]] || fail "nvidia-smi lists no GPU ($(nvidia-smi -L 2>&1 | head -1))"

# --- a CUDA LibTorch of the C++11 ABI ---------------------------------------------------------------------------
if [[ -z "$libtorch" ]]; then
  command -v python3 >/dev/null || fail "no --libtorch DIR given and no python3 to find a pip torch"
  info=$(python3 -c 'import torch; print(torch.cuda.is_available(), torch.utils.cmake_prefix_path, torch.compiled_with_cxx11_abi(), torch.__version__, torch.version.cuda)' 2>/dev/null) \
    || fail "no --libtorch DIR given and python3 cannot import torch; pip install a CUDA torch or pass --libtorch"
  read -r cuda_ok libtorch cxx11 torch_version torch_cuda <<<"$info"
  [[ "$cuda_ok" == True ]] || fail "pip torch $torch_version (CUDA $torch_cuda) sees no GPU (torch.cuda.is_available() is False): a CPU-only wheel or a driver problem"
  [[ "$cxx11" == True ]] || fail "pip torch $torch_version was built with the old C++ ABI (_GLIBCXX_USE_CXX11_ABI=0); idealgas links Debian's C++ libraries (ABI 1): pass --libtorch with the cxx11-ABI LibTorch zip (libtorch-cxx11-abi-shared-with-deps-...+cuXYZ.zip from pytorch.org) or use a torch whose torch.compiled_with_cxx11_abi() is True (docs/cuda.md)"
  libtorch_desc="pip torch $torch_version, CUDA $torch_cuda ($libtorch)"
else
  [[ -d "$libtorch" ]] || fail "--libtorch '$libtorch' is not a folder"
  libtorch_desc="LibTorch in $libtorch"
fi

# --- the CUDA toolkit (TorchConfig.cmake of a CUDA LibTorch looks for nvcc and the CUDA headers) ---------------
cuda_root=""
if command -v nvcc >/dev/null; then cuda_root=$(dirname "$(dirname "$(command -v nvcc)")")
elif [[ -x /usr/local/cuda/bin/nvcc ]]; then cuda_root=/usr/local/cuda
else fail "no CUDA toolkit (nvcc) found, which find_package(Torch) of a CUDA LibTorch needs: install one matching the LibTorch's CUDA version (or put its bin/ on PATH)"
fi

# --- configure and build ----------------------------------------------------------------------------------------
jobs=$(nproc)
echo "== configure $build against $libtorch_desc, CUDA toolkit $cuda_root" >&2
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$libtorch" \
  -DCUDAToolkit_ROOT="$cuda_root" -DCUDA_TOOLKIT_ROOT_DIR="$cuda_root" -DIDEALGAS_BUILD_PYTHON=OFF >"$build.configure.log" 2>&1 \
  || { tail -30 "$build.configure.log" >&2; fail "configure failed (log: $build.configure.log)"; }
echo "== build (-j $jobs)" >&2
t0=$SECONDS
cmake --build "$build" -j "$jobs" --target idealgas gpu_entropy_check test_torch_gram test_entropy_device_cli \
  >"$build.build.log" 2>&1 || { tail -30 "$build.build.log" >&2; fail "build failed (log: $build.build.log)"; }
build_s=$((SECONDS - t0))
cli="$build/idealgas"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- 1. device tests --------------------------------------------------------------------------------------------
echo "== tests/gpu on the GPU" >&2
tests="passed"
for t in test_torch_gram test_entropy_device_cli; do
  timeout 300 "$build/tests/$t" >"$work/$t.log" 2>&1 || { tests="FAILED ($t)"; tail -40 "$work/$t.log" >&2; }
done

# --- 2. entropy: Gram products on the GPU against OpenBLAS ----------------------------------------------------------
echo "== entropy, sizes $sizes" >&2
entropy_rc=0
timeout 360 "$build/bench/gpu_entropy_check" --device cuda:0 --sizes "$sizes" --threads "$jobs" >"$work/entropy.md" \
  || entropy_rc=$?

# --- 3. training: ms per step, GPU against CPU; the GPU run twice -------------------------------------------------
# ConvNet k = 8 on synthetic CIFAR-shaped data (10,000 images 3x32x32, batch 128): bench_train_step's setting.
cat >"$work/train.toml" <<TOML
[model]
arch = "convnet"
width = 8
[data]
dataset = "synthetic"
synthetic_shape = [3, 32, 32]
synthetic_train = 10000
synthetic_test = 1000
[protocol]
name = "elr"
eta_eff = 0.01
lambda = 0.001
[train]
iterations = $iterations
batch_size = 128
threads = $jobs
checkpoint_seconds = 100000
[measure]
running_stride = 5
log_dense_stride = $iterations
log_dense_until = $iterations
log_points = 0
test_metrics = false
queue_size = 0
TOML
train() {  # DIR DEVICE ITERATIONS -> ms per step
  timeout 300 "$cli" train "$work/train.toml" --out "$work/$1" --quiet --set "train.device=$2" \
    --set "train.iterations=$3" >"$work/$1.log" 2>&1 || { tail -5 "$work/$1.log" >&2; echo "failed"; return; }
  python3 -c 'import json,sys; print("%.2f" % json.load(open(sys.argv[1]))["timing"]["ms_per_step"])' "$work/$1/summary.json"
}
echo "== train on the GPU (twice) and the CPU" >&2
gpu_ms=$(train gpu1 cuda "$iterations")
gpu_ms2=$(train gpu2 cuda "$iterations")
cpu_ms=$(train cpu cpu $((iterations / 3)))
same="no"
if cmp -s "$work/gpu1/running.csv" "$work/gpu2/running.csv" && cmp -s "$work/gpu1/trace.csv" "$work/gpu2/trace.csv"; then
  same="yes"
fi

# --- the table ----------------------------------------------------------------------------------------------------
mkdir -p "$(dirname "$out")"
{
  echo "# GPU check ($(date -u +%F), git $(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown))"
  echo
  echo "GPU: $gpu. $libtorch_desc. CPU: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')."
  echo "Build of the needed targets: ${build_s} s. tests/gpu on cuda:0: $tests."
  echo
  echo "## Entropy: Gram products on cuda:0 (LibTorch, TF32 off) against OpenBLAS ($jobs threads)"
  echo
  cat "$work/entropy.md"
  [[ $entropy_rc -eq 0 ]] || echo "gpu_entropy_check exited with $entropy_rc (1: an entropy differed; 124: timeout)"
  echo
  echo "## Training: ConvNet k = 8, synthetic 3x32x32, batch 128, fixed ELR (\`idealgas train\`)"
  echo
  echo "| device | iterations | ms per step |"
  echo "|---|---|---|"
  echo "| cuda | $iterations | $gpu_ms (second run $gpu_ms2) |"
  echo "| cpu, $jobs threads | $((iterations / 3)) | $cpu_ms |"
  echo
  echo "Two GPU runs of the same configuration give identical running.csv and trace.csv: $same."
} | tee "$out"
echo "bench/gpu.sh: written $out" >&2
[[ "$tests" == passed && $entropy_rc -eq 0 && "$gpu_ms" != failed ]]
