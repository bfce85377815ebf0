"""Means of correlated time series with honest standard errors.

Consecutive SGD iterates are correlated, so ``sd/sqrt(n)`` understates the error of a time average. Here the
integrated autocorrelation time ``tau`` is measured (Sokal's automatic window: the smallest window ``M`` with
``M >= 5 tau(M)``; A. Sokal, "Monte Carlo methods in statistical mechanics", 1997, §3), the series is cut into
contiguous blocks of ``block_factor * tau`` samples (5 by default: the batch-means variance is then biased low by
about ``tau/block``, i.e. under 20 %, and falls with longer blocks), and the standard error is the spread of the
block means over ``sqrt(n_blocks)``. The effective sample size is ``n / tau``. With fewer than
``MIN_BLOCKS`` blocks the error of the error is large; :func:`series_mean` says so in ``reliable``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Blocks are this many autocorrelation times long.
BLOCK_FACTOR = 5.0
#: Sokal's window constant: the autocorrelation sum stops at the first lag M >= WINDOW_C * tau(M).
WINDOW_C = 5.0
#: Fewer blocks than this leave the standard error itself uncertain by more than ~25 %: flagged unreliable.
MIN_BLOCKS = 10


@dataclass(frozen=True)
class SeriesMean:
    """Mean of a correlated series with its batch-means standard error."""

    mean: float
    se: float  # standard error of the mean (NaN with fewer than 2 blocks)
    n: int  # samples
    tau: float  # integrated autocorrelation time, in samples (1 for independent samples)
    ess: float  # effective sample size n / tau
    block: int  # samples per block
    n_blocks: int  # blocks used for the standard error
    reliable: bool  # at least MIN_BLOCKS blocks

    def as_dict(self) -> dict:
        return {
            "mean": self.mean,
            "se": self.se,
            "n": self.n,
            "tau": self.tau,
            "ess": self.ess,
            "block": self.block,
            "n_blocks": self.n_blocks,
            "reliable": self.reliable,
        }


def autocorrelation_time(x) -> float:
    """Integrated autocorrelation time ``1 + 2 sum_t rho(t)`` of a 1-D series, Sokal's automatic window.

    Returns 1.0 for a constant series and NaN for fewer than 2 samples.
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    n = x.size
    if n < 2:
        return math.nan
    if not np.all(np.isfinite(x)):
        raise ValueError("autocorrelation_time: the series holds NaN or Inf")
    y = x - x.mean()
    var = float(np.dot(y, y)) / n
    if var == 0.0:
        return 1.0
    # Autocovariance by FFT, zero-padded to avoid wrap-around (2n rounded up to a power of two).
    size = 1 << (2 * n - 1).bit_length()
    f = np.fft.rfft(y, size)
    acov = np.fft.irfft(f * np.conjugate(f), size)[:n] / n
    rho = acov / acov[0]
    tau = 1.0
    for m in range(1, n):
        tau += 2.0 * rho[m]
        if m >= WINDOW_C * tau:
            break
    return max(tau, 1.0)  # anti-correlated series: the blocks of one sample are already independent


def series_mean(x, *, block_factor: float = BLOCK_FACTOR) -> SeriesMean:
    """Mean, batch-means standard error over blocks of ``block_factor * tau`` samples, tau and the ESS."""
    x = np.asarray(x, dtype=np.float64).ravel()
    n = x.size
    if n == 0:
        return SeriesMean(math.nan, math.nan, 0, math.nan, 0.0, 0, 0, False)
    mean = float(x.mean())
    if n == 1:
        return SeriesMean(mean, math.nan, 1, math.nan, 1.0, 1, 1, False)
    tau = autocorrelation_time(x)
    block = max(1, int(math.ceil(block_factor * tau)))
    n_blocks = n // block
    if n_blocks < 2:
        return SeriesMean(mean, math.nan, n, tau, n / tau, block, n_blocks, False)
    # The first n - n_blocks * block samples are left out of the blocks (the oldest: the series' start is the
    # part most likely to be still relaxing); the mean uses all samples.
    blocks = x[n - n_blocks * block:].reshape(n_blocks, block).mean(axis=1)
    se = float(blocks.std(ddof=1) / math.sqrt(n_blocks))
    return SeriesMean(mean, se, n, tau, n / tau, block, n_blocks, n_blocks >= MIN_BLOCKS)
