# The batched Gram/dense step split over threads (sensing._batched, issue 14): the same iterates,
# losses and records as the one-thread numpy step, with and without the compiled passes, on the
# symmetric svec coordinates and on the asymmetric lift's padded ones. Timings:
# tests/benchmarks/test_bench_hot_loop.py (test_batch_floor).
import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import sensing
from sensing import _batched, tolerances
from sensing import asymmetric as asy
from sensing.descent import GradientStep, NormalMap


def _problem(d=12, m=150, seed=4):
    pb = sensing.make_problem(d, eigenvalues=[4.0, 2.0, 1.0], m=m, seed=seed)
    return pb.op, pb.y, pb.truth


def _steps(normal, U0, threads, n=15, kernels=True, fused=False):
    U = np.array(U0, dtype=normal.dtype, order="C")
    st = GradientStep(normal, U, 0.02, threads=threads)
    if threads:
        assert st.passes is not None and st.passes.n == min(threads, U.shape[0])
        if not kernels:
            st.passes.kern = None
    else:
        assert st.passes is None
    q = np.empty(U.shape[0], dtype=normal.dtype)
    losses = []
    for _ in range(n):
        if fused:  # what gradient_descent runs between its records
            st.step(q)
        else:
            st.evaluate(q)
            st.update()
        losses.append(q.copy())
    return U, np.array(losses), st.Z.copy()


