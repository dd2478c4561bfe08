"""A plain, straight-line implementation of the paper's gradient descent, for cross-checking.

This is the way public matrix-sensing code does it: keep the ``(m, d, d)`` sensing tensor and
apply it twice per step with ``einsum``. It is deliberately simple and slow; the tests compare
:func:`sensing.gradient_descent` with it, and the benchmarks report speed-ups relative to it.
"""
from __future__ import annotations

import numpy as np


def plain_gradient_descent(A: np.ndarray, y: np.ndarray, U0: np.ndarray, step: float,
                           steps: int) -> tuple[np.ndarray, np.ndarray]:
    """GD on ``f(U) = (1/4m) sum_i (<A_i, U U^T> - sqrt(m) y_i)^2`` with the raw tensor ``A``.

    ``y`` is in the scaling of ``SensingOperator.forward`` (``m^{-1/2} <A_i, Z*>``). Returns the
    final factor and the loss at every step (``steps + 1`` values). The gradient is
    ``(1/2m) sum_i r_i (A_i + A_i^T) U`` (eq. 3 with sym(A_i), sign as in the update).
    """
    m = A.shape[0]
    root = np.sqrt(m)
    U = np.array(U0, dtype=np.float64)
    losses = np.empty(steps + 1)
    for t in range(steps + 1):
        r = np.einsum("ijk,jk->i", A, U @ U.T) / root - y
        losses[t] = 0.25 * (r @ r)
        if t == steps:
            break
        M = np.einsum("i,ijk->jk", r, A) / root
        U = U - step * (0.5 * (M + M.T)) @ U
    return U, losses
