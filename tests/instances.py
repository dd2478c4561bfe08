"""Small seeded instances for the core tests: Hypothesis draws sizes and a seed, numpy the arrays."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import sensing

KINDS = ("gaussian", "paper", "identity", "matrices")
#: The operators of sensing.structured (no S; gradient descent in mode "factored").
STRUCTURED_KINDS = ("rank_one", "completion")


def structured(kind: str, d: int, m: int, rng) -> sensing.FactoredOperator:
    """A structured operator from a seeded Generator; completion entries are shuffled and half
    of them mirrored, so that the unsorted (user-order) path is what gets tested."""
    if kind == "rank_one":
        return sensing.operator_from_vectors(rng.standard_normal((m, d)))
    D = d * (d + 1) // 2
    i, j = np.triu_indices(d)
    pick = rng.permutation(D)[:min(m, D)]
    rows, cols = i[pick], j[pick]
    flip = rng.random(pick.size) < 0.5
    rows, cols = np.where(flip, cols, rows), np.where(flip, rows, cols)
    return sensing.completion_operator(d, rows, cols)


def operators(kind: str, d: int, m: int, seed) -> sensing.SensingOperator:
    rng = np.random.default_rng(seed)
    if kind in STRUCTURED_KINDS:
        return structured(kind, d, m, rng)
    if kind == "identity":
        return sensing.identity_operator(d)
    if kind == "matrices":
        return sensing.operator_from_matrices(rng.standard_normal((m, d, d)))
    return sensing.make_operator(kind, m, d, rng)


@st.composite
def small_problems(draw, kinds=KINDS, *, max_d: int = 6, max_m: int = 40):
    """(op, y, Z*, rng) with d <= max_d, m <= max_m and a random PSD Z* of rank <= d."""
    kind = draw(st.sampled_from(kinds), label="kind")
    d = draw(st.integers(2, max_d), label="d")
    m = draw(st.integers(1, max_m), label="m")
    r = draw(st.integers(1, d), label="rank")
    seed = draw(st.integers(0, 2**32 - 1), label="seed")
    rng = np.random.default_rng(seed)
    op = operators(kind, d, m, rng)
    X = rng.standard_normal((d, r))
    Z = X @ X.T
    return op, op.forward(Z), Z, rng


def random_symmetric(rng, d):
    B = rng.standard_normal((d, d))
    return B + B.T
