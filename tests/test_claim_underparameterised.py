# Theorem 4.2 with Lemma F.1: with r̂ < r*, GD converges linearly to Z*_r̂ (not X_r̂X_r̂ᵀ)
import dataclasses

import pytest
from hypothesis import given

from tests.claim_asserts import assert_claim_holds, assert_meets_assumptions, failed
from theorems.jin2023 import underparameterised as claim

pytestmark = pytest.mark.theorem("underparameterised")


@pytest.fixture(scope="module")
def default_evidence():
    return claim.evidence(claim.DEFAULT)


@given(claim.instances())
def test_under_parameterised_gd_converges_linearly_to_the_rank_r_hat_sensing_minimiser(setting):
    assert_claim_holds(claim.CLAIM, setting)


@given(claim.instances())
def test_instances_meet_the_required_assumptions(setting):
    assert_meets_assumptions(claim.assumptions(setting), setting)


def test_default_instance_holds(default_evidence):
    verdict = claim.CLAIM.judge(claim.DEFAULT, default_evidence)
    assert verdict.status == "HOLDS", verdict.report()


def test_checker_rejects_the_truncated_svd_offered_as_z_star_r_hat(default_evidence):
    gt = claim.DEFAULT.problem().truth
    s = claim.DEFAULT.rank
    fake = dataclasses.replace(default_evidence, Us=gt.X_s(s), Zs=gt.truncated(s))
    verdict = claim.CLAIM.judge(claim.DEFAULT, fake)
    assert failed(verdict, "Z*_r̂‖_F"), verdict.report()


def test_checker_rejects_a_trajectory_slowed_by_two(default_evidence):
    # same iterates, twice the steps: the per-step rate sqrt(rho) is slower than the linearisation
    slowed = dataclasses.replace(default_evidence, steps=2 * default_evidence.steps)
    verdict = claim.CLAIM.judge(claim.DEFAULT, slowed)
    assert failed(verdict, "per-step decay"), verdict.report()
    assert not failed(verdict, "(1 − 0.05τμ)"), verdict.report()  # still within Lemma F.1


def test_checker_rejects_a_trajectory_slower_than_lemma_f1(default_evidence):
    # 100x slower than GD is slower than Lemma F.1's 1 - 0.05 tau mu per step
    slowed = dataclasses.replace(default_evidence, steps=100 * default_evidence.steps)
    verdict = claim.CLAIM.judge(claim.DEFAULT, slowed)
    assert failed(verdict, "contraction of dist²"), verdict.report()
    assert failed(verdict, "(1 − 0.05τμ)"), verdict.report()


def test_checker_reports_a_limit_that_depends_on_alpha(default_evidence):
    # stopped at a tenth of the horizon, the alpha_0 * 1e-3 run has not converged yet
    short = claim.evidence(claim.DEFAULT, steps=int(default_evidence.steps[-1]) // 10)
    verdict = claim.CLAIM.judge(claim.DEFAULT, short)
    assert failed(verdict, "U_TU_Tᵀ(α) − U_TU_Tᵀ(α')"), verdict.report()
