# Asymmetric incremental learning (Jiang–Chen–Ding 2023; asymmetric Jin Thm 4.1): FGᵀ learns
# σ_1, σ_2, … in order at t_k ≈ log(1/α)/log(1+μσ_k/2) — σ_k, not σ_k² — near Z*_k on the way
import dataclasses
from functools import lru_cache

import numpy as np
import pytest
from hypothesis import given

import sensing
from tests.claim_asserts import (assert_claim_holds, assert_fails_on, assert_meets_assumptions,
                                 assert_violates, control)
from theorems._core import FINITE_TRAJECTORY
from theorems.jiang2023 import incremental as claim

KEY = "asymmetric_incremental"
pytestmark = pytest.mark.theorem(KEY)
DEFAULT = claim.DEFAULT


@lru_cache(maxsize=None)
def honest():
    """The evidence of one run on the default (full observation), computed once per module."""
    return claim.evidence(DEFAULT)


def judge(ev=None, **changes):
    return claim.CLAIM.judge(DEFAULT, dataclasses.replace(honest() if ev is None else ev, **changes))


def law_times(slope):
    """Times with the honest t_k at the largest α and the given slopes per k afterwards."""
    ev = honest()
    x = np.log(ev.alphas[0] / ev.alphas)  # log(1/α) − log(1/α₀)
    return ev.times[0] + np.round(x[:, None] * np.asarray(slope)[None, :]).astype(int)


def test_default_instance_holds():
    verdict = claim.CLAIM.verify()
    assert verdict.status == "HOLDS" and not verdict.not_testable, verdict.report()


def test_slopes_match_sigma_not_sigma_squared_on_the_default():
    ev = honest()
    slopes = claim.fitted_slopes(ev.alphas, ev.times)
    want = claim.predicted_slope(DEFAULT.step, ev.singular_values)
    other = claim.sigma_squared_slope(DEFAULT.step, ev.singular_values)
    assert np.all(np.abs(slopes - want) <= 0.05 * want), f"slopes {slopes}, 1/log(1+μσ/2) = {want}"
    # the σ² reading is off by 49% (k = 3, σ = 1: μσ² = 2·μσ/2) to 84% (k = 1)
    assert np.all(np.abs(slopes - other) >= 0.4 * want), f"slopes {slopes}, 1/log(1+μσ²) = {other}"


def test_lifted_sensing_minimiser_is_the_truncated_svd_under_full_observation():
    pb = DEFAULT.problem()
    for k in (1, 2):
        W = sensing.sensing_minimizer(pb.op, pb.y, k).U
        err = np.linalg.norm(W[:DEFAULT.d] @ W[DEFAULT.d:].T - pb.truth.truncated(k))
        assert err <= 1e-9, f"k={k}: ‖F Gᵀ − truncated({k})‖_F = {err:.3g}"


@pytest.mark.slow
def test_default_holds_under_gaussian_sensing_against_the_sensing_minimiser():
    s = DEFAULT.replace(operator="gaussian", m=claim.required_m(DEFAULT.eigenvalues, DEFAULT.d, DEFAULT.d2))
    verdict = claim.CLAIM.verify(s)
    assert verdict.status == "HOLDS" and not verdict.not_testable, verdict.report()


@given(claim.instances())
def test_singular_components_are_learned_in_order_at_log_one_over_alpha_over_log_one_plus_mu_sigma(setting):
    assert_claim_holds(claim.CLAIM, setting)


@given(claim.instances())
def test_instances_meet_the_required_assumptions(setting):
    assert_meets_assumptions(claim.assumptions(setting), setting)


# ------------------------------------------------------------------ negative controls
@control(KEY, measurement="times_reached")
def test_a_rank_never_learned_fails_times_reached():
    times = honest().times.copy()
    times[-1, -1] = -1
    assert_fails_on(judge(times=times), "times_reached")


@control(KEY, measurement="learning_order")
def test_components_learned_out_of_order_fail_the_order():
    # a constant shift of t_2 (the law's O(1)) keeps every slope and puts t_2 < t_1 at α₀
    times = honest().times.copy()
    times[:, 1] -= times[0, 1] - times[0, 0] + 1
    verdict = judge(times=times)
    assert_fails_on(verdict, "learning_order")


