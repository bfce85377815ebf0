#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine, builds (Release preset) and runs the whole test suite (ctest, then
# the Python tests with pytest).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release
ctest --preset release --output-on-failure -j 2
# The Python module from the build tree (python/; docs/python.md), with Debian's python3.
PYTHONPATH=build/release/python /usr/bin/python3 -m pytest -q -p no:cacheprovider python/tests
