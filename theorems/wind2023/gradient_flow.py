"""Gradient descent with step μ tracks the gradient flow, with a gap linear in μ.

Paper
    J. S. Wind, "Asymmetric matrix sensing by gradient descent with small random
    initialization", arXiv 2309.01796 **v1** (2023); only the abstract is seen (paper notes §4.4,
    §6). No theorem number is known.

Statement (SEEN, abstract)
    The analysis runs through a continuous ODE, the *perturbed gradient flow*; matrix-sensing GD
    "reduces to" it, the perturbation collecting the RIP error, the discretisation and the small
    initialisation. v2's abstract (not used) names GD discretisation as one such perturbation.

RECONSTRUCTED (paper notes §4.4; tested here)
    The discretisation part of the perturbation: GD W_{k+1} = W_k − μ∇f(W_k) (W = [F; G] for the
    asymmetric loss, W = U for the symmetric one, both our ¼‖·‖² losses) and the flow
    dW/dt = −∇f(W) from the same W₀ differ, over a fixed flow-time horizon τ, by
        max_{k ≤ τ/μ} ‖W_k − W(μk)‖_F = μ·E(τ) + O(μ²),
    the global error of the explicit Euler method (backward-error analysis: GD is, to O(μ²), the
    flow of ∇f + (μ/2)∇²f∇f). The constant E(τ) carries the amplification of the flow's
    instability near the saddle at 0 and at each plateau: the relative gap peaks where the flow
    escapes a saddle (reported in the notes).

Which case is the default
    The asymmetric one (Wind's subject). The symmetric case (d2 = None, the same loop on U) is
    :data:`SYMMETRIC` and half of the property test's instances: the reduction to an ODE is the
    same statement for both, and the symmetric run is the one the repository's other claims use.

Numerical reading
    Three requests, GD at μ, μ/2, μ/4 for τ/μ, 2τ/μ, 4τ/μ steps (one run each, K = 1), with
    snapshots at the J + 1 = 41 common times t_j = jτ/J; the flow by ``scipy.integrate.solve_ivp``
    (DOP853) at the same times. The horizon is the whole run: τ = 2·t_esc, t_esc =
    log(λ_s/α²)/(2ρ_s) the escape time of the slowest learned direction (ρ_s its growth rate per
    unit of flow time: σ_s/2 for the lift, λ_s for U; λ_s = σ_s or the eigenvalue of Z*).

    ``gap_exponent``: the least-squares slope p of log gap(μ) against log μ is 1 within
    |p − 1| ≤ x + μρ₁, x = μρ₁·log(λ₁/α²)/2. Derivation: the GD growth (1 + μρ)^k and the flow's
    e^{ρμk} differ by the factor exp(−μρ·ρt/2 + O(μ²)); at the escape time ρt = log(λ/α²)/2 its
    exponent is x, so the relative O(μ²) correction of the gap at the largest step is of order
    x (we allow x, twice the first-order estimate x/2 of the slope's change, because its sign and
    constant are not derived), plus the modified equation's O(μρ₁) relative term.

    ``gap_small``: at the smallest step, max_j ‖Z^{GD}_{k_j} − Z(t_j)‖_F ≤ GAP_FRACTION·‖Z*‖_F
    (Z = FGᵀ or UUᵀ): "GD tracks the flow". GAP_FRACTION = 0.05 is the reading's tolerance (no
    constant of Wind's is seen); at the default the gap is 0.6% of ‖Z*‖_F.

    ``flow_resolved``: the flow's integration error is negligible against the gap. DOP853 keeps
    the local error per step below atol + rtol·|W| (its error scales with the tolerance), so the
    global error of the solve at (RTOL, ATOL) is estimated by its difference from a solve at
    100× tighter tolerances, which serves as the flow; we require that estimate ≤ 1e-3·gap(μ/4),
    so the flow's own error (~1e-2 of it) changes the smallest gap by ≤ 1e-5 relative.

    ``finite_trajectory``: the framework's divergence check.

Where the saddle escapes amplify the gap (measured, reported in the notes)
    The relative gap ‖W_k − W(t)‖/‖W(t)‖ at the smallest step grows linearly in t while the
    iterate leaves the saddle at 0 — GD's (1 + μρ₁)^k lags the flow's e^{ρ₁t} by the relative
    factor ≈ μρ₁²t/2 — peaks shortly *before* the first escape (λ₁(Z(t)) = λ₁/2) and decays on
    the first plateau; a second, smaller bump sits at the second escape. Default (asymmetric,
    μ/4 = 0.005, ρ₁ ≈ 1): peak 0.0146 at t = 6.0, estimate μρ₁²t/2 = 0.015; first escape at
    t = 7.8, second at 15 (τ = 24). Symmetric default: peak 0.0107 at t = 2.7, escapes at 3.6 and
    9.6. The absolute gap ‖W_k − W(μk)‖ peaks just before the first escape (t = 7.2; symmetric 3.3).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from sensing import objective

from .. import assumptions as asm
from .._core import FINITE_TRAJECTORY, AssumptionCheck, Claim, Measurement, RunRequest, Setting, execute
from . import _common

HALVINGS = (0, 1, 2)  # GD at mu / 2^i
J = 40  # snapshot times t_j = j tau / J
HORIZON_FACTOR = 2.0  # tau = 2 t_esc of the slowest direction
RTOL, ATOL = 1e-10, 1e-13  # the solve whose error is estimated (docstring)
REF_TIGHTEN = 100.0  # the reference solve (the flow) at tolerances / REF_TIGHTEN
FLOW_FRACTION = 1e-3  # flow error estimate <= FLOW_FRACTION * smallest gap
GAP_FRACTION = 0.05  # gap in Z at the smallest step <= GAP_FRACTION * ||Z*||_F

MEASUREMENTS = ("gap_exponent", "gap_small", "flow_resolved", FINITE_TRAJECTORY)
REQUIRED = ("small step, practical form", "small initialisation (flow)")

DEFAULT = Setting(d=6, d2=5, eigenvalues=(2.0, 1.0), m=1000, operator="gaussian", rank=2,
                  alpha=3e-3, step=0.02, seed=0)
#: The symmetric case: Z* = XXᵀ with eigenvalues (2, 1), U ∈ ℝ^{6×2}; μ halved, since U grows
#: at rate λ per unit time where the lift grows at σ/2.
SYMMETRIC = Setting(d=6, eigenvalues=(2.0, 1.0), m=1000, operator="gaussian", rank=2, alpha=3e-3,
                    step=0.01, seed=0)


@dataclass(frozen=True)
class Evidence:
    steps: np.ndarray  # (3,) mu / 2^i
    gaps: np.ndarray  # (3,) max_j ||W_k - W(t_j)||_F
    gaps_z: np.ndarray  # (3,) max_j ||Z_k - Z(t_j)||_F / ||Z*||_F
    times: np.ndarray  # (J+1,) t_j
    gap_curve: np.ndarray  # (J+1,) ||W_k - W(t_j)||_F at the smallest step
    flow_norm: np.ndarray  # (J+1,) ||W(t_j)||_F
    flow_error: float  # estimated error of the (RTOL, ATOL) solve
    escape_times: np.ndarray  # flow times where lambda_s(Z(t)) first reaches lambda_s / 2
    x: float  # the escape nonlinearity mu rho_1 log(lambda_1 / alpha^2) / 2 at the largest step
    rho1: float  # fastest growth rate per unit of flow time


def _targets(setting: Setting) -> np.ndarray:
    """λ_s: singular values (asymmetric) or eigenvalues (symmetric) of Z*, s ≤ r̂ ∧ r*."""
    gt = setting.problem().truth
    vals = gt.singular_values if setting.asymmetric else gt.eigenvalues
    return np.asarray(vals[: min(setting.rank, setting.r_star)], dtype=float)


def _rates(setting: Setting) -> np.ndarray:
    """Growth rates ρ_s per unit of flow time: σ_s/2 on the lift, λ_s for U."""
    lam = _targets(setting)
    return 0.5 * lam if setting.asymmetric else lam


def horizon(setting: Setting) -> tuple[float, int]:
    """``(tau, N0)``: the flow-time horizon and the number of steps at μ (a multiple of J)."""
    lam, rho = _targets(setting), _rates(setting)
    a2 = _common.factor_scale(setting) ** 2 if setting.asymmetric else (
        setting.alpha * float(np.linalg.norm(setting.ubar(), 2))) ** 2
    t_esc = np.log(max(lam[-1] / a2, np.e)) / (2.0 * rho[-1])
    n0 = J * int(np.ceil(HORIZON_FACTOR * t_esc / (J * setting.step)))
    return n0 * setting.step, n0


def plan(setting: Setting) -> tuple:
    _, n0 = horizon(setting)
    U0 = setting.initial()[None]
    out = []
    for i in HALVINGS:
        n = n0 * 2 ** i
        snaps = tuple(range(0, n + 1, n // J))
        out.append(RunRequest(f"gradient_flow_mu/{2 ** i}", U0, setting.step / 2 ** i, n,
                              dict(snapshots=snaps, record_every=n, n_eigenvalues=0)))
    return tuple(out)


def _product(setting: Setting, W: np.ndarray) -> np.ndarray:
    if setting.asymmetric:
        d1 = setting.d
        return W[..., :d1, :] @ np.swapaxes(W[..., d1:, :], -1, -2)
    return W @ np.swapaxes(W, -1, -2)


def flow(setting: Setting, times: np.ndarray, *, rtol: float = RTOL, atol: float = ATOL) -> np.ndarray:
    """W(t_j) of dW/dt = −∇f(W) from the setting's W₀ (DOP853), shape (len(times), d, r̂)."""
    pb = setting.problem()
    W0 = setting.initial()
    shape = W0.shape

    def rhs(_t, w):
        return -objective.gradient(pb.op, pb.y, w.reshape(shape)).ravel()

    sol = solve_ivp(rhs, (0.0, float(times[-1])), W0.ravel(), method="DOP853", rtol=rtol, atol=atol,
                    t_eval=times)
    if not sol.success:
        raise RuntimeError(f"solve_ivp failed: {sol.message}")
    return sol.y.T.reshape((len(times),) + shape)


