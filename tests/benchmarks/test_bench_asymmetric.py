"""Benchmarks of the asymmetric GD step/run (sensing.asymmetric, the symmetric loop on the lift
W = [F; G] with a Gram matrix on vec(FG^T), D = d1 d2) against the plain einsum reference step of
:func:`sensing.asymmetric.reference_gradient_descent`, measured in the same run; and, for
comparison, the symmetric loop at the same D and m (d = 42: D = 903 ~ 900) against its own einsum
step. Every timed result is checked for correctness after timing.

Run: ``python -m pytest tests/benchmarks/test_bench_asymmetric.py -p no:xdist --benchmark-only -q``
(about 25 s on one BLAS thread). After the module's benchmarks the ratio table (reference time per
trajectory-step / ours) is written to the terminal.
"""
from __future__ import annotations

from functools import cache

import numpy as np
import pytest

import sensing
from sensing import asymmetric as asy
from sensing.descent import GradientStep, NormalMap
from sensing.reference import plain_gradient_descent
from tests.benchmarks import _harness as H

D1 = D2 = 30
M = 2000
RANKS = (5, 30)
BATCHES = (16, 64)
SINGULAR_VALUES = (3.0, 2.5, 2.0, 1.5, 1.0)
ALPHA, SEED = 1e-3, 2023
RUN_STEPS = 1000  # as the symmetric benchmark: the default record is every 5th step
SYM_D = 42  # D = 42 * 43 / 2 = 903, the symmetric loop at the asymmetric D = 900


def iid(r):
    return f"d{D1}x{D2}-m{M}-r{r}"


@cache
def problem() -> asy.AsymmetricProblem:
    return asy.make_problem(D1, D2, singular_values=SINGULAR_VALUES, m=M, seed=SEED)


@cache
def tensor() -> np.ndarray:
    return problem().op.rect_matrices()


def initial(r: int, K: int | None = None):
    """(F0, G0) = alpha (F-bar, G-bar); a batch gets alphas log-spaced in [1e-4, 1e-2]."""
    if K is None:
        return asy.initial_factors(D1, D2, r, ALPHA, rng=SEED + 1)
    F, G = asy.initial_factors(D1, D2, r, 1.0, rng=SEED + 1, batch=K)
    a = np.logspace(-4, -2, K)[:, None, None]
    return F * a, G * a


@cache
def step_size() -> float:
    pb = problem()
    return 0.2 * sensing.safe_step_size(pb.op, pb.y, asy.lift(*initial(30, 64)))


def einsum_step(A, y, F, G, mu):
    """One step of :func:`sensing.asymmetric.reference_gradient_descent`: the same einsum calls."""
    root = np.sqrt(A.shape[0])
    r = np.einsum("iab,ab->i", A, F @ G.T) / root - y
    R = np.einsum("i,iab->ab", r, A) / root
    return F - mu * 0.5 * R @ G, G - mu * 0.5 * R.T @ F, 0.25 * float(r @ r)


def fast_state(F0, G0):
    pb = problem()
    W = np.array(asy.lift(F0, G0) if F0.ndim == 3 else asy.lift(F0, G0)[None], order="C")
    mode = pb.op.default_mode(batch=W.shape[0])
    return GradientStep(NormalMap(pb.op, pb.y, mode), W, step_size()), np.empty(W.shape[0])


def check_one_step(F0, G0):
    """Our first step agrees with the einsum reference's to round-off, per trajectory: the
    gradient rounding of :func:`sensing.tolerances.gradient_roundoff` (dim D, ||A*A||, ||Z*||
    + ||F0|| ||G0||), times the step."""
    pb, A, mu = problem(), tensor(), step_size()
    F0, G0 = (F0, G0) if F0.ndim == 3 else (F0[None], G0[None])
    state, q = fast_state(F0, G0)
    state.evaluate(q)
    state.update()
    for k in range(F0.shape[0]):
        F1, G1, L0 = einsum_step(A, pb.y, F0[k], G0[k], mu)
        err = np.linalg.norm(state.U[k] - asy.lift(F1, G1))
        u = float(np.linalg.norm(asy.lift(F0[k], G0[k]), 2))
        tol = mu * sensing.tolerances.gradient_roundoff(
            dim=pb.op.D, normal_norm=sensing.operator_norm(pb.op),
            target_norm=float(np.linalg.norm(pb.truth.Z)) + u * u, factor_norm=u)
        assert err <= tol, f"trajectory {k}: ||W_1 - W_1(einsum)|| = {err:.3g} > {tol:.3g}"
        L = 0.25 * (q[k] + state.normal.c)
        assert abs(L - L0) <= 1e-12 * L0, f"trajectory {k}: loss {L!r} vs einsum {L0!r}"