@control(KEY, measurement="time_slope")
def test_times_with_the_step_convention_factor_two_fail_the_slope_only():
    # slopes 1/log(1 + μσ_k): Jiang et al.'s η read as our μ. The rate is still linear in σ_k,
    # so sigma_not_sigma_squared holds and only the absolute slope fails
    times = law_times(claim.predicted_slope(2 * DEFAULT.step, honest().singular_values))
    verdict = judge(times=times)
    assert_fails_on(verdict, "time_slope")
    assert verdict.measurement("sigma_not_sigma_squared").holds, verdict.report()


@control(KEY, measurement="sigma_not_sigma_squared")
def test_the_symmetric_models_sigma_squared_times_fail_the_discriminating_check():
    # times of the σ_k² reading: the exponent p is 2, and (necessarily) the absolute slopes are off
    times = law_times(claim.sigma_squared_slope(DEFAULT.step, honest().singular_values))
    verdict = judge(times=times)
    assert_fails_on(verdict, "sigma_not_sigma_squared", also=("time_slope",))
    p = verdict.measurement("sigma_not_sigma_squared").measured
    assert abs(p - 2.0) <= 0.05, f"fitted exponent {p:.3g} of σ²-law times"


@control(KEY, measurement="distance_exponent")
def test_distances_of_a_reversed_alpha_sweep_fail_the_exponent():
    ev = honest()
    assert_fails_on(judge(min_distance=ev.min_distance[::-1].copy()), "distance_exponent")


def test_distances_saturating_at_a_floor_fail_the_exponent():
    ev = honest()
    floor = 0.5 * ev.min_distance[1].min()  # an α-independent floor reached at the second α
    assert_fails_on(judge(min_distance=ev.min_distance + floor), "distance_exponent")


def test_a_fully_reversed_alpha_sweep_fails_slope_and_distance():
    ev = honest()
    verdict = judge(alphas=ev.alphas[::-1].copy())
    assert {"time_slope", "distance_exponent"} <= set(verdict.failing()), verdict.report()


@control(KEY, measurement=FINITE_TRAJECTORY)
def test_a_diverging_step_fails_the_finite_trajectory_check():
    verdict = claim.CLAIM.verify(DEFAULT.replace(step=100.0 / claim.top_signal(DEFAULT)), diagnose=False)
    assert_fails_on(verdict, FINITE_TRAJECTORY)


def test_large_alpha_is_out_of_scope_and_loses_the_law():
    s = DEFAULT.replace(alpha=1.0)
    verdict = claim.CLAIM.verify(s, diagnose=False)
    assert verdict.status == "OUT OF SCOPE", verdict.report()


# --------------------------------------------------------------- not testable, never dropped
def test_a_single_learned_rank_makes_order_and_exponent_not_testable():
    ev = honest()
    verdict = judge(times=ev.times[:, :1].copy(), singular_values=ev.singular_values[:1],
                    min_distance=ev.min_distance[:, :0], closest=ev.closest[:, :0])
    for name in ("learning_order", "sigma_not_sigma_squared", "distance_exponent"):
        assert verdict.measurement(name).holds is None, verdict.report()
    assert verdict.holds, verdict.report()


# ------------------------------------------------------------------ required assumptions
@control(KEY, assumption="singular-value gap")
def test_a_repeated_singular_value_is_out_of_scope():
    # τ = 0 also turns ε ≤ τ/2 into ε ≤ 0 (it holds for full observation, ε = 0)
    assert_violates(claim.CLAIM, DEFAULT.replace(eigenvalues=(4.0, 4.0, 1.0)), "singular-value gap",
                    also=("observation error, practical form",))


@control(KEY, assumption="observation error, practical form")
def test_too_few_measurements_are_out_of_scope():
    # m = 2 d1 d2: ε exceeds τ/2, and σ₁(𝒜*(y)) grows with it (the step budget may go too)
    s = DEFAULT.replace(operator="gaussian", m=2 * DEFAULT.d * DEFAULT.d2)
    assert_violates(claim.CLAIM, s, "observation error, practical form", also=("small step, lifted",))


@control(KEY, assumption="small step, lifted")
def test_a_large_step_is_out_of_scope():
    s = DEFAULT.replace(step=4.0 * claim.STEP_BUDGET / claim.top_signal(DEFAULT))
    assert_violates(claim.CLAIM, s, "small step, lifted")


@control(KEY, assumption="small initialisation, lifted")
def test_alpha_one_is_out_of_scope():
    assert_violates(claim.CLAIM, DEFAULT.replace(alpha=1.0), "small initialisation, lifted")
