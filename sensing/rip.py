"""Restricted isometry constants (Definition 3.2), exact where possible and estimated otherwise.

``A`` is (delta, r)-RIP when ``(1 - delta) ||Z||_F^2 <= ||A(Z)||^2 <= (1 + delta) ||Z||_F^2`` for
all Z of rank <= r. Here Z ranges over symmetric matrices (the space the operator acts on).

- :func:`rip_exact` (m >= d(d+1)/2): ``max |lambda(A*A) - 1|`` over all of S^d, from the extreme
  eigenvalues of the Gram matrix. It is the exact constant over all symmetric matrices and
  therefore an **upper bound** on delta_r for every r.
- :func:`rip_estimate`: a **lower bound** on delta_r, from the best rank-r witness found by
  projected power iteration on ``A*A`` (maximising and minimising ``||A(Z)||^2`` over rank-r
  unit-norm Z). A lower bound can refute an RIP assumption but never certify it.

Each bound carries its **witness** W (``RIPBound.witness``): a symmetric matrix with
``||W||_F = 1`` at which ``| ||A(W)||^2 - 1 | = delta``. For :func:`rip_estimate` it has
rank <= r, which is what makes the value a lower bound on delta_r (and checkable: anyone can
recompute ``||A(W)||^2`` and the rank of W).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
from scipy.sparse.linalg import LinearOperator, eigsh

from ._validation import nonneg_int
from .descent import NormalMap
from .groundtruth import HAAR_DENSE_MAX_D
from .linalg import smat, svec
from .operators import SensingOperator, check_operator


@dataclass(frozen=True)
class RIPBound:
    """A value of the RIP constant with its meaning.

    ``kind`` is ``"exact (all symmetric matrices; upper bound for every rank)"`` or
    ``"estimate (lower bound on delta_r)"``; ``lower``/``upper`` are the extreme values of
    ``||A(Z)||^2`` found over unit-norm Z (for an estimate: values attained at rank-r witnesses).

    Attributes
    ----------
    witness : (d, d) ndarray or None
        A symmetric W with ``||W||_F = 1`` (rank <= ``rank`` for an estimate) at which
        ``| ||A(W)||^2 - 1 | = delta``; ``None`` where the exact constant came from singular
        values only (Gram matrix above its memory limit).
    witness_value : float
        ``||A(W)||^2`` at the witness, as computed (``nan`` without witness).
    witness_factor : ((d, k) ndarray, (k,) ndarray) or None
        ``(V, w)`` with ``W = V diag(w) V^T`` (V orthonormal, ``||w|| = 1``): the witness of an
        estimate on a structured operator at large d, where W itself (d x d) is not formed.
    """

    delta: float
    rank: int | None
    kind: str
    lower: float
    upper: float
    witness: np.ndarray | None = field(default=None, repr=False)
    witness_value: float = float("nan")
    witness_factor: tuple | None = field(default=None, repr=False)

    @property
    def is_upper_bound(self) -> bool:
        return self.kind.startswith("exact")


def rip_exact(op: SensingOperator) -> RIPBound:
    """Exact delta over all symmetric matrices from the extreme eigenvalues of ``A*A``.

    Requires ``m >= d(d+1)/2`` (otherwise ``A*A`` has a null space and the constant is 1).
    """
    op = check_operator(op)
    if op.is_identity:
        return RIPBound(0.0, None, "exact (all symmetric matrices; upper bound for every rank)", 1.0, 1.0,
                        _unit_rank_one(op.d), 1.0)
    if op.m < op.D:
        raise ValueError(f"rip_exact needs m >= d(d+1)/2 = {op.D} measurements, got m = {op.m}; "
                         "use rip_estimate for a lower bound")
    W = None
    if op.gram_bytes() <= op.gram_memory_limit:
        w, V = scipy.linalg.eigh(op.gram())
        v = V[:, -1] if w[-1] - 1.0 >= 1.0 - w[0] else V[:, 0]
        W = smat(v, op.d)
        W /= np.linalg.norm(W)
    else:
        w = scipy.linalg.svdvals(op.S) ** 2 / op.m
    lo, hi = float(np.min(w)), float(np.max(w))
    return RIPBound(max(hi - 1.0, 1.0 - lo), None,
                    "exact (all symmetric matrices; upper bound for every rank)", lo, hi,
                    W, float(np.sum(op.forward(W) ** 2)) if W is not None else float("nan"))


def _unit_rank_one(d: int) -> np.ndarray:
    W = np.zeros((d, d))
    W[0, 0] = 1.0
    return W


def _project_rank(Z: np.ndarray, r: int) -> np.ndarray:
    w, V = np.linalg.eigh(Z)
    keep = np.argsort(np.abs(w))[-r:]
    P = (V[:, keep] * w[keep]) @ V[:, keep].T
    return P / np.linalg.norm(P)


#: Dense normal-map work (FLOPs per application) above which a structured operator's search runs
#: on factors even where d x d matrices fit (d <= HAAR_DENSE_MAX_D): rank-one measurements cost
#: 3 m d^2 per dense application, against about m d r per ARPACK product on factors (d = 1000,
#: m = 10^4: 1.8 s per dense application, 570 s for a rank-1 search of 4 x 40 x 2 steps, which on
#: factors takes 88 s).
FACTORED_SEARCH_MIN_WORK = 10 ** 9


def _factored_search(op) -> bool:
    """Whether :func:`rip_estimate` keeps its iterates as factors (:func:`_rip_estimate_factored`)."""
    if not getattr(op, "factored", False):
        return False
    return op.d > HAAR_DENSE_MAX_D or op.dense_normal_work() > FACTORED_SEARCH_MIN_WORK


def rip_estimate(op: SensingOperator, rank: int, *, rng=None, restarts: int = 6,
                 iterations: int = 60) -> RIPBound:
    """Lower bound on delta_rank by searching for the worst rank-``rank`` direction.

    Projected power iteration ``Z <- P_r(A*A Z)`` climbs towards large ``||A(Z)||^2``, and
    ``Z <- P_r((c I - A*A) Z)`` towards small values, from ``restarts`` random rank-r starts.
    """
    op = check_operator(op)
    r = nonneg_int(rank, "rank", minimum=1, maximum=op.d)
    restarts = nonneg_int(restarts, "restarts", minimum=1, maximum=10_000)
    iterations = nonneg_int(iterations, "iterations", minimum=1, maximum=1_000_000)
    if op.is_identity:  # ||A(W)||^2 = ||W||_F^2 for every W: delta_r = 0, any unit W witnesses it
        return RIPBound(0.0, r, "estimate (lower bound on delta_r)", 1.0, 1.0, _unit_rank_one(op.d), 1.0)
    rng = np.random.default_rng(rng)
    if _factored_search(op):
        return _rip_estimate_factored(op, r, rng, restarts, iterations)
    nm = NormalMap(op, np.zeros(op.m))
    d = op.d

    def quad(Z):
        return float(svec(Z) @ svec(nm.apply(Z[None])[0]))

    found = []  # (||A(W)||^2, W) at every rank-<= r unit witness reached
    c = None
    for _ in range(restarts):
        B = rng.standard_normal((d, r))
        Z0 = _project_rank(B @ np.diag(rng.choice([-1.0, 1.0], r)) @ B.T, r)
        Z = Z0
        for _ in range(iterations):
            Z = _project_rank(nm.apply(Z[None])[0], r)
        found.append((quad(Z), Z))
        hi = max(1.0, max(v for v, _ in found))  # c I - A*A must stay positive definite
        c = 2.0 * hi if c is None else max(c, 2.0 * hi)
        Z = Z0
        for _ in range(iterations):
            Z = _project_rank(c * Z - nm.apply(Z[None])[0], r)
        found.append((quad(Z), Z))
    # each witness W has rank <= r and ||W||_F = 1, so delta_r >= | ||A(W)||^2 - 1 | for each
    value, W = max(found, key=lambda vw: abs(vw[0] - 1.0))
    values = [v for v, _ in found]
    return RIPBound(abs(value - 1.0), r, "estimate (lower bound on delta_r)",
                    min(values), max(values), W, value)


def _rip_estimate_factored(op, r: int, rng, restarts: int, iterations: int) -> RIPBound:
    """:func:`rip_estimate` on a structured operator at large d, with every iterate kept as
    ``V diag(w) V^T`` (V: d x r orthonormal): ``A(Z)`` is ``forward_product(V w, V)``, and the
    rank-r projection of ``A*A(Z)`` (or of ``c Z - A*A(Z)``) is ARPACK's r eigenpairs of largest
    magnitude of ``v -> A*(A(Z)) v`` (minus ``c Z v``), so no d x d matrix is formed. The same
    iteration, starts and random stream as the dense search (same values to ARPACK's tolerance)."""
    d = op.d

    def unit(V, w):
        return V, w / np.linalg.norm(w)

    def measure(V, w):
        return op.forward_product(V * w, V)

    def project(matvec):
        L = LinearOperator((d, d), matvec=lambda v: matvec(np.reshape(v, (d, 1))).ravel(), dtype=np.float64)
        w, V = eigsh(L, k=r, which="LM", v0=np.full(d, 1.0 / np.sqrt(d)))
        return unit(V, w)

    def step_high(V, w):
        a = measure(V, w)
        return project(lambda x: op.adjoint_times(a, x))

    def step_low(V, w, c):
        a = measure(V, w)
        return project(lambda x: c * (V @ (w[:, None] * (V.T @ x))) - op.adjoint_times(a, x))

    found = []
    c = None
    for _ in range(restarts):
        B = rng.standard_normal((d, r))
        signs = rng.choice([-1.0, 1.0], r)
        Q, R = np.linalg.qr(B)
        w0, E = np.linalg.eigh((R * signs) @ R.T)  # B diag(signs) B^T = Q (R diag(signs) R^T) Q^T
        Z0 = unit(Q @ E, w0)
        Z = Z0
        for _ in range(iterations):
            Z = step_high(*Z)
        found.append((float(np.sum(measure(*Z) ** 2)), Z))
        hi = max(1.0, max(v for v, _ in found))
        c = 2.0 * hi if c is None else max(c, 2.0 * hi)
        Z = Z0
        for _ in range(iterations):
            Z = step_low(*Z, c)
        found.append((float(np.sum(measure(*Z) ** 2)), Z))
    value, W = max(found, key=lambda vw: abs(vw[0] - 1.0))
    values = [v for v, _ in found]
    # where d x d matrices fit, the witness matrix too (as the dense search returns it)
    dense_W = (W[0] * W[1]) @ W[0].T if d <= HAAR_DENSE_MAX_D else None
    return RIPBound(abs(value - 1.0), r, "estimate (lower bound on delta_r)", min(values), max(values),
                    dense_W, value, W)
