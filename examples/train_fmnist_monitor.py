#!/usr/bin/env python3
"""Train a small scale-invariant ConvNet on Fashion-MNIST with your own loop and the idealgas monitor, then print
the ideal-gas table (T, P, V, sigma^2, S, Z and the theory's predictions).

    PYTHONPATH=build/release/python /usr/bin/python3 examples/train_fmnist_monitor.py      # sphere, k = 4
    ... --protocol lr --eta 0.05 --lambda 5e-3 --steps 4000

The model is the paper's ConvNet (docs/paper-setup.md §2) for 1-channel 28x28 images zero-padded to 32x32:
four bias-free 3x3 convolutions (1 -> k -> 2k -> 4k -> 8k) each followed by BatchNorm without affine parameters
and ReLU, max-pooling, and a frozen linear head whose weight is rescaled to Frobenius norm 10. The four
convolution weights (d = 9k + 378k^2: 6,084 at the default k = 4, 24,264 at k = 8) are the scale-invariant
parameters, rescaled jointly to norm 1 (the sphere protocol: to --radius). Every --log-every steps, a log point
estimates |grad L(w_hat)|^2 without bias from two halves of 2 x --log-batches independent batches. Batches of 128 drawn independently with replacement; plain SGD.
Data: the IDX files of /usr/share/datasets/fashion-mnist (gzip), parsed here with numpy.
"""

from __future__ import annotations

import argparse
import gzip
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import idealgas

DATA_DIR = "/usr/share/datasets/fashion-mnist"
# Fashion-MNIST training-set pixel mean and standard deviation (of x / 255).
FMNIST_MEAN, FMNIST_STD = 0.2860, 0.3530
IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC = 2051, 2049


