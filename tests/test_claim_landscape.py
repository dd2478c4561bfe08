# Landscape of f_s: Lemmas 4.4, 4.6, 4.8, Cor 4.9 (v1: Lemmas 4.2-4.4, Cor 4.1), Lemmas E.1, G.2
import itertools
from dataclasses import replace
from functools import lru_cache

import numpy as np
import pytest
from hypothesis import given

import sensing
from tests.claim_asserts import assert_claim_holds, assert_fails_on, assert_meets_assumptions, control
from theorems.jin2023 import landscape as claim
from theorems._core import Setting
from theorems.strategies import required_m

pytestmark = pytest.mark.theorem("landscape")


@pytest.fixture(scope="module")
def default():
    setting = claim.DEFAULT
    return setting, claim.evidence(setting)


@lru_cache(maxsize=1)
def full_observation():
    setting = claim.DEFAULT.replace(operator="identity")
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
    verdict = claim.CLAIM.judge(*full_observation())
    assert verdict.status == "HOLDS", verdict.report()
    assert verdict.measurement(claim.GAP).predicted.startswith("≤ the accuracy"), verdict.report()
    assert not verdict.measurement(claim.EXPONENT).testable, verdict.report()


def test_a_repeated_top_eigenvalue_is_out_of_scope_without_warnings():
    # tau = tau_1 = 0: the RSI's radius and Lemma G.2's ball vanish (not testable, not a crash)
    verdict = claim.CLAIM.verify(claim.DEFAULT.replace(eigenvalues=(5.0, 5.0, 0.8)))
    assert "eigengap (§3)" in verdict.out_of_scope(), verdict.report()
    assert {m.name for m in verdict.not_testable} == {claim.RSI, claim.G2_CONVEXITY, claim.G2_MINIMISER}, \
        verdict.report()


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
    m = verdict.measurement(claim.G2_CONVEXITY)
    edge = claim.full_observation_edge(setting.eigenvalues)
    assert not m.holds and edge < claim.CONVEXITY_CONSTANT, verdict.report()
    assert m.measured == pytest.approx(edge, abs=1e-12), verdict.report()
    assert verdict.failing() == (claim.G2_CONVEXITY,), verdict.report()


# ---------------------------------------------- negative controls: one doctored evidence per check
def _restart_found_the_svd(setting, ev):
    # one restart "found" the truncated SVD: the spread is ||Z*_1 - X_1 X_1^T|| / ||Z*_1||
    mins, Z1 = ev.minimisers, ev.minimisers.U[0] @ ev.minimisers.U[0].T
    spread = mins.spread.copy()
    spread[0] = np.linalg.norm(Z1 - setting.problem().truth.truncated(1)) / np.linalg.norm(Z1)
    return setting, replace(ev, minimisers=replace(mins, spread=spread))


def _svd_as_minimiser(setting, ev):
    # s < r* (for s = r*, Z*_{r*} = Z* = X X^T really is the truncated SVD)
    gt = setting.problem().truth
    U = tuple(gt.X_s(s) for s in range(1, setting.s_max)) + (ev.minimisers.U[-1],)
    return setting, replace(ev, minimisers=replace(ev.minimisers, U=U))


def _collapsed_column(setting, ev):
    # [U*_1, 0] is a critical point of f_2 (its gradient is [grad f_1(U*_1), 0]): stationary, but
    # sigma_min = 0 < sigma_2 / 2
    U = list(ev.minimisers.U)
    U[1] = np.column_stack([U[0][:, 0], np.zeros(setting.d)])
    return setting, replace(ev, minimisers=replace(ev.minimisers, U=tuple(U)))


def _rsi_gradients(factor):
    # -1: the wrong sign; 1/m: a doubled 1/m normalisation
    def doctor(setting, ev):
        f = factor if factor != "1/m" else 1.0 / setting.m
        return setting, replace(ev, rsi=tuple(replace(r, grads=f * r.grads) for r in ev.rsi))
    return doctor


