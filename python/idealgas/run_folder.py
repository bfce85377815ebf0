"""Read a run or sweep folder written by idealgas (docs/outputs.md) into dicts and NumPy arrays.

Files are recognised by name, anywhere under the folder, so new columns and new subfolders are picked up without
changes here:

* JSON: ``run.json``, ``checks.json``, ``summary.json`` -> the parsed object (``null`` -> None).
* CSV: ``summary.csv``, ``trace.csv``, ``running.csv`` -> ``{column: numpy array}`` in file order. A column whose
  every value parses as an integer is ``int64``; else, if every value parses as a float (``nan``, ``inf`` included),
  ``float64`` (shortest round-trip text, so the same bits the program wrote); else an array of ``str``.

Everything else (checkpoints, snapshot queues, logs) is left alone.
"""

from __future__ import annotations

import csv
import json
import os
from typing import Dict

import numpy as np

from . import _core

JSON_FILES = ("run.json", "checks.json", "summary.json")
CSV_FILES = ("summary.csv", "trace.csv", "running.csv")


def _json_constant(name: str):
    raise ValueError(f"non-standard JSON constant {name}")


def _read_json(path: str):
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8")
    except OSError as exc:
        raise _core.IoError(f"{path}: cannot read ({exc.strerror}); check the path and permissions") from None
    except UnicodeDecodeError as exc:
        raise _core.InputError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    try:
        return json.loads(text, parse_constant=_json_constant)
    except ValueError as exc:
        raise _core.InputError(f"{path}: not valid JSON ({exc})") from None


def _column(values: list):
    try:
        return np.array([int(v) for v in values], dtype=np.int64)
    except (ValueError, OverflowError):
        pass
    try:
        return np.array([float(v) for v in values], dtype=np.float64)
    except ValueError:
        return np.array(values, dtype=str)


def _read_csv(path: str) -> Dict[str, np.ndarray]:
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f, strict=True))
    except OSError as exc:
        raise _core.IoError(f"{path}: cannot read ({exc.strerror}); check the path and permissions") from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise _core.InputError(f"{path}: not a CSV file ({exc})") from None
    if not rows:
        raise _core.InputError(f"{path}: empty file; expected a header line of column names")
    header = rows[0]
    if len(set(header)) != len(header) or any(not name for name in header):
        raise _core.InputError(f"{path}: header {header!r} has an empty or repeated column name")
    body = rows[1:]
    for line, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise _core.InputError(f"{path}: line {line} has {len(row)} fields; the header has {len(header)}")
    return {name: _column([row[i] for row in body]) for i, name in enumerate(header)}


def read_run(path) -> Dict[str, object]:
    """Every recognised file under `path` (a run or sweep folder), keyed by its path relative to `path` with '/'
    separators, e.g. ``run["run.json"]``, ``run["lr/summary.csv"]["S"]``. Raises IoError when `path` is not a
    readable folder and InputError when it holds no recognised file or one of them is malformed."""
    root = os.fspath(path)
    if not os.path.isdir(root):
        what = "does not exist" if not os.path.exists(root) else "is not a folder"
        raise _core.IoError(f"{root}: {what}; expected a run or sweep folder (with run.json)")
    found: Dict[str, object] = {}

    def on_error(exc: OSError):
        raise _core.IoError(f"{exc.filename}: cannot list ({exc.strerror})")

    for folder, dirs, files in os.walk(root, onerror=on_error):
        dirs.sort()
        for name in sorted(files):
            full = os.path.join(folder, name)
            key = os.path.relpath(full, root).replace(os.sep, "/")
            if name in JSON_FILES:
                found[key] = _read_json(full)
            elif name in CSV_FILES:
                found[key] = _read_csv(full)
    if not found:
        raise _core.InputError(f"{root}: no run files found (looked for {', '.join(JSON_FILES + CSV_FILES)})")
    return found
