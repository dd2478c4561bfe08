# Wind 2023 (v1, abstract): asymmetric GD from small random init reaches Z* at the round-off
# floor, in a time that grows like log(1/α)/log(1 + μσ_r*/2)
import dataclasses
from functools import lru_cache

import numpy as np
import pytest
from hypothesis import given

from tests.claim_asserts import (assert_claim_holds, assert_fails_on, assert_meets_assumptions,
                                 assert_violates, control)
from theorems.wind2023 import _common
from theorems.wind2023 import convergence as claim

pytestmark = pytest.mark.theorem("asymmetric_convergence")

KEY = "asymmetric_convergence"
# controls doctor the evidence of full observation: there the slope band is exact up to the
# integer-time slack
FULL = claim.DEFAULT.replace(operator="identity")


@lru_cache(maxsize=None)
def honest():
    return claim.evidence(FULL)


def judge(**changes):
    return claim.CLAIM.judge(FULL, dataclasses.replace(honest(), **changes))


def test_default_instance_holds():
    verdict = claim.CLAIM.verify()
    assert verdict.status == "HOLDS" and not verdict.not_testable, verdict.report()


def test_full_observation_holds_with_the_lifted_slope():
    verdict = claim.CLAIM.judge(FULL, honest())
    assert verdict.status == "HOLDS", verdict.report()
    slope = verdict.measurement("time_law").measured
    law = claim.predicted_slope(FULL.step, FULL.eigenvalues[-1])
    assert abs(slope - law) <= 2.0 / np.log(1e8), f"slope {slope:.5g}, 1/log(1+μσ/2) = {law:.5g}"


def test_the_reading_one_over_log_one_plus_mu_sigma_is_rejected():
    # 1/log(1 + μσ_r*) (Wind's η = our μ/2 forgotten) is off by a factor ≈ 2 from the data
    verdict = claim.CLAIM.judge(FULL, honest())
    slope = verdict.measurement("time_law").measured
    naive = 1.0 / np.log1p(FULL.step * FULL.eigenvalues[-1])
    assert slope > 1.8 * naive, f"slope {slope:.4g} vs 1/log(1+μσ) = {naive:.4g}"
    assert "rejected" in verdict.notes, verdict.notes


@given(claim.instances())
def test_asymmetric_gd_reaches_z_star_in_time_log_one_over_alpha(setting):
    assert_claim_holds(claim.CLAIM, setting)


@given(claim.instances())
def test_instances_meet_the_practical_assumptions(setting):
    assert_meets_assumptions(claim.assumptions(setting), setting)


# ------------------------------------------------------------------ negative controls
@control(KEY, measurement="final_error")
def test_a_trajectory_stopped_early_fails_the_final_error():
    ev = honest()
    stop = int(np.argmax(ev.errors[-1] <= 1e-6))  # the smallest α at 1e-6: every T_ε reached
    verdict = judge(errors=ev.errors[:, : stop + 1])
    assert_fails_on(verdict, "final_error")


@control(KEY, measurement="time_slope_positive")
def test_an_alpha_sweep_reversed_fails_the_positive_slope():
    # the times read against the α's in reverse order: a negative slope, so the law fails too
    verdict = judge(alphas=honest().alphas[::-1].copy())
    assert_fails_on(verdict, "time_slope_positive", also=("time_law",))


def test_large_alpha_where_time_does_not_grow_like_log_one_over_alpha_fails():
    # α₀ = 1 (out of scope): the first run starts at the scale of Z*, the fit is not affine
    verdict = claim.CLAIM.verify(FULL.replace(alpha=1.0))
    assert verdict.status == "OUT OF SCOPE", verdict.report()
    assert_fails_on(verdict, "time_slope_positive", also=("time_law",))
    scatter = verdict.measurement("time_slope_positive").measured[1]
    assert scatter > claim.SCATTER_RTOL, f"scatter {scatter:.3g}"


@control(KEY, measurement="time_law")
def test_times_biased_by_a_constant_factor_fail_the_slope_law():
    verdict = judge(errors=np.repeat(honest().errors, 13, axis=1)[:, ::10])  # t -> 1.3 t
    assert_fails_on(verdict, "time_law")


def test_gd_at_twice_the_step_fails_the_slope_law():
    # the ½-loss gradient (Wind's convention) at our μ is our GD at 2μ: the slope halves
    wrong = claim.evidence(FULL.replace(step=2 * FULL.step))
    verdict = claim.CLAIM.judge(FULL, wrong)
    assert_fails_on(verdict, "time_law")


def test_a_run_that_never_reaches_epsilon_makes_the_times_not_testable():
    ev = honest()
    errors = ev.errors.copy()
    errors[2] = np.maximum(errors[2], 2 * claim.EPSILON)
    verdict = judge(errors=errors)
    assert verdict.failing() == ("final_error",), verdict.report()
    for name in ("time_slope_positive", "time_law"):
        m = verdict.measurement(name)
        assert m.holds is None and "never reaches" in m.reason, verdict.report()


@control(KEY, assumption=_common.RIP_NAME)
def test_few_measurements_violate_the_practical_rip():
    assert_violates(claim.CLAIM, claim.DEFAULT.replace(m=2 * claim.DEFAULT.d * claim.DEFAULT.d2),
                    _common.RIP_NAME)


@control(KEY, assumption="small step, practical form")
def test_a_large_step_violates_the_step_budget():
    assert_violates(claim.CLAIM, claim.DEFAULT.replace(step=3 * claim.DEFAULT.step),
                    "small step, practical form")


@control(KEY, assumption=_common.INIT_NAME)
def test_alpha_one_violates_small_initialisation():
    assert_violates(claim.CLAIM, claim.DEFAULT.replace(alpha=1.0), _common.INIT_NAME)


@control(KEY, assumption=_common.EXACT_NAME)
def test_an_extra_column_violates_exact_parameterisation():
    assert_violates(claim.CLAIM, claim.DEFAULT.replace(rank=claim.DEFAULT.r_star + 1), _common.EXACT_NAME)
