# The claims on the structured operators of sensing.structured (issue 14): --operator rank_one |
# completion in verify and sweeps, their per-operator defaults, the assumption checks that say
# what is (not) certified, measured verdicts on small instances, and the negative controls of the
# required assumptions they add (theorems.assumptions.RANK_ONE_RIP, COMPLETION_SAMPLES).
from contextlib import contextmanager

import numpy as np
import pytest

import theorems
from theorems import assumptions as asm
from theorems import cli
from theorems.sweep.grid import setting_for
from tests.claim_asserts import assert_violates, control

CLAIMS = theorems.claims()
STRUCTURED_REQUIRED = [c for c in CLAIMS if asm.RANK_ONE_RIP in c.required]


def _claim(key):
    return next(c for c in CLAIMS if c.key == key)


# ------------------------------------------------------------------ defaults per operator
def test_completion_defaults_observe_distinct_entries_on_a_d_where_the_samples_bound_can_hold():
    c = _claim("incremental")
    s = c.default_for("completion")
    assert s.operator == "completion" and s.d == theorems._core.COMPLETION_MIN_D and s.rank == s.d
    assert s.m == int(np.ceil(theorems._core.COMPLETION_FRACTION * s.d * (s.d + 1) / 2))
    # a user d is kept (and a default r-hat = d follows it), the entries fit in D
    s = c.default_for("completion", d=12)
    assert (s.d, s.rank) == (12, 12) and s.m <= 78
    # the over-parameterised claim keeps its m < D
    o = _claim("overparameterised")
    assert o.default_for("completion").m == o.default.m


def test_rank_one_defaults_keep_the_default_step_budget():
    c = _claim("underparameterised")
    s = c.default_for("rank_one")
    pb = s.problem()
    # E A*A = 2Z + tr(Z) I makes ||A*(y)|| ~ 2 sigma_1^2 + tr Z*: mu is rescaled to keep mu ||A*(y)||
    assert s.step * pb.op.adjoint_norm(pb.y) == pytest.approx(c.default.step * c.default.eigenvalues[0], rel=2e-3)
    assert s.m == c.default.m and s.d == c.default.d


def test_a_user_m_sets_the_structured_step_of_the_instance_that_runs():
    # the step is rescaled on the user's m, not on the claim's own: at d = 10^4, its default
    # m = 30 000 observed entries give ||A*(y)|| 2.7x that of |Omega| = 10^6 (a 2.7x smaller mu)
    c = _claim("learning_times")
    for kind, changes in (("completion", dict(d=300, m=20000)), ("rank_one", dict(d=30, m=500))):
        s = c.default_for(kind, **changes)
        pb = s.problem()
        assert s.m == changes["m"]
        # rel 5e-3: the step is rounded to 3 significant figures (half a unit in the third)
        assert s.step * pb.op.adjoint_norm(pb.y) == pytest.approx(c.default.step * c.default.eigenvalues[0],
                                                                   rel=5e-3), kind


def test_sweep_points_get_the_operator_defaults():
    c = _claim("learning_times")
    assert setting_for(c, {"operator": "completion", "seed": 1}) == c.default_for("completion", seed=1)
    assert setting_for(c, {"operator": "gaussian"}) == c.default


def test_cli_accepts_the_structured_operators_and_refuses_too_many_entries(capsys):
    code = cli.main(["verify", "--quiet", "--only", "underparameterised", "--operator", "completion",
                     "--d", "6", "--m", "22"])
    assert code == cli.EXIT_USAGE and "at most D = d(d+1)/2 = 21" in capsys.readouterr().err
    code = cli.main(["verify", "--quiet", "--only", "underparameterised", "--operator", "completion",
                     "--d", "30", "--eigenvalues", "4,1", "--rank", "1"])
    out = capsys.readouterr().out
    assert code == cli.EXIT_OUT_OF_SCOPE and "incoherence and samples (completion)" in out


# ------------------------------------------------------------------ what is certified
def test_rank_one_reports_the_l2_rip_as_not_certified_and_gates_on_the_centred_form():
    s = _claim("underparameterised").default_for("rank_one")
    checks = {a.name: a for a in asm.standard(s)}
    l2 = checks["RIP, practical form"]
    assert l2.role == "paper" and not l2.holds and "not certified" in l2.detail
    centred = checks[asm.RANK_ONE_RIP]
    assert centred.role == "required" and centred.holds, centred.detail
    # the bias E A*A - I is what the l2 form measures: tr(Z*) I + Z*, far above tau/2
    assert asm.normal_error(s) > 5 * asm.centred_normal_error(s)


