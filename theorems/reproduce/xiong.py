"""Xiong, Ding, Du 2024 (ICLR 2024, arXiv 2310.01769; abstract and reviews seen, laws RECONSTRUCTED):
the imbalance drift of asymmetric GD and the slowdown of symmetric over-parameterised GD.

Not an experiment of the paper (its figures were not seen): the figures the claim modules
:mod:`theorems.xiong2024.imbalance` and :mod:`theorems.xiong2024.slowdown` predict at their
default instances (full observation, 6×5, σ(Z*) = [1, 0.5], r̂ = 3, F₀ ~ α, G₀ ~ α/3).

* imbalance: the drift ‖B_T − B_0‖_F (B = FᵀF − GᵀG) at fixed flow time τ = μT against μ
  (slope 1 in log–log: B is conserved by the flow, GD moves it by μ²(∇_Fᵀ∇_F − ∇_Gᵀ∇_G) per
  step), and the residual of that per-step identity over its round-off tolerance at the snapshot
  pairs (t, t + 1);
* slowdown: ‖U_tU_tᵀ − Z*‖_F against t for the symmetric r̂ > r* run (slope −1 in log–log) and
  the symmetric r̂ = r* run (geometric), the asymmetric r̂ > r* runs at α·(0.7, 0.5, 0.35)
  (geometric, semilog-y), and their late rate against α (exponent 2: the rate exp(−Ω(α²T))).

Setups: both run the claims' defaults under full observation (the slowdown laws have no RIP error
term only there, and the claim requires it): ``separated`` the default at seed ``cfg.seed``,
``literal`` the same instance at seed ``cfg.seed + 1`` (another draw of Z*, F̄ and Ḡ, in scope
for both claims at the default seed 0). The ``gradient-x2`` fault runs every descent (symmetric
and asymmetric) with twice the gradient while the predictions keep μ. Convention: loss
¼‖𝒜(FGᵀ) − y‖²; Xiong et al.'s ½-loss has step η = μ/2.
"""
from __future__ import annotations

import dataclasses
import os

import numpy as np

from ._common import NOT_REPRODUCED, NOT_TESTABLE, REPRODUCED, Context, Finding, Result, doubled_gradient

KIND = "xiong"
TITLE = ("Xiong–Ding–Du 2024: imbalance drift ∝ μ, symmetric 1/t slowdown, asymmetric α² rate "
         "(not in the paper)")
QUICK_DIFFERS: dict = {}
from ._plotting import FIGSIZES  # noqa: E402  (registered there with the others)
DPI = 100

#: (measurement name, claim, source) per finding, in report order.
IMBALANCE_FINDINGS = (
    ("drift_exponent", "the imbalance drift ‖B_T − B_0‖_F at fixed flow time is ∝ μ",
     "notes §4.3 (c): B conserved by the flow (RECONSTRUCTED)"),
    ("per_step_identity", "GD moves B by exactly μ²(∇_Fᵀ∇_F − ∇_Gᵀ∇_G) per step",
     "notes §4.3 (c): derived identity (RECONSTRUCTED)"),
)
SLOWDOWN_FINDINGS = (
    ("sublinear_slope", "symmetric r̂ > r*: ‖U_tU_tᵀ − Z*‖_F decays like 1/t (Ω(1/T²) squared)",
     "abstract: Ω(1/T²) for k > r; the 1/t reading RECONSTRUCTED"),
    ("redundant_decay", "symmetric r̂ > r*: a redundant eigenvalue follows x ← x − μx³ (1/x² grows by 2μ)",
     "notes §4.3: redundant-direction mechanism (RECONSTRUCTED)"),
    ("exact_linear", "symmetric r̂ = r*: linear convergence at ρ₁ = −log(1 − μλ_r*)",
     "abstract: exp(−Ω(T)) for k = r"),
    ("asymmetric_linear", "asymmetric r̂ > r*: linear convergence for every α",
     "abstract: exp(−Ω(α²T)) for the asymmetric model"),
    ("asymmetric_rate_exponent", "asymmetric r̂ > r*: the linear rate grows like α²",
     "abstract: exp(−Ω(α²T)); the rate ∝ α² reading RECONSTRUCTED"),
)
FINDINGS = tuple(n for n, _, _ in IMBALANCE_FINDINGS + SLOWDOWN_FINDINGS)


