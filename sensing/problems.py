"""Instances: a ground truth, an operator, its measurements, and the initialisation U_0 = alpha U-bar."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import nonneg_int, positive_scalar
from .groundtruth import (HAAR_DENSE_MAX_D, GroundTruth, gaussian_ground_truth,
                          ground_truth_from_spectrum)
from .operators import (SensingOperator, gaussian_operator, identity_operator, measure,
                        paper_operator)
from .structured import random_completion_operator, rank_one_operator

#: "rank_one": A_i = a_i a_i^T with Gaussian a_i; "completion": m uniformly drawn distinct entries
#: (sensing.structured; both store no S and run in mode "factored")
OPERATORS = ("gaussian", "paper", "identity", "rank_one", "completion")
INIT_SCALINGS = ("gaussian", "unit", "normalized")


@dataclass(frozen=True)
class SensingProblem:
    """A matrix-sensing instance: ground truth Z*, operator A and measurements y = A(Z*)."""

    truth: GroundTruth
    op: SensingOperator
    y: np.ndarray

    @property
    def d(self) -> int:
        return self.truth.d


def make_operator(kind: str, m: int | None, d: int, rng=None) -> SensingOperator:
    """Operator by name: ``"gaussian"``, ``"paper"``, ``"identity"`` (which ignores ``m``),
    ``"rank_one"`` (:func:`sensing.structured.rank_one_operator`: m Gaussian vectors a_i) or
    ``"completion"`` (:func:`sensing.structured.random_completion_operator`: m = |Omega| distinct
    entries drawn uniformly)."""
    if kind == "identity":
        return identity_operator(d)
    if kind not in OPERATORS:
        raise ValueError(f"operator must be one of {OPERATORS}, got {kind!r}")
    if m is None:
        raise ValueError(f"m is required for the {kind!r} operator")
    factory = {"gaussian": gaussian_operator, "paper": paper_operator, "rank_one": rank_one_operator,
               "completion": random_completion_operator}[kind]
    return factory(m, d, rng)


def make_problem(d: int, *, eigenvalues=None, rank: int | None = None, m: int | None = None,
                 operator: str = "gaussian", seed=None) -> SensingProblem:
    """Build an instance from a seed.

    Parameters
    ----------
    d : int
        Dimension.
    eigenvalues : array_like, optional
        Prescribed spectrum of Z* (Haar eigenvectors). If omitted, Z* = X X^T with X of shape
        (d, rank) and i.i.d. N(0, 1) entries (the paper's §6 draw).
    rank : int, optional
        r* for the Gaussian draw (ignored when ``eigenvalues`` is given).
    m : int, optional
        Number of measurements (not used by the identity operator; the number of observed
        entries |Omega| for ``"completion"``).
    operator : {"gaussian", "paper", "identity", "rank_one", "completion"}
        ``"rank_one"`` and ``"completion"`` are the structured operators of
        :mod:`sensing.structured` (their a_i, or Omega, from the operator's child stream).
    seed : int, SeedSequence or None
        One seed; the ground truth and the operator get independent child streams
        (``SeedSequence.spawn``), so changing m does not change Z*.
    """
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    s_truth, s_op = ss.spawn(2)
    if eigenvalues is not None:
        truth = ground_truth_from_spectrum(eigenvalues, d, np.random.default_rng(s_truth))
    else:
        if rank is None:
            raise ValueError("give either eigenvalues or rank")
        truth = gaussian_ground_truth(d, rank, np.random.default_rng(s_truth))
    op = make_operator(operator, m, d, np.random.default_rng(s_op))
    if d > HAAR_DENSE_MAX_D and hasattr(op, "forward_factor"):
        # a structured operator at large d: y from the factor, Z* (d x d) is never formed
        return SensingProblem(truth, op, op.forward_factor(truth.factor))
    return SensingProblem(truth, op, measure(op, truth.Z))


def initial_factor(d: int, r: int, alpha: float, rng=None, *, scaling: str = "gaussian",
                   batch: int | None = None) -> np.ndarray:
    """``U_0 = alpha U-bar`` with a random ``U-bar`` of shape (d, r) (or (batch, d, r)).

    ``scaling``:

    - ``"gaussian"``: i.i.d. N(0, 1) entries, as in the paper's experiments (§6);
    - ``"unit"``: Gaussian rescaled to spectral norm 1, as in §3.1 (``||U-bar|| = 1``);
    - ``"normalized"``: i.i.d. N(0, 1/r) entries, as in Proposition 3.6.
    """
    d = nonneg_int(d, "d", minimum=1)
    r = nonneg_int(r, "r", minimum=1)
    alpha = positive_scalar(alpha, "alpha")
    if scaling not in INIT_SCALINGS:
        raise ValueError(f"scaling must be one of {INIT_SCALINGS}, got {scaling!r}")
    shape = (d, r) if batch is None else (nonneg_int(batch, "batch", minimum=1), d, r)
    Ubar = np.random.default_rng(rng).standard_normal(shape)
    if scaling == "unit":
        Ubar /= np.linalg.norm(Ubar, 2, axis=(-2, -1), keepdims=True)
    elif scaling == "normalized":
        Ubar /= np.sqrt(r)
    return alpha * Ubar
