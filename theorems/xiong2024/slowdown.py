"""Over-parameterisation slows symmetric GD to a 1/t rate; exact parameterisation and the asymmetric
model converge linearly, the latter at a rate that grows like α².

Paper
    Xiong, Ding, Du, ICLR 2024 (arXiv 2310.01769). SEEN (abstract, paper notes §4.3): symmetric
    k > r: Ω(1/T²) lower bound for randomly initialised GD; k = r: exp(−Ω(T)); asymmetric k > r:
    exp(−Ω(α²T)), α the initialisation scale; experiments use F₀ ~ α, G₀ ~ α/3 (reviews).
    RECONSTRUCTED (notes §4.3, not seen): the redundant directions follow x_{t+1} = x_t(1 − ηx_t²),
    so the Ω(1/T²) is for the *squared* Frobenius error; the rate ∝ α² reading of Ω(α²T).

Statement (our convention, full observation)
    Symmetric: f(U) = ¼‖UUᵀ − Z*‖_F², U ← U − μ(UUᵀ − Z*)U. Once the signal is learned, a
    redundant direction (in the complement of range Z* and in the null space of the learned
    rows) obeys x ← x − μx³ exactly, so 1/x²_{t+1} = 1/x_t² + 2μ + 3μ²x_t² + …: x_t² ≈ 1/(2μt)
    and the redundant block contributes ‖U_⊥U_⊥ᵀ‖_F → √(r̂ − r*)/(2μt): the Frobenius error
    ‖U_tU_tᵀ − Z*‖_F has log–log slope −1 (−2 for the squared error, the paper's 1/T²).
    r̂ = r*: the slowest linear mode is the block between range Z* and its complement, which
    decays like (1 − μλ_{r*})^t: geometric at rate ρ₁ = −log(1 − μλ_{r*}).
    Asymmetric (f = ¼‖FGᵀ − Z*‖², our μ = 2η of the paper's ½-loss): a redundant column direction
    v of ℝ^{r̂} carries the imbalance vᵀ(FᵀF − GᵀG)v, conserved up to O(μ) (claim ``imbalance``);
    as FGᵀ converges one factor keeps it and the other decays at a rate ≈ (μ/2)·(that imbalance),
    which is O(α²) since B₀ = α²(F̄ᵀF̄ − c²ḠᵀḠ).

Numerical reading (instances: full observation, so every law has no RIP error term)
    The setting gives d, d₂, the spectrum (eigenvalues of Z* for the symmetric runs, singular
    values for the asymmetric ones), r̂ > r*, α, μ (symmetric); the asymmetric runs use 2μ, the same
    fraction of the step budget (‖𝒜̃*(y)‖ of the lift is ½σ₁). Four runs:

    * ``symmetric_over`` (r̂, T = SYM_STEPS, record every SYM_RECORD): regime 1/t once
      2μt·x_t² ≈ 1, i.e. t ≫ 1/(2μx²) with x² the redundant scale after learning (O(α²)).
      ``sublinear_slope``: least-squares slope of log E against log t over the late window
      [T/4, T]. Band: with x_j²(t) = 1/(c_j + 2μt), each term's local slope is in
      [−1, −1 + c_j/(c_j + 2μt)], and E's slope is a weighted mean of them, so the slope is in
      [−1, −1 + β] with β = max_j(1 − 2μt_a·λ_{r*+j}(t_a)) read from the recorded redundant
      eigenvalues at t_a = T/4 (the regime indicator). SLOPE_SLACK = 0.01 covers the discrete
      correction (≤ 1.5μx² ≈ 1e-4) and the decaying geometric remainder. Not testable when
      β > BETA_MAX (not yet in the 1/t regime) or when the redundant eigenvalues carry less than
      DOMINANCE of E at t_a (the redundant directions do not yet dominate).
      ``redundant_decay``: the mechanism itself: the slope of 1/λ_{r*+j}(t) against t over the
      window divided by 2μ lies in [1 − FP_REL, 1 + 1.5μ·λ_{r*+j}(t_a) + FP_REL] (the exact
      increment is 2μ(1 + 1.5μx² + O(μ²x⁴)); FP_REL = 1e-6 for round-off of the small
      eigenvalues, eps/λ ~ 1e-12).
    * ``symmetric_exact`` (r̂ = r*): ``exact_linear``: the error reaches the round-off floor
      FLOOR_C·eps·d·‖Z*‖_F, and its log-linear rate over the window 10³·floor ≤ E ≤ 10⁻³‖Z*‖_F is
      ρ₁ within ±RATE_RTOL = 2% (the next mode, rate ≥ 2ρ₁·(1 − μλ)…, is gone by the window).
    * ``asymmetric`` (α_k = α·ASYM_ALPHAS = α·(0.7, 0.5, 0.35), one batch, T from the smallest α: ASYM_EFOLDS e-folds of
      the lower estimate (μ_a/2)λ_min(B₀)): ``asymmetric_linear``: for each α, the log-linear rate
      over the two halves of the late window agree within GEOM_RTOL (below); the floor must be
      reached. ``asymmetric_rate_exponent``: least-squares exponent of
      the late rate (second half) against α, predicted 2.
      (Window for the asymmetric runs: 10³·floor ≤ E ≤ 10⁻⁵‖Z*‖_F, the late part, where one
      mode dominates; GEOM_RTOL = 25%: a polynomial decay t^(−p) falling those 7 decades spans
      t₂/t₁ = 10^(7/p), and its half-window rates differ by far more than 25% for any p; two
      geometric modes within 25% of each other — still linear convergence — pass.) The α² is exact at t = 0 (B₀ ∝ α²); two
      effects move it: the O(μ) GD drift of B (claim ``imbalance``; its relative size at α_k,
      ε_k = ‖B_T − B_0‖/λ_min(B_0), shifts the fit by ≤ 2max ε_k/log(α_max/α_min), reported), and
      which direction of B̄₀ the redundant column ends up in (not bounded by the theory). We
      allow EXPONENT_BAND = 0.5, half-way to the alternatives 1.5 and 2.5 of a slope fit over
      one octave. The α² law is the small-α regime: once (μ_a/2)b approaches the signal rate
      ρ_s = −log(1 − μ_aσ_{r*}/2) the slowest mode is no longer the redundant one and the rate
      saturates (measured: 5×4, σ = 1, α = 0.5: rates 0.062, 0.070, 0.033 at α, 0.7α, 0.5α, with
      ρ_s = 0.078); only the α with a late rate ≤ SATURATION·ρ_s = ρ_s/2 enter the fit (not
      testable with fewer than two). Measured on the default geometry, α·(0.7, 0.5, 0.35) with α = 0.4, seeds 0–2: 2.20, 2.04,
      2.22; α = 0.5 (the default): 2.25, 2.06, 2.27 (seed 2 is out of scope: λ_min(B₀) too small for the horizon) (with α·(1, 0.7, 0.5): 2.26, 1.97, 2.27) — the law is reproduced as a trend with an
      exponent near 2, biased slightly above 2, not as an exact α² at these sizes.

What did not reproduce
    The α² reading of the asymmetric rate is a trend, not a law at ±0.5: over 30 draws of
    :func:`instances` the fitted exponent was 1.98–2.36 (median 2.03), but Hypothesis found an
    in-scope instance (6×4, σ = (1,), r̂ = 2, α = 0.5, μ = 0.075, seed 364047) at 2.515. The
    property test asserts every other check there; ``test_the_alpha_squared_rate_does_not_
    reproduce_on_every_instance`` keeps the counterexample.

    ``asymmetric_linear``'s 25% band misreads a crossover between two geometric modes as
    non-geometric. Hypothesis found (2026-12-04, 1 in ~600 draws) an in-scope instance (7×4,
    σ = (1, 0.5), r̂ = 3, α = 0.46875, μ = 0.075, seed 529) whose run at α·0.7 = 0.328 decays
    geometrically throughout, but with its local rate sliding from 0.031 to 0.021 across the
    window (two slow modes, e.g. two directions of the imbalance B̄₀, whose rates the theory does
    not order): half-window rates 0.0298, 0.0222, 34% apart. No bound on that mode ratio
    follows from the theory, so no band is free of such alarms; the band is kept for what it
    rejects: a decay t^(−p) over the window has half-window rates ≥ 2.09× apart for every
    p ≤ 10 (4.49× at the symmetric p = 2). The property test therefore accepts an
    ``asymmetric_linear`` failure only as such a crossover (positive half-rates less than
    ``CROSSOVER_RATIO`` = 2 apart); ``test_a_two_mode_crossover_fails_the_25_percent_band`` keeps
    the instance.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from hypothesis import assume, strategies as st

from .. import assumptions as asm
from .._core import FINITE_TRAJECTORY, AssumptionCheck, Claim, Measurement, RunRequest, Setting, execute

EPS = float(np.finfo(np.float64).eps)
SYM_STEPS = 20000
SYM_RECORD = 50
WINDOW_START = 0.25  # late window [T/4, T]
SLOPE_SLACK = 0.01
BETA_MAX = 0.5
DOMINANCE = 0.99
FP_REL = 1e-6
FLOOR_C = 10.0
RATE_RTOL = 0.02
ASYM_ALPHAS = (0.7, 0.5, 0.35)
SATURATION = 0.5  # the α² regime: late rate ≤ SATURATION × the signal rate −log(1 − μ_aσ_{r*}/2)
ASYM_EFOLDS = 80.0  # ≈ 35 e-folds take E from O(1) to the floor; the estimate may be 2× fast
ASYM_MAX_STEPS = 60000
GEOM_RTOL = 0.25
CROSSOVER_RATIO = 2.0  # half-window rate ratio below which a miss is a geometric crossover (docstring)
ASYM_WINDOW_TOP = 1e-5  # the asymmetric geometric window: 10³·floor ≤ E ≤ 1e-5·‖Z*‖_F
EXPONENT_BAND = 0.5
MIN_WINDOW = 8  # records in a geometric window

MEASUREMENTS = ("sublinear_slope", "redundant_decay", "exact_linear", "asymmetric_linear",
                "asymmetric_rate_exponent", FINITE_TRAJECTORY)
REQUIRED = ("over-parameterised (r̂ > r*)", "full observation", "small step, practical form",
            "imbalance definite")

DEFAULT = Setting(d=6, d2=5, eigenvalues=(1.0, 0.5), operator="identity", rank=3, alpha=0.5,
                  step=0.08, seed=0, init="normalized", init_ratio=1 / 3)


def symmetric(setting: Setting, rank: int | None = None) -> Setting:
    return dataclasses.replace(setting, d2=None, rank=setting.rank if rank is None else rank)


def asymmetric(setting: Setting) -> Setting:
    d2 = setting.d2 if setting.d2 is not None else setting.d
    return dataclasses.replace(setting, d2=d2, step=2.0 * setting.step)


def asym_alphas(setting: Setting) -> np.ndarray:
    return setting.alpha * np.array(ASYM_ALPHAS)


def _imbalance0(a: Setting, alpha: float) -> np.ndarray:
    W = a.initial(alpha)
    F, G = W[: a.d], W[a.d:]
    return F.T @ F - G.T @ G


def asym_steps(setting: Setting) -> int:
    a = asymmetric(setting)
    lmin = float(np.linalg.eigvalsh(_imbalance0(a, float(asym_alphas(setting)[-1])))[0])
    if lmin <= 0:
        return ASYM_MAX_STEPS
    return int(min(ASYM_MAX_STEPS, np.ceil(ASYM_EFOLDS / (a.step * lmin / 2.0))))


def exact_steps(setting: Setting) -> int:
    lam = float(setting.eigenvalues[-1])
    # the linear rate -log(1 - μλ) is defined for μλ < 1; a larger step diverges (or oscillates)
    # within any horizon, so the rate is capped at μλ = 1/2 to keep the horizon finite
    rho1 = -np.log1p(-min(setting.step * lam, 0.5))
    return int(np.ceil(2.0 * (np.log(1.0 / EPS) + np.log(1.0 / setting.alpha + 1.0)) / rho1)) + 200


def plan(setting: Setting) -> tuple:
    so, se, a = symmetric(setting), symmetric(setting, setting.r_star), asymmetric(setting)
    Zs = so.problem().truth.Z
    Za = a.problem().truth.Z
    Te, Ta = exact_steps(setting), asym_steps(setting)
    return (
        RunRequest("symmetric_over", so.initial(batch=1), so.step, SYM_STEPS,
                   dict(record_every=SYM_RECORD, references={"Z*": Zs}, n_eigenvalues=min(so.rank, so.d))),
        RunRequest("symmetric_exact", se.initial(batch=1), se.step, Te,
                   dict(record_every=max(1, Te // 400), references={"Z*": Zs}, n_eigenvalues=0)),
        RunRequest("asymmetric", np.stack([a.initial(x) for x in asym_alphas(setting)]), a.step, Ta,
                   dict(record_every=max(1, Ta // 4000), references={"Z*": Za}, n_eigenvalues=0)),
    )


@dataclass(frozen=True)
class Evidence:
    step: float  # symmetric mu
    r_star: int
    sym_t: np.ndarray  # (n,)
    sym_error: np.ndarray  # (n,) ||U U^T - Z*||_F, r-hat > r*
    sym_redundant: np.ndarray  # (n, r-hat - r*) eigenvalues r*+1.. of U U^T
    exact_t: np.ndarray
    exact_error: np.ndarray
    lambda_min: float  # lambda_{r*} of Z*
    floor: float  # round-off floor FLOOR_C eps d ||Z*||_F
    scale: float  # ||Z*||_F
    alphas: np.ndarray  # (K,)
    asym_t: np.ndarray
    asym_error: np.ndarray  # (K, n)
    asym_step: float
    asym_floor: float
    drift_ratio: np.ndarray  # (K,) ||B_T - B_0|| / lambda_min(B_0)


def evidence(setting: Setting, *, dynamics=None) -> Evidence:
    reqs = plan(setting)
    so, a = symmetric(setting), asymmetric(setting)
    tr_o = execute(reqs[0], so, dynamics)
    tr_e = execute(reqs[1], symmetric(setting, setting.r_star), dynamics)
    tr_a = execute(reqs[2], a, dynamics)
    r = setting.r_star
    Z = so.problem().truth.Z
    scale = float(np.linalg.norm(Z))
    lmin0 = np.array([np.linalg.eigvalsh(_imbalance0(a, x))[0] for x in asym_alphas(setting)])
    Za = a.problem().truth.Z
    return Evidence(
        setting.step, r, tr_o.record_steps, tr_o.distances[0, :, 0], tr_o.eigenvalues[0, :, r:],
        tr_e.record_steps, tr_e.distances[0, :, 0], float(setting.eigenvalues[-1]),
        FLOOR_C * EPS * setting.d * scale, scale, asym_alphas(setting), tr_a.record_steps,
        tr_a.distances[..., 0], a.step, FLOOR_C * EPS * (a.d + a.d2) * float(np.linalg.norm(Za)),
        tr_a.imbalance_drift[:, -1] / np.abs(lmin0))


def _window(t, E, floor, scale, top=1e-3):
    """Indices of the geometric window 10³·floor ≤ E ≤ top·scale (after the error first enters it)."""
    inside = (E >= 1e3 * floor) & (E <= top * scale)
    idx = np.flatnonzero(inside)
    if idx.size == 0:
        return idx
    run = idx[0] + np.flatnonzero(~inside[idx[0]:])  # stop at the first record leaving it
    end = run[0] if run.size else E.size
    return np.arange(idx[0], end)


def _rate(t, E):
    return float(-np.polyfit(t.astype(float), np.log(E), 1)[0])


def _check_sublinear(ev: Evidence):
    out = []
    t, E, lam = ev.sym_t, ev.sym_error, ev.sym_redundant
    a = int(np.searchsorted(t, WINDOW_START * t[-1]))
    ta = float(t[a])
    w = slice(a, None)
    beta = float(np.clip(np.max(1.0 - 2.0 * ev.step * ta * lam[a]), 0.0, 1.0)) if lam.shape[1] else 1.0
    dom = float(np.sqrt(np.sum(lam[a] ** 2)) / E[a]) if E[a] > 0 else 0.0
    q = f"log–log slope of ‖U_tU_tᵀ − Z*‖_F over t ∈ [{ta:.0f}, {t[-1]:.0f}] (r̂ > r*)"
    ok_positive = bool(np.all(E[w] > 0))
    if beta > BETA_MAX or dom < DOMINANCE or not ok_positive:
        why = (f"β = {beta:.3g} > {BETA_MAX:g}: not yet in the 1/t regime at t_a" if beta > BETA_MAX
               else f"the redundant eigenvalues carry {dom:.3g} < {DOMINANCE:g} of E at t_a")
        out.append(Measurement.not_testable("sublinear_slope", q, why))
    else:
        slope = float(np.polyfit(np.log(t[w].astype(float)), np.log(E[w]), 1)[0])
        lo, hi = -1.0 - SLOPE_SLACK, -1.0 + beta + SLOPE_SLACK
        out.append(Measurement(q, slope, f"in [{lo:.3g}, {hi:.3g}] (−1 up to β = {beta:.3g} from the "
                               f"recorded x_j²(t_a), ± {SLOPE_SLACK:g})", bool(lo <= slope <= hi),
                               name="sublinear_slope"))
    q2 = "slope of 1/λ_{r*+j}(U_tU_tᵀ) against t over the late window, ÷ 2μ (x ← x − μx³)"
    if lam.shape[1] == 0 or np.any(lam[w] <= 0):
        out.append(Measurement.not_testable("redundant_decay", q2, "no positive redundant eigenvalue recorded"))
    else:
        rates = np.array([np.polyfit(t[w].astype(float), 1.0 / lam[w, j], 1)[0] for j in range(lam.shape[1])])
        ratio = rates / (2.0 * ev.step)
        hi = 1.0 + 1.5 * ev.step * lam[a] + FP_REL
        ok = bool(np.all((ratio >= 1.0 - FP_REL) & (ratio <= hi)))
        out.append(Measurement(q2, ratio.tolist(), f"in [1 − {FP_REL:g}, 1 + 1.5μλ_j(t_a) + {FP_REL:g}] = "
                               f"[…, {np.array2string(hi, precision=6)}]", ok, name="redundant_decay"))
    return out, beta, dom


def _check_exact(ev: Evidence):
    q = "r̂ = r*: error reaches the round-off floor; log-linear rate ÷ ρ₁ = −log(1 − μλ_{r*})"
    rho1 = float(-np.log1p(-ev.step * ev.lambda_min))
    final = float(ev.exact_error[-1])
    idx = _window(ev.exact_t, ev.exact_error, ev.floor, ev.scale)
    if final > ev.floor or idx.size < MIN_WINDOW:
        return Measurement(q, final, f"final error ≤ floor {ev.floor:.3g} with ≥ {MIN_WINDOW} records in the "
                           f"geometric window (got {idx.size})", False, name="exact_linear")
    ratio = _rate(ev.exact_t[idx], ev.exact_error[idx]) / rho1
    return Measurement(q, ratio, f"1 ± {RATE_RTOL:g} (ρ₁ = {rho1:.4g}; final error {final:.2g} ≤ floor "
                       f"{ev.floor:.2g})", bool(abs(ratio - 1.0) <= RATE_RTOL), name="exact_linear")


def _check_asymmetric(ev: Evidence):
    out = []
    q = "asymmetric r̂ > r*: log-linear rates over the two halves of the geometric window, per α"
    halves, late, ok, bad = [], [], True, ""
    for k, al in enumerate(ev.alphas):
        E = ev.asym_error[k]
        idx = _window(ev.asym_t, E, ev.asym_floor, ev.scale, ASYM_WINDOW_TOP)
        if E[-1] > ev.asym_floor or idx.size < 2 * MIN_WINDOW:
            ok = False
            bad = bad or (f"α = {al:.3g}: final error {E[-1]:.3g} (floor {ev.asym_floor:.3g}), "
                          f"{idx.size} records in the window")
            halves.append([np.nan, np.nan])
            late.append(np.nan)
            continue
        h1, h2 = np.array_split(idx, 2)
        r1, r2 = _rate(ev.asym_t[h1], E[h1]), _rate(ev.asym_t[h2], E[h2])
        halves.append([r1, r2])
        late.append(r2)
        if not (r1 > 0 and r2 > 0 and abs(r1 / r2 - 1.0) <= GEOM_RTOL):
            ok = False
            bad = bad or f"α = {al:.3g}: half-window rates {r1:.3g}, {r2:.3g}"
    out.append(Measurement(q, [x for h in halves for x in h],
                           f"geometric: the two rates agree within {GEOM_RTOL:.0%} and the floor is reached"
                           + (f" — {bad}" if bad else ""), ok, name="asymmetric_linear"))
    late = np.array(late)
    rho_sig = float(-np.log1p(-ev.asym_step * ev.lambda_min / 2.0))
    regime = np.isfinite(late) & (late > 0) & (late <= SATURATION * rho_sig)
    q2 = f"exponent of the late asymmetric rate against α (α = {np.round(ev.alphas, 4).tolist()})"
    if not np.all(np.isfinite(late) & (late > 0)):
        out.append(Measurement.not_testable("asymmetric_rate_exponent", q2,
                                            "a run has no geometric window: no rate to fit"))
    elif regime.sum() < 2:
        out.append(Measurement.not_testable(
            "asymmetric_rate_exponent", q2, f"rates {np.array2string(late, precision=4)}: fewer than two α with "
            f"a rate ≤ {SATURATION:g}·{rho_sig:.3g} (the signal rate −log(1 − μ_aσ_(r*)/2)); above it the rate "
            "saturates and the α² law does not apply", measured=late.tolist()))
    else:
        al = ev.alphas[regime]
        p = float(np.polyfit(np.log(al), np.log(late[regime]), 1)[0])
        drift_shift = 2.0 * float(np.max(ev.drift_ratio[regime])) / float(np.log(al.max() / al.min()))
        out.append(Measurement(q2 + ("" if regime.all() else f" (α² regime only: α = {np.round(al, 4).tolist()})"),
                               p, f"2 ± {EXPONENT_BAND:g} (the GD drift of B alone could shift it by "
                               f"≤ {drift_shift:.2g}); rates {np.array2string(late, precision=4)}, signal rate "
                               f"{rho_sig:.3g}", bool(abs(p - 2.0) <= EXPONENT_BAND), name="asymmetric_rate_exponent"))
    return out


def check(setting: Setting, ev: Evidence):
    sub, beta, dom = _check_sublinear(ev)
    out = sub + [_check_exact(ev)] + _check_asymmetric(ev)
    notes = (f"regimes: symmetric r̂ > r* at t_a = {WINDOW_START:g}T is β = {beta:.3g} from the 1/t law "
             f"(x² already ≈ 1/(2μt)), redundant share of E {dom:.4g}; symmetric r̂ = r*: geometric to "
             f"round-off; asymmetric: geometric, T = {int(ev.asym_t[-1])} steps (μ_a = {ev.asym_step:g})")
    return out, notes


def assumptions(setting: Setting):
    over = AssumptionCheck("over-parameterised (r̂ > r*)", "r̂ > r* (the symmetric and asymmetric runs)",
                           setting.rank > setting.r_star and setting.rank <= min(setting.d, setting.d2 or setting.d),
                           "exact", f"r̂ = {setting.rank}, r* = {setting.r_star}")
    full = AssumptionCheck("full observation", "𝒜*𝒜 = I (the x ← x − μx³ law has no RIP error term)",
                           setting.operator == "identity", "exact", f"operator {setting.operator!r}")
    step = asm.step_practical(symmetric(setting))
    a = asymmetric(setting)
    lmin = float(np.linalg.eigvalsh(_imbalance0(a, float(asym_alphas(setting)[-1])))[0])
    need = ASYM_EFOLDS * 2.0 / (a.step * ASYM_MAX_STEPS)
    imb = AssumptionCheck("imbalance definite", f"λ_min(F₀ᵀF₀ − G₀ᵀG₀) at the smallest α ≥ {need:.3g} "
                          f"({ASYM_EFOLDS:g} e-folds of (μ_a/2)λ_min fit in {ASYM_MAX_STEPS} steps)",
                          bool(lmin >= need), "exact", f"λ_min(B₀) = {lmin:.4g}")
    return (over, full, step, imb)


@st.composite
def _instances(draw):
    d1 = draw(st.integers(5, 8), label="d")
    d2 = draw(st.integers(4, d1), label="d2")
    r_star = draw(st.integers(1, 2), label="r*")
    rank = draw(st.integers(r_star + 1, min(r_star + 2, d2)), label="rank")
    q = draw(st.floats(0.4, 0.7), label="ratio")
    alpha = draw(st.floats(0.3, 0.5), label="alpha")
    frac = draw(st.floats(0.6, 0.9), label="step fraction")
    seed = draw(st.integers(0, 2**32 - 1), label="seed")
    s = Setting(d=d1, d2=d2, eigenvalues=tuple(q ** i for i in range(r_star)), operator="identity", rank=rank,
                alpha=alpha, step=frac * asm.STEP_BUDGET, seed=seed, init="normalized", init_ratio=1 / 3)
    assume(all(c.holds for c in assumptions(s)))  # the imbalance draw: λ_min(B₀) large enough
    return s


def instances(**kwargs):
    """Full-observation instances d ∈ [5, 8], d₂ ∈ [4, d], r* ≤ 2, r̂ = r* + 1 or + 2, λ₁ = 1,
    α ∈ [0.3, 0.5] (normalised Ū), μ at 60–90% of the step budget; draws whose initial imbalance
    is not definite enough for the horizon are rejected (``assume``)."""
    return _instances(**kwargs)


CLAIM = Claim(
    key="overparameterisation_slowdown",
    label="Xiong et al. 2024, abstract: Ω(1/T²) (k > r), exp(−Ω(T)) (k = r), exp(−Ω(α²T)) (asymmetric)",
    title="Symmetric over-parameterised GD converges like 1/t; exact and asymmetric GD converge linearly",
    default=DEFAULT,
    assumptions=assumptions,
    evidence=evidence,
    check=check,
    instances=instances,
    measurements=MEASUREMENTS,
    required=REQUIRED,
    plan=plan,
)
