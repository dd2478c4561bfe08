"""Gradient descents written the way users write them, outside the package's loop.

Each takes the problem's data through public accessors only (``problem.op.matrices()`` and the
measurements in the paper's scale, y_i = ⟨A_i, Z*⟩ = √m·problem.y), never ``sensing``'s loop.
They precompute the normal matrix N = AᵀA/m on vec(UUᵀ) ∈ ℝ^{d²} (d² × d², as numpy users of
the field do to make a step cheap at m ≫ d²): a step then costs O(K d⁴) instead of O(K m d²).
``literal_*`` versions contract the A_i at every step (slower; used where the run is short).
"""
from __future__ import annotations

import numpy as np

import sensing


def paper_data(problem):
    """(A, y): the symmetric sensing matrices (m, d, d) and y_i = ⟨A_i, Z*⟩ (paper scale)."""
    A = problem.op.matrices()
    return A, np.sqrt(A.shape[0]) * problem.y


def _normal(A, y):
    m, d, _ = A.shape
    Af = A.reshape(m, d * d)
    return Af.T @ Af / m, Af.T @ y / m, d


def half_mean_gd(A, y, U0, *, step, steps):
    """GD on f(U) = (1/2m) Σ (⟨A_i, UUᵀ⟩ − y_i)² with step η (the user's convention):
    ∇f = (2/m) Σ r_i A_i U for symmetric A_i."""
    N, b, d = _normal(A, y)
    U = np.array(U0, dtype=float)
    K = U.shape[0]
    yield U.copy()
    for _ in range(steps):
        z = (U @ U.transpose(0, 2, 1)).reshape(K, d * d)
        G = (z @ N - b).reshape(K, d, d)  # (1/m) Σ r_i A_i, per run
        U = U - step * 2.0 * (G @ U)
        yield U.copy()


def paper_gd(problem, U0, *, step, steps):
    """The paper's GD (1/4m loss, step μ), in the dynamics contract."""
    A, y = paper_data(problem)
    # the 1/4m gradient is half the 1/2m one: run half_mean_gd at η = μ/2
    yield from half_mean_gd(A, y, U0, step=step / 2.0, steps=steps)


def literal_gd(problem, U0, *, step, steps):
    """The paper's GD with the A_i contracted at every step: r_i = ⟨A_i, UUᵀ⟩ − y_i,
    ∇f = (1/m) Σ r_i A_i U."""
    A, y = paper_data(problem)
    m, d, _ = A.shape
    Af = A.reshape(m, d * d)
    U = np.array(U0, dtype=float)
    K = U.shape[0]
    yield U.copy()
    for _ in range(steps):
        r = (U @ U.transpose(0, 2, 1)).reshape(K, d * d) @ Af.T - y
        U = U - step * ((r @ Af).reshape(K, d, d) @ U) / m
        yield U.copy()


def heavy_ball_gd(problem, U0, *, step, steps, beta=0.9):
    """Polyak heavy ball V ← βV − μ∇f(U), U ← U + V on the paper's loss (not plain GD)."""
    A, y = paper_data(problem)
    N, b, d = _normal(A, y)
    U = np.array(U0, dtype=float)
    K = U.shape[0]
    V = np.zeros_like(U)
    yield U.copy()
    for _ in range(steps):
        z = (U @ U.transpose(0, 2, 1)).reshape(K, d * d)
        V = beta * V - step * ((z @ N - b).reshape(K, d, d) @ U)
        U = U + V
        yield U.copy()


def unsymmetrised_gd(problem, U0, *, step, steps, seed=1):
    """GD with non-symmetric sensing matrices B_i = A_i + K_i (K_i skew: the same loss, since
    ⟨B_i, UUᵀ⟩ = ⟨A_i, UUᵀ⟩) and the hand-written gradient (1/m) Σ r_i B_i U, which forgets the
    symmetrisation (B_i + B_iᵀ)/2 of the true gradient."""
    A, y = paper_data(problem)
    m, d, _ = A.shape
    S = np.random.default_rng(seed).standard_normal((m, d, d))
    B = A + (S - S.transpose(0, 2, 1)) / 2.0
    Af, Bf = A.reshape(m, d * d), B.reshape(m, d * d)
    N, b = Bf.T @ Af / m, Bf.T @ y / m  # z ↦ (1/m) Σ r_i vec(B_i)
    U = np.array(U0, dtype=float)
    K = U.shape[0]
    yield U.copy()
    for _ in range(steps):
        z = (U @ U.transpose(0, 2, 1)).reshape(K, d * d)
        G = (z @ N.T - b).reshape(K, d, d)
        U = U - step * (G @ U)
        yield U.copy()


def builtin_in_chunks(problem, U0, *, step, steps, chunk=256):
    """``sensing.gradient_descent`` passed through the seam as a user dynamics: run in chunks
    (each chunk continues from the last iterate, the same arithmetic as one run) and yield
    every iterate."""
    U = np.asarray(U0, dtype=float)
    yield U.copy()
    done = 0
    while done < steps:
        k = min(chunk, steps - done)
        tr = sensing.gradient_descent(problem.op, problem.y, U, step=step, steps=k, record_every=k,
                                      n_eigenvalues=0, snapshots=range(1, k + 1))
        for t in range(1, k + 1):
            yield tr.snapshots[t]
        U = tr.U
        done += k
