# Type stubs of the compiled module idealgas._core (python/src/). Dict keys follow the CLI's JSON
# (cli/cmd_theory.cpp, cli/cmd_entropy.cpp); docs/python.md lists them.
import os
from typing import Any, Dict, List, Literal, Optional, Union

import numpy as np
import numpy.typing as npt

__version__: str
git_revision: str

class InputError(ValueError): ...
class IoError(OSError): ...
class DivergenceError(RuntimeError): ...

Protocol = Literal["lr", "elr", "sphere"]
FloatArray = Union[npt.NDArray[np.float32], npt.NDArray[np.float64]]

def vmf(d: int, T: float) -> Dict[str, float]:
    """Exact von Mises-Fisher statistics on S^(d-1) at temperature T: d, T, kappa, U, S_sphere, U_asymptotic,
    S_sphere_asymptotic, A, C_V, C_V_asymptotic, grad_norm_sq, S_uniform."""

def stationary(
    protocol: Protocol,
    *,
    d: int,
    eta: Optional[float] = None,
    eta_eff: Optional[float] = None,
    lambda_: Optional[float] = None,
    radius: Optional[float] = None,
    sigma2: float = 1.0,
    grad_norm_sq: Optional[float] = None,
) -> Dict[str, Any]:
    """SDE stationary state, discrete-time correction and VMF potentials of one protocol (`idealgas theory
    stationary`)."""

def uniform(d: int) -> Dict[str, float]:
    """{'d', 'S_uniform'}: entropy of the uniform law on S^(d-1), nats."""

def gas_constant(d: int) -> float: ...
def uniform_sphere_entropy(d: int) -> float: ...
def vmf_mean_resultant(d: int, kappa: float) -> float: ...
def log_bessel_i(nu: float, x: float) -> float: ...

def entropy(
    X: FloatArray,
    *,
    k: int = 1,
    exclude_window: int = 0,
    precision: Literal["float32", "float64"] = "float32",
    budget_mb: float = 0.0,
    euclidean: bool = False,
    rotate: bool = False,
    naive: bool = False,
    rows: Union[None, str, slice] = None,
    se_batches: int = 20,
    per_sample: bool = False,
) -> Dict[str, Any]:
    """Kozachenko-Leonenko entropy (nats) of the rows of X [n_samples, dim], as `idealgas entropy`."""

def entropy_file(
    path: Union[str, "os.PathLike[str]"],
    *,
    k: int = 1,
    exclude_window: int = 0,
    precision: Literal["float32", "float64"] = "float32",
    budget_mb: float = 0.0,
    euclidean: bool = False,
    rotate: bool = False,
    naive: bool = False,
    rows: Union[None, str, slice] = None,
    se_batches: int = 20,
    per_sample: bool = False,
) -> Dict[str, Any]:
    """`idealgas entropy FILE`: the entropy of the rows of a 2-D .npy or snapshot file, read in blocks."""

def simulate_iso(config: str, *, threads: Optional[int] = None) -> Dict[str, List[Dict[str, Any]]]:
    """The isotropic-noise simulator on TOML text (one configuration or a grid): per protocol, one dict per
    configuration with summary.json's "stationary" keys, "status" and "divergence"."""

class SnapshotQueue:
    def __init__(
        self,
        capacity: int,
        dim: int,
        *,
        euclidean: bool = False,
        k: int = 1,
        exclude_window: int = 0,
        se_batches: int = 20,
    ) -> None: ...
    def push(self, w: FloatArray) -> None:
        """Append one snapshot [dim]; the oldest goes when the queue is full."""
    def estimate(self, per_sample: bool = False) -> Dict[str, Any]:
        """The entropy of the queue's rows, oldest first (as idealgas.entropy)."""
    @property
    def size(self) -> int: ...
    @property
    def capacity(self) -> int: ...
    @property
    def dim(self) -> int: ...
    @property
    def pushes(self) -> int: ...
    def __len__(self) -> int: ...
