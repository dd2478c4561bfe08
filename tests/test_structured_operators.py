# The structured operators of issue 14 (sensing.structured) and the factored mode of the GD loop
# (sensing.factored): the core's contracts (adjoint identity, gradient against finite
# differences, GD against the plain einsum loop on the explicit A_i, batched = single, the same
# instance through operator_from_matrices), bad input, divergence, records, memory and Z*_s.
import tracemalloc

import numpy as np
import pytest
import scipy.linalg
import scipy.optimize
from hypothesis import given, strategies as st

import sensing
from sensing import factored, tolerances
from sensing.reference import plain_gradient_descent
from tests.instances import STRUCTURED_KINDS as KINDS, random_symmetric, small_problems, structured

RTOL = tolerances.rtol_exact()


def structured_problems(kinds=KINDS, **sizes):
    """(op, y, Z*, rng) of :func:`tests.instances.small_problems` on the structured operators."""
    return small_problems(kinds, **sizes)


def _dense_twin(op):
    return sensing.operator_from_matrices(op.matrices())


# ------------------------------------------------------------------ the operator contract
@given(structured_problems(), st.integers(1, 3))
def test_factored_maps_agree_with_the_dense_maps(problem, r):
    op, _, _, rng = problem
    P, Q, V = (rng.standard_normal((op.d, r)) for _ in range(3))
    w = rng.standard_normal(op.m)
    S = 0.5 * (P @ Q.T + Q @ P.T)
    # each side is a sum of at most max(m, d) products of the same numbers: rtol_exact, with an
    # absolute floor at the scale of the terms (entries may cancel to zero)
    for got, want in ((op.forward_factor(P), op.forward(P @ P.T)), (op.forward_product(P, Q), op.forward(S)),
                      (op.adjoint_times(w, V), op.adjoint(w) @ V),
                      (op.adjoint_operator(w) @ V, op.adjoint(w) @ V),
                      (op.adjoint_operator(w) @ V[:, 0], op.adjoint(w) @ V[:, 0]),
                      (op.forward_svec(sensing.svec(S)), op.forward(S)),
                      (sensing.smat(op.adjoint_svec(w), op.d), op.adjoint(w)),
                      (op.as_linear_operator() @ sensing.svec(S), op.forward(S)),
                      (sensing.smat(op.normal_operator() @ sensing.svec(S), op.d), op.normal(S))):
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=RTOL * (np.abs(want).max() + 1) * op.m)
    # batched forms: (K, d, r) factors and (K, m) weights, one result per trajectory
    PK, wK = rng.standard_normal((2, op.d, r)), rng.standard_normal((2, op.m))
    np.testing.assert_allclose(op.forward_factor(PK), np.stack([op.forward_factor(p) for p in PK]), rtol=RTOL, atol=0)
    np.testing.assert_allclose(op.adjoint_times(wK, PK), np.stack([op.adjoint_times(a, b) for a, b in zip(wK, PK)]),
                               rtol=RTOL, atol=RTOL * np.abs(op.adjoint_times(wK, PK)).max())


@pytest.mark.parametrize("kind", KINDS)
def test_the_same_instance_through_operator_from_matrices_is_the_same_operator(kind):
    op = structured(kind, 5, 12, np.random.default_rng(0))
    twin = _dense_twin(op)
    rng = np.random.default_rng(1)
    Z, w = random_symmetric(rng, 5), rng.standard_normal(op.m)
    np.testing.assert_allclose(op.forward(Z), twin.forward(Z), rtol=RTOL, atol=RTOL * np.abs(Z).max() * op.D)
    np.testing.assert_allclose(op.adjoint(w), twin.adjoint(w), rtol=RTOL, atol=RTOL * np.abs(w).max() * op.D)
    # ||A*A||: ARPACK (rank-one) or exact (completion) against a dense eigensolver on G
    top = scipy.linalg.eigvalsh(twin.gram())[-1]
    assert np.isclose(sensing.operator_norm(op), top, rtol=tolerances.rtol_iterative()), (sensing.operator_norm(op), top)
    y, U0 = op.forward(Z @ Z), 0.1 * rng.standard_normal((5, 2))
    assert np.isclose(sensing.safe_step_size(op, y, U0), sensing.safe_step_size(twin, y, U0),
                      rtol=tolerances.rtol_iterative())


