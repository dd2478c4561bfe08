# A user's convention, written out literally in the user's terms, maps onto ours and back
import math
import re

import numpy as np
import pytest
import scipy.optimize
from hypothesis import given, strategies as st

import sensing
from sensing import conventions, tolerances
from sensing.conventions import HALF_MEAN, PAPER, Convention

PB = sensing.make_problem(6, eigenvalues=[3, 1], m=200, seed=0)
M, D = PB.op.m, PB.d
U = np.random.default_rng(1).standard_normal((D, 2))
MU = 0.01
NAMED = list(conventions.CONVENTIONS.items())

drawn_conventions = st.builds(Convention, loss_factor=st.floats(1e-3, 1e3),
                              reduction=st.sampled_from(conventions.REDUCTIONS),
                              measurement_scale=st.sampled_from(conventions.MEASUREMENT_SCALES),
                              init=st.sampled_from(conventions.INITS))


# ------------------------------------------------ the user's side, written as their code would
def user_residual(conv, A, y, U):
    G = np.einsum("ijk,jk->i", A, U @ U.T)
    return (G if conv.measurement_scale == "unit" else G / math.sqrt(len(y))) - y


def user_loss(conv, A, y, U):
    sq = np.sum(user_residual(conv, A, y, U) ** 2)
    return conv.loss_factor * (sq / len(y) if conv.reduction == "mean" else sq)


def user_gradient(conv, A, y, U):
    # d/dU of c w Σ (s⟨A_i, UUᵀ⟩ − y_i)² is 2 c w s Σ res_i (A_i + A_iᵀ) U
    m = len(y)
    w = 1 / m if conv.reduction == "mean" else 1.0
    s = 1 / math.sqrt(m) if conv.measurement_scale == "sqrt_m" else 1.0
    res = user_residual(conv, A, y, U)
    return 2 * conv.loss_factor * w * s * np.einsum("i,ijk->jk", res, A + A.transpose(0, 2, 1)) @ U


def roundoff(op, y, U):
    """Round-off slack of our loss and gradient at U, relative to one convention's values.

    Each residual is a d²-term dot product minus y_i: exact to about d² eps relative to the
    uncancelled terms |𝒜(UUᵀ)_i| + |y_i| (Higham's worst case); squaring and summing, or the
    sum Σ res_i A_i U, keep that relative error. rtol_exact() = 100 eps is the margin.
    """
    A = op.matrices()
    big = np.abs(op.forward(U @ U.T)) + np.abs(y)
    rel = tolerances.rtol_exact() * op.d ** 2
    loss_scale = 0.25 * float(big @ big)
    grad_scale = np.linalg.norm(np.einsum("i,ijk->jk", big, np.abs(A)) @ np.abs(U)) / math.sqrt(op.m)
    return rel * loss_scale, rel * grad_scale


LOSS_TOL, GRAD_TOL = roundoff(PB.op, PB.y, U)


def check_loss_and_step(conv):
    A, y = conv.data_from_ours(PB)
    got = conv.loss_from_ours(sensing.loss(PB.op, PB.y, U), M)
    want = user_loss(conv, A, y, U)
    k = conv.factor(M)
    assert abs(got - want) <= k * LOSS_TOL, f"{conv.describe()}: f_user = {want!r}, mapped from ours {got!r}"
    assert abs(conv.loss_to_ours(want, M) - sensing.loss(PB.op, PB.y, U)) <= LOSS_TOL
    # the displacement η ∇f_user of the user's step is ours, μ ∇f
    eta = conv.step_from_ours(MU, M)
    theirs, ours = eta * user_gradient(conv, A, y, U), MU * sensing.gradient(PB.op, PB.y, U)
    err = np.linalg.norm(theirs - ours)
    assert err <= MU * GRAD_TOL, f"{conv.describe()}: ||η∇f_user − μ∇f|| = {err:.3g} > {MU * GRAD_TOL:.3g}"


