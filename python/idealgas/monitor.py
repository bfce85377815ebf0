"""The ideal-gas measurements of docs/theory.md §3 and §5 for a scale-invariant model trained in the user's own
PyTorch loop with plain ``torch.optim.SGD``.

Use (the order matters: the monitor reads the gradient the step used and the weights the step produced)::

    si = idealgas.find_scale_invariant_params(model)          # or the list of SI parameters
    opt = torch.optim.SGD(si, lr=eta, weight_decay=lam)        # momentum 0, weight decay coupled
    mon = idealgas.Monitor(si, "lr", optimizer=opt, eta=eta, lambda_=lam)
    for x, y in batches:
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        mon.step(loss)                                         # after every step
    print(mon.report())                                        # T, P, V, sigma^2, S, Z, predictions

Checkpoints: save ``mon.state_dict()`` with the model's and the optimizer's; to resume, build the monitor as
before, load the model's and the optimizer's state, then ``mon.load_state_dict(saved)``: the measurements go on
as if the run had not stopped (the summary is bitwise that of the run without the interruption). Loggers:
``mon.log()`` is a flat ``{name: float}`` dict of the latest step (TensorBoard, W&B, print).

What it assumes and how it measures (docs/python.md has the long form):

* ``params`` are jointly scale-invariant (``L(c w) = L(w)`` for ``c > 0``; check with
  :func:`idealgas.check_scale_invariance`) and are treated as one sphere of dimension ``d`` (their total size).
* Protocols (docs/theory.md §2): ``'lr'`` SGD with ``lr = eta`` and ``weight_decay = lambda_``; ``'elr'`` the monitor
  sets ``lr = eta_eff * |w|^2`` before every step (at construction and after each step), ``weight_decay =
  lambda_``; ``'sphere'`` ``lr = eta_eff * radius^2``, ``weight_decay = 0``, and the monitor projects the weights
  back onto the sphere of radius ``radius`` after every step (and once at construction).
* ``step()`` reads ``p.grad`` after ``optimizer.step()``: torch's SGD adds the weight decay out of place, so
  ``p.grad`` is still the mini-batch gradient ``g_B`` at the pre-step weights, the one the step used. Do not zero
  the gradients, clip them after the step, or touch the weights between ``optimizer.step()`` and ``step()``.
  A call before ``optimizer.step()`` (weights unchanged since the previous call) or after ``zero_grad()`` (no
  gradient, or a zero one) is refused with a message saying so.
* Per step it records the radius, ``|g_B|^2``, the batch loss (if given), ``cos(g_B, w)`` (0 for SI parameters),
  and on the sphere the pre-projection norm; every ``snapshot_every`` steps the weights go into a ring of the last
  ``queue_size`` snapshots, which enter the entropy queue (:attr:`Monitor.queue`, an
  :class:`idealgas.SnapshotQueue`) when an estimate is asked for.
* ``sigma^2 = Tr Sigma(w_hat)/(d-1)`` with ``Tr Sigma + |grad L(w_hat)|^2 = E[r^2 |g_B|^2]`` over the steps
  (exact in expectation: every step's gradient is an unbiased draw at its own point) minus the full-gradient
  term ``E|grad L(w_hat)|^2`` from :meth:`Monitor.measure_full_gradient` at log points. Without those the
  full-gradient term is taken as 0 (an upper bound on sigma^2, flagged in the summary). The discrete-time
  predictions (App. H) need only the sum, so they are exact either way.
* Standard errors: batch means over blocks of 5 autocorrelation times (:mod:`idealgas.stats`), with the
  effective sample sizes; the entropy's SE is the estimator's (batch means over the queue) with the
  autocorrelation time of its per-sample terms beside it.
"""

from __future__ import annotations

import math
import os
import time
from typing import Iterable, Optional

import numpy as np
import torch

from . import _core
from .stats import series_mean

_PROTOCOLS = ("lr", "elr", "sphere")
# Hyperparameters each protocol takes (docs/theory.md §2).
_NEEDS = {"lr": ("eta", "lambda_"), "elr": ("eta_eff", "lambda_"), "sphere": ("eta_eff", "radius")}
# The snapshot queue may take at most this share of the physical memory.
_QUEUE_MEMORY_SHARE = 0.5


