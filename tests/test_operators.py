import numpy as np
import pytest
from hypothesis import given, strategies as st
from scipy.sparse.linalg import eigsh

import sensing
from sensing import tolerances
from tests.instances import KINDS, STRUCTURED_KINDS, operators, random_symmetric, small_problems

RTOL = tolerances.rtol_exact()


@given(small_problems(KINDS + STRUCTURED_KINDS))
def test_adjoint_identity_holds(problem):
    op, _, _, rng = problem
    Z, w = random_symmetric(rng, op.d), rng.standard_normal(op.m)
    lhs, rhs = op.forward(Z) @ w, np.sum(Z * op.adjoint(w))
    scale = np.linalg.norm(op.forward(Z)) * np.linalg.norm(w) + 1e-300
    assert abs(lhs - rhs) <= RTOL * scale, f"<A(Z), w> = {lhs!r}, but <Z, A*(w)> = {rhs!r} [{op}]"


@given(small_problems(), st.floats(-3, 3), st.floats(-3, 3))
def test_forward_and_adjoint_are_linear(problem, a, b):
    op, _, _, rng = problem
    Z1, Z2 = random_symmetric(rng, op.d), random_symmetric(rng, op.d)
    w1, w2 = rng.standard_normal(op.m), rng.standard_normal(op.m)
    np.testing.assert_allclose(op.forward(a * Z1 + b * Z2), a * op.forward(Z1) + b * op.forward(Z2),
                               rtol=RTOL, atol=RTOL * 10 * (np.abs(op.forward(Z1)).max() + np.abs(op.forward(Z2)).max()))
    np.testing.assert_allclose(op.adjoint(a * w1 + b * w2), a * op.adjoint(w1) + b * op.adjoint(w2),
                               rtol=RTOL, atol=RTOL * 10 * (np.abs(op.adjoint(w1)).max() + np.abs(op.adjoint(w2)).max()))


@given(st.integers(2, 6), st.integers(1, 30), st.integers(0, 2**32 - 1))
def test_forward_matches_the_definition_for_nonsymmetric_matrices(d, m, seed):
    # [A(Z)]_i = m^{-1/2} <A_i, Z> with the raw, non-symmetric A_i; adjoint uses sym(A_i)
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, d, d))
    op = sensing.operator_from_matrices(A)
    Z, w = random_symmetric(rng, d), rng.standard_normal(m)
    np.testing.assert_allclose(op.forward(Z), np.einsum("ijk,jk->i", A, Z) / np.sqrt(m), rtol=RTOL, atol=RTOL * np.abs(A).max() * np.abs(Z).sum())
    adj = np.einsum("i,ijk->jk", w, 0.5 * (A + A.transpose(0, 2, 1))) / np.sqrt(m)
    np.testing.assert_allclose(op.adjoint(w), adj, rtol=RTOL, atol=RTOL * np.abs(adj).max())
    np.testing.assert_allclose(op.matrices(), 0.5 * (A + A.transpose(0, 2, 1)), rtol=RTOL, atol=RTOL)


def test_paper_operator_stores_the_symmetrised_paper_draw():
    d, m, seed = 5, 7, 3
    A = np.random.default_rng(seed).standard_normal((m, d, d))
    op = sensing.paper_operator(m, d, seed, chunk=3)
    np.testing.assert_array_equal(op.S, sensing.operator_from_matrices(A).S)


@pytest.mark.parametrize("kind", ["gaussian", "paper"])
def test_random_ensembles_are_isotropic_on_symmetric_matrices(kind):
    # E ||A(Z)||^2 = ||Z||_F^2. With m = 20000, ||A(Z)||^2/||Z||^2 is a mean of m chi^2_1
    # variables: standard deviation sqrt(2/m) = 0.01; 6 sigma is 0.06.
    d, m = 4, 20000
    op = sensing.make_operator(kind, m, d, 1)
    Z = random_symmetric(np.random.default_rng(2), d)
    ratio = np.sum(op.forward(Z) ** 2) / np.sum(Z * Z)
    assert abs(ratio - 1) < 6 * np.sqrt(2 / m), f"||A(Z)||^2/||Z||^2 = {ratio:.4f}, but E = 1 [{kind}]"


def test_identity_operator_is_an_isometry_with_identity_normal_map():
    op = sensing.identity_operator(5)
    Z = random_symmetric(np.random.default_rng(0), 5)
    np.testing.assert_allclose(op.normal(Z), Z, rtol=RTOL, atol=0)
    assert np.isclose(np.sum(op.forward(Z) ** 2), np.sum(Z * Z), rtol=RTOL)
    assert op.default_mode() == "identity"


@pytest.mark.parametrize("kind", KINDS)
def test_linear_operator_views_agree_with_the_operator(kind):
    op = operators(kind, 5, 40, 0)
    rng = np.random.default_rng(1)
    Z = random_symmetric(rng, 5)
    L, N = op.as_linear_operator(), op.normal_operator()
    np.testing.assert_allclose(L @ sensing.svec(Z), op.forward(Z), rtol=RTOL)
    np.testing.assert_allclose(sensing.smat(N @ sensing.svec(Z)), op.normal(Z), rtol=RTOL, atol=RTOL * np.abs(op.normal(Z)).max())
    top = eigsh(N, k=1, which="LA", return_eigenvectors=False)[0]
    assert np.isclose(top, sensing.operator_norm(op), rtol=tolerances.rtol_iterative())


@pytest.mark.parametrize("kind", ["gaussian", "paper", "matrices"])
def test_gram_matrix_is_the_normal_map(kind):
    op = operators(kind, 6, 50, 0)
    Z = random_symmetric(np.random.default_rng(1), 6)
    G = op.gram()
    np.testing.assert_allclose(sensing.smat(G @ sensing.svec(Z)), op.normal(Z), rtol=RTOL, atol=RTOL * np.abs(op.normal(Z)).max())
    assert op.gram() is G  # cached


def test_gram_is_never_allocated_past_the_memory_limit():
    op = sensing.gaussian_operator(100, 10, 0, gram_memory_limit=1000)
    assert op.default_mode() == "dense"
    with pytest.raises(MemoryError, match="gram_memory_limit"):
        op.gram()


def test_same_seed_gives_the_same_bits():
    for kind in ("gaussian", "paper"):
        a, b = sensing.make_operator(kind, 30, 5, 7), sensing.make_operator(kind, 30, 5, 7)
        assert np.array_equal(a.S, b.S)
    p, q = sensing.make_problem(6, rank=2, m=30, seed=3), sensing.make_problem(6, rank=2, m=30, seed=3)
    assert np.array_equal(p.truth.Z, q.truth.Z) and np.array_equal(p.y, q.y)
