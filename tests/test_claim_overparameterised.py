# Theorem 4.1 with s = r*: with r̂ = d and m < d(d+1)/2, GD from small α recovers Z*
import dataclasses
import re
from functools import lru_cache

import numpy as np
import pytest
from hypothesis import given

from tests.claim_asserts import (assert_claim_holds, assert_fails_on, assert_meets_assumptions,
                                 assert_violates, control)
from theorems.jin2023 import overparameterised as claim

pytestmark = pytest.mark.theorem("overparameterised")
SETTING = claim.DEFAULT
CLAIM = claim.CLAIM


@lru_cache(maxsize=1)
def honest():
    # one batched GD run per module; the controls doctor copies of it
    return claim.evidence(SETTING)


def judge(**changes):
    return CLAIM.judge(SETTING, dataclasses.replace(honest(), **changes))


def law(exponent, at_min):
    """E(α) = at_min (α/α_min)^exponent over the sweep."""
    al = honest().alphas
    return at_min * (al / al.min()) ** exponent


@given(claim.instances())
def test_small_alpha_gd_recovers_z_star_from_fewer_than_d_d_plus_1_over_2_measurements(setting):
    assert_claim_holds(CLAIM, setting)


@given(claim.instances())
def test_instances_meet_the_required_assumptions(setting):
    assert_meets_assumptions(claim.assumptions(setting), setting)


def test_default_instance_holds():
    verdict = CLAIM.judge(SETTING, honest())
    assert verdict.status == "HOLDS", verdict.report()


# ------------------------------------------------------------------ negative controls (evidence)
@control("overparameterised", measurement="alpha_exponent")
@pytest.mark.parametrize("exponent", [0.0, 0.01, -0.3], ids=["zero", "near-zero", "negative"])
def test_an_error_law_with_a_zero_or_negative_exponent_fails_the_exponent_check(exponent):
    # exact power laws (se = 0) through the honest E(α_min): recovery still holds, p < p_min
    errors = law(exponent, honest().errors.min())
    assert_fails_on(judge(errors=errors), "alpha_exponent")


@control("overparameterised", measurement="recovery")
def test_a_small_alpha_run_that_stalls_above_the_separation_fails_recovery():
    # the honest exponent, but E(α_min) five times the recovery threshold 1e-2 min(E_mn, E_large)
    ev = honest()
    floor = claim.SEPARATION * min(ev.error_min_norm, ev.error_large)
    assert_fails_on(judge(errors=ev.errors * 5 * floor / ev.errors.min()), "recovery")


@control("overparameterised", measurement="recovery")
def test_checker_rejects_large_alpha_runs_offered_as_small_alpha():
    # real dynamics: ‖U_0‖ from ‖X‖ down to ‖X‖/8 follows E ∝ α^1.0 but never recovers
    big = claim.large_alpha(SETTING) * 2.0 ** -np.arange(4)
    verdict = CLAIM.judge(SETTING, claim.evidence(SETTING, small_alphas=big))
    # this sweep spans a factor 8 with 4 points: p_min = log 2/log 8 = 1/3 and t_{0.995, 2} = 9.9,
    # so p̂ = 1.0 ± 0.08 is not resolved either (the sweep, not the law, is too short)
    assert_fails_on(verdict, "recovery", also=("alpha_exponent",))


@control("overparameterised", measurement="min_norm_not_z_star")
def test_a_min_norm_error_off_its_beta_law_fails_the_min_norm_check():
    # E_mn = 0.3, far below √(1 − m/D) = 0.72 (interval [0.53, 0.88]) but still ≫ E(α_min)
    assert_fails_on(judge(error_min_norm=0.3), "min_norm_not_z_star")


@control("overparameterised", measurement="min_norm_not_z_star")
def test_a_min_norm_interpolant_equal_to_z_star_fails_the_min_norm_check():
    # E_mn = 0: the recovery threshold 1e-2 min(E_mn, E_large) is then 0 as well, so recovery
    # (relative to the references by definition) necessarily fails too
    assert_fails_on(judge(error_min_norm=0.0), "min_norm_not_z_star", also=("recovery",))


@control("overparameterised", measurement="large_alpha_not_recovered")
def test_a_large_alpha_run_that_nearly_recovers_fails_the_large_alpha_check():
    # E_large = 0.05 < 0.1, the recovery threshold 5e-4 still far above E(α_min) = 1.4e-6
    assert_fails_on(judge(error_large=0.05), "large_alpha_not_recovered")


@control("overparameterised", measurement="large_alpha_not_recovered")
def test_a_large_alpha_run_that_recovers_fails_the_large_alpha_check():
    # E_large = 1.4e-5: the threshold 1e-2 E_large = 1.4e-7 is below E(α_min), so recovery fails too
    assert_fails_on(judge(error_large=1.4e-5), "large_alpha_not_recovered", also=("recovery",))