@pytest.mark.parametrize("fused", [False, True], ids=["evaluate+update", "step"])
@pytest.mark.parametrize("kernels", [True, False], ids=["numba", "numpy"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("mode", ["gram", "dense"])
@pytest.mark.parametrize("threads", [2, 3])
def test_split_step_matches_the_numpy_step(mode, dtype, kernels, threads, fused, monkeypatch):
    if kernels and _batched.kernels() is None:
        pytest.skip("numba is not installed")
    monkeypatch.setattr(_batched, "SUB_BLOCK", 2)  # several sub-blocks per thread's block
    op, y, _ = _problem()
    U0 = sensing.initial_factor(12, 5, 0.1, 7, batch=5)  # 5 rows: uneven blocks
    normal = NormalMap(op, y, mode, dtype)
    U_ref, q_ref, Z_ref = _steps(normal, U0, 0)
    U, q, Z = _steps(normal, U0, threads, kernels=kernels, fused=fused)
    rtol = 100 * tolerances.eps(dtype)
    np.testing.assert_allclose(U, U_ref, rtol=rtol, atol=rtol * np.abs(U_ref).max())
    np.testing.assert_allclose(q, q_ref, rtol=rtol, atol=rtol * np.abs(q_ref).max())
    if not fused:  # a fused step keeps Z in per-thread scratch; evaluate keeps the whole batch's
        # Z is the full symmetric U U^T (the records and the lift's hook read it)
        np.testing.assert_allclose(Z, Z_ref, rtol=rtol, atol=rtol * np.abs(Z_ref).max())
        assert np.array_equal(Z, Z.transpose(0, 2, 1))


@pytest.mark.parametrize("fused", [False, True], ids=["evaluate+update", "step"])
@pytest.mark.parametrize("kernels", [True, False], ids=["numba", "numpy"])
def test_split_step_on_the_asymmetric_lift(kernels, fused):
    # padded coordinates: the off-diagonal block of S^{d1+d2}; M's diagonal blocks stay zero
    if kernels and _batched.kernels() is None:
        pytest.skip("numba is not installed")
    pb = asy.make_problem(6, 4, singular_values=[3.0, 1.0], m=120, seed=1)
    F0, G0 = asy.initial_factors(6, 4, 3, 0.1, 2, batch=4)
    W0 = asy.lift(F0, G0)
    normal = NormalMap(pb.op, pb.y, "gram")
    assert normal.padded
    U_ref, q_ref, _ = _steps(normal, W0, 0)
    U, q, _ = _steps(normal, W0, 2, kernels=kernels, fused=fused)
    rtol = 100 * tolerances.eps()
    np.testing.assert_allclose(U, U_ref, rtol=rtol, atol=rtol * np.abs(U_ref).max())
    np.testing.assert_allclose(q, q_ref, rtol=rtol, atol=rtol * np.abs(q_ref).max())


def test_gradient_descent_takes_the_split_step_where_it_pays(monkeypatch):
    # with 2 BLAS threads and the size threshold lowered, the public loop splits the batch; every
    # row still agrees with its own single run to round-off, and the records are unchanged
    op, y, truth = _problem()
    U0 = sensing.initial_factor(12, 5, 1e-2, 3, batch=4)
    kw = dict(step=0.02, steps=60, record_every=10, references={"Z*": truth.Z})
    ref = sensing.gradient_descent(op, y, U0, **kw)
    used = []
    real = _batched.Passes.__init__

    def spy(self, *args, **kwargs):
        used.append(True)
        real(self, *args, **kwargs)

    monkeypatch.setattr(_batched, "MIN_WORK", 0)
    monkeypatch.setattr(_batched.Passes, "__init__", spy)
    with threadpool_limits(2, user_api="blas"):
        tr = sensing.gradient_descent(op, y, U0, **kw)
    assert used, "the batched run did not take the split step"
    np.testing.assert_allclose(tr.U, ref.U, rtol=1e-12, atol=1e-12 * np.abs(ref.U).max())
    np.testing.assert_allclose(tr.loss, ref.loss, rtol=1e-10, atol=1e-14 * ref.loss[:, 0].max())
    np.testing.assert_allclose(tr.distances, ref.distances, rtol=1e-10, atol=1e-12)
    for k in range(4):
        one = sensing.gradient_descent(op, y, U0[k], **kw)
        np.testing.assert_allclose(tr.U[k], one.U, rtol=1e-12, atol=1e-12 * np.abs(one.U).max())


def test_the_split_follows_the_blas_thread_limit(monkeypatch):
    # one BLAS thread (the test suite's pinning, a reproduce run): no split, no extra threads
    monkeypatch.setattr(_batched, "MIN_WORK", 0)
    with threadpool_limits(1, user_api="blas"):
        assert not _batched.wanted(64, 50, 50)
    with threadpool_limits(2, user_api="blas"):
        assert _batched.wanted(64, 50, 50)
        assert not _batched.wanted(1, 50, 50)  # a single trajectory: symv, nothing to split
        assert not _batched.wanted(64, 100, 100)  # OpenBLAS threads these products itself


def test_a_failing_block_raises_its_own_error_and_the_next_step_still_runs(monkeypatch):
    # the Gram split's blocks meet at a barrier: a block that raises must not leave the other
    # waiting (a hang), the caller gets the real error, and the state is usable afterwards
    op, y, _ = _problem()
    U0 = sensing.initial_factor(12, 5, 0.1, 7, batch=6)
    normal = NormalMap(op, y, "gram")
    st = GradientStep(normal, np.array(U0, order="C"), 0.02, threads=2)
    assert st.passes.phased
    real = st.passes._pre

    def broken(i, *args):
        if i == 1:
            raise FloatingPointError("block 1 failed")
        real(i, *args)

    monkeypatch.setattr(st.passes, "_pre", broken)
    q = np.empty(6)
    with pytest.raises(FloatingPointError, match="block 1 failed"):
        st.step(q)
    monkeypatch.setattr(st.passes, "_pre", real)
    st.step(q)
    U_ref, q_ref, _ = _steps(normal, U0, 0, n=1)
    np.testing.assert_allclose(st.U, U_ref, rtol=1e-13, atol=1e-13 * np.abs(U_ref).max())
    np.testing.assert_allclose(q, q_ref[0], rtol=1e-12)


def test_two_threads_running_split_batches_at_once_get_their_own_results(monkeypatch):
    # each calling thread has its own pool: two callers' blocks cannot fill one pool and leave a
    # block waiting at the barrier for a thread that never starts
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setattr(_batched, "MIN_WORK", 0)
    op, y, _ = _problem()
    U0s = [sensing.initial_factor(12, 5, 1e-2, s, batch=4) for s in (1, 2)]
    kw = dict(step=0.02, steps=40)
    refs = [sensing.gradient_descent(op, y, U0, **kw) for U0 in U0s]
    used = []
    real = _batched.Passes.__init__

    def spy(self, *args, **kwargs):
        used.append(True)
        real(self, *args, **kwargs)

    monkeypatch.setattr(_batched.Passes, "__init__", spy)
    with threadpool_limits(2, user_api="blas"), ThreadPoolExecutor(2) as callers:
        runs = list(callers.map(lambda U0: sensing.gradient_descent(op, y, U0, **kw), U0s * 3))
        # each split step sets BLAS to one thread while it runs; the last one out restores 2
        assert _batched.blas_threads() == 2
    assert len(used) == 6, "the concurrent runs did not take the split step"
    for k, tr in enumerate(runs):
        ref = refs[k % 2]
        np.testing.assert_allclose(tr.U, ref.U, rtol=1e-12, atol=1e-12 * np.abs(ref.U).max())
        np.testing.assert_allclose(tr.loss, ref.loss, rtol=1e-10, atol=1e-14 * ref.loss[:, 0].max())


@pytest.mark.parametrize("kernels", [True, False], ids=["numba", "numpy"])
@pytest.mark.parametrize("threads", [0, 2, 3], ids=["unsplit", "2 threads", "3 threads"])
@pytest.mark.parametrize("mode", ["gram", "dense"])
def test_several_steps_in_one_pass_equal_as_many_single_steps_bit_for_bit(mode, threads, kernels):
    # GradientStep.steps (what gradient_descent runs between two stops) against step() n times:
    # the same iterates and quadratic forms, to the bit, and one operator application per
    # trajectory per step
    if kernels and threads and _batched.kernels() is None:
        pytest.skip("numba is not installed")
    op, y, _ = _problem()
    U0 = sensing.initial_factor(12, 5, 0.1, 7, batch=5)
    runs = []
    for many in (False, True):
        normal = NormalMap(op, y, mode)
        st = GradientStep(normal, np.array(U0, order="C"), 0.02, threads=threads)
        if threads and not kernels:
            st.passes.kern = None
        Q = np.empty((7, 5))
        before = dict(op.counts)
        if many:
            st.steps(Q)
        else:
            for q in Q:
                st.step(q)
        used = {k: op.counts[k] - before.get(k, 0) for k in op.counts}
        runs.append((st.U.copy(), Q, used))
    (U1, Q1, used1), (U2, Q2, used2) = runs
    assert np.array_equal(U2, U1), f"max |difference| {np.abs(U2 - U1).max():.3g}"
    assert np.array_equal(Q2, Q1)
    assert used2 == used1
    applied = {k: v for k, v in used2.items() if v}
    assert applied == ({"gram": 35} if mode == "gram" else {"forward": 35, "adjoint": 35}), applied


def test_several_steps_need_the_fused_update():
    op, y, _ = _problem()
    normal = NormalMap(op, y, "gram")
    st = GradientStep(normal, np.array(sensing.initial_factor(12, 5, 0.1, 7, batch=4), order="C"), 0.02, threads=2)
    e, g, r = normal._work(4)
    with pytest.raises(ValueError, match="several steps at once .3 rows of q. need update=True"):
        st.passes.evaluate(e, g, r, np.empty((3, 4)), normal.out_weights(0.02), update=False)


def test_a_failing_block_in_a_multi_step_pass_raises_and_does_not_hang(monkeypatch):
    # the third of five steps fails in block 1: the error reaches the caller, no block waits
    op, y, _ = _problem()
    normal = NormalMap(op, y, "gram")
    st = GradientStep(normal, np.array(sensing.initial_factor(12, 5, 0.1, 7, batch=6), order="C"), 0.02,
                      threads=2)
    real, calls = st.passes._pre, []

    def broken(i, *args):
        if i == 1:
            calls.append(1)
            if len(calls) == 3:
                raise FloatingPointError("block 1 failed at its third step")
        real(i, *args)

    monkeypatch.setattr(st.passes, "_pre", broken)
    with pytest.raises(FloatingPointError, match="third step"):
        st.steps(np.empty((5, 6)))
