# Theorem 4.1 with s = r*: with r̂ = d and m < d(d+1)/2, GD from small α recovers Z*
import dataclasses

import numpy as np
import pytest
from hypothesis import given

from tests.claim_asserts import assert_claim_holds, assert_meets_assumptions, failed
from theorems.jin2023 import overparameterised as claim

pytestmark = pytest.mark.theorem("overparameterised")


@pytest.fixture(scope="module")
def default_evidence():
    return claim.evidence(claim.DEFAULT)


@given(claim.instances())
def test_small_alpha_gd_recovers_z_star_from_fewer_than_d_d_plus_1_over_2_measurements(setting):
    assert_claim_holds(claim.CLAIM, setting)


@given(claim.instances())
def test_instances_meet_the_required_assumptions(setting):
    assert_meets_assumptions(claim.assumptions(setting), setting)


def test_default_instance_holds(default_evidence):
    verdict = claim.CLAIM.judge(claim.DEFAULT, default_evidence)
    assert verdict.status == "HOLDS", verdict.report()


def test_checker_rejects_large_alpha_runs_offered_as_small_alpha():
    setting = claim.DEFAULT
    big = claim.large_alpha(setting) * 2.0 ** -np.arange(4)  # ||U_0|| from ||X|| down to ||X||/8
    verdict = claim.CLAIM.judge(setting, claim.evidence(setting, small_alphas=big))
    assert failed(verdict, "at the smallest α"), verdict.report()


def test_checker_rejects_an_error_that_does_not_shrink_with_alpha(default_evidence):
    # doctored: every small-alpha run ends at the same (small) bias, independent of alpha
    flat = dataclasses.replace(default_evidence,
                               errors=np.full_like(default_evidence.errors, default_evidence.errors.min()))
    verdict = claim.CLAIM.judge(claim.DEFAULT, flat)
    assert failed(verdict, "exponent p"), verdict.report()


def test_with_m_above_d_d_plus_1_over_2_the_contrasts_disappear_and_the_checker_says_so():
    # m >= D: the measurements determine Z*, so the min-norm interpolant and large-alpha GD recover it
    setting = claim.DEFAULT.replace(m=2 * claim.DEFAULT.d * (claim.DEFAULT.d + 1) // 2)
    verdict = claim.CLAIM.verify(setting)
    assert not verdict.in_scope, verdict.report()
    assert failed(verdict, "minimum-norm interpolant"), verdict.report()
    assert failed(verdict, "GD from α = ‖X‖"), verdict.report()
