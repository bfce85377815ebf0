#!/usr/bin/env bash
# Builds everything under AddressSanitizer + UndefinedBehaviorSanitizer (the `sanitize` preset: optimised, every
# report halts the program) and runs the whole test suite with it. Part of CI (.ci/run). Assumes scripts/setup.sh ran.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset sanitize >/dev/null
cmake --build --preset sanitize -j "${JOBS:-2}"
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:abort_on_error=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:${UBSAN_OPTIONS:-}"
# The process-orchestration integration tests (labels slurm and kill: a Slurm cluster, random kills of sweeps) run in
# the release suite; under the sanitizers they would add minutes of CI time on the same code paths the unit and CLI
# tests already cover here.
ctest --preset sanitize --output-on-failure -j "${JOBS:-2}" --label-exclude 'slurm|kill'

