# Xiong et al. 2024: symmetric r̂ > r* converges like 1/t; r̂ = r* and asymmetric r̂ > r* converge linearly (rate ~ α²)
import dataclasses
from functools import lru_cache

import numpy as np
import pytest
from hypothesis import example, given, note

from tests.claim_asserts import assert_claim_holds, assert_fails_on, assert_violates, control
from theorems import Setting
from theorems.xiong2024 import slowdown as claim

pytestmark = pytest.mark.theorem("overparameterisation_slowdown")
KEY = "overparameterisation_slowdown"


@lru_cache(maxsize=None)
def honest():
    return claim.evidence(claim.DEFAULT)


def judge(**changes):
    return claim.CLAIM.judge(claim.DEFAULT, dataclasses.replace(honest(), **changes))


def test_default_instance_holds():
    verdict = claim.CLAIM.verify()
    assert verdict.status == "HOLDS" and not verdict.not_testable, verdict.report()


def test_the_symmetric_error_times_t_tends_to_sqrt_k_over_2mu():
    ev = honest()
    k = claim.DEFAULT.rank - claim.DEFAULT.r_star
    c = ev.sym_t[-1] * ev.sym_error[-1] * 2 * claim.DEFAULT.step / np.sqrt(k)
    assert abs(c - 1) < 0.05, f"t·E·2μ/√k = {c:.4g} at t = {ev.sym_t[-1]}"


# A finding too: the 25% band fails a run that is geometric throughout, its local rate sliding
# from 0.031 to 0.021 across the window (two slow modes; module docstring)
CROSSOVER = Setting(d=7, eigenvalues=(1.0, 0.5), m=None, operator="identity", rank=3, alpha=0.46875, step=0.075,
                    seed=529, init="normalized", d2=4, init_ratio=1 / 3)


@given(claim.instances())
@example(setting=CROSSOVER)
def test_symmetric_overparameterisation_is_sublinear_while_exact_and_asymmetric_are_linear(setting):
    # every check but the α² reading, which does not reproduce on every instance (the next test)
    verdict = claim.CLAIM.verify(setting, diagnose=False)
    note(verdict.report())
    assert verdict.in_scope, verdict.report()
    failing = set(verdict.failing())
    assert failing <= {"asymmetric_rate_exponent", "asymmetric_linear"}, verdict.report()
    if "asymmetric_linear" in failing:  # only as a crossover of geometric modes (module docstring)
        h = np.asarray(verdict.measurement("asymmetric_linear").measured, float).reshape(-1, 2)
        ratio = np.max(h, axis=1) / np.min(h, axis=1)
        assert np.all(h > 0) and np.all(ratio < claim.CROSSOVER_RATIO), (
            f"half-window rates {h.tolist()}: ratio {ratio.max():.3g} ≥ {claim.CROSSOVER_RATIO} is what "
            f"a decay t^-p with p ≤ 10 gives, not a geometric crossover\n{verdict.report()}")


# A finding, not a tolerance to widen: over 30 strategy draws the exponent of the asymmetric rate
# against α was 1.98–2.36 (median 2.03), but Hypothesis found this in-scope instance at 2.515,
# outside the reading 2 ± 0.5. The module docstring reports it; if it starts to hold, revisit.
FOUND = Setting(d=6, eigenvalues=(1.0,), m=None, operator="identity", rank=2, alpha=0.5, step=0.075,
                seed=364047, init="normalized", d2=4, init_ratio=1 / 3)


def test_the_alpha_squared_rate_does_not_reproduce_on_every_instance():
    verdict = claim.CLAIM.verify(FOUND, diagnose=False)
    assert verdict.in_scope and verdict.failing() == ("asymmetric_rate_exponent",), verdict.report()
    assert verdict.measurement("asymmetric_rate_exponent").measured > 2.5


def test_a_two_mode_crossover_fails_the_25_percent_band():
    verdict = claim.CLAIM.verify(CROSSOVER, diagnose=False)
    assert verdict.in_scope and verdict.failing() == ("asymmetric_linear",), verdict.report()
    r1, r2 = verdict.measurement("asymmetric_linear").measured[:2]
    assert 1 + claim.GEOM_RTOL < r1 / r2 < claim.CROSSOVER_RATIO, (r1, r2)


