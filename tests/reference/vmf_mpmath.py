#!/usr/bin/env python3
"""High-precision references for tests/theory/test_vmf.cpp (exact von Mises-Fisher statistics on S^{d-1}).

Run: /usr/bin/python3 tests/reference/vmf_mpmath.py   (mpmath 1.2.1, 50 significant digits)
Prints C++ initialiser lines {d, T, U, S_sphere, C_V, A} that are pasted into the test.

Method (independent of the C++ code, which sums a Kummer series and a Hankel expansion): the power series of
the modified Bessel function, I_nu(x) = sum_k (x/2)^(nu+2k) / (k! Gamma(nu+k+1)), all terms positive, summed
outward from its largest term; the largest term's logarithm comes from mpmath.loggamma at 50 digits, the
others from exact term ratios. mpmath.besseli itself sums the same series from k = 0 with growing precision
and is too slow for d = 1e6 (it gave up after 10 minutes), so it is used only as a cross-check where it is fast.
Formulas (docs/theory.md §4), kappa = 1/T, nu = d/2 - 1:
  A = I_{nu+1}(kappa)/I_nu(kappa),  U = 1 - A,
  S_sphere = -log C_d(kappa) - kappa A,  log C_d = nu log kappa - (d/2) log(2 pi) - log I_nu(kappa),
  C_V = dU/dT = kappa^2 (1 - A^2 - (d-1) A/kappa).
At 50 digits the cancellations in U (at most 13 digits lost, d = 2 and T = 1e-6) and C_V (at most 13) leave
more than 35 correct digits; the script checks this by recomputing at 70 digits.
"""
import sys

import mpmath as mp

DIMS = [2, 3, 10, 100, 1000, 24408, 1000000]
TEMPS = ["1e-6", "1e-3", "0.05", "1", "30", "1e3"]
TAIL = mp.mpf(10) ** -60  # stop summing when a term is this small relative to the sum


def bessel_series(nu, x):
    """Returns (log I_nu(x), I_{nu+1}(x)/I_nu(x)) from the positive power series, summed from its peak."""
    q = (x / 2) ** 2
    # Terms grow while q > (k+1)(nu+k+1): the peak is at the positive root of k^2 + (nu+2)k + nu+1-q = 0.
    k0 = int(mp.floor(max(mp.mpf(0), (-(nu + 2) + mp.sqrt(nu * nu + x * x)) / 2)))
    log_t0 = (nu + 2 * k0) * mp.log(x / 2) - mp.loggamma(k0 + 1) - mp.loggamma(nu + k0 + 1)
    total = mp.mpf(1)
    ratio_sum = (x / 2) / (nu + k0 + 1)  # I_{nu+1} has terms t_k (x/2)/(nu+k+1)
    w = mp.mpf(1)
    k = k0
    while True:  # upward
        w *= q / ((k + 1) * (nu + k + 1))
        k += 1
        total += w
        ratio_sum += w * (x / 2) / (nu + k + 1)
        if w < TAIL * total and q < (k + 1) * (nu + k + 1):
            break
    w = mp.mpf(1)
    k = k0
    while k > 0:  # downward
        w *= (k * (nu + k)) / q
        k -= 1
        total += w
        ratio_sum += w * (x / 2) / (nu + k + 1)
        if w < TAIL * total:
            break
    return log_t0 + mp.log(total), ratio_sum / total


def vmf(d, T):
    kappa = 1 / mp.mpf(T)
    nu = mp.mpf(d) / 2 - 1
    log_i, A = bessel_series(nu, kappa)
    U = 1 - A
    log_c = nu * mp.log(kappa) - (mp.mpf(d) / 2) * mp.log(2 * mp.pi) - log_i
    S = -log_c - kappa * A
    C_V = kappa ** 2 * (1 - A * A - (d - 1) * A / kappa)
    return U, S, C_V, A


