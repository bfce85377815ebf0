"""idealgas.entropy on NumPy arrays: the CLI's numbers bit for bit, every layout, every option, the GIL released."""

import math
import threading
import time

import numpy as np
import pytest

import idealgas
from conftest import assert_same_json, cli_error, cli_json

# The CLI's JSON carries the file name and wall times; everything else must be equal.
SKIP = ("file", "timing")


def vmf_like(n, d, seed, kappa=5.0):
    """Rows concentrated around a random direction (a spread the spherical estimate handles at any d)."""
    rng = np.random.default_rng(seed)
    mean = rng.standard_normal(d)
    mean /= np.linalg.norm(mean)
    x = mean + rng.standard_normal((n, d)) / math.sqrt(kappa * d)
    return x * rng.uniform(0.5, 2.0, size=(n, 1))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("options, flags", [
    ({}, []),
    ({"k": 3, "exclude_window": 2}, ["--k", 3, "--exclude-window", 2]),
    ({"euclidean": True, "precision": "float64"}, ["--euclidean", "--precision", "float64"]),
    ({"rotate": True, "se_batches": 7}, ["--rotate", "--se-batches", 7]),
    ({"naive": True, "rows": "10:150"}, ["--naive", "--rows", "10:150"]),
])
def test_equals_cli_bitwise(cli, tmp_path, dtype, options, flags):
    x = vmf_like(200, 37, seed=1).astype(dtype)
    path = tmp_path / "x.npy"
    np.save(path, x)
    expected = cli_json(cli, "entropy", path, *flags)
    got = idealgas.entropy(x, **options)
    assert_same_json(got, expected, skip=SKIP)
    assert got["dtype"] == ("<f4" if dtype == np.float32 else "<f8")


@pytest.mark.parametrize("options, flags", [({}, []), ({"rows": "5:120", "k": 2}, ["--rows", "5:120", "--k", 2]),
                                            ({"budget_mb": 10.5}, ["--budget-mb", 10.5])])
def test_entropy_file_equals_cli(cli, tmp_path, options, flags):
    x = vmf_like(200, 5000, seed=8).astype(np.float32)
    path = tmp_path / "x.npy"
    np.save(path, x)
    expected = cli_json(cli, "entropy", path, *flags)
    got = idealgas.entropy_file(path, **options)
    assert got["file"] == str(path)
    # How the work was split depends on the threads (the plan reserves memory per thread; importing torch changes
    # OpenMP's thread count in this process): compare what was computed, not how.
    how = ("mode", "io_cols", "mean_candidates", "exact_pairs") if "budget_mb" in options else ()
    assert_same_json(got, expected, skip=("timing",) + how)


def test_entropy_file_errors(cli, tmp_path):
    missing = tmp_path / "missing.npy"
    with pytest.raises(idealgas.IoError) as e:
        idealgas.entropy_file(missing)
    assert isinstance(e.value, OSError)
    assert str(e.value) == cli_error(cli, "entropy", missing)
    bad = tmp_path / "bad.npy"
    bad.write_bytes(b"\x93NUMPY\x01\x00" + b"x" * 20)
    with pytest.raises(idealgas.IoError) as e:
        idealgas.entropy_file(bad)
    assert str(e.value) == cli_error(cli, "entropy", bad)
    three = tmp_path / "three.npy"
    np.save(three, np.ones((2, 2, 2)))
    with pytest.raises(idealgas.InputError) as e:
        idealgas.entropy_file(three)
    assert str(e.value) == cli_error(cli, "entropy", three)
    ok = tmp_path / "ok.npy"
    np.save(ok, vmf_like(20, 4, seed=9))
    with pytest.raises(idealgas.InputError) as e:
        idealgas.entropy_file(ok, rows="30:")
    assert str(e.value) == cli_error(cli, "entropy", ok, "--rows", "30:")
    with pytest.raises(TypeError, match="got an unexpected keyword argument 'kk'"):
        idealgas.entropy_file(ok, kk=2)
    with pytest.raises(TypeError, match=r"takes 1 positional argument but 2 were given"):
        idealgas.entropy(np.ones((3, 3)), 2)
    with pytest.raises(idealgas.InputError, match="path must be a str or path-like, got 3"):
        idealgas.entropy_file(3)