def _claims():
    from ..xiong2024 import imbalance, slowdown

    return imbalance, slowdown


def finding_names(cfg) -> list:
    return list(FINDINGS)


def _seed(ctx: Context) -> int:
    return ctx.cfg.seed + (1 if ctx.setup == "literal" else 0)


def _findings(key, verdict, table) -> list:
    out = []
    scope = "" if verdict.in_scope else f"instance out of scope ({', '.join(verdict.out_of_scope())})"
    for name, claim, source in table:
        m = verdict.measurement(name)
        if scope or not m.testable:
            status, measured = NOT_TESTABLE, f"not testable: {scope or m.reason}"
        else:
            status = REPRODUCED if m.holds else NOT_REPRODUCED
            measured = m.measured_text()
        out.append(Finding(key, claim, f"Xiong–Ding–Du 2024, {source}", m.predicted or m.quantity, measured,
                           status, {"measured": m.measured}, name=name))
    return out


def _asym_fits(sd, ev) -> tuple:
    """Per α: the late half of the geometric window (start, end times) and its log-linear fit
    (rate, intercept of log E), as the claim reads it (nan where there is no window)."""
    K = ev.alphas.size
    span, fit = np.full((K, 2), np.nan), np.full((K, 2), np.nan)
    for k in range(K):
        E = ev.asym_error[k]
        idx = sd._window(ev.asym_t, E, ev.asym_floor, ev.scale, sd.ASYM_WINDOW_TOP)
        if idx.size < 2 * sd.MIN_WINDOW or not np.all(E[idx] > 0):
            continue
        h2 = np.array_split(idx, 2)[1]
        t = ev.asym_t[h2].astype(float)
        b = np.polyfit(t, np.log(E[h2]), 1)
        span[k] = t[0], t[-1]
        fit[k] = -b[0], b[1]
    return span, fit


