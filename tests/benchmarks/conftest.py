"""Benchmark session setup: BLAS threads, and the ratio/target table printed at the end.

Run (see the README, "Benchmarks"):
    python -m pytest tests/benchmarks -p no:xdist -p no:randomly --benchmark-timer=time.process_time
"""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from tests.benchmarks import _harness as H


@pytest.fixture(autouse=True, scope="session")
def _single_blas_thread():
    # overrides the project conftest's fixture of the same name: SENSING_BENCH_THREADS threads
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=H.THREADS, user_api="blas"):
        yield


def _fmt_t(t):
    if t is None:
        return "-"
    return f"{t * 1e3:.2f} ms" if t >= 1e-3 else f"{t * 1e6:.1f} us"


def _fmt_x(x, pct=False, digits=1):
    if x is None:
        return "-"
    return f"{100 * x:.0f}%" if pct else f"{x:.{digits}f}x"


def summary_lines() -> list[str]:
    L, t, ratio = H.LEDGER, H.unit_time, H.ratio
    out = [f"BLAS threads: {H.THREADS}. Times are per trajectory-step, minimum over rounds "
           "(median-based ratios in brackets)."]
    if any(k.startswith(("einsum/", "fast/")) and "min" in v for k, v in L.items()):
        out.append(f"{'instance':16s} {'mode':6s} {'einsum':>9s} {'fast K=1':>9s} {'ratio':>13s} {'run ratio':>13s} "
                   f"{'K=16':>9s} {'ratio':>13s} {'K=64':>9s} {'ratio':>13s} {'GFLOP/s K=64':>12s}")
    for inst in H.INSTANCES:
        n = H.inst_id(inst)
        e, f, b16, b64 = f"einsum/step/{n}", f"fast/step/{n}", f"fast/batch/{n}/K16", f"fast/batch/{n}/K64"
        if "min" not in L.get(e, {}) and "min" not in L.get(f, {}):
            continue

        def both(slow, fast):
            a, b = ratio(slow, fast), ratio(slow, fast, "median")
            return f"{_fmt_x(a)} [{_fmt_x(b)}]" if a else "-"

        g = L.get(b64, {}).get("gflops_at_min")
        out.append(f"{n:16s} {L.get(f, {}).get('mode', '-'):6s} {_fmt_t(t(e)):>9s} {_fmt_t(t(f)):>9s} "
                   f"{both(e, f):>13s} {both(f'einsum/run/{n}', f'fast/run/{n}'):>13s} "
                   f"{_fmt_t(t(b16)):>9s} {both(f'einsum/batch/{n}/K16', b16):>13s} "
                   f"{_fmt_t(t(b64)):>9s} {both(f'einsum/batch/{n}/K64', b64):>13s} "
                   f"{g if g is None else round(g, 1)!s:>12s}")
    peak = L.get("machine/dgemm", {}).get("gflops_at_min")
    mach = [f"dgemm 2000^3: {peak:.1f} GFLOP/s" if peak else None]
    for D in (210, 1275):
        for k in ("symv", "gemv"):
            e = L.get(f"machine/{k}/D{D}")
            if e and "min" in e:
                mach.append(f"{k} D={D}: {_fmt_t(e['min'])} ({e['gbytes_per_s_at_min']:.1f} GB/s)")
        for K in (16, 64):
            e = L.get(f"machine/gemm/D{D}/K{K}")
            if e and "min" in e:
                mach.append(f"gemm {K}x{D}x{D}: {e['gflops_at_min']:.1f} GFLOP/s")
    for mb in (13, 100):
        e = L.get(f"machine/read/{mb}MB")
        if e and "min" in e:
            mach.append(f"read {mb} MB: {e['gbytes_per_s_at_min']:.1f} GB/s")
    if any(mach):
        out.append("machine: " + "; ".join(x for x in mach if x))

    n = H.inst_id(H.HEADLINE)
    d, m, r = H.HEADLINE
    D = d * (d + 1) // 2
    rows = []
    a = (ratio(f"einsum/step/{n}", f"fast/step/{n}"), ratio(f"einsum/step/{n}", f"fast/step/{n}", "median"))
    rows.append(("single trajectory vs einsum", f">= {H.TARGETS['single_vs_einsum']:.0f}x", a, False,
                 H.TARGETS["single_vs_einsum"]))
    a = (ratio(f"einsum/step/{n}", f"fast/batch/{n}/K64"), ratio(f"einsum/step/{n}", f"fast/batch/{n}/K64", "median"))
    rows.append(("batch K=64 vs einsum, per trajectory-step", f">= {H.TARGETS['batch64_vs_einsum']:.0f}x", a, False,
                 H.TARGETS["batch64_vs_einsum"]))
    b64 = L.get(f"fast/batch/{n}/K64", {})
    if peak and "min" in b64:
        gram_only = 2.0 * 64 * D * D / b64["min"] / 1e9
        frac = (b64["gflops_at_min"] / peak, b64["flops"] / b64["median"] / 1e9 / peak)
        rows.append((f"batched step / dgemm throughput (Gram FLOPs only: {gram_only / peak:.0%})",
                     f">= {H.TARGETS['batch_gemm_fraction']:.0%}", frac, True, H.TARGETS["batch_gemm_fraction"]))
    a = (ratio(f"machine/symv/D{D}", f"fast/step/{n}"), ratio(f"machine/symv/D{D}", f"fast/step/{n}", "median"))
    gv = ratio(f"machine/gemv/D{D}", f"fast/step/{n}")
    rows.append((f"single Gram step / bare symv (vs bare gemv: {_fmt_x(gv, True)})",
                 f">= {H.TARGETS['single_vs_matvec']:.0%}", a, True, H.TARGETS["single_vs_matvec"]))
    if any(row[2][0] is not None for row in rows):
        out.append(f"targets at {n}, float64:")
    for label, want, (lo, med), pct, thr in rows:
        if lo is None:
            continue
        verdict = "met" if lo >= thr else "MISSED"
        out.append(f"  {label:62s} {want:>7s}: {_fmt_x(lo, pct)} [{_fmt_x(med, pct)}] {verdict}")

    out += floor_lines(n)

    cross = []
    for K in (1, 64):
        row = []
        for frac in (0.125, 0.25, 0.375, 0.5, 0.75, 1.0):
            rr = ratio(f"cross/{frac}/dense/K{K}", f"cross/{frac}/gram/K{K}")
            if rr:
                row.append(f"{frac:g}: {rr:.2f}")
        if row:
            cross.append(f"  K={K}: dense/gram time at m/D = " + ", ".join(row))
    if cross:
        out.append("crossover (d=50, r=5; > 1 means Gram is faster):")
        out += cross
    f32 = [f"K={K}: {ratio(f'fast/batch/{n}/K{K}' if K > 1 else f'fast/step/{n}', f'fast32/batch/{n}/K{K}'):.2f}x"
           for K in (1, 64) if ratio(f"fast/batch/{n}/K{K}" if K > 1 else f"fast/step/{n}", f"fast32/batch/{n}/K{K}")]
    if f32:
        out.append("float32 speed-up over float64 at " + n + ": " + ", ".join(f32))
    ident = [f"K={K}: {_fmt_t(t(f'identity/K{K}'))}" for K in (1, 64) if t(f"identity/K{K}")]
    if ident:
        out.append("full observation d=50 r=50 (per trajectory-step): " + ", ".join(ident))
    for key in sorted(k for k in L if k.startswith(("memory/", "float32-accuracy/", "sweep/")) and "text" in L[k]):
        out.append(f"{key}: {L[key]['text']}")
    return out