# Points on both sides of the C++ code's internal switches (kept here so the test can say why each is there):
#   Hankel expansion vs Kummer series at kappa = max(50, |nu^2 - 1/4|):   d=2 at 50, d=100 at 2400.75, d=1000 at 249001;
#   direct vs Stirling peak term at a Kummer peak index of 64:            d=10 near kappa 34.6, d=1e6 near kappa 65;
#   A from its own series where U > 1/2:                                   d=2 near T 0.8626, d=10 near T 0.1558.
BOUNDARY = [(2, "0.0201"), (2, "0.0199"), (100, "4.164e-4"), (100, "4.166e-4"), (1000, "4.0159e-6"),
            (1000, "4.0161e-6"), (10, "0.0290"), (10, "0.0285"), (1000000, "0.0153"), (1000000, "0.0160"),
            (2, "0.86"), (2, "0.865"), (10, "0.155"), (10, "0.157")]

# log I_nu(x) at orders that are not of the form d/2 - 1 as well as ones that are.
BESSEL_NU = ["0", "0.3", "1", "2.5", "10.7", "500", "100000"]
BESSEL_X = ["1e-5", "0.5", "7", "100", "1e4", "1e6"]


def fmt(v):
    return mp.nstr(v, 20, min_fixed=-1, max_fixed=1)


def main():
    rows = []
    for d in DIMS:
        for T in TEMPS:
            mp.mp.dps = 50
            U, S, C_V, A = vmf(d, T)
            mp.mp.dps = 70  # self-check: the 50-digit values keep at least 30 digits
            U2, S2, C2, A2 = vmf(d, T)
            for a, b in ((U, U2), (S, S2), (C_V, C2), (A, A2)):
                assert abs(a - b) <= mp.mpf(10) ** -30 * abs(b), (d, T)
            rows.append((d, T, U, S, C_V, A))
            print(f"    {{{d}, {T}, {fmt(U)}, {fmt(S)}, {fmt(C_V)}, {fmt(A)}}},", flush=True)

    print("  // branch boundaries: {d, T, U, S_sphere, C_V, A}")
    for d, T in BOUNDARY:
        mp.mp.dps = 50
        U, S, C_V, A = vmf(d, T)
        print(f"    {{{d}, {T}, {fmt(U)}, {fmt(S)}, {fmt(C_V)}, {fmt(A)}}},", flush=True)
    print("  // log_bessel_i: {nu, x, log I_nu(x)}")
    for nu in BESSEL_NU:
        for x in BESSEL_X:
            mp.mp.dps = 50
            log_i, _ = bessel_series(mp.mpf(nu), mp.mpf(x))
            print(f"    {{{nu}, {x}, {fmt(log_i)}}},", flush=True)

    print("  // uniform_sphere_entropy: {d, log(2 pi^(d/2) / Gamma(d/2))}")
    mp.mp.dps = 50
    for d in DIMS:
        print(f"    {{{d}, {fmt(mp.log(2 * mp.pi ** (mp.mpf(d) / 2) / mp.gamma(mp.mpf(d) / 2)))}}},", flush=True)

    # Cross-checks of the method itself (to stderr): mpmath.besseli where it is fast, and the d = 3 closed forms.
    mp.mp.dps = 50
    for d, T, U, S, C_V, A in rows:
        if d <= 1000 and mp.mpf(T) >= mp.mpf("1e-3"):
            kappa = 1 / mp.mpf(T)
            nu = mp.mpf(d) / 2 - 1
            A_ref = mp.besseli(nu + 1, kappa) / mp.besseli(nu, kappa)
            assert abs(A - A_ref) <= mp.mpf(10) ** -40 * abs(A_ref), (d, T)
        if d == 3:
            t = mp.mpf(T)
            k = 1 / t
            U3 = 1 - mp.coth(k) + t
            S3 = mp.log(4 * mp.pi * t) + k + mp.log(-mp.expm1(-2 * k) / 2) - mp.coth(k) / t + 1
            assert abs(U - U3) <= mp.mpf(10) ** -40 * abs(U3), (d, T)
            assert abs(S - S3) <= mp.mpf(10) ** -40 * max(1, abs(S3)), (d, T)
    print("cross-checks passed (besseli for d <= 1000 and T >= 1e-3, d = 3 closed forms)", file=sys.stderr)


if __name__ == "__main__":
    main()
