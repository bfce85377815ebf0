"""idealgas.Monitor on the isotropic-noise model written as a PyTorch loss, where every measured quantity has a
closed form (docs/theory.md §2-5): L_B(w) = 1 + <mu + sigma xi_B, w/|w|>, xi_B ~ N(0, I_d) fresh every step, whose
gradient (P_w_hat (mu + sigma xi_B))/|w| is exactly the noisy gradient of Eq. 25, so Tr Sigma(w_hat) = sigma^2 (d-1)
and the stationary direction law is the von Mises-Fisher law at T (docs/theory.md §4)."""

import math

import numpy as np
import pytest
import torch

import idealgas


class IsoModel(torch.nn.Module):
    def __init__(self, d, mean_direction, radius=1.0, sigma2=1.0, seed=0):
        super().__init__()
        mu = -torch.tensor(mean_direction, dtype=torch.float64)
        self.mu = mu / mu.norm()  # the stationary law concentrates around -mu
        self.sigma = math.sqrt(sigma2)
        self.w = torch.nn.Parameter(-self.mu * radius)  # start at the stationary radius and direction
        self.gen = torch.Generator().manual_seed(seed)

    def w_hat(self):
        return self.w / self.w.norm()

    def batch_loss(self):
        xi = torch.randn(self.w.shape, generator=self.gen, dtype=torch.float64)
        return 1.0 + torch.dot(self.mu + self.sigma * xi, self.w_hat())

    def full_loss(self):
        return 1.0 + torch.dot(self.mu, self.w_hat())


def train(model, monitor, optimizer, steps, log_every=0):
    for step in range(steps):
        optimizer.zero_grad()
        loss = model.batch_loss()
        loss.backward()
        optimizer.step()
        monitor.step(loss)
        if log_every and (step + 1) % log_every == 0:
            monitor.measure_full_gradient([model.full_loss()])


def test_fixed_elr_matches_the_closed_forms():
    # d = 10, eta_eff = 0.05, sigma^2 = 1: T = eta_eff sigma^2 / 2 = 0.025; lambda = 0.225 puts r*^2 = eta_eff
    # sigma^2 (d-1) / (2 lambda) at 1. The direction relaxes in ~1/eta_eff = 20 steps, the radius (rate
    # eta_eff^2 sigma^2 (d-1)) in ~45.
    d, eta_eff, lam = 10, 0.05, 0.225
    model = IsoModel(d, np.linspace(-1.0, 2.0, d), seed=1)
    opt = torch.optim.SGD([model.w], lr=1.0, weight_decay=lam)
    mon = idealgas.Monitor([model.w], "elr", optimizer=opt, eta_eff=eta_eff, lambda_=lam, queue_size=20)
    train(model, mon, opt, 10000, log_every=100)
    s = mon.summary(start=500)
    T = eta_eff / 2
    vmf = idealgas.vmf(d, T)
    # sigma^2 from E[r^2 |g_B|^2] - |grad L(w_hat)|^2: exact in expectation.
    assert abs(s["sigma2"] - 1.0) < 4 * s["sigma2_se"], (s["sigma2"], s["sigma2_se"])
    assert s["T"] == pytest.approx(T * s["sigma2"], rel=1e-12)
    # The full-gradient term against its VMF value (d-1) A_d(1/T) T (vmf.hpp): 10 %, the O(eta_eff) discretisation.
    assert s["grad_norm_sq"] == pytest.approx(vmf["grad_norm_sq"], rel=0.1)
    # Radius: the discrete-time prediction (App. H) within 4 SE + 0.1 % (mean of r vs the fixed point of r^2).
    r_disc = s["predictions"]["r_discrete"]
    assert abs(s["r_mean"] - r_disc) < 4 * s["r_se"] + 1e-3 * r_disc, (s["r_mean"], s["r_se"], r_disc)
    # U against the exact VMF value: 4 SE + O(eta_eff) for the discrete dynamics (as tests/simulate).
    assert abs(s["U"] - vmf["U"]) < 4 * s["U_se"] + 2 * eta_eff * vmf["U"], (s["U"], s["U_se"], vmf["U"])
    # Z = PV/(RT) = (Tr Sigma + G)/Tr Sigma at the discrete fixed point (App. H).
    z_expected = (r_disc / s["predictions"]["r_sde"]) ** 2
    assert abs(s["Z"] - z_expected) < 4 * s["Z_se"] + 2e-3, (s["Z"], s["Z_se"], z_expected)
    assert s["max_abs_cos_grad_w"] < 1e-12  # the gradient of an SI loss is orthogonal to w
    for name in ("radius", "V", "U", "grad_sq_batch"):
        assert s["series"][name]["reliable"], (name, s["series"][name])
    assert s["grad_norm_sq_source"] == "measured at 95 log point(s)"


