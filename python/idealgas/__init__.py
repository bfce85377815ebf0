"""idealgas: the thermodynamics of SGD on scale-invariant networks (docs/theory.md), from Python.

Compiled (idealgas._core, from the C++ library; no PyTorch needed):
    vmf, stationary, uniform            closed forms, the dicts of `idealgas theory ...`
    gas_constant, uniform_sphere_entropy, vmf_mean_resultant, log_bessel_i
    entropy(X, **options)               `idealgas entropy` on a NumPy array, the same numbers bit for bit
    entropy_file(path, **options)       `idealgas entropy FILE` itself (files larger than memory)
    SnapshotQueue                       the incremental queue of weight snapshots with its entropy
    simulate_iso(config)                the isotropic-noise simulator, the rows of `idealgas simulate iso`
    InputError (a ValueError), IoError (an OSError), DivergenceError (a RuntimeError)
Pure Python:
    read_run(path)                      a run or sweep folder as dicts and NumPy arrays
    series_mean, autocorrelation_time   means of correlated series with honest standard errors
With PyTorch (imported on first use, so `import idealgas` stays light):
    Monitor                             the ideal-gas measurements of the user's own training loop
    find_scale_invariant_params, check_scale_invariance

Units: entropies in nats, gradients in unit-sphere units, time in iterations. Guide: docs/python.md.
"""

from typing import TYPE_CHECKING

from ._core import (
    DivergenceError,
    InputError,
    IoError,
    SnapshotQueue,
    __version__,
    entropy,
    entropy_file,
    gas_constant,
    git_revision,
    log_bessel_i,
    simulate_iso,
    stationary,
    uniform,
    uniform_sphere_entropy,
    vmf,
    vmf_mean_resultant,
)
from .run_folder import read_run
from .stats import SeriesMean, autocorrelation_time, series_mean

if TYPE_CHECKING:  # for type checkers and IDEs; at run time these load on first use (__getattr__ below)
    from .monitor import Monitor, format_report
    from .scale_invariance import ScaleInvarianceReport, check_scale_invariance, find_scale_invariant_params

# Names that need PyTorch, and the submodule that defines each.
_TORCH_NAMES = {
    "Monitor": "monitor",
    "format_report": "monitor",
    "find_scale_invariant_params": "scale_invariance",
    "check_scale_invariance": "scale_invariance",
    "ScaleInvarianceReport": "scale_invariance",
}

__all__ = [
    "DivergenceError", "InputError", "IoError", "SnapshotQueue", "__version__", "entropy", "entropy_file",
    "gas_constant",
    "git_revision", "log_bessel_i", "simulate_iso", "stationary", "uniform", "uniform_sphere_entropy", "vmf", "vmf_mean_resultant",
    "read_run", "SeriesMean", "autocorrelation_time", "series_mean", *_TORCH_NAMES,
]


def __getattr__(name):
    if name in _TORCH_NAMES:
        import importlib

        module = importlib.import_module(f".{_TORCH_NAMES[name]}", __name__)
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'idealgas' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_TORCH_NAMES))