@pytest.mark.parametrize("kind,d,m", [("rank_one", 6, 12), ("rank_one", 5, 40), ("completion", 6, 12),
                                      ("completion", 5, 15)])
def test_min_norm_energy_is_that_of_the_least_squares_preimage(kind, d, m):
    # ||Z_0||_F^2 from the measurements' m x m Gram matrix (Cholesky for m <= D, lstsq past it:
    # rank-one m = 40 > D = 15; completion exactly (m/D)||y||^2) against ||lstsq(S, y)||^2 of the
    # dense twin; rtol: lstsq and Cholesky are backward stable, K is well conditioned here
    op = structured(kind, d, m, np.random.default_rng(2))
    rng = np.random.default_rng(3)
    y = op.forward(random_symmetric(rng, d))
    z0, _ = _dense_twin(op).solution(y)
    assert op.min_norm_energy(y) == pytest.approx(float(z0 @ z0), rel=1e-10)
    with pytest.raises(ValueError, match="y must have shape"):
        op.min_norm_energy(y[:-1])


def test_completion_scaling_makes_full_observation_the_identity_operator():
    # A_k = sqrt(D) B_k: with every entry observed, A(Z) = svec(Z) and A*A = I exactly, so the
    # uniform draw of m of the D entries has E A*A = (m/D)(D/m) I = I (the Gaussian ensemble's)
    d = 6
    i, j = np.triu_indices(d)
    op = sensing.completion_operator(d, i, j)
    Z = random_symmetric(np.random.default_rng(0), d)
    np.testing.assert_allclose(op.forward(Z), sensing.identity_operator(d).forward(Z), rtol=RTOL, atol=RTOL)
    np.testing.assert_allclose(op.normal(Z), Z, rtol=RTOL, atol=RTOL * np.abs(Z).max())
    assert sensing.operator_norm(op) == 1.0
    # a subset: A*A = (D/m) P_Omega, a projection scaled by D/m
    sub = sensing.random_completion_operator(7, d, 3)
    N = sensing.smat(sub.normal_operator() @ sensing.svec(Z), d)
    mask = np.zeros((d, d), bool)
    mask[sub.rows, sub.cols] = mask[sub.cols, sub.rows] = True
    np.testing.assert_allclose(N, np.where(mask, Z * sub.D / sub.m, 0.0), rtol=RTOL, atol=RTOL * np.abs(Z).max())
    assert sensing.operator_norm(sub) == sub.D / sub.m


def test_gaussian_rank_one_measurements_have_the_stated_second_moment():
    # E (a^T Z a)^2 = 2 ||Z||_F^2 + tr(Z)^2 for a ~ N(0, I): the sample mean of m = 20000 terms
    # lies within 6 of its own standard errors of it (a 6-sigma band, false-alarm rate ~2e-9)
    d, m = 4, 20000
    op = sensing.rank_one_operator(m, d, 5)
    Z = random_symmetric(np.random.default_rng(2), d)
    terms = (np.sqrt(m) * op.forward(Z)) ** 2
    want = 2 * np.sum(Z * Z) + np.trace(Z) ** 2
    err = abs(terms.mean() - want)
    assert err <= 6 * terms.std() / np.sqrt(m), f"mean {terms.mean():.4f} vs 2||Z||^2 + tr^2 = {want:.4f}"


@given(structured_problems())
def test_normal_matrix_is_the_normal_map_in_svec_coordinates(problem):
    # the closed forms (rank-one Gram sum, completion diagonal) against D normal maps of the basis
    op, _, _, rng = problem
    G = op.normal_matrix()
    generic = sensing.structured.FactoredOperator.normal_matrix(op)
    scale = np.abs(generic).max()
    np.testing.assert_allclose(G, generic, rtol=RTOL, atol=RTOL * scale)
    Z = random_symmetric(rng, op.d)
    np.testing.assert_allclose(G @ sensing.svec(Z), sensing.svec(op.normal(Z)), rtol=RTOL,
                               atol=RTOL * scale * np.abs(Z).max() * op.D)