def floor_lines(n: str) -> list[str]:
    """Issue 14's rows: the batched step at K = 64, 256 against the einsum reference and against
    its floors (bare GEMM of the same shape, dgemm rate), all with H.FLOOR_THREADS threads."""
    L, t, ratio, T = H.LEDGER, H.unit_time, H.ratio, H.FLOOR_TARGETS
    if not any(f"floor/split/K{K}" in L and "min" in L[f"floor/split/K{K}"] for K in H.FLOOR_BATCHES):
        return []
    peak = L.get("floor/dgemm", {}).get("gflops_at_min")
    peak_med = (L["floor/dgemm"]["flops"] / L["floor/dgemm"]["median"] / 1e9) if peak else None
    # the vs-einsum ratios move with the reference (5.6 to 8.0 ms on one machine): print it
    ref = (f"; einsum reference {_fmt_t(t('floor/einsum'))} [{_fmt_t(t('floor/einsum', 'median'))}]"
           if t("floor/einsum") else "")
    out = [f"batched step near the floor at {n}, {H.FLOOR_THREADS} BLAS threads (per trajectory-step; min "
           f"[median]); dgemm 2000^3: " + (f"{peak:.1f} [{peak_med:.1f}] GFLOP/s" if peak else "-") + ref]
    out.append("  (rows 'K, n steps': n fused steps in one call, GradientStep.steps, what gradient_descent runs "
               "between two stops; time per trajectory-step)")
    out.append(f"  {'K':>4s} {'step':>9s} {'bare GEMM':>10s} {'numpy step':>11s} {'vs einsum':>15s} {'target':>7s} "
               f"{'step/GEMM':>13s} {'<= ' + format(T['over_gemm'], 'g'):>6s} {'GEMM rate':>11s} {'>= ' + format(T['gemm_rate_fraction'], '.0%'):>6s} "
               f"{'numpy vs einsum':>15s}")
    rows = [(K, kind) for K in H.FLOOR_BATCHES for kind in ("split", "steps")]
    for K, kind in rows:
        st, gm, npy = f"floor/{kind}/K{K}", f"floor/gemm/K{K}", f"floor/numpy/K{K}"
        if "min" not in L.get(st, {}):
            continue
        ein = "floor/einsum"
        ve = (ratio(ein, st), ratio(ein, st, "median"))
        og = (ratio(st, gm), ratio(st, gm, "median"))
        fr = (None, None)
        if peak:
            e = L[st]
            fr = (e["flops"] / e["min"] / 1e9 / peak, e["flops"] / e["median"] / 1e9 / peak_med)
        ne = ratio(ein, npy)
        pr = L[st].get("paired_over_gemm")
        paired = (f"{np.median(pr):.2f}x ({min(pr):.2f}-{max(pr):.2f}) "
                  + ("met" if np.median(pr) <= T["over_gemm"] else "MISSED")) if pr else "-"

        def pair(v, pct=False, digits=1):
            return f"{_fmt_x(v[0], pct, digits)} [{_fmt_x(v[1], pct, digits)}]" if v[0] is not None else "-"

        want = T["vs_einsum"].get(K)
        verdicts = [("met" if ve[0] >= want else "MISSED") if ve[0] is not None and want else "-",
                    ("met" if og[0] <= T["over_gemm"] else "MISSED") if og[0] is not None else "-",
                    ("met" if fr[0] >= T["gemm_rate_fraction"] else "MISSED") if fr[0] is not None else "-"]
        label = f"{K}" if kind == "split" else f"{K}, {L[st]['per'] // K} steps"
        out.append(f"  {label:>4s} {_fmt_t(t(st)):>9s} {_fmt_t(t(gm)):>10s} {_fmt_t(t(npy)):>11s} {pair(ve):>15s} "
                   f"{('>= ' + format(want, 'g') + 'x') if want else '-':>7s} {pair(og, digits=2):>13s} {verdicts[1]:>6s} "
                   f"{pair(fr, True):>11s} {verdicts[2]:>6s} {_fmt_x(ne):>15s}  vs-einsum target {verdicts[0]}; "
                   f"step/GEMM in alternating blocks, median (range): {paired}")
    return out


@pytest.hookimpl(tryfirst=True)  # before pytest-benchmark's tables, which raise on a regression
def pytest_terminal_summary(terminalreporter):
    if not H.LEDGER:
        return
    terminalreporter.section("hot loop: ratios and targets")
    for line in summary_lines():
        terminalreporter.write_line(line)
    path = os.environ.get("SENSING_BENCH_SUMMARY")
    if path:
        data = {k: {kk: vv for kk, vv in v.items() if kk != "result"} for k, v in H.LEDGER.items()}
        with open(path, "w", encoding="utf-8") as fh:
            json.dump({"ledger": data, "summary": summary_lines()}, fh, indent=1, default=str)
