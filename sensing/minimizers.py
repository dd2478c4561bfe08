"""The rank-s sensing minimisers Z*_s of Definition 1.1, computed to round-off.

``Z*_s = argmin { 1/4 ||A(Z) - y||^2 : Z >= 0, rank Z <= s }``, written ``Z*_s = U*_s U*_s^T``
with ``U*_s`` a global minimiser of ``f_s(U) = 1/4 ||A(U U^T) - y||^2`` over ``U in R^{d x s}``
(eq. 7). Lemma 4.4 proves uniqueness up to rotation under RIP. These are *not* the truncated SVD
``X_s X_s^T`` (that is the minimiser for full observation only); Lemma 4.8 bounds their distance
by O(delta).

Method: spectral initialisation from the top-s eigenpairs of ``A*(y) = A*A(Z*)``, L-BFGS to
a small gradient, then Newton steps on the dense ``ds x ds`` Hessian (solved by least squares,
since the Hessian is singular along the ``s(s-1)/2`` rotation directions ``U Omega``) until the
gradient norm reaches the round-off level of :func:`sensing.tolerances.gradient_roundoff`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.optimize

from . import tolerances
from ._validation import nonneg_int
from .descent import NormalMap, operator_norm
from .linalg import smat, top_eigh
from .objective import check_factor, loss
from .operators import SensingOperator, check_measurements, check_operator


#: Cap on restarts: each is a full L-BFGS + Newton solve; more than this is a typo, not a study.
MAX_RESTARTS = 1000


@dataclass(frozen=True)
class RankSMinimizer:
    """A computed global minimiser of f_s.

    Attributes
    ----------
    s : int
    U : (d, s) ndarray
        U*_s (defined up to an orthogonal rotation).
    Z : (d, d) ndarray
        Z*_s = U*_s U*_s^T.
    loss : float
        f_s(U*_s).
    grad_norm : float
        ``||grad f_s(U*_s)||_F``.
    grad_tol : float
        The round-off level the gradient norm was driven below.
    """

    s: int
    U: np.ndarray
    Z: np.ndarray
    loss: float
    grad_norm: float
    grad_tol: float

    @property
    def converged(self) -> bool:
        return self.grad_norm <= self.grad_tol


class _RankS:
    """f_s, its gradient and dense Hessian through one :class:`NormalMap`."""

    def __init__(self, op, y, s):
        self.op, self.y, self.s, self.d = op, y, s, op.d
        self.normal = NormalMap(op, y)

    def fg(self, U):
        M, L = self.normal((U @ U.T)[None])
        return float(L[0]), M[0] @ U, M[0]

    def hessian(self, U, M):
        d, s = U.shape
        E = np.eye(d * s).reshape(d * s, d, s)
        P = U @ E.transpose(0, 2, 1)
        N = self.normal.apply(P + P.transpose(0, 2, 1))
        Hv = N @ U + M @ E
        H = Hv.reshape(d * s, d * s)
        return 0.5 * (H + H.T)


def _tolerance(op, y, U):
    return tolerances.gradient_roundoff(
        dim=op.D, normal_norm=operator_norm(op),
        target_norm=max(float(np.linalg.norm(U @ U.T)), float(np.linalg.norm(smat(op.adjoint_svec(y), op.d))) / operator_norm(op)),
        factor_norm=float(np.linalg.norm(U, 2)))


def spectral_init(op: SensingOperator, y, s: int) -> np.ndarray:
    """``V_s diag(sqrt(lambda_s))`` from the top-s eigenpairs of ``A*(y)`` (negative parts clipped)."""
    w, V = top_eigh(smat(op.adjoint_svec(y), op.d), s)
    return V * np.sqrt(np.maximum(w, 0.0))


def sensing_minimizer(op: SensingOperator, y, s: int, *, init=None,
                      max_newton: int = 50) -> RankSMinimizer:
    """Compute Z*_s, the rank-s minimiser of the sensing loss (Definition 1.1).

    Parameters
    ----------
    op, y
        Operator and measurements.
    s : int
        Target rank, ``1 <= s <= d``.
    init : (d, s) array_like, optional
        Starting factor; default is the spectral initialisation :func:`spectral_init`.
    max_newton : int
        Cap on Newton iterations after L-BFGS.
    """
    op = check_operator(op)
    y = check_measurements(op, y)
    s = nonneg_int(s, "s", minimum=1, maximum=op.d)
    max_newton = nonneg_int(max_newton, "max_newton", maximum=10_000)
    U = spectral_init(op, y, s) if init is None else check_factor(op, init, "init").copy()
    if U.shape[1] != s:
        raise ValueError(f"init must have s = {s} columns, got shape {U.shape}")
    try:
        start = loss(op, y, U)
        scale = loss(op, y, np.zeros_like(U))
    except ValueError as exc:
        raise ValueError(f"init (or y) is too large for float64 arithmetic: {exc}") from None
    if start > 1e100 * max(scale, 1e-300):
        raise ValueError(f"init is far outside the scale of the problem: f_s(init) = {start:.3g} "
                         f"against f_s(0) = {scale:.3g}; start near the spectral initialisation")
    f = _RankS(op, y, s)
    d = op.d

    def fun(x):
        L, g, _ = f.fg(x.reshape(d, s))
        return L, g.ravel()

    res = scipy.optimize.minimize(fun, U.ravel(), jac=True, method="L-BFGS-B",
                                  options={"maxiter": 20000, "maxcor": 30, "ftol": 0.0, "gtol": 1e-9})
    U = res.x.reshape(d, s)
    L, g, M = f.fg(U)
    gn = float(np.linalg.norm(g))
    stall = 0
    for _ in range(max_newton):
        tol = _tolerance(op, y, U)
        if gn <= tol:
            break
        H = f.hessian(U, M)
        delta = scipy.linalg.lstsq(H, -g.ravel(), cond=1e-12, lapack_driver="gelsy")[0].reshape(d, s)
        for t in (1.0, 0.5, 0.25, 0.125):
            L2, g2, M2 = f.fg(U + t * delta)
            if np.linalg.norm(g2) < gn or L2 < L:
                break
        if not np.linalg.norm(g2) < gn:
            stall += 1
            if stall >= 3:
                break
        else:
            stall = 0
        U, L, g, M, gn = U + t * delta, L2, g2, M2, float(np.linalg.norm(g2))
    tol = _tolerance(op, y, U)
    return RankSMinimizer(s, U, U @ U.T, L, gn, tol)


@dataclass(frozen=True)
class UniquenessReport:
    """Restarts of :func:`sensing_minimizer` from random starts (Lemma 4.4).

    ``spread`` is ``max_i ||Z_i - Z_best||_F / ||Z_best||_F`` over restarts that reached the
    round-off gradient level; uniqueness up to rotation predicts it is at round-off level.
    """

    s: int
    best: RankSMinimizer
    losses: np.ndarray
    spread: float
    n_converged: int
    restarts: int


def check_uniqueness(op: SensingOperator, y, s: int, *, restarts: int = 4, rng=None) -> UniquenessReport:
    """Recompute Z*_s from the spectral start and ``restarts`` random starts and compare."""
    op = check_operator(op)
    y = check_measurements(op, y)
    s = nonneg_int(s, "s", minimum=1, maximum=op.d)
    restarts = nonneg_int(restarts, "restarts", minimum=1, maximum=MAX_RESTARTS)
    rng = np.random.default_rng(rng)
    scale = np.sqrt(np.linalg.norm(smat(op.adjoint_svec(y), op.d), 2) / op.d)
    runs = [sensing_minimizer(op, y, s)]
    runs += [sensing_minimizer(op, y, s, init=scale * rng.standard_normal((op.d, s)))
             for _ in range(restarts)]
    ok = [r for r in runs if r.converged]
    best = min(ok or runs, key=lambda r: r.loss)
    nb = float(np.linalg.norm(best.Z))
    spread = max(float(np.linalg.norm(r.Z - best.Z)) / nb for r in (ok or runs))
    return UniquenessReport(s, best, np.array([r.loss for r in runs]), spread, len(ok), len(runs))
