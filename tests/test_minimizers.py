import numpy as np
import pytest

import sensing


@pytest.fixture(scope="module")
def problem():
    return sensing.make_problem(12, eigenvalues=[8.0, 4.0, 2.0, 1.0], m=150, seed=5)


@pytest.mark.parametrize("s", [1, 2, 3])
def test_sensing_minimizer_is_stationary_to_round_off(problem, s):
    zs = sensing.sensing_minimizer(problem.op, problem.y, s)
    g = np.linalg.norm(sensing.gradient(problem.op, problem.y, zs.U))
    assert zs.converged and g <= zs.grad_tol, f"||grad f_s(U*_s)|| = {g:.3g}, round-off level {zs.grad_tol:.3g}"
    # a global minimiser beats the truncated SVD, which is feasible for the same problem
    f_svd = sensing.loss(problem.op, problem.y, problem.truth.X_s(s))
    assert zs.loss < f_svd, f"f_s(U*_s) = {zs.loss:.6g} is not below f_s(X_s) = {f_svd:.6g}"
    assert not np.allclose(zs.Z, problem.truth.truncated(s), atol=1e-6), "Z*_s equals the truncated SVD"


@pytest.mark.parametrize("s", [1, 2])
def test_sensing_minimizer_is_unique_up_to_rotation(problem, s):
    # Lemma 4.4: restarts land on the same Z*_s (to the accuracy the gradient tolerance allows)
    rep = sensing.check_uniqueness(problem.op, problem.y, s, restarts=3, rng=1)
    assert rep.n_converged == rep.restarts
    assert rep.spread < 1e-8, f"restarts disagree: spread {rep.spread:.3g}, losses {rep.losses}"


def test_full_observation_minimizer_is_the_truncated_svd():
    op = sensing.identity_operator(8)
    gt = sensing.ground_truth_from_spectrum([5.0, 3.0, 1.0], 8, 0)
    zs = sensing.sensing_minimizer(op, op.forward(gt.Z), 2)
    np.testing.assert_allclose(zs.Z, gt.truncated(2), atol=1e-10)


def test_minimizer_from_a_non_symmetric_ensemble_uses_the_symmetrised_gradient():
    pb = sensing.make_problem(8, eigenvalues=[5.0, 2.0, 1.0], m=80, operator="paper", seed=1)
    zs = sensing.sensing_minimizer(pb.op, pb.y, 3)
    # s = r*: the global minimiser is Z* itself (zero loss)
    assert np.linalg.norm(zs.Z - pb.truth.Z) < 1e-8 * np.linalg.norm(pb.truth.Z)