def run(ctx: Context) -> Result:
    imb, sd = _claims()
    key = ctx.key(KIND)
    dyn = doubled_gradient if ctx.fault == "gradient-x2" else None
    seed = _seed(ctx)
    s_i, s_s = imb.DEFAULT.replace(seed=seed), sd.DEFAULT.replace(seed=seed)
    ctx.progress.line(f"    {key}: imbalance at μ/2^k, fixed flow time ({s_i.describe()})")
    ev_i = imb.evidence(s_i, dynamics=dyn)
    v_i = imb.CLAIM.judge(s_i, ev_i)
    ctx.progress.line(f"    {key}: symmetric r̂ > r*, r̂ = r*, asymmetric α sweep ({s_s.describe()})")
    ev_s = sd.evidence(s_s, dynamics=dyn)
    v_s = sd.CLAIM.judge(s_s, ev_s)
    span, fit = _asym_fits(sd, ev_s)
    rho_sig = float(-np.log1p(-ev_s.asym_step * ev_s.lambda_min / 2.0))
    arrays = {
        # imbalance
        "imb_steps_sizes": ev_i.steps_sizes, "imb_steps": ev_i.steps, "imb_drifts": ev_i.drifts,
        "imb_floors": ev_i.floors, "imb_pair_times": ev_i.times,
        "imb_residual": np.linalg.norm(ev_i.increments - ev_i.predicted, axis=(-2, -1)),
        "imb_increment": np.linalg.norm(ev_i.predicted, axis=(-2, -1)), "imb_tolerances": ev_i.tolerances,
        "imb_singular_values": np.array(s_i.eigenvalues),
        # slowdown
        "sym_t": ev_s.sym_t, "sym_error": ev_s.sym_error, "sym_redundant": ev_s.sym_redundant,
        "exact_t": ev_s.exact_t, "exact_error": ev_s.exact_error,
        "asym_alphas": ev_s.alphas, "asym_t": ev_s.asym_t, "asym_error": ev_s.asym_error,
        "asym_late_span": span, "asym_late_fit": fit, "asym_drift_ratio": ev_s.drift_ratio,
        "slow_singular_values": np.array(s_s.eigenvalues),
    }
    params = {"config": dataclasses.asdict(ctx.cfg), "setup": ctx.setup, "fault": ctx.fault,
              "seed": ctx.cfg.seed, "instance_seed": seed,
              "imbalance_setting": s_i.describe(), "slowdown_setting": s_s.describe(),
              "imbalance_verdict": v_i.status, "slowdown_verdict": v_s.status,
              "step_size_mu": s_s.step, "imbalance_step_mu": s_i.step,
              "step_size_used": s_s.step * (2.0 if dyn else 1.0),
              "asym_step_mu": ev_s.asym_step, "rank": s_s.rank, "r_star": s_s.r_star,
              "floor": ev_s.floor, "asym_floor": ev_s.asym_floor, "scale": ev_s.scale,
              "lambda_min": ev_s.lambda_min, "signal_rate": rho_sig,
              "saturation_rate": sd.SATURATION * rho_sig, "window_start": sd.WINDOW_START,
              "asym_window_top": sd.ASYM_WINDOW_TOP, "signal_factor": imb.SIGNAL_FACTOR,
              "convention": "loss 1/4||A(FG^T) - y||^2; Xiong et al.'s 1/2 loss has step eta = mu/2; "
                            "the asymmetric slowdown runs use 2 mu (the same fraction of the step budget)"}
    findings = _findings(key, v_i, IMBALANCE_FINDINGS) + _findings(key, v_s, SLOWDOWN_FINDINGS)
    return Result(key, KIND, ctx.setup, arrays, params, findings)


def pngs(setups) -> list:
    return ["xiong_imbalance.png", "xiong_slowdown.png"]


def draw(results: list, out) -> dict:
    names = [plot_imbalance(results, out), plot_slowdown(results, out)]
    return {r.key: names for r in results}


def _figure(kind, nrows, ncols):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(nrows, ncols, figsize=FIGSIZES[kind], dpi=DPI, squeeze=False)


def _save(fig, path, top=0.88):
    import matplotlib.pyplot as plt

    fig.subplots_adjust(left=0.08, right=0.985, bottom=0.06, top=top, wspace=0.25, hspace=0.42)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def _finding(res, name):
    for f in res.findings:
        if f.name == name:
            return f
    return None


def _tag(res, name) -> str:
    f = _finding(res, name)
    if f is None:
        return ""
    if f.status == NOT_TESTABLE:  # the reason, cut to fit a panel title
        return f.measured if len(f.measured) <= 70 else f.measured[:69] + "…"
    v = f.values.get("measured")
    return f"{f.status}: {f'{v:.4f}' if isinstance(v, float) else f.measured}"


def _header(res) -> str:
    fault = "" if res.params["fault"] == "none" else f" [fault: {res.params['fault']}]"
    return f"{res.setup}: full observation, seed {res.params['seed']}{fault}"