def _full_observation_gradient(setting, ev):
    # (U U^T - Z*) U vanishes at X_s, not at U*_s: near U*_s it is O(delta), not O(||U - U*_s||)
    Z = setting.problem().truth.Z
    return setting, replace(ev, rsi=tuple(replace(r, grads=(r.points @ np.swapaxes(r.points, 1, 2) - Z) @ r.points)
                                          for r in ev.rsi))


def _svd_as_rsi_anchor(setting, ev):
    op, y, gt = claim.working_problem(setting)
    rng = np.random.default_rng(0)
    return setting, replace(ev, rsi=tuple(claim.rsi_samples(op, y, gt, gt.X_s(s), rng) for s in range(1, setting.s_max)))


def _unresolved_gap(setting, ev):
    # Z*_s known only to 10x the gap: "Z*_s != X_s X_s^T" is not resolved
    return setting, replace(ev, sweep=replace(ev.sweep, gap_floor=10.0 * ev.sweep.gaps[0]))


def _gap_at_full_observation(setting, ev):
    # delta = 0 must give Z*_s = X_s X_s^T: a gap of 1e-6 is far above the accuracy
    fs, fev = full_observation()
    return fs, replace(fev, sweep=replace(fev.sweep, gaps=fev.sweep.gaps + 1e-6))


def _gap_exponent(exponent):
    # 0: a Z*_s that does not approach X_s X_s^T as m grows; -1: a gap of order delta^2
    def doctor(setting, ev):
        ms = ev.sweep.ms.astype(float)
        gaps = ev.sweep.gaps[:1] * (ms[:, None] / ms[0]) ** exponent
        return setting, replace(ev, sweep=replace(ev.sweep, gaps=gaps))
    return doctor


def _off_critical(setting, ev):
    # the saddle sigma_2 v_2 of F_1 moved along v_2 by t: the gradient 2 sigma_2^2 t is 4x its
    # round-off level, while lambda_min moves by 2 sigma_2 t, below the ARPACK tolerance
    gt = setting.problem().truth
    op = sensing.identity_operator(gt.d)
    u = gt.X[:, 1]
    t = 4.0 * claim.grad_roundoff(op, op.forward(gt.Z), u[:, None]) / (2.0 * gt.eigenvalues[1])
    point = claim.critical_point(gt, 1, (1,), np.random.default_rng(0), U=((1.0 + t / gt.sigmas[1]) * u)[:, None])
    return setting, replace(ev, critical=ev.critical + (point,))


def _doctored_hessian(wrong):
    def doctor(setting, ev):
        def hvp(op, y, U, H):
            full = sensing.hessian_vector(op, y, U, H)
            if wrong == "no residual term":  # drops A*(A(U U^T) - y) H
                return full - op.adjoint(sensing.residual(op, y, U)) @ H
            return (2.0 if wrong == "half normalisation" else -1.0) * full
        return setting, replace(ev, critical=claim.critical_points(setting, np.random.default_rng(1), hvp=hvp))
    return doctor


def _ball(**kwargs):
    def doctor(setting, ev):
        gt = setting.problem().truth
        kw = {k: (v(gt) if callable(v) else v) for k, v in kwargs.items()}
        return setting, replace(ev, ball=claim.ball_samples(setting, np.random.default_rng(2),
                                                            minimiser=ev.ball.minimiser, **kw))
    return doctor


def _minimiser_outside_the_ball(setting, ev):
    return setting, replace(ev, ball=replace(ev.ball, minimiser=0.5 * setting.problem().truth.X[:, 0]))


