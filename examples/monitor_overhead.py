#!/usr/bin/env python3
"""Overhead of idealgas.Monitor per training step, in steady state (the entropy queue already full, so every
snapshot costs its full O(queue_size * d) distance update):

* ``--model mlp`` (default): a small scale-invariant MLP on 28x28 inputs, 784 -> 64 -> 64 (bias-free linear
  layers, BatchNorm(affine=False), ReLU) and a frozen linear head: d = 784*64 + 64*64 = 54,272;
* ``--model convnet``: the paper's ConvNet (k = 8: d = 24,264 for 1-channel 32x32 inputs).

    PYTHONPATH=build/release/python /usr/bin/python3 examples/monitor_overhead.py [--model mlp] [--threads 1]

Prints the mean wall and CPU time of a training step (zero_grad, forward, backward, optimizer.step) and of
monitor.step() (snapshot pushes included, amortised over snapshot_every steps), their ratio, and the two parts of
the monitor's cost: a step without a snapshot (the sums) and a step with one (the queue's O(queue_size * d)
update). Training and monitor times are taken in the same steps, so a machine shared with other work slows both
alike. The amortised snapshot cost is about (push time) / snapshot_every: lower it with a larger snapshot_every
or a smaller queue_size (the estimator's needs: docs/python.md, "Cost").
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def _threads_from_argv(argv) -> str:
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
    return "1"


# --threads must reach OpenBLAS's own thread pool too (torch's float64 dot products and the queue's BLAS calls go
# through it, and torch.set_num_threads does not set it): into the environment before torch and idealgas load.
if __name__ == "__main__":
    for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(_name, _threads_from_argv(sys.argv[1:]))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_fmnist_monitor import ConvNet  # noqa: E402

import idealgas  # noqa: E402


class MLP(nn.Module):
    """784 -> width -> width -> classes; the two hidden layers bias-free and followed by BatchNorm(affine=False),
    so their weights are jointly scale-invariant; the head is frozen (not trained, not on the sphere)."""

    def __init__(self, width: int = 64, inputs: int = 784, classes: int = 10):
        super().__init__()
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(inputs, width, bias=False),
                                  nn.BatchNorm1d(width, affine=False), nn.ReLU(),
                                  nn.Linear(width, width, bias=False), nn.BatchNorm1d(width, affine=False),
                                  nn.ReLU())
        self.head = nn.Linear(width, classes)
        self.head.requires_grad_(False)

    def forward(self, x):
        return self.head(self.body(x))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", choices=("mlp", "convnet"), default="mlp")
    ap.add_argument("--k", type=int, default=8, help="ConvNet width")
    ap.add_argument("--width", type=int, default=64, help="MLP width")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--queue", type=int, default=1000)
    ap.add_argument("--snapshot-every", type=int, default=25)
    ap.add_argument("--threads", type=int, default=1, help="torch's and the monitor's (OpenMP) threads")
    ap.add_argument("--protocol", choices=("lr", "elr", "sphere"), default="elr")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)  # also the OpenMP threads of this (the calling) thread: the queue's push
    torch.manual_seed(0)

    if args.model == "mlp":
        model = MLP(args.width)
        x = torch.randn(args.batch, 1, 28, 28)
        name = f"MLP 784-{args.width}-{args.width}"
    else:
        model = ConvNet(args.k)
        x = torch.randn(args.batch, 1, 32, 32)
        name = f"ConvNet k = {args.k}"
    y = torch.randint(0, 10, (args.batch,))
    si = idealgas.find_scale_invariant_params(model)
    d = sum(p.numel() for p in si)
    hyper = {"lr": dict(eta=0.01, lambda_=1e-3), "elr": dict(eta_eff=1e-3, lambda_=1e-3),
             "sphere": dict(eta_eff=1e-3, radius=1.0)}[args.protocol]
    opt = torch.optim.SGD(si, lr=hyper.get("eta", 0.0),
                          weight_decay=0.0 if args.protocol == "sphere" else hyper["lambda_"])
    mon = idealgas.Monitor(si, args.protocol, optimizer=opt, queue_size=args.queue,
                           snapshot_every=args.snapshot_every, **hyper)
    # The steady state of a long run: the ring of raw snapshots full (as after queue_size * snapshot_every steps),
    # none of them pushed into the entropy queue yet (the monitor pushes them when an estimate is asked for).
    rng = np.random.default_rng(0)
    w0 = torch.cat([p.detach().reshape(-1) for p in si])
    with torch.no_grad():
        for _ in range(args.queue):
            mon._take_snapshot([w0 + 1e-3 * torch.from_numpy(rng.standard_normal(d)).to(w0.dtype)])

    warmup = 2 * args.snapshot_every
    train_wall, train_cpu, mon_wall, mon_cpu = [], [], [], []
    for step in range(args.steps + warmup):
        w0, c0 = time.perf_counter(), time.process_time()
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        w1, c1 = time.perf_counter(), time.process_time()
        mon.step(loss)
        w2, c2 = time.perf_counter(), time.process_time()
        if step >= warmup:
            train_wall.append(w1 - w0)
            train_cpu.append(c1 - c0)
            mon_wall.append(w2 - w1)
            mon_cpu.append(c2 - c1)
    tw, tc, mw, mc = (1e3 * float(np.mean(v)) for v in (train_wall, train_cpu, mon_wall, mon_cpu))
    # An estimate now: the queue_size snapshots of the ring go into the (empty) queue, then the estimate.
    t0 = time.perf_counter()
    filled = mon.queue.size
    t_fill = time.perf_counter() - t0
    t0 = time.perf_counter()
    mon.entropy()
    t_estimate = time.perf_counter() - t0
    # One push into the full queue (what each snapshot costs when estimates are frequent): mean of 5.
    t_push = 0.0
    with torch.no_grad():
        for _ in range(5):
            mon._take_snapshot(si)
            t0 = time.perf_counter()
            mon.queue
            t_push += (time.perf_counter() - t0) / 5
    span = args.queue * args.snapshot_every  # steps the full queue covers
    at_end = 1e3 * (t_fill + t_estimate) / span
    log_every = 1000
    often = 1e3 * (t_push / args.snapshot_every + t_estimate / log_every)
    print(f"{name} (d = {d}), batch {args.batch}, {args.threads} thread(s) (OpenBLAS "
          f"{os.environ.get('OPENBLAS_NUM_THREADS', 'default')}), protocol {args.protocol}, "
          f"queue {args.queue} snapshots every {args.snapshot_every} steps")
    print(f"training step: {tw:.2f} ms wall, {tc:.2f} ms CPU (mean of {args.steps})")
    print(f"monitor.step:  {mw:.3f} ms wall, {mc:.3f} ms CPU: {100 * mw / tw:.1f} % (wall), "
          f"{100 * mc / tc:.1f} % (CPU) of the training step")
    print(f"entropy: {filled} snapshots into the empty queue {t_fill:.1f} s, one into the full queue "
          f"{1e3 * t_push:.1f} ms, the estimate {1e3 * t_estimate:.0f} ms")
    print(f"  one estimate at the end of a {span}-step run: +{at_end:.3f} ms per step "
          f"(+{100 * at_end / tw:.1f} %); an estimate every {log_every} steps: +{often:.3f} ms per step "
          f"(+{100 * often / tw:.1f} %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
