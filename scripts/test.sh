#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine, builds (Release preset) and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release
ctest --preset release --output-on-failure -j 2
