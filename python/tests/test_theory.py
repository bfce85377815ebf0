"""idealgas.vmf / stationary / uniform against `idealgas theory` (same keys, same bits) and closed forms."""

import math

import pytest

import idealgas
from conftest import assert_same_json, cli_error, cli_json


@pytest.mark.parametrize("d, T", [(3, 0.1), (10, 1e-3), (1000, 2.5), (2, 50.0)])
def test_vmf_equals_cli(cli, d, T):
    assert_same_json(idealgas.vmf(d, T), cli_json(cli, "theory", "vmf", "--d", d, "--T", repr(T)))


@pytest.mark.parametrize("args", [
    dict(protocol="lr", eta=0.01, lambda_=0.001, d=3),
    dict(protocol="lr", eta=0.1, lambda_=0.1, d=24408, sigma2=0.02, grad_norm_sq=3.5),
    dict(protocol="elr", eta_eff=1e-3, lambda_=0.05, d=10),
    dict(protocol="sphere", eta_eff=0.01, radius=2.0, d=3, sigma2=0.5),
    dict(protocol="sphere", eta_eff=0.01, radius=1.0, d=97200, grad_norm_sq=10.0),
])
def test_stationary_equals_cli(cli, args):
    flags = ["--protocol", args["protocol"], "--d", args["d"]]
    names = {"eta": "--eta", "eta_eff": "--eta-eff", "lambda_": "--lambda", "radius": "--radius",
             "sigma2": "--sigma2", "grad_norm_sq": "--grad-norm-sq"}
    for key, flag in names.items():
        if key in args:
            flags += [flag, repr(args[key])]
    py = idealgas.stationary(args["protocol"], **{k: v for k, v in args.items() if k != "protocol"})
    assert_same_json(py, cli_json(cli, "theory", "stationary", *flags))


def test_uniform_equals_cli(cli):
    assert_same_json(idealgas.uniform(1000), cli_json(cli, "theory", "uniform", "--d", 1000))


def test_d3_closed_forms():
    # docs/theory.md §4, d = 3: U = 1 - coth(1/T) + T, S = log(4 pi T sinh(1/T)) - coth(1/T)/T + 1.
    T = 0.37
    v = idealgas.vmf(3, T)
    coth = 1.0 / math.tanh(1.0 / T)
    assert v["U"] == pytest.approx(1.0 - coth + T, rel=1e-14)
    assert v["S_sphere"] == pytest.approx(math.log(4 * math.pi * T * math.sinh(1 / T)) - coth / T + 1, rel=1e-14)
    # Uniform sphere S^2: log(4 pi).
    assert idealgas.uniform_sphere_entropy(3) == pytest.approx(math.log(4 * math.pi), rel=1e-15)
    assert idealgas.gas_constant(24408) == 12203.5


def test_ideal_gas_law_in_the_sde_state():
    # docs/theory.md §3: PV = RT for every protocol's SDE prediction (Z = 1 up to rounding).
    for proto, kw in (("lr", dict(eta=0.05, lambda_=0.01)), ("elr", dict(eta_eff=0.02, lambda_=0.003)),
                      ("sphere", dict(eta_eff=0.004, radius=3.0))):
        s = idealgas.stationary(proto, d=50, sigma2=0.3, **kw)
        assert s["P"] * s["V"] / (s["R"] * s["T"]) == pytest.approx(1.0, abs=1e-14)
        assert s["Z"] == pytest.approx(1.0, abs=1e-14)


def test_errors_are_value_errors_with_the_cli_message(cli):
    with pytest.raises(idealgas.InputError) as e:
        idealgas.stationary("lr", d=3, eta=0.1)
    assert isinstance(e.value, ValueError)
    assert str(e.value) == cli_error(cli, "theory", "stationary", "--protocol", "lr", "--d", 3, "--eta", 0.1)
    with pytest.raises(ValueError) as e:
        idealgas.stationary("gas", d=3, eta=0.1, lambda_=0.1)
    assert str(e.value) == cli_error(cli, "theory", "stationary", "--protocol", "gas", "--d", 3, "--eta", 0.1,
                                     "--lambda", 0.1)
    with pytest.raises(ValueError) as e:
        idealgas.stationary("elr", d=3, eta_eff=0.1, lambda_=-1.0)
    assert str(e.value) == cli_error(cli, "theory", "stationary", "--protocol", "elr", "--d", 3, "--eta-eff", 0.1,
                                     "--lambda", -1)


@pytest.mark.parametrize("call, message", [
    (lambda: idealgas.vmf(1, 0.1), "d must be an integer >= 2 (the sphere S^(d-1) needs d >= 2), got 1"),
    (lambda: idealgas.vmf(3.0, 0.1), "d must be an integer, got 3.0"),
    (lambda: idealgas.vmf(True, 0.1), "d must be an integer, got True"),
    (lambda: idealgas.vmf(2**64, 0.1), "d = 18446744073709551616 is out of range (|value| < 2^63)"),
    (lambda: idealgas.vmf(3, 0.0), "T must be a positive finite number, got 0"),
    (lambda: idealgas.stationary("lr", d=3, eta=math.nan, lambda_=0.1), "eta must be a positive finite number, got nan"),
    (lambda: idealgas.stationary("sphere", d=3, eta_eff=0.1, radius=1.0, lambda_=0.1),
     "--lambda is not used by protocol sphere (it takes --eta-eff and --radius; its pressure is lambda_eff), got 0.1"),
])
def test_bad_arguments(call, message):
    with pytest.raises(idealgas.InputError) as e:
        call()
    assert str(e.value) == message
