"""Wind 2023 (arXiv 2309.01796 v1; only the abstract is seen): learning times and the GD–flow gap.

Not an experiment of the paper (its abstract reports none): the figures its reconstructed claims
predict, from the claim modules :mod:`theorems.wind2023.convergence` and
:mod:`theorems.wind2023.gradient_flow` at their default instances.

* learning times: T_ε(α) (first t with ‖F_tG_tᵀ − Z*‖_F ≤ ε‖Z*‖_F) against log(1/α), with the
  slope law 1/log(1 + μσ_r*/2) of the lifted linearisation and the rejected reading
  1/log(1 + μσ_r*);
* the GD–flow gap: max_k ‖W_k − W(μk)‖_F against μ (slope 1 in log-log), and the relative gap
  ‖W_k − W(t)‖/‖W(t)‖ against flow time t at the smallest step, with the flow's escape times.

Setups: ``literal`` runs the claims' defaults (Gaussian measurements), ``separated`` the same
instances under full observation (𝒜*𝒜 = I: the slope band is exact). The ``gradient-x2`` fault
runs every descent with twice the gradient while the predictions keep μ.
"""
from __future__ import annotations

import dataclasses
import os

import numpy as np

from ._common import NOT_REPRODUCED, REPRODUCED, Context, Finding, Result, doubled_gradient

KIND = "wind"
TITLE = "Wind 2023: learning times against log(1/α) and the GD–flow gap (not in the paper)"
QUICK_DIFFERS: dict = {}
from ._plotting import FIGSIZES  # noqa: E402  (registered there with the others)
DPI = 100


def _claims():
    from ..wind2023 import convergence, gradient_flow

    return convergence, gradient_flow


def finding_names(cfg) -> list:
    return ["time_law", "final_error", "gap_exponent", "gap_small"]


def _settings(ctx: Context):
    conv, flow = _claims()
    op = dict(operator="gaussian") if ctx.setup == "literal" else dict(operator="identity")
    return conv.DEFAULT.replace(seed=ctx.cfg.seed, **op), flow.DEFAULT.replace(seed=ctx.cfg.seed, **op)


def run(ctx: Context) -> Result:
    conv, flow = _claims()
    key = ctx.key(KIND)
    dyn = doubled_gradient if ctx.fault == "gradient-x2" else None
    s_conv, s_flow = _settings(ctx)
    ctx.progress.line(f"    {key}: α sweep ({s_conv.describe()})")
    ev_c = conv.evidence(s_conv, dynamics=dyn)
    v_c = conv.CLAIM.judge(s_conv, ev_c)
    ctx.progress.line(f"    {key}: GD at μ, μ/2, μ/4 against the flow ({s_flow.describe()})")
    ev_f = flow.evidence(s_flow, dynamics=dyn)
    v_f = flow.CLAIM.judge(s_flow, ev_f)
    times = conv.times_to(ev_c.errors, conv.EPSILON)
    sigma = float(s_conv.eigenvalues[-1])
    arrays = {
        "alphas": ev_c.alphas, "T_eps": times, "final_error": ev_c.errors[:, -1], "floor": np.array(ev_c.floor),
        "slope_law": np.array(conv.predicted_slope(s_conv.step, sigma)),
        "slope_naive": np.array(1.0 / np.log1p(s_conv.step * sigma)),
        "sigma_band": np.array(ev_c.sigma_band),
        "steps": ev_f.steps, "gaps": ev_f.gaps, "gaps_z": ev_f.gaps_z, "t": ev_f.times,
        "gap_curve": ev_f.gap_curve, "flow_norm": ev_f.flow_norm, "escape_times": ev_f.escape_times,
        "eigenvalues": np.array(s_conv.eigenvalues), "flow_eigenvalues": np.array(s_flow.eigenvalues),
    }
    params = {"config": dataclasses.asdict(ctx.cfg), "setup": ctx.setup, "fault": ctx.fault, "seed": ctx.cfg.seed,
              "convergence_setting": s_conv.describe(), "flow_setting": s_flow.describe(),
              "epsilon": conv.EPSILON, "step_size_mu": s_conv.step,
              "step_size_used": s_conv.step * (2.0 if dyn else 1.0),
              "convention": "loss 1/4||A(FG^T) - y||^2; Wind's 1/2 loss has step eta = mu/2"}
    return Result(key, KIND, ctx.setup, arrays, params, findings(key, v_c, v_f))


