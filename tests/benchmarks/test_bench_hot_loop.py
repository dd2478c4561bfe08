"""Benchmarks of the hot GD loop against the einsum reference and against the machine itself.

Order matters: the machine's own throughput and the einsum reference are measured first, so that
each fast-path benchmark can store its ratio in ``extra_info``; ``conftest.py`` prints the full
ratio table and the issue's targets at the end of the run. Every timed result is checked for
correctness after timing (the fast path agrees with the reference to round-off).
"""
import numpy as np
import pytest
from scipy.linalg import get_blas_funcs

import sensing
from sensing.descent import GradientStep, NormalMap
from sensing.reference import plain_gradient_descent
from tests.benchmarks import _harness as H

INSTANCES = [pytest.param(i, id=H.inst_id(i)) for i in H.INSTANCES]
HEADLINE = [pytest.param(H.HEADLINE, id=H.inst_id(H.HEADLINE))]
DIMS = sorted({d for d, _, _ in H.INSTANCES})


# ---------------------------------------------------------------- the machine
def test_machine_dgemm(benchmark):
    # this machine's dense matrix-multiply throughput: a large square A @ B
    benchmark.group = "machine"
    n = 2000
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((n, n)), rng.standard_normal((n, n))
    C = benchmark.pedantic(np.matmul, args=(A, B), rounds=15, warmup_rounds=1)  # the peak: many rounds
    H.record(benchmark, "machine/dgemm", flops=2.0 * n ** 3)
    assert np.allclose(C[:3, :3], A[:3] @ B[:, :3])


@pytest.mark.parametrize("d", DIMS)
@pytest.mark.parametrize("kind", ["symv", "gemv"])
def test_machine_matvec(benchmark, d, kind):
    # a bare D x D matrix-vector product on the instance's own G: the single Gram step's ceiling
    benchmark.group = "machine"
    m = max(m for dd, m, _ in H.INSTANCES if dd == d)
    G = H.problem(d, m).op.gram()
    D = G.shape[0]
    x, out = np.random.default_rng(0).standard_normal(D), np.empty(D)
    if kind == "symv":
        symv = get_blas_funcs("symv", (G,))
        benchmark(symv, 1.0, G, x, y=out, overwrite_y=1)
        nbytes = 8.0 * D * (D + 1) / 2
    else:
        benchmark(np.matmul, G, x, out=out)
        nbytes = 8.0 * D * D
    H.record(benchmark, f"machine/{kind}/D{D}", flops=2.0 * D * D, bytes=nbytes)
    np.testing.assert_allclose(out, G @ x, rtol=1e-12, atol=1e-12 * np.abs(G).sum(1).max() * np.abs(x).max())


