"""A user's gradient descent, written in its own convention, checked against the paper's claims.

``half_mean_gd`` is plain numpy on f(U) = (1/2m) Σ_i (⟨A_i, UUᵀ⟩ − y_i)² with y_i = ⟨A_i, Z*⟩ and
step η: the loss of much public experiment code. ``my_gd`` is the same function declared in that
convention (:data:`sensing.conventions.HALF_MEAN`: η = μ/2), i.e. in the contract the claims call
(``fn(problem, U0, *, step, steps)`` with the paper's μ).

    python -m theorems verify --dynamics examples.numpy_gd:my_gd
"""
import numpy as np

from sensing.conventions import HALF_MEAN


def half_mean_gd(A, y, U0, *, step, steps):
    m, d, _ = A.shape
    Af = A.reshape(m, d * d)
    N, b = Af.T @ Af / m, Af.T @ y / m  # vec(UUᵀ) ↦ (1/m) Σ_i r_i vec(A_i), precomputed once
    U = np.array(U0, dtype=float)
    yield U.copy()
    for _ in range(steps):
        z = (U @ U.transpose(0, 2, 1)).reshape(U.shape[0], d * d)
        U = U - step * 2.0 * ((z @ N - b).reshape(-1, d, d) @ U)  # ∇f = (2/m) Σ r_i A_i U
        yield U.copy()


my_gd = HALF_MEAN.adapt(half_mean_gd)
