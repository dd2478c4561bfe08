# Spectral phase: U_t ≈ (I+μM)^t U_0 up to O(α³), then rank-1 alignment (Lemmas C.1/C.3, eq. 11)
import dataclasses
from functools import lru_cache

import numpy as np
import pytest
from hypothesis import given

import sensing
from sensing.linalg import svec
from tests.claim_asserts import (assert_claim_holds, assert_fails_on, assert_meets_assumptions,
                                 assert_violates, control)
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


@lru_cache(maxsize=None)
def honest():
    """``(alphas, U, evidence)`` of true GD on the default instance (computed once per module)."""
    al, U = claim.trajectory(claim.DEFAULT)
    return al, U, claim.evidence_from_trajectory(claim.DEFAULT, al, U)


def judge(**changes):
    return claim.CLAIM.judge(claim.DEFAULT, dataclasses.replace(honest()[2], **changes))


def bounds(ev, setting=claim.DEFAULT):
    """(Wedin bounds at T^sp, t_fix) as the checker derives them from the evidence's U₀."""
    c = ev.constants
    init = claim.init_constants(setting, c, ev.alphas, ev.U0)
    wb = claim.wedin_bound(setting, c, init.scale, init.signal, ev.t_sp)
    return wb, claim.fixed_time(setting, c, init, ev.horizon)


@given(claim.instances())
def test_spectral_phase_follows_power_iteration_then_aligns_rank_one(setting):
    assert_claim_holds(claim.CLAIM, setting)


@given(claim.instances())
def test_instances_meet_the_practical_assumptions(setting):
    assert_meets_assumptions(claim.assumptions(setting), setting)


def test_default_instance_holds():
    verdict = claim.CLAIM.judge(claim.DEFAULT, honest()[2])
    assert verdict.status == "HOLDS" and not verdict.not_testable, verdict.report()


def test_checker_rejects_large_alpha_without_a_power_iteration_regime():
    verdict = claim.CLAIM.verify(claim.DEFAULT.replace(alpha=1.0))
    assert "wedin_alignment_tsp" in verdict.failing(), verdict.report()


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
    al, U, _ = honest()
    U = U.copy()
    U[1:] *= 1.0 + 1e-4
    verdict = claim.CLAIM.judge(claim.DEFAULT, claim.evidence_from_trajectory(claim.DEFAULT, al, U))
    assert not verdict.holds, verdict.report()


def test_linearised_dynamics_fail_the_alpha_cubed_check():
    # ∇f without its cubic term, −MU: the iterates *are* the power iteration, the mismatch sits at
    # rounding level even at α₀, which only the α³ check sees (reported failed, not "not testable")
    setting = claim.DEFAULT
    M = claim.constants(setting).M
    verdict = claim.CLAIM.judge(setting, claim.evidence(setting, gradient=lambda U: -(M @ U)))
    assert_fails_on(verdict, "alpha3_exponent")


# ------------------------------------------------------------------ negative controls
@control("spectral", measurement="t1_reached")
def test_a_run_that_never_reaches_half_sigma1_squared_fails_t1_reached():
    t1 = honest()[2].t1.copy()
    t1[1] = -1
    verdict = judge(t1=t1)
    assert_fails_on(verdict, "t1_reached")


@control("spectral", measurement="lemma_c1_mismatch")
def test_a_mismatch_past_the_lemma_c1_bound_at_one_alpha_fails_it():
    # ×200 on the early steps of α₀/10 (worst ratio 0.0102 → 2.04); t_fix and t* are untouched
    ev = honest()[2]
    _, t_fix = bounds(ev)
    mismatch = ev.mismatch.copy()
    mismatch[1, 1:t_fix] *= 200.0
    verdict = judge(mismatch=mismatch)
    assert_fails_on(verdict, "lemma_c1_mismatch")


@control("spectral", measurement="cor_c2_t_star")
def test_t_star_before_the_corollary_c2_bound_fails_it():
    # ‖U^sp_10‖ below ‖U_10 − U^sp_10‖ at α₀: t* = 11 < 120.6; Lemma C.1 is then judged on
    # t ≤ 11 only, where it holds
    ev = honest()[2]
    sp_norm = ev.sp_norm.copy()
    sp_norm[0, 10] = 0.5 * ev.mismatch[0, 10]
    verdict = judge(sp_norm=sp_norm)
    assert_fails_on(verdict, "cor_c2_t_star")
    assert verdict.measurement("cor_c2_t_star").measured[0] == 11, verdict.report()


