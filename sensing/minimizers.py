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
For the operators that store no S (:mod:`sensing.structured`) every step uses only operator
applications on factors: the spectral start from ARPACK on ``v -> A*(y) v``, L-BFGS on the
factored gradient ``A*(r) U``, and Newton steps solved by MINRES on Hessian-vector products
(no d x d, no D x D and no dense ds x ds matrix).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
import scipy.optimize
from scipy.sparse.linalg import LinearOperator, eigsh, minres

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


class _FactoredRankS:
    """f_s, its gradient and Hessian-vector products from a factored operator's maps
    (:mod:`sensing.structured`): no d x d and no D x D matrix, O(m d s) (rank-one) or
    O(|Omega| s) (completion) per evaluation.

    ``grad f_s(U) = A*(r) U`` with ``r = A(U U^T) - y``;
    ``grad^2 f_s(U)[H] = A*(A(U H^T + H U^T)) U + A*(r) H`` with
    ``A(U H^T + H U^T) = 2 forward_product(U, H)`` (:func:`sensing.objective.hessian_vector`).
    """

    def __init__(self, op, y, s):
        self.op, self.y, self.s, self.d = op, y, s, op.d

    def fg(self, U):
        r = self.op.forward_factor(U) - self.y
        return 0.25 * float(r @ r), self.op.adjoint_times(r, U), r

    def hvp(self, U, r, H):
        return self.op.adjoint_times(2.0 * self.op.forward_product(U, H), U) + self.op.adjoint_times(r, H)

    def hessian_operator(self, U, r) -> LinearOperator:
        d, s = U.shape

        def mv(x):
            return self.hvp(U, r, np.reshape(x, (d, s))).ravel()
        return LinearOperator((d * s, d * s), matvec=mv, rmatvec=mv, dtype=np.float64)

    def hessian(self, U, r):
        """The dense (d s) x (d s) Hessian from d s Hessian-vector products (small d s only)."""
        d, s = U.shape
        H = np.array([self.hvp(U, r, e.reshape(d, s)).ravel() for e in np.eye(d * s)])
        return 0.5 * (H + H.T)


def _rank_s(op, y, s):
    return _FactoredRankS(op, y, s) if op.factored else _RankS(op, y, s)


def _newton_step(f, U, g, M):
    """The Newton direction: a least-squares solve of the dense Hessian, or for a factored
    operator MINRES on its Hessian-vector products (the Hessian is singular along the rotations
    U Omega; the gradient is orthogonal to them, so the system is consistent and MINRES from 0
    returns its minimum-norm solution, as the least-squares solve does). MINRES stops at a
    relative residual of rtol_iterative (SciPy ARPACK's test tolerance, tolerances.py), or after
    10 d s iterations."""
    d, s = U.shape
    if isinstance(f, _FactoredRankS):
        x, _ = minres(f.hessian_operator(U, M), -g.ravel(), rtol=tolerances.rtol_iterative(),
                      maxiter=10 * d * s)
        return x.reshape(d, s)
    H = f.hessian(U, M)
    return scipy.linalg.lstsq(H, -g.ravel(), cond=1e-12, lapack_driver="gelsy")[0].reshape(d, s)


def _tolerance(op, y, U):
    if op.factored:
        # the same round-off model with the factored quantities: ||U U^T||_F = ||U^T U||_F,
        # ||A*(y)||_F from the operator, and the adjoint's sums of m products (not D)
        return tolerances.gradient_roundoff(
            dim=max(op.m, op.d), normal_norm=operator_norm(op),
            target_norm=max(float(np.linalg.norm(U.T @ U)), op.adjoint_fro(y) / operator_norm(op)),
            factor_norm=float(np.linalg.norm(U, 2)))
    return tolerances.gradient_roundoff(
        dim=op.D, normal_norm=operator_norm(op),
        target_norm=max(float(np.linalg.norm(U @ U.T)), float(np.linalg.norm(smat(op.adjoint_svec(y), op.d))) / operator_norm(op)),
        factor_norm=float(np.linalg.norm(U, 2)))


def spectral_init(op: SensingOperator, y, s: int) -> np.ndarray:
    """``V_s diag(sqrt(lambda_s))`` from the top-s eigenpairs of ``A*(y)`` (negative parts clipped).

    For a factored operator (:mod:`sensing.structured`) the eigenpairs come from ARPACK on the
    product ``v -> A*(y) v`` (fixed start vector, so repeatable) when ``d > 64`` and ``s < d - 1``,
    otherwise from the dense A*(y).
    """
    if op.factored and op.d > 64 and s < op.d - 1:
        y = np.asarray(y, dtype=np.float64)
        L = LinearOperator((op.d, op.d), matvec=lambda v: op.adjoint_times(y, np.reshape(v, (op.d, 1))).ravel(),
                           dtype=np.float64)
        w, V = eigsh(L, k=s, which="LA", v0=np.full(op.d, 1.0 / np.sqrt(op.d)))
        w, V = w[::-1], V[:, ::-1]
        return V * np.sqrt(np.maximum(w, 0.0))
    A_y = op.adjoint(y) if op.factored else smat(op.adjoint_svec(y), op.d)
    w, V = top_eigh(A_y, s)
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
    f = _rank_s(op, y, s)
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
        delta = _newton_step(f, U, g, M)
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


