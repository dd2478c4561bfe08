# Learning times: t_s(α) grows like log(1/α)/log(1+μσ̂_s²) (Thm 4.1 times, eq. 11)
import dataclasses
from functools import lru_cache

import numpy as np
import pytest
from hypothesis import given

from tests.claim_asserts import (assert_claim_holds, assert_fails_on, assert_meets_assumptions,
                                 control)
from theorems import assumptions as asm
from theorems.jin2023 import learning_times as claim

pytestmark = pytest.mark.theorem("learning_times")

# controls doctor the evidence of full observation: there the slope band is exact up to the
# integer-time slack, so a doctored quantity stands out against a tight tolerance
FULL = claim.DEFAULT.replace(operator="identity")


@lru_cache(maxsize=None)
def honest():
    """``(alphas, U0, traj, evidence)`` of one run on FULL (computed once per module)."""
    al, U0, traj = claim.trajectory(FULL)
    return al, U0, traj, claim.evidence_from_trajectory(FULL, al, U0, traj)


def judge(**changes):
    return claim.CLAIM.judge(FULL, dataclasses.replace(honest()[3], **changes))


def test_full_observation_evidence_holds():
    verdict = claim.CLAIM.judge(FULL, honest()[3])
    assert verdict.status == "HOLDS" and not verdict.not_testable, verdict.report()


@given(claim.instances())
def test_learning_time_slope_is_one_over_log_one_plus_mu_sigma_squared(setting):
    assert_claim_holds(claim.CLAIM, setting)


@given(claim.instances())
def test_instances_meet_the_practical_assumptions(setting):
    assert_meets_assumptions(asm.standard(setting), setting)


# ------------------------------------------------------------------ negative controls
@control("learning_times", measurement="times_reached")
def test_a_rank_never_learned_fails_times_reached():
    times = honest()[3].times.copy()
    times[-1, -1] = -1  # the last rank at the smallest α: never reached within the horizon
    verdict = judge(times=times)
    assert_fails_on(verdict, "times_reached")
    # the slope is still judged on the ranks learned at every α
    assert verdict.measurement("time_slope").holds, verdict.report()


@control("learning_times", measurement="time_slope")
def test_times_with_a_slope_error_fail_the_slope_law():
    ev = honest()[3]
    x = np.log(ev.alphas[0] / ev.alphas)  # log(1/α) − log(1/α₀)
    err = 0.2 * claim.predicted_slope(FULL.step, FULL.eigenvalues[0])  # 20% on t_1's slope
    times = ev.times.copy()
    times[:, 0] += np.round(err * x).astype(int)
    verdict = judge(times=times)
    assert_fails_on(verdict, "time_slope")


def test_times_biased_by_a_constant_factor_fail_the_slope_law():
    ev = honest()[3]
    verdict = judge(times=np.round(1.3 * ev.times).astype(int))
    assert_fails_on(verdict, "time_slope")


def test_checker_rejects_dynamics_run_with_the_wrong_step():
    # a gradient off by a factor 2 is the same as GD with step 2μ: slopes halve
    setting = claim.DEFAULT
    wrong = claim.evidence(setting.replace(step=2 * setting.step))
    verdict = claim.CLAIM.judge(setting, wrong)
    assert "time_slope" in verdict.failing(), verdict.report()


@control("learning_times", measurement="power_iteration_clock")
def test_records_labelled_one_step_late_fail_the_clock():
    # every t_s moves by +1: slopes, order and reached are unchanged; only the clock sees it
    al, U0, traj, ev = honest()
    late = dataclasses.replace(traj, record_steps=traj.record_steps + 1)
    doctored = claim.evidence_from_trajectory(FULL, al, U0, late)
    assert np.array_equal(doctored.times, ev.times + 1)
    verdict = claim.CLAIM.judge(FULL, doctored)
    assert_fails_on(verdict, "power_iteration_clock")
    m = verdict.measurement("power_iteration_clock")
    assert ev.clock_error <= claim.CLOCK_RTOL < m.measured, (
        f"clock error {ev.clock_error:.3g} (true records), {m.measured:.3g} (shifted), "
        f"tolerance {claim.CLOCK_RTOL:g}")


@control("learning_times", measurement="ordered_learning")
def test_t2_shifted_before_t1_fails_the_order():
    # a constant shift of t_2 (the law's O(1)) keeps every slope, and puts t_2 < t_1 at α₀
    times = honest()[3].times.copy()
    times[:, 1] -= times[0, 1] - times[0, 0] + 1
    verdict = judge(times=times)
    assert_fails_on(verdict, "ordered_learning")


# --------------------------------------------------------------- not testable, never dropped
def test_an_alpha_where_no_rank_is_learned_makes_the_slope_not_testable():
    times = honest()[3].times.copy()
    times[1, :] = -1
    verdict = judge(times=times)
    m = verdict.measurement("time_slope")
    assert m.holds is None and "nothing to fit" in m.reason, verdict.report()
    assert verdict.failing() == ("times_reached",), verdict.report()
    assert verdict.measurement("ordered_learning").holds, verdict.report()


def test_a_run_without_early_records_makes_the_clock_not_testable():
    verdict = judge(clock_error=None)
    m = verdict.measurement("power_iteration_clock")
    assert m.holds is None and m.reason, verdict.report()
    assert verdict.holds, verdict.report()  # the other checks still ran and hold


def test_a_single_rank_makes_the_order_not_testable():
    ev = honest()[3]
    verdict = judge(times=ev.times[:, :1].copy(), sigma_hat_band=ev.sigma_hat_band[:1])
    m = verdict.measurement("ordered_learning")
    assert m.holds is None and "single rank" in m.reason, verdict.report()


def test_default_instance_holds():
    verdict = claim.CLAIM.verify()
    assert verdict.status == "HOLDS", verdict.report()


def test_default_instance_holds_with_the_papers_nonsymmetric_ensemble():
    # A_i with i.i.d. N(0, 1) entries, not symmetrised (§6): only sym(A_i) acts on S^d
    verdict = claim.CLAIM.verify(claim.DEFAULT.replace(operator="paper"))
    assert verdict.status == "HOLDS", verdict.report()