def test_completion_reports_incoherence_and_samples_with_their_numbers():
    s = _claim("underparameterised").default_for("completion", d=30, eigenvalues=(4.0, 1.0), rank=1)
    (a,) = asm.structured(s)
    mu = asm.incoherence(s)
    assert 1.0 <= mu <= s.d / s.r_star
    assert not a.holds and f"μ(Z*) = {mu:.3g}" in a.detail and f"|Ω| = {s.m} of D = 465" in a.detail
    # every entry observed is full observation: the samples bound is then met
    full = s.replace(m=465)
    assert asm.completion_samples(full).holds and asm.normal_error(full) < 1e-12


# ------------------------------------------------------------------ measured verdicts (README table)
@pytest.mark.slow
def test_underparameterised_on_completion_d30_is_out_of_scope_and_its_laws_still_hold():
    # d = 30, r* = 2, |Omega| = 419 of 465: mu r* d log d = 662 > |Omega| and the missing entries
    # make ||(A*A - I)Z*|| = 0.66 > tau/2: out of scope, while all 9 of the claim's checks hold
    c = _claim("underparameterised")
    v = c.verify(c.default_for("completion", d=30, eigenvalues=(4.0, 1.0), rank=1))
    assert v.status == "OUT OF SCOPE"
    assert set(v.out_of_scope()) == {"RIP, practical form", asm.COMPLETION_SAMPLES}
    assert v.checks_run == 9 and not v.failing(), v.report()


# ------------------------------------------------------------------ negative controls
#: what the same change necessarily breaks too, and why
# |Omega| < D: the unobserved entries are themselves the measurement error (D/m)P_Omega Z* - Z*,
# which at d = 4 exceeds tau/2 (below mu r* d log d there is no d small enough to avoid it)
COMPLETION_ALSO = ("RIP, practical form",)


#: the over-parameterised claim needs m below the PSD phase transition and above the rank-2r*
#: count, which d = 4 cannot give: its own defaults on the structured operators (d = 20, m = 100)
#: violate the structured check and nothing else (rank-one: ||(A*A - E A*A)Z*|| = 13.5 > tau = 2;
#: completion: |Omega| = 100 < mu r* d log d = 371)
VIOLATING = {"overparameterised": {}}


@pytest.mark.parametrize("claim", STRUCTURED_REQUIRED, ids=[c.key for c in STRUCTURED_REQUIRED])
def test_too_few_rank_one_measurements_violate_the_centred_rip(claim):
    s = claim.default_for("rank_one", **VIOLATING.get(claim.key, dict(d=4, m=30)))
    assert_violates(claim, s, asm.RANK_ONE_RIP)


@pytest.mark.parametrize("claim", STRUCTURED_REQUIRED, ids=[c.key for c in STRUCTURED_REQUIRED])
def test_too_few_observed_entries_violate_incoherence_and_samples(claim):
    s = claim.default_for("completion", **VIOLATING.get(claim.key, dict(d=4, m=9)))
    assert_violates(claim, s, asm.COMPLETION_SAMPLES,
                    also=() if claim.key in VIOLATING else COMPLETION_ALSO)


for _c in STRUCTURED_REQUIRED:
    control(_c.key, assumption=asm.RANK_ONE_RIP)(test_too_few_rank_one_measurements_violate_the_centred_rip)
    control(_c.key, assumption=asm.COMPLETION_SAMPLES)(test_too_few_observed_entries_violate_incoherence_and_samples)


@pytest.mark.parametrize("kind", ["rank_one", "completion"])
def test_the_rip_errors_at_scale_are_the_dense_ones(kind, monkeypatch):
    # past HAAR_DENSE_MAX_D the practical and centred RIP errors come from ARPACK on
    # v -> A*(A(X X^T)) v - ... without Z*; forced at a d the dense norms still check.
    # rtol: ARPACK's tolerance (machine precision relative to the norm), with slack 100
    c = _claim("incremental")
    s = c.default_for(kind, d=120) if kind == "completion" else c.default_for(kind)
    funcs = [asm.normal_error] + ([asm.centred_normal_error] if kind == "rank_one" else [])
    dense = [f(s) for f in funcs]
    monkeypatch.setattr(asm, "HAAR_DENSE_MAX_D", 0)
    for f in funcs:
        f.cache_clear()
    monkeypatch.setattr(type(s.problem().truth), "Z", property(lambda self: pytest.fail("Z* formed")))
    try:
        got = [f(s) for f in funcs]
    finally:
        for f in funcs:
            f.cache_clear()
    np.testing.assert_allclose(got, dense, rtol=100 * np.finfo(float).eps)


