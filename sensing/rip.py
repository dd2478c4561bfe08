"""Restricted isometry constants (Definition 3.2), exact where possible and estimated otherwise.

``A`` is (delta, r)-RIP when ``(1 - delta) ||Z||_F^2 <= ||A(Z)||^2 <= (1 + delta) ||Z||_F^2`` for
all Z of rank <= r. Here Z ranges over symmetric matrices (the space the operator acts on).

- :func:`rip_exact` (m >= d(d+1)/2): ``max |lambda(A*A) - 1|`` over all of S^d, from the extreme
  eigenvalues of the Gram matrix. It is the exact constant over all symmetric matrices and
  therefore an **upper bound** on delta_r for every r.
- :func:`rip_estimate`: a **lower bound** on delta_r, from the best rank-r witness found by
  projected power iteration on ``A*A`` (maximising and minimising ``||A(Z)||^2`` over rank-r
  unit-norm Z). A lower bound can refute an RIP assumption but never certify it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from ._validation import nonneg_int
from .descent import NormalMap
from .linalg import smat, svec
from .operators import SensingOperator, check_operator


@dataclass(frozen=True)
class RIPBound:
    """A value of the RIP constant with its meaning.

    ``kind`` is ``"exact (all symmetric matrices; upper bound for every rank)"`` or
    ``"estimate (lower bound on delta_r)"``; ``lower``/``upper`` are the extreme values of
    ``||A(Z)||^2`` found over unit-norm Z.
    """

    delta: float
    rank: int | None
    kind: str
    lower: float
    upper: float

    @property
    def is_upper_bound(self) -> bool:
        return self.kind.startswith("exact")


def rip_exact(op: SensingOperator) -> RIPBound:
    """Exact delta over all symmetric matrices from the extreme eigenvalues of ``A*A``.

    Requires ``m >= d(d+1)/2`` (otherwise ``A*A`` has a null space and the constant is 1).
    """
    op = check_operator(op)
    if op.is_identity:
        return RIPBound(0.0, None, "exact (all symmetric matrices; upper bound for every rank)", 1.0, 1.0)
    if op.m < op.D:
        raise ValueError(f"rip_exact needs m >= d(d+1)/2 = {op.D} measurements, got m = {op.m}; "
                         "use rip_estimate for a lower bound")
    if op.gram_bytes() <= op.gram_memory_limit:
        w = scipy.linalg.eigvalsh(op.gram())
    else:
        w = scipy.linalg.svdvals(op.S) ** 2 / op.m
    lo, hi = float(np.min(w)), float(np.max(w))
    return RIPBound(max(hi - 1.0, 1.0 - lo), None,
                    "exact (all symmetric matrices; upper bound for every rank)", lo, hi)


def _project_rank(Z: np.ndarray, r: int) -> np.ndarray:
    w, V = np.linalg.eigh(Z)
    keep = np.argsort(np.abs(w))[-r:]
    P = (V[:, keep] * w[keep]) @ V[:, keep].T
    return P / np.linalg.norm(P)


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
    if op.is_identity:
        return RIPBound(0.0, r, "estimate (lower bound on delta_r)", 1.0, 1.0)
    rng = np.random.default_rng(rng)
    nm = NormalMap(op, np.zeros(op.m))
    d = op.d

    def quad(Z):
        return float(svec(Z) @ svec(nm.apply(Z[None])[0]))

    hi, lo = 1.0, 1.0
    c = None
    for _ in range(restarts):
        B = rng.standard_normal((d, r))
        Z0 = _project_rank(B @ np.diag(rng.choice([-1.0, 1.0], r)) @ B.T, r)
        Z = Z0
        for _ in range(iterations):
            Z = _project_rank(nm.apply(Z[None])[0], r)
        hi = max(hi, quad(Z))
        c = 2.0 * hi if c is None else max(c, 2.0 * hi)
        Z = Z0
        for _ in range(iterations):
            Z = _project_rank(c * Z - nm.apply(Z[None])[0], r)
        lo = min(lo, quad(Z))
    return RIPBound(max(hi - 1.0, 1.0 - lo), r, "estimate (lower bound on delta_r)", lo, hi)