def read_idx(path: str, magic: int, dims: int) -> np.ndarray:
    """An IDX file (big-endian int32 header: magic, then `dims` sizes; then uint8 values), checked."""
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise idealgas.IoError(f"{path}: cannot read ({exc}); install the Fashion-MNIST IDX files there") from None
    header = 4 * (1 + dims)
    if len(raw) < header:
        raise idealgas.InputError(f"{path}: {len(raw)} bytes, shorter than the IDX header ({header} bytes)")
    fields = np.frombuffer(raw, dtype=">i4", count=1 + dims)
    if fields[0] != magic:
        raise idealgas.InputError(f"{path}: magic number {fields[0]}; expected {magic}")
    shape = tuple(int(s) for s in fields[1:])
    if any(s <= 0 for s in shape):
        raise idealgas.InputError(f"{path}: shape {shape}; expected positive sizes")
    count = math.prod(shape)
    if len(raw) != header + count:
        raise idealgas.InputError(f"{path}: {len(raw) - header} data bytes; the header {shape} needs {count}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def load_fashion_mnist(split: str):
    """(images [n, 1, 32, 32] float32 normalised and zero-padded, labels [n] int64)."""
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(os.path.join(DATA_DIR, f"{prefix}-images-idx3-ubyte.gz"), IDX_IMAGES_MAGIC, 3)
    labels = read_idx(os.path.join(DATA_DIR, f"{prefix}-labels-idx1-ubyte.gz"), IDX_LABELS_MAGIC, 1)
    if images.shape[0] != labels.shape[0] or images.shape[1:] != (28, 28):
        raise idealgas.InputError(f"{DATA_DIR}: {images.shape} images and {labels.shape} labels; expected n x 28 x 28 "
                                  "and n")
    if labels.max() > 9:
        raise idealgas.InputError(f"{DATA_DIR}: label {labels.max()}; expected 0..9")
    x = (torch.from_numpy(images.astype(np.float32)) / 255.0 - FMNIST_MEAN) / FMNIST_STD
    x = F.pad(x, (2, 2, 2, 2)).unsqueeze(1)  # zero padding to 32 x 32
    return x.contiguous(), torch.from_numpy(labels.astype(np.int64))


class ConvNet(nn.Module):
    """The paper's scale-invariant ConvNet (docs/paper-setup.md §2), 1 input channel."""

    def __init__(self, k: int = 8, classes: int = 10, head_norm: float = 10.0, head_seed: int = 2):
        super().__init__()

        def block(c_in, c_out, pool):
            layers = [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out, affine=False),
                      nn.ReLU()]
            return layers + ([nn.MaxPool2d(2)] if pool else [])

        self.features = nn.Sequential(*block(1, k, False), *block(k, 2 * k, True), *block(2 * k, 4 * k, True),
                                      *block(4 * k, 8 * k, True), nn.MaxPool2d(4), nn.Flatten())
        generator_state = torch.random.get_rng_state()
        torch.manual_seed(head_seed)  # the head has its own seed
        self.head = nn.Linear(8 * k, classes)
        torch.random.set_rng_state(generator_state)
        with torch.no_grad():
            self.head.weight.mul_(head_norm / self.head.weight.norm())
        self.head.requires_grad_(False)  # frozen

    def forward(self, x):
        return self.head(self.features(x))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--protocol", choices=("lr", "elr", "sphere"), default="sphere")
    ap.add_argument("--eta", type=float, help="learning rate (lr)")
    ap.add_argument("--eta-eff", type=float, help="effective learning rate (elr, sphere); default 0.005")
    ap.add_argument("--lambda", dest="lambda_", type=float, help="weight decay (lr, elr)")
    ap.add_argument("--radius", type=float, help="sphere radius (sphere); default 1")
    ap.add_argument("--k", type=int, default=4, help="ConvNet width (d = 9k + 378k^2; the paper's smallest is 8)")
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--print-every", type=int, default=200, help="steps between progress lines")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--burn-in", type=int, help="steps left out of the stationary averages; default steps/3")
    ap.add_argument("--queue", type=int, default=60, help="entropy snapshots")
    ap.add_argument("--snapshot-every", type=int, default=20)
    ap.add_argument("--exclude-window", type=int, default=0, help="entropy: ignore neighbours fewer than W "
                    "snapshots apart")
    ap.add_argument("--log-every", type=int, default=25, help="steps between full-gradient measurements")
    ap.add_argument("--log-batches", type=int, default=2, help="batches per half of the full-gradient estimate")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    for name, minimum in (("k", 1), ("steps", 2), ("batch", 2), ("queue", 2), ("snapshot_every", 1),
                          ("exclude_window", 0), ("log_every", 1), ("log_batches", 1), ("threads", 1),
                          ("print_every", 1)):
        if getattr(args, name) < minimum:
            ap.error(f"--{name.replace('_', '-')} {getattr(args, name)}: expected an integer >= {minimum}")
    if args.protocol == "lr":  # r*^4 = eta E[r^2 |g_B|^2] / (2 lambda): ~4.7 here; relaxes in ~1/(4 eta lambda) steps
        args.eta = 0.05 if args.eta is None else args.eta
        args.lambda_ = 5e-3 if args.lambda_ is None else args.lambda_
    elif args.protocol == "elr":
        args.eta_eff = 0.005 if args.eta_eff is None else args.eta_eff
        args.lambda_ = 1e-3 if args.lambda_ is None else args.lambda_
    else:
        args.eta_eff = 0.005 if args.eta_eff is None else args.eta_eff
        args.radius = 1.0 if args.radius is None else args.radius
    burn_in = args.steps // 3 if args.burn_in is None else args.burn_in
    if not 0 <= burn_in < args.steps - 1:
        ap.error(f"--burn-in {burn_in}: expected 0 <= burn-in < steps - 1")

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    t_load = time.perf_counter()
    x_train, y_train = load_fashion_mnist("train")
    print(f"Fashion-MNIST: {len(x_train)} training images ({time.perf_counter() - t_load:.1f} s to read)")

    model = ConvNet(args.k)
    si = idealgas.find_scale_invariant_params(model, with_names=True)
    with torch.no_grad():  # joint SI norm 1 (the sphere protocol projects onto its radius itself)
        norm = math.sqrt(sum(float((p ** 2).sum()) for p in si.values()))
        for p in si.values():
            p.mul_(1.0 / norm)
    check = idealgas.check_scale_invariance(model, si, x_train[:256])
    print(f"scale-invariant parameters: {', '.join(si)} (d = {sum(p.numel() for p in si.values())})")
    print(f"check: {check}")

    params = list(si.values())
    weight_decay = 0.0 if args.protocol == "sphere" else args.lambda_
    lr = args.eta if args.protocol == "lr" else 0.0  # elr, sphere: the monitor sets it
    optimizer = torch.optim.SGD(params, lr=lr, weight_decay=weight_decay)
    monitor = idealgas.Monitor(params, args.protocol, optimizer=optimizer, eta=args.eta, eta_eff=args.eta_eff,
                               lambda_=args.lambda_, radius=args.radius, queue_size=args.queue,
                               snapshot_every=args.snapshot_every, exclude_window=args.exclude_window)
    batch_rng = torch.Generator().manual_seed(args.seed + 1)
    n_train = len(x_train)

    def random_batch():
        idx = torch.randint(0, n_train, (args.batch,), generator=batch_rng)  # with replacement
        return x_train[idx], y_train[idx]

    def log_point_losses():
        # 2 x log_batches independent random batches: their two half-gradients give an unbiased |grad L|^2.
        for _ in range(2 * args.log_batches):
            x, y = random_batch()
            yield F.cross_entropy(model(x), y)

    model.train()
    t0, cpu0 = time.perf_counter(), time.process_time()
    seconds_log = 0.0
    for step in range(args.steps):
        x, y = random_batch()
        optimizer.zero_grad(set_to_none=False)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        monitor.step(loss)
        if (step + 1) % args.log_every == 0:
            t_log = time.perf_counter()
            monitor.measure_full_gradient(log_point_losses(), independent_halves=True)
            seconds_log += time.perf_counter() - t_log
        if (step + 1) % args.print_every == 0:
            h = monitor.history()
            recent = h["full_step"] > step + 1 - args.print_every
            print(f"step {step + 1:6d}  batch loss {h['loss'][-args.print_every:].mean():.4f}  "
                  f"r^2|g_B|^2 {h['grad_norm_sq_unit'][-args.print_every:].mean():.4g}  "
                  f"|grad L(w_hat)|^2 {h['full_grad_norm_sq'][recent].mean():.4g}  (means over the last "
                  f"{args.print_every} steps)  {time.perf_counter() - t0:.0f} s", flush=True)
    seconds = time.perf_counter() - t0
    cpu_seconds = time.process_time() - cpu0

    print()
    print(monitor.report(start=burn_in))
    train_seconds = seconds - seconds_log
    print(f"\ntime: {seconds:.1f} s for {args.steps} steps ({1e3 * train_seconds / args.steps:.1f} ms/step of "
          f"training, monitor {1e3 * monitor.seconds / args.steps:.2f} ms/step = "
          f"{100 * monitor.seconds / (train_seconds - monitor.seconds):.1f} % of the rest; full-gradient log points "
          f"{seconds_log:.1f} s; {cpu_seconds:.0f} CPU seconds in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
