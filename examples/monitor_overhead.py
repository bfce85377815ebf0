#!/usr/bin/env python3
"""Overhead of idealgas.Monitor per training step: the paper's ConvNet (k = 8, d = 24,264 for 1-channel 32x32
inputs), batch 128, plain SGD, in steady state (the entropy queue already full, so every snapshot costs its full
O(queue_size * d) distance update).

    PYTHONPATH=build/release/python /usr/bin/python3 examples/monitor_overhead.py [--k 8] [--steps 200]

Prints the mean wall and CPU time of a training step (zero_grad, forward, backward, optimizer.step) and of
monitor.step() (snapshot pushes included, amortised over snapshot_every steps), and their ratio. Training and
monitor times are taken in the same steps, so a machine shared with other work slows both alike.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_fmnist_monitor import ConvNet  # noqa: E402

import idealgas  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--k", type=int, default=8)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--queue", type=int, default=1000)
    ap.add_argument("--snapshot-every", type=int, default=25)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--protocol", choices=("lr", "elr", "sphere"), default="elr")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    model = ConvNet(args.k)
    si = idealgas.find_scale_invariant_params(model)
    d = sum(p.numel() for p in si)
    hyper = {"lr": dict(eta=0.01, lambda_=1e-3), "elr": dict(eta_eff=1e-3, lambda_=1e-3),
             "sphere": dict(eta_eff=1e-3, radius=1.0)}[args.protocol]
    opt = torch.optim.SGD(si, lr=hyper.get("eta", 0.0),
                          weight_decay=0.0 if args.protocol == "sphere" else hyper["lambda_"])
    mon = idealgas.Monitor(si, args.protocol, optimizer=opt, queue_size=args.queue,
                           snapshot_every=args.snapshot_every, **hyper)
    # Fill the queue first: the steady state, where each push updates queue_size distances.
    t_fill = time.perf_counter()
    rng = np.random.default_rng(0)
    w0 = torch.cat([p.detach().reshape(-1) for p in si]).numpy()
    for _ in range(args.queue):
        mon.queue.push((w0 + 1e-3 * rng.standard_normal(d)).astype(np.float32))
    t_fill = time.perf_counter() - t_fill

    x = torch.randn(args.batch, 1, 32, 32)
    y = torch.randint(0, 10, (args.batch,))
    train_wall, train_cpu, mon_wall, mon_cpu = [], [], [], []
    for step in range(args.steps + 10):
        w0, c0 = time.perf_counter(), time.process_time()
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        w1, c1 = time.perf_counter(), time.process_time()
        mon.step(loss)
        w2, c2 = time.perf_counter(), time.process_time()
        if step >= 10:  # warm-up
            train_wall.append(w1 - w0)
            train_cpu.append(c1 - c0)
            mon_wall.append(w2 - w1)
            mon_cpu.append(c2 - c1)
    tw, tc, mw, mc = (1e3 * float(np.mean(v)) for v in (train_wall, train_cpu, mon_wall, mon_cpu))
    print(f"ConvNet k = {args.k} (d = {d}), batch {args.batch}, {args.threads} threads, protocol {args.protocol}, "
          f"queue {args.queue} snapshots every {args.snapshot_every} steps (filled in {t_fill:.1f} s)")
    print(f"training step: {tw:.1f} ms wall, {tc:.1f} ms CPU (mean of {args.steps})")
    print(f"monitor.step:  {mw:.2f} ms wall, {mc:.2f} ms CPU (snapshots amortised)")
    print(f"overhead: {100 * mw / tw:.1f} % (wall), {100 * mc / tc:.1f} % (CPU)")
    push = [m for i, m in enumerate(mon_wall) if (i + 11) % args.snapshot_every == 0]
    rest = [m for i, m in enumerate(mon_wall) if (i + 11) % args.snapshot_every != 0]
    print(f"  of which: a step without snapshot {1e3 * np.mean(rest):.2f} ms, a step with one "
          f"{1e3 * np.mean(push):.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