def test_sphere_matches_the_closed_forms():
    # d = 3 on the sphere of radius 1, eta_eff = 0.05, sigma^2 = 1: T = 0.025. The mean direction is far from the
    # coordinate singular set (the poles of phi_1, the cut of the last angle), so the paper's coordinates work.
    d, eta_eff, radius = 3, 0.05, 1.0
    model = IsoModel(d, [0.3, 0.5, 0.8], seed=2)
    opt = torch.optim.SGD([model.w], lr=0.0)
    mon = idealgas.Monitor([model.w], "sphere", optimizer=opt, eta_eff=eta_eff, radius=radius, queue_size=300,
                           snapshot_every=40)
    train(model, mon, opt, 12000, log_every=200)
    s = mon.summary(start=0)
    vmf = idealgas.vmf(d, eta_eff / 2)
    assert abs(s["sigma2"] - 1.0) < 4 * s["sigma2_se"], (s["sigma2"], s["sigma2_se"])
    assert abs(s["U"] - vmf["U"]) < 4 * s["U_se"] + 2 * eta_eff * vmf["U"], (s["U"], s["U_se"], vmf["U"])
    # The same from the exact full loss at the 60 log points (no batch noise: a smaller SE).
    assert s["U_full_se"] < s["U_se"]
    assert abs(s["U_full"] - vmf["U"]) < 4 * s["U_full_se"] + 2 * eta_eff * vmf["U"], (s["U_full"], vmf["U"])
    # lambda_eff = (E|w~| - r) / (eta_eff r^3) (Eq. 82) against eta_eff (Tr Sigma + G) / (2 r^2) (App. H).
    pred = s["predictions"]["lambda_eff_discrete"]
    assert abs(s["lambda_eff"] - pred) < 4 * s["lambda_eff_se"], (s["lambda_eff"], s["lambda_eff_se"], pred)
    # Entropy of the direction law against the exact VMF entropy: 3 SE + 0.1 nats (KL bias at N = 300, m = 2, and
    # the O(eta_eff) discretisation).
    assert abs(s["S_sphere"] - vmf["S_sphere"]) < 3 * s["S_sphere_se"] + 0.1, (s["S_sphere"], s["S_sphere_se"],
                                                                                vmf["S_sphere"])
    assert s["S"] == s["S_sphere"]  # log r = 0
    assert s["P"] == s["lambda_eff"] and s["V"] == 0.5 * radius ** 2
    assert s["Z"] == pytest.approx(s["P"] * s["V"] / (s["R"] * s["T"]), rel=1e-12)
    assert "F" in s and "G" not in s
    assert float(model.w.norm()) == pytest.approx(radius, rel=1e-14)
    assert "lambda_eff" in mon.report()


