"""Jiang, Chen, Ding 2023 (arXiv 2203.02839; abstract only, laws RECONSTRUCTED): the asymmetric
learning times t_k against log(1/α), and the closest approach to Z*_k against α.

Not an experiment of the paper: the figure :mod:`theorems.jiang2023.incremental` predicts at its
default instance. ``separated`` runs the default (full observation, Z*_k the truncated SVD),
``literal`` the same instance under Gaussian measurements (Z*_k the rank-k sensing minimiser).
The slope of t_k is 1/log(1 + μσ_k/2) in our ¼-loss (the lifted linearisation's eigenvalues are
±σ_k/2): σ_k, not σ_k²; the σ_k² reading is drawn for contrast. The ``gradient-x2`` fault runs
the descent with twice the gradient while the predictions keep μ.
"""
from __future__ import annotations

import dataclasses
import os

import numpy as np

from ._common import NOT_REPRODUCED, REPRODUCED, Context, Finding, Result, doubled_gradient

KIND = "jiang"
TITLE = "Jiang–Chen–Ding 2023: asymmetric learning times against log(1/α) (not in the paper)"
QUICK_DIFFERS: dict = {}
from ._plotting import FIGSIZES  # noqa: E402  (registered there with the others)
DPI = 100
#: Gaussian measurements for the ``literal`` setup: the claim's strategy rule for m (a factor-2
#: RIP margin), at the default's size.
FINDINGS = ("learning_order", "time_slope", "sigma_not_sigma_squared", "distance_exponent")


def _claim():
    from ..jiang2023 import incremental

    return incremental


def finding_names(cfg) -> list:
    return list(FINDINGS)


def _setting(ctx: Context):
    c = _claim()
    s = c.DEFAULT.replace(seed=ctx.cfg.seed)
    if ctx.setup == "literal":
        s = s.replace(operator="gaussian", m=c.required_m(s.eigenvalues, s.d, s.d2))
    return s


def run(ctx: Context) -> Result:
    c = _claim()
    key = ctx.key(KIND)
    s = _setting(ctx)
    dyn = doubled_gradient if ctx.fault == "gradient-x2" else None
    ctx.progress.line(f"    {key}: α sweep ({s.describe()})")
    ev = c.evidence(s, dynamics=dyn)
    v = c.CLAIM.judge(s, ev)
    sig = np.asarray(s.eigenvalues, dtype=float)
    arrays = {"alphas": ev.alphas, "times": ev.times, "singular_values": sig,
              "slope_law": c.predicted_slope(s.step, sig), "slope_sigma2": c.sigma_squared_slope(s.step, sig),
              "min_distance": ev.min_distance}
    params = {"config": dataclasses.asdict(ctx.cfg), "setup": ctx.setup, "fault": ctx.fault, "seed": ctx.cfg.seed, "setting": s.describe(),
              "step_size_mu": s.step, "reference": ev.reference,
              "convention": "loss 1/4||A(FG^T) - y||^2; Jiang et al.'s 1/2 loss has step eta = mu/2"}
    out = []
    for name in FINDINGS:
        m = v.measurement(name)
        out.append(Finding(key, name.replace("_", " "), "Jiang–Chen–Ding 2023, abstract (law RECONSTRUCTED)",
                           m.predicted, m.measured_text(), REPRODUCED if m.holds else NOT_REPRODUCED,
                           {"measured": m.measured}, name=name))
    return Result(key, KIND, ctx.setup, arrays, params, out)


def pngs(setups) -> list:
    return ["jiang_learning_times.png"]


def draw(results: list, out) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=FIGSIZES["jiang_learning_times"], dpi=DPI, squeeze=False)
    for ax, res in zip(axes.flat, results):
        a = res.arrays
        x = np.log(1.0 / a["alphas"])
        for k in range(a["times"].shape[1]):
            T = a["times"][:, k].astype(float)
            ok = T >= 0
            ax.plot(x[ok], T[ok], "o", color=f"C{k}", label=f"t_{k + 1} (σ = {a['singular_values'][k]:g})")
            if ok.any():
                x0, t0 = x[ok][0], T[ok][0]
                ax.plot(x, t0 + a["slope_law"][k] * (x - x0), "-", color=f"C{k}", lw=1,
                        label=f"1/log(1+μσ/2) = {a['slope_law'][k]:.3g}")
                ax.plot(x, t0 + a["slope_sigma2"][k] * (x - x0), ":", color=f"C{k}", lw=1)
        obs = "full observation" if res.setup == "separated" else "Gaussian A_i"
        fault = "" if res.params["fault"] == "none" else f" [fault: {res.params['fault']}]"
        ax.set_title(f"{obs}{fault}\n{res.params['setting']}", fontsize=9)
        ax.set_xlabel("log(1/α)")
        ax.set_ylabel("t_k: first t with σ_k(F_tG_tᵀ) ≥ σ_k/2")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
    fig.suptitle("Asymmetric incremental learning: slopes 1/log(1+μσ_k/2) (solid), not the σ_k² reading (dotted)",
                 fontsize=11)
    fig.subplots_adjust(left=0.07, right=0.985, bottom=0.1, top=0.82, wspace=0.25)
    fig.savefig(os.path.join(out, "jiang_learning_times.png"), dpi=DPI)
    plt.close(fig)
    return {r.key: ["jiang_learning_times.png"] for r in results}
