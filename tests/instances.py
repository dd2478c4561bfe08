"""Small seeded instances for the core tests: Hypothesis draws sizes and a seed, numpy the arrays."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import sensing

KINDS = ("gaussian", "paper", "identity", "matrices")


def operators(kind: str, d: int, m: int, seed: int) -> sensing.SensingOperator:
    rng = np.random.default_rng(seed)
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
