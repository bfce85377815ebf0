"""idealgas.simulate_iso: the isotropic-noise simulator in memory gives the CLI's numbers bit for bit."""

import json
import math

import pytest

import idealgas
from conftest import run_cli

# A fast corner of the fixed-ELR grid under the dynamics schedule, scaled down (as tests/sweep/test_sweep_cli.cpp).
POINT = """protocol = "elr"
eta_eff = 0.05
lambda = 0.05
iterations = 20000
snapshots = 200
se_blocks = 4
batches = 4
window_relaxations = 20
"""


def same(a, b) -> bool:
    """Equal numbers, NaN equal to NaN (the CLI writes null for NaN)."""
    if a is None or b is None:
        return (a is None or (isinstance(a, float) and math.isnan(a))) and \
            (b is None or (isinstance(b, float) and math.isnan(b)))
    return a == b


def test_point_equals_simulate_iso_cli_bitwise(cli, tmp_path):
    (tmp_path / "one.toml").write_text(POINT)
    done = run_cli(cli, "simulate", "iso", tmp_path / "one.toml", "--out", tmp_path / "one", "--quiet")
    assert done.returncode == 0, done.stderr
    expected = json.loads((tmp_path / "one" / "summary.json").read_text())["stationary"]
    rows = idealgas.simulate_iso(POINT, threads=1)
    assert list(rows) == ["elr"] and len(rows["elr"]) == 1
    row = rows["elr"][0]
    assert row["status"] == "ok" and row["divergence"] == ""
    differing = [k for k in expected if not same(row[k], expected[k])]
    assert differing == [], {k: (row[k], expected[k]) for k in differing}


def test_measured_radius_against_the_one_step_prediction():
    # 20 batches over 400 radial relaxation times, so that the batch-means SE has 19 degrees of freedom (POINT's 4
    # batches give an SE with 3, too noisy to test against). The one-step law r^2 = (1 - sqrt(1 - eta_eff^2 X)) /
    # (eta_eff lambda) (docs/theory.md, App. H exact) leaves out the radius fluctuation, O(eta lambda / (d - 1)): over 8
    # seeds the measured r sat 0.8 SE below it on average, so 4 SE is the bound.
    config = POINT.replace("window_relaxations = 20", "window_relaxations = 400").replace("batches = 4", "batches = 20")
    row = idealgas.simulate_iso(config)["elr"][0]
    assert row["flags"] == ""
    assert abs(row["r_mean"] - row["r_one_step"]) < 4 * row["r_se"], (row["r_mean"], row["r_one_step"], row["r_se"])


def test_grid_has_one_row_per_configuration_and_threads_change_nothing():
    grid = POINT.replace('protocol = "elr"\neta_eff = 0.05\nlambda = 0.05\n',
                         'protocols = ["lr", "sphere"]\ngrid = 2\neta = [3e-2, 1e-1]\neta_eff = [3e-2, 1e-1]\n'
                         'lambda = [3e-2, 1e-1]\nradius = [0.5, 2.0]\n')
    one = idealgas.simulate_iso(grid, threads=1)
    two = idealgas.simulate_iso(grid, threads=2)
    assert sorted(one) == ["lr", "sphere"] and all(len(rows) == 4 for rows in one.values())
    # A comment naming "protocol" does not make a grid one configuration (the key decides, not the text).
    commented = idealgas.simulate_iso("# one protocol per grid row\n" + grid, threads=1)
    assert json.dumps(commented, sort_keys=True) == json.dumps(one, sort_keys=True)
    assert json.dumps(one, sort_keys=True) == json.dumps(two, sort_keys=True)


@pytest.mark.parametrize("config, message", [
    ('protocol = "elr"\neta_eff = -1\nlambda = 0.05\n', "eta_eff"),
    ('protocol = "lr"\neta = 1e-300\nlambda = 1e-300\n', "outside the range of the closed forms"),
    ("grid = 9223372036854775808\n", "not representable in 64 bits"),
    ('protocol = "elr"\neta_eff = 0.05\nlambda = 0.05\nbogus = 1\n', "unknown key 'bogus'"),
])
def test_bad_configs_raise_input_error_with_the_clis_message(config, message):
    with pytest.raises(idealgas.InputError, match=message):
        idealgas.simulate_iso(config)


def test_bad_arguments():
    with pytest.raises(idealgas.InputError, match="config"):
        idealgas.simulate_iso(3)
    with pytest.raises(idealgas.InputError, match="config is empty"):
        idealgas.simulate_iso(" \n")
    with pytest.raises(idealgas.InputError, match="threads"):
        idealgas.simulate_iso(POINT, threads=-1)


def test_lr_with_eta_lambda_at_least_one_is_flagged():
    # The weight-decay factor 1 - eta lambda <= 0 reverses the weights each step: outside the closed forms' regime.
    config = POINT.replace('protocol = "elr"\neta_eff = 0.05\nlambda = 0.05\n', 'protocol = "lr"\neta = 2.0\nlambda = 0.6\n')
    row = idealgas.simulate_iso(config)["lr"][0]
    assert "eta_lambda_at_least_1" in row["flags"].split(";")
