# Spectral phase: U_t ≈ (I+μM)^t U_0 up to O(α³), then rank-1 alignment (Lemmas C.1/C.3, eq. 11)
import numpy as np
import pytest
from hypothesis import given

import sensing
from sensing.linalg import svec
from tests.claim_asserts import assert_claim_holds, assert_meets_assumptions
from theorems.jin2023 import spectral as claim

pytestmark = pytest.mark.theorem("spectral")


def correct_gradient(setting):
    pb = setting.problem()
    normal = sensing.NormalMap(pb.op, pb.y)
    return lambda U: normal(U @ U.transpose(0, 2, 1))[0] @ U


def unsymmetrised_gradient(setting, seed=1):
    # Sensing matrices A_i = sym(A_i) + K_i with skew K_i (the skew part of an i.i.d. N(0, 1)
    # matrix): the loss is unchanged, but (1/m) Σ r_i A_i U, without the symmetrisation
    # (A_i + A_iᵀ)/2 of the true gradient, adds (1/m) Σ r_i K_i U.
    pb = setting.problem()
    op, d = pb.op, setting.d
    iu = np.triu_indices(d, 1)
    skew = np.random.default_rng(seed).standard_normal((op.m, iu[0].size)) * np.sqrt(0.5)
    C = skew.T @ op.S / op.m  # r_i = <S_i, z - z*>/sqrt(m): Σ r_i K_i / sqrt(m) = C (z - z*)
    z_star = svec(pb.truth.Z)
    grad = correct_gradient(setting)

    def gradient(U):
        Z = U @ U.transpose(0, 2, 1)
        k = (svec(Z) - z_star) @ C.T
        K = np.zeros_like(Z)
        K[:, iu[0], iu[1]] = k
        K -= K.transpose(0, 2, 1)
        return grad(U) + K @ U
    return gradient


@given(claim.instances())
def test_spectral_phase_follows_power_iteration_then_aligns_rank_one(setting):
    assert_claim_holds(claim.CLAIM, setting)


@given(claim.instances())
def test_instances_meet_the_practical_assumptions(setting):
    assert_meets_assumptions(claim.assumptions(setting), setting)


def test_checker_rejects_large_alpha_without_a_power_iteration_regime():
    verdict = claim.CLAIM.verify(claim.DEFAULT.replace(alpha=1.0))
    assert not verdict.holds, verdict.report()


def test_checker_rejects_a_gradient_with_a_wrong_factor():
    # 2∇f: the gradient of (1/2m) Σ (y_i − <A_i, UUᵀ>)², i.e. a ½ where eq. (1) has ¼
    setting = claim.DEFAULT
    grad = correct_gradient(setting)
    verdict = claim.CLAIM.judge(setting, claim.evidence(setting, gradient=lambda U: 2.0 * grad(U)))
    assert not verdict.holds, verdict.report()


def test_checker_rejects_a_gradient_without_symmetrisation():
    setting = claim.DEFAULT
    verdict = claim.CLAIM.judge(setting, claim.evidence(setting, gradient=unsymmetrised_gradient(setting)))
    assert not verdict.holds, verdict.report()


def test_checker_accepts_its_own_gradient_through_the_same_hook():
    # the hook itself is not what makes the two controls above fail
    setting = claim.DEFAULT
    verdict = claim.CLAIM.judge(setting, claim.evidence(setting, gradient=correct_gradient(setting)))
    assert verdict.holds, verdict.report()


def test_checker_rejects_a_doctored_trajectory():
    # iterates after U_0 rescaled by 1 + 1e-4: a relative error far above O(α²)
    setting = claim.DEFAULT
    al, U = claim.trajectory(setting)
    U = U.copy()
    U[1:] *= 1.0 + 1e-4
    verdict = claim.CLAIM.judge(setting, claim.evidence_from_trajectory(setting, al, U))
    assert not verdict.holds, verdict.report()


def test_default_instance_holds():
    verdict = claim.CLAIM.verify()
    assert verdict.status == "HOLDS", verdict.report()