def _snap(setting: Setting, snapshot) -> np.ndarray:
    if setting.asymmetric:
        F, G = snapshot
        return np.concatenate([F, G], axis=-2)[0]
    return np.asarray(snapshot)[0]


def evidence(setting: Setting, *, dynamics=None) -> Evidence:
    tau, _ = horizon(setting)
    times = tau * np.arange(J + 1) / J
    Wf = flow(setting, times, rtol=RTOL / REF_TIGHTEN, atol=ATOL / REF_TIGHTEN)
    W_loose = flow(setting, times)
    flow_error = float(np.max(np.linalg.norm(W_loose - Wf, axis=(-2, -1))))
    Zf = _product(setting, Wf)
    zstar = float(np.linalg.norm(setting.problem().truth.Z))
    gaps, gaps_z, curve = [], [], None
    for req in plan(setting):
        tr = execute(req, setting, dynamics)
        Wg = np.stack([_snap(setting, tr.snapshots[k]) for k in req.options["snapshots"]])
        g = np.linalg.norm(Wg - Wf, axis=(-2, -1))
        gaps.append(float(np.max(g)))
        gaps_z.append(float(np.max(np.linalg.norm(_product(setting, Wg) - Zf, axis=(-2, -1)))) / zstar)
        curve = g
    lam = _targets(setting)
    sv = np.linalg.svd(Zf, compute_uv=False)[:, : lam.size]
    reached = sv >= 0.5 * lam
    esc = np.where(np.any(reached, axis=0), times[np.argmax(reached, axis=0)], np.nan)
    rho1 = float(_rates(setting)[0])
    a2 = float(np.linalg.norm(setting.initial(), 2)) ** 2
    x = setting.step * rho1 * np.log(max(lam[0] / a2, np.e)) / 2.0
    return Evidence(setting.step / 2.0 ** np.array(HALVINGS), np.array(gaps), np.array(gaps_z), times,
                    curve, np.linalg.norm(Wf, axis=(-2, -1)), flow_error, esc, float(x), rho1)