# (measurement, doctoring, checks the same fault necessarily breaks too)
CONTROLS = [
    pytest.param(claim.UNIQUE, _restart_found_the_svd, (), id="restart spread = the O(delta) gap"),
    pytest.param(claim.UNIQUE, lambda s, ev: (s, replace(ev, minimisers=replace(
        ev.minimisers, n_converged=ev.minimisers.n_converged - 1))), (), id="a restart did not converge"),
    pytest.param(claim.STATIONARY, _svd_as_minimiser, (), id="truncated svd offered as U*_s"),
    pytest.param(claim.SIGMA_MIN, _collapsed_column, (), id="[U*_1, 0] offered as U*_2"),
    pytest.param(claim.RSI, _rsi_gradients(-1.0), (), id="gradient of the wrong sign"),
    pytest.param(claim.RSI, _rsi_gradients("1/m"), (), id="gradient with a factor 1/m"),
    pytest.param(claim.RSI, _full_observation_gradient, (), id="full-observation gradient"),
    pytest.param(claim.RSI, _svd_as_rsi_anchor, (), id="truncated svd as the RSI anchor"),
    pytest.param(claim.GAP, _unresolved_gap, (), id="gap below the accuracy of Z*_s"),
    pytest.param(claim.GAP, _gap_at_full_observation, (), id="nonzero gap at delta = 0"),
    pytest.param(claim.EXPONENT, _gap_exponent(0.0), (), id="gap not shrinking with m"),
    pytest.param(claim.EXPONENT, _gap_exponent(-1.0), (), id="gap of order delta^2"),
    pytest.param(claim.E1_GRADIENT, _off_critical, (), id="a point just off the saddle sigma_2 v_2"),
    pytest.param(claim.E1_HESSIAN, _doctored_hessian("half normalisation"), (), id="hessian doubled"),
    # dropping the residual term removes the negative curvature of every saddle as well
    pytest.param(claim.E1_HESSIAN, _doctored_hessian("no residual term"), (claim.E1_SADDLES,),
                 id="hessian without its residual term"),
    # the closed form's signs are the classification: a Hessian that misclassifies a saddle
    # cannot match it
    pytest.param(claim.E1_SADDLES, _doctored_hessian("sign"), (claim.E1_HESSIAN,),
                 id="hessian of the wrong sign"),
    pytest.param(claim.G2_CONVEXITY, _ball(radius=lambda gt: 3.0 * claim.ball_radius(gt)), (),
                 id="ball three times too large"),
    pytest.param(claim.G2_CONVEXITY, _ball(flip=-1.0), (), id="hessian of the wrong sign"),
    # a ball around the saddle sigma_2 v_2 no longer holds u*_1
    pytest.param(claim.G2_CONVEXITY, _ball(centre=lambda gt: gt.X[:, 1]), (claim.G2_MINIMISER,),
                 id="ball around a saddle"),
    pytest.param(claim.G2_MINIMISER, _minimiser_outside_the_ball, (), id="u*_1 outside the ball"),
]


@pytest.mark.parametrize("name, doctor, also", CONTROLS)
def test_evidence_doctored_against_one_lemma_fails_exactly_that_check(default, name, doctor, also):
    setting, ev = doctor(*default)
    assert_fails_on(claim.CLAIM.judge(setting, ev), name, also=also)


for _name in claim.MEASUREMENTS:
    control("landscape", measurement=_name)(test_evidence_doctored_against_one_lemma_fails_exactly_that_check)


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


def _slope_campaign(draw, n):
    slopes = {1: [], 2: []}
    for _ in range(n):
        setting = draw()
        for s, e in enumerate(claim.gap_exponents(claim.gap_sweep(setting, claim.minimisers(setting))), 1):
            slopes[s].append(e)
    every = np.concatenate([slopes[1], slopes[2]])
    msg = (f"mean {every.mean():.3f}, sd s=1 {np.std(slopes[1]):.3f}, s=2 {np.std(slopes[2]):.3f}, "
           f"range [{every.min():.3f}, {every.max():.3f}], {every.size} slopes")
    return slopes, every, msg


def _structured_draw(rng, kind):
    def draw():
        r, q = int(rng.integers(2, 4)), float(rng.uniform(0.35, 0.42))
        eig = tuple(5 * q ** i for i in range(r))
        d = int(rng.integers(6, 11)) if kind == "rank_one" else 100
        m = 8000 if kind == "rank_one" else int(np.ceil(0.9 * d * (d + 1) / 2))
        return Setting(d=d, eigenvalues=eig, m=m, operator=kind, rank=d if kind == "rank_one" else r,
                       seed=int(rng.integers(0, 2**32 - 1)), step=1e-3)
    return draw