@pytest.mark.parametrize("name, conv", NAMED)
def test_named_convention_loss_and_step_are_ours(name, conv):
    check_loss_and_step(conv)


@given(drawn_conventions)
def test_any_convention_loss_and_step_are_ours(conv):
    check_loss_and_step(conv)


@pytest.mark.parametrize("name, conv", NAMED)
def test_the_tests_user_gradient_is_the_gradient_of_the_users_loss(name, conv):
    A, y = conv.data_from_ours(PB)
    f = lambda x: user_loss(conv, A, y, x.reshape(U.shape))
    g = lambda x: user_gradient(conv, A, y, x.reshape(U.shape)).ravel()
    err = scipy.optimize.check_grad(f, g, U.ravel())
    # as in test_objective, with the user's curvature k times ours
    scale = conv.factor(M) * (np.linalg.norm(sensing.gradient(PB.op, PB.y, U))
                              + sensing.operator_norm(PB.op) * (np.linalg.norm(U) ** 2 + 1))
    assert err <= tolerances.grad_check_tol() * scale, f"||grad - FD|| = {err:.3g}, scale {scale:.3g}"


@pytest.mark.parametrize("name, conv", NAMED)
def test_data_round_trip_recovers_our_problem(name, conv):
    pb = conv.problem_to_ours(*conv.data_from_ours(PB), PB.truth)
    np.testing.assert_allclose(pb.op.matrices(), PB.op.matrices(), rtol=tolerances.rtol_exact())
    np.testing.assert_allclose(pb.y, PB.y, rtol=tolerances.rtol_exact())


def test_normalised_half_on_full_observation_is_half_the_frobenius_loss():
    op = sensing.identity_operator(D)
    y = sensing.measure(op, PB.truth.Z)
    got = conventions.NORMALISED_HALF.loss_from_ours(sensing.loss(op, y, U), op.m)
    assert math.isclose(got, 0.5 * np.linalg.norm(U @ U.T - PB.truth.Z) ** 2, rel_tol=tolerances.rtol_exact())


@pytest.mark.parametrize("name, conv", NAMED)
def test_docstring_table_states_the_step_that_describe_computes(name, conv):
    row = next(line for line in conventions.__doc__.splitlines() if line.startswith(name + " "))
    eta_column = re.split(r"\s{2,}", row)[2]
    assert conv.describe().split("η = ")[1].split(",")[0] == eta_column


# --------------------------------------------------------------------------- round trips
@given(drawn_conventions, st.floats(1e-8, 1e2))
def test_step_round_trip(conv, mu):
    # two roundings (μ/k, then ·k): at most one ulp each
    assert math.isclose(conv.step_to_ours(conv.step_from_ours(mu, M), M), mu, rel_tol=2 * tolerances.eps())


@given(drawn_conventions, st.floats(1e-8, 1e2))
def test_alpha_round_trip(conv, alpha):
    # √ then square: one ulp each, doubled by the square
    assert math.isclose(conv.alpha_to_ours(conv.alpha_from_ours(alpha)), alpha, rel_tol=4 * tolerances.eps())


def test_sqrt_alpha_identity_start_is_our_alpha_times_identity():
    conv = conventions.SQRT_ALPHA_IDENTITY
    U0 = conv.initial_factor(1e-6, D)
    np.testing.assert_array_equal(U0, conv.alpha_to_ours(1e-6) * np.eye(D))
    assert math.isclose(np.linalg.norm(U0, 2), 1e-3, rel_tol=tolerances.rtol_exact())
    assert math.isclose(np.linalg.norm(U0 @ U0.T, 2), 1e-6, rel_tol=tolerances.rtol_exact())


def test_alpha_ubar_start_is_alpha_times_ubar():
    ubar = sensing.initial_factor(D, 2, 1.0, 0, scaling="unit")
    np.testing.assert_array_equal(PAPER.initial_factor(1e-3, D, 2, ubar=ubar), 1e-3 * ubar)