def findings(key, v_c, v_f) -> list:
    out = []
    for verdict, name, claim, source in (
            (v_c, "time_law", "T_ε(α) grows like log(1/α)/log(1 + μσ_r*/2)", "abstract; lifted linearisation (RECONSTRUCTED)"),
            (v_c, "final_error", "GD reaches Z* at the round-off floor", "abstract: convergence to the target"),
            (v_f, "gap_exponent", "max_k ‖W_k − W(μk)‖ ∝ μ", "abstract: GD reduces to the perturbed gradient flow"),
            (v_f, "gap_small", "GD tracks the flow at the smallest step", "abstract: GD reduces to the perturbed gradient flow")):
        m = verdict.measurement(name)
        status = REPRODUCED if m.holds else NOT_REPRODUCED
        out.append(Finding(key, claim, f"Wind 2023 v1, {source}", m.predicted, m.measured_text(), status,
                           {"measured": m.measured}, name=name))
    return out


def pngs(setups) -> list:
    return ["wind_learning_times.png", "wind_flow_gap.png"]


def draw(results: list, out) -> dict:
    names = [plot_times(results, out), plot_gap(results, out)]
    return {r.key: names for r in results}


def _figure(kind, nrows, ncols):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(nrows, ncols, figsize=FIGSIZES[kind], dpi=DPI, squeeze=False)


def _save(fig, path):
    import matplotlib.pyplot as plt

    fig.subplots_adjust(left=0.07, right=0.985, bottom=0.1, top=0.85, wspace=0.25, hspace=0.35)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def _title(res, which="eigenvalues") -> str:
    obs = "Gaussian A_i" if res.setup == "literal" else "full observation"
    sv = ", ".join(f"{e:g}" for e in res.arrays[which])
    fault = "" if res.params["fault"] == "none" else f" [fault: {res.params['fault']}]"
    return f"{obs}, σ(Z*) = [{sv}]{fault}"


def plot_times(results: list, out) -> str:
    fig, axes = _figure("wind_learning_times", 1, len(results))
    for ax, res in zip(axes.flat, results):
        a = res.arrays
        x = np.log(1.0 / a["alphas"])
        T = a["T_eps"].astype(float)
        ok = T >= 0
        ax.plot(x[ok], T[ok], "o", color="k", label="T_ε(α), GD")
        if ok.sum() >= 2:
            b = np.polyfit(x[ok], T[ok], 1)
            ax.plot(x, np.polyval(b, x), "k-", lw=1, label=f"fit: slope {b[0]:.3g}")
            x0, t0 = x[ok][0], T[ok][0]
            for slope, style, lab in ((float(a["slope_law"]), "--", "1/log(1+μσ_r*/2)"),
                                      (float(a["slope_naive"]), ":", "1/log(1+μσ_r*) (rejected reading)")):
                ax.plot(x, t0 + slope * (x - x0), style, label=f"{lab} = {slope:.3g}")
        ax.set_xlabel("log(1/α)")
        ax.set_ylabel("T_ε: first t with ‖F_tG_tᵀ − Z*‖_F ≤ ε‖Z*‖_F")
        ax.set_title(f"{_title(res)}\nμ = {res.params['step_size_used']:g}, ε = {res.params['epsilon']:g}", fontsize=10)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8, loc="upper left")
    fig.suptitle("Asymmetric GD: learning time grows like log(1/α) (Wind 2023, reconstructed slope)", fontsize=12)
    _save(fig, os.path.join(out, "wind_learning_times.png"))
    return "wind_learning_times.png"


def plot_gap(results: list, out) -> str:
    fig, axes = _figure("wind_flow_gap", 2, len(results))
    for j, res in enumerate(results):
        a = res.arrays
        ax = axes[0, j]
        ax.loglog(a["steps"], a["gaps"], "o-", color="k", label="max_k ‖W_k − W(μk)‖_F")
        ax.loglog(a["steps"], a["gaps"][0] * a["steps"] / a["steps"][0], "--", color="C0", label="slope 1")
        ax.set_xlabel("step μ")
        ax.set_ylabel("GD–flow gap")
        ax.set_title(f"{_title(res, 'flow_eigenvalues')}\n{res.params['flow_setting']}", fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8, loc="upper left")
        ax = axes[1, j]
        rel = a["gap_curve"] / np.maximum(a["flow_norm"], 1e-300)
        ax.plot(a["t"], rel, "-", color="k", label=f"‖W_k − W(t)‖/‖W(t)‖ at μ = {a['steps'][-1]:g}")
        for i, te in enumerate(a["escape_times"]):
            if np.isfinite(te):
                ax.axvline(te, color=f"C{i + 1}", ls=":", label=f"flow escape s = {i + 1} (λ_s(Z(t)) = λ_s/2)")
        ax.set_xlabel("flow time t")
        ax.set_ylabel("relative gap")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8, loc="upper right")
    fig.suptitle("GD tracks the gradient flow, gap ∝ μ; the saddle escape amplifies it (Wind 2023)", fontsize=12)
    _save(fig, os.path.join(out, "wind_flow_gap.png"))
    return "wind_flow_gap.png"
