"""Build of the Python package idealgas for pip (pyproject.toml): `pip install --no-build-isolation ./python`.

The compiled part (idealgas._core) is the repository's CMake target idealgas_python_core, which links the torch-free
core library idealgas_lib; this file configures the repository root with only that target's parts on (no LibTorch,
no GoogleTest, no CLI, no benchmarks, no fuzzers), builds it and puts the extension next to the pure-Python files of
python/idealgas/ in the wheel. One build recipe, CMake's, for the build tree and for pip.

The CMake build folder is setuptools' build_temp (python/build/temp.*/cmake, kept between installs so that a second
`pip install` recompiles only what changed) or $IDEALGAS_CMAKE_BUILD_DIR. Parallel compile jobs:
$CMAKE_BUILD_PARALLEL_LEVEL (CMake's own variable), else the number of CPUs. Extra configure options:
$IDEALGAS_CMAKE_ARGS (split like a shell command line), e.g. "-DCMAKE_CXX_COMPILER=clang++".
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent  # the repository: its CMakeLists.txt defines the module


def project_version() -> str:
    """The version of CMakeLists.txt's project() (the one the library reports as idealgas.__version__)."""
    text = (ROOT / "CMakeLists.txt").read_text(encoding="utf-8")
    match = re.search(r"project\(\s*idealgas\s+VERSION\s+([0-9.]+)", text)
    if not match:
        sys.exit(f"idealgas setup.py: no 'project(idealgas VERSION x.y.z)' in {ROOT / 'CMakeLists.txt'}")
    return match.group(1)


def cached_value(cache: Path, name: str):
    """The value of `name` in a CMakeCache.txt, or None."""
    if not cache.is_file():
        return None
    for line in cache.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith(name + ":"):
            return line.split("=", 1)[1]
    return None


class CMakeBuild(build_ext):
    def build_extension(self, ext: Extension) -> None:
        if not (ROOT / "CMakeLists.txt").is_file() or not (ROOT / "src").is_dir():
            raise SystemExit(f"idealgas setup.py: the C++ sources are not at {ROOT}; install from a checkout of the "
                             "repository (pip install ./python), not from a copy of python/ alone")
        cmake = shutil.which("cmake")
        if cmake is None:
            raise SystemExit("idealgas setup.py: cmake not found on PATH (Debian: apt install cmake; scripts/setup.sh "
                             "installs every build dependency)")
        build_dir = Path(os.environ.get("IDEALGAS_CMAKE_BUILD_DIR") or Path(self.build_temp) / "cmake").resolve()
        build_dir.mkdir(parents=True, exist_ok=True)
        # A folder configured for another interpreter (another venv) would link the wrong Python: start afresh.
        cache = build_dir / "CMakeCache.txt"
        previous = cached_value(cache, "Python3_EXECUTABLE")
        if previous is not None and previous != sys.executable:
            shutil.rmtree(build_dir)
            build_dir.mkdir(parents=True)
        configure = [cmake, "-S", str(ROOT), "-B", str(build_dir), "-DCMAKE_BUILD_TYPE=Release",
                     "-DIDEALGAS_BUILD_PYTHON=ON", "-DIDEALGAS_BUILD_TESTS=OFF", "-DIDEALGAS_BUILD_CLI=OFF",
                     "-DIDEALGAS_BUILD_BENCH=OFF", "-DIDEALGAS_BUILD_FUZZ=OFF",
                     f"-DPython3_EXECUTABLE={sys.executable}"]
        if shutil.which("ninja"):
            if previous is None:  # the generator of an existing folder cannot change
                configure += ["-G", "Ninja"]
        try:  # pybind11 installed with pip (a pybind11 wheel) rather than Debian's pybind11-dev
            import pybind11

            configure.append(f"-Dpybind11_DIR={pybind11.get_cmake_dir()}")
        except (ImportError, AttributeError):
            pass
        configure += shlex.split(os.environ.get("IDEALGAS_CMAKE_ARGS", ""))
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL") or str(os.cpu_count() or 1)
        build = [cmake, "--build", str(build_dir), "--target", "idealgas_python_core", "--parallel", jobs]
        for command in (configure, build):
            print("idealgas setup.py:", " ".join(shlex.quote(c) for c in command), flush=True)
            subprocess.run(command, check=True)
        built = sorted((build_dir / "python" / "idealgas").glob("_core*.so"))
        if len(built) != 1:
            raise SystemExit(f"idealgas setup.py: expected one _core*.so under {build_dir / 'python' / 'idealgas'}, "
                             f"found {[p.name for p in built]}")
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        # The extension's name must be the one this interpreter imports (its EXT_SUFFIX), which is what
        # get_ext_fullpath gives; CMake's pybind11 uses the same suffix.
        shutil.copyfile(built[0], target)


setup(
    version=project_version(),
    ext_modules=[Extension("idealgas._core", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    zip_safe=False,
)
