"""Read a run or sweep folder written by idealgas (docs/outputs.md) into dicts and NumPy arrays.

Files are recognised by name, anywhere under the folder, so new columns and new subfolders are picked up without
changes here:

* JSON: ``run.json``, ``checks.json``, ``summary.json`` and ``analysis.json`` (written by ``idealgas analyze``)
  -> the parsed object (``null`` -> None).
* CSV: ``summary.csv``, ``trace.csv``, ``running.csv`` and every ``analysis/*.csv`` (``idealgas analyze``'s
  table per grid) -> ``{column: numpy array}`` in file order. A column whose every value parses as an integer is
  ``int64``; else, if every value parses as a float (``nan``, ``inf`` included), ``float64`` (shortest round-trip
  text, so the same bits the program wrote); else an array of ``str``.

Both are pandas-friendly as they are: ``pandas.DataFrame(run["analysis/lr.csv"])`` (a dict of columns) and
``pandas.DataFrame(run["analysis.json"]["grids"][0]["compressibility"]["rows"])`` (a list of flat dicts);
pandas itself is not needed. Everything else (checkpoints, snapshot queues, logs) is left alone.

Only regular files are read, each up to a size limit (the C++ readers' limits, core/atomic_file.hpp): a FIFO would
block the reader for ever and a link to a device such as /dev/zero would grow until memory runs out.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from typing import Dict

import numpy as np

from . import _core

JSON_FILES = ("run.json", "checks.json", "summary.json", "analysis.json")
CSV_FILES = ("summary.csv", "trace.csv", "running.csv")
ANALYSIS_FOLDER = "analysis"  # idealgas analyze: analysis/<grid>.csv beside analysis.json

# The C++ readers' limits (core/atomic_file.hpp: kMaxRecordBytes, kMaxTableBytes).
MAX_RECORD_BYTES = 64 << 20
MAX_TABLE_BYTES = 1 << 30


def _read_regular(path: str, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most max_bytes. Opening never waits (O_NONBLOCK: a FIFO without a writer
    opens at once and is then refused); a FIFO, device, socket or folder is an InputError naming what it is."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise _core.IoError(f"{path}: cannot read ({exc.strerror}); check the path and permissions") from None
    with os.fdopen(fd, "rb") as f:
        mode = os.fstat(fd)
        if not stat.S_ISREG(mode.st_mode):
            what = ("a FIFO" if stat.S_ISFIFO(mode.st_mode) else "a device" if stat.S_ISCHR(mode.st_mode)
                    or stat.S_ISBLK(mode.st_mode) else "a socket" if stat.S_ISSOCK(mode.st_mode)
                    else "a folder" if stat.S_ISDIR(mode.st_mode) else "not a regular file")
            raise _core.InputError(f"{path}: is {what}; expected a regular file")
        if mode.st_size > max_bytes:
            raise _core.InputError(f"{path}: {mode.st_size} bytes, more than the {max_bytes} a run file may have")
        try:
            data = f.read(max_bytes + 1)
        except OSError as exc:
            raise _core.IoError(f"{path}: cannot read ({exc.strerror})") from None
    if len(data) > max_bytes:  # grew since it was opened
        raise _core.InputError(f"{path}: more than the {max_bytes} bytes a run file may have")
    return data


def _json_constant(name: str):
    raise ValueError(f"non-standard JSON constant {name}")


def _read_json(path: str):
    try:
        text = _read_regular(path, MAX_RECORD_BYTES).decode("utf-8")
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
    data = _read_regular(path, MAX_TABLE_BYTES)
    try:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline=""), strict=True))
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
    separators, e.g. ``run["run.json"]``, ``run["lr/summary.csv"]["S"]``, ``run["analysis/lr.csv"]`` (after
    ``idealgas analyze``). Raises IoError when `path` is not a readable folder and InputError when it holds no
    recognised file or one of them is malformed or not a regular file."""
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
            elif name in CSV_FILES or (name.endswith(".csv") and os.path.basename(folder) == ANALYSIS_FOLDER):
                found[key] = _read_csv(full)
    if not found:
        raise _core.InputError(f"{root}: no run files found (looked for {', '.join(JSON_FILES + CSV_FILES)}, "
                               f"{ANALYSIS_FOLDER}/*.csv)")
    return found