def test_fixed_lr_records_the_gradient_the_step_used():
    # Exact identity (docs/theory.md §5; <g_B, w> = 0): |w_{t+1}|^2 = (1 - eta lambda)^2 |w_t|^2 + eta^2 |g_B|^2.
    eta, lam = 0.1, 0.01
    model = IsoModel(5, [1.0, 2.0, -1.0, 0.5, 1.0], radius=2.0, seed=2)
    opt = torch.optim.SGD([model.w], lr=eta, weight_decay=lam)
    mon = idealgas.Monitor({"w": model.w}, "lr", optimizer=opt, eta=eta, lambda_=lam, queue_size=10)
    train(model, mon, opt, 300)
    h = mon.history()
    predicted = (1 - eta * lam) ** 2 * h["radius_before"] ** 2 + eta ** 2 * h["grad_norm_sq"]
    assert np.allclose(h["radius_after"] ** 2, predicted, rtol=1e-13, atol=0)
    assert np.array_equal(h["radius_before"][1:], h["radius_after"][:-1])
    assert np.all(h["lr"] == eta) and mon.steps == 300 and mon.queue.size == 10
    assert np.all(np.abs(h["cos_grad_w"]) < 1e-12)
    # Without log points the full-gradient term is taken as 0 and the summary says so.
    s = mon.summary()
    assert s["grad_norm_sq"] == 0.0 and "not measured" in s["grad_norm_sq_source"]
    assert s["sigma2"] == pytest.approx(np.mean(h["grad_norm_sq_unit"][150:]) / 4, rel=1e-12)


def test_fixed_elr_sets_the_learning_rate():
    eta_eff, lam = 0.02, 0.01
    model = IsoModel(4, [1.0, 1.0, 1.0, 1.0], radius=1.5, seed=3)
    opt = torch.optim.SGD([model.w], lr=123.0, weight_decay=lam)
    mon = idealgas.Monitor([model.w], "elr", optimizer=opt, eta_eff=eta_eff, lambda_=lam)
    assert opt.param_groups[0]["lr"] == pytest.approx(eta_eff * 1.5 ** 2, rel=1e-14)
    train(model, mon, opt, 50)
    h = mon.history()
    assert np.allclose(h["lr"], eta_eff * h["radius_before"] ** 2, rtol=1e-15)
    assert opt.param_groups[0]["lr"] == pytest.approx(eta_eff * h["radius_after"][-1] ** 2, rel=1e-15)


def test_sphere_projects_and_sets_the_learning_rate():
    eta_eff, radius = 0.05, 2.0
    model = IsoModel(3, [0.3, 0.5, 0.8], radius=3.0, seed=4)  # starts off the sphere: the monitor projects
    opt = torch.optim.SGD([model.w], lr=0.0)
    mon = idealgas.Monitor([model.w], "sphere", optimizer=opt, eta_eff=eta_eff, radius=radius)
    assert float(model.w.norm()) == pytest.approx(radius, rel=1e-15)
    assert opt.param_groups[0]["lr"] == pytest.approx(eta_eff * radius ** 2, rel=1e-15)
    train(model, mon, opt, 20)
    assert float(model.w.norm()) == pytest.approx(radius, rel=1e-14)
    h = mon.history()
    assert np.all(h["radius_after"] > radius)  # before the projection: |w - eta g|^2 = r^2 + eta^2 |g|^2


def test_independent_halves_are_unbiased():
    # <a, b> of two independent gradient estimates is unbiased for |grad L|^2; |a|^2 would add Tr Sigma / n.
    model = IsoModel(6, [1.0, 0.0, 2.0, 0.0, 1.0, 1.0], seed=5)
    with torch.no_grad():
        model.w.add_(torch.tensor([0.5, -0.3, 0.2, 0.4, 0.0, -0.6], dtype=torch.float64))  # off the minimum
    opt = torch.optim.SGD([model.w], lr=0.01, weight_decay=0.01)
    mon = idealgas.Monitor([model.w], "lr", optimizer=opt, eta=0.01, lambda_=0.01)
    exact = mon.measure_full_gradient([model.full_loss()])["grad_norm_sq"]
    est = [mon.measure_full_gradient((model.batch_loss() for _ in range(8)), independent_halves=True)["grad_norm_sq"]
           for _ in range(400)]
    assert abs(np.mean(est) - exact) < 4 * np.std(est) / math.sqrt(len(est)), (np.mean(est), exact)
    assert model.w.grad is None  # autograd.grad leaves .grad alone