def test_rank_one_gram_sums_of_fresh_vectors_add_up_to_the_gram_of_all_of_them():
    # the nested sweep of the landscape claim adds fresh a_i block by block
    rng = np.random.default_rng(3)
    a = rng.standard_normal((1000, 5))
    whole = sensing.structured.rank_one_gram_sum(a)
    parts = sensing.structured.rank_one_gram_sum(a[:300], block=64) + sensing.structured.rank_one_gram_sum(a[300:])
    np.testing.assert_allclose(parts, whole, rtol=RTOL, atol=RTOL * np.abs(whole).max())
    np.testing.assert_allclose(whole / 1000, sensing.operator_from_vectors(a).normal_matrix(), rtol=RTOL)


def test_completion_from_positions_round_trips_an_operators_entries():
    op = sensing.structured.random_completion_operator(40, 9, rng=4)
    again = sensing.structured.completion_from_positions(9, op.positions)
    np.testing.assert_array_equal(again.positions, op.positions)
    Z = random_symmetric(np.random.default_rng(5), 9)
    np.testing.assert_array_equal(again.forward(Z), op.forward(Z))
    with pytest.raises(ValueError, match="positions must be in"):
        sensing.structured.completion_from_positions(9, [0, 45])
    with pytest.raises(ValueError, match="must not be empty"):
        sensing.structured.completion_from_positions(9, [])
    with pytest.raises(ValueError, match="1-dimensional"):
        sensing.structured.completion_from_positions(9, [[0, 1]])


@given(structured_problems(max_d=5, max_m=25), st.integers(1, 3))
def test_gradient_matches_finite_differences(problem, r):
    op, y, _, rng = problem
    U = rng.standard_normal((op.d, r))
    f = lambda x: sensing.loss(op, y, x.reshape(op.d, r))  # noqa: E731
    g = lambda x: sensing.gradient(op, y, x.reshape(op.d, r)).ravel()  # noqa: E731
    err = scipy.optimize.check_grad(f, g, U.ravel(), epsilon=np.sqrt(tolerances.eps()))
    scale = np.linalg.norm(g(U.ravel())) + 1.0
    # grad_check_tol covers curvature constants of 10-100; rank-one curvature grows like
    # ||a_i||^4 ~ d^2 (up to ~40 at d = 5, times the loss's scale), hence another factor 10
    assert err <= tolerances.grad_check_tol() * scale * 10, f"||grad - FD|| = {err:.3g} (||grad|| = {scale:.3g})"
    # the Hessian-vector product against the dense path of the same instance
    H = rng.standard_normal((op.d, r))
    twin = _dense_twin(op)
    want = sensing.hessian_vector(twin, y, U, H)
    # the same sums of at most max(m, D) products in another order, times curvature ~ d^2:
    # 1e-10 is ~5e5 eps, well above that and far below any formula error
    np.testing.assert_allclose(sensing.hessian_vector(op, y, U, H), want, rtol=1e-10, atol=1e-10 * (np.abs(want).max() + 1))


# ------------------------------------------------------------------ the loop
@given(structured_problems(), st.integers(1, 4), st.integers(0, 30))
def test_gradient_descent_matches_the_plain_implementation(problem, r, steps):
    op, y, Z, rng = problem
    U0 = 0.1 * rng.standard_normal((op.d, r))
    mu = 0.2 * sensing.safe_step_size(op, y, U0)
    traj = sensing.gradient_descent(op, y, U0, step=mu, steps=steps, record_every=1)
    assert traj.mode == "factored"
    U_ref, loss_ref = plain_gradient_descent(op.matrices(), y, U0, mu, steps)
    scale = np.linalg.norm(Z) + np.linalg.norm(U0) ** 2
    # as tests/test_descent.py: both round differently each step; steps ||A*A|| eps-scale drift
    tol = 1e-12 * (steps + 1) * sensing.operator_norm(op) * scale
    assert np.max(np.abs(traj.U @ traj.U.T - U_ref @ U_ref.T)) <= tol
    np.testing.assert_allclose(traj.loss, loss_ref, rtol=1e-9, atol=tol * scale)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("mode", ["gram", "dense"])
