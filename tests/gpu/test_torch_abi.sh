#!/usr/bin/env bash
# The C++ ABI check of cmake/torch_abi.cmake (docs/cuda.md): a LibTorch of the old ABI (0, as PyTorch's older pip
# wheels) stops the configuration with one message saying what to use instead; one of the C++11 ABI passes; without
# TORCH_CXX_FLAGS the ABI is read from libc10's symbols (Debian's: 1); idealgas compiled with ABI 0 against
# Debian's fmt (1) is refused too. Exit 77 (skipped) without Debian's libtorch-dev/libfmt-dev.
set -uo pipefail
src=$1
c10=$(ls /usr/lib/*/libc10.so 2>/dev/null | head -1)  # Debian: /usr/lib/<arch>/
[[ -n "$c10" ]] || { echo "skipped: no libc10.so (libtorch-dev)"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
check() {  # NAME EXPECTED_RC NEEDLE CMAKE_ARGS...
  local name=$1 want=$2 needle=$3
  shift 3
  cmake -S "$src/tests/gpu/abi_check" -B "$work/$name" -DIDEALGAS_SOURCE_DIR="$src" "$@" >"$work/$name.log" 2>&1
  local rc=$?
  if [[ $want -eq 0 && $rc -ne 0 || $want -ne 0 && $rc -eq 0 ]] || ! grep -q -- "$needle" "$work/$name.log"; then
    echo "FAIL $name: configure exited $rc (expected $([[ $want -eq 0 ]] && echo 0 || echo non-zero)), looking for '$needle':"
    cat "$work/$name.log"
    failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}
check old-abi-torch 1 "libtorch-cxx11-abi-shared-with-deps" -DTORCH_CXX_FLAGS=-D_GLIBCXX_USE_CXX11_ABI=0 -DTORCH_INSTALL_PREFIX=/nonexistent
check cxx11-abi-torch 0 "LibTorch 1 (TORCH_CXX_FLAGS" -DTORCH_CXX_FLAGS=-D_GLIBCXX_USE_CXX11_ABI=1 -DTORCH_INSTALL_PREFIX=/nonexistent
check from-symbols 0 "LibTorch 1 (the symbols of $c10" -DTORCH_CXX_FLAGS= -DTORCH_INSTALL_PREFIX=/usr
check old-abi-idealgas 1 "but Debian's libraries (fmt:" -DTORCH_CXX_FLAGS=-D_GLIBCXX_USE_CXX11_ABI=1 -DCMAKE_CXX_FLAGS=-D_GLIBCXX_USE_CXX11_ABI=0
exit $((failures > 0))
