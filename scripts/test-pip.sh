#!/usr/bin/env bash
# The pip route of docs/python.md, as a new user takes it: a fresh `venv --system-site-packages` of Debian's
# python3 (setuptools, wheel, pybind11, NumPy and PyTorch from Debian; no network), `pip install
# --no-build-isolation ./python` (compiles the extension: minutes on 2 cores), then the quick start of
# docs/python.md, extracted from the page and run as written, from outside the repository so that only the
# installed package can be imported. Prints the time of each part. Run by scripts/test.sh; alone:
#   scripts/test-pip.sh          (JOBS=N compile jobs, default 2; KEEP=1 keeps the temporary folder)
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
tmp="$(mktemp -d -t idealgas-pip.XXXXXX)"
# pip builds in the source tree: setuptools leaves python/build/ (its staging folders) and python/idealgas.egg-info;
# what this run creates there is removed again (a user's own python/build/ stays).
debris=()
for d in python/build python/idealgas.egg-info; do [[ -e "${d}" ]] || debris+=("${repo}/${d}"); done
cleanup() {
  [[ "${KEEP:-0}" == 1 ]] || rm -rf "${tmp}"
  ((${#debris[@]} == 0)) || rm -rf "${debris[@]}"
}
trap cleanup EXIT
unset PYTHONPATH
export PIP_DISABLE_PIP_VERSION_CHECK=1 CMAKE_BUILD_PARALLEL_LEVEL="${JOBS:-2}"
# The CMake build folder in the temporary folder: every run compiles from scratch, as a fresh checkout does.
export IDEALGAS_CMAKE_BUILD_DIR="${tmp}/cmake-build"

t0=${SECONDS}
/usr/bin/python3 -m venv --system-site-packages "${tmp}/venv"
"${tmp}/venv/bin/pip" install --no-build-isolation ./python
t1=${SECONDS}

# The installed package is the venv's, it imports without LibTorch, and it reports the project's version.
cd "${tmp}"
"${tmp}/venv/bin/python" - "${tmp}/venv" <<'PY'
import sys
import idealgas
venv = sys.argv[1]
assert idealgas.__file__.startswith(venv + "/"), f"imported {idealgas.__file__}, not the venv's package"
assert "torch" not in sys.modules, "import idealgas loaded torch"
from pathlib import Path
package = Path(idealgas.__file__).parent
missing = [f for f in ("monitor.py", "run_folder.py", "_core.pyi", "py.typed") if not (package / f).is_file()]
assert not missing, f"the wheel lacks {missing}"
print(f"installed idealgas {idealgas.__version__} at {idealgas.__file__}")
PY

# The quick start: the first ```python block after the heading "## Quick start", run as written.
awk '/^## Quick start/ {on = 1; next} on && /^```python$/ {code = 1; next} code && /^```$/ {exit} code {print}' \
    "${repo}/docs/python.md" >"${tmp}/quickstart.py"
lines=$(wc -l <"${tmp}/quickstart.py")
if ((lines == 0)); then
  echo "test-pip: no \`\`\`python block after '## Quick start' in docs/python.md" >&2
  exit 1
fi
"${tmp}/venv/bin/python" "${tmp}/quickstart.py"
t2=${SECONDS}
echo "test-pip: venv + pip install $((t1 - t0)) s, quick start (${lines} lines) $((t2 - t1)) s: OK"