def test_incremental_on_a_structured_operator_measures_with_factors_as_with_matrices(monkeypatch):
    # on a structured operator the targets Z*_s and the references X_sX_sᵀ are factors
    # (sensing.Factored: no d x d matrix, as d = 10^4 needs); every measured distance agrees with
    # the dense computation to within the claim's own distance floor (the resolution it reads)
    from theorems.jin2023 import incremental as inc

    s = _claim("incremental").default_for("completion", d=30, eigenvalues=(4.0, 2.0, 1.0), rank=5, m=465)
    inc._targets.cache_clear()
    factored = inc.evidence(s)
    assert all(isinstance(z, inc.sensing.Factored) for z in inc.targets(s).Z)
    monkeypatch.setattr(inc, "_factored", lambda setting: False)
    inc._targets.cache_clear()
    dense = inc.evidence(s)
    inc._targets.cache_clear()
    for name in ("min_distance", "separation", "target_norms", "truncated_min_distance", "truncated_gap"):
        np.testing.assert_allclose(getattr(factored, name), getattr(dense, name), rtol=1e-12,
                                   atol=factored.distance_floor, err_msg=name)


@contextmanager
def _forced_at_scale(monkeypatch, module, setting, *caches):
    """A claim module's at-scale path (and the assumptions') forced at a small d, with Z* made
    unreadable; ``caches`` (and normal_error's) are cleared on entry and exit so that neither
    path's values leak into the other."""
    monkeypatch.setattr(module, "DENSE_MAX_D", 0)
    monkeypatch.setattr(asm, "HAAR_DENSE_MAX_D", 0)
    caches = (*caches, asm.normal_error)
    for f in caches:
        f.cache_clear()
    monkeypatch.setattr(type(setting.problem().truth), "Z", property(lambda self: pytest.fail("Z* formed")))
    try:
        assert module.at_scale(setting)
        yield
    finally:
        for f in caches:
            f.cache_clear()


@pytest.mark.parametrize("kind", ["rank_one", "completion"])
def test_spectral_at_scale_measures_from_operator_applications_as_with_matrices(kind, monkeypatch):
    # past DENSE_MAX_D the spectral claim's M = A*(y) is a LinearOperator, its extreme eigenpairs
    # come from ARPACK and eps_1 from v -> A*(A(XX^T - u u^T))v - ...; forced at a small d, the
    # constants and the evidence of one trajectory equal the dense ones. rtol: both eigensolvers are
    # backward stable to a few d eps ||M|| (ARPACK at machine-precision tolerance), here ~1e-14.
    from theorems.jin2023 import spectral as sp

    s = _claim("spectral").default_for(kind)
    key = s.replace(alpha=1.0)
    sp._constants.cache_clear()
    dense = sp._constants(key)
    al, U = sp.trajectory(s)
    dense_ev = sp.evidence_from_trajectory(s, al, U)
    with _forced_at_scale(monkeypatch, sp, s, sp._constants):
        got = sp._constants(key)
        ev = sp.evidence_from_trajectory(s, al, U)
    assert not isinstance(got.M, np.ndarray) and got.lam_hat.size == sp.AT_SCALE_TOP + 1
    rtol = 1e-12
    np.testing.assert_allclose(got.lam_hat[:-1], dense.lam_hat[:sp.AT_SCALE_TOP], rtol=rtol)
    np.testing.assert_allclose(got.lam_hat[-1], dense.lam_hat[-1], rtol=rtol)
    assert got.g1 == pytest.approx(dense.g1, rel=rtol) and got.g_perp == pytest.approx(dense.g_perp, rel=rtol)
    assert abs(got.v_hat1 @ dense.v_hat1) == pytest.approx(1.0, abs=rtol)
    for name in ("delta1", "delta1_upper", "delta", "eps0", "eps1", "fp_rate"):
        assert getattr(got, name) == pytest.approx(getattr(dense, name), rel=rtol), name
    for name in ("mismatch", "sp_norm", "ratio_sp", "ratio_t1"):
        np.testing.assert_allclose(getattr(ev, name), getattr(dense_ev, name), rtol=1e-9, atol=1e-14,
                                   err_msg=name)
    # sin = sqrt(1 - (u.v)^2) resolves the angle only to ~eps/sin: compare sin^2 = 1 - (u.v)^2,
    # whose error is that of the unit vectors' dot product (a few eps; 64 eps of slack)
    for name in ("sin_hat_sp", "sin_true_t1"):
        np.testing.assert_allclose(getattr(ev, name) ** 2, getattr(dense_ev, name) ** 2, rtol=0,
                                   atol=64 * np.finfo(float).eps, err_msg=name)
    np.testing.assert_array_equal(ev.t_sp, dense_ev.t_sp)