@pytest.mark.parametrize("K", [16, 64])
@pytest.mark.parametrize("d", DIMS)
def test_machine_gemm_batch_shape(benchmark, d, K):
    # a bare (K x D) @ (D x D) GEMM: the batched Gram step's ceiling at this shape
    benchmark.group = "machine"
    m = max(m for dd, m, _ in H.INSTANCES if dd == d)
    G = H.problem(d, m).op.gram()
    D = G.shape[0]
    E, out = np.random.default_rng(0).standard_normal((K, D)), np.empty((K, D))
    benchmark(np.matmul, E, G, out=out)
    H.record(benchmark, f"machine/gemm/D{D}/K{K}", flops=2.0 * K * D * D)
    np.testing.assert_allclose(out[0], G @ E[0], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("mbytes", [13, 100])
def test_machine_read_bandwidth(benchmark, mbytes):
    # streaming read of a G-sized (13 MB at d = 50) and an einsum-tensor-sized (100 MB) array
    benchmark.group = "machine"
    x = np.ones(mbytes * 2 ** 20 // 8)
    s = benchmark(np.add.reduce, x)
    H.record(benchmark, f"machine/read/{mbytes}MB", bytes=float(x.nbytes))
    assert s == x.size


# ------------------------------------------------------------- the reference
@pytest.mark.parametrize("inst", INSTANCES)
def test_einsum_step(benchmark, inst):
    benchmark.group = f"step {H.inst_id(inst)}"
    d, m, r = inst
    pb, A, U0 = H.problem(d, m), H.tensor(d, m), H.initial(d, r)
    U1, L0 = benchmark(H.einsum_step, A, pb.y, U0, H.STEP)
    flops, nbytes = H.einsum_cost(d, m, r)
    H.record(benchmark, f"einsum/step/{H.inst_id(inst)}", flops=flops, bytes=nbytes)
    U_ref, losses = plain_gradient_descent(A, pb.y, U0, H.STEP, 1)  # literally the reference's step
    assert np.array_equal(U1, U_ref) and L0 == losses[0]


@pytest.mark.parametrize("inst", INSTANCES)
def test_einsum_run(benchmark, inst):
    benchmark.group = f"run {H.inst_id(inst)}"
    d, m, r = inst
    pb, A, U0 = H.problem(d, m), H.tensor(d, m), H.initial(d, r)
    U, loss = benchmark.pedantic(plain_gradient_descent, args=(A, pb.y, U0, H.STEP, H.RUN_STEPS),
                                 rounds=3, iterations=1)
    flops, nbytes = H.einsum_cost(d, m, r)
    H.record(benchmark, f"einsum/run/{H.inst_id(inst)}", per=H.RUN_STEPS, flops=flops * H.RUN_STEPS,
             bytes=nbytes * H.RUN_STEPS)
    H.LEDGER[f"einsum/run/{H.inst_id(inst)}"]["result"] = (U, loss)
    assert np.all(np.isfinite(loss))


@pytest.mark.parametrize("K", [16, 64])
@pytest.mark.parametrize("inst", INSTANCES)
def test_einsum_batch(benchmark, inst, K):
    # the same work as a K-trajectory batch: K reference steps, one trajectory at a time
    benchmark.group = f"batch {H.inst_id(inst)} K={K}"
    d, m, r = inst
    pb, A, U0 = H.problem(d, m), H.tensor(d, m), H.initial(d, r, K)

    def k_steps():
        return [H.einsum_step(A, pb.y, U0[k], H.STEP) for k in range(K)]

    out = benchmark.pedantic(k_steps, rounds=3, iterations=1)
    flops, nbytes = H.einsum_cost(d, m, r)
    H.record(benchmark, f"einsum/batch/{H.inst_id(inst)}/K{K}", per=K, flops=K * flops, bytes=K * nbytes)
    assert len(out) == K


# ------------------------------------------------------------- the fast path
def _check_one_step(d, m, U0, state, fused=False):
    """The fast path's first step (``evaluate`` + ``update``, or the fused ``step``) agrees with the
    einsum reference's to round-off, per trajectory."""
    pb, A = H.problem(d, m), H.tensor(d, m)
    q = np.empty(U0.shape[0])
    if fused:
        state.step(q)
    else:
        state.evaluate(q)
        state.update()
    for k in range(U0.shape[0]):
        U1, L0 = H.einsum_step(A, pb.y, U0[k], H.STEP)
        err = np.linalg.norm(state.U[k] - U1)
        tol = H.STEP * H.grad_roundoff(d, m, U0[k])
        assert err <= tol, f"trajectory {k}: ||U_1 - U_1(einsum)|| = {err:.3g} > {tol:.3g}"
        L = 0.25 * (q[k] + state.normal.c)
        assert abs(L - L0) <= 1e-12 * L0 + H.loss_floor(d, m), f"trajectory {k}: loss {L!r} vs einsum {L0!r}"


@pytest.mark.parametrize("inst", INSTANCES)
def test_step(benchmark, inst):
    # one GD step of one trajectory: exactly the body of gradient_descent's loop
    benchmark.group = f"step {H.inst_id(inst)}"
    d, m, r = inst
    H.warm(d, m)
    state, q = H.fast_state(d, m, H.initial(d, r))

    def one_step():
        state.evaluate(q)
        state.update()

    benchmark(one_step)
    mode = state.normal.mode
    flops, nbytes = H.step_cost(d, m, r, 1, mode)
    name = H.inst_id(inst)
    e = H.record(benchmark, f"fast/step/{name}", flops=flops, bytes=nbytes, mode=mode)
    if e:
        benchmark.extra_info["speedup_vs_einsum"] = H.ratio(f"einsum/step/{name}", f"fast/step/{name}")
        D = d * (d + 1) // 2
        benchmark.extra_info["fraction_of_bare_symv"] = H.ratio(f"machine/symv/D{D}", f"fast/step/{name}")
    U0 = H.initial(d, r)[None]
    _check_one_step(d, m, U0, H.fast_state(d, m, U0)[0])


@pytest.mark.parametrize("inst", INSTANCES)
def test_run(benchmark, inst):
    # a 1000-step run through the public API, with its default recording (about 200 records)
    benchmark.group = f"run {H.inst_id(inst)}"
    d, m, r = inst
    H.warm(d, m)
    pb, U0 = H.problem(d, m), H.initial(d, r)
    tr = benchmark.pedantic(sensing.gradient_descent, args=(pb.op, pb.y, U0),
                            kwargs=dict(step=H.STEP, steps=H.RUN_STEPS), rounds=5, warmup_rounds=1)
    name = H.inst_id(inst)
    flops, nbytes = H.step_cost(d, m, r, 1, tr.mode)
    e = H.record(benchmark, f"fast/run/{name}", per=H.RUN_STEPS, flops=flops * H.RUN_STEPS,
                 bytes=nbytes * H.RUN_STEPS, mode=tr.mode)
    if e:
        benchmark.extra_info["speedup_vs_einsum"] = H.ratio(f"einsum/run/{name}", f"fast/run/{name}")
    ref = H.LEDGER.get(f"einsum/run/{name}", {}).get("result")
    if ref is None:  # the reference was deselected: compute it (slow, but the check is the point)
        ref = plain_gradient_descent(H.tensor(d, m), pb.y, U0, H.STEP, H.RUN_STEPS)
    U_ref, loss_ref = ref
    err = np.max(np.abs(tr.U @ tr.U.T - U_ref @ U_ref.T))
    tol = H.run_tolerance(d, m, H.RUN_STEPS)
    assert err <= tol, f"after {H.RUN_STEPS} steps max |UU^T - UU^T(einsum)| = {err:.3g} > {tol:.3g}"
    # rtol: 1e-12 (~4500 eps) per step, the allowance tests/test_descent.py gives the same
    # comparison; atol: the loss's own round-off floor
    np.testing.assert_allclose(tr.loss, loss_ref, rtol=H.RUN_STEPS * 1e-12, atol=H.loss_floor(d, m))


@pytest.mark.parametrize("K", H.BATCHES)
@pytest.mark.parametrize("inst", INSTANCES)
def test_batch_step(benchmark, inst, K):
    # one GD step of K trajectories (different alpha and U-bar, same operator): one GEMM
    benchmark.group = f"batch {H.inst_id(inst)} K={K}" if K > 1 else f"step {H.inst_id(inst)}"
    d, m, r = inst
    H.warm(d, m)
    U0 = H.initial(d, r, K)
    state, q = H.fast_state(d, m, U0)

    def one_step():
        state.evaluate(q)
        state.update()

    benchmark(one_step)
    mode = state.normal.mode
    flops, nbytes = H.step_cost(d, m, r, K, mode)
    name = H.inst_id(inst)
    e = H.record(benchmark, f"fast/batch/{name}/K{K}", per=K, flops=flops, bytes=nbytes, mode=mode)
    if e:
        ref = f"einsum/batch/{name}/K{K}" if K > 1 else f"einsum/step/{name}"
        benchmark.extra_info["speedup_vs_einsum_per_trajectory_step"] = H.ratio(ref, f"fast/batch/{name}/K{K}")
    _check_one_step(d, m, U0, H.fast_state(d, m, U0)[0])


# ------------------------------------------- the batched step near the floor (issue 14)
# Wall-clock timer for this group, whatever --benchmark-timer says: with 2 threads
# time.process_time adds up both threads' CPU time (a perfectly parallel GEMM would read 2x).
def _wall_clock(benchmark):
    import time

    benchmark._timer = time.perf_counter  # pytest-benchmark's fixture reads its timer here


def test_floor_einsum(benchmark):
    # the reference of the floor table, on the same timer (single-threaded: einsum uses no BLAS)
    _wall_clock(benchmark)
    benchmark.group = f"floor threads={H.FLOOR_THREADS}"
    d, m, r = H.HEADLINE
    pb, A, U0 = H.problem(d, m), H.tensor(d, m), H.initial(d, r)
    U1, _ = benchmark.pedantic(H.einsum_step, args=(A, pb.y, U0, H.STEP), rounds=15, iterations=1,
                               warmup_rounds=1)
    flops, nbytes = H.einsum_cost(d, m, r)
    H.record(benchmark, "floor/einsum", flops=flops, bytes=nbytes)
    assert np.array_equal(U1, plain_gradient_descent(A, pb.y, U0, H.STEP, 1)[0])


@pytest.mark.parametrize("K", [None, *H.FLOOR_BATCHES], ids=lambda K: "dgemm" if K is None else f"K{K}")
def test_floor_gemm(benchmark, K):
    # the floors, with FLOOR_THREADS BLAS threads: a bare (K x D)(D x D) GEMM on the headline G,
    # and the dgemm rate (2000^3) the step's useful FLOPs are compared with
    from threadpoolctl import threadpool_limits

    _wall_clock(benchmark)
    benchmark.group = f"floor threads={H.FLOOR_THREADS}"
    d, m, r = H.HEADLINE
    rng = np.random.default_rng(0)
    if K is None:
        n = 2000
        A, B = rng.standard_normal((n, n)), rng.standard_normal((n, n))
        out, flops, key = np.empty((n, n)), 2.0 * n ** 3, "floor/dgemm"
    else:
        B = H.problem(d, m).op.gram()
        D = B.shape[0]
        A, out, flops, key = rng.standard_normal((K, D)), np.empty((K, D)), 2.0 * K * D * D, f"floor/gemm/K{K}"
    with threadpool_limits(limits=H.FLOOR_THREADS, user_api="blas"):
        H.settle(np.matmul, A, B, out=out)
        benchmark.pedantic(np.matmul, args=(A, B), kwargs=dict(out=out), rounds=25 if K else 10,
                           iterations=1, warmup_rounds=2)
    H.record(benchmark, key, per=1 if K is None else K, flops=flops, threads_used=H.FLOOR_THREADS)
    np.testing.assert_allclose(out[0, :5], A[0] @ B[:, :5], rtol=1e-10)


@pytest.mark.parametrize("path", ["split", "steps", "numpy"])
@pytest.mark.parametrize("K", H.FLOOR_BATCHES)
def test_floor_batch_step(benchmark, K, path):
    # one batched Gram step of K trajectories with FLOOR_THREADS BLAS threads: "split" is one call
    # of the step gradient_descent runs (sensing._batched: the per-trajectory work over the
    # threads), "steps" the CHECK_EVERY fused steps it runs in one pass between two stops when it
    # records nothing in between, "numpy" the one-thread numpy step it replaced
    # (GradientStep(threads=0))
    from threadpoolctl import threadpool_limits

    from sensing.descent import CHECK_EVERY

    _wall_clock(benchmark)
    benchmark.group = f"floor threads={H.FLOOR_THREADS}"
    d, m, r = H.HEADLINE
    H.warm(d, m)
    U0 = H.initial(d, r, K)
    pb = H.problem(d, m)
    n = CHECK_EVERY if path == "steps" else 1
    with threadpool_limits(limits=H.FLOOR_THREADS, user_api="blas"):
        U = np.array(U0, order="C")
        state = GradientStep(NormalMap(pb.op, pb.y, "gram"), U, H.STEP, threads=0 if path == "numpy" else None)
        assert (state.passes is not None) == (path != "numpy"), "gradient_descent's choice changed"
        if path == "steps":
            Q = np.empty((n, K))
            H.settle(state.steps, Q)
            benchmark.pedantic(state.steps, args=(Q,), rounds=8, iterations=1, warmup_rounds=1)
        else:
            q = np.empty(K)
            # step(): evaluate and update fused, as gradient_descent runs every step it records nothing at
            H.settle(state.step, q)
            benchmark.pedantic(state.step, args=(q,), rounds=25, iterations=1, warmup_rounds=2)
        # step/GEMM measured in alternating blocks (the two minima above come from different
        # moments of a machine whose speed drifts by 10% over a run)
        paired = None if path == "numpy" else H.paired_over_gemm(
            state.steps if path == "steps" else state.step, Q if path == "steps" else q, pb.op.gram(), K, n)
    flops, nbytes = H.step_cost(d, m, r, K, "gram")
    H.record(benchmark, f"floor/{path}/K{K}", per=K * n, flops=flops * n, bytes=nbytes * n,
             threads_used=H.FLOOR_THREADS, **({} if paired is None else {"paired_over_gemm": paired}))
    with threadpool_limits(limits=H.FLOOR_THREADS, user_api="blas"):
        st = GradientStep(NormalMap(pb.op, pb.y, "gram"), np.array(U0, order="C"), H.STEP,
                          threads=0 if path == "numpy" else None)
        _check_one_step(d, m, U0, st, fused=True)


# ------------------------------------------------------------- float32
@pytest.mark.parametrize("K", [1, 64])
@pytest.mark.parametrize("inst", HEADLINE)
def test_float32_step(benchmark, inst, K):
    # what float32 buys in speed (tests/benchmarks/test_float32_accuracy.py: what it costs)
    benchmark.group = f"float32 {H.inst_id(inst)}"
    d, m, r = inst
    H.warm(d, m)
    U0 = H.initial(d, r, K) if K > 1 else H.initial(d, r)
    state, q = H.fast_state(d, m, U0, dtype=np.float32)

    def one_step():
        state.evaluate(q)
        state.update()

    benchmark(one_step)
    flops, nbytes = H.step_cost(d, m, r, K, state.normal.mode)
    H.record(benchmark, f"fast32/batch/{H.inst_id(inst)}/K{K}", per=K, flops=flops, bytes=nbytes / 2)
    assert np.all(np.isfinite(state.U)) and state.U.dtype == np.float32


# ------------------------------------------------------- crossover and identity
CROSS_FRACTIONS = (0.125, 0.25, 0.375, 0.5, 0.75, 1.0)


@pytest.mark.parametrize("K", [1, 64])
@pytest.mark.parametrize("mode", ["gram", "dense"])
@pytest.mark.parametrize("frac", CROSS_FRACTIONS)
def test_crossover(benchmark, frac, mode, K):
    # the Gram/dense crossover at d = 50 (D = 1275): per trajectory-step time against m/D
    benchmark.group = f"crossover K={K} m/D={frac}"
    d, r = 50, 5
    m = int(frac * d * (d + 1) // 2)
    H.warm(d, m)
    U0 = H.initial(d, r, K) if K > 1 else H.initial(d, r)
    state, q = H.fast_state(d, m, U0, mode=mode)

    def one_step():
        state.evaluate(q)
        state.update()

    benchmark(one_step)
    flops, nbytes = H.step_cost(d, m, r, K, mode)
    H.record(benchmark, f"cross/{frac}/{mode}/K{K}", per=K, flops=flops, bytes=nbytes, m=m)
    assert np.all(np.isfinite(state.U))


@pytest.mark.parametrize("K", [1, 64])
def test_identity_step(benchmark, K):
    # full observation (A*A = I): O(d^2 r) per step, no operator at all
    benchmark.group = "identity d=50 r=50"
    d, r = 50, 50
    op = sensing.identity_operator(d)
    truth = H.problem(d, 2000).truth
    y = op.forward(truth.Z)
    U = np.array((H.initial(d, r, K) if K > 1 else H.initial(d, r)[None]), order="C")
    state, q = GradientStep(NormalMap(op, y), U, H.STEP), np.empty(U.shape[0])

    def one_step():
        state.evaluate(q)
        state.update()

    benchmark(one_step)
    flops, nbytes = H.step_cost(d, 0, r, K, "identity")
    H.record(benchmark, f"identity/K{K}", per=K, flops=flops, bytes=nbytes)
    assert state.normal.mode == "identity" and op.counts == {"forward": 1, "adjoint": 0, "gram": 0}


# ------------------------------------------------------------ the dynamics seam (issue 10)
@pytest.mark.parametrize("inst", INSTANCES)
def test_seam_run(benchmark, inst):
    # the claims' path to the built-in loop, sensing.dynamics.GRADIENT_DESCENT.run: the same
    # 1000-step run as test_run, so "fast/run / seam/run" is the seam's overhead (≈ 1)
    benchmark.group = f"run {H.inst_id(inst)}"
    d, m, r = inst
    H.warm(d, m)
    pb, U0 = H.problem(d, m), H.initial(d, r)
    dyn = sensing.dynamics.GRADIENT_DESCENT
    tr = benchmark.pedantic(dyn.run, args=(pb, U0), kwargs=dict(step=H.STEP, steps=H.RUN_STEPS),
                            rounds=5, warmup_rounds=1)
    name = H.inst_id(inst)
    e = H.record(benchmark, f"seam/run/{name}", per=H.RUN_STEPS, mode=tr.mode)
    if e:
        benchmark.extra_info["seam_over_direct"] = H.ratio(f"seam/run/{name}", f"fast/run/{name}")
    direct = sensing.gradient_descent(pb.op, pb.y, U0, step=H.STEP, steps=H.RUN_STEPS)
    assert np.array_equal(tr.U, direct.U) and np.array_equal(tr.loss, direct.loss)


@pytest.mark.parametrize("inst", HEADLINE)
def test_seam_record(benchmark, inst):
    # what a user dynamics adds per step: recording given iterates (one loss evaluation each)
    benchmark.group = f"run {H.inst_id(inst)}"
    d, m, r = inst
    H.warm(d, m)
    pb, U0 = H.problem(d, m), H.initial(d, r)
    steps = H.RUN_STEPS
    direct = sensing.gradient_descent(pb.op, pb.y, U0, step=H.STEP, steps=steps, record_every=steps,
                                      n_eigenvalues=0, snapshots=range(steps + 1))
    its = [direct.snapshots[t] for t in range(steps + 1)]
    tr = benchmark.pedantic(lambda: sensing.dynamics.record(pb, iter(its), U0, step=H.STEP, steps=steps),
                            rounds=5, warmup_rounds=1)
    H.record(benchmark, f"seam/record/{H.inst_id(inst)}", per=steps, mode=tr.mode)
    benchmark.extra_info["record_over_run"] = H.ratio(f"seam/record/{H.inst_id(inst)}",
                                                      f"fast/run/{H.inst_id(inst)}")
    ref = sensing.gradient_descent(pb.op, pb.y, U0, step=H.STEP, steps=steps)
    assert np.array_equal(tr.loss, ref.loss) and np.array_equal(tr.eigenvalues, ref.eigenvalues)
