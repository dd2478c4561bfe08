"""Structured measurements (issue 14; not an experiment of the paper): incremental learning of a
d = 1000 instance under rank-one measurements (setup ``literal``) and entry sampling (matrix
completion, setup ``separated``), by the factored gradient descent of :mod:`sensing.structured`.

Z* has eigenvalues 16, 8, 4, 2 (Haar eigenvectors), r̂ = 5, U₀ = αŪ with ‖Ū‖ = 1, two α, and the
step μ = 0.05/‖𝒜*(y)‖. The figure shows λ_s(U_tU_tᵀ) over t (against the levels the population
loss predicts) and ‖U_tU_tᵀ − R_s‖_F for the references R_s computed from factors only
(:class:`sensing.Factored`): X_sX_sᵀ, and for rank-one measurements also the rank-s minimiser
Z̄_s of the *population* loss ¼(2‖Z − Z*‖_F² + tr(Z − Z*)²) (𝔼𝒜*𝒜(Z) = 2Z + tr(Z)I):
Z̄_s = Σ_{i≤s} c_i v_iv_iᵀ with c_i = σ_i² + (tr Z* − S_s)/2, S_s = (2Σ_{i≤s}σ_i² + s·tr Z*)/(2 + s)
(stationarity of the population f_s along the v_i; c_i = σ_i² at s = r*). The exact Z*_s of the
instance (:func:`sensing.sensing_minimizer`) costs minutes per s at d = 1000 and is not computed.

- rank-one: m = 10⁴ Gaussian vectors a_i (the issue's scale target);
- completion: |Ω| = 2·10⁵ of the D = 500 500 entries (p = 0.4), 𝔼𝒜*𝒜 = I.

``--quick`` runs d = 60 (m = 1200, |Ω| = 1200 of 1830).
"""
from __future__ import annotations

import dataclasses
import os

import numpy as np

import sensing

from ._common import CLOSE, NOT_REPRODUCED, PARTLY, REPRODUCED, Context, Finding, Result, fmt_list

KIND = "structured"
TITLE = "Structured measurements (issue 14, not in the paper): incremental learning at d = 1000"
QUICK_DIFFERS: dict = {}
from ._plotting import FIGSIZES  # noqa: E402  (registered there with the others)
DPI = 100
FIGSIZE = FIGSIZES["structured_incremental"]
FINDINGS = ("visits_ordered", "final_recovery", "near_truncation")
EIGENVALUES = (16.0, 8.0, 4.0, 2.0)
RANK = 5
ALPHAS = (1e-3, 1e-6)
STEP_BUDGET = 0.05
#: (d, m, steps) per operator, full and quick
SIZES = {("rank_one", "full"): (1000, 10_000, 6000), ("completion", "full"): (1000, 200_000, 8000),
         ("rank_one", "quick"): (60, 1200, 1500), ("completion", "quick"): (60, 1200, 3000)}
OPERATOR = {"literal": "rank_one", "separated": "completion"}


def finding_names(cfg) -> list:
    return list(FINDINGS)


def population_levels(operator: str, eig, s: int) -> np.ndarray:
    """The eigenvalues c_1..c_s of the population rank-s minimiser (module docstring)."""
    eig = np.asarray(eig, dtype=float)
    if operator != "rank_one":
        return eig[:s].copy()
    tr = float(eig.sum())
    S = (2.0 * eig[:s].sum() + s * tr) / (2.0 + s)
    return eig[:s] + (tr - S) / 2.0