@pytest.mark.parametrize("kind", ["rank_one", "completion"])
def test_underparameterised_at_scale_measures_from_hessian_products_as_with_matrices(kind, monkeypatch):
    # past DENSE_MAX_D the Hessian of f_r̂ at U*_r̂ is a LinearOperator (ScaleHessian: its extreme
    # eigenvalues by ARPACK, J^n E by n Hessian-vector products), Z*_r̂ and X_r̂X_r̂ᵀ are factors;
    # forced at a small d, every measurement equals the dense one. rtol 1e-9: ARPACK eigenvalues
    # (machine-precision tolerance) and the factored distances agree to ~1e-14 relative, and the
    # rates are n-th roots (n up to a few hundred) of ratios of such quantities.
    from theorems.jin2023 import underparameterised as up

    c = _claim("underparameterised")
    s = (c.default_for(kind, d=30, eigenvalues=(4.0, 1.0), rank=1) if kind == "completion"
         else c.default_for(kind))
    up.references.cache_clear()
    ev = up.evidence(s)
    dense = {m.name: m for m in up.check(s, ev)[0]}
    steps, U_t = ev.steps, ev.U_t
    with _forced_at_scale(monkeypatch, up, s, up.references):
        ev2 = up.trajectory_evidence(s, steps, U_t)
        got = {m.name: m for m in up.check(s, ev2)[0]}
    assert isinstance(ev2.hessian, up.ScaleHessian) and isinstance(ev2.Zs, up.Factored)
    lam = np.linalg.eigvalsh(ev.hessian)
    np.testing.assert_allclose(up.linear_rate(ev2.hessian.spectrum, s.rank, s.step),
                               up.linear_rate(lam, s.rank, s.step), rtol=1e-12)
    assert ev2.floor_dist == pytest.approx(ev.floor_dist, rel=1e-9)
    assert ev2.floor_Z == pytest.approx(ev.floor_Z, rel=1e-9)
    assert got.keys() == dense.keys()
    for name, m in dense.items():
        assert got[name].holds == m.holds, (name, got[name], m)
        if isinstance(m.measured, (int, float, list)) and np.all(np.isfinite(m.measured)):
            np.testing.assert_allclose(got[name].measured, m.measured, rtol=1e-9, atol=1e-14, err_msg=name)


@pytest.mark.parametrize("kind", ["rank_one", "completion"])
def test_learning_times_clock_at_scale_is_the_dense_clock(kind, monkeypatch):
    # past DENSE_MAX_D the clock check steps (I + mu M)^t U_0 by products with M = A*(y) instead of
    # M's eigenbasis; forced at a small d it is the same relative error. rtol 1e-9: both are
    # accurate to a few t eps relative in (I + mu M)^t U_0 (t <= a few hundred), far below it.
    from theorems.jin2023 import learning_times as lt

    import dataclasses

    s = _claim("learning_times").default_for(kind)
    (req,) = lt.plan(s)
    # the clock reads only the early records (lambda_1 <= CLOCK_WINDOW sigma-hat_1^2): 300 steps
    req = dataclasses.replace(req, steps=300)
    tr = lt.execute(req, s, None)
    dense = lt.clock_error(s, req.U0, tr)
    monkeypatch.setattr(lt, "DENSE_MAX_D", 0)
    monkeypatch.setattr(type(s.problem().truth), "Z", property(lambda self: pytest.fail("Z* formed")))
    got = lt.clock_error(s, req.U0, tr)
    assert dense is not None and got == pytest.approx(dense, rel=1e-9)