def test_with_m_above_d_d_plus_1_over_2_the_contrasts_disappear_and_the_checker_says_so():
    # m >= D: the measurements determine Z*, so the min-norm interpolant and large-alpha GD recover it
    setting = SETTING.replace(m=2 * SETTING.d * (SETTING.d + 1) // 2)
    verdict = CLAIM.verify(setting)
    assert not verdict.in_scope, verdict.report()
    assert {"min_norm_not_z_star", "large_alpha_not_recovered"} <= set(verdict.failing()), verdict.report()


# ------------------------------------------------------------- checks that report, never vanish
def test_fewer_than_three_finite_positive_errors_make_the_exponent_not_testable():
    errors = honest().errors.copy()
    errors[2:-1] = 0.0
    errors[-1] = np.nan
    m = judge(errors=errors).measurement("alpha_exponent")
    assert m.holds is None and "only 2 finite positive" in m.reason, m


# issue 9: a row's shown tolerance is the rule applied (E_mn was shown against E_mn²'s interval)
def _shown_rule(m):
    num = r"(-?[\d.]+(?:e[-+]?\d+)?)"
    if (g := re.match(rf"in \[{num}, {num}\]", m.predicted)):
        return lambda v: float(g[1]) <= v <= float(g[2])
    if (g := re.match(rf"≥ {num}", m.predicted)):
        return lambda v: v >= float(g[1])
    if (g := re.search(rf"= {num} \(recovers\)", m.predicted)):
        return lambda v: v <= float(g[1])
    return None


@pytest.mark.parametrize("changes", [{}, {"error_min_norm": 0.80}, {"error_min_norm": 0.29},
                                     {"error_large": 0.099}, {"error_large": 1.4e-5}],
                         ids=["honest", "E_mn-0.80", "E_mn-0.29", "E_large-0.099", "E_large-1.4e-5"])
def test_every_row_shows_the_tolerance_it_applies(changes):
    # 0.80: E_mn² = 0.64 lies in the E_mn² interval [0.281, 0.766], but 0.80 > 0.766 was shown
    verdict = judge(**changes)
    for m in verdict.measurements:
        rule = _shown_rule(m)
        if m.name != "alpha_exponent":
            assert rule is not None, f"{m.name}: no rule to read in {m.predicted!r}"
            assert rule(m.measured) == m.holds, f"{m.name}: got {m.measured}, shown {m.predicted!r}, holds={m.holds}"


# ------------------------------------------------------------------ violating instances
VIOLATIONS = {
    # r̂ = 4 < d: nothing else depends on r̂ (Ū's regularity ρ stays positive)
    "full over-parameterisation": (dict(rank=4), ()),
    # d = r* = 2, m = D = 3: the only shape where m ≥ D leaves m ≤ δ(T) (= D there); the smaller
    # step keeps μ‖𝒜*(y)‖ = 0.02 (‖𝒜*(y)‖ = 10.8 at m = 3)
    "fewer measurements than unknowns": (dict(d=2, rank=2, m=3, alpha=1e-3, step=0.002), ()),
    # m = 130 in (δ(T), D) = (124.5, 210)
    "PSD interpolants not unique": (dict(m=130), ()),
    # m = 70 < 74: with so few measurements the noise eigenvalue of 𝒜*(y) comes within 1/4 (in
    # log-rate) of the signal (e = 0.16); no m in [74 − 30, 74) found with e ≥ 1/4 on seed 0
    "rank-r* identifiability count": (dict(m=70), ("spectral separation at r* (eq. 11, Lemma C.3)",)),
    # the search refutes injectivity only at m = 3 (module docstring, finding): that m also breaks
    # the count (3 < 74), the separation (e = 0.09) and the step (‖𝒜*(y)‖ ∝ 1/√m grows)
    "RIP of a rescaled 𝒜 (this claim's form)": (dict(m=3), (
        "rank-r* identifiability count", "spectral separation at r* (eq. 11, Lemma C.3)",
        "small step, practical form")),
    # another draw of the same shape: seed 1 has e = 0.05
    "spectral separation at r* (eq. 11, Lemma C.3)": (dict(seed=1), ()),
}


@pytest.mark.parametrize("name", sorted(VIOLATIONS))
def test_an_instance_violating_a_claim_specific_assumption_is_out_of_scope(name):
    changes, also = VIOLATIONS[name]
    assert_violates(CLAIM, SETTING.replace(**changes), name, also=also)


for _n in VIOLATIONS:
    control("overparameterised", assumption=_n)(test_an_instance_violating_a_claim_specific_assumption_is_out_of_scope)


def test_a_repeated_eigenvalue_is_out_of_scope_not_an_error():
    # tau = 0 (eig 4, 4, 1): the predicates report holds=False instead of dividing by tau
    checks = CLAIM.scope(SETTING.replace(eigenvalues=(4.0, 4.0, 1.0)))
    assert not next(a for a in checks if a.name == "eigengap (§3)").holds
    assert "ε/τ = inf" in next(a for a in checks if a.name.startswith("RIP of")).detail