def run(ctx: Context) -> Result:
    op_kind = OPERATOR[ctx.setup]
    quick = ctx.cfg.name == "quick"
    d, m, T = SIZES[(op_kind, "quick" if quick else "full")]
    key = ctx.key(KIND)
    pb = sensing.make_problem(d, eigenvalues=np.array(EIGENVALUES), m=m, operator=op_kind, seed=ctx.cfg.seed)
    gt = pb.truth
    lam = float(pb.op.adjoint_norm(pb.y))
    step = STEP_BUDGET / lam * (2.0 if ctx.fault == "gradient-x2" else 1.0)
    r = gt.rank
    V = gt.eigenvectors[:, :r]
    refs = {f"X_{s}X_{s}ᵀ": sensing.Factored(V[:, :s] * np.sqrt(gt.eigenvalues[:s])) for s in range(1, r + 1)}
    levels = [population_levels(op_kind, EIGENVALUES, s) for s in range(1, r + 1)]
    if op_kind == "rank_one":
        refs.update({f"Z̄_{s}": sensing.Factored(V[:, :s] * np.sqrt(levels[s - 1])) for s in range(1, r)})
    rng = np.random.default_rng(np.random.SeedSequence(ctx.cfg.seed).spawn(3)[2])
    Ubar = sensing.initial_factor(d, RANK, 1.0, rng, scaling="unit")
    U0 = np.stack([a * Ubar for a in ALPHAS])
    ctx.progress.line(f"    {key}: {op_kind}, d = {d}, m = {m}, r̂ = {RANK}, μ = {step:.3g}, {T} steps")
    every = max(1, T // 600)
    tr = ctx.descend(pb, U0, T, references=refs, record_every=every, n_eigenvalues=RANK, label=key)
    t = tr.record_steps
    ev = tr.eigenvalues  # (K, n, RANK), descending
    names = list(refs)
    dist = np.stack([tr.distance(n) for n in names], axis=-1)  # (K, n, len(refs))
    # visit of rank s: first t with lambda_s(U U^T) >= half its final level c_s (the s = r* level)
    final = np.asarray(EIGENVALUES)
    visit = np.array([[int(t[np.argmax(ev[k, :, s] >= final[s] / 2)]) if np.any(ev[k, :, s] >= final[s] / 2) else -1
                       for s in range(r)] for k in range(len(ALPHAS))])
    nZ = float(np.linalg.norm(EIGENVALUES))
    final_err = dist[:, -1, names.index(f"X_{r}X_{r}ᵀ")] / nZ
    trunc = np.array([[dist[k, :, names.index(f"X_{s}X_{s}ᵀ")].min() / np.linalg.norm(EIGENVALUES[:s])
                       for s in range(1, r + 1)] for k in range(len(ALPHAS))])
    pop = (np.array([[dist[k, :, names.index(f"Z̄_{s}")].min() / np.linalg.norm(levels[s - 1])
                      for s in range(1, r)] for k in range(len(ALPHAS))]) if op_kind == "rank_one" else None)
    arrays = {"alphas": np.array(ALPHAS), "steps": t, "eigenvalues": ev, "distances": dist, "visit": visit,
              "final_error": final_err, "min_truncation": trunc, "levels_last": levels[-1],
              "population_levels": np.array([np.pad(c, (0, r - c.size)) for c in levels])}
    if pop is not None:
        arrays["min_population"] = pop
    ordered = bool(np.all(visit >= 0) and np.all(np.diff(visit, axis=1) > 0))
    out = [
        Finding(key, "visits ordered: λ_s(U_tU_tᵀ) reaches σ_s²/2 in the order s = 1..r*",
                "Jin et al. Thm 4.1 (incremental learning), on a structured operator",
                "t_1 < t_2 < … < t_r* for each α", "t_s per α: " + "; ".join(
                    f"α={a:g}: {visit[k].tolist()}" for k, a in enumerate(ALPHAS)),
                REPRODUCED if ordered else NOT_REPRODUCED, {"visit": visit.tolist()}, name="visits_ordered"),
        Finding(key, "final recovery ‖U_TU_Tᵀ − Z*‖_F/‖Z*‖_F (r̂ > r*)", "Jin et al. Thm 4.1, s = r*",
                f"≤ {CLOSE:g} for each α", fmt_list(final_err.tolist()),
                REPRODUCED if np.all(final_err <= CLOSE) else NOT_REPRODUCED, {"final_error": final_err.tolist()},
                name="final_recovery"),
        Finding(key, "min_t ‖U_tU_tᵀ − X_sX_sᵀ‖_F/‖X_sX_sᵀ‖_F, s < r* (plateaus at the truncation)",
                "Jin et al. Thm 4.1 with Z*_s ≈ X_sX_sᵀ (an O(δ) gap under the ℓ₂ RIP)",
                f"≤ {CLOSE:g} for s < r* (the gap Z*_s − X_sX_sᵀ is O(δ); none is certified here)",
                "; ".join(f"α={a:g}: {fmt_list(trunc[k, :-1].tolist())}" for k, a in enumerate(ALPHAS))
                + ("" if pop is None else "; to the population minimiser Z̄_s: " + "; ".join(
                    f"α={a:g}: {fmt_list(pop[k].tolist())}" for k, a in enumerate(ALPHAS))),
                (REPRODUCED if np.all(trunc[:, :-1] <= CLOSE) else PARTLY if np.any(trunc[:, :-1] <= CLOSE)
                 else NOT_REPRODUCED), {"min_truncation": trunc.tolist()}, name="near_truncation"),
    ]
    params = {"config": dataclasses.asdict(ctx.cfg), "setup": ctx.setup, "fault": ctx.fault,
              "seed": ctx.cfg.seed, "operator": op_kind, "d": d, "m": m, "rank": RANK, "alphas": list(ALPHAS),
              "eigenvalues": list(EIGENVALUES), "step_size_mu": step, "norm_adjoint_y": lam, "steps": T,
              "setting": f"{op_kind}, d = {d}, m = {m}, eig(Z*) = {list(EIGENVALUES)}, r̂ = {RANK}, μ = {step:.3g}",
              "convention": "loss 1/4||A(UU^T) - y||^2, A(Z)_i = <A_i, Z>/sqrt(m); U_0 = alpha Ubar, ||Ubar|| = 1"}
    return Result(key, KIND, ctx.setup, arrays, params, out)


def pngs(setups) -> list:
    return ["structured_incremental.png"]


def draw(results: list, out) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, len(results), figsize=FIGSIZE, dpi=DPI, squeeze=False)
    for j, res in enumerate(results):
        a, p = res.arrays, res.params
        t, ev, D = a["steps"], a["eigenvalues"], a["distances"]
        K = ev.shape[0]
        ax = axes[0, j]
        r = len(p["eigenvalues"])
        for k in range(K):
            for s in range(ev.shape[-1]):
                ax.semilogy(t, np.maximum(ev[k, :, s], 1e-16), color=f"C{s}", lw=1,
                            ls="-" if k == K - 1 else ":", label=f"λ_{s + 1}(UUᵀ)" if k == K - 1 else None)
        for s, c in enumerate(p["eigenvalues"]):
            ax.axhline(c, color=f"C{s}", lw=0.6, ls="--")
        if p["operator"] == "rank_one":
            lv = a["population_levels"]
            for s in range(r - 1):
                ax.plot([t[0], t[-1]], [lv[s, s]] * 2, color=f"C{s}", lw=0.6, ls="-.")
        ax.set_ylim(1e-8, 2 * max(p["eigenvalues"]))
        al = ", ".join(f"{x:g}" for x in a["alphas"])
        ax.set_title(f"{p['setting']}\nα = {al} (dotted: larger α); dashed: σ_s²"
                     + ("; dash-dot: plateau level c_s of Z̄_s" if p["operator"] == "rank_one" else ""), fontsize=8)
        ax.set_ylabel("eigenvalues of U_tU_tᵀ")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
        ax = axes[1, j]
        names = [f"X_{s}X_{s}ᵀ" for s in range(1, r + 1)] + ([f"Z̄_{s}" for s in range(1, r)]
                                                              if p["operator"] == "rank_one" else [])
        for i, n in enumerate(names):
            s = int(n[2]) if n.startswith("X") else int(n.split("_")[1])
            ax.semilogy(t, np.maximum(D[-1, :, i], 1e-16), color=f"C{s - 1}", lw=1,
                        ls="-" if n.startswith("X") else "-.", label=f"‖UUᵀ − {n}‖_F (α = {a['alphas'][-1]:g})")
        ax.set_xlabel("t (GD steps)")
        ax.set_ylabel("distance")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=6, loc="lower left", ncol=2)
    fig.suptitle("Incremental learning under structured measurements (left: rank-one A_i = a_ia_iᵀ; "
                 "right: entry sampling)", fontsize=11)
    fig.subplots_adjust(left=0.07, right=0.985, bottom=0.07, top=0.88, wspace=0.2, hspace=0.25)
    fig.savefig(os.path.join(out, "structured_incremental.png"), dpi=DPI)
    plt.close(fig)
    return {r.key: ["structured_incremental.png"] for r in results}