def test_streamed_file_equals_array_in_memory(cli, tmp_path):
    # Under a small budget the CLI reads the file twice in column blocks; the array held in memory gives the same
    # bits (docs/entropy.md: every mode and block size gives the same result).
    x = vmf_like(200, 5000, seed=7).astype(np.float32)
    path = tmp_path / "x.npy"
    np.save(path, x)
    expected = cli_json(cli, "entropy", path, "--budget-mb", 10.5)
    assert expected["mode"] == "stream"
    got = idealgas.entropy(x)
    assert got["mode"] == "memory"
    assert_same_json(got, expected, skip=SKIP + ("mode", "io_cols", "budget_mb", "mean_candidates", "exact_pairs"))


def test_layouts_give_the_same_bits():
    x = vmf_like(120, 16, seed=2)
    ref = idealgas.entropy(x)["total_entropy"]
    assert idealgas.entropy(np.asfortranarray(x))["total_entropy"] == ref
    wide = np.zeros((240, 40))
    wide[::2, 3:19] = x  # a strided view: every other row, a column window
    assert idealgas.entropy(wide[::2, 3:19])["total_entropy"] == ref
    assert idealgas.entropy(x[::-1])["total_entropy"] == idealgas.entropy(x[::-1].copy())["total_entropy"]
    # float32 is widened exactly: equal to the float64 array of the same values, in either order.
    x32 = x.astype(np.float32)
    widened = idealgas.entropy(x32.astype(np.float64))["total_entropy"]
    assert idealgas.entropy(x32)["total_entropy"] == widened
    assert idealgas.entropy(np.asfortranarray(x32))["total_entropy"] == widened
    # rows as a slice, a string and by slicing the array give the same numbers.
    a = idealgas.entropy(x, rows=slice(20, 90))
    b = idealgas.entropy(x, rows="20:90")
    c = idealgas.entropy(x[20:90])
    assert a["total_entropy"] == b["total_entropy"] == c["total_entropy"]
    assert a["first_row"] == 20 and c["first_row"] == 0 and a["n"] == 70


def test_gaussian_closed_form():
    # docs/theory.md §5: the KL estimate of N(0, s^2 I_m) tends to (m/2) log(2 pi e s^2); small m, large N.
    m, s = 2, 0.7
    x = np.random.default_rng(3).normal(0.0, s, size=(4000, m))
    r = idealgas.entropy(x, euclidean=True)
    exact = 0.5 * m * math.log(2 * math.pi * math.e * s * s)
    assert abs(r["total_entropy"] - exact) < 4 * r["se"], (r["total_entropy"], exact, r["se"])
    # Scaling every sample by c shifts the estimate by exactly m log c (up to rounding).
    r2 = idealgas.entropy(3.0 * x, euclidean=True)
    assert r2["total_entropy"] - r["total_entropy"] == pytest.approx(m * math.log(3.0), abs=1e-12)


def test_per_sample_terms_average_to_the_estimate():
    x = vmf_like(150, 8, seed=4)
    r = idealgas.entropy(x, per_sample=True)
    ps = r["per_sample"]
    assert ps["terms"].shape == (150,) and ps["radius"].shape == (150,)
    assert np.mean(ps["terms"]) == pytest.approx(r["spherical_entropy"], rel=1e-12)
    assert np.allclose(ps["radius"], np.linalg.norm(x, axis=1), rtol=1e-15)


