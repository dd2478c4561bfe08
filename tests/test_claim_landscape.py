# Landscape of f_s: Lemmas 4.4, 4.6, 4.8, Cor 4.9 (v1: Lemmas 4.2-4.4, Cor 4.1), Lemmas E.1, G.2
import dataclasses
import itertools

import numpy as np
import pytest
from hypothesis import given

import sensing
from tests.claim_asserts import assert_claim_holds, assert_meets_assumptions
from theorems.jin2023 import landscape as claim
from theorems._core import Setting
from theorems.strategies import required_m

pytestmark = pytest.mark.theorem("landscape")


def failing(verdict, prefix):
    """The measurements whose quantity starts with ``prefix`` and that failed."""
    return [m for m in verdict.failures() if m.quantity.startswith(prefix)]


def measurement(verdict, prefix):
    (m,) = [m for m in verdict.measurements if m.quantity.startswith(prefix)]
    return m


@pytest.fixture(scope="module")
def default():
    setting = claim.DEFAULT
    return setting, claim.evidence(setting)


# --------------------------------------------------------------------------- the claim holds
@given(claim.instances())
def test_landscape_lemmas_hold_on_instances_meeting_the_assumptions(setting):
    assert_claim_holds(claim.CLAIM, setting)


@given(claim.instances())
def test_instances_meet_the_practical_assumptions_and_stay_where_g2_is_true(setting):
    assert_meets_assumptions(claim.assumptions(setting), setting)
    assert setting.r_star >= 2 and setting.s_max == setting.r_star, setting.describe()
    # Lemma G.2's margin at delta = 0 (see claim.instances)
    assert claim.full_observation_edge(setting.eigenvalues) >= 0.2 + 0.068 - 1e-3, setting.describe()


def test_default_instance_holds(default):
    setting, ev = default
    verdict = claim.CLAIM.judge(setting, ev)
    assert verdict.status == "HOLDS", verdict.report()


def test_full_observation_instance_holds_with_zstar_equal_to_the_truncated_svd():
    verdict = claim.CLAIM.verify(claim.DEFAULT.replace(operator="identity"))
    assert verdict.status == "HOLDS", verdict.report()
    assert measurement(verdict, "Lemma 4.8").predicted.startswith("≤ the accuracy"), verdict.report()


# ----------------------------------------------------------------- the closed-form predictions
@pytest.mark.parametrize("s", [1, 2, 3])
def test_closed_form_hessian_spectrum_at_every_sub_collection_matches_dense_eigenvalues(s):
    truth = sensing.ground_truth_from_spectrum([5.0, 2.0, 0.8], 5, 3)
    op = sensing.identity_operator(5)
    y = op.forward(truth.Z)
    for k in range(s + 1):
        for S in itertools.combinations(range(3), k):
            U = np.zeros((5, s))
            for c, i in enumerate(S):
                U[:, c] = truth.sigmas[i] * truth.eigenvectors[:, i]
            E = np.eye(5 * s)
            H = np.stack([sensing.hessian_vector(op, y, U, e.reshape(5, s)).ravel() for e in E], axis=1)
            dense = np.linalg.eigvalsh(0.5 * (H + H.T))
            pred = claim.hessian_spectrum(truth.eigenvalues, S, s, 5)
            np.testing.assert_allclose(dense, pred, rtol=0, atol=1e-12,
                                       err_msg=f"s={s}, S={[i + 1 for i in S]}")


def test_rank_one_saddle_at_sigma_j_v_j_has_curvature_minus_sigma1_sq_minus_sigma_j_sq():
    lam = np.array([5.0, 2.0, 0.8])
    for j in (1, 2):
        assert claim.hessian_spectrum(lam, (j,), 1, 6)[0] == pytest.approx(-(lam[0] - lam[j]), abs=1e-15)


# ---------------------------------------------------------------- finding: Lemma G.2's constant
@pytest.mark.parametrize("ratio", [0.6, 0.8])
def test_lemma_g2_constant_fails_at_full_observation_once_sigma2_sq_exceeds_half_sigma1_sq(ratio):
    # a finding, not a defect of the check: at u = (sigma_1 - a_1) v_1 (inside the ball)
    # lambda_min = tau_1 (1.1 - 2 sqrt(0.1 sigma_1^2 / tau_1)) < 0.2 tau_1 for ratio > 0.506
    setting = Setting(d=6, eigenvalues=(1.0, ratio), operator="identity", rank=2, seed=1)
    verdict = claim.CLAIM.verify(setting)
    m = measurement(verdict, "Lemma G.2: min")
    edge = claim.full_observation_edge(setting.eigenvalues)
    assert not m.holds and edge < claim.CONVEXITY_CONSTANT, verdict.report()
    assert m.measured == pytest.approx(edge, abs=1e-12), verdict.report()
    assert [f.quantity for f in verdict.failures()] == [m.quantity], verdict.report()


