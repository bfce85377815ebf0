"""idealgas.Monitor on the isotropic-noise model written as a PyTorch loss, where every measured quantity has a
closed form (theory.md §2-5): L_B(w) = 1 + <mu + sigma xi_B, w/|w|>, xi_B ~ N(0, I_d) fresh every step, whose
gradient (P_w_hat (mu + sigma xi_B))/|w| is exactly the noisy gradient of Eq. 25, so Tr Sigma(w_hat) = sigma^2 (d-1)
and the stationary direction law is the von Mises-Fisher law at T (theory.md §4)."""

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
    # Exact identity (theory.md §5, gradient orthogonal to w): |w_{t+1}|^2 = (1 - eta lambda)^2 |w_t|^2 + eta^2 |g_B|^2.
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
