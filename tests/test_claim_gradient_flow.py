# Wind 2023 (v1, abstract): GD reduces to the gradient flow — the gap between GD at step μ and
# the flow dW/dt = −∇f(W) from the same W₀ is linear in μ (symmetric and asymmetric)
import dataclasses
from functools import lru_cache

import numpy as np
import pytest
from hypothesis import given

from sensing import objective
from tests.claim_asserts import (assert_claim_holds, assert_fails_on, assert_meets_assumptions,
                                 assert_violates, control)
from theorems.wind2023 import gradient_flow as claim

pytestmark = pytest.mark.theorem("gradient_flow")

KEY = "gradient_flow"


@lru_cache(maxsize=None)
def honest():
    return claim.evidence(claim.DEFAULT)


def judge(**changes):
    return claim.CLAIM.judge(claim.DEFAULT, dataclasses.replace(honest(), **changes))


def test_default_instance_holds():
    verdict = claim.CLAIM.verify()
    assert verdict.status == "HOLDS" and not verdict.not_testable, verdict.report()


def test_symmetric_instance_holds():
    verdict = claim.CLAIM.verify(claim.SYMMETRIC)
    assert verdict.status == "HOLDS" and not verdict.not_testable, verdict.report()


def test_the_relative_gap_peaks_during_the_first_saddle_escape():
    # the flow leaves the saddle at 0 exponentially; GD's growth (1 + μρ)^k lags e^{ρμk}
    ev = honest()
    rel = ev.gap_curve / ev.flow_norm
    t_peak, t_esc = ev.times[int(np.argmax(rel))], ev.escape_times[0]
    assert 0.5 * t_esc <= t_peak <= t_esc, f"peak at t = {t_peak:.3g}, first escape at t = {t_esc:.3g}"


@given(claim.instances())
def test_gd_tracks_the_gradient_flow_with_a_gap_linear_in_the_step(setting):
    assert_claim_holds(claim.CLAIM, setting)


@given(claim.instances())
def test_instances_meet_the_assumptions(setting):
    assert_meets_assumptions(claim.assumptions(setting), setting)


# ------------------------------------------------------------------ negative controls
@control(KEY, measurement="gap_exponent")
def test_a_step_sweep_with_a_biased_gap_fails_the_exponent():
    ev = honest()
    verdict = judge(gaps=ev.gaps * (ev.steps / ev.steps[0]) ** -0.5)  # gap ∝ μ^0.5
    assert_fails_on(verdict, "gap_exponent")


def offset_gd(offset):
    """GD plus a constant offset per step (not GD at any step): the drift is offset·τ/μ."""
    def dynamics(problem, U0, *, step, steps):
        U = np.array(U0[0], dtype=float)
        c = offset * np.ones_like(U) / np.sqrt(U.size)
        out = [U.copy()]
        for _ in range(steps):
            U = U - step * objective.gradient(problem.op, problem.y, U) + c
            out.append(U.copy())
        return np.stack(out)[:, None]
    return dynamics


def test_a_dynamics_with_a_constant_offset_per_step_fails_the_exponent():
    verdict = claim.CLAIM.verify(dynamics=offset_gd(1e-4), diagnose=False)
    # the drift 1e-4·τ/μ also puts the gap above 5% of ‖Z*‖ at the smallest step
    assert_fails_on(verdict, "gap_exponent", also=("gap_small",))
    p = verdict.measurement("gap_exponent").measured
    assert p < 0, f"exponent {p:.3g}: the offset's drift grows as μ shrinks"


@control(KEY, measurement="gap_small")
def test_a_gap_twenty_times_larger_fails_gap_small():
    verdict = judge(gaps_z=20 * honest().gaps_z)
    assert_fails_on(verdict, "gap_small")


@control(KEY, measurement="flow_resolved")
def test_an_unresolved_flow_fails_flow_resolved():
    verdict = judge(flow_error=float(honest().gaps[-1]))
    assert_fails_on(verdict, "flow_resolved")


def test_a_zero_gap_makes_the_exponent_not_testable():
    ev = honest()
    gaps = ev.gaps.copy()
    gaps[1] = 0.0
    m = judge(gaps=gaps).measurement("gap_exponent")
    assert m.holds is None and "no log-log fit" in m.reason, m


@control(KEY, assumption="small step, practical form")
def test_a_large_step_violates_the_step_budget():
    assert_violates(claim.CLAIM, claim.DEFAULT.replace(step=10 * claim.DEFAULT.step),
                    "small step, practical form")


@control(KEY, assumption="small initialisation (flow)")
def test_alpha_one_violates_the_small_start():
    assert_violates(claim.CLAIM, claim.DEFAULT.replace(alpha=1.0), "small initialisation (flow)")