def test_the_dense_twin_gives_the_same_trajectory(kind, mode):
    pb = sensing.make_problem(8, eigenvalues=[4.0, 2.0, 1.0], m=60 if kind == "rank_one" else 30, operator=kind, seed=4)
    twin = _dense_twin(pb.op)
    U0 = sensing.initial_factor(8, 3, 1e-2, 5, batch=2)
    mu = 0.5 * sensing.safe_step_size(pb.op, pb.y, U0)
    kw = dict(step=mu, steps=200, record_every=10, references={"Z*": pb.truth.Z, "X1": pb.truth.truncated(1)})
    a = sensing.gradient_descent(pb.op, pb.y, U0, **kw)
    b = sensing.gradient_descent(twin, pb.y, U0, mode=mode, **kw)
    assert (a.mode, b.mode) == ("factored", mode)
    # 200 steps of per-step round-off C sqrt(n) eps ||A*A|| ||Z*|| (tests/benchmarks/_harness.run_tolerance)
    tol = 10 * 201 * np.sqrt(max(pb.op.m, pb.op.D)) * tolerances.eps() * sensing.operator_norm(pb.op) * np.linalg.norm(pb.truth.Z)
    assert np.max(np.abs(a.U - b.U)) <= tol, np.max(np.abs(a.U - b.U))
    np.testing.assert_allclose(a.loss, b.loss, rtol=1e-9, atol=tol * np.linalg.norm(pb.truth.Z))
    np.testing.assert_allclose(a.eigenvalues, b.eigenvalues, rtol=1e-9, atol=tol)
    np.testing.assert_allclose(a.distances, b.distances, rtol=1e-9, atol=tol)


def test_numba_and_numpy_completion_paths_agree(monkeypatch):
    pb = sensing.make_problem(9, eigenvalues=[3.0, 1.0], m=30, operator="completion", seed=2)
    U0 = sensing.initial_factor(9, 3, 1e-2, 1, batch=2)
    runs = {}
    for backend in ("numba", "numpy"):
        if backend == "numba" and factored._numba() is None:
            continue
        monkeypatch.setattr(factored, "USE_NUMBA", backend == "numba")
        runs[backend] = sensing.gradient_descent(pb.op, pb.y, U0, step=0.02, steps=300)
    if len(runs) == 2:
        a, b = runs["numba"], runs["numpy"]
        # same sums in another order: 300 steps of eps-level rounding, relative to ||U||
        np.testing.assert_allclose(a.U, b.U, rtol=0, atol=300 * 100 * tolerances.eps() * np.abs(b.U).max())
        np.testing.assert_allclose(a.loss, b.loss, rtol=1e-10, atol=1e-14)
    loss = runs["numpy"].loss
    assert np.all(loss[:, -1] < 0.1 * loss[:, 0]), loss[:, [0, -1]]  # it descends (a sanity check)


@pytest.mark.parametrize("kind", KINDS)
def test_float32_run_tracks_float64(kind):
    pb = sensing.make_problem(10, eigenvalues=[4.0, 1.0], m=80 if kind == "rank_one" else 40, operator=kind, seed=6)
    U0 = sensing.initial_factor(10, 2, 1e-2, 1)
    mu = 0.5 * sensing.safe_step_size(pb.op, pb.y, U0)
    a = sensing.gradient_descent(pb.op, pb.y, U0, step=mu, steps=300)
    b = sensing.gradient_descent(pb.op, pb.y, U0, step=mu, steps=300, dtype=np.float32)
    assert b.dtype == "float32" and b.U.dtype == np.float32
    # float32 round-off (eps 1.2e-7) amplified through the growth phase: 1e-4 relative
    np.testing.assert_allclose(b.U, a.U, rtol=0, atol=1e-4 * np.abs(a.U).max())


@pytest.mark.parametrize("kind", KINDS)
def test_records_are_what_they_say(kind):
    pb = sensing.make_problem(8, eigenvalues=[4.0, 2.0, 1.0], m=60 if kind == "rank_one" else 30, operator=kind, seed=2)
    U0 = sensing.initial_factor(8, 3, 1e-2, 3)
    Z1, X2 = pb.truth.truncated(1), pb.truth.X_s(2)
    tr = sensing.gradient_descent(pb.op, pb.y, U0, step=0.01, steps=50, record_every=7,
                                  references={"X1": Z1, "X2": sensing.Factored(X2)}, snapshots=[0, 13, 50])
    assert list(tr.record_steps) == [0, 7, 14, 21, 28, 35, 42, 49, 50]
    assert np.array_equal(tr.snapshots[0], U0) and set(tr.snapshots) == {0, 13, 50}
    U13 = tr.snapshots[13]
    # as tests/test_descent.py: recomputations of the same quantity by another code path
    assert np.isclose(tr.loss[13], sensing.loss(pb.op, pb.y, U13), rtol=1e-10)
    np.testing.assert_allclose(tr.eigenvalues[-1], np.linalg.eigvalsh(tr.U @ tr.U.T)[::-1][:3], rtol=1e-10, atol=1e-14)
    # both distance formulas against the dense difference (QR core: eps (||U||^2 + ||V||^2))
    assert np.isclose(tr.distance("X1")[-1], np.linalg.norm(tr.U @ tr.U.T - Z1), rtol=1e-12)
    assert np.isclose(tr.distance("X2")[-1], np.linalg.norm(tr.U @ tr.U.T - X2 @ X2.T), rtol=1e-12)


