#!/usr/bin/env python3
"""The same scale-invariant ConvNet trained twice, with your own PyTorch loop and the idealgas Monitor and with
`idealgas train` on the model exported as TorchScript; the stationary radius, sigma^2 and entropy side by side.

    cmake --build --preset release --target idealgas idealgas_python
    PYTHONPATH=build/release/python /usr/bin/python3 examples/compare_monitor_train.py \\
        --idealgas build/release/idealgas [--k 2] [--per-class 100] [--steps 2000] [--out runs/compare]
        [--seeds 2,3,4,5,6]   # one pair per seed, then the means compared with their seed-to-seed SEs

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
    ap.add_argument("--seeds", default=None,
                    help="comma-separated seeds: one pair of runs per seed (OUT/seed-N), then the two sides' means "
                         "compared with their seed-to-seed SEs")
    args = ap.parse_args(argv)
    for name in ("k", "per_class", "steps", "batch", "log_every", "queue", "snapshot_every", "chunk"):
        if getattr(args, name) < 1:
            ap.error(f"--{name.replace('_', '-')} must be >= 1")
    if args.steps % (2 * args.log_every) != 0:
        ap.error("--steps must be a multiple of 2 x --log-every (log points on both sides of the window's start)")
    for seed in ([args.seed] if not args.seeds else []):
        if not 0 <= seed < 2 ** 63 - 1:
            ap.error(f"--seed must be in [0, 2^63 - 1), got {seed}")
    if args.seeds is not None and not args.seeds.strip():
        ap.error("--seeds is empty")
    if not args.seeds:
        return 0 if run_pair(args, args.seed, args.out) is not None else 1
    try:
        seeds = [int(x) for x in args.seeds.split(",")]
    except ValueError:
        ap.error(f"--seeds must be comma-separated integers, got {args.seeds!r}")
    if len(set(seeds)) != len(seeds):
        ap.error(f"--seeds lists a seed twice: {args.seeds!r}")
    if any(not 0 <= s < 2 ** 63 - 1 for s in seeds):
        ap.error(f"--seeds must be in [0, 2^63 - 1), got {args.seeds!r}")
    pairs = {}
    for seed in seeds:
        print(f"\n=== seed {seed}")
        pair = run_pair(args, seed, os.path.join(args.out, f"seed-{seed}"))
        if pair is not None:
            pairs[seed] = pair
    print_replicate_comparison(pairs)
    return 0 if len(pairs) >= 2 else 1


# (label, key of the value, key of its within-run SE) in both the monitor's summary and the trainer's summary.json.
QUANTITIES = [("r (stationary radius)", "r_mean", "r_se"), ("sigma2", "sigma2", "sigma2_se"), ("T", "T", "T_se"),
              ("U (mean batch loss)", "U", "U_se"), ("S_sphere (nats)", "S_sphere", "S_sphere_se")]


def number(summary: dict, key: str) -> float:
    """summary[key] as a float; NaN where it is missing or null (e.g. T when the Tr Sigma estimate is negative)."""
    value = summary.get(key)
    return math.nan if value is None else float(value)


def print_replicate_comparison(pairs: dict) -> None:
    """Each side's mean over seeds with its seed-to-seed SE (sd / sqrt(n), over the seeds where the value is finite),
    the difference in the combined SE, and the ratio of the seed-to-seed SD to the mean within-run SE (an honest
    within-run SE gives ~1)."""
    n = len(pairs)
    print(f"\nreplicates: {n} seeds ({', '.join(str(s) for s in pairs)})")
    if n < 2:
        print("fewer than 2 finished seeds: no seed-to-seed SE")
        return
    print(f"{'':24s} {'Monitor: mean ± SE':>26s} {'idealgas train: mean ± SE':>28s} {'diff / SE':>10s} "
          f"{'sd/within-SE (Py, C++)':>24s}")
    for name, key, se_key in QUANTITIES:
        sides = []
        for which in (0, 1):
            values = np.array([number(pairs[s][which], key) for s in pairs], dtype=np.float64)
            within = np.array([number(pairs[s][which], se_key) for s in pairs], dtype=np.float64)
            ok = np.isfinite(values)  # e.g. T is NaN where a run's Tr Sigma estimate came out negative
            values, within = values[ok], within[ok]
            if values.size < 2:
                sides.append((math.nan, math.nan, math.nan))
                continue
            sd = float(values.std(ddof=1))
            sides.append((float(values.mean()), sd / math.sqrt(values.size), sd / float(np.nanmean(within))
                          if np.isfinite(within).any() else math.nan))
        (a, a_se, a_ratio), (b, b_se, b_ratio) = sides
        z = (a - b) / math.hypot(a_se, b_se)
        print(f"{name:24s} {a:>12.5g} ± {a_se:<11.2g} {b:>14.5g} ± {b_se:<11.2g} {z:>+10.2f} "
              f"{a_ratio:>11.2f} {b_ratio:>11.2f}")


def run_pair(args, seed: int, out: str):
    """One seed: the Python loop with the monitor and `idealgas train`, in parallel; prints the side-by-side table
    and returns (monitor summary, trainer stationary dict), or None when the trainer refused or failed."""
    os.makedirs(os.path.join(out, "data"), exist_ok=True)
    torch.set_num_threads(1)
    torch.manual_seed(seed)

    # Data: the same subset for both runs.
    images = read_idx(os.path.join(DATA_DIR, "train-images-idx3-ubyte.gz"), IDX_IMAGES_MAGIC, 3)
    labels = read_idx(os.path.join(DATA_DIR, "train-labels-idx1-ubyte.gz"), IDX_LABELS_MAGIC, 1)
    images, labels = balanced_subset(images, labels, args.per_class)
    test_images = read_idx(os.path.join(DATA_DIR, "t10k-images-idx3-ubyte.gz"), IDX_IMAGES_MAGIC, 3)
    test_labels = read_idx(os.path.join(DATA_DIR, "t10k-labels-idx1-ubyte.gz"), IDX_LABELS_MAGIC, 1)
    test_images, test_labels = balanced_subset(test_images, test_labels, 10)
    data_dir = os.path.join(out, "data")
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
    model_path = os.path.join(out, "model.pt")
    torch.jit.script(model).save(model_path)
    names = list(si)
    print(f"model: ConvNet k = {args.k}, SI parameters {', '.join(names)} (d = {sum(p.numel() for p in si.values())}); "
          f"data: {n_train} training images")

    # The C++ run, in the background.
    config = os.path.join(out, "train.toml")
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
seed = {seed}
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
    run_dir = os.path.join(out, "train")
    t0 = time.perf_counter()
    cpp = subprocess.Popen([args.idealgas, "train", config, "--out", run_dir, "--restart", "--quiet"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    # The Python run: your own loop with the monitor.
    params = list(si.values())
    optimizer = torch.optim.SGD(params, lr=args.eta, weight_decay=args.lambda_)
    monitor = idealgas.Monitor(params, "lr", optimizer=optimizer, eta=args.eta, lambda_=args.lambda_,
                               queue_size=args.queue, snapshot_every=args.snapshot_every)
    batch_rng = torch.Generator().manual_seed(seed + 1)

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
            if cpp.poll() not in (None, 0):  # the trainer refused (e.g. its scale-invariance check): stop here
                print(cpp.communicate()[0], file=sys.stderr)
                return None
            saved = [b.clone() for b in model.buffers()]  # the trainer's log points leave BatchNorm's state alone
            monitor.measure_full_gradient(full_batch_chunks())
            with torch.no_grad():
                for b, s in zip(model.buffers(), saved):
                    b.copy_(s)
    python_seconds = time.perf_counter() - t0
    py = monitor.summary(start=args.steps // 2)
    with open(os.path.join(out, "monitor_summary.json"), "w") as f:
        json.dump(py, f, indent=1, default=lambda o: o.tolist() if hasattr(o, "tolist") else float(o))
    cpp_output, _ = cpp.communicate()
    cpp_seconds = time.perf_counter() - t0
    if cpp.returncode != 0:
        print(cpp_output, file=sys.stderr)
        return None
    with open(os.path.join(run_dir, "summary.json")) as f:
        st = json.load(f)["stationary"]

    rows = [(name, number(py, key), number(py, se), number(st, key), number(st, se)) for name, key, se in QUANTITIES]
    print(f"\nstationary window: steps {args.steps // 2}..{args.steps}; entropy queue {args.queue} snapshots every "
          f"{args.snapshot_every} steps")
    print(f"{'':24s} {'Monitor (Python loop)':>24s} {'idealgas train':>24s} {'difference / SE':>16s}")
    for name, a, a_se, b, b_se in rows:
        z = (a - b) / math.hypot(a_se, b_se) if a_se > 0 or b_se > 0 else math.nan
        print(f"{name:24s} {a:>12.5g} ± {a_se:<9.2g} {b:>12.5g} ± {b_se:<9.2g} {z:>+16.2f}")
    print(f"(r discrete prediction: Python {py['predictions'].get('r_discrete', math.nan):.5g}, "
          f"C++ {st.get('r_discrete', math.nan):.5g})")
    print(f"\ntime: Python loop {python_seconds:.0f} s, idealgas train {cpp_seconds:.0f} s (in parallel, 1 thread each)")
    return py, st


if __name__ == "__main__":
    sys.exit(main())
