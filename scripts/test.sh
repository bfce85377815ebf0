#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine and runs the whole test suite, each part once:
#  1. the programs, the Python module and the benchmarks, optimised (release preset: what users run);
#  2. the C++ suite (GoogleTest through ctest), built with clang under AddressSanitizer + UndefinedBehaviorSanitizer,
#     every report halting (sanitize preset, whose test preset sets the sanitizer options; the same build holds the libFuzzer targets of scripts/fuzz.sh);
#  3. the integration tests that orchestrate many processes (labels slurm and kill: a Slurm cluster, random kills
#     of sweeps) against the optimised programs, where their timing is the users';
#  4. the Python tests (pytest) against the optimised module, with Debian's python3; then `pip install ./python` into a
#     fresh venv and the quick start of docs/python.md (scripts/test-pip.sh: a compile, minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
jobs="${JOBS:-2}"
cmake --preset release >/dev/null
cmake --build --preset release -j "${jobs}" --target idealgas_programs slurm_script_driver
cmake --preset sanitize >/dev/null
cmake --build --preset sanitize -j "${jobs}"
ctest --preset sanitize --output-on-failure -j "${jobs}" --label-exclude 'slurm|kill'
ctest --preset release --output-on-failure -j "${jobs}" --label-regex 'slurm|kill'
PYTHONPATH=build/release/python /usr/bin/python3 -m pytest -q -p no:cacheprovider python/tests
JOBS="${jobs}" scripts/test-pip.sh