def test_factored_distance_keeps_the_round_off_floor_near_the_reference():
    # the expanded ||U^T U||^2 - 2||V^T U||^2 + ||V^T V||^2 would floor at sqrt(eps) ||R|| = 1.5e-8;
    # the QR core stays at eps (||U||^2 + ||V||^2)
    rng = np.random.default_rng(0)
    V = rng.standard_normal((300, 4))
    Q = np.linalg.qr(rng.standard_normal((4, 4)))[0]
    U = V @ Q + 1e-11 * rng.standard_normal((300, 4))
    got, want = factored.factored_distance(U, V), np.linalg.norm(U @ U.T - V @ V.T)
    assert abs(got - want) <= 100 * tolerances.eps() * np.linalg.norm(V) ** 2, (got, want)


def test_factored_references_work_in_the_dense_modes_too():
    pb = sensing.make_problem(7, eigenvalues=[3.0, 1.0], m=50, seed=1)
    U0 = sensing.initial_factor(7, 2, 1e-2, 2)
    X = pb.truth.X
    a = sensing.gradient_descent(pb.op, pb.y, U0, step=0.02, steps=100, references={"Z": pb.truth.Z})
    b = sensing.gradient_descent(pb.op, pb.y, U0, step=0.02, steps=100, references={"Z": sensing.Factored(X)})
    np.testing.assert_allclose(b.distances, a.distances, rtol=1e-9, atol=1e-12)
    assert np.array_equal(a.U, b.U)


# ------------------------------------------------------------------ work and memory per step
def _factored_run(kind, d, m, *, steps=60):
    pb_op = structured(kind, d, m, np.random.default_rng(0))
    X = np.random.default_rng(1).standard_normal((d, 2))
    y = pb_op.forward_factor(X)
    U0 = sensing.initial_factor(d, 3, 1e-2, 2, batch=2)
    mu = 0.1 / (sensing.operator_norm(pb_op) * (np.linalg.norm(X, 2) ** 2 + 1))
    sensing.gradient_descent(pb_op, y, U0, step=mu, steps=2)  # warm: kernels, index tables
    pb_op.counts.update(forward=0, adjoint=0, gram=0)
    tracemalloc.start()
    try:
        sensing.gradient_descent(pb_op, y, U0, step=mu, steps=steps, record_every=10,
                                 references={"X": sensing.Factored(X)})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return pb_op, peak


@pytest.mark.parametrize("kind,m", [("rank_one", 1500), ("completion", 4000)])
def test_the_factored_loop_forms_no_d_by_d_matrix(kind, m):
    # d = 500: one d x d float matrix is 2 MB. The whole traced run (buffers, records, QR of
    # [U, V], the per-run copy of y) must stay below it; one forward and one adjoint per
    # trajectory and step, nothing else
    d, steps = 500, 60
    op, peak = _factored_run(kind, d, m, steps=steps)
    assert peak < d * d * 8, f"{kind}: traced peak {peak / 1e6:.2f} MB >= one d x d matrix ({d * d * 8 / 1e6:.1f} MB)"
    assert op.counts == {"forward": 2 * (steps + 1), "adjoint": 2 * (steps + 1), "gram": 0}, op.counts


def test_the_memory_guard_catches_a_d_by_d_product(monkeypatch):
    # negative control: a step that forms U U^T fails the budget above
    evaluate = factored.FactoredStep.evaluate

    def with_Z(self, quad):
        evaluate(self, quad)
        self.Zk = self.U[0] @ self.U[0].T

    monkeypatch.setattr(factored.FactoredStep, "evaluate", with_Z)
    _, peak = _factored_run("completion", 500, 4000, steps=5)
    assert peak >= 500 * 500 * 8, f"peak {peak / 1e6:.2f} MB did not reach one d x d matrix"