# ------------------------------------------------------------------ the einsum reference
@pytest.mark.parametrize("r", RANKS)
def test_einsum_step(benchmark, r):
    benchmark.group = f"asym step {iid(r)}"
    pb, A, (F0, G0) = problem(), tensor(), initial(r)
    F1, G1, L0 = benchmark(einsum_step, A, pb.y, F0, G0, step_size())
    H.record(benchmark, f"asym/einsum/step/{iid(r)}")
    F, G, losses = asy.reference_gradient_descent(A, pb.y, F0, G0, step_size(), 1)  # literally its step
    assert np.array_equal(F1, F) and np.array_equal(G1, G) and L0 == losses[0]


@pytest.mark.parametrize("K", BATCHES)
@pytest.mark.parametrize("r", RANKS)
def test_einsum_batch(benchmark, r, K):
    benchmark.group = f"asym batch {iid(r)} K={K}"
    pb, A, (F0, G0) = problem(), tensor(), initial(r, K)
    out = benchmark.pedantic(lambda: [einsum_step(A, pb.y, F0[k], G0[k], step_size()) for k in range(K)],
                             rounds=3, iterations=1)
    H.record(benchmark, f"asym/einsum/batch/{iid(r)}/K{K}", per=K)
    assert len(out) == K


@pytest.mark.parametrize("r", RANKS)
def test_einsum_run(benchmark, r):
    benchmark.group = f"asym run {iid(r)}"
    pb, A, (F0, G0) = problem(), tensor(), initial(r)
    F, G, loss = benchmark.pedantic(asy.reference_gradient_descent, args=(A, pb.y, F0, G0, step_size(), RUN_STEPS),
                                    rounds=1, iterations=1)
    H.record(benchmark, f"asym/einsum/run/{iid(r)}", per=RUN_STEPS)
    H.LEDGER[f"asym/einsum/run/{iid(r)}"]["result"] = (F, G, loss)
    assert np.all(np.isfinite(loss))


# ------------------------------------------------------------------ ours
@pytest.mark.parametrize("r", RANKS)
def test_step(benchmark, r):
    benchmark.group = f"asym step {iid(r)}"
    F0, G0 = initial(r)
    state, q = fast_state(F0, G0)

    def one_step():
        state.evaluate(q)
        state.update()

    benchmark(one_step)
    H.record(benchmark, f"asym/step/{iid(r)}", mode=state.normal.mode)
    benchmark.extra_info["speedup_vs_einsum"] = H.ratio(f"asym/einsum/step/{iid(r)}", f"asym/step/{iid(r)}")
    check_one_step(F0, G0)


@pytest.mark.parametrize("K", BATCHES)
@pytest.mark.parametrize("r", RANKS)
def test_batch_step(benchmark, r, K):
    benchmark.group = f"asym batch {iid(r)} K={K}"
    F0, G0 = initial(r, K)
    state, q = fast_state(F0, G0)

    def one_step():
        state.evaluate(q)
        state.update()

    benchmark(one_step)
    H.record(benchmark, f"asym/batch/{iid(r)}/K{K}", per=K, mode=state.normal.mode)
    benchmark.extra_info["speedup_vs_einsum_per_trajectory_step"] = H.ratio(
        f"asym/einsum/batch/{iid(r)}/K{K}", f"asym/batch/{iid(r)}/K{K}")
    check_one_step(F0, G0)


@pytest.mark.parametrize("r", RANKS)
def test_run(benchmark, r):
    # a run through the public API, default recording (about 200 records: sv(FG^T), imbalance)
    benchmark.group = f"asym run {iid(r)}"
    pb, (F0, G0) = problem(), initial(r)
    tr = benchmark.pedantic(asy.gradient_descent, args=(pb.op, pb.y, F0, G0),
                            kwargs=dict(step=step_size(), steps=RUN_STEPS), rounds=3, warmup_rounds=1)
    H.record(benchmark, f"asym/run/{iid(r)}", per=RUN_STEPS, mode=tr.mode)
    ref = H.LEDGER.get(f"asym/einsum/run/{iid(r)}", {}).get("result")
    if ref is None:
        ref = asy.reference_gradient_descent(tensor(), pb.y, F0, G0, step_size(), RUN_STEPS)
    F, G, loss = ref
    # relative agreement C (T + 1) sqrt(n) eps, n = max(m, D) (tests/test_asymmetric.py)
    rtol = 10.0 * (RUN_STEPS + 1) * np.sqrt(max(pb.op.m, pb.op.D)) * sensing.tolerances.eps()
    err = np.linalg.norm(asy.lift(tr.F, tr.G) - asy.lift(F, G)) / np.linalg.norm(asy.lift(F, G))
    assert err <= rtol, f"after {RUN_STEPS} steps ||W - W(einsum)|| / ||W|| = {err:.3g} > {rtol:.3g}"
    np.testing.assert_allclose(tr.loss, loss, rtol=2 * rtol, atol=1e3 * rtol * loss[-1])


