import numpy as np
import scipy.optimize
from hypothesis import given, strategies as st

import sensing
from sensing import tolerances
from tests.instances import small_problems


@given(small_problems(), st.integers(1, 4))
def test_loss_matches_the_direct_formula(problem, r):
    op, y, Z, rng = problem
    U = rng.standard_normal((op.d, r))
    A = op.matrices()
    direct = np.sum((np.einsum("ijk,jk->i", A, U @ U.T) - np.einsum("ijk,jk->i", A, Z)) ** 2) / (4 * op.m)
    got = sensing.loss(op, y, U)
    assert np.isclose(got, direct, rtol=tolerances.rtol_exact() * op.d ** 2, atol=tolerances.rtol_exact() * np.sum(y * y)), \
        f"loss = {got!r}, but (1/4m) sum (<A_i, UU^T> - y_i)^2 = {direct!r}"


@given(small_problems(), st.integers(1, 4))
def test_gradient_matches_finite_differences(problem, r):
    op, y, _, rng = problem
    U = rng.standard_normal((op.d, r))
    shape = U.shape
    f = lambda x: sensing.loss(op, y, x.reshape(shape))
    g = lambda x: sensing.gradient(op, y, x.reshape(shape)).ravel()
    err = scipy.optimize.check_grad(f, g, U.ravel())
    scale = np.linalg.norm(g(U.ravel())) + sensing.operator_norm(op) * (np.linalg.norm(U) ** 2 + 1)
    assert err <= tolerances.grad_check_tol() * scale, f"||grad - FD|| = {err:.3g}, scale {scale:.3g}"


@given(small_problems(), st.integers(1, 3))
def test_hessian_vector_product_matches_differences_of_the_gradient(problem, r):
    op, y, _, rng = problem
    U, H = rng.standard_normal((op.d, r)), rng.standard_normal((op.d, r))
    h = 1e-6
    fd = (sensing.gradient(op, y, U + h * H) - sensing.gradient(op, y, U - h * H)) / (2 * h)
    hv = sensing.hessian_vector(op, y, U, H)
    # central differences: error O(h^2 * third derivative) + O(eps/h) rounding
    tol = 1e-6 * (np.linalg.norm(hv) + sensing.operator_norm(op) * (np.linalg.norm(U) + np.linalg.norm(H)) ** 2 * np.linalg.norm(H) + np.linalg.norm(y))
    assert np.linalg.norm(fd - hv) <= tol, f"||Hv - FD|| = {np.linalg.norm(fd - hv):.3g} > {tol:.3g}"


def test_gradient_vanishes_at_the_ground_truth_factor():
    pb = sensing.make_problem(8, eigenvalues=[5.0, 2.0], m=60, seed=0)
    g = sensing.gradient(pb.op, pb.y, pb.truth.X)
    assert np.linalg.norm(g) < 1e-12 * np.linalg.norm(pb.y) * 100