def exponent(steps: np.ndarray, gaps: np.ndarray) -> float:
    """Least-squares slope of log gap against log μ."""
    return float(np.polyfit(np.log(steps), np.log(gaps), 1)[0])


def check(setting: Setting, ev: Evidence):
    out = []
    gaps = np.asarray(ev.gaps, dtype=float)
    q_exp = "exponent p of max_k ‖W_k − W(μk)‖_F ∝ μ^p over μ, μ/2, μ/4"
    if np.all(np.isfinite(gaps)) and np.all(gaps > 0):
        p = exponent(ev.steps, gaps)
        band = ev.x + float(np.max(ev.steps)) * ev.rho1
        out.append(Measurement(q_exp, p, f"1 ± {band:.3g} (escape nonlinearity x = {ev.x:.3g} + μρ₁)",
                               bool(abs(p - 1.0) <= band), name="gap_exponent"))
    else:
        out.append(Measurement.not_testable("gap_exponent", q_exp,
                                            f"a gap is zero or not finite ({gaps.tolist()}): no log-log fit"))
    gz = float(ev.gaps_z[-1])
    out.append(Measurement("max_k ‖Z_k − Z(μk)‖_F/‖Z*‖_F at the smallest step", gz,
                           f"≤ {GAP_FRACTION:g}", bool(np.isfinite(gz) and gz <= GAP_FRACTION),
                           name="gap_small"))
    fe, gmin = float(ev.flow_error), float(gaps[-1])
    out.append(Measurement("flow integration error (rtol 1e-10 vs 1e-12 solves) / smallest gap",
                           fe / gmin if gmin > 0 else np.inf, f"≤ {FLOW_FRACTION:g}",
                           bool(gmin > 0 and fe <= FLOW_FRACTION * gmin), name="flow_resolved"))
    rel = np.asarray(ev.gap_curve) / np.maximum(np.asarray(ev.flow_norm), 1e-300)
    j = int(np.argmax(rel))
    with np.errstate(divide="ignore", invalid="ignore"):
        local = np.log2(gaps[:-1] / gaps[1:])
    notes = (f"gaps ‖W_k − W(μk)‖ = {', '.join(f'{g:.3g}' for g in gaps)} at μ = "
             f"{', '.join(f'{s:g}' for s in ev.steps)}; local exponents "
             f"{', '.join(f'{v:.3f}' for v in local)}; relative gap "
             f"‖W_k − W(t)‖/‖W(t)‖ peaks at t = {ev.times[j]:.3g} (of τ = {ev.times[-1]:.3g}, value "
             f"{rel[j]:.3g}; escape-lag estimate μρ₁²t/2 = {ev.steps[-1] * ev.rho1 ** 2 * ev.times[j] / 2:.3g}); "
             f"flow escapes (λ_s(Z(t)) = λ_s/2) at t = {', '.join(f'{t:.3g}' for t in ev.escape_times)}")
    return out, notes


