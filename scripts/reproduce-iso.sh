#!/usr/bin/env bash
# Sets everything up, builds, and runs the main job: the isotropic-noise reproduction of the paper's
# Figures 1, 3, 4 (three protocol grids, 17x17, 2,000,000 iterations, d = 3). Extra arguments go to
# `idealgas reproduce iso` (e.g. --out DIR --iters N --grid N --d D --seed S). Resumes if interrupted.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target idealgas
exec build/release/idealgas reproduce iso "$@"
