"""Which parameters of a PyTorch model are scale-invariant, and a numerical check that they are.

The theory (docs/theory.md §1) needs ``L(c w) = L(w)`` for every ``c > 0``, with ``w`` all the parameters treated
as one sphere. :func:`find_scale_invariant_params` finds them from the model's graph; :func:`check_scale_invariance`
measures how far the outputs move when they are scaled.

The rule of :func:`find_scale_invariant_params` (torch.fx graph of the model):

1. Candidates: the weights of bias-free convolutions (``nn.Conv1d/2d/3d``, transposed too) and linear layers
   (``nn.Linear``), and of their functional forms (``F.conv*``, ``F.linear`` with no bias).
2. A candidate is kept when every path from its layer's output to the model's output enters a normalisation
   layer as its input: ``BatchNorm``/``SyncBatchNorm``, ``LayerNorm``, ``GroupNorm``, ``InstanceNorm`` (modules or
   ``F.batch_norm``/``layer_norm``/``group_norm``/``instance_norm``). Such a layer divides by the scale of its
   input, so it removes the weight's scale. Whether the normalisation is affine does not matter for the weights
   that feed it; the normalisation's own affine parameters (gamma, beta) are never scale-invariant, and the paper's
   fully scale-invariant models (docs/paper-setup.md §2) have ``affine=False`` everywhere so that no trainable
   parameter is left off the sphere.
3. The kept weights are scaled together: the degree of homogeneity in the common factor ``c`` is propagated
   through the graph (convolutions and linear layers add their weight's degree; ReLU, pooling, reshapes, dropout
   and concatenation keep it; additions need equal degrees; normalisations reset it to 0). A weight whose
   influence reaches an operation that would mix degrees (an addition of tensors of different degree, a bias,
   a non-homogeneous activation such as sigmoid, a normalisation's gamma, an unknown operation) is dropped, and
   the propagation is repeated until the output has degree 0. Residual networks whose stem is invariant only
   jointly with the other weights (pre-activation ResNet, docs/paper-setup.md §2) pass this step as a whole.

The rule is conservative: a weight it cannot prove invariant is left out (e.g. a convolution with a bias before
BatchNorm, which is in fact cancelled by it). A model that torch.fx cannot trace (data-dependent control flow)
is refused; pass the parameters yourself. Either way, confirm with :func:`check_scale_invariance`.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field
from typing import Iterable, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import _core

# ---- find_scale_invariant_params ------------------------------------------------------------------------------

_NORM_MODULES = (nn.modules.batchnorm._BatchNorm, nn.LayerNorm, nn.GroupNorm, nn.modules.instancenorm._InstanceNorm)
_NORM_FUNCTIONS = {F.batch_norm, F.layer_norm, F.group_norm, F.instance_norm}
_LINEAR_MODULES = (nn.modules.conv._ConvNd, nn.Linear)
_LINEAR_FUNCTIONS = {F.conv1d, F.conv2d, F.conv3d, F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d,
                     F.linear}
# Positively homogeneous of degree 1 in their (first) input: f(c x) = c f(x) for c > 0.
_KEEP_MODULES = (nn.ReLU, nn.LeakyReLU, nn.modules.pooling._MaxPoolNd, nn.modules.pooling._AvgPoolNd,
                 nn.modules.pooling._AdaptiveAvgPoolNd, nn.modules.pooling._AdaptiveMaxPoolNd, nn.Flatten,
                 nn.Unflatten, nn.Identity, nn.modules.dropout._DropoutNd, nn.ZeroPad2d, nn.PixelShuffle,
                 nn.PixelUnshuffle, nn.Upsample)
_KEEP_FUNCTIONS = {F.relu, torch.relu, F.leaky_relu, F.max_pool1d, F.max_pool2d, F.max_pool3d, F.avg_pool1d,
                   F.avg_pool2d, F.avg_pool3d, F.adaptive_avg_pool1d, F.adaptive_avg_pool2d, F.adaptive_avg_pool3d,
                   F.adaptive_max_pool1d, F.adaptive_max_pool2d, F.adaptive_max_pool3d, F.dropout, F.dropout2d,
                   torch.flatten, torch.reshape, torch.transpose, torch.permute, torch.squeeze, torch.unsqueeze,
                   torch.cat, torch.stack, operator.getitem, torch.mean, torch.sum}
_KEEP_METHODS = {"view", "reshape", "flatten", "permute", "transpose", "contiguous", "squeeze", "unsqueeze",
                 "relu", "clone", "expand", "narrow", "mean", "sum", "t", "chunk", "split", "__getitem__", "flip",
                 "roll", "repeat"}
_SIZE_METHODS = {"size", "dim", "numel"}  # values that do not scale
_ADD_FUNCTIONS = {operator.add, operator.sub, operator.iadd, operator.isub, torch.add, torch.sub}
_ADD_METHODS = {"add", "sub", "add_", "sub_"}
_MUL_FUNCTIONS = {operator.mul, operator.imul, torch.mul}
_MUL_METHODS = {"mul", "mul_"}
_DIV_FUNCTIONS = {operator.truediv, operator.itruediv, torch.div}
_DIV_METHODS = {"div", "div_"}

_MIXED = "mixed"  # not homogeneous in the common factor
_CONST = None  # a Python value (shape, number): does not scale


@dataclass
class _Deg:
    degree: object  # int >= 0, _MIXED, or _CONST
    influence: frozenset = frozenset()  # candidate parameter names whose scale reaches this value


def _trace(model: nn.Module):
    try:
        return torch.fx.symbolic_trace(model)
    except Exception as exc:  # torch.fx raises many kinds (TraceError, TypeError, ...)
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise _core.InputError(
            f"find_scale_invariant_params: torch.fx cannot trace {type(model).__name__} ({first_line}); pass the "
            "scale-invariant parameters yourself and confirm them with check_scale_invariance") from None


def _params_of_node(gm, node) -> dict:
    """Parameters a node uses directly: {role: name} (role 'weight' / 'bias' for layers, 'value' for get_attr)."""
    named = dict(gm.named_parameters())
    if node.op == "call_module":
        mod = gm.get_submodule(node.target)
        return {role: f"{node.target}.{role}" for role, p in mod.named_parameters(recurse=False)}
    if node.op == "get_attr" and node.target in named:
        return {"value": node.target}
    return {}


def _first_arg(node):
    return node.args[0] if node.args else None


def _is_norm(gm, node) -> bool:
    if node.op == "call_module":
        return isinstance(gm.get_submodule(node.target), _NORM_MODULES)
    return node.op == "call_function" and node.target in _NORM_FUNCTIONS


def _candidates(gm) -> dict:
    """Candidate weights -> the node whose output they scale (step 1 of the rule)."""
    named = dict(gm.named_parameters())
    out = {}
    for node in gm.graph.nodes:
        if node.op == "call_module":
            mod = gm.get_submodule(node.target)
            if isinstance(mod, _LINEAR_MODULES) and mod.bias is None and mod.weight.requires_grad:
                out[f"{node.target}.weight"] = node
        elif node.op == "call_function" and node.target in _LINEAR_FUNCTIONS:
            weight = node.args[1] if len(node.args) > 1 else node.kwargs.get("weight")
            bias = node.args[2] if len(node.args) > 2 else node.kwargs.get("bias")
            if getattr(weight, "op", None) == "get_attr" and weight.target in named and bias is None:
                if named[weight.target].requires_grad:
                    out[weight.target] = node
    return out


def _all_paths_normalised(gm, start) -> bool:
    """Step 2: every path from `start` to the output enters a normalisation as its input."""
    stack, seen = [start], set()
    while stack:
        node = stack.pop()
        for user in node.users:
            if user.op == "output":
                return False
            if _is_norm(gm, user) and _first_arg(user) is node:
                continue
            if (user.op == "call_method" and user.target in _SIZE_METHODS) or (
                    user.op == "call_function" and user.target is getattr):
                continue  # x.size(), x.shape: values that do not scale
            if user not in seen:
                seen.add(user)
                stack.append(user)
    return True


def _propagate(gm, scaled: set):
    """Step 3: degrees of every node when the parameters in `scaled` are multiplied by c. Returns (output degree,
    culprits): the parameters whose influence reached an operation that mixes degrees."""
    deg: dict = {}
    culprits: set = set()

    def of(arg) -> _Deg:
        if isinstance(arg, torch.fx.Node):
            return deg[arg]
        if isinstance(arg, (list, tuple)):
            parts = [of(a) for a in arg]
            return _combine_equal(parts)
        return _Deg(_CONST)

    def tensor_args(node):
        return [of(a) for a in list(node.args) + list(node.kwargs.values())]

    def mixed(parts) -> _Deg:
        infl = frozenset().union(*[p.influence for p in parts]) if parts else frozenset()
        culprits.update(infl)
        return _Deg(_MIXED, infl)

    def _combine_equal(parts) -> _Deg:
        degrees = {p.degree for p in parts if p.degree is not _CONST}
        infl = frozenset().union(*[p.influence for p in parts]) if parts else frozenset()
        if not degrees:
            return _Deg(_CONST, infl)
        if len(degrees) == 1 and _MIXED not in degrees:
            return _Deg(degrees.pop(), infl)
        return mixed(parts)

    def weighted(name: Optional[str]) -> _Deg:
        if name is None:
            return _Deg(_CONST)
        return _Deg(1, frozenset([name])) if name in scaled else _Deg(0)

    def layer(x: _Deg, w: _Deg, b: Optional[_Deg]) -> _Deg:
        if x.degree is _MIXED or w.degree is _MIXED:
            return mixed([x, w])
        d = (0 if x.degree is _CONST else x.degree) + (0 if w.degree is _CONST else w.degree)
        infl = x.influence | w.influence
        if b is not None and b.degree is not _CONST and b.degree != d:
            return mixed([x, w, b])
        return _Deg(d, infl | (b.influence if b is not None else frozenset()))

    def unknown(parts) -> _Deg:
        if all(p.degree in (0, _CONST) for p in parts):
            return _Deg(0, frozenset().union(*[p.influence for p in parts]) if parts else frozenset())
        return mixed(parts)

    named = dict(gm.named_parameters())
    output_deg = _Deg(0)
    for node in gm.graph.nodes:
        if node.op == "placeholder":
            deg[node] = _Deg(0)
        elif node.op == "get_attr":
            deg[node] = weighted(node.target) if node.target in named else _Deg(0)
        elif node.op == "output":
            output_deg = of(node.args[0])
        elif node.op == "call_module":
            mod = gm.get_submodule(node.target)
            x = of(_first_arg(node))
            params = _params_of_node(gm, node)
            if isinstance(mod, _LINEAR_MODULES):
                deg[node] = layer(x, weighted(params.get("weight")),
                                  weighted(params.get("bias")) if "bias" in params else None)
            elif isinstance(mod, _NORM_MODULES):
                if x.degree is _MIXED:
                    deg[node] = mixed([x])
                else:
                    gamma = weighted(params.get("weight")) if "weight" in params else _Deg(0)
                    beta = weighted(params.get("bias")) if "bias" in params else None
                    deg[node] = layer(_Deg(0), gamma, beta)
            elif isinstance(mod, _KEEP_MODULES):
                deg[node] = x
            else:
                own = [weighted(n) for n in params.values()]
                deg[node] = unknown(tensor_args(node) + own)
        elif node.op == "call_function":
            t = node.target
            if t in _LINEAR_FUNCTIONS:
                args = list(node.args) + [None] * 3
                w = node.kwargs.get("weight", args[1])
                b = node.kwargs.get("bias", args[2])
                deg[node] = layer(of(args[0]), of(w), None if b is None else of(b))
            elif t in _NORM_FUNCTIONS:
                x = of(_first_arg(node))
                rest = [of(a) for a in list(node.args[1:]) + list(node.kwargs.values())]
                deg[node] = mixed([x]) if x.degree is _MIXED else unknown(rest)
            elif t in _KEEP_FUNCTIONS:
                deg[node] = of(_first_arg(node)) if t not in (torch.cat, torch.stack) else of(node.args[0])
            elif t in _ADD_FUNCTIONS:
                deg[node] = _combine_equal(tensor_args(node))
            elif t in _MUL_FUNCTIONS or t in _DIV_FUNCTIONS:
                deg[node] = _product(tensor_args(node), divide=t in _DIV_FUNCTIONS, mixed=mixed)
            elif t is getattr:
                deg[node] = _Deg(_CONST)  # x.shape and the like
            else:
                deg[node] = unknown(tensor_args(node))
        elif node.op == "call_method":
            m = node.target
            if m in _KEEP_METHODS:
                deg[node] = of(_first_arg(node))
            elif m in _SIZE_METHODS:
                deg[node] = _Deg(_CONST)
            elif m in _ADD_METHODS:
                deg[node] = _combine_equal(tensor_args(node))
            elif m in _MUL_METHODS or m in _DIV_METHODS:
                deg[node] = _product(tensor_args(node), divide=m in _DIV_METHODS, mixed=mixed)
            else:
                deg[node] = unknown(tensor_args(node))
    if output_deg.degree not in (0, _CONST):
        culprits.update(output_deg.influence)
    return output_deg, culprits


def _product(parts, *, divide: bool, mixed) -> _Deg:
    if any(p.degree is _MIXED for p in parts):
        return mixed(parts)
    degrees = [0 if p.degree is _CONST else p.degree for p in parts]
    infl = frozenset().union(*[p.influence for p in parts]) if parts else frozenset()
    total = degrees[0] - sum(degrees[1:]) if divide else sum(degrees)
    if total < 0:
        return mixed(parts)
    return _Deg(total, infl)


def find_scale_invariant_params(model: nn.Module, *, with_names: bool = False):
    """The parameters of `model` that are scale-invariant as one sphere (the rule at the top of this module).

    Returns a list of parameters in the order of ``model.named_parameters()``, or with ``with_names=True`` a dict
    name -> parameter. Raises InputError when torch.fx cannot trace the model or no parameter qualifies.
    """
    if not isinstance(model, nn.Module):
        raise _core.InputError(f"model is a {type(model).__name__}; expected a torch.nn.Module")
    gm = _trace(model)
    candidates = _candidates(gm)
    scaled = {name for name, node in candidates.items() if _all_paths_normalised(gm, node)}
    while scaled:
        output, culprits = _propagate(gm, scaled)
        bad = culprits & scaled
        if output.degree in (0, _CONST) and not bad:
            break
        if not bad:  # the output moves but no single weight is to blame: give up on all of them
            scaled = set()
            break
        scaled -= bad
    if not scaled:
        raise _core.InputError(
            f"find_scale_invariant_params: no parameter of {type(model).__name__} feeds a normalisation on every "
            "path to the output (bias-free conv/linear weights followed by BatchNorm/LayerNorm/GroupNorm/"
            "InstanceNorm); the model is not scale-invariant in any of its weights")
    named = [(n, p) for n, p in model.named_parameters() if n in scaled]
    return dict(named) if with_names else [p for _, p in named]


# ---- check_scale_invariance -----------------------------------------------------------------------------------

#: Default tolerance on the relative output change. BatchNorm divides by sqrt(var + eps), not sqrt(var), so a
#: factor c changes its output by about eps (1 - 1/c^2) / (2 var) (relative): 1e-5 / var per halving. Weights
#: rescaled to a small norm give small pre-activation variances, so the tolerance leaves room for that; a
#: non-invariant parameter moves the outputs by O(1) (a factor 10 on a linear layer: 9).
DEFAULT_RTOL = 1e-2


@dataclass
class ScaleInvarianceReport:
    """Result of :func:`check_scale_invariance`."""

    scale_invariant: bool  # max_rel_change <= rtol
    max_rel_change: float  # max over factors of max|out_c - out_1| / max|out_1|
    per_factor: dict = field(default_factory=dict)  # factor -> relative change
    rtol: float = DEFAULT_RTOL
    n_params: int = 0  # tensors scaled
    d: int = 0  # values scaled

    def __bool__(self) -> bool:
        """Whether the model is scale-invariant (within rtol), so that ``assert check_scale_invariance(...)`` and
        ``if report:`` test the verdict (a dataclass instance is otherwise always true)."""
        return bool(self.scale_invariant)

    def __str__(self) -> str:
        verdict = "scale-invariant" if self.scale_invariant else "NOT scale-invariant"
        factors = ", ".join(f"x{c:g}: {v:.3g}" for c, v in self.per_factor.items())
        return (f"{verdict}: largest relative change of the outputs {self.max_rel_change:.3g} (tolerance "
                f"{self.rtol:g}) when scaling {self.n_params} tensors (d = {self.d}) [{factors}]")


def _flat_outputs(out) -> torch.Tensor:
    if isinstance(out, torch.Tensor):
        return out.detach().reshape(-1).to(torch.float64)
    if isinstance(out, dict):
        out = list(out.values())
    if isinstance(out, (list, tuple)):
        parts = [_flat_outputs(o) for o in out if isinstance(o, (torch.Tensor, list, tuple, dict))]
        if parts:
            return torch.cat(parts)
    raise _core.InputError(f"the model returned a {type(out).__name__}; expected tensors (or lists/dicts of them)")


def check_scale_invariance(model: nn.Module, params, batch, factors: Sequence[float] = (0.5, 2, 10), *,
                           rtol: float = DEFAULT_RTOL, train_mode: bool = True, seed: int = 0
                           ) -> ScaleInvarianceReport:
    """Scale `params` jointly by each factor and report the largest relative change of ``model(batch)``.

    The relative change for a factor c is ``max|out_c - out_1| / max|out_1|`` over all output values. The model
    runs in training mode by default (BatchNorm normalises with the batch statistics, the function SGD sees;
    eval-mode BatchNorm uses fixed running statistics and is not scale-invariant) under ``torch.no_grad()``, with
    the random generators reseeded to `seed` before every forward pass (identical dropout masks). Afterwards the
    parameters, every buffer (BatchNorm running statistics) and the train/eval mode are restored exactly.
    `batch`: a tensor, or a tuple/list of positional arguments for the model.
    """
    if not isinstance(model, nn.Module):
        raise _core.InputError(f"model is a {type(model).__name__}; expected a torch.nn.Module")
    if isinstance(params, dict):
        params = list(params.values())
    params = list(params)
    if not params:
        raise _core.InputError("params is empty")
    model_params = {id(p) for p in model.parameters()}
    for i, p in enumerate(params):
        if not isinstance(p, torch.Tensor) or id(p) not in model_params:
            raise _core.InputError(f"params[{i}] is not a parameter of the model")
    factors = list(factors)
    if not factors:
        raise _core.InputError("factors is empty")
    for c in factors:
        if isinstance(c, bool) or not isinstance(c, (int, float)) or not (math.isfinite(c) and c > 0):
            raise _core.InputError(f"factors must be positive finite numbers, got {c!r}")
    if not (isinstance(rtol, (int, float)) and math.isfinite(rtol) and rtol >= 0):
        raise _core.InputError(f"rtol must be a finite number >= 0, got {rtol!r}")
    args = tuple(batch) if isinstance(batch, (tuple, list)) else (batch,)

    saved_params = [p.detach().clone() for p in params]
    saved_buffers = [(b, b.detach().clone()) for b in model.buffers()]
    was_training = model.training
    devices = sorted({p.device.index for p in model.parameters() if p.device.type == "cuda"})

    def forward() -> torch.Tensor:
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            return _flat_outputs(model(*args))

    per_factor = {}
    try:
        model.train(train_mode)
        with torch.no_grad():
            reference = forward()
            scale = float(reference.abs().max()) if reference.numel() else 0.0
            if not math.isfinite(scale):
                raise _core.InputError("the model's outputs at the given parameters are not finite")
            for c in factors:
                for p in params:
                    p.mul_(c)
                changed = forward()
                for p, s in zip(params, saved_params):
                    p.copy_(s)
                diff = float((changed - reference).abs().max()) if reference.numel() else 0.0
                per_factor[float(c)] = diff / scale if scale > 0 else (0.0 if diff == 0 else math.inf)
    finally:
        with torch.no_grad():
            for p, s in zip(params, saved_params):
                p.copy_(s)
            for b, s in saved_buffers:
                b.copy_(s)
        model.train(was_training)
    worst = max(per_factor.values())
    return ScaleInvarianceReport(scale_invariant=bool(worst <= rtol), max_rel_change=worst, per_factor=per_factor,
                                 rtol=float(rtol), n_params=len(params), d=sum(p.numel() for p in params))