@pytest.mark.parametrize("kind", ["rank_one", "completion"])
def test_overparameterised_at_scale_measures_without_matrices_as_with_them(kind, monkeypatch):
    # past DENSE_MAX_D the over-parameterised claim reads Z* as the factor X, E_mn from the
    # measurements' m x m Gram matrix (||Z0 - Z*||^2 = ||Z*||^2 - y^T (S S^T)^+ y) and the spectral
    # separation from ARPACK on A*(y); forced at a small d every measurement and required
    # assumption agrees with the dense path. rtol 1e-9 on the errors: factored distances agree to
    # ~1e-14 relative, E_mn's difference of squares loses eps ||Z*||^2 / E_mn^2 (E_mn ~ 0.7 here).
    from theorems.jin2023 import overparameterised as op_

    claim = _claim("overparameterised")
    s = claim.default_for(kind)
    pb = s.problem()
    dense_e_mn = float(np.linalg.norm(op_.min_norm_interpolant(pb) - pb.truth.Z)) / float(np.linalg.norm(pb.truth.Z))
    dense = op_.evidence(s)
    dense_sep = op_.separation_exponent(s)
    dense_asm = {a.name: a.holds for a in claim.assumptions(s)}
    with _forced_at_scale(monkeypatch, op_, s):
        got = op_.evidence(s)
        sep = op_.separation_exponent(s)
        got_asm = {a.name: a.holds for a in claim.assumptions(s)}
    assert dense.error_min_norm == pytest.approx(dense_e_mn, rel=1e-12)
    assert got.error_min_norm == pytest.approx(dense_e_mn, rel=1e-9)
    np.testing.assert_allclose(got.errors, dense.errors, rtol=1e-9)
    assert got.error_large == pytest.approx(dense.error_large, rel=1e-9)
    assert sep == pytest.approx(dense_sep, rel=1e-12)
    assert got_asm == dense_asm


@pytest.mark.parametrize("kind,changes", [("rank_one", dict(d=8, m=3000)), ("completion", dict(d=12))])
def test_glrl_at_scale_measures_from_factors_as_with_matrices(kind, changes, monkeypatch):
    # past DENSE_MAX_D GLRL's -grad f is a LinearOperator (sensing.greedy.at_scale), its stages,
    # Z*_s and the references are factors and the top eigenpairs of A*(y) come from ARPACK; forced
    # at a small d every measurement and verdict equals the dense one. Distances: rtol 1e-12 with
    # the claim's own resolution (distance_floor) as atol; GLRL's last eigenvalue sits at its
    # round-off level, so it is compared to within its stop tolerance.
    from sensing import greedy
    from theorems.li2021 import glrl as gl

    s = _claim("glrl").default_for(kind, **changes)
    gl._glrl.cache_clear()
    gl._minimisers.cache_clear()
    dense = gl.evidence(s)
    dense_checks = [(m.name, m.holds) for m in gl.check(s, dense)[0]]
    monkeypatch.setattr(greedy, "DENSE_MAX_D", 0)
    monkeypatch.setattr(greedy, "negative_gradient_matrix", lambda *a: pytest.fail("dense -grad f formed"))
    with _forced_at_scale(monkeypatch, gl, s, gl._glrl, gl._minimisers):
        got = gl.evidence(s)
        got_checks = [(m.name, m.holds) for m in gl.check(s, got)[0]]
    assert all(isinstance(w, gl.sensing.Factored) for w in got.stage_W + got.targets)
    assert got_checks == dense_checks
    for name in ("min_distance", "trajectory_gap"):
        np.testing.assert_allclose(getattr(got, name), getattr(dense, name), rtol=1e-12,
                                   atol=dense.distance_floor, err_msg=name)
    for name in ("visit", "half_gd", "half_glrl"):
        np.testing.assert_array_equal(getattr(got, name), getattr(dense, name), err_msg=name)
    for name in ("stage_floor", "direction_floor", "stop_tolerance", "rates", "epsilons"):
        np.testing.assert_allclose(getattr(got, name), getattr(dense, name), rtol=1e-12, err_msg=name)
    assert abs(got.final_eigenvalue - dense.final_eigenvalue) <= dense.stop_tolerance
    assert got.rank == dense.rank and got.stopped == dense.stopped