@control("spectral", measurement="alpha3_exponent")
def test_a_mismatch_off_the_alpha_cubed_law_fails_the_exponent():
    # ×3 at the smallest α at t_fix: the slope moves by 1.5 ln10 ln3/(5 ln²10) = 0.14 > tol 0.075
    ev = honest()[2]
    _, t_fix = bounds(ev)
    mismatch = ev.mismatch.copy()
    mismatch[-1, t_fix] *= 3.0
    verdict = judge(mismatch=mismatch)
    assert_fails_on(verdict, "alpha3_exponent")


@control("spectral", measurement="wedin_alignment_tsp")
def test_a_direction_rotated_past_the_wedin_bound_fails_it():
    ev = honest()[2]
    wb, _ = bounds(ev)
    sin = ev.sin_hat_sp.copy()
    sin[0] = min(1.0, 1.2 * wb[0])  # at α₀; the exponent of sin∠ only steepens
    verdict = judge(sin_hat_sp=sin)
    assert_fails_on(verdict, "wedin_alignment_tsp")


@control("spectral", measurement="rank_one_tsp")
def test_a_second_direction_above_the_squared_wedin_bound_fails_rank_one():
    ev = honest()[2]
    wb, _ = bounds(ev)
    ratio = ev.ratio_sp.copy()
    ratio[0] = 1.5 * wb[0] ** 2
    verdict = judge(ratio_sp=ratio)
    assert_fails_on(verdict, "rank_one_tsp")


@control("spectral", measurement="alignment_exponent")
def test_an_angle_that_does_not_decay_with_alpha_fails_the_gamma1_exponent():
    # the same sin∠ at every α (below every Wedin bound): exponent 0 < γ₁ − tol = 0.36
    ev = honest()[2]
    wb, _ = bounds(ev)
    verdict = judge(sin_hat_sp=np.full_like(ev.sin_hat_sp, 0.5 * wb.min()))
    assert_fails_on(verdict, "alignment_exponent")


@control("spectral", measurement="rank_one_exponent_t1")
def test_a_ratio_that_does_not_decay_with_alpha_fails_the_eq11_exponent():
    ev = honest()[2]
    verdict = judge(ratio_t1=np.full_like(ev.ratio_t1, ev.ratio_t1[0]))
    assert_fails_on(verdict, "rank_one_exponent_t1")


@control("spectral", measurement="alignment_t1")
def test_a_top_direction_off_v1_at_t1_fails_the_davis_kahan_bound():
    ev = honest()[2]
    wb, _ = bounds(ev)
    dk = claim.davis_kahan(claim.DEFAULT, ev.constants)
    sin = ev.sin_true_t1.copy()
    sin[-1] = min(1.0, 1.5 * (dk + wb[-1]))
    verdict = judge(sin_true_t1=sin)
    assert_fails_on(verdict, "alignment_t1")


@pytest.mark.parametrize("setting", [
    # α₀ = 7e-3: still a small initialisation (α‖Ū‖ ≤ 0.01σ_min) but no spectral phase yet
    # (Wedin bound 1.2 > 1 at T^sp); nothing else changes
    claim.DEFAULT.replace(alpha=7e-3),
    # σ₂² = 0.975σ₁² under full observation: g_⊥ ≈ g₁ gives v̂₁ no head start (a ≤ f); the
    # gap τ = 0.1 > 0 and the RIP (exact, ε = 0) still hold
    claim.DEFAULT.replace(operator="identity", eigenvalues=(4.0, 3.9, 1.0)),
], ids=["alpha0-slightly-too-large", "g_perp-close-to-g1"])
@control("spectral", assumption="spectral phase (Lemma C.4: α small)")
def test_an_instance_without_a_spectral_phase_is_out_of_scope(setting):
    assert_violates(claim.CLAIM, setting, "spectral phase (Lemma C.4: α small)")


