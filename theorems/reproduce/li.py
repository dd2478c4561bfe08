"""Li, Luo, Lyu 2021 (arXiv 2012.09839; abstract only, GLRL and its first-stage theorem
RECONSTRUCTED): gradient descent's distance to each GLRL stage W_s against t for the α sweep.

Not an experiment of the paper: the figure :mod:`theorems.li2021.glrl` predicts at its default
instance. ``literal`` runs the default (Gaussian measurements, m from the strategies' RIP rule),
``separated`` the same instance under full observation. Each α's curve ‖U_tU_tᵀ − W_s‖_F dips
at its visit T^s(α) (marked), ever deeper as α shrinks; the dashed vertical lines are the
stage-1 half-times t_½ of GLRL run with the matched ε = (α‖Ūᵀu₁‖)² (GLRL's own clock, which
coincides with GD's to a step). The ``gradient-x2`` fault runs the descent with twice the
gradient while GLRL keeps μ.
"""
from __future__ import annotations

import dataclasses
import os

import numpy as np

from ._common import NOT_REPRODUCED, NOT_TESTABLE, REPRODUCED, Context, Finding, Result, doubled_gradient

KIND = "li"
TITLE = "Li–Luo–Lyu 2021: gradient descent passes near every GLRL stage (not in the paper)"
QUICK_DIFFERS: dict = {}
from ._plotting import FIGSIZES  # noqa: E402  (registered there with the others)
DPI = 100
FIGSIZE = FIGSIZES["li_glrl"]
FINDINGS = ("stages_are_minimisers", "stops_at_r_star", "first_direction", "gd_passes_near_stages",
            "visit_time_law", "trajectory_matches_glrl")


def _claim():
    from ..li2021 import glrl

    return glrl


def finding_names(cfg) -> list:
    return list(FINDINGS)


def _setting(ctx: Context):
    c = _claim()
    s = c.DEFAULT.replace(seed=ctx.cfg.seed)
    if ctx.setup == "separated":
        s = s.replace(operator="identity")
    return s


def run(ctx: Context) -> Result:
    from .._core import execute

    c = _claim()
    key = ctx.key(KIND)
    s = _setting(ctx)
    dyn = doubled_gradient if ctx.fault == "gradient-x2" else None
    ctx.progress.line(f"    {key}: GLRL and α sweep ({s.describe()})")
    ev = c.evidence(s, dynamics=dyn)
    v = c.CLAIM.judge(s, ev)
    tr = execute(c.plan(s)[0], s, dyn)
    S = len(ev.stage_W)
    curves = np.stack([tr.distance(f"stage{k}") for k in range(1, S + 1)], axis=-1)  # (K, n, S)
    arrays = {"alphas": ev.alphas, "steps": tr.record_steps, "distances": curves, "horizon": ev.horizon,
              "visit": ev.visit, "min_distance": ev.min_distance, "half_glrl": ev.half_glrl,
              "trajectory_gap": ev.trajectory_gap}
    params = {"config": dataclasses.asdict(ctx.cfg), "setup": ctx.setup, "fault": ctx.fault,
              "seed": ctx.cfg.seed, "setting": s.describe(), "step_size_mu": s.step,
              "glrl_epsilon": c.EPSILON, "convention": "loss 1/4||A(UU^T) - y||^2"}
    out = []
    for name in FINDINGS:
        ms = [m for m in v.measurements if m.name == name]
        run_ = [m for m in ms if m.testable]
        status = (NOT_TESTABLE if not run_ else REPRODUCED if all(m.holds for m in run_) else NOT_REPRODUCED)
        out.append(Finding(key, name.replace("_", " "), "Li–Luo–Lyu 2021, abstract (GLRL RECONSTRUCTED)",
                           "; ".join(m.predicted for m in ms), "; ".join(m.measured_text() for m in ms),
                           status, {"measured": [m.measured for m in ms]}, name=name))
    return Result(key, KIND, ctx.setup, arrays, params, out)


def pngs(setups) -> list:
    return ["li_glrl.png"]


def draw(results: list, out) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=FIGSIZE, dpi=DPI, squeeze=False)
    for ax, res in zip(axes.flat, results):
        a = res.arrays
        t = a["steps"]
        D = a["distances"]
        K, _, S = D.shape
        for k in range(K):
            keep = t <= a["horizon"][k]
            for s in range(S):
                ax.semilogy(t[keep], np.maximum(D[k, keep, s], 1e-16), color=f"C{s}",
                            alpha=0.35 + 0.65 * (k + 1) / K, lw=1,
                            label=f"‖UUᵀ − W_{s + 1}‖_F" if k == K - 1 else None)
                T = int(a["visit"][k, s])
                if T >= 0:
                    ax.plot([T], [max(D[k, T, s], 1e-16)], "o", color=f"C{s}", ms=3)
            if a["half_glrl"][k] >= 0:
                ax.axvline(a["half_glrl"][k], color="0.5", ls="--", lw=0.7)
        obs = "full observation" if res.setup == "separated" else "Gaussian A_i"
        fault = "" if res.params["fault"] == "none" else f" [fault: {res.params['fault']}]"
        al = ", ".join(f"{x:.0e}" for x in a["alphas"])
        ax.set_title(f"{obs}{fault}: α = {al} (darker = smaller)\n{res.params['setting']}", fontsize=9)
        ax.set_xlabel("t (GD steps)")
        ax.set_ylabel("distance to GLRL stage W_s")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="lower left")
    fig.suptitle("GD passes near every GLRL stage (dots: visits T^s; dashed: GLRL stage-1 t_½ at "
                 "matched ε = (α‖Ūᵀu₁‖)²)", fontsize=11)
    fig.subplots_adjust(left=0.07, right=0.985, bottom=0.1, top=0.82, wspace=0.25)
    fig.savefig(os.path.join(out, "li_glrl.png"), dpi=DPI)
    plt.close(fig)
    return {r.key: ["li_glrl.png"] for r in results}
