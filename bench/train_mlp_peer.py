#!/usr/bin/env python3
"""Peer of the trainer's scale-invariant MLP (model.arch = "mlp"), written the way the paper's own code trains
(the same loop as the ConvNet peer that bench/train_vs_peer.sh runs by default): PyTorch in Python, i.i.d. batches
of 128 drawn with torch.randint, SGD without momentum, the joint norm of the scale-invariant weights read back
every step (fixed ELR and the sphere need it), the stochastic gradient copied to the host.
Model: flatten, then DEPTH x [Linear(no bias), BatchNorm1d(affine=False), ReLU] of width WIDTH, then a frozen
Linear(WIDTH, 10) with bias, rescaled to Frobenius norm 10.
Usage: train_mlp_peer.py ITERS [WIDTH=64] [DEPTH=2] [PROTOCOL=lr|elr|sphere] [THREADS]
Prints ms per iteration on random Fashion-MNIST-shaped data (N = 10000 images of 1x28x28 = 784 features)."""
import sys
import time

import torch
import torch.nn as nn

iters = int(sys.argv[1])
width = int(sys.argv[2]) if len(sys.argv) > 2 else 64
depth = int(sys.argv[3]) if len(sys.argv) > 3 else 2
proto = sys.argv[4] if len(sys.argv) > 4 else "lr"
if len(sys.argv) > 5:
    torch.set_num_threads(int(sys.argv[5]))
features = 784


class Mlp(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        layers, fan_in = [], features
        for _ in range(depth):
            layers += [nn.Linear(fan_in, width, bias=False), nn.BatchNorm1d(width, affine=False), nn.ReLU()]
            fan_in = width
        self.hidden = nn.Sequential(*layers)
        self.head = nn.Linear(width, classes)
        with torch.no_grad():
            self.head.weight.mul_(10.0 / self.head.weight.norm())
        for p in self.head.parameters():
            p.requires_grad = False

    def forward(self, x):
        return self.head(self.hidden(x.flatten(1)))


torch.manual_seed(1)
model = Mlp()
si = [p for n, p in model.named_parameters() if n.startswith("hidden")]
with torch.no_grad():
    nrm = torch.sqrt(sum((p ** 2).sum() for p in si))
    for p in si:
        p.mul_(1.0 / nrm)
X = torch.randn(10000, 1, 28, 28)
Y = torch.randint(0, 10, (10000,))
lr, wd = 1e-2, (0.0 if proto == "sphere" else 1e-3)
opt = torch.optim.SGD([{"params": si, "lr": lr}], lr=lr, weight_decay=wd)
crit = nn.CrossEntropyLoss()


def pnorm():
    return sum((p ** 2).sum().item() for p in si) ** 0.5


r = pnorm()


def step():
    global r
    opt.zero_grad(set_to_none=True)
    idx = torch.randint(0, len(X), (128,))
    xb, yb = X[idx], Y[idx]
    model.train()
    if proto == "elr":
        opt.param_groups[0]["lr"] = lr * r ** 2
    loss = crit(model(xb), yb)
    loss.backward()
    opt.step()
    r = pnorm()
    if proto == "sphere":
        with torch.no_grad():
            for p in si:
                p.mul_(1.0 / r)
    torch.cat([p.grad.reshape(-1) for p in si]).cpu()
    return loss


for _ in range(5):
    step()
t0 = time.perf_counter()
for _ in range(iters):
    step()
dt = time.perf_counter() - t0
D = sum(p.numel() for p in si)
print(f"peer torch-python MLP width={width} depth={depth} D={D} {proto}: {dt / iters * 1e3:.3f} ms/iter "
      f"(threads={torch.get_num_threads()})")