@pytest.mark.xslow
@pytest.mark.parametrize("kind, seed, law", [("rank_one", 17, claim.RANK_ONE_LAW),
                                             ("completion", 13, claim.COMPLETION_LAW)])
def test_structured_gap_exponent_band_is_at_least_four_standard_deviations(kind, seed, law):
    # calibration of RANK_ONE_GAP_SLACK and COMPLETION_GAP_SLACK (module docstring, "Structured
    # operators"): 40 instances each, drawn as there; the mean within 0.1 of the law (completion's
    # first point, 10% unobserved, is not yet linear in x: mean 1.066)
    slopes, every, msg = _slope_campaign(_structured_draw(np.random.default_rng(seed), kind), 40)
    assert abs(every.mean() - law.exponent) <= 0.1, msg
    assert all(law.slack >= 4.0 * np.std(v) for v in slopes.values()), msg
    assert np.all(np.abs(every - law.exponent) <= law.slack), msg


@control("landscape", measurement=claim.UNIQUE)
def test_a_non_unique_rank_2_minimiser_fails_the_uniqueness_check():
    # eig(Z*) = 4, 2, 2, 1 under full observation: every 4v₁v₁ᵀ + 2wwᵀ, w ∈ span(v₂, v₃), is a
    # rank-2 minimiser, λ⁺ is at round-off, and the restarts must be reported apart (out of scope:
    # the eigengap fails, but the measurement itself must still say "not unique")
    setting = claim.DEFAULT.replace(eigenvalues=(4.0, 2.0, 2.0, 1.0), operator="identity", rank=2)
    m = claim.check_uniqueness(setting, claim.minimisers(setting))
    assert m.holds is False, f"got {m.measured_text()}, predicted {m.predicted}: should not hold"


# --------------------------------------------- structured operators (issue 14): measured verdicts
@lru_cache(maxsize=2)
def structured(kind):
    setting = claim.CLAIM.default_for(kind)
    return setting, claim.evidence(setting)


def test_on_rank_one_measurements_zstar_s_approaches_the_population_minimiser_like_m_to_minus_half():
    # the rank-one limit of Z*_s is Z^inf_s, not X_s X_s^T: the gap to X_s X_s^T stalls at
    # sqrt(s) T_s/(s+2); G.2 fails because the population loss itself is not convex on the ball
    setting, ev = structured("rank_one")
    verdict = claim.CLAIM.judge(setting, ev)
    assert verdict.status == "OUT OF SCOPE" and verdict.out_of_scope() == ("RIP, centred form (rank-one)",), \
        verdict.report()
    assert verdict.failing() == (claim.G2_CONVEXITY,), verdict.report()
    assert verdict.measurement(claim.EXPONENT).holds, verdict.report()
    edge = claim.rank_one_population_edge(setting.eigenvalues, setting.d)
    assert verdict.measurement(claim.G2_CONVEXITY).measured < 0 and edge < 0, (edge, verdict.report())


@control("landscape", measurement=claim.EXPONENT)
def test_rank_one_gaps_measured_to_the_truncated_svd_fail_the_exponent(monkeypatch):
    # the wrong limit: ||Z*_s - X_s X_s^T|| tends to sqrt(s) T_s/(s+2) > 0, a slope near 0
    monkeypatch.setattr(claim, "population_minimiser", lambda truth, s, operator="gaussian": truth.truncated(s))
    setting, ev = structured("rank_one")
    ev = replace(ev, sweep=claim.gap_sweep(setting, ev.minimisers))
    # G.2's convexity fails on this instance undoctored (the finding above): only the exponent is new
    assert_fails_on(claim.CLAIM.judge(setting, ev), claim.EXPONENT, also=(claim.G2_CONVEXITY,))