# ------------------------------------------------------------------------------- adapt
def half_mean_gd(A, y, U0, *, step, steps):
    """A user's plain GD on f = 1/(2m) Σ (⟨A_i, UUᵀ⟩ − y_i)², batched over U0's first axis."""
    m = len(y)
    U = np.array(U0)
    yield U.copy()
    for _ in range(steps):
        r = np.einsum("ijk,njk->ni", A, U @ U.transpose(0, 2, 1)) - y
        G = np.einsum("ni,ijk->njk", r, A) / m
        U = U - step * (G + G.transpose(0, 2, 1)) @ U
        yield U.copy()


T = 50
U0 = sensing.initial_factor(D, 2, 0.1, 3, scaling="unit", batch=2)
SAFE = sensing.safe_step_size(PB.op, PB.y, U0)


def snapshots(traj):
    return np.stack([traj.snapshots[t] for t in range(T + 1)])


def ours(mu):
    return snapshots(sensing.gradient_descent(PB.op, PB.y, U0, step=mu, steps=T, snapshots=range(T + 1)))


def adapted(conv, mu):
    dyn = sensing.dynamics.Dynamics(conv.adapt(half_mean_gd))
    assert dyn.name.endswith("half_mean_gd")
    return snapshots(dyn.run(PB, U0, step=mu, steps=T, snapshots=range(T + 1)))


def iterate_tol(U):
    # the per-step round-off of roundoff() (relative d² · 100 eps), accumulated over T safe steps
    return T * tolerances.rtol_exact() * D ** 2 * float(np.max(np.abs(U)))


def test_adapted_user_dynamics_in_its_own_convention_is_our_gradient_descent():
    want = ours(SAFE)
    err = np.max(np.abs(adapted(HALF_MEAN, SAFE) - want))
    assert err <= iterate_tol(want), f"max |U_t(user) − U_t(ours)| = {err:.3g}"


def test_adapted_user_dynamics_in_the_wrong_convention_takes_twice_the_step():
    got = adapted(PAPER, SAFE)
    assert np.max(np.abs(got - ours(SAFE))) > 1e3 * iterate_tol(got)
    assert np.max(np.abs(got - ours(2 * SAFE))) <= iterate_tol(got)


# ---------------------------------------------------------------- non-symmetric A_i
def test_nonsymmetric_matrices_give_the_measurements_and_loss_of_their_symmetric_part():
    S = PB.op.matrices()
    B = np.random.default_rng(2).standard_normal(S.shape)
    A = S + (B - B.transpose(0, 2, 1))  # + a skew part, invisible to symmetric Z
    y_user = np.einsum("ijk,jk->i", A, PB.truth.Z)  # what the user measures with their A_i
    pb = PAPER.replace(symmetric=False).problem_to_ours(A, y_user, PB.truth)
    atol = tolerances.rtol_exact() * D ** 2 * np.max(np.einsum("ijk,jk->i", np.abs(A), np.abs(PB.truth.Z))) / math.sqrt(M)
    np.testing.assert_allclose(pb.y, PB.y, rtol=0, atol=atol)
    np.testing.assert_allclose(pb.op.matrices(), S, rtol=0, atol=tolerances.rtol_exact() * np.max(np.abs(A)))
    assert abs(sensing.loss(pb.op, pb.y, U) - sensing.loss(PB.op, PB.y, U)) <= LOSS_TOL