# ------------------------------------------------------------------ divergence and steps
@pytest.mark.parametrize("kind", KINDS)
def test_divergence_raises_with_a_safe_step(kind):
    pb = sensing.make_problem(6, eigenvalues=[4.0, 1.0], m=40 if kind == "rank_one" else 18, operator=kind, seed=3)
    U0 = sensing.initial_factor(6, 2, 0.5, 1)
    safe = sensing.safe_step_size(pb.op, pb.y, U0)
    with pytest.raises(sensing.DivergenceError, match=r"step <= ") as err:
        sensing.gradient_descent(pb.op, pb.y, U0, step=1e4 * safe, steps=500)
    assert np.isclose(err.value.safe_step, safe, rtol=1e-12) and err.value.step_index > 0
    tr = sensing.gradient_descent(pb.op, pb.y, U0, step=safe, steps=500)
    assert np.all(np.isfinite(tr.loss)) and tr.loss[-1] <= tr.loss[0]


# ------------------------------------------------------------------ bad input
def _bad_cases():
    op = sensing.random_completion_operator(10, 4, 0)
    r1 = sensing.rank_one_operator(10, 4, 0)
    y = op.forward(np.eye(4))
    return [
        (lambda: sensing.operator_from_vectors(np.ones(3)), ValueError, "a must be a 2-dimensional"),
        (lambda: sensing.operator_from_vectors([[1.0, np.nan]]), ValueError, "a must be finite"),
        (lambda: sensing.operator_from_vectors(np.ones((0, 3))), ValueError, "a must not be empty"),
        (lambda: sensing.operator_from_vectors("abc"), TypeError, "a must be"),
        (lambda: sensing.completion_operator(4, [0, 1], [1]), ValueError, "same length"),
        (lambda: sensing.completion_operator(4, [0, 4], [1, 2]), ValueError, r"rows must be indices in \[0, d\)"),
        (lambda: sensing.completion_operator(4, [0, 1], [-1, 2]), ValueError, r"cols must be indices in \[0, d\)"),
        (lambda: sensing.completion_operator(4, [0, 2], [2, 0]), ValueError, "duplicate entries"),
        (lambda: sensing.completion_operator(4, [1, 1], [3, 3]), ValueError, "duplicate entries"),
        (lambda: sensing.completion_operator(4, [0.5], [1]), TypeError, "rows must be an array of integer"),
        (lambda: sensing.completion_operator(4, [[0]], [[1]]), ValueError, "rows must be a 1-dimensional"),
        (lambda: sensing.completion_operator(4, [], []), ValueError, "rows must not be empty"),
        (lambda: sensing.completion_operator(0, [0], [0]), ValueError, "d must be at least 1"),
        (lambda: sensing.random_completion_operator(11, 4, 0), ValueError, "only D = 10"),
        (lambda: op.forward(np.eye(3)), ValueError, r"Z must have shape \(4, 4\)"),
        (lambda: op.adjoint(np.ones(3)), ValueError, r"w must have shape \(10,\)"),
        (lambda: op.forward_factor(np.ones((3, 2))), ValueError, "U must have shape"),
        (lambda: r1.adjoint_times(np.ones(3), np.ones((4, 2))), ValueError, "w must have shape"),
        (lambda: r1.forward_product(np.ones((4, 2)), np.ones((4, 3))), ValueError, "P and Q"),
        (lambda: sensing.gradient_descent(op, y, np.ones((4, 2)), step=0.1, steps=3, mode="gram"),
         ValueError, "mode must be 'factored'"),
        (lambda: sensing.descent.NormalMap(op, y, "gram"), ValueError, "no Gram mode"),
        (lambda: sensing.gradient_descent(op, y, np.ones((4, 2)), step=0.1, steps=3, mode="dense"),
         ValueError, "mode must be 'factored'"),
        (lambda: sensing.gradient_descent(sensing.gaussian_operator(10, 4, 0), y, np.ones((4, 2)), step=0.1,
                                          steps=3, mode="factored"), ValueError, "mode 'factored' needs"),
        (lambda: sensing.gradient_descent(op, y[:-1], np.ones((4, 2)), step=0.1, steps=3), ValueError,
         r"y must have shape \(10,\)"),
        (lambda: sensing.gradient_descent(op, y, np.ones((4, 2)), step=0.1, steps=3,
                                          references={"V": sensing.Factored(np.ones((3, 1)))}), ValueError,
         r"references\['V'\] is a factor"),
        (lambda: sensing.Factored(np.array([[np.inf]])), ValueError, "V must be finite"),
        (lambda: op.gram(), ValueError, "forms no Gram matrix"),
    ]


