"""Greedy low-rank learning (GLRL; Li, Luo, Lyu, ICLR 2021, arXiv 2012.09839).

The algorithm as reconstructed in ``../shared/paper-notes.md`` §4.1 (no public implementation
exists; the paper's pseudo-code was not seen), for the sensing loss f(U) = ¼‖𝒜(UUᵀ) − y‖²:

1. W₀ = 0, U the empty d × 0 matrix;
2. at stage s = 1, 2, …: compute the top eigenpair (λ_s, u_s) of −∇f(W_{s−1}) = 𝒜*(y − 𝒜(W_{s−1}))
   (``scipy.sparse.linalg.eigsh``); if λ_s ≤ τ (the round-off level of that matrix,
   :func:`stop_tolerance`) return; else append √ε·u_s as a new column of U and run gradient descent
   (:func:`sensing.gradient_descent`, the core's loop) on f(U) to convergence (‖∇f(U)‖_F at the
   round-off level of :func:`sensing.tolerances.gradient_roundoff`); W_s = UUᵀ.

GLRL is the ε → 0 limit; a finite ε is the practical form. Here −∇f(W) means the gradient of the
loss as a function of W = UUᵀ on S^d (the matrix whose action on U gives −∇_U f / 1 — with our
¼ normalisation ∇_U f = 𝒜*(𝒜(UUᵀ) − y)U, so it is the same matrix).

Asymmetric problems go through their lift (:class:`sensing.asymmetric.LiftedOperator`):
−∇f of the lifted loss is ½[[0, R], [Rᵀ, 0]] with R = 𝒜*(y − 𝒜(FGᵀ)), whose top eigenvector is
[u; v]/√2 for the top singular pair (u, v) of R, with eigenvalue σ₁(R)/2. Appending √ε·[u; v]/√2
appends the pair (√(ε/2)·u, √(ε/2)·v) to (F, G): the asymmetric GLRL appends a pair of singular
vectors, and the same code runs it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
from scipy.sparse.linalg import eigsh

from . import tolerances
from ._validation import nonneg_int, positive_scalar
from .descent import gradient_descent, operator_norm, safe_step_size
from .groundtruth import HAAR_DENSE_MAX_D
from .linalg import smat
from .objective import gradient, loss, residual
from .operators import SensingOperator, check_measurements, check_operator

#: Past this d a structured operator's −∇f(W) is a ``LinearOperator`` (products A*(r)V, no d × d
#: matrix) and the norms of the round-off levels come from factors and operator applications.
DENSE_MAX_D = HAAR_DENSE_MAX_D


def at_scale(op: SensingOperator) -> bool:
    """Whether GLRL runs without d × d matrices: a structured operator past :data:`DENSE_MAX_D`."""
    return bool(getattr(op, "factored", False)) and op.d > DENSE_MAX_D


def _gram_fro(U: np.ndarray) -> float:
    """‖UUᵀ‖_F as ‖UᵀU‖_F (the same nonzero eigenvalues; r × r instead of d × d)."""
    return float(np.linalg.norm(U.T @ U)) if U.shape[1] else 0.0


@dataclass(frozen=True)
class GLRLStage:
    """One stage of GLRL.

    Attributes
    ----------
    s : int
        The rank of the stage (columns of U).
    eigenvalue : float
        λ_max(−∇f(W_{s−1})), the eigenvalue that triggered the stage.
    direction : (d,) ndarray
        u_s, the top unit eigenvector of −∇f(W_{s−1}).
    U : (d, s) ndarray
        The factor at the end of the stage's gradient descent; ``W = U Uᵀ``.
    steps : int
        Gradient-descent steps the stage took.
    gradient_norm, gradient_tolerance : float
        ‖∇f(U)‖_F at the end and the round-off level it was driven to.
    loss : float
    converged : bool
        Whether the gradient reached its tolerance within ``max_steps``.
    path_steps : (n,) ndarray of int
        Steps of the stage at which ``path`` was recorded.
    path : (n, d, s) ndarray
        U_t of the stage's descent at ``path_steps`` (t = 0 is [U_{s−1}, √ε u_s]).
    """

    s: int
    eigenvalue: float
    direction: np.ndarray
    U: np.ndarray
    steps: int
    gradient_norm: float
    gradient_tolerance: float
    loss: float
    converged: bool
    path_steps: np.ndarray = field(repr=False)
    path: np.ndarray = field(repr=False)

    @property
    def W(self) -> np.ndarray:
        return self.U @ self.U.T


@dataclass(frozen=True)
class GLRLResult:
    """What :func:`glrl` returns: the stages in order and why it stopped.

    ``stopped`` is True when λ_max(−∇f(W)) fell to the tolerance ``stop_tolerance``, or W fits y
    to round-off (the greedy test found no descent direction), False when ``max_rank`` ended the
    run first;
    ``final_eigenvalue`` is that last λ_max.
    """

    stages: tuple
    epsilon: float
    step: float
    stopped: bool
    final_eigenvalue: float
    stop_tolerance: float

    @property
    def rank(self) -> int:
        return len(self.stages)

    @property
    def W(self) -> np.ndarray:
        return self.stages[-1].W if self.stages else None

    def stage(self, s: int) -> GLRLStage:
        if not 1 <= s <= len(self.stages):
            raise IndexError(f"GLRL has stages 1..{len(self.stages)}, asked for s = {s}")
        return self.stages[s - 1]


def negative_gradient_matrix(op: SensingOperator, y, U) -> np.ndarray:
    """−∇f(W) = 𝒜*(y − 𝒜(UUᵀ)), a symmetric (d, d) matrix (for U with no columns: 𝒜*(y))."""
    if U.shape[1] == 0:
        return smat(op.adjoint_svec(np.asarray(y, dtype=np.float64)), op.d)
    return -smat(op.adjoint_svec(residual(op, y, U)), op.d)


def negative_gradient_operator(op: SensingOperator, y, U):
    """−∇f(W) as a symmetric d × d ``LinearOperator`` of a structured operator (products
    ``A*(w)V``, :meth:`sensing.structured.FactoredOperator.adjoint_operator`; no d × d matrix)."""
    y = np.asarray(y, dtype=np.float64)
    return op.adjoint_operator(y if U.shape[1] == 0 else -residual(op, y, U))


def stop_tolerance(op: SensingOperator, y, U) -> float:
    """Round-off level of λ_max(−∇f(W)): the entries of 𝒜*(r) are sums of m (or D) products
    whose rounding error grows like √n·eps (Higham's probabilistic bound, C = 10 as in
    :func:`sensing.tolerances.gradient_roundoff`) relative to ‖𝒜*𝒜‖·max(‖UUᵀ‖_F, ‖𝒜*(y)‖/‖𝒜*𝒜‖),
    the size of the terms that cancel in r = 𝒜(UUᵀ) − y."""
    n = op.m if op.m < op.D else op.D
    nrm = operator_norm(op)
    y = np.asarray(y, dtype=np.float64)
    if at_scale(op):
        scale = max(_gram_fro(U), op.adjoint_norm(y) / nrm)
    else:
        scale = max(float(np.linalg.norm(U @ U.T)) if U.shape[1] else 0.0,
                    float(np.linalg.norm(smat(op.adjoint_svec(y), op.d), 2)) / nrm)
    return 10.0 * np.sqrt(n) * tolerances.eps() * nrm * scale * np.sqrt(op.d)


def residual_at_roundoff(op: SensingOperator, y, U) -> bool:
    """Whether ‖𝒜(UUᵀ) − y‖ is at its rounding level 10·√n·eps·(‖𝒜(UUᵀ)‖ + ‖y‖) (n = D, the
    length of the sums forming 𝒜(UUᵀ); C = 10 as in :func:`stop_tolerance`)."""
    r = residual(op, y, U)
    fit = r + np.asarray(y, dtype=np.float64)
    return float(np.linalg.norm(r)) <= 10.0 * np.sqrt(op.D) * tolerances.eps() * (
        float(np.linalg.norm(fit)) + float(np.linalg.norm(y)))


def top_eigenpair(A) -> tuple[float, np.ndarray]:
    """(λ_max, unit eigenvector) of a symmetric matrix or ``LinearOperator``: ``eigsh`` from a
    fixed start (repeatable), a dense solver when d is too small for ARPACK."""
    d = A.shape[0]
    if d <= 3:
        w, V = scipy.linalg.eigh(A)
        return float(w[-1]), V[:, -1]
    v0 = np.full(d, 1.0 / np.sqrt(d))
    w, V = eigsh(A, k=1, which="LA", v0=v0, tol=0.0)
    u = V[:, 0]
    # a deterministic sign: the largest-magnitude entry positive
    return float(w[0]), u * np.sign(u[np.argmax(np.abs(u))])


def glrl(op: SensingOperator, y, *, epsilon: float, max_rank: int | None = None, step: float | None = None,
         max_steps: int = 200_000, chunk: int = 1000, path_every: int | None = None) -> GLRLResult:
    """Greedy low-rank learning on the sensing loss (module docstring).

    Parameters
    ----------
    op, y
        The instance (a symmetric operator, or an asymmetric one's lift).
    epsilon : float
        ε > 0: the new column is √ε·u_s (GLRL is the ε → 0 limit).
    max_rank : int, optional
        Stop after this many stages (default d).
    step : float, optional
        Gradient-descent step μ; default :func:`sensing.safe_step_size` at the stage's start.
    max_steps : int
        Cap on the steps of one stage's descent.
    chunk : int
        The descent runs in chunks of this many steps; the gradient is checked between chunks.
    path_every : int, optional
        Record U_t of each stage every this many steps (default: once per chunk).

    Returns
    -------
    GLRLResult
    """
    op = check_operator(op)
    y = check_measurements(op, y)
    eps_ = positive_scalar(epsilon, "epsilon")
    d = op.d
    R = d if max_rank is None else nonneg_int(max_rank, "max_rank", minimum=1, maximum=d)
    max_steps = nonneg_int(max_steps, "max_steps", minimum=1)
    chunk = nonneg_int(chunk, "chunk", minimum=1)
    every = chunk if path_every is None else nonneg_int(path_every, "path_every", minimum=1)
    U = np.zeros((d, 0))
    stages = []
    lam, tau = 0.0, 0.0
    scale = at_scale(op)
    neg_grad = negative_gradient_operator if scale else negative_gradient_matrix
    # ‖𝒜*(y)‖_F of the gradient tolerance: exact from the structured operator (no d × d matrix)
    y_fro = op.adjoint_fro(y) if scale else float(np.linalg.norm(smat(op.adjoint_svec(y), d)))
    for s in range(1, R + 2):
        lam, u = top_eigenpair(neg_grad(op, y, U))
        tau = stop_tolerance(op, y, U)
        # where W fits y to round-off (m < D: an interpolating W of low rank), −∇f = 𝒜*(r) is
        # rounding noise whatever its top eigenvalue: the greedy test has nothing left to find
        exact = U.shape[1] > 0 and residual_at_roundoff(op, y, U)
        if lam <= tau or exact or s > R:
            return GLRLResult(tuple(stages), eps_, float(mu) if stages else float("nan"),
                              bool(lam <= tau or exact), lam, tau)
        U = np.concatenate([U, np.sqrt(eps_) * u[:, None]], axis=1)
        mu = safe_step_size(op, y, U) if step is None else positive_scalar(step, "step")
        path_steps, path = [0], [U.copy()]
        done, converged = 0, False
        while done < max_steps:
            k = min(chunk, max_steps - done)
            snaps = [t for t in range(every - done % every, k + 1, every)] if every <= k else []
            tr = gradient_descent(op, y, U, step=mu, steps=k, record_every=k, n_eigenvalues=0,
                                  snapshots=snaps)
            for t in snaps:
                path_steps.append(done + t)
                path.append(tr.snapshots[t])
            U = tr.U
            done += k
            g = float(np.linalg.norm(gradient(op, y, U)))
            gtol = tolerances.gradient_roundoff(
                dim=op.D, normal_norm=operator_norm(op),
                target_norm=max(_gram_fro(U) if scale else float(np.linalg.norm(U @ U.T)),
                                y_fro / operator_norm(op)),
                factor_norm=float(np.linalg.norm(U, 2)))
            if g <= gtol:
                converged = True
                break
        if path_steps[-1] != done:
            path_steps.append(done)
            path.append(U.copy())
        stages.append(GLRLStage(s, lam, u, U.copy(), done, g, gtol, loss(op, y, U), converged,
                                np.array(path_steps), np.stack(path)))
    raise AssertionError("unreachable")  # the loop returns at s = R + 1 at the latest
