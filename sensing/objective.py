"""The sensing loss (eq. 1), its gradient and Hessian-vector products.

``f(U) = (1/4m) sum_i (<A_i, U U^T> - y_i)^2 = 1/4 ||A(U U^T) - y||^2`` with ``y`` in the scaling
of :meth:`SensingOperator.forward` (``y = A(Z*)``). Its gradient is
``grad f(U) = A*(A(U U^T) - y) U = A*A(U U^T - Z*) U`` (the paper prints the opposite sign in
§3.1, a typo; the update it uses is the descent step ``U - mu grad f(U)``).
"""
from __future__ import annotations

import numpy as np

from ._validation import as_float_array
from .linalg import smat, svec
from .operators import SensingOperator, check_measurements, check_operator


def check_factor(op: SensingOperator, U, name: str = "U", *, batch: bool = False) -> np.ndarray:
    """Validate a factor ``U`` of shape ``(d, r)`` (or ``(K, d, r)`` when ``batch``)."""
    U = as_float_array(U, name, ndim=(2, 3) if batch else 2)
    if U.shape[-2] != op.d:
        want = "(K, d, r)" if batch else "(d, r)"
        raise ValueError(f"{name} must have shape {want} with d = {op.d} rows, got {U.shape}")
    return U


def residual(op: SensingOperator, y, U) -> np.ndarray:
    """``A(U U^T) - y``, shape ``(m,)``."""
    op = check_operator(op)
    y = check_measurements(op, y)
    U = check_factor(op, U)
    with np.errstate(over="ignore", invalid="ignore"):
        # a factored operator (sensing.structured) reads A(U U^T) from U without forming U U^T
        r = (op.forward_factor(U) if op.factored else op.forward_svec(svec(U @ U.T))) - y
    if not np.all(np.isfinite(r)):
        raise ValueError("U is so large that A(U U^T) overflows float64; rescale U (or y)")
    return r


def loss(op: SensingOperator, y, U) -> float:
    """The sensing loss ``f(U) = 1/4 ||A(U U^T) - y||^2`` (eq. 1)."""
    r = residual(op, y, U)
    with np.errstate(over="ignore"):
        value = 0.25 * float(r @ r)
    if not np.isfinite(value):
        raise ValueError("U is so large that the loss overflows float64; rescale U (or y)")
    return value


def gradient(op: SensingOperator, y, U) -> np.ndarray:
    """``grad f(U) = A*(A(U U^T) - y) U``, shape ``(d, r)`` (eq. 3, sign corrected)."""
    r = residual(op, y, U)
    with np.errstate(over="ignore", invalid="ignore"):
        U = np.asarray(U, dtype=np.float64)
        g = op.adjoint_times(r, U) if op.factored else smat(op.adjoint_svec(r), op.d) @ U
    if not np.all(np.isfinite(g)):
        raise ValueError("U is so large that the gradient overflows float64; rescale U (or y)")
    return g


def hessian_vector(op: SensingOperator, y, U, H) -> np.ndarray:
    """Hessian of ``f`` at ``U`` applied to a direction ``H`` of the same shape.

    ``grad^2 f(U)[H] = A*A(U H^T + H U^T) U + A*(A(U U^T) - y) H``.
    """
    r = residual(op, y, U)
    U = np.asarray(U, dtype=np.float64)
    H = check_factor(op, H, "H")
    if H.shape != U.shape:
        raise ValueError(f"H must have the shape of U {U.shape}, got {H.shape}")
    if op.factored:  # A(U H^T + H U^T) = 2 forward_product(U, H): no d x d matrix
        return op.adjoint_times(2.0 * op.forward_product(U, H), U) + op.adjoint_times(r, H)
    P = U @ H.T
    N = smat(op.adjoint_svec(op.forward_svec(svec(P + P.T))), op.d)
    return N @ U + smat(op.adjoint_svec(r), op.d) @ H