@pytest.mark.parametrize("case", range(len(_bad_cases())))
def test_bad_input_names_the_argument(case):
    fn, exc, match = _bad_cases()[case]
    with pytest.raises(exc, match=match):
        fn()


def test_dense_views_refuse_past_the_memory_limit():
    op = sensing.rank_one_operator(20, 30, 0, gram_memory_limit=1000)
    with pytest.raises(MemoryError, match="gram_memory_limit"):
        op.matrices()
    with pytest.raises(MemoryError, match="factored maps"):
        op.adjoint(np.ones(20))


# ------------------------------------------------------------------ problems, seam, Z*_s
@pytest.mark.parametrize("kind", KINDS)
def test_make_problem_same_seed_same_bits(kind):
    p, q = (sensing.make_problem(6, rank=2, m=20, operator=kind, seed=3) for _ in range(2))
    assert np.array_equal(p.truth.Z, q.truth.Z) and np.array_equal(p.y, q.y)
    other_m = sensing.make_problem(6, rank=2, m=15, operator=kind, seed=3)
    assert np.array_equal(p.truth.Z, other_m.truth.Z)  # the truth's stream does not depend on m
    assert p.op.default_mode() == "factored" and isinstance(p.op, sensing.FactoredOperator)


@pytest.mark.parametrize("kind", KINDS)
def test_the_dynamics_seam_records_factored_runs_like_the_builtin(kind):
    pb = sensing.make_problem(7, eigenvalues=[3.0, 1.0], m=40 if kind == "rank_one" else 24, operator=kind, seed=8)
    U0 = sensing.initial_factor(7, 2, 1e-2, 1, batch=2)
    mu = 0.5 * sensing.safe_step_size(pb.op, pb.y, U0)
    T = 40
    tr = sensing.gradient_descent(pb.op, pb.y, U0, step=mu, steps=T, snapshots=range(T + 1), record_every=5,
                                  references={"Z": pb.truth.Z})
    rec = sensing.dynamics.record(pb, (tr.snapshots[t] for t in range(T + 1)), U0, step=mu, steps=T,
                                  record_every=5, references={"Z": pb.truth.Z})
    assert rec.mode == "factored"
    # the same kernel on the same iterates: the same bits
    assert np.array_equal(rec.loss, tr.loss) and np.array_equal(rec.distances, tr.distances)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("s", [1, 2])
def test_sensing_minimizer_matches_the_dense_path(kind, s):
    pb = sensing.make_problem(9, eigenvalues=[4.0, 2.0, 1.0], m=90 if kind == "rank_one" else 35,
                              operator=kind, seed=7)
    fz = sensing.sensing_minimizer(pb.op, pb.y, s)
    dz = sensing.sensing_minimizer(_dense_twin(pb.op), pb.y, s)
    assert fz.converged and dz.converged, (fz.grad_norm, fz.grad_tol, dz.grad_norm, dz.grad_tol)
    # both are the unique Z*_s computed to round-off: SPREAD_CAP bounds their distance
    err = np.linalg.norm(fz.Z - dz.Z) / np.linalg.norm(dz.Z)
    assert err <= sensing.minimizers.SPREAD_CAP, f"||Z*_s(factored) - Z*_s(dense)|| / ||Z*_s|| = {err:.3g}"
    if kind == "rank_one":  # (with 35 of 45 entries, completion's restarts find other local minima)
        rep = sensing.check_uniqueness(pb.op, pb.y, s, restarts=2, rng=0)
        assert rep.unique, rep.summary()


