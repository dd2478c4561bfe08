"""Floating-point tolerances: the one place where numerical slack is defined.

Paper constants (e.g. the 10^-12 in Assumption 3.3) never appear here; they live in the theorem
modules next to the statement they come from. Everything below is round-off slack, derived from
the machine epsilon of the working dtype and the size of the computation.
"""
from __future__ import annotations

import numpy as np


def eps(dtype=np.float64) -> float:
    """Machine epsilon of ``dtype`` (2.2e-16 for float64, 1.2e-7 for float32)."""
    return float(np.finfo(dtype).eps)


def rtol_exact(dtype=np.float64) -> float:
    """Relative tolerance for identities that suffer only rounding: ``100 * eps``.

    NumPy's testing guideline (``doc/TESTS.rst``) uses ``rtol = 1e2 * eps`` for a direct linear
    algebra identity such as ``A @ x == b``; the adjoint identity and linearity of the sensing
    operator are identities of that kind (a few hundred-term dot products).
    """
    return 100.0 * eps(dtype)


def rtol_iterative(dtype=np.float64) -> float:
    """Relative tolerance for results of an iterative eigen-/least-squares solver.

    SciPy's ARPACK tests (``_get_test_tolerance``) use 2000 eps in double and 3000 eps in single
    precision; we take the same constants.
    """
    return (2000.0 if np.dtype(dtype) == np.float64 else 3000.0) * eps(dtype)


def symmetry_tol(dtype=np.float64) -> float:
    """Relative asymmetry accepted for a matrix declared symmetric: ``1000 * eps``.

    ``U @ U.T`` and ``(A + A.T) / 2`` are symmetric to a few ulps of the largest entry; a
    caller's matrix assembled from sums of such products (e.g. ``X @ X.T`` after a basis change)
    may carry a few hundred ulps. Anything larger is a genuinely non-symmetric input.
    """
    return 1000.0 * eps(dtype)


def grad_check_tol(dtype=np.float64) -> float:
    """Relative tolerance for a gradient checked against forward finite differences.

    ``scipy.optimize.check_grad`` uses a forward difference with step sqrt(eps): truncation and
    cancellation errors are both O(sqrt(eps)) relative to the curvature scale, so finite
    differences keep about half the digits. We allow ``100 * sqrt(eps)`` (1.5e-6 in float64)
    to cover curvature constants of order 10-100 on our instances.
    """
    return 100.0 * float(np.sqrt(eps(dtype)))


def gradient_roundoff(*, dim: int, normal_norm: float, target_norm: float, factor_norm: float,
                      dtype=np.float64) -> float:
    """Size of ``||grad f(U)||_F`` that is indistinguishable from zero in floating point.

    The gradient is ``A*A(U U^T - Z*) U``. Forming ``U U^T - Z*`` cancels entries of size
    ``||Z*||`` (absolute error ~ eps ||Z*||_F); the normal map multiplies that error by at most
    ``||A*A||`` and sums ``dim = d(d+1)/2`` products (error growth ~ sqrt(dim) eps, the
    probabilistic bound of Higham, *Accuracy and Stability*, §3.1); the final product with ``U``
    multiplies by ``||U||``. A stationary point computed to round-off therefore has
    ``||grad|| <= C sqrt(dim) eps ||A*A|| ||Z*||_F ||U||`` with C a small constant; we take
    C = 10.
    """
    return 10.0 * np.sqrt(dim) * eps(dtype) * normal_norm * target_norm * max(factor_norm, 1.0)