def test_setup_errors():
    model = IsoModel(3, [1.0, 1.0, 1.0])
    w = model.w
    cases = [
        (lambda: idealgas.Monitor([w], "gas", optimizer=torch.optim.SGD([w], lr=0.1), eta=0.1, lambda_=0.1),
         "protocol must be one of lr, elr, sphere, got 'gas'"),
        (lambda: idealgas.Monitor([w], "lr", optimizer=torch.optim.SGD([w], lr=0.1), eta=0.1),
         "protocol lr needs eta and lambda_; lambda_ is missing"),
        (lambda: idealgas.Monitor([w], "lr", optimizer=torch.optim.SGD([w], lr=0.1), eta=0.1, lambda_=0.1,
                                  radius=1.0), "radius is not used by protocol lr"),
        (lambda: idealgas.Monitor([w], "lr", optimizer=torch.optim.SGD([w], lr=0.1), eta=-0.1, lambda_=0.1),
         "eta must be a positive finite number, got -0.1"),
        (lambda: idealgas.Monitor([w], "lr", optimizer=torch.optim.Adam([w], lr=0.1), eta=0.1, lambda_=0.1),
         "optimizer is a Adam; the monitor supports plain torch.optim.SGD"),
        (lambda: idealgas.Monitor([w], "lr", optimizer=torch.optim.SGD([w], lr=0.1, momentum=0.9, weight_decay=0.1),
                                  eta=0.1, lambda_=0.1), "momentum=0.9"),
        (lambda: idealgas.Monitor([w], "lr", optimizer=torch.optim.SGD([w], lr=0.1, weight_decay=0.2), eta=0.1,
                                  lambda_=0.1), "weight_decay=0.2; protocol lr needs 0.1"),
        (lambda: idealgas.Monitor([w], "lr", optimizer=torch.optim.SGD([w], lr=0.2, weight_decay=0.1), eta=0.1,
                                  lambda_=0.1), "lr=0.2; protocol lr needs lr == eta = 0.1"),
        (lambda: idealgas.Monitor([w], "sphere", optimizer=torch.optim.SGD([w], lr=0.1, weight_decay=0.1),
                                  eta_eff=0.1, radius=1.0), "weight_decay=0.1; protocol sphere needs 0.0"),
        (lambda: idealgas.Monitor([w], "elr", optimizer=torch.optim.SGD(
            [w, torch.nn.Parameter(torch.ones(2))], lr=0.1, weight_decay=0.1), eta_eff=0.1, lambda_=0.1),
         "also trains 1 tensor(s) that are not in params"),
        (lambda: idealgas.Monitor([w], "lr", optimizer=torch.optim.SGD([torch.nn.Parameter(torch.ones(2))], lr=0.1),
                                  eta=0.1, lambda_=0.1), "params[0] are not in the optimizer"),
        (lambda: idealgas.Monitor([], "lr", optimizer=torch.optim.SGD([w], lr=0.1), eta=0.1, lambda_=0.1),
         "params is empty"),
        (lambda: idealgas.Monitor([w, w], "lr", optimizer=torch.optim.SGD([w], lr=0.1, weight_decay=0.1), eta=0.1,
                                  lambda_=0.1), "params[1] (shape (3,)) is given twice"),
        (lambda: idealgas.Monitor([w], "lr", optimizer=torch.optim.SGD([w], lr=0.1, weight_decay=0.1), eta=0.1,
                                  lambda_=0.1, queue_size=10**9), "lower queue_size"),
        (lambda: idealgas.Monitor([w], "lr", optimizer=torch.optim.SGD([w], lr=0.1, weight_decay=0.1), eta=0.1,
                                  lambda_=0.1, snapshot_every=0), "snapshot_every must be an integer >= 1, got 0"),
    ]
    for call, message in cases:
        with pytest.raises(idealgas.InputError) as e:
            call()
        assert message in str(e.value), (message, str(e.value))


