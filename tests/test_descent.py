import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st

import sensing
from sensing.reference import plain_gradient_descent
from tests.instances import STRUCTURED_KINDS, small_problems

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


@given(small_problems(kinds=("gaussian", "identity") + STRUCTURED_KINDS), st.integers(2, 5), st.integers(1, 25))
def test_batched_runs_equal_their_single_runs(problem, K, steps):
    # a batch rounds like its single runs up to the order of independent per-trajectory sums, in
    # every mode (the factored one of sensing.structured included, with a Factored reference)
    op, y, Z, rng = problem
    U0 = 0.1 * rng.standard_normal((K, op.d, 2))
    mu = 0.2 * sensing.safe_step_size(op, y, U0)
    refs = {"Z": Z, "F": sensing.Factored(np.linalg.cholesky(Z + np.eye(op.d)))}
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


def test_snapshot_stack_is_the_loops_own_buffer_in_step_order():
    # the snapshots are views of one buffer (no second copy of the largest array of a run, e.g.
    # spectral's at d = 10^4); a batch's select(k) keeps its slice; a trajectory assembled
    # elsewhere stacks its dict
    pb = sensing.make_problem(8, eigenvalues=[4.0, 2.0, 1.0], m=60, seed=2)
    U0 = np.stack([sensing.initial_factor(8, 3, a, 3) for a in (1e-2, 1e-3)])
    tr = sensing.gradient_descent(pb.op, pb.y, U0, step=0.02, steps=20, snapshots=[20, 0, 7])
    stack = tr.snapshot_stack()
    assert stack.shape == (3, 2, 8, 3)
    for i, t in enumerate([0, 7, 20]):
        assert np.shares_memory(stack, tr.snapshots[t])
        np.testing.assert_array_equal(stack[i], tr.snapshots[t])
    np.testing.assert_array_equal(stack[0], U0)
    np.testing.assert_array_equal(stack[-1], tr.U)
    one = tr.select(1)
    np.testing.assert_array_equal(one.snapshot_stack(), stack[:, 1])
    rebuilt = sensing.Trajectory(tr.U, tr.loss, tr.record_steps, tr.eigenvalues, tr.distances,
                                 tr.reference_names, {t: v.copy() for t, v in tr.snapshots.items()})
    np.testing.assert_array_equal(rebuilt.snapshot_stack(), stack)


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


# ---------------------------------------------------------------- stagnation (issue 9)
def _oscillating_run():
    # d = 8, m = 80, eig(Z*) = (4, 2, 1), r = 3: at 10x safe_step_size GD reaches 6e-4 by step
    # ~100, then settles into an oscillation between 0.223 and 0.288 that neither converges nor
    # diverges (at 8x it still converges to 3e-30; at 20x it diverges by step 16)
    pb = sensing.make_problem(8, eigenvalues=[4.0, 2.0, 1.0], m=80, seed=0)
    U0 = sensing.initial_factor(8, 3, 1e-2, 1)
    safe = sensing.safe_step_size(pb.op, pb.y, U0)
    return pb, U0, safe


def test_a_step_ten_times_the_safe_step_oscillates_and_is_flagged_as_stagnating():
    pb, U0, safe = _oscillating_run()
    with pytest.warns(sensing.StagnationWarning, match=r"stagnated.*10 x safe_step_size") as rec:
        tr = sensing.gradient_descent(pb.op, pb.y, U0, step=10 * safe, steps=2000)
    L = tr.loss
    # the premise: finite, no divergence, but no progress over the second half of the run and
    # a loss that still moves by a macroscopic amount there (an oscillation, not a plateau)
    assert np.all(np.isfinite(L)) and L.max() < 10 * L[0], f"max loss {L.max():.3g}, f(U_0) = {L[0]:.3g}"
    late, early = L[1000:].min(), L[:1000].min()
    assert late >= early and np.ptp(L[-200:]) > 1e-2 * L[0], (
        f"min loss over steps 1000..2000 = {late:.4g} vs {early:.4g} before; "
        f"range over the last 200 steps {np.ptp(L[-200:]):.3g}")
    assert tr.stagnation is not None and tr.stagnation == str(rec[0].message), tr.stagnation
    assert tr.stagnation_by_run == (tr.stagnation,)


def test_stagnation_is_reported_per_run_of_a_batch():
    pb, U0, safe = _oscillating_run()
    U0b = np.stack([U0, 0.5 * U0])
    with pytest.warns(sensing.StagnationWarning, match=r"run 0: .*run 1: "):
        tr = sensing.gradient_descent(pb.op, pb.y, U0b, step=10 * safe, steps=2000)
    assert all(tr.stagnation_by_run) and tr.select(1).stagnation == tr.stagnation_by_run[1]


@pytest.mark.parametrize("case", ["safe step", "incremental plateaus", "positive minimum", "noisy y"])
def test_ordinary_runs_are_not_flagged_as_stagnating(case):
    pb = sensing.make_problem(10, eigenvalues=[4.0, 2.0, 1.0], m=120, seed=3)
    y, r, alpha, steps = pb.y, 3, 1e-2, 3000
    if case == "incremental plateaus":  # alpha = 1e-10: plateaus of ~250 steps at 1 % per 100 steps
        r, alpha, steps = 4, 1e-10, 4000
    elif case == "positive minimum":  # r = 1 < r* = 3: the loss settles at f(Z*_1) > 0
        r = 1
    elif case == "noisy y":  # y outside the range of A: the loss settles at the residual
        y = y + 0.1 * np.random.default_rng(0).standard_normal(pb.op.m)
    U0 = sensing.initial_factor(10, r, alpha, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", sensing.StagnationWarning)
        tr = sensing.gradient_descent(pb.op, y, U0, step=0.02, steps=steps)
    assert tr.stagnation is None, tr.stagnation
    if case == "incremental plateaus":  # the premise: plateaus longer than a window-free rule allows
        rel = np.abs(L := tr.loss)[100:] / L[:-100]
        assert np.any(rel > 0.99), f"no plateau: max loss ratio over 100 steps {rel.max():.3g}"
    if case in ("positive minimum", "noisy y"):  # the premise: settled well above round-off
        assert tr.loss[-1] > 1e-6 * tr.loss[0] and np.ptp(tr.loss[-300:]) <= 1e-12 * tr.loss[0], (
            f"final loss {tr.loss[-1]:.3g}, last-300-step range {np.ptp(tr.loss[-300:]):.3g}")


def test_the_stagnation_rule_flags_only_a_non_monotone_loss_without_progress():
    # the rule's own control, on synthetic records (W = 100, tol = 1e-12)
    t = np.arange(2001)
    detect = lambda L: sensing.detect_stagnation(L, tol=1e-12, window=100)  # noqa: E731
    plateau = 1.0 + np.exp(-t / 50.0) + 1e-9 * (2001 - t)  # slow but steady decrease
    floor = 1e-30 * (1 + 0.1 * np.random.default_rng(0).standard_normal(t.size))  # converged
    settled = 0.25 + 1e-3 * np.exp(-t / 30.0)  # at a positive minimum
    cycle = 0.25 + 0.03 * (t % 2)  # a period-2 oscillation
    assert detect(plateau) is None and detect(floor) is None and detect(settled) is None
    found = detect(cycle)
    assert found is not None and found["min"] == 0.25 and found["max"] == 0.28, found
    # a cycle whose minimum still decreases by more than tol per window is progress, not stagnation
    assert detect(cycle - 1e-6 * t) is None
