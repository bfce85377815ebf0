#!/usr/bin/env python3
"""The same scale-invariant ConvNet trained twice, with your own PyTorch loop and the idealgas Monitor and with
`idealgas train` on the model exported as TorchScript; the stationary radius, sigma^2 and entropy side by side.

    cmake --build --preset release --target idealgas idealgas_python
    PYTHONPATH=build/release/python /usr/bin/python3 examples/compare_monitor_train.py \\
        --idealgas build/release/idealgas [--k 2] [--per-class 100] [--steps 2000] [--out runs/compare]

Both runs see the same data, model, initial point and protocol; only the batch streams differ, so their
stationary averages must agree within their standard errors (issue 9's acceptance):
- data: the first --per-class training images of each Fashion-MNIST class (Debian's IDX files), written as IDX
  files into OUT/data for `idealgas train` and used as they are here; normalised per channel with the mean and
  (population) std of those images, 28x28 centred on a black 32x32 canvas before normalisation (as the trainer
  does, data/image_dataset.hpp);
- model: the paper's ConvNet of width k (examples/train_fmnist_monitor.py), SI weights found by
  idealgas.find_scale_invariant_params and rescaled to joint norm 1, saved with torch.jit.script to OUT/model.pt
  (the trainer rescales to norm 1 again: a no-op up to rounding);
- protocol: fixed LR (eta, lambda), batches of 128 drawn with replacement, plain SGD with coupled weight decay;
- measurements: the full-batch gradient over the training subset every --log-every steps (train-mode BatchNorm
  over chunks, as the trainer's log points), the entropy queue of --queue snapshots every --snapshot-every steps;
  stationary window: the second half of the steps.
The two runs go in parallel, one thread each (LibTorch's kernels give other bits with another thread count).
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import idealgas  # noqa: E402
from train_fmnist_monitor import DATA_DIR, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, ConvNet, read_idx  # noqa: E402

CANVAS = 32


def balanced_subset(images: np.ndarray, labels: np.ndarray, per_class: int):
    """The first `per_class` images of each class, in file order."""
    keep = np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in range(10)])
    keep.sort()
    if any((labels[keep] == c).sum() < per_class for c in range(10)):
        raise idealgas.InputError(f"--per-class {per_class}: some class has fewer images")
    return images[keep], labels[keep]


def write_idx(path: str, array: np.ndarray, magic: int) -> None:
    header = np.array([magic, *array.shape], dtype=">i4").tobytes()
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def to_tensor(images: np.ndarray, mean: float, std: float) -> torch.Tensor:
    """[n, 1, 32, 32] float32: black canvas, image centred, then (pixel/255 - mean)/std."""
    n, h, w = images.shape
    canvas = np.zeros((n, CANVAS, CANVAS), dtype=np.float64)
    top, left = (CANVAS - h) // 2, (CANVAS - w) // 2
    canvas[:, top:top + h, left:left + w] = images
    return torch.from_numpy(((canvas / 255.0 - mean) / std).astype(np.float32)).unsqueeze(1).contiguous()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--idealgas", default="build/release/idealgas", help="the idealgas program")
    ap.add_argument("--out", default="runs/compare_monitor_train")
    ap.add_argument("--k", type=int, default=2)
    ap.add_argument("--per-class", type=int, default=100)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--eta", type=float, default=0.1)
    ap.add_argument("--lambda", dest="lambda_", type=float, default=1e-2)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--log-every", type=int, default=100)
    ap.add_argument("--queue", type=int, default=40)
    ap.add_argument("--snapshot-every", type=int, default=20)
    ap.add_argument("--chunk", type=int, default=1000, help="images per forward pass of the full-batch gradient")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    for name in ("k", "per_class", "steps", "batch", "log_every", "queue", "snapshot_every", "chunk"):
        if getattr(args, name) < 1:
            ap.error(f"--{name.replace('_', '-')} must be >= 1")
    if args.steps % (2 * args.log_every) != 0:
        ap.error("--steps must be a multiple of 2 x --log-every (log points on both sides of the window's start)")
    os.makedirs(os.path.join(args.out, "data"), exist_ok=True)
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)

    # Data: the same subset for both runs.
    images = read_idx(os.path.join(DATA_DIR, "train-images-idx3-ubyte.gz"), IDX_IMAGES_MAGIC, 3)
    labels = read_idx(os.path.join(DATA_DIR, "train-labels-idx1-ubyte.gz"), IDX_LABELS_MAGIC, 1)
    images, labels = balanced_subset(images, labels, args.per_class)
    test_images = read_idx(os.path.join(DATA_DIR, "t10k-images-idx3-ubyte.gz"), IDX_IMAGES_MAGIC, 3)
    test_labels = read_idx(os.path.join(DATA_DIR, "t10k-labels-idx1-ubyte.gz"), IDX_LABELS_MAGIC, 1)
    test_images, test_labels = balanced_subset(test_images, test_labels, 10)
    data_dir = os.path.join(args.out, "data")
    write_idx(os.path.join(data_dir, "train-images-idx3-ubyte.gz"), images, IDX_IMAGES_MAGIC)
    write_idx(os.path.join(data_dir, "train-labels-idx1-ubyte.gz"), labels, IDX_LABELS_MAGIC)
    write_idx(os.path.join(data_dir, "t10k-images-idx3-ubyte.gz"), test_images, IDX_IMAGES_MAGIC)
    write_idx(os.path.join(data_dir, "t10k-labels-idx1-ubyte.gz"), test_labels, IDX_LABELS_MAGIC)
    pixels = images.astype(np.float64)
    mean, std = pixels.mean() / 255.0, pixels.std() / 255.0  # the trainer's channel_statistics
    x_train = to_tensor(images, mean, std)
    y_train = torch.from_numpy(labels.astype(np.int64))
    n_train = len(x_train)

    # Model: SI weights at joint norm 1, exported as TorchScript.
    model = ConvNet(args.k)
    si = idealgas.find_scale_invariant_params(model, with_names=True)
    with torch.no_grad():
        norm = math.sqrt(sum(float((p ** 2).sum()) for p in si.values()))
        for p in si.values():
            p.mul_(1.0 / norm)
    model_path = os.path.join(args.out, "model.pt")
    torch.jit.script(model).save(model_path)
    names = list(si)
    print(f"model: ConvNet k = {args.k}, SI parameters {', '.join(names)} (d = {sum(p.numel() for p in si.values())}); "
          f"data: {n_train} training images")

    # The C++ run, in the background.
    config = os.path.join(args.out, "train.toml")
    with open(config, "w") as f:
        f.write(f"""[model]
