"""From small random initialisation, GD on (F, G) reaches Z* in a time that grows like log(1/α).

Paper
    J. S. Wind, "Asymmetric matrix sensing by gradient descent with small random
    initialization", arXiv 2309.01796 **v1** (4 Sep 2023). Only the abstract is seen (paper
    notes §4.4, §6); v2 (2025, retitled) is not used. No theorem number is known, so the label is
    the abstract's main result.

Statement (SEEN, abstract)
    For asymmetric matrix sensing, Z* ∈ ℝ^{d1×d2} of rank r*, measured by an operator 𝒜 with a
    restricted isometry property, factorised gradient descent on (F, G) from a small random
    initialisation converges to Z*; the proof goes through the "perturbed gradient flow".

RECONSTRUCTED (paper notes §4.4, low confidence; tested here, not assumed)
    The time to reach Z* is of order log(1/α)/σ_{r*} plus an α-independent local phase
    (paper notes §4.4, §6 "time of order (1/σ_r)·log(…/α)"). Its slope, in steps per unit of
    log(1/α), is derived from the lifted linearisation (:mod:`theorems.wind2023._common`): at
    small scale W = [F; G] evolves as W ← (I + μ·½[[0, M], [Mᵀ, 0]])W, M = 𝒜*(y), whose
    eigenvalues are ±σ̂_k/2, so the r*-th singular value of F_tG_tᵀ grows like
    α²(1 + μσ̂_{r*}/2)^{2t} and reaches the scale σ_{r*} after
        T(α) = log(1/α)/log(1 + μσ̂_{r*}/2) + O(1)  steps.
    With our loss ¼‖·‖² (Wind writes ½‖·‖², step η = μ/2) the slope is 1/log(1 + μσ̂_{r*}/2)
    = 1/log(1 + ησ̂_{r*}); the reading 1/log(1 + μσ_{r*}) (Wind's formula with our μ put for
    his η) is off by a factor ≈ 2, and the measured slopes reject it (default: measured 39.5,
    1/log(1 + μσ/2) = 40.5, 1/log(1 + μσ) = 20.5; full observation: 40.498 vs 40.498). The
    check reports both readings.

In scope (practical forms, :mod:`theorems.wind2023._common`)
    ``RIP, practical form (asymmetric)``: ε_N = ‖(𝒜*𝒜 − I)Z*‖ ≤ ½σ_{r*} and 𝒜*𝒜 restricted to the
    tangent space T at Z* within ½ of I (both exact); ``small step, practical form``:
    μ‖𝒜̃*(y)‖ ≤ 0.1 on the lift, i.e. μ‖𝒜*(y)‖ ≤ 0.2 (:func:`theorems.assumptions.step_practical`
    applied to the lifted operator); ``small initialisation (asymmetric)``: max(‖F₀‖, ‖G₀‖) ≤
    1e-2·√σ_{r*} at the largest α; ``exact parameterisation r̂ = r*``: with r̂ > r* the spurious
    part of FGᵀ decays only at rate exp(−Ω(α²t)) (Xiong, Ding, Du 2024, paper notes §4.3), so the
    final error of an α-sweep would sit at O(α²), not at the round-off floor.

Numerical reading
    One batched run over α = α₀·10^{−2k}, k = 0..4 (same F̄, Ḡ), the relative error
    e_t = ‖F_tG_tᵀ − Z*‖_F/‖Z*‖_F recorded at every step up to a horizon T (growth time of the
    smallest α at the slowest rate of the band, plus the local phase down to the floor at rate
    μℓ(σ_{r*} − ε_N)/2, times 1.3).

    ``final_error``: e_T ≤ floor for every α. The floor is derived: at a computed fixed point the
    computed gradient ½R̃G, ½R̃ᵀF vanishes, R̃ = 𝒜*(𝒜(FGᵀ) − y) + δR; RG = 0 = RᵀF with F, G of full
    rank give P_T(𝒜*𝒜(E) + δR) = 0 for E = FGᵀ − Z* ∈ T (to first order), so ‖E‖_F ≤ ‖δR‖_F/ℓ.
    In the Gram loop each of the D = d1d2 coordinates of 𝒜*𝒜(vec FGᵀ) is a dot product with a row
    of norm ≤ L, so ‖δR‖_F ≲ eps·√D·L·‖Z*‖_F. The update itself rounds W to eps·‖W‖ per step; the
    contraction (rate μℓσ_{r*}/2 per step) sums these as a random walk, ‖δW‖ ≲
    eps‖W*‖/√(μℓσ_{r*}), giving ‖δE‖ ≲ ‖W*‖·‖δW‖ with ‖W*‖_F² = 2Σσ_k (balanced limit: the
    imbalance FᵀF − GᵀG is O(α²)). Hence
        floor = FLOOR_C · eps · [√(d1d2)·L/ℓ + 2Σσ_k/(‖Z*‖_F·√(μℓσ_{r*}))],
    ℓ, L the extreme eigenvalues of 𝒜*𝒜 on T (the conditioning of the normal map near Z*; 1 for
    full observation). FLOOR_C = 3 is floating-point slack for the constants of the two
    estimates (measured: e_T ≈ 1.9e-15 against a floor of 1.8e-14 on the default).

    ``time_slope_positive``: T_ε(α) := first t with e_t ≤ ε = 1e-2, fitted against log(1/α) by
    least squares: the slope is positive and the fit's largest residual is at most
    SCATTER_RTOL = 2% of the fitted range slope·Δ, Δ = log(α_max/α_min). This is the SEEN
    content read as a law: T grows like log(1/α), i.e. affinely with an α-independent offset
    (the same F̄, Ḡ at every α). Integer times contribute ≤ 1/(slope·Δ) ≈ 1.4e-3 here; the
    remaining o(1) terms are O(α²/σ_{r*}) ≤ 1e-6; 2% is the reading's tolerance, ~15× these.

    ``time_law``: the slope lies in [1/log(1 + μ(σ_{r*}+ε_N)/2), 1/log(1 + μ(σ_{r*}−ε_N)/2)]
    ± 2/Δ: the growth rate of the r*-th direction is a singular value of 𝒜*𝒜(Z* − FGᵀ) in that
    direction, within ±ε_N of σ_{r*} (Weyl), and integer times make a slope uncertain by ~1/Δ
    (allowed 2/Δ). No paper constant enters; for full observation ε_N = 0 and the band is
    1/log(1 + μσ_{r*}/2) ± 2/Δ.

    ``finite_trajectory``: the framework's divergence check.

    Both time checks are not testable when some α never reaches ε (``final_error`` then fails:
    its e_T is above ε).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from .. import assumptions as asm
from .._core import FINITE_TRAJECTORY, Claim, Measurement, RunRequest, Setting, execute
from . import _common

ALPHA_DECADES = (0, 2, 4, 6, 8)  # the sweep: alpha_0 * 10^-k
EPSILON = 1e-2  # T_eps: first t with relative error <= EPSILON
FLOOR_C = 3.0  # floating-point slack on the derived round-off floor (docstring)
SCATTER_RTOL = 0.02  # largest fit residual / fitted range (docstring)
ROUNDING_SLACK = 2.0  # integer times: slope uncertain by ~1/Delta, allowed 2/Delta
HORIZON_FACTOR = 1.3
EPS = float(np.finfo(np.float64).eps)

MEASUREMENTS = ("final_error", "time_slope_positive", "time_law", FINITE_TRAJECTORY)
REQUIRED = (_common.RIP_NAME, "small step, practical form", _common.INIT_NAME, _common.EXACT_NAME)

DEFAULT = Setting(d=8, d2=6, eigenvalues=(3.0, 2.0, 1.0), m=2000, operator="gaussian", rank=3,
                  alpha=1e-3, step=0.05, seed=0)


@dataclass(frozen=True)
class Evidence:
    """Relative errors ‖F_tG_tᵀ − Z*‖_F/‖Z*‖_F per α (rows) and step (columns, t = 0..T)."""

    alphas: np.ndarray
    errors: np.ndarray
    floor: float
    sigma_band: tuple  # (σ_{r*} − ε_N, σ_{r*} + ε_N)
    full_observation: bool


def alphas(setting: Setting) -> np.ndarray:
    return setting.alpha * 10.0 ** -np.array(ALPHA_DECADES, dtype=float)


def predicted_slope(step: float, sigma: float) -> float:
    """1/log(1 + μσ/2): steps per unit of log(1/α) (lifted eigenvalue σ/2, our ¼ loss)."""
    return 1.0 / np.log1p(0.5 * step * sigma)


def sigma_band(setting: Setting) -> tuple:
    s = float(setting.problem().truth.singular_values[-1])
    e = _common.normal_error_rect(setting)
    return (s - e, s + e)


def floor(setting: Setting) -> float:
    """The derived round-off floor of the relative error (module docstring)."""
    gt = setting.problem().truth
    lo, hi = _common.tangent_spectrum(setting)
    lo = max(lo, 1e-3)  # out of scope (no tangent isometry): keep the formula finite
    zf = float(np.linalg.norm(gt.Z))
    d1, d2 = gt.shape
    grad_term = np.sqrt(d1 * d2) * hi / lo
    update_term = 2.0 * float(np.sum(gt.singular_values)) / (
        zf * np.sqrt(setting.step * lo * float(gt.singular_values[-1])))
    return float(FLOOR_C * EPS * (grad_term + update_term))


def horizon(setting: Setting) -> int:
    gt = setting.problem().truth
    s_lo = max(sigma_band(setting)[0], 0.25 * float(gt.singular_values[-1]))  # finite out of scope
    lo = max(_common.tangent_spectrum(setting)[0], 0.1)
    a_min = _common.factor_scale(setting, float(alphas(setting)[-1]))
    grow = np.log(float(gt.singular_values[-1]) / a_min ** 2) / (2.0 * np.log1p(0.5 * setting.step * s_lo))
    local = np.log(1.0 / floor(setting)) / (0.5 * setting.step * lo * s_lo)
    return int(np.ceil(HORIZON_FACTOR * (max(grow, 0.0) + local))) + 100


def plan(setting: Setting) -> tuple:
    """One batched run from W₀[k] = [α_kF̄; α_k cḠ], the distance to Z* recorded every step."""
    W0 = np.stack([setting.initial(a) for a in alphas(setting)])
    return (RunRequest("asymmetric_convergence", W0, setting.step, horizon(setting),
                       dict(record_every=1, references={"truth": setting.problem().truth.Z},
                            n_eigenvalues=0)),)


def evidence_from_trajectory(setting: Setting, traj) -> Evidence:
    gt = setting.problem().truth
    rel = np.asarray(traj.distance("truth")) / float(np.linalg.norm(gt.Z))
    return Evidence(alphas(setting), rel, floor(setting), sigma_band(setting),
                    setting.operator == "identity")


def evidence(setting: Setting, *, dynamics=None) -> Evidence:
    return evidence_from_trajectory(setting, execute(plan(setting)[0], setting, dynamics))


def times_to(errors: np.ndarray, level: float) -> np.ndarray:
    """First step with error ≤ level, per row; −1 where never."""
    hit = errors <= level
    t = np.argmax(hit, axis=1)
    t[~np.any(hit, axis=1)] = -1
    return t


def fit(alphas_: np.ndarray, times: np.ndarray) -> tuple[float, float]:
    """``(slope, scatter)``: least-squares slope of t against log(1/α) and the largest residual
    relative to the fitted range |slope|·Δ."""
    x = np.log(1.0 / np.asarray(alphas_, dtype=float))
    A = np.stack([x, np.ones_like(x)], axis=1)
    coef = np.linalg.lstsq(A, times.astype(float), rcond=None)[0]
    res = times - A @ coef
    span = abs(coef[0]) * float(np.ptp(x))
    return float(coef[0]), float(np.max(np.abs(res)) / span) if span > 0 else np.inf


def check(setting: Setting, ev: Evidence):
    out = []
    errors = np.asarray(ev.errors)
    final = errors[:, -1]
    out.append(Measurement(
        "final relative error ‖F_TG_Tᵀ − Z*‖_F/‖Z*‖_F per α", [float(v) for v in final],
        f"≤ {ev.floor:.3g} (round-off floor {FLOOR_C:g}·eps·[√(d1d2)L/ℓ + 2Σσ/(‖Z*‖_F√(μℓσ_r*))])",
        bool(np.all(np.isfinite(final)) and np.all(final <= ev.floor)), name="final_error"))
    times = times_to(errors, EPSILON)
    q_pos = f"T_ε(α) vs log(1/α), ε = {EPSILON:g}: slope, fit scatter"
    q_law = "slope of T_ε(α) vs log(1/α) (steps per unit)"
    notes = f"α = {', '.join(f'{a:.0e}' for a in ev.alphas)}; T_ε = {times.tolist()}"
    if np.any(times < 0):
        why = f"some α never reaches relative error {EPSILON:g} (T_ε = {times.tolist()}; −1: never)"
        out.append(Measurement.not_testable("time_slope_positive", q_pos, why))
        out.append(Measurement.not_testable("time_law", q_law, why))
        return out, notes
    slope, scatter = fit(ev.alphas, times)
    out.append(Measurement(q_pos, [slope, scatter],
                           f"slope > 0 and scatter ≤ {SCATTER_RTOL:g} of the fitted range",
                           bool(slope > 0 and scatter <= SCATTER_RTOL), name="time_slope_positive"))
    delta = float(np.log(np.max(ev.alphas) / np.min(ev.alphas)))
    slack = ROUNDING_SLACK / delta
    s_lo, s_hi = ev.sigma_band
    lo = predicted_slope(setting.step, s_hi) - slack
    hi = (predicted_slope(setting.step, s_lo) if s_lo > 0 else np.inf) + slack
    sigma = float(setting.problem().truth.singular_values[-1])
    centre = predicted_slope(setting.step, sigma)
    naive = 1.0 / np.log1p(setting.step * sigma)
    text = (f"1/log(1+μσ_r*/2) = {centre:.4g} ± {slack:.2g}" if ev.full_observation else
            f"in [1/log(1+μ(σ_r*+ε_N)/2), 1/log(1+μ(σ_r*−ε_N)/2)] ± 2/Δ = [{lo:.4g}, {hi:.4g}]")
    out.append(Measurement(q_law, slope, text, bool(lo <= slope <= hi), name="time_law"))
    notes += (f"; slope {slope:.4g} vs 1/log(1+μσ_r*/2) = {centre:.4g} (lifted eigenvalue σ/2, "
              f"{'matches' if abs(slope - centre) <= max(slack, 0.05 * centre) else 'differs'}) and "
              f"1/log(1+μσ_r*) = {naive:.4g} ({'matches' if abs(slope - naive) <= max(slack, 0.05 * naive) else 'rejected'})")
    return out, notes


def assumptions(setting: Setting):
    return (_common.rip(setting), asm.step_practical(setting), _common.small_init(setting),
            _common.exact_parameterisation(setting))


@st.composite
def _settings(draw, d=(4, 8), r_star=(1, 3), operator=("identity", "gaussian")):
    d1 = draw(st.integers(*d), label="d1")
    d2 = draw(st.integers(*d), label="d2")
    r = draw(st.integers(r_star[0], min(r_star[1], d1, d2)), label="r*")
    q = draw(st.floats(0.4, 0.7), label="ratio")
    s1 = draw(st.sampled_from([1.0, 3.0]), label="sigma_1")
    sv = tuple(s1 * q ** i for i in range(r))
    op = draw(st.sampled_from(operator), label="operator")
    # Gaussian: ε_N ≈ 2‖Z*‖_F√(max(d1, d2)/m); m = 64·max(d)·‖Z*‖_F²/σ_r*² makes it ≈ σ_r*/4,
    # and dim T = r(d1+d2−r) ≤ m/64 keeps 𝒜*𝒜 on T within ~±0.25 of I (factor-2 margins)
    m = None if op == "identity" else int(np.ceil(64 * max(d1, d2) * sum(s ** 2 for s in sv) / sv[-1] ** 2))
    step = draw(st.floats(0.3, 0.8), label="step fraction") * 0.2 / (1.5 * s1)  # ‖𝒜*(y)‖ ≤ σ₁ + ε_N ≤ 1.5σ₁
    alpha = 10.0 ** draw(st.floats(-4.0, -3.0), label="log10 alpha") * np.sqrt(sv[-1])
    seed = draw(st.integers(0, 2**32 - 1), label="seed")
    return Setting(d=d1, d2=d2, eigenvalues=sv, m=m, operator=op, rank=r, alpha=alpha, step=step, seed=seed)


def instances(**kwargs):
    """Asymmetric settings meeting the practical assumptions (Gaussian draws that miss the
    factor-2 margin of the RIP are rare and filtered)."""
    return _settings(**kwargs).filter(lambda s: all(a.holds for a in assumptions(s)))


CLAIM = Claim(
    key="asymmetric_convergence",
    label="Wind 2023 (v1), abstract: convergence from small random init",
    title="Asymmetric GD reaches Z* at the round-off floor in time ≈ log(1/α)/log(1+μσ_r*/2)",
    default=DEFAULT,
    assumptions=assumptions,
    evidence=evidence,
    check=check,
    instances=instances,
    measurements=MEASUREMENTS,
    required=REQUIRED,
    plan=plan,
)
