import numpy as np
import pytest
from hypothesis import given, strategies as st

import sensing
from sensing.reference import plain_gradient_descent
from tests.instances import small_problems

MODES = {"gaussian": ("gram", "dense"), "paper": ("gram", "dense"), "matrices": ("gram", "dense"),
         "identity": ("auto",)}


@given(small_problems(), st.integers(1, 4), st.integers(0, 30), st.data())
def test_gradient_descent_matches_the_plain_implementation(problem, r, steps, data):
    op, y, Z, rng = problem
    U0 = 0.1 * rng.standard_normal((op.d, r))
    mu = 0.2 * sensing.safe_step_size(op, y, U0)
    mode = data.draw(st.sampled_from(MODES[op.kind]), label="mode")
    traj = sensing.gradient_descent(op, y, U0, step=mu, steps=steps, mode=mode, record_every=1)
    U_ref, loss_ref = plain_gradient_descent(op.matrices(), y, U0, mu, steps)
    scale = np.linalg.norm(Z) + np.linalg.norm(U0) ** 2
    # both runs round differently at every step; steps * ||A*A|| * eps * scale bounds the drift
    tol = 1e-12 * (steps + 1) * sensing.operator_norm(op) * scale
    assert np.max(np.abs(traj.U @ traj.U.T - U_ref @ U_ref.T)) <= tol
    np.testing.assert_allclose(traj.loss, loss_ref, rtol=1e-9, atol=tol * scale)


@given(small_problems(kinds=("gaussian", "identity")), st.integers(2, 5), st.integers(1, 25))
def test_batched_runs_equal_their_single_runs(problem, K, steps):
    op, y, Z, rng = problem
    U0 = 0.1 * rng.standard_normal((K, op.d, 2))
    mu = 0.2 * sensing.safe_step_size(op, y, U0)
    refs = {"Z": Z}
    batch = sensing.gradient_descent(op, y, U0, step=mu, steps=steps, references=refs, record_every=3)
    assert batch.U.shape == U0.shape and batch.loss.shape == (K, steps + 1)
    for k in range(K):
        one = sensing.gradient_descent(op, y, U0[k], step=mu, steps=steps, references=refs, record_every=3)
        scale = np.linalg.norm(Z) + 1
        np.testing.assert_allclose(batch.U[k], one.U, rtol=1e-10, atol=1e-12 * scale)
        np.testing.assert_allclose(batch.loss[k], one.loss, rtol=1e-9, atol=1e-12 * scale ** 2)
        np.testing.assert_allclose(batch.distances[k], one.distances, rtol=1e-9, atol=1e-12 * scale)


def test_same_seed_gives_bitwise_identical_trajectories():
    runs = []
    for _ in range(2):
        pb = sensing.make_problem(10, eigenvalues=[4.0, 2.0, 1.0], m=80, seed=11)
        U0 = sensing.initial_factor(10, 4, 1e-2, 5)
        runs.append(sensing.gradient_descent(pb.op, pb.y, U0, step=0.02, steps=200))
    assert np.array_equal(runs[0].U, runs[1].U) and np.array_equal(runs[0].loss, runs[1].loss)


def test_records_are_what_they_say():
    pb = sensing.make_problem(8, eigenvalues=[4.0, 2.0, 1.0], m=60, seed=2)
    U0 = sensing.initial_factor(8, 3, 1e-2, 3)
    Z1 = pb.truth.truncated(1)
    tr = sensing.gradient_descent(pb.op, pb.y, U0, step=0.02, steps=50, record_every=7,
                                  references={"X1": Z1}, snapshots=[0, 13, 50])
    assert list(tr.record_steps) == [0, 7, 14, 21, 28, 35, 42, 49, 50]
    assert np.array_equal(tr.snapshots[0], U0) and set(tr.snapshots) == {0, 13, 50}
    np.testing.assert_array_equal(tr.snapshots[50], tr.U)
    U13 = tr.snapshots[13]
    assert np.isclose(tr.loss[13], sensing.loss(pb.op, pb.y, U13), rtol=1e-10)
    last = np.linalg.eigvalsh(tr.U @ tr.U.T)[::-1][:3]
    np.testing.assert_allclose(tr.eigenvalues[-1], last, rtol=1e-10, atol=1e-14)
    assert np.isclose(tr.distance("X1")[-1], np.linalg.norm(tr.U @ tr.U.T - Z1), rtol=1e-12)