# ------------------------------------------------------------------ negative controls
@control(KEY, measurement="sublinear_slope")
def test_a_one_over_t_squared_curve_fails_the_sublinear_slope():
    # E(t)·(t_a/t) beyond t_a: unchanged at t_a (the regime indicators still read the same), 1/t² later
    ev = honest()
    ta = ev.sym_t[-1] / 4
    verdict = judge(sym_error=ev.sym_error * np.minimum(1.0, ta / np.maximum(ev.sym_t, 1)))
    assert_fails_on(verdict, "sublinear_slope")


def test_a_geometric_curve_offered_as_the_sublinear_one_fails_the_slope():
    ev = honest()
    a = int(np.searchsorted(ev.sym_t, ev.sym_t[-1] / 4))
    geo = ev.sym_error[a] * np.exp(-1e-3 * (ev.sym_t - ev.sym_t[a]))
    assert_fails_on(judge(sym_error=geo), "sublinear_slope")


@control(KEY, measurement="redundant_decay")
def test_redundant_eigenvalues_decaying_twenty_percent_fast_fail_the_cubic_law():
    ev = honest()
    a = int(np.searchsorted(ev.sym_t, ev.sym_t[-1] / 4))
    inv = 1 / ev.sym_redundant
    fast = inv[a] + 1.2 * (inv - inv[a])
    lam = ev.sym_redundant.copy()
    lam[a:] = 1 / fast[a:]
    assert_fails_on(judge(sym_redundant=lam), "redundant_decay")


@control(KEY, measurement="exact_linear")
def test_the_sublinear_curve_offered_as_the_exact_one_fails_exact_linear():
    ev = honest()
    assert_fails_on(judge(exact_t=ev.sym_t, exact_error=ev.sym_error), "exact_linear")


def test_an_exact_curve_decaying_at_twice_rho1_fails_exact_linear():
    ev = honest()
    t = ev.exact_t.astype(float)
    fast = np.maximum(ev.exact_error[0] * np.exp(-2 * 0.0408 * t), 1e-16)
    assert_fails_on(judge(exact_error=fast), "exact_linear")


@control(KEY, measurement="asymmetric_linear")
def test_one_over_t_asymmetric_curves_fail_the_geometric_check():
    ev = honest()
    t = np.maximum(ev.asym_t.astype(float), 1.0)
    curves = np.stack([np.full_like(t, 1e-3) * (1000 / t) ** 3 for _ in ev.alphas])  # polynomial decay
    verdict = judge(asym_error=curves)
    # no geometric window at any α: no rate to fit, so the exponent is not testable (never passed)
    assert_fails_on(verdict, "asymmetric_linear")
    assert verdict.measurement("asymmetric_rate_exponent").holds is None, verdict.report()


@control(KEY, measurement="asymmetric_rate_exponent")
def test_rates_independent_of_alpha_fail_the_exponent():
    ev = honest()
    same = np.repeat(ev.asym_error[:1], len(ev.alphas), axis=0)  # the α₀ curve at every α
    assert_fails_on(judge(asym_error=same), "asymmetric_rate_exponent")


@control(KEY, assumption="over-parameterised (r̂ > r*)")
def test_exact_parameterisation_offered_as_overparameterised_is_out_of_scope():
    assert_violates(claim.CLAIM, claim.DEFAULT.replace(rank=claim.DEFAULT.r_star), "over-parameterised (r̂ > r*)")


@control(KEY, assumption="full observation")
def test_a_gaussian_ensemble_is_out_of_scope():
    assert_violates(claim.CLAIM, claim.DEFAULT.replace(operator="gaussian", m=600), "full observation")


@control(KEY, assumption="imbalance definite")
def test_a_balanced_initialisation_is_out_of_scope():
    # G₀ at the scale of F₀ (ratio 1 instead of 1/3): B₀ = α²(F̄ᵀF̄ − ḠᵀḠ) is indefinite
    assert_violates(claim.CLAIM, claim.DEFAULT.replace(init_ratio=1.0), "imbalance definite")