#: Largest relative spread ``||Z_i - Z_best||_F / ||Z_best||_F`` two converged restarts may show and
#: still count as one minimiser, whatever the curvature. Where the normal-space Hessian is flat to
#: working precision the quadratic model below gives no bound; a minimiser that is unique
#: nevertheless (s > r*, where the extra column enters f_s only at fourth order) is still computed
#: to a Z-accuracy of about ``(||grad f_s|| / ||A*A||)^(2/3)`` (measured: spread 1.2e-12 at s = 5,
#: r* = 4, d = 12, m = 150). The cap is sqrt(rtol_iterative) = 6.7e-7 (half the digits of an
#: iterative solve, the accuracy Newton's method keeps at a singular root); a non-unique
#: minimiser gives O(1) spreads (0.63 for eig(Z*) = (4, 2, 2, 1), s = 2, full observation).
SPREAD_CAP = float(np.sqrt(tolerances.rtol_iterative()))


def normal_space_curvature(op: SensingOperator, y, U) -> float:
    """lambda+, the smallest eigenvalue of the Hessian of f_s at U on the normal space.

    f_s is invariant under ``U -> U R``, so its Hessian vanishes on the tangent space
    ``{U Omega : Omega = -Omega^T}`` of the orbit (dimension s(s-1)/2); lambda+ is the smallest
    eigenvalue of the Hessian restricted to the orthogonal complement. lambda+ > 0 makes U*_s
    isolated up to rotation (quadratic growth); lambda+ = 0 (to round-off) is a flat direction.
    """
    op = check_operator(op)
    y = check_measurements(op, y)
    U = check_factor(op, U, "U")
    d, s = U.shape
    f = _rank_s(op, y, s)
    _, _, M = f.fg(U)
    gens = []
    for i in range(s):
        for j in range(i + 1, s):
            Om = np.zeros((s, s))
            Om[i, j], Om[j, i] = 1.0, -1.0
            gens.append((U @ Om).ravel())
    if isinstance(f, _FactoredRankS) and d * s > DENSE_HESSIAN_MAX:
        return _curvature_lanczos(f.hessian_operator(U, M), np.array(gens).T if gens else None)
    H = f.hessian(U, M)
    N = scipy.linalg.null_space(np.array(gens)) if gens else np.eye(d * s)
    return float(scipy.linalg.eigvalsh(N.T @ H @ N, subset_by_index=[0, 0])[0])


#: Largest d s at which :func:`normal_space_curvature` forms the Hessian of a factored operator
#: (d s Hessian-vector products and a (d s)^2 matrix); above it, Lanczos on the products
#: (:func:`_curvature_lanczos`): at d = 10^4, s = 3 the dense Hessian would be 7 GB.
DENSE_HESSIAN_MAX = 1500


def _curvature_lanczos(H: LinearOperator, T: np.ndarray | None) -> float:
    """lambda+ of :func:`normal_space_curvature` by ARPACK (``eigsh``) on Hessian-vector products.

    With Q an orthonormal basis of the tangent space (the columns of T), the operator
    ``P H P + c Q Q^T`` (P = I - Q Q^T) has the eigenvalues of H on the normal space and c on the
    tangent space; c = 2 lambda_max(H) + 1 puts those above every normal eigenvalue, so the
    smallest algebraic eigenvalue is lambda+. ARPACK's default tolerance (machine precision
    relative to the eigenvalue) applies; it raises if it does not converge."""
    n = H.shape[0]
    Q = np.linalg.qr(T)[0] if T is not None else np.zeros((n, 0))

    def proj(x):
        return x - Q @ (Q.T @ x)

    v0 = np.full(n, 1.0 / np.sqrt(n))  # a fixed start: the same bits on every call (operator_norm)
    top = float(eigsh(H, k=1, which="LA", v0=v0, return_eigenvectors=False)[0])
    c = 2.0 * abs(top) + 1.0

    def mv(x):
        x = np.ravel(x)
        return proj(H.matvec(proj(x))) + c * (Q @ (Q.T @ x))
    A = LinearOperator((n, n), matvec=mv, rmatvec=mv, dtype=np.float64)
    return float(eigsh(A, k=1, which="SA", v0=proj(v0) + 1e-3 * v0, return_eigenvectors=False)[0])


