"""Shared fixtures of the Python tests (run with PYTHONPATH=build/release/python, see scripts/test.sh).

The CLI used for the bit-for-bit comparisons is the one built next to the module (<build>/idealgas), or
$IDEALGAS_CLI."""

import json
import math
import os
import subprocess
from pathlib import Path

import pytest

import idealgas


def build_dir() -> Path:
    """<build> when the module is imported from <build>/python/idealgas."""
    return Path(idealgas._core.__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cli() -> Path:
    path = Path(os.environ.get("IDEALGAS_CLI") or build_dir() / "idealgas")
    if not path.is_file():
        pytest.fail(f"the idealgas CLI is not at {path}: build it (cmake --build --preset release) or set "
                    "IDEALGAS_CLI")
    return path


def run_cli(cli: Path, *args) -> subprocess.CompletedProcess:
    return subprocess.run([str(cli), *map(str, args)], capture_output=True, text=True, timeout=120)


def cli_json(cli: Path, *args) -> dict:
    done = run_cli(cli, *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def cli_error(cli: Path, *args) -> str:
    """The one-line message of a failing CLI call (without the 'idealgas: error: ' prefix)."""
    done = run_cli(cli, *args)
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    prefix = "idealgas: error: "
    assert lines[0].startswith(prefix), lines[0]
    return lines[0][len(prefix):]


def assert_same_json(py: dict, js: dict, skip=()) -> None:
    """Same keys (the CLI sorts them) and the same values bit for bit (the CLI writes NaN as null)."""
    assert sorted(k for k in py if k not in skip) == sorted(k for k in js if k not in skip)
    for key, expected in js.items():
        if key in skip:
            continue
        got = py[key]
        if expected is None:
            assert got is None or (isinstance(got, float) and math.isnan(got)), (key, got)
        elif isinstance(expected, float):
            assert isinstance(got, float) and got == expected, (key, got, expected)
        else:
            assert got == expected, (key, got, expected)