def test_step_errors():
    model = IsoModel(3, [1.0, 1.0, 1.0])
    opt = torch.optim.SGD([model.w], lr=0.1, weight_decay=0.1)
    mon = idealgas.Monitor([model.w], "lr", optimizer=opt, eta=0.1, lambda_=0.1)
    with pytest.raises(idealgas.InputError, match=r"params\[0\] has no .grad; call monitor.step\(\) after"):
        mon.step()
    with pytest.raises(idealgas.InputError, match="summary needs at least 2 recorded steps"):
        mon.summary()
    model.batch_loss().backward()
    opt.step()
    with pytest.raises(idealgas.InputError, match="loss must be a scalar tensor or a number, got str"):
        mon.step("0.5")
    with pytest.raises(idealgas.DivergenceError, match="the loss is inf"):
        mon.step(math.inf)
    opt.param_groups[0]["lr"] = 0.05  # what an LR scheduler would do
    with pytest.raises(idealgas.InputError, match=r"the optimizer's lr = 0.05, weight_decay = 0.1; protocol lr needs "
                                                  r"lr = 0.1, weight_decay = 0.1 \(no LR scheduler"):
        mon.step()
    opt.param_groups[0]["lr"] = 0.1
    with torch.no_grad():
        model.w[0] = math.nan
    with pytest.raises(idealgas.DivergenceError, match="the run diverged") as e:
        mon.step()
    assert isinstance(e.value, RuntimeError)


def _checkpointed_run(protocol, hyper, steps, split, snapshot_every=7, queue_size=12, seed=6):
    """`steps` steps of the isotropic model with log points every 10 steps; with `split`, the model, optimizer,
    generator and monitor are saved after `split` steps (torch.save, as a user's checkpoint), everything is built
    afresh from new objects and loaded, and the run goes on. Returns the monitor's summary and history."""
    import io

    def build():
        model = IsoModel(6, [1.0, -0.5, 0.3, 2.0, 0.7, -1.2], radius=1.3, seed=seed)
        lr = hyper.get("eta", 0.5)
        opt = torch.optim.SGD([model.w], lr=lr, weight_decay=hyper.get("lambda_", 0.0))
        mon = idealgas.Monitor([model.w], protocol, optimizer=opt, queue_size=queue_size,
                               snapshot_every=snapshot_every, **hyper)
        return model, opt, mon

    def run(model, opt, mon, first, last):
        for step in range(first, last):
            opt.zero_grad()
            loss = model.batch_loss()
            loss.backward()
            opt.step()
            mon.step(loss)
            if (step + 1) % 10 == 0:
                mon.measure_full_gradient([model.full_loss()])

    model, opt, mon = build()
    if split is None:
        run(model, opt, mon, 0, steps)
    else:
        run(model, opt, mon, 0, split)
        buffer = io.BytesIO()
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "monitor": mon.state_dict(),
                    "generator": model.gen.get_state()}, buffer)
        del model, opt, mon
        buffer.seek(0)
        saved = torch.load(buffer)
        model, opt, mon = build()  # the monitor first (the sphere projects at construction), then the states
        model.load_state_dict(saved["model"])
        opt.load_state_dict(saved["optimizer"])
        model.gen.set_state(saved["generator"])
        mon.load_state_dict(saved["monitor"])
        run(model, opt, mon, split, steps)
    return mon.summary(start=20), mon.history()


