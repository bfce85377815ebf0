#!/usr/bin/env bash
# Builds the libFuzzer targets (the `sanitize` preset: clang, ASan + UBSan, every report halts; the test suite's
# sanitizer build) and runs each one over its committed seed corpus (fuzz/README.md).
#   scripts/fuzz.sh              smoke: 10 seconds per target (what CI runs)
#   scripts/fuzz.sh SECONDS      SECONDS per target
#   scripts/fuzz.sh --runs N     N executions per target (the long run: --runs 1000000)
#   FUZZ_TARGETS="checkpoint datasets" scripts/fuzz.sh ...   only these targets (default: every one)
# New inputs go to a scratch corpus under build/sanitize/fuzz/work (the committed seeds stay as they are); a crash is
# written to build/sanitize/fuzz/artifacts/ and makes the script fail. Exit 0 only when every target ran clean.
set -euo pipefail
cd "$(dirname "$0")/.."

limit=(-max_total_time=10)
if [[ $# -ge 1 ]]; then
  if [[ "$1" == "--runs" && $# -eq 2 && "$2" =~ ^[0-9]+$ ]]; then
    limit=(-runs="$2")
  elif [[ $# -eq 1 && "$1" =~ ^[0-9]+$ ]]; then
    limit=(-max_total_time="$1")
  else
    echo "usage: scripts/fuzz.sh [SECONDS | --runs N]" >&2
    exit 2
  fi
fi

targets=(${FUZZ_TARGETS:-npy snapshot iso_config checkpoint train_checkpoint sweep_inputs datasets torchscript run_folder})
cmake --preset sanitize >/dev/null
cmake --build --preset sanitize -j "${JOBS:-2}" --target "${targets[@]/#/fuzz_}"

export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:${UBSAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=${PWD}/tests/sanitizers/lsan.supp:${LSAN_OPTIONS:-}"
mkdir -p build/sanitize/fuzz/artifacts
status=0
for target in "${targets[@]}"; do
  work="build/sanitize/fuzz/work/${target}"
  mkdir -p "${work}"
  echo "== fuzz_${target} ${limit[*]}"
  if ! build/sanitize/fuzz/"fuzz_${target}" "${limit[@]}" -print_final_stats=1 \
      -artifact_prefix="build/sanitize/fuzz/artifacts/${target}-" "${work}" "fuzz/corpus/${target}" 2>"build/sanitize/fuzz/${target}.log"; then
    echo "fuzz_${target}: FAILED (build/sanitize/fuzz/${target}.log, inputs in build/sanitize/fuzz/artifacts/)"
    grep -E "ERROR|runtime error|SUMMARY" "build/sanitize/fuzz/${target}.log" | head -5 || true
    status=1
  fi
  grep -E "^stat::number_of_executed_units|^stat::average_exec_per_sec|^#[0-9]+[[:space:]]+DONE" "build/sanitize/fuzz/${target}.log" || true
done
exit "${status}"
