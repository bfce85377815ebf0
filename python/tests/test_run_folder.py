"""idealgas.read_run on a real run folder written by the CLI, and on malformed ones."""

import json
import math
import os

import numpy as np
import pytest

import idealgas
from conftest import run_cli

TINY = """schedule = "paper"
iterations = 20000
queue_size = 50
entropy_stride = 2000
entropy_window = 2
stationary_logs = 100
"""


def test_reads_a_reproduce_run(cli, tmp_path):
    config = tmp_path / "tiny.toml"
    config.write_text(TINY)
    out = tmp_path / "run"
    done = run_cli(cli, "reproduce", "iso", "--out", out, "--grid", 3, "--config", config, "--quiet", "--threads", 1)
    assert done.returncode == 0, done.stderr
    run = idealgas.read_run(out)
    for key in ("run.json", "checks.json", "lr/summary.csv", "elr/summary.csv", "sphere/summary.csv",
                "lr/checks.json"):
        assert key in run, sorted(run)
    assert "lr/checkpoint.bin" not in run
    assert run["run.json"] == json.loads((out / "run.json").read_text())
    lr = run["lr/summary.csv"]
    assert lr["i"].dtype == np.int64 and lr["S"].dtype == np.float64 and lr["status"].dtype.kind == "U"
    assert len(lr["S"]) == 9 and set(lr["protocol"]) == {"lr"}
    assert np.all(np.isnan(lr["radius"]))  # 'nan' in the file
    # The numbers are the ones in the file, read back exactly (shortest round-trip text).
    header, first = (out / "lr" / "summary.csv").read_text().splitlines()[:2]
    column = header.split(",").index("S")
    assert lr["S"][0] == float(first.split(",")[column])

    # After `idealgas analyze`: analysis.json parsed, each grid's table analysis/<protocol>.csv as columns.
    done = run_cli(cli, "analyze", out)
    assert done.returncode == 0, done.stderr
    run = idealgas.read_run(out)
    analysis = run["analysis.json"]
    assert analysis == json.loads((out / "analysis.json").read_text())
    tables = sorted(g["table_file"] for g in analysis["grids"])
    assert tables == ["analysis/elr.csv", "analysis/lr.csv", "analysis/sphere.csv"]
    assert sorted(k for k in run if k.startswith("analysis/")) == tables
    # The grid's table is the run's summary table: the same rows, the same bits.
    table = run["analysis/lr.csv"]
    assert table["S"].tobytes() == lr["S"].tobytes() and list(table["i"]) == list(lr["i"])
    # Pandas-friendly as it is: a list of flat dicts per row of the compressibility table.
    rows = next(g for g in analysis["grids"] if g["table_file"] == "analysis/lr.csv")["compressibility"]["rows"]
    assert len(rows) == 9 and all(not isinstance(v, (dict, list)) for r in rows for v in r.values())


def test_generic_files_and_errors(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "run.json").write_text('{"seed": 1, "x": null}')
    (tmp_path / "a" / "b" / "trace.csv").write_text('step,loss,note\n0,1.5,"a, b"\n10,nan,ok\n')
    (tmp_path / "a" / "running.csv").write_text("step,new_column\n")
    (tmp_path / "a" / "other.csv").write_text("not,read\n")
    run = idealgas.read_run(tmp_path)
    assert sorted(run) == ["a/b/trace.csv", "a/running.csv", "run.json"]
    assert run["run.json"] == {"seed": 1, "x": None}
    trace = run["a/b/trace.csv"]
    assert list(trace["step"]) == [0, 10] and trace["loss"][0] == 1.5 and math.isnan(trace["loss"][1])
    assert list(trace["note"]) == ["a, b", "ok"]
    assert run["a/running.csv"]["new_column"].shape == (0,)

    with pytest.raises(idealgas.IoError) as e:
        idealgas.read_run(tmp_path / "missing")
    assert "does not exist" in str(e.value) and isinstance(e.value, OSError)
    with pytest.raises(idealgas.IoError):
        idealgas.read_run(tmp_path / "run.json")
    (tmp_path / "empty").mkdir()
    with pytest.raises(idealgas.InputError, match="no run files found"):
        idealgas.read_run(tmp_path / "empty")
    (tmp_path / "a" / "b" / "trace.csv").write_text("step,loss\n0,1.5,extra\n")
    with pytest.raises(idealgas.InputError, match=r"trace.csv: line 2 has 3 fields; the header has 2"):
        idealgas.read_run(tmp_path)
    (tmp_path / "a" / "b" / "trace.csv").write_text("step,loss\n")
    (tmp_path / "run.json").write_text('{"seed": NaN}')
    with pytest.raises(idealgas.InputError, match=r"run.json: not valid JSON"):
        idealgas.read_run(tmp_path)


def test_analysis_tables_and_files_that_are_not_regular(tmp_path):
    (tmp_path / "analysis").mkdir()
    (tmp_path / "analysis.json").write_text('{"grids": [{"table_file": "analysis/lr.csv"}]}')
    (tmp_path / "analysis" / "lr.csv").write_text("i,Z\n0,1.25\n1,0.5\n")
    (tmp_path / "notes.csv").write_text("not,read\n")  # a CSV outside analysis/ that is not a run file
    run = idealgas.read_run(tmp_path)
    assert sorted(run) == ["analysis.json", "analysis/lr.csv"]
    assert list(run["analysis/lr.csv"]["Z"]) == [1.25, 0.5]
    # A FIFO would block the reader for ever, /dev/zero would fill the memory: both refused at once, by name.
    fifo = tmp_path / "analysis" / "elr.csv"
    os.mkfifo(fifo)
    with pytest.raises(idealgas.InputError, match=r"elr.csv: is a FIFO; expected a regular file"):
        idealgas.read_run(tmp_path)
    fifo.unlink()
    (tmp_path / "summary.json").symlink_to("/dev/zero")
    with pytest.raises(idealgas.InputError, match=r"summary.json: is a device; expected a regular file"):
        idealgas.read_run(tmp_path)
