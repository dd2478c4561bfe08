# Incremental learning: U_tU_tᵀ visits Z*_1, Z*_2, … in order, ever closer as α → 0 (Theorem 4.1)
import dataclasses

import pytest
from hypothesis import given

from tests.claim_asserts import assert_claim_holds, assert_meets_assumptions
from theorems.jin2023 import incremental as claim

pytestmark = pytest.mark.theorem("incremental")


@given(claim.instances())
def test_trajectory_visits_the_rank_s_sensing_minimisers_in_order(setting):
    assert_claim_holds(claim.CLAIM, setting)


@given(claim.instances())
def test_instances_meet_the_practical_assumptions(setting):
    assert_meets_assumptions(claim.assumptions(setting), setting)


def test_checker_rejects_the_truncated_svd_offered_as_z_star_s():
    # under RIP, min_t ‖UUᵀ − X_sX_sᵀ‖ levels off at ‖Z*_s − X_sX_sᵀ‖ = O(δ) instead of decaying
    setting = claim.DEFAULT
    truth = setting.problem().truth
    ev = claim.evidence(setting, targets_=[truth.truncated(s) for s in range(1, setting.s_max + 1)],
                        kind="truncated SVD X_sX_sᵀ")
    verdict = claim.CLAIM.judge(setting, ev)
    assert not verdict.holds, verdict.report()


def test_checker_rejects_large_alpha_without_incremental_learning():
    verdict = claim.CLAIM.verify(claim.DEFAULT.replace(alpha=1.0))
    assert not verdict.holds, verdict.report()


def test_checker_rejects_reordered_visits():
    setting = claim.DEFAULT
    ev = claim.evidence(setting)
    assert claim.CLAIM.judge(setting, ev).holds
    swapped = dataclasses.replace(ev, visit=ev.visit[:, ::-1].copy())
    verdict = claim.CLAIM.judge(setting, swapped)
    assert not verdict.holds, verdict.report()


def test_default_instance_holds():
    verdict = claim.CLAIM.verify()
    assert verdict.status == "HOLDS", verdict.report()
