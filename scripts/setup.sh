#!/usr/bin/env bash
# Installs every Debian 12 package idealgas needs. Idempotent; run as root (or with sudo).
#   scripts/setup.sh           build + test dependencies
#   scripts/setup.sh --bench   also the Python peers used by bench/ (python3-torch, sklearn, scipy)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libopenblas-dev libeigen3-dev libboost-dev libboost-math-dev librandom123-dev
  libtomlplusplus-dev libcli11-dev nlohmann-json3-dev libfmt-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  gnuplot-nox
  libtorch-dev libgoogle-perftools-dev dataset-fashion-mnist
  python3 python3-dev python3-numpy python3-pybind11 pybind11-dev python3-pytest python3-torch
  python3-venv python3-setuptools python3-wheel
  clang libfuzzer-14-dev libclang-rt-14-dev
  chromium fonts-dejavu-core
  slurmctld slurmd slurm-client munge
)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(python3-scipy python3-sklearn python3-mpmath hyperfine bc)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "setup: all ${#packages[@]} packages present"
