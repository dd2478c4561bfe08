"""Under-parameterised runs r̂ < r* (not in the paper): its run, findings and figure.

Theorem 4.2: with r̂ ≤ r* and small α, U_tU_tᵀ converges to the sensing minimiser Z*_{r̂}
(Definition 1.1), not to the truncated SVD X_{r̂}X_{r̂}ᵀ; the two differ by O(δ) (Lemma 4.8).
"""
from __future__ import annotations

import os

import numpy as np

from . import _plotting as plot
from ._common import NOT_REPRODUCED, REPRODUCED, Context, Finding, Result

KIND = "under"
TITLE = "Under-parameterised convergence (not in the paper)"
#: The quick configuration gives the full run's verdicts for r̂ = 1, 2 (seed 0); it does not run
#: r̂ = 3, 4 (``under_ranks``).
QUICK_DIFFERS: dict = {}

#: Under-parameterised convergence: the final ‖U_TU_Tᵀ − Z*_r̂‖_F must be below this fraction of
#: the gap ‖Z*_r̂ − X_r̂X_r̂ᵀ‖_F, i.e. GD ends 1000× closer to Z*_r̂ than the two targets are apart.
CONVERGED = 1e-3


def finding_names(cfg) -> list:
    """Names of the findings :func:`run` reports, in report order."""
    return [f"converges_to_minimiser_rank_{rh}" for rh in cfg.under_ranks]


def run(ctx: Context) -> Result:
    cfg, key = ctx.cfg, ctx.key(KIND)
    pb = ctx.problem(cfg.m_main)
    Zs = ctx.minimisers(pb)
    ranks = np.array(cfg.under_ranks)
    T = cfg.under_steps
    every = max(1, T // 200)
    dZ, dX, gap = [], [], []
    for rh in ranks:
        X = pb.truth.truncated(int(rh))
        Z = Zs[int(rh) - 1]
        tr = ctx.descend(pb, cfg.under_alpha * ctx.ubar(int(rh)), T, references={"Z": Z, "X": X},
                         record_every=every, n_eigenvalues=0, label=f"r̂ = {rh}")
        dZ.append(tr.distance("Z") / np.linalg.norm(Z))
        dX.append(tr.distance("X") / np.linalg.norm(X))
        gap.append(np.linalg.norm(Z - X))
        t = tr.record_steps
    arrays = {"rank": ranks, "t": t, "dist_minimiser": np.array(dZ), "dist_truncated": np.array(dX),
              "gap": np.array(gap), "norm_minimiser": np.array([np.linalg.norm(Zs[int(k) - 1]) for k in ranks]),
              "eigenvalues": pb.truth.eigenvalues}
    params = {**ctx.base_params(pb), "m": cfg.m_main, "ranks": ranks.tolist(), "alpha": cfg.under_alpha,
              "steps": T, "record_every": every,
              "distances": "relative Frobenius ||U U^T - R||_F/||R||_F (not squared)"}
    return Result(key, KIND, ctx.setup, arrays, params, findings(key, arrays))


def findings(key, a) -> list:
    out = []
    for j, rh in enumerate(a["rank"]):
        gap = a["gap"][j]
        final_abs = float(a["dist_minimiser"][j][-1] * a["norm_minimiser"][j])
        ok = final_abs <= CONVERGED * gap and gap > 0
        out.append(Finding(
            key, f"r̂ = {rh} < r*: GD converges to Z*_{rh}, not to X_{rh}X_{rh}ᵀ",
            "Thm 4.2: lim_t U_tU_tᵀ = Z*_{r̂} for r̂ ≤ r* and small α",
            f"‖U_TU_Tᵀ − Z*_r̂‖_F ≤ {CONVERGED:g} × ‖Z*_r̂ − X_r̂X_r̂ᵀ‖_F",
            f"‖U_TU_Tᵀ − Z*_{rh}‖_F = {final_abs:.3g}; ‖Z*_{rh} − X_{rh}X_{rh}ᵀ‖_F = {gap:.3g}; "
            f"relative distance to X_{rh}X_{rh}ᵀ at T: {a['dist_truncated'][j][-1]:.3g}",
            REPRODUCED if ok else NOT_REPRODUCED,
            {"final_dist": final_abs, "gap": float(gap)}, name=f"converges_to_minimiser_rank_{rh}"))
    return out


def pngs(setups) -> list:
    return ["underparameterised.png"]


def draw(results: list, out) -> dict:
    """One figure, one panel per setup; every result is shown in it."""
    return plot.shown_in_all(results, [plot_under(results, out)])


def plot_under(results: list, out) -> str:
    fig, axes = plot.figure("underparameterised", 1, len(results))
    for ax, res in zip(axes.flat, results):
        a, p = res.arrays, res.params
        floor = np.finfo(float).eps
        for j, rh in enumerate(a["rank"]):
            ax.semilogy(a["t"], np.maximum(a["dist_minimiser"][j], floor), "-", color=plot.COLORS[j],
                        label=f"r̂ = {rh}: to Z*_{rh}")
            ax.semilogy(a["t"], a["dist_truncated"][j], "--", color=plot.COLORS[j], label=f"r̂ = {rh}: to X_{rh}X_{rh}ᵀ")
        ax.set_xlabel("iteration t")
        ax.set_ylabel(r"$\|U_tU_t^\top - R\|_F\, /\, \|R\|_F$,  $R = Z^*_{\hat r}$ or $X_{\hat r}X_{\hat r}^\top$")
        ax.set_title(f"{plot.setup_title(res)}\nm = {p['m']}, α = {p['alpha']:g}, μ = {p['step_size_used']:g}", fontsize=10)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=8, loc="lower left", ncol=2)
    fig.suptitle("Under-parameterised (r̂ < r*): GD converges to Z*_r̂, not to the truncated SVD (Thm 4.2)"
                 + plot.fault_suffix(results), fontsize=12)
    plot.layout(fig)
    plot.save(fig, os.path.join(out, "underparameterised.png"))
    return "underparameterised.png"