def test_one_operator_application_per_step():
    # the deterministic guard of the hot loop: T+1 loss evaluations, each one Gram product
    # (or one forward and one adjoint), per trajectory; nothing hidden.
    pb = sensing.make_problem(8, eigenvalues=[4.0, 2.0], m=60, seed=2)
    for mode, keys in (("gram", {"gram"}), ("dense", {"forward", "adjoint"})):
        for K in (None, 3):
            U0 = sensing.initial_factor(8, 2, 1e-2, 3, batch=K)
            pb.op.counts.update(forward=0, adjoint=0, gram=0)
            sensing.gradient_descent(pb.op, pb.y, U0, step=0.02, steps=40, mode=mode, record_every=5)
            want = {k: (41 * (K or 1) if k in keys else 0) for k in pb.op.counts}
            assert pb.op.counts == want, f"{mode}, K={K}: counts {pb.op.counts}, expected {want}"


def test_float32_tracks_float64():
    pb = sensing.make_problem(10, eigenvalues=[4.0, 2.0], m=100, seed=4)
    U0 = sensing.initial_factor(10, 3, 1e-2, 1)
    a = sensing.gradient_descent(pb.op, pb.y, U0, step=0.02, steps=300)
    b = sensing.gradient_descent(pb.op, pb.y, U0, step=0.02, steps=300, dtype=np.float32)
    assert b.U.dtype == np.float32
    rel = np.linalg.norm(a.U @ a.U.T - b.U.astype(float) @ b.U.T.astype(float)) / np.linalg.norm(pb.truth.Z)
    assert rel < 1e-4, f"float32 drifted {rel:.2e} from float64"


def test_divergence_is_detected_and_the_suggested_step_is_safe():
    pb = sensing.make_problem(10, eigenvalues=[10.0, 5.0], m=120, seed=0)
    U0 = sensing.initial_factor(10, 4, 1e-2, 1)
    with pytest.raises(sensing.DivergenceError, match=r"step <= ") as info:
        sensing.gradient_descent(pb.op, pb.y, U0, step=1.0, steps=200)
    safe = info.value.safe_step
    assert 0 < safe < 1.0
    tr = sensing.gradient_descent(pb.op, pb.y, U0, step=safe, steps=3000)
    assert np.all(np.isfinite(tr.loss)) and tr.loss[-1] < tr.loss[0]


def test_full_observation_never_forms_a_gram_matrix():
    op = sensing.identity_operator(6)
    gt = sensing.ground_truth_from_spectrum([3.0, 1.0], 6, 0)
    tr = sensing.gradient_descent(op, op.forward(gt.Z), sensing.initial_factor(6, 2, 1e-3, 0), step=0.05, steps=500)
    assert tr.mode == "identity" and op._gram == {} and op.counts["gram"] == 0
    assert np.linalg.norm(tr.U @ tr.U.T - gt.Z) < 1e-8


def test_loss_record_is_exact_for_noisy_measurements():
    # y outside the range of A (noise, m > D): the recorded loss keeps the unexplained residual
    pb = sensing.make_problem(6, eigenvalues=[3.0, 1.0], m=60, seed=3)
    y = pb.y + 0.1 * np.random.default_rng(0).standard_normal(pb.op.m)
    U0 = sensing.initial_factor(6, 2, 1e-1, 1)
    for mode in ("gram", "dense"):
        tr = sensing.gradient_descent(pb.op, y, U0, step=0.02, steps=30, mode=mode, snapshots=[30])
        direct = sensing.loss(pb.op, y, tr.snapshots[30])
        assert np.isclose(tr.loss[30], direct, rtol=1e-10), f"{mode}: recorded {tr.loss[30]!r}, direct {direct!r}"


def test_operator_norm_is_repeatable():
    # ARPACK from a fixed start vector: safe steps and tolerances derived from it are bitwise stable
    norms = {sensing.operator_norm(sensing.gaussian_operator(300, 8, 5)) for _ in range(3)}
    assert len(norms) == 1, f"operator_norm varies between calls: {norms}"