def plot_imbalance(results: list, out) -> str:
    fig, axes = _figure("xiong_imbalance", 2, len(results))
    for j, res in enumerate(results):
        a = res.arrays
        mu, drift, floor = a["imb_steps_sizes"], a["imb_drifts"], a["imb_floors"]
        ax = axes[0, j]
        ax.loglog(mu, drift[-1] * mu / mu[-1], "-", color="C0", lw=5, alpha=0.35,
                  label="slope 1 (through the smallest μ)")
        ax.loglog(mu, drift, "o-", color="k", label="‖B_T − B_0‖_F, T = T₀·μ₀/μ (flow time μ₀T₀)")
        ax.set_ylim(float(drift.min()) / 3, float(drift.max()) * 3)
        ax.plot([], [], " ", label=f"round-off floor ≤ {float(floor.max()):.2g} (below the axis)")
        ax.set_xlabel("step μ")
        ax.set_ylabel("imbalance drift at fixed flow time")
        ax.set_title(f"{_header(res)}\n{res.params['imbalance_setting']}\n"
                     f"Richardson exponent: {_tag(res, 'drift_exponent')}", fontsize=8)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
        ax = axes[1, j]
        t = a["imb_pair_times"].astype(float)
        ratio = a["imb_residual"] / a["imb_tolerances"]
        sig = a["imb_increment"] / a["imb_tolerances"]
        lo = 1e-3
        shown = np.maximum(ratio, lo)
        ax.loglog(t, sig, "s", mfc="none", color="C0", ms=8,
                  label="predicted increment μ²‖∇_Fᵀ∇_F − ∇_Gᵀ∇_G‖ / TOL")
        clipped = f" (values < {lo:g} drawn at {lo:g})" if np.any(ratio < lo) else ""
        ax.loglog(t, shown, "o", color="k", ms=7, label="(★) residual / TOL" + clipped)
        ax.axhline(1.0, color="C3", ls="--", lw=1, label="tolerance (round-off)")
        ax.axhline(res.params["signal_factor"], color="C0", ls=":", lw=1, label="informative above this")
        ax.set_xlim(t.min() / 2, t.max() * 2)
        ax.set_xlabel("snapshot pair (t, t+1) of the largest-μ run")
        ax.set_ylabel("relative to the round-off TOL")
        ax.set_title(f"per-step identity (★) at μ = {mu[0]:g}: {_tag(res, 'per_step_identity')}", fontsize=8)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, loc="best")  # the points sit high (fault) or low (no fault)
    fig.suptitle("Asymmetric GD: B = FᵀF − GᵀG drifts by μ²(∇_Fᵀ∇_F − ∇_Gᵀ∇_G) per step, O(μ) at fixed "
                 "flow time (Xiong et al. 2024, reconstructed)", fontsize=11)
    _save(fig, os.path.join(out, "xiong_imbalance.png"), top=0.86)
    return "xiong_imbalance.png"