# --------------------------------------------------------------- not testable, never dropped
def test_an_angle_exactly_zero_makes_the_gamma1_exponent_not_testable():
    sin = honest()[2].sin_hat_sp.copy()
    sin[-1] = 0.0
    verdict = judge(sin_hat_sp=sin)
    m = verdict.measurement("alignment_exponent")
    assert m.holds is None and "no log-log fit" in m.reason, verdict.report()
    assert verdict.status == "HOLDS", verdict.report()  # reported, the others still judged


def test_a_mismatch_below_rounding_at_the_smallest_alpha_is_not_testable():
    ev = honest()[2]
    _, t_fix = bounds(ev)
    mismatch = ev.mismatch.copy()
    mismatch[-1, t_fix] = 0.0
    verdict = judge(mismatch=mismatch)
    m = verdict.measurement("alpha3_exponent")
    assert m.holds is None and "below the fp slack" in m.reason, verdict.report()


def test_a_ratio_exactly_zero_at_t1_makes_the_eq11_exponent_not_testable():
    ratio = honest()[2].ratio_t1.copy()
    ratio[0] = 0.0
    verdict = judge(ratio_t1=ratio)
    m = verdict.measurement("rank_one_exponent_t1")
    assert m.holds is None and m.reason, verdict.report()


# ----------------------------------------------- issue 9: constants from the trajectory's own U₀
def other_u0(al):
    # seed 1's Ū (same problem as the default: Setting.initial uses only d, r̂ and the seed)
    return np.stack([claim.DEFAULT.replace(seed=1).initial(a) for a in al])


def test_a_run_from_another_ubar_is_judged_against_its_own_constants():
    al, _, ev0 = honest()
    ev = claim.evidence(claim.DEFAULT, U0=other_u0(al))
    verdict = claim.CLAIM.judge(claim.DEFAULT, ev)
    assert verdict.status == "HOLDS", verdict.report()
    c = ev.constants
    own = claim.init_constants(claim.DEFAULT, c, al, ev.U0)
    default = claim.init_constants(claim.DEFAULT, c, al, ev0.U0)
    assert abs(own.rho[0] - default.rho[0]) > 1e-2, (own.rho, default.rho)
    assert f"ρ = [{own.rho[0]:.3g}" in verdict.notes, verdict.notes
    before = claim.CLAIM.judge(claim.DEFAULT, ev0)
    for name in ("cor_c2_t_star", "wedin_alignment_tsp"):  # t* bound (ρ) and Wedin (‖Ūᵀv̂₁‖)
        assert verdict.measurement(name).predicted != before.measurement(name).predicted, name


def test_a_run_from_a_ubar_of_norm_two_is_judged_with_scale_alpha_times_norm():
    al, U, ev0 = honest()
    ev = claim.evidence(claim.DEFAULT, U0=2.0 * U[0])
    verdict = claim.CLAIM.judge(claim.DEFAULT, ev)
    assert verdict.status == "HOLDS", verdict.report()
    init = claim.init_constants(claim.DEFAULT, ev.constants, al, ev.U0)
    np.testing.assert_allclose(init.ubar_norm, 2.0, rtol=1e-12)
    # T^sp is that of α‖Ū‖ = 2α: earlier by 2 log 2/(3 log g₁ − log g₂) ≈ 2.9 steps
    assert np.all(ev.t_sp < ev0.t_sp), (ev.t_sp, ev0.t_sp)


def test_a_ubar_nearly_orthogonal_to_v_hat1_fails_instead_of_using_the_settings_constants():
    al, U, ev0 = honest()
    v = ev0.constants.v_hat1
    U0 = U[0] - (1.0 - 1e-3) * v[None, :, None] * (v @ U[0])[:, None, :]  # keep 0.1% of v̂₁
    ev = claim.evidence(claim.DEFAULT, U0=U0)
    verdict = claim.CLAIM.judge(claim.DEFAULT, ev)
    assert verdict.in_scope  # the setting's own Ū meets the spectral-phase assumption
    assert "wedin_alignment_tsp" in verdict.failing(), verdict.report()
    assert "Wedin bound [inf" in verdict.measurement("wedin_alignment_tsp").predicted, verdict.report()