def test_gil_is_released():
    # While the estimate runs in another thread, this thread keeps running Python code in the middle of it; with
    # the GIL held it could only run before and after the call.
    x = vmf_like(1500, 3000, seed=5)
    done = threading.Event()
    span = {}

    def work():
        span["start"] = time.perf_counter()
        idealgas.entropy(x, naive=True)
        span["end"] = time.perf_counter()
        done.set()

    t = threading.Thread(target=work)
    stamps, ticks = [], 0
    t.start()
    while not done.is_set():
        ticks += 1
        if ticks % 64 == 0:
            stamps.append(time.perf_counter())
    t.join()
    length = span["end"] - span["start"]
    assert length > 0.05, "the estimate was too quick to tell"
    middle = [s for s in stamps if span["start"] + 0.25 * length < s < span["end"] - 0.25 * length]
    assert len(middle) > 10, (len(middle), length)


def test_errors(cli, tmp_path):
    x = vmf_like(50, 5, seed=6)
    path = tmp_path / "x.npy"
    np.save(path, x)
    # Bad option values: one line naming the option and the value. (The CLI refuses them earlier, while parsing
    # its flags as written, so its lines name the flag instead: "--k '0': expected an integer from 1 to 10".)
    for options, expected in (({"k": 0}, "k = 0"), ({"precision": "half"}, "half"), ({"se_batches": 1}, "1")):
        with pytest.raises(idealgas.InputError) as e:
            idealgas.entropy(x, **options)
        assert expected in str(e.value) and "\n" not in str(e.value)
    bad = [
        (lambda: idealgas.entropy(x.astype(np.int64)), "X has dtype int64 ('<i8'); expected float32 or float64"),
        (lambda: idealgas.entropy(x.astype(">f8")), "X has dtype float64 ('>f8'); expected float32 or float64"),
        (lambda: idealgas.entropy(x[0]), "X must be a 2-D array [n_samples, dim], got shape (5,)"),
        (lambda: idealgas.entropy(x.tolist()), "X must be a numpy array [n_samples, dim] of float32 or float64, got a list"),
        (lambda: idealgas.entropy(x, k=1.0), "k must be an integer, got 1.0"),
        (lambda: idealgas.entropy(x, exclude_window=-1), "exclude_window must be >= 0, got -1"),
        (lambda: idealgas.entropy(x, budget_mb=1e-9), "budget_mb = 1e-09 is less than one byte"),
        (lambda: idealgas.entropy(x, budget_mb=math.inf), "budget_mb must be a finite number >= 0"),
        (lambda: idealgas.entropy(x, budget_mb="1"), "budget_mb must be a number, got '1'"),
        (lambda: idealgas.entropy(x, precision=32), "precision must be a string, got 32"),
        (lambda: idealgas.entropy(x, euclidean=1), "euclidean must be True or False, got 1"),
        (lambda: idealgas.entropy(x, rotate=True, euclidean=True), "rotate applies to the spherical estimate"),
        (lambda: idealgas.entropy(x, rows="3:3"), "rows '3:3': expected A < B"),
        (lambda: idealgas.entropy(x, rows="a:3"), "rows 'a:3': expected 'A:B' with row numbers"),
        (lambda: idealgas.entropy(x, rows=slice(-5, None)), "negative indices are not accepted"),
        (lambda: idealgas.entropy(x, rows=slice(0, 10, 2)), "expected a step of 1"),
        (lambda: idealgas.entropy(x, rows="60:"), "rows: first row 60 is past the last row (X has 50 rows)"),
        (lambda: idealgas.entropy(x, rows="0:51"), "rows [0, 51) asked, X has 50 rows"),
        (lambda: idealgas.entropy(np.vstack([x, [[np.nan] * 5]])), "row 50 column 0 is nan; expected finite values"),
        (lambda: idealgas.entropy(np.zeros((5, 5))), "row 0 is zero (all 5 coordinates are 0)"),
    ]
    for call, message in bad:
        with pytest.raises(idealgas.InputError) as e:
            call()
        assert message in str(e.value)
        assert "\n" not in str(e.value)
