# Xiong et al. 2024 (RECONSTRUCTED): B = FᵀF − GᵀG is conserved by the flow; GD moves it by μ²(∇_Fᵀ∇_F − ∇_Gᵀ∇_G)
import dataclasses
from functools import lru_cache

import numpy as np
import pytest
from hypothesis import given

from sensing import asymmetric as asy
from tests.claim_asserts import assert_claim_holds, assert_fails_on, assert_violates, control
from theorems.xiong2024 import imbalance as claim

pytestmark = pytest.mark.theorem("imbalance")


@lru_cache(maxsize=None)
def honest():
    return claim.evidence(claim.DEFAULT)


def judge(**changes):
    return claim.CLAIM.judge(claim.DEFAULT, dataclasses.replace(honest(), **changes))


def _gd_with(extra):
    """A dynamics on the lift [F; G]: the exact GD step plus ``extra(F, G, step)`` added to F."""
    def dyn(problem, U0, *, step, steps):
        d1 = problem.op.d1
        W = np.array(U0, dtype=float)
        yield W.copy()
        for _ in range(steps):
            for k in range(W.shape[0]):
                F, G = W[k, :d1], W[k, d1:]
                gF, gG = asy.gradient(problem.op, problem.y, F, G)
                W[k, :d1], W[k, d1:] = F - step * gF + extra(F, G, step), G - step * gG
            yield W.copy()
    return dyn


def test_default_instance_holds():
    verdict = claim.CLAIM.verify()
    assert verdict.status == "HOLDS" and not verdict.not_testable, verdict.report()


def test_default_with_a_gaussian_ensemble_holds():
    verdict = claim.CLAIM.verify(claim.DEFAULT.replace(operator="gaussian", m=300))
    assert verdict.status == "HOLDS", verdict.report()


def test_the_per_step_identity_holds_to_a_small_fraction_of_round_off():
    m = claim.CLAIM.judge(claim.DEFAULT, honest()).measurement("per_step_identity")
    assert max(m.measured) < 0.1, f"(★) residual / TOL = {m.measured}"


@given(claim.instances())
def test_imbalance_drifts_like_mu_at_fixed_flow_time_and_by_mu_squared_per_step(setting):
    assert_claim_holds(claim.CLAIM, setting)


# ------------------------------------------------------------------ negative controls
@control("imbalance", measurement="drift_exponent")
def test_a_drift_that_does_not_shrink_with_mu_fails_the_exponent():
    ev = honest()
    mats = np.repeat(ev.drift_matrices[:1], len(ev.steps_sizes), axis=0)  # μ-independent drift
    assert_fails_on(judge(drift_matrices=mats), "drift_exponent")


def test_an_injected_drift_eps_t_fails_the_exponent_and_the_identity():
    # F_tᵀF_t + εt·I: the total drift grows like T = τ/μ (exponent −1), each step moves B by ε
    ev = honest()
    eps = float(ev.drifts[0]) / ev.steps[0]
    r = ev.drift_matrices.shape[-1]
    mats = ev.drift_matrices + eps * ev.steps[:, None, None] * np.eye(r)
    verdict = judge(drift_matrices=mats, increments=ev.increments + eps * np.eye(r))
    assert_fails_on(verdict, "drift_exponent", also=("per_step_identity",))
    assert verdict.measurement("drift_exponent").measured < 0, verdict.report()


def test_a_non_gradient_term_breaks_conservation():
    # F ← F − μ∇_F + μ·0.05·F: B moves by O(μ) per step, O(1) at fixed flow time (exponent ≈ 0)
    verdict = claim.CLAIM.verify(dynamics=_gd_with(lambda F, G, mu: 0.05 * mu * F), diagnose=False)
    assert_fails_on(verdict, "drift_exponent", also=("per_step_identity",))


@control("imbalance", measurement="per_step_identity")
def test_a_dynamics_with_twice_the_step_fails_the_identity_only():
    # step 2μ: (★) residual = 3μ²‖…‖; the drift is still O(μ) at fixed (doubled) flow time
    verdict = claim.CLAIM.verify(dynamics=_gd_with(lambda F, G, mu: -mu * asy.gradient(
        claim.DEFAULT.problem().op, claim.DEFAULT.problem().y, F, G)[0]), diagnose=False)
    assert "per_step_identity" in verdict.failing(), verdict.report()


def test_the_symmetric_model_conserves_b_trivially_and_is_out_of_scope():
    # F = G = U: B ≡ 0, no O(μ) drift to measure
    sym = dataclasses.replace(claim.DEFAULT, d2=None, step=claim.DEFAULT.step / 2)
    verdict = claim.CLAIM.verify(sym, diagnose=False)
    assert verdict.status == "OUT OF SCOPE", verdict.report()
    assert "drift_exponent" in verdict.failing(), verdict.report()


@control("imbalance", assumption="asymmetric factorisation")
def test_the_symmetric_model_offered_as_asymmetric_violates_the_factorisation():
    sym = dataclasses.replace(claim.DEFAULT, d2=None, step=claim.DEFAULT.step / 2)
    assert_violates(claim.CLAIM, sym, "asymmetric factorisation")