def _same_bits(a, b, path="summary"):
    """Equal values, NaN equal to NaN, floats to the last bit."""
    if isinstance(a, dict):
        assert sorted(a) == sorted(b), path
        for k in a:
            _same_bits(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _same_bits(x, y, f"{path}[{i}]")
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes(), path
    elif isinstance(a, float):
        assert isinstance(b, float) and (a == b or (math.isnan(a) and math.isnan(b))), (path, a, b)
    else:
        assert a == b, (path, a, b)


@pytest.mark.parametrize("protocol,hyper", [("lr", {"eta": 0.1, "lambda_": 0.05}),
                                            ("elr", {"eta_eff": 0.05, "lambda_": 0.2}),
                                            ("sphere", {"eta_eff": 0.05, "radius": 1.0})])
def test_a_checkpointed_run_measures_what_the_whole_run_measures(protocol, hyper):
    # 120 steps, a snapshot every 7 into a queue of 12 (it wraps around before and after the split at step 53,
    # which falls between snapshots and between log points): the summary and every recorded series must be those
    # of the uninterrupted run bit for bit. monitor_seconds and the estimator's timing are running times, not
    # measurements.
    whole, whole_history = _checkpointed_run(protocol, hyper, 120, None)
    split, split_history = _checkpointed_run(protocol, hyper, 120, 53)
    assert whole["S_sphere"] == whole["S_sphere"] and whole["entropy"]["n"] == 12  # the queue full and estimated
    for s in (whole, split):
        s.pop("monitor_seconds")
        s["entropy"].pop("timing")
    _same_bits(whole, split)
    _same_bits(whole_history, split_history, "history")


def test_load_state_dict_refuses_what_does_not_fit():
    model = IsoModel(4, [1.0, 2.0, 3.0, 4.0], seed=7)
    opt = torch.optim.SGD([model.w], lr=0.1, weight_decay=0.01)
    mon = idealgas.Monitor([model.w], "lr", optimizer=opt, eta=0.1, lambda_=0.01, queue_size=5, snapshot_every=2)
    train(model, mon, opt, 9)
    state = mon.state_dict()

    def leaves(x):
        if isinstance(x, dict):
            return [v for k, item in x.items() for v in [k, *leaves(item)]]
        if isinstance(x, list):
            return [v for item in x for v in leaves(item)]
        return [x]

    # Only tensors and plain Python values (what a weights-only torch.load accepts): no NumPy, no classes.
    kinds = {type(v) for v in leaves(state)}
    assert kinds <= {torch.Tensor, int, float, str, bool, type(None)}, kinds
    other = idealgas.Monitor([model.w], "lr", optimizer=opt, eta=0.1, lambda_=0.01, queue_size=6, snapshot_every=2)
    with pytest.raises(idealgas.InputError, match=r"not built as the saved one: queue_size = 5 \(saved\) vs 6"):
        other.load_state_dict(state)
    fresh_model = IsoModel(4, [1.0, 2.0, 3.0, 4.0], seed=7)  # the initial weights, not the checkpoint's
    fresh_opt = torch.optim.SGD([fresh_model.w], lr=0.1, weight_decay=0.01)
    fresh = idealgas.Monitor([fresh_model.w], "lr", optimizer=fresh_opt, eta=0.1, lambda_=0.01, queue_size=5,
                             snapshot_every=2)
    with pytest.raises(idealgas.InputError, match="load the model's state_dict"):
        fresh.load_state_dict(state)
    with pytest.raises(idealgas.InputError, match="not a Monitor state"):
        fresh.load_state_dict({"model": 1})
    assert fresh.steps == 0  # nothing loaded by a refused call


def test_log_is_a_flat_dict_of_the_latest_step():
    eta, lam = 0.1, 0.01
    model = IsoModel(5, [1.0, 2.0, -1.0, 0.5, 1.0], radius=2.0, seed=8)
    opt = torch.optim.SGD([model.w], lr=eta, weight_decay=lam)
    mon = idealgas.Monitor([model.w], "lr", optimizer=opt, eta=eta, lambda_=lam, queue_size=4, snapshot_every=2)
    with pytest.raises(idealgas.InputError, match="log: no step recorded yet"):
        mon.log()
    train(model, mon, opt, 20, log_every=10)
    h = mon.history()
    entry = mon.log()
    assert all(isinstance(v, float) for v in entry.values())
    # The last step's records, exactly (history() holds the same numbers).
    assert entry["step"] == 20.0 and entry["radius"] == h["radius_after"][-1] and entry["lr"] == eta
    assert entry["grad_norm_sq_unit"] == h["grad_norm_sq_unit"][-1] and entry["loss"] == h["loss"][-1]
    assert entry["eta_eff"] == eta / h["radius_before"][-1] ** 2
    assert entry["full_grad_norm_sq"] == h["full_grad_norm_sq"][-1] and entry["full_loss"] == h["full_loss"][-1]
    with_summary = mon.log(summary=True)
    s = mon.summary()
    assert with_summary["summary/T"] == s["T"] and with_summary["summary/S_sphere"] == s["S_sphere"]
    assert "summary/notes" not in with_summary and "summary/window" not in with_summary


def test_the_wrong_call_order_is_refused_with_a_message():
    def setup():
        model = IsoModel(3, [1.0, 1.0, 1.0], seed=9)
        opt = torch.optim.SGD([model.w], lr=0.1, weight_decay=0.1)
        return model, opt, idealgas.Monitor([model.w], "lr", optimizer=opt, eta=0.1, lambda_=0.1)

    # monitor.step() before optimizer.step(): the weights are those the monitor saw last.
    model, opt, mon = setup()
    model.batch_loss().backward()
    with pytest.raises(idealgas.InputError, match=r"step 0: the weights have not changed since the monitor was "
                                                  r"created .* called before optimizer.step\(\)"):
        mon.step()
    opt.step()
    mon.step()  # the right order works on the same gradient
    model.w.grad = None
    model.batch_loss().backward()
    with pytest.raises(idealgas.InputError, match="step 1: the weights have not changed since the previous "
                                                  "monitor.step()"):
        mon.step()
    # zero_grad() between optimizer.step() and monitor.step(): a zero gradient (set_to_none=False; torch >= 2
    # sets None by default, which the 'has no .grad' message covers).
    opt.step()
    opt.zero_grad(set_to_none=False)
    with pytest.raises(idealgas.InputError, match=r"step 1: the gradient of the scale-invariant parameters is "
                                                  r"exactly zero: call monitor.step\(\) right after optimizer.step"):
        mon.step()
    assert mon.steps == 1  # the refused calls recorded nothing


def test_measure_full_gradient_refuses_a_non_finite_loss():
    model = IsoModel(3, [1.0, 1.0, 1.0], seed=10)
    opt = torch.optim.SGD([model.w], lr=0.1, weight_decay=0.1)
    mon = idealgas.Monitor([model.w], "lr", optimizer=opt, eta=0.1, lambda_=0.1)
    nan_loss = model.full_loss() * math.nan
    with pytest.raises(idealgas.DivergenceError, match=r"measure_full_gradient: chunk 1: the loss is nan; a "
                                                       r"non-finite loss has no gradient"):
        mon.measure_full_gradient([model.full_loss(), nan_loss])
    with pytest.raises(idealgas.DivergenceError, match="chunk 0: the loss is inf"):
        mon.measure_full_gradient([model.full_loss() + math.inf], independent_halves=False)
    assert mon.history()["full_step"].size == 0  # nothing recorded
    assert math.isfinite(mon.measure_full_gradient([model.full_loss()])["grad_norm_sq"])


def test_the_queue_holds_the_last_snapshots_however_often_it_is_read():
    # Snapshots reach the entropy queue when an estimate is asked for. Whether it is read after every snapshot,
    # now and then, or only at the end, its estimate must equal idealgas.entropy() of the last queue_size
    # snapshots, oldest first, bit for bit (SnapshotQueue's contract), here taken by hand from the weights.
    for read_every in (1, 4, None):
        model = IsoModel(5, [1.0, 2.0, -1.0, 0.5, 1.0], seed=11)
        opt = torch.optim.SGD([model.w], lr=0.05, weight_decay=0.1)
        mon = idealgas.Monitor([model.w], "lr", optimizer=opt, eta=0.05, lambda_=0.1, queue_size=6, snapshot_every=3)
        rows = []
        for step in range(40):
            opt.zero_grad()
            model.batch_loss().backward()
            opt.step()
            mon.step()
            if (step + 1) % 3 == 0:
                rows.append(model.w.detach().numpy().copy())
                if read_every and len(rows) % read_every == 0 and len(rows) >= 2:
                    assert mon.queue.size == min(len(rows), 6)
        expected = idealgas.entropy(np.array(rows[-6:]))
        got = mon.queue.estimate()
        # Read only at the end, the 7 snapshots that left before were never pushed.
        assert len(rows) == 13 and mon.queue.pushes == (6 if read_every is None else 13)
        for key in ("spherical_entropy", "total_entropy", "se", "adjacent_nn_fraction"):
            assert got[key] == expected[key], (read_every, key, got[key], expected[key])
