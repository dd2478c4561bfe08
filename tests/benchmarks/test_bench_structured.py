"""Benchmarks of the structured operators at the issue's scale (issue 14): rank-one d = 1000,
m = 10^4, r-hat = 5, and completion d = 10^4, |Omega| = 10^6, r-hat = 5, each 1000 GD steps.

Targets: a GD step within 2x of the machine's floor for its work, the floor measured in the same
run; peak memory of the 1000-step run within 2x of the operator's own storage.

- rank-one floor: the step's two products with a, bare: ``a @ U`` (m x d)(d x r) and
  ``a.T @ B`` (d x m)(m x r), GEMMs of exactly the step's shapes (the step's useful FLOPs,
  4 m d r, at the machine's rate for those shapes; memory-bound here: a is 80 MB);
- completion floor: a bare sparse matmul of the step's adjoint, ``W @ U`` with W = A*(w)
  (scipy CSR, d x d, nnz ~ 2 |Omega|) and U (d x r), what the step computes besides the
  forward: the fused kernel does 1.5x its FLOPs (the forward's dot per entry) while reading
  half its bytes (each observed entry once).

Stricter references are reported next to them: one bare ``a @ U`` (the rank-one step reads a
once, from memory, so its byte floor is one such GEMM) and ``T @ U`` with T the upper triangle
(nnz |Omega|: the pattern the completion kernel reads).

Every timed step is checked after timing against an independent computation (the operator's
public factored maps). Run one file at a time:
``python -m pytest tests/benchmarks/test_bench_structured.py -p no:xdist --benchmark-only
--benchmark-timer=time.process_time -q`` (about 3 minutes on one BLAS thread; building the
rank-one ||A*A|| by ARPACK takes ~15 s of it). The table is printed at the end of the module.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sensing
from sensing import factored, tolerances
from tests.benchmarks import _harness as H
from tests.benchmarks import _structured as S

ROOT = Path(__file__).resolve().parents[2]
KINDS = ("rank_one", "completion")
BATCH = 4
TARGET_STEP_VS_FLOOR = 2.0
TARGET_MEMORY_VS_STORAGE = 2.0


def _state(kind, K=None, backend=None):
    op, y, X, U0, mu = S.instance(kind)
    U = np.array(U0[None] if K is None else np.stack([U0 * (1 + 0.1 * k) for k in range(K)]), order="C")
    state = factored.FactoredStep(op, y, U, mu)
    if backend is not None:
        state.kernel = factored.CompletionKernel(op, y, backend=backend)
    return state, np.empty(U.shape[0])


def _check_one_step(kind, state, q):
    """The kernel's quad and gradient against the operator's public maps (einsum / scipy.sparse),
    to the round-off of sums of max(m, d) products: C sqrt(n) eps relative (C = 10, as
    :func:`sensing.tolerances.gradient_roundoff`)."""
    op, y, _, _, mu = S.instance(kind)
    U = state.U.copy()
    state.evaluate(q)
    rtol = 10 * np.sqrt(max(op.m, op.d)) * tolerances.eps()
    for k in range(U.shape[0]):
        r = op.forward_factor(U[k]) - y
        G = mu * op.adjoint_times(r, U[k])
        err = np.linalg.norm(state.G[k] - G) / np.linalg.norm(G)
        assert err <= rtol, f"{kind} trajectory {k}: ||G - G(reference)|| / ||G|| = {err:.3g} > {rtol:.3g}"
        assert abs(q[k] - r @ r) <= rtol * (r @ r), f"{kind} trajectory {k}: quad {q[k]!r} vs {r @ r!r}"


# ------------------------------------------------------------------ the machine's floors
def test_floor_rank_one_gemms(benchmark):
    benchmark.group = "structured floors"
    op, _, _, U0, _ = S.instance("rank_one")
    B, G = np.empty((op.m, U0.shape[1])), np.empty_like(U0)

    def both():
        np.matmul(op.a, U0, out=B)
        np.matmul(op.a.T, B, out=G)

    benchmark(both)
    H.record(benchmark, "structured/floor/rank_one", flops=4.0 * op.m * op.d * U0.shape[1],
             bytes=2.0 * op.a.nbytes)
    np.testing.assert_allclose(G, op.a.T @ (op.a @ U0), rtol=1e-12)


def test_floor_rank_one_single_gemm(benchmark):
    benchmark.group = "structured floors"
    op, _, _, U0, _ = S.instance("rank_one")
    B = np.empty((op.m, U0.shape[1]))
    benchmark(np.matmul, op.a, U0, out=B)
    H.record(benchmark, "structured/floor1/rank_one", flops=2.0 * op.m * op.d * U0.shape[1], bytes=1.0 * op.a.nbytes)
    np.testing.assert_allclose(B, op.a @ U0, rtol=1e-12)


def test_floor_completion_upper_spmm(benchmark):
    benchmark.group = "structured floors"
    op, y, _, U0, _ = S.instance("completion")
    T = op._upper(y)
    benchmark(T.__matmul__, U0)
    H.record(benchmark, "structured/floor1/completion", flops=2.0 * T.nnz * U0.shape[1], bytes=12.0 * T.nnz)


def test_floor_completion_spmm(benchmark):
    benchmark.group = "structured floors"
    op, y, _, U0, _ = S.instance("completion")
    W = op.adjoint_sparse(y)
    out = benchmark(W.__matmul__, U0)
    nnz = W.nnz
    H.record(benchmark, "structured/floor/completion", flops=2.0 * nnz * U0.shape[1],
             bytes=12.0 * nnz, nnz=nnz)
    np.testing.assert_allclose(out, op.adjoint_times(y, U0), rtol=1e-12, atol=1e-12 * np.abs(out).max())


# ------------------------------------------------------------------ the steps
@pytest.mark.parametrize("kind", KINDS)
def test_step(benchmark, kind):
    benchmark.group = f"structured step {kind}"
    state, q = _state(kind)

    def one_step():
        state.evaluate(q)
        state.update()

    benchmark(one_step)
    backend = getattr(state.kernel, "backend", "blas")
    H.record(benchmark, f"structured/step/{kind}", backend=backend)
    _check_one_step(kind, state, q)


@pytest.mark.parametrize("kind", KINDS)
def test_batch_step(benchmark, kind):
    benchmark.group = f"structured step {kind}"
    state, q = _state(kind, BATCH)

    def one_step():
        state.evaluate(q)
        state.update()

    benchmark.pedantic(one_step, rounds=10, warmup_rounds=1)
    H.record(benchmark, f"structured/batch/{kind}/K{BATCH}", per=BATCH)
    _check_one_step(kind, state, q)


def test_completion_step_numpy_backend(benchmark):
    # the path taken without numba, for comparison
    benchmark.group = "structured step completion"
    state, q = _state("completion", backend="numpy")

    def one_step():
        state.evaluate(q)
        state.update()

    benchmark.pedantic(one_step, rounds=10, warmup_rounds=1)
    H.record(benchmark, "structured/step/completion-numpy", backend="numpy")
    _check_one_step("completion", state, q)


@pytest.mark.parametrize("kind", KINDS)
def test_run(benchmark, kind):
    # 1000 steps through the public API: default record (~200 records: eigenvalues from the SVD
    # of U, the distance to the factored Z* = X X^T from a QR of [U, X])
    benchmark.group = f"structured run {kind}"
    op, y, X, U0, mu = S.instance(kind)
    tr = benchmark.pedantic(sensing.gradient_descent, args=(op, y, U0),
                            kwargs=dict(step=mu, steps=S.RUN_STEPS, references={"X": sensing.Factored(X)}),
                            rounds=1, warmup_rounds=0)
    H.record(benchmark, f"structured/run/{kind}", per=S.RUN_STEPS, mode=tr.mode)
    assert tr.mode == "factored" and np.all(np.isfinite(tr.loss)) and tr.loss[-1] <= tr.loss[0]
    assert np.all(np.isfinite(tr.distance("X")))


# ------------------------------------------------------------------ memory (fresh process)
@pytest.mark.parametrize("kind", KINDS)
def test_run_peak_memory_is_within_twice_the_operator(kind):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": str(H.THREADS),
           "OMP_NUM_THREADS": str(H.THREADS)}
    out = subprocess.run([sys.executable, "-m", "tests.benchmarks._structured", kind, str(S.RUN_STEPS)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    st, traced, rss = res["storage"], res["traced"], res["rss"]
    d, m, r = S.INSTANCES[kind]
    text = (f"{kind} d={d} m={m} r={r}, {res['steps']} steps ({res['mode']}): traced peak {traced / 1e6:.2f} MB "
            f"= {traced / st:.3f} x storage ({st / 1e6:.1f} MB)"
            + (f", resident high-water growth {rss / 1e6:.1f} MB = {rss / st:.2f} x storage" if rss is not None else ""))
    H.LEDGER[f"memory/structured-{kind}"] = {"text": text, "per": 1, **res}
    assert np.isfinite(res["final_loss"]) and res["final_loss"] <= res["initial_loss"]
    assert traced < TARGET_MEMORY_VS_STORAGE * st, text
    if rss is None:
        pytest.skip("no /proc/self/clear_refs: only the traced peak was checked")
    assert rss < TARGET_MEMORY_VS_STORAGE * st, text


# ------------------------------------------------------------------ the table
def summary() -> list[str]:
    L, t = H.LEDGER, H.unit_time
    out = [f"structured operators (issue 14), BLAS threads {H.THREADS}; per trajectory-step, min [median]"]

    def fmt(x):
        return "-" if x is None else (f"{x * 1e3:.2f} ms" if x >= 1e-3 else f"{x * 1e6:.1f} us")

    for kind in KINDS:
        d, m, r = S.INSTANCES[kind]
        floor = f"structured/floor/{kind}"
        step = f"structured/step/{kind}"
        if "min" not in L.get(step, {}):
            continue
        a, b = H.ratio(step, floor), H.ratio(step, floor, "median")
        verdict = "met" if a is not None and a <= TARGET_STEP_VS_FLOOR else "MISSED"
        fl = L.get(floor, {})
        rate = (f"{fl['gflops_at_min']:.1f} GFLOP/s, {fl['gbytes_per_s_at_min']:.1f} GB/s"
                if "gflops_at_min" in fl else "-")
        out.append(f"  {kind:10s} d={d} m={m} r={r}: step {fmt(t(step))} ({L[step].get('backend')}), "
                   f"floor {fmt(t(floor))} ({rate}); step/floor {a:.2f} [{b:.2f}] (target <= "
                   f"{TARGET_STEP_VS_FLOOR:.0f}): {verdict}")
        f1 = f"structured/floor1/{kind}"
        if t(f1):
            what = "one bare a @ U" if kind == "rank_one" else "bare T @ U (upper triangle, nnz |Omega|)"
            out.append(f"  {'':10s} stricter: {what} {fmt(t(f1))}; step / it {H.ratio(step, f1):.2f} "
                       f"[{H.ratio(step, f1, 'median'):.2f}]")
        bk = f"structured/batch/{kind}/K{BATCH}"
        if t(bk):
            out.append(f"  {'':10s} batch K={BATCH}: {fmt(t(bk))} per trajectory-step "
                       f"({H.ratio(bk, floor):.2f} x floor)")
        run = f"structured/run/{kind}"
        if t(run):
            out.append(f"  {'':10s} 1000-step run: {fmt(t(run))} per step with records ({H.ratio(run, floor):.2f} x floor)")
        mem = L.get(f"memory/structured-{kind}")
        if mem:
            ok = mem["traced"] < TARGET_MEMORY_VS_STORAGE * mem["storage"] and (
                mem["rss"] is None or mem["rss"] < TARGET_MEMORY_VS_STORAGE * mem["storage"])
            out.append(f"  {'':10s} memory: {mem['text']}: {'met' if ok else 'MISSED'}")
    npy = "structured/step/completion-numpy"
    if t(npy):
        out.append(f"  completion without numba (numpy/scipy path): {fmt(t(npy))} per step, "
                   f"{H.ratio(npy, 'structured/floor/completion'):.2f} x floor")
    return out


@pytest.fixture(scope="module", autouse=True)
def _table(request):
    yield
    if any(k.startswith(("structured/", "memory/structured")) for k in H.LEDGER):
        capture = request.config.pluginmanager.get_plugin("capturemanager")
        with capture.global_and_fixture_disabled():
            print("\n" + "\n".join(summary()), flush=True)
