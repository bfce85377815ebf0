"""The package itself: light import, the documented install command, stubs and docstrings."""

import os
import subprocess
import sys
from pathlib import Path

import idealgas
from conftest import build_dir


def test_import_does_not_load_torch():
    code = "import sys, idealgas; idealgas.entropy; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ, check=True)
    assert out.stdout.strip() == "False"
    assert idealgas.Monitor.__module__ == "idealgas.monitor"  # loaded on first use


def test_install_component(tmp_path):
    # The documented command, into a staging folder (DESTDIR): the installed package imports and works.
    done = subprocess.run(["cmake", "--install", str(build_dir()), "--component", "python"],
                          env={**os.environ, "DESTDIR": str(tmp_path)}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    installed = [p for p in tmp_path.rglob("idealgas") if (p / "__init__.py").is_file()]
    assert len(installed) == 1, installed
    package = installed[0]
    for name in ("__init__.py", "monitor.py", "_core.pyi", "py.typed"):
        assert (package / name).is_file(), name
    assert list(package.glob("_core*.so"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(package.parent)
    code = "import idealgas; print(idealgas.__file__); print(idealgas.uniform(3)['S_uniform'])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    where, value = out.stdout.split()
    assert Path(where).parent == package and float(value) == idealgas.uniform(3)["S_uniform"]


def test_stub_names_match_the_module():
    stub = (Path(idealgas.__file__).parent / "_core.pyi").read_text()
    for name in ("vmf", "stationary", "uniform", "gas_constant", "uniform_sphere_entropy", "vmf_mean_resultant",
                 "log_bessel_i", "entropy", "entropy_file"):
        assert f"def {name}(" in stub, name
        assert getattr(idealgas, name).__doc__.startswith(f"{name}("), name
    assert "class SnapshotQueue" in stub and "class InputError(ValueError)" in stub
    assert issubclass(idealgas.InputError, ValueError) and issubclass(idealgas.IoError, OSError)
    assert issubclass(idealgas.DivergenceError, RuntimeError)


def quick_start_code() -> str:
    """The first ```python block after '## Quick start' in docs/python.md (scripts/test-pip.sh extracts the same)."""
    docs = Path(__file__).resolve().parents[2] / "docs" / "python.md"
    text = docs.read_text(encoding="utf-8")
    after = text[text.index("\n## Quick start\n"):]
    start = after.index("\n```python\n") + len("\n```python\n")
    return after[start:after.index("\n```\n", start) + 1]


def test_the_quick_start_runs_as_written(tmp_path):
    # The page promises a quick start of 20 lines that runs as written; here against the build tree's module
    # (scripts/test-pip.sh runs it against a pip-installed one). From another folder, so that nothing of the
    # repository but the module is importable.
    code = quick_start_code()
    assert code.count("\n") <= 20, code.count("\n")
    (tmp_path / "quickstart.py").write_text(code)
    env = {**os.environ, "PYTHONPATH": str(Path(os.path.abspath(idealgas.__file__)).parents[1])}  # cwd moves
    out = subprocess.run([sys.executable, "quickstart.py"], cwd=tmp_path, capture_output=True, text=True, env=env,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    # The report's table: the protocol line and a temperature (a number, not n/a).
    assert out.stdout.startswith("ideal gas, protocol lr (eta = 0.1, lambda = 0.05), d = 1536"), out.stdout
    t_line = next(line for line in out.stdout.splitlines() if line.strip().startswith("T "))
    assert float(t_line.split()[1]) > 0, t_line


def test_sources_parse_as_the_oldest_supported_python():
    # pyproject.toml says requires-python >= 3.9 (docs/python.md, "Supported versions"): no newer syntax.
    import ast

    python_dir = Path(__file__).resolve().parents[1]
    sources = sorted((python_dir / "idealgas").glob("*.py")) + [python_dir / "setup.py"]
    assert len(sources) >= 6, sources
    for source in sources:
        ast.parse(source.read_text(encoding="utf-8"), str(source), feature_version=(3, 9))
    assert 'requires-python = ">=3.9"' in (python_dir / "pyproject.toml").read_text(encoding="utf-8")