def small_init_flow(setting: Setting) -> AssumptionCheck:
    """The flow starts near the saddle at 0: the factor scale ≤ 1e-2·√λ_s (λ_s the smallest
    learned singular value or eigenvalue), for either case."""
    lam = _targets(setting)
    scale = (_common.factor_scale(setting) if setting.asymmetric
             else setting.alpha * float(np.linalg.norm(setting.ubar(), 2)))
    bound = _common.ALPHA_FRACTION * float(np.sqrt(lam[-1]))
    return AssumptionCheck("small initialisation (flow)", f"‖W₀‖ ≤ {_common.ALPHA_FRACTION:g}·√λ_(r̂∧r*)",
                           bool(scale <= bound), "exact", f"‖W₀‖ = {scale:.3g}, bound {bound:.3g}")



def assumptions(setting: Setting):
    return (asm.step_practical(setting), small_init_flow(setting))


@st.composite
def _settings(draw, d=(4, 7), r_star=(1, 2), operator=("identity", "gaussian")):
    d1 = draw(st.integers(*d), label="d1")
    sym = draw(st.booleans(), label="symmetric")
    d2 = None if sym else draw(st.integers(*d), label="d2")
    r = draw(st.integers(r_star[0], min(r_star[1], d1, d1 if d2 is None else d2)), label="r*")
    q = draw(st.floats(0.4, 0.7), label="ratio")
    lam1 = draw(st.sampled_from([1.0, 2.0]), label="lambda_1")
    vals = tuple(lam1 * q ** i for i in range(r))
    op = draw(st.sampled_from(operator), label="operator")
    m = None if op == "identity" else draw(st.integers(300, 1000), label="m")
    rank = draw(st.integers(r, r + 1), label="rank")
    # rho_1 = lambda_1 / 2 (lift) or lambda_1 (U): mu rho_1 in [0.005, 0.01] keeps x + mu rho_1 ~ 0.1
    rho1 = 0.5 * lam1 if d2 is not None else lam1
    step = draw(st.floats(0.005, 0.01), label="mu rho_1") / rho1
    alpha = 10.0 ** draw(st.floats(-2.5, -2.0), label="log10 alpha") * np.sqrt(vals[-1])
    seed = draw(st.integers(0, 2**32 - 1), label="seed")
    return Setting(d=d1, d2=d2, eigenvalues=vals, m=m, operator=op, rank=rank, alpha=alpha, step=step,
                   seed=seed)


def instances(**kwargs):
    """Symmetric and asymmetric settings meeting the step budget and the small start."""
    return _settings(**kwargs).filter(lambda s: all(a.holds for a in assumptions(s)))


CLAIM = Claim(
    key="gradient_flow",
    label="Wind 2023 (v1), abstract: GD reduces to the (perturbed) gradient flow",
    title="GD with step μ tracks the gradient flow with a gap linear in μ",
    default=DEFAULT,
    assumptions=assumptions,
    evidence=evidence,
    check=check,
    instances=instances,
    measurements=MEASUREMENTS,
    required=REQUIRED,
    plan=plan,
)