# ------------------------------------------------------- negative controls: Lemma 4.4, Def 1.1, Cor 4.9
def test_checker_rejects_the_truncated_svd_offered_as_zstar_s(default):
    setting, ev = default
    gt = setting.problem().truth
    # s < r* (for s = r*, Z*_{r*} = Z* = X X^T really is the truncated SVD)
    U = tuple(gt.X_s(s) for s in range(1, setting.s_max)) + (ev.minimisers.U[-1],)
    svd = dataclasses.replace(ev.minimisers, U=U)
    verdict = claim.CLAIM.judge(setting, dataclasses.replace(ev, minimisers=svd))
    assert failing(verdict, "Def 1.1"), verdict.report()


def test_checker_rejects_restarts_that_disagree_or_do_not_converge(default):
    setting, ev = default
    gt = setting.problem().truth
    mins = ev.minimisers
    # one restart "found" the truncated SVD: the spread is the gap ||Z*_1 - X_1 X_1^T|| / ||Z*_1||
    spread = mins.spread.copy()
    spread[0] = np.linalg.norm(mins.U[0] @ mins.U[0].T - gt.truncated(1)) / np.linalg.norm(mins.U[0] @ mins.U[0].T)
    verdict = claim.CLAIM.judge(setting, dataclasses.replace(ev, minimisers=dataclasses.replace(mins, spread=spread)))
    assert failing(verdict, "Lemma 4.4"), verdict.report()
    stuck = dataclasses.replace(mins, n_converged=mins.n_converged - 1)
    verdict = claim.CLAIM.judge(setting, dataclasses.replace(ev, minimisers=stuck))
    assert failing(verdict, "Lemma 4.4"), verdict.report()


def test_checker_rejects_a_minimiser_with_a_collapsed_column(default):
    # the critical point [sigma_1 v_1, 0] of F_2 offered as U*_2: sigma_min = 0 < sigma_2 / 2
    setting, ev = default
    gt = setting.problem().truth
    U = list(ev.minimisers.U)
    U[1] = np.column_stack([gt.X_s(1), np.zeros(gt.d)])
    collapsed = dataclasses.replace(ev.minimisers, U=tuple(U))
    verdict = claim.CLAIM.judge(setting, dataclasses.replace(ev, minimisers=collapsed))
    assert failing(verdict, "Cor 4.9"), verdict.report()


# --------------------------------------------------------------- negative controls: Lemma 4.6 (RSI)
@pytest.mark.parametrize("wrong", ["sign", "factor 1/m"])
def test_rsi_checker_rejects_a_gradient_with_the_wrong_sign_or_factor(default, wrong):
    setting, ev = default
    factor = -1.0 if wrong == "sign" else 1.0 / setting.m  # 1/m: a doubled 1/m normalisation
    rsi = tuple(dataclasses.replace(r, grads=factor * r.grads) for r in ev.rsi)
    verdict = claim.CLAIM.judge(setting, dataclasses.replace(ev, rsi=rsi))
    assert failing(verdict, "Lemma 4.6"), verdict.report()


def test_rsi_checker_rejects_the_full_observation_gradient_in_place_of_the_sensing_gradient(default):
    # (U U^T - Z*) U vanishes at X_s, not at U*_s: near U*_s it is O(delta), not O(||U - U*_s||)
    setting, ev = default
    gt = setting.problem().truth
    rsi = tuple(dataclasses.replace(r, grads=(r.points @ np.swapaxes(r.points, 1, 2) - gt.Z) @ r.points)
                for r in ev.rsi)
    verdict = claim.CLAIM.judge(setting, dataclasses.replace(ev, rsi=rsi))
    assert failing(verdict, "Lemma 4.6"), verdict.report()


def test_rsi_checker_rejects_the_truncated_svd_as_the_anchor(default):
    setting, ev = default
    op, y, gt = claim.working_problem(setting)
    rng = np.random.default_rng(0)
    rsi = tuple(claim.rsi_samples(op, y, gt, gt.X_s(s), rng) for s in range(1, setting.s_max))
    verdict = claim.CLAIM.judge(setting, dataclasses.replace(ev, rsi=rsi))
    assert failing(verdict, "Lemma 4.6"), verdict.report()


# -------------------------------------------------------------------- negative controls: Lemma 4.8
def test_gap_checker_rejects_the_truncated_svd_as_zstar_s(default):
    setting, ev = default
    sweep = dataclasses.replace(ev.sweep, gaps=np.zeros_like(ev.sweep.gaps))
    verdict = claim.CLAIM.judge(setting, dataclasses.replace(ev, sweep=sweep))
    assert failing(verdict, "Lemma 4.8: ‖Z*_s"), verdict.report()
    assert failing(verdict, "Lemma 4.8: exponent"), verdict.report()


@pytest.mark.parametrize("exponent", [0.0, -1.0])
def test_gap_checker_rejects_gaps_that_do_not_scale_like_delta(default, exponent):
    # 0: a Z*_s that does not approach X_s X_s^T as m grows; -1: a gap of order delta^2
    setting, ev = default
    ms = ev.sweep.ms.astype(float)
    gaps = ev.sweep.gaps[:1] * (ms[:, None] / ms[0]) ** exponent
    verdict = claim.CLAIM.judge(setting, dataclasses.replace(ev, sweep=dataclasses.replace(ev.sweep, gaps=gaps)))
    assert failing(verdict, "Lemma 4.8: exponent"), verdict.report()


