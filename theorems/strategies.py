"""Hypothesis strategies for instances that satisfy the practical assumptions by construction.

Hypothesis draws the small structural parameters (d, r*, spectrum ratio, m, alpha, mu, seed);
the bulk arrays are filled from ``np.random.default_rng(seed)`` inside ``Setting.problem``.

Construction (why the required assumptions hold):

- spectrum: geometric, lambda_i = lambda_1 q^(i-1) with q in [q_min, q_max]: every gap is at
  least lambda_r* (1 - q) / q > 0, so the eigengap holds exactly;
- measurements: the normal-map error of a Gaussian ensemble concentrates like
  ||(A*A - I)Z*|| ~ c ||Z*||_F sqrt(d/m) with c about 2; choosing
  m >= 64 d (||Z*||_F / tau)^2 makes it at most tau/4 (the practical RIP asks tau/2), a
  factor-2 margin. ``assume`` discards the rare draw that misses it;
- step: mu = fraction * 0.1 / lambda_1 (the practical step budget is mu ||A*(y)|| <= 0.1 and
  ||A*(y)|| <= lambda_1 + tau/2 <= 1.5 lambda_1... so fraction <= 0.6);
- alpha: at most 1e-3 * sigma_min with Ubar of spectral norm 1 ("unit" scaling), well under the
  small-initialisation bound 1e-2 sigma_min.
"""
from __future__ import annotations

import math

import numpy as np
from hypothesis import assume, strategies as st

from ._core import Setting
from . import assumptions as asm


def required_m(eigenvalues, d: int) -> int:
    """Measurements that make the practical RIP hold with a factor-2 margin (see module doc)."""
    w = np.asarray(eigenvalues, dtype=float)
    tau = float(np.min(w - np.append(w[1:], 0.0)))
    return int(math.ceil(64 * d * float(np.sum(w ** 2)) / tau ** 2))


@st.composite
def settings(draw, *, d=(8, 16), r_star=(1, 4), ratio=(0.3, 0.6), rank=None, operator=("gaussian",),
             alpha_exponent=(-6.0, -3.0), step_fraction=(0.3, 0.6), m=None, m_factor=1, init="unit"):
    """Settings meeting :func:`theorems.assumptions.standard` (practical forms) by construction.

    Keyword ranges are inclusive ``(low, high)`` pairs; ``rank`` is r-hat (default: d, the
    over-parameterised case); ``operator`` is a tuple to sample from; ``m`` overrides the
    automatic choice :func:`required_m` (callers then own the RIP margin); ``m_factor``
    multiplies the automatic choice (delta shrinks like m^-1/2) for checks that need more margin.
    """
    dd = draw(st.integers(*d), label="d")
    r = draw(st.integers(r_star[0], min(r_star[1], dd)), label="r*")
    q = draw(st.floats(*ratio), label="ratio")
    lam1 = draw(st.sampled_from([1.0, 4.0, 16.0]), label="lambda_1")
    eig = tuple(lam1 * q ** i for i in range(r))
    op = draw(st.sampled_from(operator), label="operator")
    rh = dd if rank is None else draw(st.integers(*rank), label="rank") if isinstance(rank, tuple) else rank
    mm = None if op == "identity" else (m if m is not None else m_factor * required_m(eig, dd))
    alpha = 10.0 ** draw(st.floats(*alpha_exponent), label="log10 alpha") * math.sqrt(eig[-1])
    step = draw(st.floats(*step_fraction), label="step fraction") * asm.STEP_BUDGET / lam1
    seed = draw(st.integers(0, 2**32 - 1), label="seed")
    s = Setting(d=dd, eigenvalues=eig, m=mm, operator=op, rank=rh, alpha=alpha, step=step,
                seed=seed, init=init)
    assume(all(a.holds for a in asm.standard(s)[:5]))  # rare: a draw that misses the margin
    return s