arch = "torchscript"
path = {json.dumps(os.path.abspath(model_path))}
si_parameters = {json.dumps(names)}

[data]
dataset = "fashion-mnist"
path = {json.dumps(os.path.abspath(data_dir))}

[protocol]
name = "lr"
eta = {args.eta!r}
lambda = {args.lambda_!r}

[train]
iterations = {args.steps}
batch_size = {args.batch}
seed = {args.seed}
threads = 1

[measure]
running_stride = 10
log_dense_stride = {args.log_every}
log_dense_until = {args.steps}
log_points = 0
eval_chunk = {args.chunk}
test_metrics = false
stationary_fraction = 0.5
queue_size = {args.queue}
queue_stride = {args.snapshot_every}
""")
    run_dir = os.path.join(args.out, "train")
    t0 = time.perf_counter()
    cpp = subprocess.Popen([args.idealgas, "train", config, "--out", run_dir, "--restart", "--quiet"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    # The Python run: your own loop with the monitor.
    params = list(si.values())
    optimizer = torch.optim.SGD(params, lr=args.eta, weight_decay=args.lambda_)
    monitor = idealgas.Monitor(params, "lr", optimizer=optimizer, eta=args.eta, lambda_=args.lambda_,
                               queue_size=args.queue, snapshot_every=args.snapshot_every)
    batch_rng = torch.Generator().manual_seed(args.seed + 1)

    def full_batch_chunks():  # (mean chunk loss, chunk size): the full-batch gradient, as the trainer's log points
        for start in range(0, n_train, args.chunk):
            xs, ys = x_train[start:start + args.chunk], y_train[start:start + args.chunk]
            yield F.cross_entropy(model(xs), ys), float(len(xs))

    model.train()
    for step in range(args.steps):
        idx = torch.randint(0, n_train, (args.batch,), generator=batch_rng)
        optimizer.zero_grad(set_to_none=False)
        loss = F.cross_entropy(model(x_train[idx]), y_train[idx])
        loss.backward()
        optimizer.step()
        monitor.step(loss)
        if (step + 1) % args.log_every == 0:
            saved = [b.clone() for b in model.buffers()]  # the trainer's log points leave BatchNorm's state alone
            monitor.measure_full_gradient(full_batch_chunks())
            with torch.no_grad():
                for b, s in zip(model.buffers(), saved):
                    b.copy_(s)
    python_seconds = time.perf_counter() - t0
    py = monitor.summary(start=args.steps // 2)
    out, _ = cpp.communicate()
    cpp_seconds = time.perf_counter() - t0
    if cpp.returncode != 0:
        print(out, file=sys.stderr)
        return cpp.returncode
    with open(os.path.join(run_dir, "summary.json")) as f:
        st = json.load(f)["stationary"]

    rows = [("r (stationary radius)", py["r_mean"], py["r_se"], st["r_mean"], st["r_se"]),
            ("sigma2", py["sigma2"], py["sigma2_se"], st["sigma2"], st["sigma2_se"]),
            ("T", py["T"], py["T_se"], st["T"], st["T_se"]),
            ("U (mean batch loss)", py["U"], py["U_se"], st["U"], st["U_se"]),
            ("S_sphere (nats)", py["S_sphere"], py["S_sphere_se"], st["S_sphere"], st["S_sphere_se"])]
    print(f"\nstationary window: steps {args.steps // 2}..{args.steps}; entropy queue {args.queue} snapshots every "
          f"{args.snapshot_every} steps")
    print(f"{'':24s} {'Monitor (Python loop)':>24s} {'idealgas train':>24s} {'difference / SE':>16s}")
    for name, a, a_se, b, b_se in rows:
        z = (a - b) / math.hypot(a_se, b_se) if a_se > 0 or b_se > 0 else math.nan
        print(f"{name:24s} {a:>12.5g} ± {a_se:<9.2g} {b:>12.5g} ± {b_se:<9.2g} {z:>+16.2f}")
    print(f"(r discrete prediction: Python {py['predictions'].get('r_discrete', math.nan):.5g}, "
          f"C++ {st.get('r_discrete', math.nan):.5g})")
    print(f"\ntime: Python loop {python_seconds:.0f} s, idealgas train {cpp_seconds:.0f} s (in parallel, 1 thread each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