@pytest.mark.parametrize("d", [4, 6])
def test_rank_one_population_minimiser_is_the_numerical_minimiser_of_the_population_loss(d):
    truth = sensing.ground_truth_from_spectrum([5.0, 2.0, 0.8], d, 3)
    op = claim.gram_operator(claim.rank_one_population_gram(d), d)
    y = op.forward(truth.Z)
    rng = np.random.default_rng(0)
    for s in (1, 2, 3):
        zs = sensing.sensing_minimizer(op, y, s)
        # the accuracy of a computed minimiser, as in check_uniqueness (first order in ||grad||/lambda+)
        e = claim.anchor_error(max(zs.grad_norm, claim.grad_roundoff(op, y, zs.U)),
                               claim.normal_space_curvature(op, y, zs.U, rng)[0])
        tol = (2 * np.linalg.norm(zs.U, 2) + e) * e + sensing.tolerances.rtol_exact() * np.linalg.norm(truth.Z)
        err = np.linalg.norm(zs.Z - claim.population_minimiser(truth, s, "rank_one"))
        assert err <= tol, f"s = {s}: ||Z_s - Z^inf_s|| = {err:.3g} > {tol:.3g}"


def test_completion_hessian_closed_form_is_the_hessian_of_f1():
    rng = np.random.default_rng(6)
    op = sensing.structured.random_completion_operator(20, 7, rng=1)
    Z = rng.standard_normal((7, 3))
    y = op.forward(Z @ Z.T)
    pts = rng.standard_normal((4, 7))
    for u, H in zip(pts, claim.completion_hessians(op, y, pts)):
        dense = np.stack([sensing.hessian_vector(op, y, u[:, None], e[:, None])[:, 0] for e in np.eye(7)], axis=1)
        np.testing.assert_allclose(H, dense, rtol=sensing.tolerances.rtol_exact(),
                                   atol=sensing.tolerances.rtol_exact() * np.abs(dense).max())


def test_on_entry_sampling_zstar_s_approaches_the_truncated_svd_as_the_unobserved_entries_vanish():
    # d = 100, |Omega| = 0.9 D: out of scope (the missing entries are the error, above tau/2, and
    # |Omega| < mu r* d log d), and every landscape check still holds
    setting, ev = structured("completion")
    verdict = claim.CLAIM.judge(setting, ev)
    assert verdict.status == "OUT OF SCOPE", verdict.report()
    assert set(verdict.out_of_scope()) == {"RIP, practical form", "incoherence and samples (completion)"}, \
        verdict.report()
    assert verdict.checks_run == len(claim.MEASUREMENTS) and not verdict.failing(), verdict.report()


@control("landscape", measurement=claim.EXPONENT)
def test_completion_gaps_measured_to_a_wrong_limit_fail_the_exponent(monkeypatch):
    # a reference off X_s X_s^T by 0.05 ||Z*||: the gap stalls at it as D - m -> 0 (slope near 0)
    def off(truth, s, operator="gaussian"):
        v = truth.eigenvectors[:, s]
        return truth.truncated(s) + 0.05 * np.linalg.norm(truth.Z) * np.outer(v, v)

    monkeypatch.setattr(claim, "population_minimiser", off)
    setting, ev = structured("completion")
    ev = replace(ev, sweep=claim.gap_sweep(setting, ev.minimisers))
    assert_fails_on(claim.CLAIM.judge(setting, ev), claim.EXPONENT)


def test_completion_with_few_unobserved_entries_reports_the_exponent_not_testable():
    # D - m = 100 unobserved entries halve to 50, then 25 < COMPLETION_MIN_UNOBSERVED: two points
    setting = claim.CLAIM.default_for("completion", m=5050 - 100)
    sweep = claim.gap_sweep(setting, claim.minimisers(setting))
    measured, why = claim.check_gap(setting, sweep)
    assert sweep.ms.tolist() == [4950, 5000], sweep.ms
    exp = next(m for m in measured if m.name == claim.EXPONENT)
    assert not exp.testable and "a slope needs 3" in why, why


def test_rank_one_past_the_memory_limit_says_the_landscape_checks_are_for_small_d():
    # D = 20 100: the 6.2 GB normal matrix is refused by the operator's guard, with the reason
    with pytest.raises(MemoryError, match=r"landscape checks run on G = A\*A.*small d"):
        claim.working_problem(claim.CLAIM.default_for("rank_one", d=200, m=30000))