@dataclass(frozen=True)
class UniquenessReport:
    """Restarts of :func:`sensing_minimizer` from random starts (Lemma 4.4): a certificate.

    ``spread`` is ``max_i ||Z_i - Z_best||_F / ||Z_best||_F`` over restarts that reached the
    round-off gradient level; uniqueness up to rotation predicts it is within ``tolerance``.

    Attributes
    ----------
    s, best, losses, spread, n_converged, restarts
        As before: the rank, the best converged run, every run's f_s, the spread, how many runs
        reached the round-off gradient level and how many were run (spectral start + random).
    distances : (restarts,) ndarray
        ``||Z_i - Z_best||_F / ||Z_best||_F`` for every run (converged or not).
    converged : (restarts,) ndarray of bool
    curvature : float
        lambda+ at ``best.U`` (:func:`normal_space_curvature`).
    tolerance : float
        The spread the accuracy of the computation allows for a unique minimiser:
        ``min(2 (2||U|| + e) e / ||Z|| + rtol_exact, SPREAD_CAP)`` with
        ``e = max(||grad f_s||, round-off) / lambda+`` (first-order distance of a computed U from
        the orbit {U*_s R}; ``inf`` when lambda+ <= 0) and :data:`SPREAD_CAP`.
    loss_tol : float
        Round-off level of f_s: ``rtol_iterative * f_s(0)`` (the loss cancels terms of size
        ``||y||^2 / 4``).
    runs : tuple of RankSMinimizer
        Every run, the spectral start first.
    """

    s: int
    best: RankSMinimizer
    losses: np.ndarray
    spread: float
    n_converged: int
    restarts: int
    distances: np.ndarray = None
    converged: np.ndarray = None
    curvature: float = float("nan")
    tolerance: float = float("nan")
    loss_tol: float = float("nan")
    runs: tuple = field(default=(), repr=False)

    @property
    def tied(self) -> np.ndarray:
        """Converged runs whose f_s equals the best one's to round-off (``loss_tol``)."""
        return self.converged & (np.abs(self.losses - self.best.loss) <= self.loss_tol)

    @property
    def n_distinct(self) -> int:
        """Converged runs at the best loss (to round-off) whose Z is farther than ``tolerance``
        from ``Z_best``: each is a second minimiser, so ``n_distinct > 0`` certifies non-uniqueness."""
        return int(np.count_nonzero(self.tied & (self.distances > self.tolerance)))

    @property
    def unique(self) -> bool:
        """Every run converged and all land on one Z*_s: ``spread <= tolerance``."""
        return bool(self.n_converged == self.restarts and self.spread <= self.tolerance)

    def summary(self) -> str:
        """One line with the numbers behind :attr:`unique`."""
        what = ("unique" if self.unique else
                f"NOT unique: {self.n_distinct} restart(s) at the same loss are different minimisers"
                if self.n_distinct else "not certified: not every restart converged to one minimiser")
        return (f"s = {self.s}: {what} (spread {self.spread:.3g} vs tolerance {self.tolerance:.3g}, "
                f"{self.n_converged}/{self.restarts} converged, losses {np.array2string(self.losses, precision=6)}, "
                f"lambda+ = {self.curvature:.3g})")


def check_uniqueness(op: SensingOperator, y, s: int, *, restarts: int = 4, rng=None) -> UniquenessReport:
    """Recompute Z*_s from the spectral start and ``restarts`` random starts and compare.

    The random starts are i.i.d. Gaussian factors of the scale of ``sqrt(||A*(y)|| / d)``, drawn
    independently of the spectral start, so a minimiser that is not unique (a flat set of
    minimisers, e.g. a repeated eigenvalue at s under full observation) shows up as restarts at
    the same loss but different Z (:attr:`UniquenessReport.n_distinct`).
    """
    op = check_operator(op)
    y = check_measurements(op, y)
    s = nonneg_int(s, "s", minimum=1, maximum=op.d)
    restarts = nonneg_int(restarts, "restarts", minimum=1, maximum=MAX_RESTARTS)
    rng = np.random.default_rng(rng)
    scale = np.sqrt((op.adjoint_norm(y) if op.factored else np.linalg.norm(smat(op.adjoint_svec(y), op.d), 2)) / op.d)
    runs = [sensing_minimizer(op, y, s)]
    runs += [sensing_minimizer(op, y, s, init=scale * rng.standard_normal((op.d, s)))
             for _ in range(restarts)]
    ok = [r for r in runs if r.converged]
    best = min(ok or runs, key=lambda r: r.loss)
    nb = float(np.linalg.norm(best.Z))
    dist = np.array([float(np.linalg.norm(r.Z - best.Z)) / nb for r in runs])
    conv = np.array([r.converged for r in runs])
    spread = float(np.max(dist[conv])) if ok else float(np.max(dist))
    lam = normal_space_curvature(op, y, best.U)
    e = max(best.grad_norm, best.grad_tol) / lam if lam > 0 else np.inf
    quad = 2.0 * (2.0 * np.linalg.norm(best.U, 2) + e) * e / nb + tolerances.rtol_exact()
    tol = min(quad, SPREAD_CAP)
    loss_tol = tolerances.rtol_iterative() * 0.25 * float(y @ y)
    return UniquenessReport(s, best, np.array([r.loss for r in runs]), spread, len(ok), len(runs),
                            dist, conv, lam, tol, loss_tol, tuple(runs))