# ------------------------------------------------------------------ the symmetric loop at the same D
@cache
def sym_problem():
    return sensing.make_problem(SYM_D, rank=5, m=M, operator="paper", seed=SEED)


@pytest.mark.parametrize("K", (1,) + BATCHES)
@pytest.mark.parametrize("impl", ["einsum", "fast"])
def test_symmetric_at_the_same_D(benchmark, impl, K):
    benchmark.group = f"sym d{SYM_D} m{M} r5 K={K}"
    pb, r = sym_problem(), 5
    U0 = sensing.initial_factor(SYM_D, r, 1.0, SEED + 1, batch=K) * np.logspace(-4, -2, K)[:, None, None]
    mu = H.STEP
    if impl == "einsum":
        A = _sym_tensor()
        out = benchmark.pedantic(lambda: [H.einsum_step(A, pb.y, U0[k], mu) for k in range(K)],
                                 rounds=3 if K > 1 else 10, iterations=1)
        assert np.array_equal(out[0][0], plain_gradient_descent(A, pb.y, U0[0], mu, 1)[0])
    else:
        U = np.array(U0, order="C")
        state = GradientStep(NormalMap(pb.op, pb.y, pb.op.default_mode(batch=K)), U, mu)
        q = np.empty(K)

        def one_step():
            state.evaluate(q)
            state.update()

        benchmark(one_step)
        assert np.all(np.isfinite(state.U))
    H.record(benchmark, f"asym-sym/{impl}/d{SYM_D}/K{K}", per=K)


@cache
def _sym_tensor():
    return np.ascontiguousarray(sym_problem().op.matrices())


# ------------------------------------------------------------------ the table
def ratio_lines() -> list[str]:
    lines = [f"asymmetric d1 = d2 = {D1}, m = {M} (D = {D1 * D2}); BLAS threads {H.THREADS}; "
             "ratio = einsum time per trajectory-step / ours, min [median]"]
    for r in RANKS:
        n = iid(r)
        row = [f"  r = {r:2d}:"]
        for label, slow, fast in [("K=1", f"asym/einsum/step/{n}", f"asym/step/{n}"),
                                  ("run", f"asym/einsum/run/{n}", f"asym/run/{n}")] + [
                (f"K={K}", f"asym/einsum/batch/{n}/K{K}", f"asym/batch/{n}/K{K}") for K in BATCHES]:
            a, b = H.ratio(slow, fast), H.ratio(slow, fast, "median")
            if a is not None:
                row.append(f"{label} {H.unit_time(fast) * 1e6:.1f} us, {a:.1f}x [{b:.1f}x]")
        lines.append(" ".join(row[:1]) + " " + "; ".join(row[1:]))
    row = []
    for K in (1,) + BATCHES:
        slow, fast = f"asym-sym/einsum/d{SYM_D}/K{K}", f"asym-sym/fast/d{SYM_D}/K{K}"
        a, b = H.ratio(slow, fast), H.ratio(slow, fast, "median")
        if a is not None:
            row.append(f"K={K} {H.unit_time(fast) * 1e6:.1f} us (einsum {H.unit_time(slow) * 1e6:.0f} us), "
                       f"{a:.1f}x [{b:.1f}x]")
    if row:
        lines.append(f"  symmetric d = {SYM_D} (D = {SYM_D * (SYM_D + 1) // 2}), r = 5: " + "; ".join(row))
    return lines


@pytest.fixture(scope="module", autouse=True)
def _ratio_table(request):
    yield
    if any(k.startswith("asym") and "min" in v for k, v in H.LEDGER.items()):
        capture = request.config.pluginmanager.get_plugin("capturemanager")
        with capture.global_and_fixture_disabled():
            print("\n" + "\n".join(ratio_lines()), flush=True)