# ------------------------------------------------------------------------------ bad input
A_USER, Y_USER = PAPER.data_from_ours(PB)
A_SKEW = A_USER + np.triu(np.ones((D, D)))
CASES = {
    "loss_factor zero": (lambda: Convention(loss_factor=0), ValueError, "loss_factor must be positive"),
    "loss_factor NaN": (lambda: Convention(loss_factor=np.nan), ValueError, "loss_factor must be finite"),
    "loss_factor string": (lambda: Convention(loss_factor="1/2"), TypeError, "loss_factor must be a real number"),
    "unknown reduction": (lambda: Convention(reduction="avg"), ValueError, r"reduction must be one of \('mean', 'sum'\)"),
    "unknown measurement_scale": (lambda: Convention(measurement_scale="sqrtm"), ValueError, "measurement_scale must be one of"),
    "unknown step_rule": (lambda: Convention(step_rule="adam"), ValueError, "step_rule must be one of"),
    "unknown init": (lambda: Convention(init="zeros"), ValueError, "init must be one of"),
    "symmetric not bool": (lambda: Convention(symmetric="yes"), TypeError, "symmetric must be a bool"),
    "replace unknown field": (lambda: PAPER.replace(loss=1.0), TypeError, "no field 'loss'"),
    "eta negative": (lambda: PAPER.step_to_ours(-1.0), ValueError, "eta must be positive"),
    "mu NaN": (lambda: PAPER.step_from_ours(np.nan), ValueError, "mu must be finite"),
    "mu overflows": (lambda: conventions.SUM.step_to_ours(1e308, M), ValueError, "eta = 1e\\+308 maps to mu"),
    "m missing": (lambda: conventions.HALF_SUM.step_from_ours(MU), ValueError, "m is required"),
    "m zero": (lambda: conventions.HALF_SUM.step_from_ours(MU, 0), ValueError, "m must be at least 1"),
    "loss value negative": (lambda: PAPER.loss_to_ours(-1.0, M), ValueError, "value must be non-negative"),
    "alpha_user zero": (lambda: PAPER.alpha_to_ours(0.0), ValueError, "alpha_user must be positive"),
    "alpha string": (lambda: PAPER.alpha_from_ours("1"), TypeError, "alpha must be a real number"),
    "ubar missing": (lambda: PAPER.initial_factor(0.1, D), ValueError, "ubar is required"),
    "ubar wrong shape": (lambda: PAPER.initial_factor(0.1, D, 2, ubar=np.ones((D, 3))), ValueError, r"ubar must have shape \(6, 2\)"),
    "identity start not square": (lambda: conventions.SQRT_ALPHA_IDENTITY.initial_factor(0.1, D, 2), ValueError, "r must equal d = 6"),
    "problem not a problem": (lambda: PAPER.data_from_ours((PB.op, PB.y)), TypeError, "problem must be a SensingProblem"),
    "A not 3-d": (lambda: PAPER.data_to_ours(A_USER[0], Y_USER), ValueError, "A must be a 3-dimensional"),
    "A non-symmetric": (lambda: PAPER.data_to_ours(A_SKEW, Y_USER), ValueError, "A must be symmetric.*symmetric=False"),
    "y wrong length": (lambda: PAPER.data_to_ours(A_USER, Y_USER[:3]), ValueError, r"y must have shape \(m,\) = \(200,\)"),
    "truth missing": (lambda: PAPER.problem_to_ours(A_USER, Y_USER, None), TypeError, "truth must be a GroundTruth"),
    "truth wrong size": (lambda: PAPER.problem_to_ours(A_USER, Y_USER, np.eye(3)), ValueError, "truth must be 6 x 6"),
    "y in the other scale": (lambda: PAPER.problem_to_ours(A_USER, PB.y, PB.truth), ValueError, "y is not the measurement.*measurement_scale"),
    "user_fn not callable": (lambda: PAPER.adapt(42), TypeError, "user_fn must be callable"),
    "user_fn wrong signature": (lambda: PAPER.adapt(lambda A, y: None), TypeError, r"user_fn must accept \(A, y, U0"),
    "adapted step negative": (lambda: PAPER.adapt(half_mean_gd)(PB, U0, step=-1.0, steps=1), ValueError, "step must be positive"),
    "adapted steps float": (lambda: PAPER.adapt(half_mean_gd)(PB, U0, step=MU, steps=1.5), TypeError, "steps must be an integer"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_error_names_the_argument(case):
    call, exc, match = CASES[case]
    with pytest.raises(exc, match=match):
        call()