def test_sensing_minimizer_uses_the_factored_path_at_moderate_d(monkeypatch):
    # d = 120 > 64: the spectral start is ARPACK on v -> A*(y) v and Newton runs MINRES on
    # Hessian-vector products; the dense (d, d) adjoint is never called
    pb = sensing.make_problem(120, eigenvalues=[4.0, 2.0], m=1500, operator="completion", seed=1)
    monkeypatch.setattr(type(pb.op), "_adjoint_dense", lambda self, w: pytest.fail("dense adjoint called"))
    zs = sensing.sensing_minimizer(pb.op, pb.y, 2)
    assert zs.converged, (zs.grad_norm, zs.grad_tol)
    g = sensing.gradient(pb.op, pb.y, zs.U)
    assert np.linalg.norm(g) <= zs.grad_tol


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("s", [1, 3])
def test_normal_space_curvature_by_lanczos_is_the_dense_one(kind, s, monkeypatch):
    # past DENSE_HESSIAN_MAX (d s) lambda+ comes from ARPACK on Hessian-vector products, the
    # rotations' tangent space shifted above the spectrum; forced here at a size the dense
    # Hessian still checks. rtol: ARPACK's tolerance (machine precision relative to lambda+)
    # times the conditioning of lambda+ in H (lambda_max/lambda+, below 10 here), with slack 100
    d, m = (30, 400) if kind == "completion" else (12, 600)
    pb = sensing.make_problem(d, eigenvalues=[4.0, 2.0, 1.0], m=m, operator=kind, seed=3)
    U = sensing.sensing_minimizer(pb.op, pb.y, s).U
    dense = sensing.normal_space_curvature(pb.op, pb.y, U)
    monkeypatch.setattr(sensing.minimizers, "DENSE_HESSIAN_MAX", 0)
    monkeypatch.setattr(sensing.minimizers._FactoredRankS, "hessian",
                        lambda *a: pytest.fail("the dense Hessian was formed"))
    lanczos = sensing.normal_space_curvature(pb.op, pb.y, U)
    assert lanczos == pytest.approx(dense, rel=100 * 10 * tolerances.eps()), (lanczos, dense)
    assert dense > 0


def test_a_completion_instance_at_d_ten_thousand_forms_no_d_by_d_matrix():
    # d = 10^4: the eigenvectors are the streamed Haar frame, y comes from the factor, and Z*
    # (800 MB) is formed only if something reads truth.Z; traced peak within 2x the operator's
    # storage (8 MB for |Omega| = 5 * 10^5) plus the 2-row-block normals (32 MB)
    tracemalloc.start()
    pb = sensing.make_problem(10_000, eigenvalues=[4.0, 2.0, 1.0], m=500_000, operator="completion", seed=0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert pb.truth._Z is None and pb.truth.d == 10_000
    assert peak <= 2 * pb.op.nbytes + 2 * 32e6, f"peak {peak / 1e6:.1f} MB, operator {pb.op.nbytes / 1e6:.1f} MB"
    V = pb.truth.eigenvectors
    np.testing.assert_allclose(V.T @ V, np.eye(3), atol=1e-13)
    # y is A(Z*) from the factor: [A(Z)]_k = sqrt(D/m) Z_ii or sqrt(2D/m) Z_ij (structured.py)
    i, j, X = pb.op.rows[:50], pb.op.cols[:50], pb.truth.X
    D, m = pb.op.D, pb.op.m
    want = np.sqrt(D / m) * np.where(i == j, 1.0, np.sqrt(2.0)) * np.einsum("ik,ik->i", X[i], X[j])
    np.testing.assert_allclose(pb.y[:50], want, rtol=1e-13, atol=1e-13 * np.abs(want).max())


@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize("r", [1, 5, factored.NUMBA_SPECIALISE_MAX_R + 1])
def test_completion_kernels_agree_with_the_public_maps(backend, r):
    # r = 33 exercises the generic (unspecialised) numba kernel
    if backend == "numba" and factored._numba() is None:
        pytest.skip("numba is not installed")
    op = structured("completion", 40, 300, np.random.default_rng(r))
    rng = np.random.default_rng(0)
    y, U = rng.standard_normal(op.m), rng.standard_normal((2, 40, r))
    kern = factored.CompletionKernel(op, y, backend=backend)
    G, q = np.empty_like(U), np.empty(2)
    kern(U, G, q, 0.3)
    for k in range(2):
        res = op.forward_factor(U[k]) - y
        want = 0.3 * op.adjoint_times(res, U[k])
        # sums of at most max(m, d) products in another order: rtol_exact
        np.testing.assert_allclose(G[k], want, rtol=RTOL, atol=RTOL * np.abs(want).max())
        assert np.isclose(q[k], res @ res, rtol=RTOL, atol=0)