def plot_slowdown(results: list, out) -> str:
    fig, axes = _figure("xiong_slowdown", 3, len(results))
    for j, res in enumerate(results):
        a, p = res.arrays, res.params
        # (1) symmetric, log-log
        ax = axes[0, j]
        t, E = a["sym_t"].astype(float), a["sym_error"]
        ok = (t > 0) & (E > 0)
        ax.loglog(t[ok], E[ok], "-", color="k", lw=1.6, label=f"r̂ = {p['rank']} > r* = {p['r_star']}")
        red = np.sqrt(np.sum(a["sym_redundant"] ** 2, axis=1))
        okr = (t > 0) & (red > 0)
        ax.loglog(t[okr], red[okr], ":", color="C1", lw=1.2, label="redundant part ‖(λ_{r*+j})‖")
        k = p["rank"] - p["r_star"]
        asym = np.sqrt(k) / (2.0 * p["step_size_mu"] * t[ok])
        ax.loglog(t[ok], asym, "--", color="C0", lw=1, label="t⁻¹ guide √(r̂−r*)/(2μt)")
        ax.axvspan(p["window_start"] * t[-1], t[-1], color="C0", alpha=0.08, label="fit window [T/4, T]")
        te, Ee = a["exact_t"].astype(float), a["exact_error"]
        oke = (te > 0) & (Ee > 0)
        ax.loglog(te[oke], Ee[oke], "-", color="C2", lw=1.6, label=f"r̂ = r* = {p['r_star']} (geometric)")
        ax.axhline(p["floor"], color="C3", ls=":", lw=1, label="round-off floor")
        ax.set_ylim(p["floor"] / 10, max(float(E[ok].max()), float(Ee[oke].max())) * 3)
        ax.set_xlabel("iteration t")
        ax.set_ylabel("‖U_tU_tᵀ − Z*‖_F")
        ax.set_title(f"{_header(res)}\n{p['slowdown_setting']}\nr̂ > r* slope: {_tag(res, 'sublinear_slope')}\n"
                     f"r̂ = r* rate/ρ₁: {_tag(res, 'exact_linear')}", fontsize=8)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7, loc="lower left")
        # (2) asymmetric, semilog-y
        ax = axes[1, j]
        ta = a["asym_t"].astype(float)
        for i, al in enumerate(a["asym_alphas"]):
            Ea = a["asym_error"][i]
            oka = Ea > 0
            (t0, t1), (rate, c) = a["asym_late_span"][i], a["asym_late_fit"][i]
            fitted = f": late rate {rate:.3g}" if np.isfinite(rate) else ": no geometric window"
            ax.semilogy(ta[oka], Ea[oka], "-", color=f"C{i}", lw=1.4, label=f"α = {al:.3g}{fitted}")
            if np.isfinite(rate):
                tt = np.array([t0, t1])
                ax.semilogy(tt, np.exp(c - rate * tt), "--", color="k", lw=2)
        ends = a["asym_late_span"][:, 1]
        if np.any(np.isfinite(ends)):  # the runs sit at the floor after their windows: cut the axis
            ax.set_xlim(0, min(float(ta[-1]), 1.4 * float(np.nanmax(ends))))
        ax.axhline(p["asym_floor"], color="C3", ls=":", lw=1, label="round-off floor")
        ax.axhline(p["asym_window_top"] * p["scale"], color="0.5", ls=":", lw=1, label="window top 10⁻⁵‖Z*‖")
        ax.set_xlabel("iteration t")
        ax.set_ylabel("‖F_tG_tᵀ − Z*‖_F")
        ax.set_title(f"asymmetric r̂ = {p['rank']}, μ_a = {p['asym_step_mu']:g} "
                     "(black dashed: fits on the late half of the window)\n"
                     f"geometric: {_tag(res, 'asymmetric_linear')}", fontsize=8)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7, loc="upper right")
        # (3) rate against alpha, log-log
        ax = axes[2, j]
        al, rates = a["asym_alphas"], a["asym_late_fit"][:, 0]
        okf = np.isfinite(rates) & (rates > 0)
        inreg = okf & (rates <= p["saturation_rate"])
        ax.loglog(al[inreg], rates[inreg], "o", color="k", label="late rate (in the α² regime)")
        if np.any(okf & ~inreg):
            ax.loglog(al[okf & ~inreg], rates[okf & ~inreg], "o", mfc="none", color="k", label="saturated (not fitted)")
        if inreg.sum() >= 2:
            b = np.polyfit(np.log(al[inreg]), np.log(rates[inreg]), 1)
            xs = np.array([al.min(), al.max()])
            ax.loglog(xs, np.exp(np.polyval(b, np.log(xs))), "-", color="k", lw=1, label=f"fit: exponent {b[0]:.3g}")
            i0 = int(np.flatnonzero(inreg)[-1])
            ax.loglog(xs, rates[i0] * (xs / al[i0]) ** 2, "--", color="C0", label="slope 2 (α²)")
        ax.axhline(p["saturation_rate"], color="C3", ls=":", lw=1, label="saturation ρ_s/2 (fit only below)")
        ax.set_xlabel("initialisation scale α")
        ax.set_ylabel("late linear rate −d log E/dt")
        ax.set_title(f"rate exponent: {_tag(res, 'asymmetric_rate_exponent')}", fontsize=8)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
    fig.suptitle("Symmetric over-parameterised GD slows to 1/t; exact and asymmetric GD converge linearly, "
                 "the asymmetric rate ∝ α² (Xiong et al. 2024)", fontsize=11)
    _save(fig, os.path.join(out, "xiong_slowdown.png"), top=0.89)
    return "xiong_slowdown.png"
