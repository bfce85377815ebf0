"""idealgas.series_mean / autocorrelation_time on AR(1) series, whose autocorrelation time is known:
x_t = phi x_{t-1} + e_t has rho(t) = phi^t and tau = 1 + 2 sum_t phi^t = (1 + phi) / (1 - phi)."""

import math

import numpy as np
import pytest

import idealgas


def ar1(phi, n, replicas, seed):
    rng = np.random.default_rng(seed)
    e = rng.standard_normal((n, replicas))
    x = np.empty((n, replicas))
    x[0] = e[0] / math.sqrt(1.0 - phi * phi)  # stationary start
    for t in range(1, n):
        x[t] = phi * x[t - 1] + e[t]
    return x


@pytest.mark.parametrize("phi", [0.0, 0.5, 0.9])
def test_tau_and_coverage(phi):
    x = ar1(phi, 20000, 60, seed=int(phi * 10) + 1)
    fits = [idealgas.series_mean(x[:, j]) for j in range(x.shape[1])]
    tau_true = (1 + phi) / (1 - phi)
    taus = np.array([f.tau for f in fits])
    assert abs(taus.mean() / tau_true - 1) < 0.1, (taus.mean(), tau_true)
    # The true mean is 0: mean / se is ~N(0, 1) if the SE is honest (its sd within [0.75, 1.3] for 60 replicas).
    z = np.array([f.mean / f.se for f in fits])
    assert 0.75 < z.std() < 1.3, z.std()
    f = fits[0]
    assert f.block >= 5 * f.tau and f.n_blocks == 20000 // f.block and f.reliable
    assert f.ess == pytest.approx(20000 / f.tau)
    # The naive sd/sqrt(n) understates the error by sqrt(tau).
    naive = x[:, 0].std(ddof=1) / math.sqrt(20000)
    if phi >= 0.5:
        assert f.se > 1.5 * naive


def test_edge_cases():
    assert idealgas.autocorrelation_time(np.ones(100)) == 1.0
    assert math.isnan(idealgas.autocorrelation_time([1.0]))
    s = idealgas.series_mean([2.0])
    assert s.mean == 2.0 and math.isnan(s.se) and not s.reliable
    short = idealgas.series_mean(ar1(0.99, 300, 1, seed=3)[:, 0])  # tau ~ 200 > n / 10: too short
    assert not short.reliable
    with pytest.raises(ValueError):
        idealgas.autocorrelation_time([1.0, np.nan, 2.0])