def _positive(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _core.InputError(f"{name} must be a positive finite number, got {value!r}")
    v = float(value)
    if not (math.isfinite(v) and v > 0.0):
        raise _core.InputError(f"{name} must be a positive finite number, got {value!r}")
    return v


def _count(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _core.InputError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise _core.InputError(f"{name} must be an integer >= {minimum}, got {value}")
    return value


def _physical_memory_bytes() -> Optional[int]:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return None


class Monitor:
    """Ideal-gas measurements of one training run; call :meth:`step` after every ``optimizer.step()``.

    Args:
        params: the scale-invariant parameters (an iterable of tensors, or a dict name -> tensor), one sphere.
        protocol: ``'lr'`` (needs ``eta``, ``lambda_``), ``'elr'`` (``eta_eff``, ``lambda_``) or ``'sphere'``
            (``eta_eff``, ``radius``).
        optimizer: the ``torch.optim.SGD`` that trains ``params`` (checked: momentum 0, no Nesterov, not
            maximising, the protocol's weight decay and, for ``'lr'``, ``lr == eta``; for ``'elr'`` and
            ``'sphere'`` the monitor sets the learning rate of the groups holding ``params``, which must then
            hold no other trainable tensor).
        queue_size: snapshots in the entropy queue (memory: ``queue_size * (d + queue_size)`` doubles, plus
            ``queue_size * d`` values of the weights' dtype for the raw rows that checkpoints save).
        snapshot_every: steps between two snapshots (the paper: 25; see the adjacency warning in docs/theory.md §5).
        entropy_k, exclude_window: options of the entropy estimate (as :func:`idealgas.entropy`).
    """

    def __init__(self, params, protocol: str, *, optimizer: torch.optim.Optimizer, eta=None, eta_eff=None,
                 lambda_=None, radius=None, queue_size: int = 1000, snapshot_every: int = 25,
                 entropy_k: int = 1, exclude_window: int = 0):
        if protocol not in _PROTOCOLS:
            raise _core.InputError(f"protocol must be one of lr, elr, sphere, got {protocol!r}")
        self.protocol = protocol
        given = {"eta": eta, "eta_eff": eta_eff, "lambda_": lambda_, "radius": radius}
        for name, value in given.items():
            if name in _NEEDS[protocol]:
                if value is None:
                    raise _core.InputError(f"protocol {protocol} needs {' and '.join(_NEEDS[protocol])}; "
                                           f"{name} is missing")
                given[name] = _positive(name, value)
            elif value is not None:
                raise _core.InputError(f"{name} is not used by protocol {protocol} (it takes "
                                       f"{' and '.join(_NEEDS[protocol])}), got {value!r}")
        self.eta, self.eta_eff = given["eta"], given["eta_eff"]
        self.lambda_, self.radius = given["lambda_"], given["radius"]

        self.params = self._check_params(params)
        self.d = sum(p.numel() for p in self.params)
        if self.d < 2:
            raise _core.InputError(f"the scale-invariant parameters hold {self.d} value(s); a sphere needs d >= 2")
        self.R = _core.gas_constant(self.d)
        self.optimizer = optimizer
        # Indices, not the group dicts: optimizer.load_state_dict() replaces the dicts (a checkpoint's resume).
        self._group_indices = self._check_optimizer(optimizer)

        self.queue_size = _count("queue_size", queue_size, 2)
        self.snapshot_every = _count("snapshot_every", snapshot_every, 1)
        # The snapshots' dtype: float64 when any parameter is, else float32 (half-precision weights widened).
        self._snapshot_dtype = (torch.float64 if any(p.dtype == torch.float64 for p in self.params)
                                else torch.float32)
        row_bytes = 8 if self._snapshot_dtype == torch.float64 else 4
        memory = _physical_memory_bytes()
        # The queue's angles and distances in doubles, plus the raw rows kept for state_dict() (as the trainer's
        # checkpoint keeps them: the distance table is rebuilt from them on load, which gives the same bits).
        need = self.queue_size * (self.d + self.queue_size) * 8 + self.queue_size * self.d * row_bytes
        if memory is not None and need > _QUEUE_MEMORY_SHARE * memory:
            raise _core.InputError(
                f"queue_size = {self.queue_size} snapshots of d = {self.d} need {need / 2**30:.1f} GiB, more than "
                f"half the memory ({memory / 2**30:.1f} GiB); lower queue_size")
        self.entropy_k, self.exclude_window = entropy_k, exclude_window
        # The snapshots: raw rows in a ring (what state_dict() saves), pushed into the entropy queue only when an
        # estimate is asked for (the `queue` property). A push costs O(queue_size * d) (46-58 ms at d = 54,272 and
        # 1000 rows, memory-bound), more than a small model's training steps between two snapshots; a row that
        # leaves the ring before any estimate needs no push at all. The queue's estimate depends only on its rows,
        # oldest first, so it is the same bits either way.
        self._queue = _core.SnapshotQueue(self.queue_size, self.d, k=entropy_k, exclude_window=exclude_window)
        self._rows = torch.empty((self.queue_size, self.d), dtype=self._snapshot_dtype)  # raw rows by slot
        self._rows_head = 0  # slot of the oldest row once the ring is full
        self._snapshots = 0  # rows taken since the start of the run (checkpoints included)
        self._pending = 0  # the newest rows of the ring not yet in the queue

        # Per-step records (index = step number from 0).
        self._radius_before: list = []  # |w_t|, the point where the step's gradient was taken
        self._radius_after: list = []  # |w_{t+1}| after the SGD update (sphere: before the projection)
        self._grad_sq: list = []  # |g_B|^2 in weight-space units
        self._cos: list = []  # <g_B, w_t> / (|g_B| |w_t|)
        self._loss: list = []  # batch loss (NaN when step() got none)
        self._lr: list = []  # learning rate the step used
        # Log points of measure_full_gradient: (step, |grad L(w_hat)|^2 in unit-sphere units, full loss).
        self._full: list = []
        self.seconds = 0.0  # the monitor's overhead: time in step() and in pushing snapshots into the queue

        # The gradient (row 0) and the weights (row 1) in double, reused every step: a fresh 2 x d allocation per
        # step cost 0.3 ms at d = 54,272 (page faults), three times the sums themselves.
        self._buffer = torch.empty((2, self.d), dtype=torch.float64, device=self.params[0].device)
        offsets = np.cumsum([0] + [p.numel() for p in self.params]).tolist()
        self._views = [[self._buffer[row, a:b] for a, b in zip(offsets[:-1], offsets[1:])] for row in (0, 1)]
        with torch.no_grad():
            if protocol == "sphere":
                self._scale_to(self.radius)
            self._w_sq = self._norm_sq(self.params)
            self._w_norm = math.sqrt(self._w_sq)
        if not (math.isfinite(self._w_norm) and self._w_norm > 0.0):
            raise _core.InputError(f"the scale-invariant parameters have norm {self._w_norm}; expected a positive "
                                   "finite norm")
        self._set_lr()

    # ---- setup checks -----------------------------------------------------------------------------------------

    @staticmethod
    def _check_params(params) -> list:
        if isinstance(params, dict):
            params = list(params.values())
        elif isinstance(params, torch.Tensor):
            params = [params]
        params = list(params)
        if not params:
            raise _core.InputError("params is empty; give the scale-invariant parameters")
        seen = set()
        for i, p in enumerate(params):
            if not isinstance(p, torch.Tensor):
                raise _core.InputError(f"params[{i}] is a {type(p).__name__}; expected a torch tensor")
            if not p.is_leaf or not p.requires_grad:
                raise _core.InputError(f"params[{i}] (shape {tuple(p.shape)}) is not a trainable leaf tensor "
                                       "(requires_grad=True)")
            if not p.is_floating_point():
                raise _core.InputError(f"params[{i}] has dtype {p.dtype}; expected floating point")
            if id(p) in seen:
                raise _core.InputError(f"params[{i}] (shape {tuple(p.shape)}) is given twice")
            seen.add(id(p))
        return params

    def _check_optimizer(self, optimizer) -> list:
        if not isinstance(optimizer, torch.optim.SGD):
            raise _core.InputError(f"optimizer is a {type(optimizer).__name__}; the monitor supports plain "
                                   "torch.optim.SGD (momentum 0, weight decay coupled)")
        ids = {id(p) for p in self.params}
        found: dict = {}
        groups = []
        for gi, group in enumerate(optimizer.param_groups):
            mine = [p for p in group["params"] if id(p) in ids]
            if not mine:
                continue
            for p in mine:
                if id(p) in found:
                    raise _core.InputError(f"a scale-invariant parameter is in optimizer groups {found[id(p)]} and {gi}")
                found[id(p)] = gi
            if group.get("momentum", 0) != 0 or group.get("nesterov", False) or group.get("maximize", False):
                raise _core.InputError(
                    f"optimizer group {gi}: momentum={group.get('momentum')}, nesterov={group.get('nesterov')}, "
                    f"maximize={group.get('maximize')}; the protocols are plain SGD (momentum 0, minimising)")
            wd_expected = 0.0 if self.protocol == "sphere" else self.lambda_
            if group["weight_decay"] != wd_expected:
                raise _core.InputError(
                    f"optimizer group {gi}: weight_decay={group['weight_decay']!r}; protocol {self.protocol} needs "
                    f"{wd_expected!r} (" + ("the projection replaces weight decay" if self.protocol == "sphere"
                                            else "lambda_, coupled as torch's SGD does") + ")")
            if self.protocol == "lr" and group["lr"] != self.eta:
                raise _core.InputError(f"optimizer group {gi}: lr={group['lr']!r}; protocol lr needs lr == eta = "
                                       f"{self.eta!r}")
            if self.protocol != "lr":
                others = [p for p in group["params"] if id(p) not in ids and p.requires_grad]
                if others:
                    raise _core.InputError(
                        f"optimizer group {gi} also trains {len(others)} tensor(s) that are not in params; protocol "
                        f"{self.protocol} sets this group's learning rate, so give the scale-invariant parameters "
                        "their own group")
            groups.append(gi)
        missing = [i for i, p in enumerate(self.params) if id(p) not in found]
        if missing:
            raise _core.InputError(f"params{missing[:5]} are not in the optimizer")
        return groups

    @property
    def _groups(self) -> list:
        """The optimizer's groups that hold params, as they are now."""
        return [self.optimizer.param_groups[i] for i in self._group_indices]

    # ---- per-step work ----------------------------------------------------------------------------------------

    def _flat64(self, row: int, tensors) -> torch.Tensor:
        """The tensors as one float64 vector in row `row` of the buffer (float32 sums would blur the
        O(eta_eff^2) differences lambda_eff needs)."""
        for view, t in zip(self._views[row], tensors):
            view.copy_(t.detach().reshape(-1))
        return self._buffer[row]

    def _norm_sq(self, tensors) -> float:
        """|w|^2 exactly as step() computes it, so that unchanged weights compare equal bit for bit."""
        w = self._flat64(1, tensors)
        return float(torch.dot(w, w))

    def _scale_to(self, radius: float) -> float:
        norm = math.sqrt(self._norm_sq(self.params))
        if not (math.isfinite(norm) and norm > 0.0):
            raise _core.DivergenceError(f"monitor: step {len(self._grad_sq)}: the weights have norm {norm}; cannot "
                                        "project onto the sphere")
        for p in self.params:
            p.mul_(radius / norm)
        return norm

    def _current_lr(self) -> float:
        if self.protocol == "lr":
            return self.eta
        if self.protocol == "elr":
            return self.eta_eff * self._w_norm ** 2
        return self.eta_eff * self.radius ** 2

    def _set_lr(self) -> None:
        if self.protocol == "lr":
            return
        lr = self._current_lr()
        for group in self._groups:
            group["lr"] = lr

    def step(self, loss=None) -> None:
        """Record the step just taken; call right after ``optimizer.step()``. ``loss``: the batch loss (a scalar
        tensor or number), for the internal energy U."""
        t0 = time.perf_counter()
        step = len(self._grad_sq)
        grads = []
        for i, p in enumerate(self.params):
            if p.grad is None:
                raise _core.InputError(f"monitor: step {step}: params[{i}] has no .grad; call monitor.step() after "
                                       "loss.backward() and optimizer.step(), before zero_grad()")
            grads.append(p.grad)
        lr = self._current_lr()
        for group in self._groups:  # an LR scheduler or a manual change would break the protocol silently
            if group["lr"] != lr or group["weight_decay"] != (self.lambda_ or 0.0):
                raise _core.InputError(
                    f"monitor: step {step}: the optimizer's lr = {group['lr']!r}, weight_decay = "
                    f"{group['weight_decay']!r}; protocol {self.protocol} needs lr = {lr!r}, weight_decay = "
                    f"{self.lambda_ or 0.0!r} (no LR scheduler, no changes between steps)")
        with torch.no_grad():
            g = self._flat64(0, grads)
            w = self._flat64(1, self.params)
            # One host synchronisation for the three sums (on a GPU each float() would wait separately).
            grad_sq, w_sq, g_dot_w1 = torch.stack([torch.dot(g, g), torch.dot(w, w), torch.dot(g, w)]).tolist()
            # <g, w_t> from the weights after the update w_{t+1} = (1 - lr lambda) w_t - lr g (no cancellation
            # problem: it is compared with |g| |w_t|, not with lr |g|^2).
            shrink = 1.0 - lr * (self.lambda_ or 0.0)
            g_dot_w = (g_dot_w1 + lr * grad_sq) / shrink
        r_before = self._w_norm
        r_after = math.sqrt(w_sq)
        if not (math.isfinite(grad_sq) and math.isfinite(w_sq) and r_after > 0.0):
            raise _core.DivergenceError(f"monitor: step {step}: |g|^2 = {grad_sq}, |w|^2 = {w_sq}; the run diverged "
                                        "(non-finite or zero weights)")
        # The call order: right after optimizer.step(). Before it, the weights are those of the previous call (an
        # SGD step with a nonzero gradient changes |w|^2: (1 - lr lambda)^2 |w|^2 + lr^2 |g|^2); after zero_grad()
        # the gradient is gone (None, caught above) or zero.
        if grad_sq == 0.0:
            raise _core.InputError(
                f"monitor: step {step}: the gradient of the scale-invariant parameters is exactly zero: call "
                "monitor.step() right after optimizer.step(), before zero_grad() (or the loss does not depend on "
                "params)")
        if w_sq == self._w_sq and lr > 0.0:
            since = "the previous monitor.step()" if step > 0 else "the monitor was created"
            raise _core.InputError(
                f"monitor: step {step}: the weights have not changed since {since} (|w|^2 = {w_sq!r} to the last "
                "bit) although the gradient is nonzero: monitor.step() was called before optimizer.step(); call it "
                "right after optimizer.step()")
        loss_value = math.nan
        if loss is not None:
            if isinstance(loss, torch.Tensor) and loss.numel() == 1:
                loss_value = float(loss.detach())
            elif isinstance(loss, (int, float)) and not isinstance(loss, bool):
                loss_value = float(loss)
            else:
                raise _core.InputError(f"monitor: step {step}: loss must be a scalar tensor or a number, got "
                                       f"{type(loss).__name__}")
            if not math.isfinite(loss_value):
                raise _core.DivergenceError(f"monitor: step {step}: the loss is {loss_value}; the run diverged")

        if self.protocol == "sphere":
            with torch.no_grad():
                for p in self.params:
                    p.mul_(self.radius / r_after)
                self._w_sq = self._norm_sq(self.params)
            self._w_norm = math.sqrt(self._w_sq)
        else:
            self._w_sq, self._w_norm = w_sq, r_after
        self._radius_before.append(r_before)
        self._radius_after.append(r_after)
        self._grad_sq.append(grad_sq)
        denom = math.sqrt(grad_sq) * r_before
        self._cos.append(g_dot_w / denom if denom > 0.0 else 0.0)
        self._loss.append(loss_value)
        self._lr.append(lr)
        self._set_lr()
        if (step + 1) % self.snapshot_every == 0:
            with torch.no_grad():
                self._take_snapshot(self.params)
        self.seconds += time.perf_counter() - t0

    def _take_snapshot(self, tensors) -> None:
        """The tensors (the SI parameters) as the newest row of the ring, replacing the oldest when it is full."""
        if self._snapshots < self.queue_size:  # filling: slots 0, 1, ... oldest first
            slot = self._snapshots
        else:
            slot = self._rows_head
            self._rows_head = (self._rows_head + 1) % self.queue_size
        offset = 0
        for t in tensors:
            n = t.numel()
            self._rows[slot, offset:offset + n].copy_(t.detach().reshape(-1))
            offset += n
        self._snapshots += 1
        self._pending = min(self._pending + 1, self.queue_size)

    def _ordered_rows(self) -> torch.Tensor:
        """The ring's raw rows, oldest first [min(snapshots, queue_size), d]."""
        if self._snapshots < self.queue_size:
            return self._rows[:self._snapshots].clone()
        return torch.cat([self._rows[self._rows_head:], self._rows[:self._rows_head]])

    @property
    def queue(self):
        """The entropy queue (:class:`idealgas.SnapshotQueue`) holding the last ``queue_size`` snapshots, brought
        up to date first: the snapshots taken since the last access are pushed now (at most ``queue_size``)."""
        if self._pending:
            t0 = time.perf_counter()
            size = min(self._snapshots, self.queue_size)
            first = size - self._pending  # ring position (oldest first) of the first row not yet pushed
            for k in range(first, size):
                slot = (self._rows_head + k) % self.queue_size if self._snapshots >= self.queue_size else k
                self._queue.push(self._rows[slot].numpy())
                self._pending -= 1
            self.seconds += time.perf_counter() - t0
        return self._queue

    def measure_full_gradient(self, chunk_losses: Iterable, *, independent_halves: bool = False) -> dict:
        """Measure ``|grad L(w_hat)|^2`` at the current weights (a log point) for sigma^2.

        ``chunk_losses``: an iterable (e.g. a generator) of scalar loss tensors, each the mean loss over one chunk
        of training data computed with the model as it trains (train-mode BatchNorm updates its running
        statistics: save and restore them if that matters), or ``(loss, weight)`` pairs for unequal chunks. The
        gradients are taken with ``torch.autograd.grad``: ``p.grad`` is left alone.

        * ``independent_halves=False``: ``|sum_i w_i g_i / sum_i w_i|^2``, the full gradient when the chunks cover
          the whole training set.
        * ``independent_halves=True``: the chunks are independent random batches; even and odd chunks give two
          independent gradient estimates ``a`` and ``b``, and ``<a, b>`` is an unbiased estimate of
          ``|grad L|^2`` (the noise of each half averages out instead of adding ``Tr Sigma / n``).

        Returns ``{'grad_norm_sq': unit-sphere units r^2 |grad L(w)|^2, 'loss': mean chunk loss, 'chunks': n}``
        and records it for :meth:`summary`.
        """
        if not isinstance(independent_halves, bool):
            raise _core.InputError(f"independent_halves must be True or False, got {independent_halves!r}")
        sums = [None, None]
        weights = [0.0, 0.0]
        loss_sum = 0.0
        n = 0
        for item in chunk_losses:
            loss, weight = item if isinstance(item, tuple) else (item, 1.0)
            weight = _positive("chunk weight", weight)
            if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
                raise _core.InputError(f"chunk {n}: expected a scalar loss tensor, got {type(loss).__name__}")
            loss_value = float(loss.detach())
            if not math.isfinite(loss_value):
                raise _core.DivergenceError(
                    f"measure_full_gradient: chunk {n}: the loss is {loss_value}; a non-finite loss has no gradient "
                    "to measure (the run diverged, or the chunk is empty); nothing was recorded")
            grads = torch.autograd.grad(loss, self.params)
            flat = torch.cat([gi.reshape(-1) for gi in grads]).to(torch.float64) * weight
            half = n % 2 if independent_halves else 0
            sums[half] = flat if sums[half] is None else sums[half] + flat
            weights[half] += weight
            loss_sum += loss_value * weight
            n += 1
        if n < (2 if independent_halves else 1):
            raise _core.InputError(f"measure_full_gradient got {n} chunk(s); it needs at least "
                                   f"{2 if independent_halves else 1}")
        if independent_halves:
            value = float(torch.dot(sums[0] / weights[0], sums[1] / weights[1]))
        else:
            mean = sums[0] / weights[0]
            value = float(torch.dot(mean, mean))
        if not math.isfinite(value):
            raise _core.DivergenceError(f"measure_full_gradient: the gradient's squared norm is {value}; the run "
                                        "diverged; nothing was recorded")
        unit = self._w_norm ** 2 * value
        record = {"grad_norm_sq": unit, "loss": loss_sum / sum(weights), "chunks": n,
                  "step": len(self._grad_sq)}
        self._full.append(record)
        return dict(record)

    # ---- checkpoints and loggers ------------------------------------------------------------------------------

    _STATE_FORMAT = "idealgas.Monitor"
    _STATE_VERSION = 1
    _SERIES = ("radius_before", "radius_after", "grad_sq", "cos", "loss", "lr")

    def _settings(self) -> dict:
        """What the monitor was built with; a state loads only into a monitor built the same way."""
        return {"protocol": self.protocol, "d": self.d, "eta": self.eta, "eta_eff": self.eta_eff,
                "lambda_": self.lambda_, "radius": self.radius, "queue_size": self.queue_size,
                "snapshot_every": self.snapshot_every, "entropy_k": self.entropy_k,
                "exclude_window": self.exclude_window}

    def state_dict(self) -> dict:
        """Everything the monitor has measured, for a checkpoint: ``torch.save({"model": model.state_dict(),
        "optimizer": opt.state_dict(), "monitor": mon.state_dict()}, path)``. Tensors, numbers, strings, lists and
        dicts only (what PyTorch 2's ``torch.load(path, weights_only=True)`` accepts). Holds the per-step series (6 doubles per
        step), the log points and the queue's raw snapshots (``queue.size * d`` values)."""
        state = {"format": self._STATE_FORMAT, "version": self._STATE_VERSION, "settings": self._settings(),
                 "steps": self.steps, "w_sq": self._w_sq, "w_norm": self._w_norm, "seconds": self.seconds,
                 "full": [dict(f) for f in self._full], "snapshots": self._snapshots,
                 "snapshot_rows": self._ordered_rows()}
        for name in self._SERIES:
            state[name] = torch.tensor(getattr(self, "_" + name), dtype=torch.float64)
        return state

    def load_state_dict(self, state: dict) -> None:
        """Resume from :meth:`state_dict`. Build the monitor as for the original run, load the model's and the
        optimizer's state, then this: the monitor checks that the weights are the checkpoint's, restores its
        series, log points and entropy queue (rebuilt from the raw snapshots, oldest first: the same bits) and the
        protocol's learning rate."""
        if not isinstance(state, dict) or state.get("format") != self._STATE_FORMAT:
            raise _core.InputError("load_state_dict: not a Monitor state (expected the dict of Monitor.state_dict())")
        if state.get("version") != self._STATE_VERSION:
            raise _core.InputError(f"load_state_dict: state version {state.get('version')!r}; this monitor reads "
                                   f"version {self._STATE_VERSION}")
        saved, mine = state["settings"], self._settings()
        differ = [f"{k} = {saved.get(k)!r} (saved) vs {v!r}" for k, v in mine.items() if saved.get(k) != v]
        if differ:
            raise _core.InputError("load_state_dict: the monitor is not built as the saved one: " + "; ".join(differ))
        steps = state["steps"]
        series = {}
        for name in self._SERIES:
            values = state[name]
            if not isinstance(values, torch.Tensor) or values.dtype != torch.float64 or values.shape != (steps,):
                raise _core.InputError(f"load_state_dict: series {name} is not {steps} doubles")
            series[name] = values.tolist()
        rows = state["snapshot_rows"]
        expected_rows = min(state["snapshots"], self.queue_size)
        if (not isinstance(rows, torch.Tensor) or rows.dtype != self._snapshot_dtype
                or tuple(rows.shape) != (expected_rows, self.d)):
            raise _core.InputError(f"load_state_dict: snapshot_rows is not [{expected_rows}, {self.d}] "
                                   f"{self._snapshot_dtype}")
        # The weights must be the checkpoint's (load the model first); a relative 1e-12 allows another summation
        # order (BLAS threads) of the same weights, nothing else.
        with torch.no_grad():
            w_sq = self._norm_sq(self.params)
        if not abs(w_sq - state["w_sq"]) <= 1e-12 * state["w_sq"]:
            raise _core.InputError(
                f"load_state_dict: the weights have |w|^2 = {w_sq!r}, the checkpoint's had {state['w_sq']!r}: load "
                "the model's state_dict (and the optimizer's) before the monitor's")
        group_indices = self._check_optimizer(self.optimizer)  # its state may have been loaded meanwhile
        # The rows go into a fresh queue when an estimate is asked for (the queue property).
        self._queue = _core.SnapshotQueue(self.queue_size, self.d, k=self.entropy_k,
                                          exclude_window=self.exclude_window)
        self._rows[:expected_rows].copy_(rows)
        self._rows_head = 0
        self._snapshots = state["snapshots"]
        self._pending = expected_rows
        for name in self._SERIES:
            setattr(self, "_" + name, series[name])
        self._full = [dict(f) for f in state["full"]]
        self._w_sq, self._w_norm, self.seconds = state["w_sq"], state["w_norm"], state["seconds"]
        self._group_indices = group_indices
        self._set_lr()

    def log(self, *, summary: bool = False) -> dict:
        """The latest step as a flat ``{name: float}`` dict for a logger::

            print(mon.log())
            wandb.log(mon.log(), step=mon.steps)
            for name, value in mon.log().items(): writer.add_scalar(f"idealgas/{name}", value, mon.steps)

        Keys: ``step`` (steps recorded), ``radius`` (``|w_{t+1}|``; sphere: before the projection),
        ``grad_norm_sq_unit`` (``r_t^2 |g_B|^2``), ``cos_grad_w``, ``loss`` (NaN when step() got none), ``lr``,
        ``eta_eff`` (``lr / r_t^2``), and the latest log point's ``full_grad_norm_sq`` and ``full_loss`` (NaN before
        the first). ``summary=True`` adds the numbers of :meth:`summary` as ``summary/<key>`` (T, P, V, sigma2, U,
        S, Z, ... and their ``_se``), which costs an entropy estimate (``O(queue_size^2)``): every log point,
        not every step."""
        n = self.steps
        if n == 0:
            raise _core.InputError("log: no step recorded yet (call monitor.step() after optimizer.step())")
        rb = self._radius_before[-1]
        out = {"step": float(n), "radius": self._radius_after[-1], "grad_norm_sq_unit": rb * rb * self._grad_sq[-1],
               "cos_grad_w": self._cos[-1], "loss": self._loss[-1], "lr": self._lr[-1],
               "eta_eff": self._lr[-1] / (rb * rb),
               "full_grad_norm_sq": self._full[-1]["grad_norm_sq"] if self._full else math.nan,
               "full_loss": self._full[-1]["loss"] if self._full else math.nan}
        if summary:
            for key, value in self.summary().items():
                if isinstance(value, (int, float)) and not isinstance(value, bool) and key != "steps":
                    out[f"summary/{key}"] = float(value)
        return out

    # ---- results ----------------------------------------------------------------------------------------------

    @property
    def steps(self) -> int:
        """Steps recorded so far."""
        return len(self._grad_sq)

    def history(self) -> dict:
        """Every recorded step as numpy arrays: radius_before (|w_t|, where the gradient was taken),
        radius_after (|w_{t+1}|; sphere: before the projection), grad_norm_sq (|g_B|^2, weight-space units),
        grad_norm_sq_unit (r_t^2 |g_B|^2, unit-sphere units), cos_grad_w, loss, lr; and the log points of
        measure_full_gradient (full_step, full_grad_norm_sq, full_loss)."""
        rb = np.asarray(self._radius_before)
        gs = np.asarray(self._grad_sq)
        return {
            "radius_before": rb,
            "radius_after": np.asarray(self._radius_after),
            "grad_norm_sq": gs,
            "grad_norm_sq_unit": rb ** 2 * gs,
            "cos_grad_w": np.asarray(self._cos),
            "loss": np.asarray(self._loss),
            "lr": np.asarray(self._lr),
            "full_step": np.asarray([f["step"] for f in self._full], dtype=np.int64),
            "full_grad_norm_sq": np.asarray([f["grad_norm_sq"] for f in self._full]),
            "full_loss": np.asarray([f["loss"] for f in self._full]),
        }

    def entropy(self) -> dict:
        """The entropy of the snapshot queue now (:meth:`idealgas.SnapshotQueue.estimate`), plus 'tau_terms' (the
        autocorrelation time of the per-sample terms along the queue, in snapshots) and 'ess_terms'."""
        e = self.queue.estimate(per_sample=True)
        terms = e.pop("per_sample")["terms"]
        s = series_mean(terms[np.isfinite(terms)])
        e["tau_terms"] = s.tau
        e["ess_terms"] = s.ess
        e["snapshot_every"] = self.snapshot_every
        return e

    def summary(self, start: Optional[int] = None, end: Optional[int] = None) -> dict:
        """The ideal-gas state over the steps [start, end) (default: the second half of the steps so far).

        Keys: T, P, V, sigma2, tr_sigma, U (mean batch loss), U_full (mean loss at the log points), S_sphere, S
        (nats, from the queue as it is now), Z = PV/(RT), each with '_se'; lambda_eff (sphere); r_mean, r_rms; grad_sq_batch = E[r^2 |g_B|^2] = Tr Sigma + |grad L(w_hat)|^2;
        grad_norm_sq (the full-gradient term) and its source; F (sphere) or G (lr, elr) = U - T S (+ P V);
        'predictions' (docs/theory.md §2-3 and App. H with the measured sigma^2: SDE and discrete radius or
        lambda_eff); 'series' (mean, se, tau, ess, blocks of every averaged series); 'entropy' (the estimate);
        'notes' (what to be careful about).
        """
        n = self.steps
        if n < 2:
            raise _core.InputError(f"summary needs at least 2 recorded steps, got {n}")
        start = n // 2 if start is None else start
        end = n if end is None else end
        for name, v in (("start", start), ("end", end)):
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= n:
                raise _core.InputError(f"{name} must be an integer step in [0, {n}], got {v!r}")
        if end - start < 2:
            raise _core.InputError(f"summary window [{start}, {end}) holds fewer than 2 steps")
        h = self.history()
        sl = slice(start, end)
        notes = []
        series = {}

        def averaged(name, values):
            s = series_mean(values)
            series[name] = s.as_dict()
            if not s.reliable:
                notes.append(f"{name}: only {s.n_blocks} blocks of {s.block} steps (tau = {s.tau:.3g}); its SE is "
                             "rough: run longer")
            return s

        dm1 = self.d - 1
        out: dict = {"protocol": self.protocol, "d": self.d, "R": self.R, "steps": n, "window": [start, end]}
        if self.protocol == "lr":
            out["eta"] = self.eta
        else:
            out["eta_eff"] = self.eta_eff
        if self.protocol == "sphere":
            out["radius"] = self.radius
        else:
            out["lambda"] = self.lambda_

        gb = averaged("grad_sq_batch", h["grad_norm_sq_unit"][sl])
        out["grad_sq_batch"], out["grad_sq_batch_se"] = gb.mean, gb.se
        # A log point after `step` steps measures w_step; the window's steps [start, end) produced w_{start+1..end}.
        logs = [f for f in self._full if start < f["step"] <= end]
        full = [f["grad_norm_sq"] for f in logs]
        if full:
            g_full = float(np.mean(full))
            g_full_se = float(np.std(full, ddof=1) / math.sqrt(len(full))) if len(full) > 1 else math.nan
            out["grad_norm_sq_source"] = f"measured at {len(full)} log point(s)"
        else:
            g_full, g_full_se = 0.0, 0.0
            out["grad_norm_sq_source"] = "not measured: 0 assumed (sigma2 is an upper bound)"
            notes.append("no measure_full_gradient() in the window: sigma2 includes |grad L(w_hat)|^2/(d-1)")
        out["grad_norm_sq"], out["grad_norm_sq_se"] = g_full, g_full_se
        tr_sigma = gb.mean - g_full
        tr_sigma_se = math.hypot(gb.se, g_full_se)
        out["tr_sigma"], out["tr_sigma_se"] = tr_sigma, tr_sigma_se
        out["sigma2"], out["sigma2_se"] = tr_sigma / dm1, tr_sigma_se / dm1

        # Volume and pressure.
        if self.protocol == "sphere":
            out["V"], out["V_se"] = 0.5 * self.radius ** 2, 0.0
            out["r_mean"], out["r_rms"] = self.radius, self.radius
            # lambda_eff per step: (|w~_{t+1}| - |w_t|) / (eta_eff r^3), Eq. 82.
            lam = (h["radius_after"][sl] - h["radius_before"][sl]) / (self.eta_eff * self.radius ** 3)
            le = averaged("lambda_eff", lam)
            out["lambda_eff"], out["lambda_eff_se"] = le.mean, le.se
            out["P"], out["P_se"] = le.mean, le.se
        else:
            r = h["radius_after"][sl]
            rs = averaged("radius", r)
            vs = averaged("V", 0.5 * r ** 2)
            out["r_mean"], out["r_se"] = rs.mean, rs.se
            out["r_rms"] = math.sqrt(2.0 * vs.mean)
            out["V"], out["V_se"] = vs.mean, vs.se
            out["P"], out["P_se"] = self.lambda_, 0.0

        # Temperature from the protocol's closed form with the measured sigma^2, and the predictions.
        predictions: dict = {}
        if tr_sigma > 0.0:
            hyper = {"lr": {"eta": self.eta, "lambda_": self.lambda_},
                     "elr": {"eta_eff": self.eta_eff, "lambda_": self.lambda_},
                     "sphere": {"eta_eff": self.eta_eff, "radius": self.radius}}[self.protocol]
            th = _core.stationary(self.protocol, d=self.d, sigma2=tr_sigma / dm1, grad_norm_sq=g_full, **hyper)
            out["T"] = th["T"]
            exponent = 0.5 if self.protocol == "lr" else 1.0  # T ~ sigma2^(1/2) (lr) or sigma2 (elr, sphere)
            out["T_se"] = th["T"] * exponent * (tr_sigma_se / tr_sigma)
            if self.protocol == "sphere":
                predictions = {"lambda_eff_sde": th["lambda_eff"], "lambda_eff_discrete": th["lambda_eff_discrete"]}
            else:
                predictions = {"r_sde": th["r"], "r_discrete": th["r_discrete"]}
        else:
            out["T"], out["T_se"] = math.nan, math.nan
            notes.append(f"measured Tr Sigma = {tr_sigma:.4g} is not positive: no temperature")
        out["predictions"] = predictions

        # Internal energy.
        losses = h["loss"][sl]
        if np.all(np.isfinite(losses)):
            us = averaged("U", losses)
            out["U"], out["U_se"] = us.mean, us.se
        else:
            out["U"], out["U_se"] = math.nan, math.nan
            notes.append("step() got no loss for some steps in the window: no U")
        # The same from the log points' losses (full-batch when the chunks cover the data): fewer values, but
        # without the batch noise. Log points far apart are taken as independent.
        full_losses = [f["loss"] for f in logs]
        out["U_full"] = float(np.mean(full_losses)) if full_losses else math.nan
        out["U_full_se"] = (float(np.std(full_losses, ddof=1) / math.sqrt(len(full_losses)))
                            if len(full_losses) > 1 else math.nan)

        # Entropy of the queue.
        if self.queue.size >= 2:
            e = self.entropy()
            out["S_sphere"], out["S_sphere_se"] = e["spherical_entropy"], e["se"]
            out["S"], out["S_se"] = e["total_entropy"], e["total_se"]
            out["entropy"] = e
            covered = self.queue.size * self.snapshot_every
            if covered > n - start:
                notes.append(f"the entropy queue spans the last {covered} steps, more than the window")
            if e["adjacent_nn_fraction"] > 0.5:
                notes.append(f"adjacent_nn_fraction = {e['adjacent_nn_fraction']:.2f}: most nearest neighbours are "
                             "the previous/next snapshot, so S measures the step size more than the stationary law "
                             "(docs/theory.md §5): raise snapshot_every or exclude_window")
        else:
            out["S_sphere"] = out["S_sphere_se"] = out["S"] = out["S_se"] = math.nan
            notes.append(f"the entropy queue holds {self.queue.size} snapshot(s): no entropy yet")

        # Compressibility and potentials.
        T, P, V = out["T"], out["P"], out["V"]
        out["Z"] = P * V / (self.R * T) if T > 0 else math.nan
        rel = [out["P_se"] / P if P else math.nan, out["V_se"] / V, out["T_se"] / T if T > 0 else math.nan]
        out["Z_se"] = abs(out["Z"]) * math.sqrt(sum(x * x for x in rel))
        if self.protocol == "sphere":
            out["F"] = out["U"] - T * out["S"]
        else:
            out["G"] = out["U"] - T * out["S"] + P * V
        cos = np.abs(h["cos_grad_w"][sl])
        out["max_abs_cos_grad_w"] = float(cos.max())
        if out["max_abs_cos_grad_w"] > 1e-2:
            notes.append(f"max |cos(g_B, w)| = {out['max_abs_cos_grad_w']:.3g}: the gradient is not orthogonal to "
                         "the weights, so the parameters are not scale-invariant (check_scale_invariance)")
        out["series"] = series
        out["notes"] = notes
        out["monitor_seconds"] = self.seconds
        return out

    def report(self, start: Optional[int] = None, end: Optional[int] = None) -> str:
        """The ideal-gas table of :meth:`summary` as text."""
        s = self.summary(start, end)
        return format_report(s)


def _pm(value, se, fmt="{:.5g}") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    text = fmt.format(value)
    if se is not None and not (isinstance(se, float) and math.isnan(se)) and se != 0.0:
        text += " ± " + "{:.2g}".format(se)
    return text


def format_report(s: dict) -> str:
    """Text table of a :meth:`Monitor.summary` dict."""
    proto = s["protocol"]
    hyper = ", ".join(f"{k} = {s[k]:g}" for k in ("eta", "eta_eff", "lambda", "radius") if k in s)
    lines = [f"ideal gas, protocol {proto} ({hyper}), d = {s['d']}, R = (d-1)/2 = {s['R']:g}",
             f"window: steps {s['window'][0]}..{s['window'][1]} of {s['steps']}"]
    t_rule = {"lr": "sqrt(eta lambda sigma2 / (2(d-1)))", "elr": "eta_eff sigma2 / 2",
              "sphere": "eta_eff sigma2 / 2"}[proto]
    rows = [
        ("sigma2", _pm(s["sigma2"], s["sigma2_se"]), f"Tr Sigma/(d-1); full-gradient term {s['grad_norm_sq_source']}"),
        ("T", _pm(s["T"], s["T_se"]), t_rule),
        ("P", _pm(s["P"], s["P_se"]), "lambda_eff measured (Eq. 82)" if proto == "sphere" else "lambda"),
        ("V", _pm(s["V"], s["V_se"]), "r^2/2" if proto == "sphere" else "mean r^2/2"),
        ("U", _pm(s["U"], s.get("U_se")), "mean batch loss"),
        ("U_full", _pm(s["U_full"], s.get("U_full_se")), "mean loss at the log points"),
        ("S_sphere", _pm(s["S_sphere"], s["S_sphere_se"]), "nats, S(rho_w_hat)"),
        ("S", _pm(s["S"], s["S_se"]), "nats, S_sphere + (d-1) log r"),
        ("Z", _pm(s["Z"], s["Z_se"], "{:.4f}"), "PV/(RT), 1 for the ideal gas"),
    ]
    pred = s["predictions"]
    if proto == "sphere":
        rows.append(("lambda_eff", _pm(s["lambda_eff"], s["lambda_eff_se"]),
                     f"SDE (d-1)T/r^2 = {pred.get('lambda_eff_sde', math.nan):.5g}, "
                     f"discrete = {pred.get('lambda_eff_discrete', math.nan):.5g}"))
    else:
        rows.append(("r", _pm(s["r_mean"], s.get("r_se")),
                     f"rms {s['r_rms']:.5g}; SDE r* = {pred.get('r_sde', math.nan):.5g}, "
                     f"discrete = {pred.get('r_discrete', math.nan):.5g}"))
    width = max(len(r[1]) for r in rows)
    for name, value, note in rows:
        lines.append(f"  {name:<10} {value:<{width}}  {note}")
    e = s.get("entropy")
    if e:
        lines.append(f"  entropy: {e['n']} snapshots every {e['snapshot_every']} steps, adjacent-NN fraction "
                     f"{e['adjacent_nn_fraction']:.2f}, tau of the terms {e['tau_terms']:.3g} snapshots")
    ess = ", ".join(f"{k} {v['ess']:.0f}" for k, v in s["series"].items())
    lines.append(f"  effective sample sizes: {ess}")
    for note in s["notes"]:
        lines.append(f"  note: {note}")
    return "\n".join(lines)