# -------------------------------------------------------------------- negative controls: Lemma E.1
def test_critical_point_checker_rejects_a_point_that_is_not_a_sub_collection_of_eigenvectors(default):
    setting, ev = default
    gt = setting.problem().truth
    u = (gt.X[:, 0] + gt.X[:, 1]) / np.sqrt(2.0)
    doctored = claim.critical_point(gt, 1, (0,), np.random.default_rng(0), U=u[:, None])
    verdict = claim.CLAIM.judge(setting, dataclasses.replace(ev, critical=ev.critical + (doctored,)))
    assert failing(verdict, "Lemma E.1: max ‖∇F_s‖"), verdict.report()


@pytest.mark.parametrize("wrong", ["no residual term", "half normalisation", "sign"])
def test_critical_point_checker_rejects_a_doctored_hessian(default, wrong):
    setting, ev = default

    def hvp(op, y, U, H):
        full = sensing.hessian_vector(op, y, U, H)
        if wrong == "no residual term":  # drops A*(A(U U^T) - y) H
            return full - op.adjoint(sensing.residual(op, y, U)) @ H
        return (2.0 if wrong == "half normalisation" else -1.0) * full

    points = claim.critical_points(setting, np.random.default_rng(1), hvp=hvp)
    verdict = claim.CLAIM.judge(setting, dataclasses.replace(ev, critical=points))
    assert failing(verdict, "Lemma E.1: max |λ_min"), verdict.report()


# -------------------------------------------------------------------- negative controls: Lemma G.2
def test_convexity_checker_rejects_a_ball_around_a_saddle_or_too_large(default):
    setting, ev = default
    gt = setting.problem().truth
    rng = np.random.default_rng(2)
    saddle = claim.ball_samples(setting, rng, centre=gt.X[:, 1], minimiser=ev.ball.minimiser)
    verdict = claim.CLAIM.judge(setting, dataclasses.replace(ev, ball=saddle))
    assert failing(verdict, "Lemma G.2: min"), verdict.report()
    wide = claim.ball_samples(setting, rng, radius=3.0 * claim.ball_radius(gt), minimiser=ev.ball.minimiser)
    verdict = claim.CLAIM.judge(setting, dataclasses.replace(ev, ball=wide))
    assert failing(verdict, "Lemma G.2: min"), verdict.report()


def test_convexity_checker_rejects_a_hessian_of_the_wrong_sign_and_a_minimiser_outside_the_ball(default):
    setting, ev = default
    gt = setting.problem().truth
    flipped = claim.ball_samples(setting, np.random.default_rng(3), flip=-1.0, minimiser=ev.ball.minimiser)
    verdict = claim.CLAIM.judge(setting, dataclasses.replace(ev, ball=flipped))
    assert failing(verdict, "Lemma G.2: min"), verdict.report()
    far = dataclasses.replace(ev.ball, minimiser=gt.X[:, 0] * 0.5)
    verdict = claim.CLAIM.judge(setting, dataclasses.replace(ev, ball=far))
    assert failing(verdict, "Lemma G.2: ‖u*₁"), verdict.report()


# ------------------------------------------------------- where the Lemma 4.8 band comes from (opt-in)
@pytest.mark.xslow
def test_gap_exponent_band_is_at_least_four_standard_deviations():
    # calibration of GAP_EXPONENT_SLACK: fitted exponents over 200 instances like claim.instances()
    rng = np.random.default_rng(7)
    slopes = {1: [], 2: []}
    for _ in range(200):
        d, r, q = int(rng.integers(6, 10)), int(rng.integers(2, 4)), float(rng.uniform(0.35, 0.42))
        eig = tuple(q ** i for i in range(r))
        op = str(rng.choice(["gaussian", "paper"]))
        setting = Setting(d=d, eigenvalues=eig, m=required_m(eig, d), operator=op, rank=d,
                          seed=int(rng.integers(0, 2**32 - 1)))
        for s, e in enumerate(claim.gap_exponents(claim.gap_sweep(setting, claim.minimisers(setting))), 1):
            slopes[s].append(e)
    every = np.concatenate([slopes[1], slopes[2]])
    msg = (f"mean {every.mean():.3f}, sd s=1 {np.std(slopes[1]):.3f}, s=2 {np.std(slopes[2]):.3f}, "
           f"range [{every.min():.3f}, {every.max():.3f}]")
    assert abs(every.mean() - claim.GAP_EXPONENT) <= 0.02, msg
    assert all(claim.GAP_EXPONENT_SLACK >= 4.0 * np.std(v) for v in slopes.values()), msg
    assert np.all(np.abs(every - claim.GAP_EXPONENT) <= claim.GAP_EXPONENT_SLACK), msg
