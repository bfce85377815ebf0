"""idealgas.SnapshotQueue: the incremental queue equals idealgas.entropy() on its rows, oldest first."""

import numpy as np
import pytest

import idealgas

KEYS = ("spherical_entropy", "total_entropy", "angle_entropy", "mean_log_jacobian", "mean_radius", "se",
        "total_se", "se_iid", "adjacent_nn_fraction", "duplicates", "n", "n_distinct")


@pytest.mark.parametrize("options", [{}, {"k": 2, "exclude_window": 3}, {"euclidean": True}])
def test_queue_equals_entropy_after_wraparound(options):
    rng = np.random.default_rng(11)
    rows = np.cumsum(rng.standard_normal((130, 9)), axis=0) + 5.0  # a drifting walk, like a trajectory
    q = idealgas.SnapshotQueue(50, 9, **options)
    for r in rows:
        q.push(r)
    assert q.size == len(q) == 50 and q.pushes == 130 and q.capacity == 50 and q.dim == 9
    got = q.estimate()
    want = idealgas.entropy(rows[-50:], **options)
    for key in KEYS:
        if want[key] is None:
            assert got[key] is None
        else:
            assert got[key] == want[key] or (np.isnan(got[key]) and np.isnan(want[key])), key
    assert got["mode"] == "queue"


def test_float32_push_is_widened_exactly():
    rows = np.random.default_rng(12).standard_normal((20, 6)).astype(np.float32)
    a, b = idealgas.SnapshotQueue(20, 6), idealgas.SnapshotQueue(20, 6)
    for r in rows:
        a.push(r)
        b.push(r.astype(np.float64))
    assert a.estimate()["total_entropy"] == b.estimate()["total_entropy"]
    c = idealgas.SnapshotQueue(20, 6)
    for r in np.asfortranarray(rows.T.copy()).T:  # strided rows (a column of the transposed array)
        c.push(r)
    assert c.estimate()["total_entropy"] == a.estimate()["total_entropy"]


def test_per_sample():
    q = idealgas.SnapshotQueue(10, 4)
    for r in np.random.default_rng(13).standard_normal((10, 4)):
        q.push(r)
    e = q.estimate(per_sample=True)
    assert e["per_sample"]["terms"].shape == (10,)
    assert np.mean(e["per_sample"]["terms"]) == pytest.approx(e["spherical_entropy"], rel=1e-12)


def test_errors_leave_the_queue_unchanged():
    q = idealgas.SnapshotQueue(5, 3)
    q.push(np.array([1.0, 2.0, 3.0]))
    cases = [
        (lambda: q.push(np.array([1.0, np.inf, 3.0])), "push 1 has inf in column 1; expected finite values"),
        (lambda: q.push(np.array([1.0, 0.0, 0.0])), "push 1 lies on the coordinate singular set"),
        (lambda: q.push(np.ones(4)), "push expects a 1-D array of dim = 3 values, got 1 dimension(s) of 4 values"),
        (lambda: q.push(np.ones((1, 3))), "push expects a 1-D array of dim = 3 values, got 2 dimension(s)"),
        (lambda: q.push(np.ones(3, dtype=np.int32)), "push of dtype int32 ('<i4')"),
        (lambda: q.push([1.0, 2.0, 3.0]), "push expects a 1-D numpy array of dim = 3 values, got a list"),
        (lambda: q.estimate(), "snapshot queue: 1 row(s); the entropy needs at least 2"),
        (lambda: q.estimate(per_sample="yes"), "per_sample must be True or False, got 'yes'"),
        (lambda: idealgas.SnapshotQueue(1, 3), "capacity 1; expected at least 2"),
        (lambda: idealgas.SnapshotQueue(5, 1), "dim 1; expected at least 2"),
        (lambda: idealgas.SnapshotQueue(-5, 3), "capacity -5; expected at least 2"),
        (lambda: idealgas.SnapshotQueue(2**33, 2**31), "need more than 2^64 bytes"),
        (lambda: idealgas.SnapshotQueue(5, 3, k=11), "k = 11; expected 1 <= k <= 10"),
        (lambda: idealgas.SnapshotQueue(5, 3.0), "dim must be an integer, got 3.0"),
    ]
    for call, message in cases:
        with pytest.raises(idealgas.InputError) as e:
            call()
        assert message in str(e.value)
    assert q.size == 1 and q.pushes == 1
