"""Incremental learning: gradient descent visits Z*_1, Z*_2, …, Z*_{r̂∧r*} in this order.

Paper label
    Theorem 4.1 (ICML; arXiv v1: Thm 4.1, same number — the notes' ICML→v1 map lists
    "Thm 4.1, 4.2 | same"); informal version Theorem 1.2 (v1: Thm 1.1).

Statement (paper's notation)
    Under RIP (Assumption 3.3), a regular initialisation direction (3.5) and a small step (3.7),
    gradient descent (3) from U_0 = αŪ has times T¹_α < T²_α < … < T^{r̂∧r*}_α such that for
    every s ≤ r̂∧r* and every small enough α
        ‖U_{T^s} U_{T^s}ᵀ − Z*_s‖_F ≤ C α^{1/(Mκ*²)}                                  (5)
    with M a universal constant (not given) and C = C(X, Ū); and
    lim_{α→0} max_{t ≤ T^s_α} σ_{s+1}(U_t) = 0. Here Z*_s is the rank-s minimiser of the *sensing*
    loss (Definition 1.1, :func:`sensing.sensing_minimizer`), not the truncated SVD X_sX_sᵀ; the two
    differ by O(δ) (Lemma 4.8). For s = r* (r̂ ≥ r*), Z*_{r*} = Z* (the loss vanishes there).

Numerical reading
    One batched gradient-descent run over α = α₀, α₀10⁻², α₀10⁻⁴, α₀10⁻⁶ (same Ū), recording every
    step (so each visit is resolved to one step), with references Z*_1, …, Z*_{r̂∧r*} (and
    X_sX_sᵀ, reported only). The run from α is read up to its own horizon, twice the time
    λ_{r̂∧r*} needs to grow from α² to σ² (∝ log 1/α, like the proof's T^s_α), so that every α is
    measured at the same stage. For each s:

    - d_s(α) = min_t ‖U_tU_tᵀ − Z*_s‖_F must decay like a positive power of α. Since M is not
      given, only the form is checked: the least-squares exponent p of log d_s against log α is
      positive and every local exponent (between consecutive α) is at least p/2. A power law has
      equal local exponents; the factor 1/2 admits the pre-asymptotic curvature at the largest α
      (local exponents 0.44 → 0.33 on the default instance) and rejects saturation at an
      α-independent floor, whose local exponents tend to 0 — which is what the distance to the
      truncated SVD does (paper notes §3.4), so offering X_sX_sᵀ as Z*_s fails.
      Distances below the floating-point floor 40√D eps ‖𝒜*𝒜‖ ‖Z*‖_F σ₁²/τ cannot be resolved and
      are left out of the fit (derivation: the computed gradient is exact only to
      :func:`sensing.tolerances.gradient_roundoff` g, i.e. 10√D eps ‖𝒜*𝒜‖‖Z*‖_F σ₁; with restricted
      curvature ≥ τ/2 near a minimiser (Lemma 4.6's proof gives 0.5τ) the iterate is fixed only to
      2g/τ, and UUᵀ to 2σ₁ times that). This happens for s = r*, where d_s ~ α² reaches round-off.
    - "near" means nearer than half-way to the neighbouring targets: d_s(α) ≤ ½ min(‖Z*_s −
      Z*_{s−1}‖_F, ‖Z*_s − Z*_{s+1}‖_F) for every α (Z*_0 = 0). The theorem gives no constant;
      this is the least that makes the visit a visit of Z*_s (α = 1 fails it).
    - with T^s := argmin_t ‖U_tU_tᵀ − Z*_s‖_F (the visit; on a plateau at the round-off floor
      its first step, :func:`visit_index`), max_{t≤T^s} σ_{s+1}(U_t) must decay like
      a positive power of α (same criterion; Corollary C.16 bounds it by Cα^{1/(4κ*)}, reported),
      resolved above the singular-value round-off 10 eps max(d, r̂) σ₁.
    - the visits are ordered: T¹ < T² < … for every α.

    Names (``CLAIM.measurements``): ``distance_exponent``, ``near_target`` and
    ``next_sv_exponent`` are emitted once per phase s (the quantity says which s), and
    ``visit_order`` once; ``finite_trajectory`` comes from the framework. "Positive power" means
    resolvable on this sweep: p ≥ p_min = log10 2/6 = 0.050 (``MIN_DECAY``: the fitted law at
    least halves over the six decades), so a zero, negative or ~0 exponent fails. A fit with
    fewer than two resolved (finite, above-floor) points, σ_{s+1} of a factor with only s
    columns, and the order of a single phase are reported as not testable, with the reason.

    Reported, not checked: min_t ‖U_tU_tᵀ − X_sX_sᵀ‖_F, which under RIP levels off at the O(δ)
    floor ‖Z*_s − X_sX_sᵀ‖_F (Lemma 4.8) instead of decaying.

Reproduction (default instance: d = 20, eig(Z*) = 4, 2, 1, m = 26880 = required_m, r̂ = 20,
μ = 0.0125, α = 5e-3, 5e-5, 5e-7, 5e-9)
    min_t ‖U_tU_tᵀ − Z*_s‖_F/‖Z*_s‖_F is 1.2e-2, 1.5e-3, 3.3e-4, 7.1e-5 for s = 1 and 1.1e-2,
    9.0e-4, 1.7e-4, 3.7e-5 for s = 2: local exponents 0.44, 0.34, 0.33 (s = 1) and 0.53, 0.36, 0.33
    (s = 2) per decade of α, close to the 0.25–0.35 the paper notes (§3.4) measured at d = 50,
    m = 1000 (their α = 1e-2..1e-8 gives 9.3e-2, 1.6e-2, 4.0e-3, 1.1e-3 for s = 1). Against X_sX_sᵀ
    the distance levels off at the O(δ) floor ‖Z*_s − X_sX_sᵀ‖_F = 0.054 (s = 1) and 0.037 (s = 2)
    from α = 5e-5 on. max_{t≤T^s} σ_{s+1}(U_t) decays with local exponents ≈ 0.17–0.29, above
    Corollary C.16's 1/(4κ*) = 0.0625 (which bounds it only up to T^ft ≤ T^s). For s = r* = 3 the
    distance to Z* (5.4e-5, 9.1e-9, 4.8e-12, 1.2e-14) decays like α^1.6–α^1.9: the columns of U
    outside the span of X stay at scale α and freeze once UUᵀ ≈ Z*, leaving an O(α²) residual;
    the last value is below the round-off floor (2.8e-12) and is left out.

Structured operators at scale (r̂ = 5; README, "At the issue-14 scale")
    Completion, d = 10⁴, |Ω| = 10⁶ (μ = 0.00467): OUT OF SCOPE (samples, practical RIP 1.36 >
    τ/2), all 10 checks hold. Rank-one, d = 1000, m = 10⁴ (μ = 0.00309): OUT OF SCOPE (centred RIP
    9.16 > 1), 6 of 10 checks fail — GD stays farther than half the target spacing from Z*_1 and
    Z*_2 and its α-exponents are below p_min: at this m rank-one measurements do not show the
    incremental plateaus (docs/figures/structured_incremental.png).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import numpy as np

import sensing
from sensing import tolerances
from sensing.minimizers import normal_space_curvature

from .. import assumptions as asm
from .. import strategies as sst
from .._core import AssumptionCheck, Claim, Measurement, Setting, RunRequest, execute

ALPHA_DECADES = (0, 2, 4, 6)  # the sweep: alpha_0 * 10^-k, same U-bar
LOCAL_FRACTION = 0.5  # every local exponent >= LOCAL_FRACTION * fitted exponent (docstring)
NEAR_FRACTION = 0.5  # d_s <= NEAR_FRACTION * distance to the neighbouring targets
HORIZON_FACTOR = 2.0  # twice the learning time of the last rank: it is learned and then fitted
FP_FACTOR = 10.0  # same constant as sensing.tolerances.gradient_roundoff
# "decays" (definition): the fitted law must shrink the quantity at least MIN_DECAY-fold across
# the sweep, p >= log10(2)/6 = 0.050 per decade over its six decades; a smaller exponent cannot be
# told from saturation at an alpha-independent floor (an audit found p ~ 0 accepted by p > 0)
MIN_DECAY = 2.0

DEFAULT = Setting(d=20, eigenvalues=(4.0, 2.0, 1.0), m=26880, operator="gaussian", rank=20,
                  alpha=5e-3, step=0.0125, seed=0)


@dataclass(frozen=True)
class Targets:
    """Z*_1, …, Z*_{r̂∧r*} with how they were obtained."""

    Z: tuple  # of (d, d) arrays, or sensing.Factored (U*_s) on a structured operator
    grad_norms: np.ndarray  # ||grad f_s(U*_s)|| (0 for Z*_{r*} = Z*)
    grad_tols: np.ndarray  # the round-off level each was driven to
    curvatures: np.ndarray  # lambda+ of the Hessian of f_s at U*_s on the normal space (inf for Z*)
    curvature_tol: float  # its round-off level


@dataclass(frozen=True)
class Evidence:
    """Per α (rows k) and rank s (columns): the visits of the targets along one trajectory."""

    alphas: np.ndarray
    horizon: np.ndarray  # (K,): steps read for each run
    target_kind: str
    min_distance: np.ndarray  # (K, S): min_t ||U_t U_t^T - target_s||_F
    visit: np.ndarray  # (K, S): argmin_t of the same (first step onto the floor: visit_index)
    max_next_sv: np.ndarray  # (K, S): max_{t <= visit} sigma_{s+1}(U_t); nan if undefined
    separation: np.ndarray  # (S,): NEAR_FRACTION x distance to the nearest neighbouring target
    target_norms: np.ndarray  # (S,): ||target_s||_F
    distance_floor: float  # floating-point floor of the distances
    sv_floor: float  # floating-point floor of the singular values
    truncated_min_distance: np.ndarray  # (K, S): min_t ||U_t U_t^T - X_s X_s^T||_F (reported)
    truncated_gap: np.ndarray  # (S,): ||Z*_s - X_s X_s^T||_F (the O(delta) floor)


def alphas(setting: Setting) -> np.ndarray:
    return setting.alpha * 10.0 ** -np.array(ALPHA_DECADES, dtype=float)


def _factored(setting: Setting) -> bool:
    """Targets and references as factors (:class:`sensing.Factored`): a structured operator,
    whose runs hold no d x d matrix (at d = 10^4 six dense references would take 4.8 GB)."""
    return bool(getattr(setting.problem().op, "factored", False))


def _fro(a) -> float:
    """``||a||_F`` of a (d, d) array or of ``V V^T`` for a :class:`sensing.Factored` (``||V^T V||_F``)."""
    if isinstance(a, sensing.Factored):
        return float(np.linalg.norm(a.V.T @ a.V))
    return float(np.linalg.norm(a))


def _fro_diff(a, b) -> float:
    """``||a - b||_F`` for (d, d) arrays or :class:`sensing.Factored` (QR of the stacked factors)."""
    if isinstance(a, sensing.Factored) and isinstance(b, sensing.Factored):
        return sensing.factored.factored_distance(a.V, b.V)
    dense = [x.toarray() if isinstance(x, sensing.Factored) else x for x in (a, b)]
    return float(np.linalg.norm(dense[0] - dense[1]))


def _truth_fro(setting: Setting) -> float:
    """``||Z*||_F``; from the eigenvalues where Z* is not formed (a structured operator)."""
    gt = setting.problem().truth
    return float(np.linalg.norm(gt.eigenvalues)) if _factored(setting) else float(np.linalg.norm(gt.Z))


def _truncated(setting: Setting, s: int):
    """``X_s X_s^T``, as a factor on a structured operator."""
    gt = setting.problem().truth
    return sensing.Factored(gt.X_s(s)) if _factored(setting) else gt.truncated(s)


@lru_cache(maxsize=16)
def _targets(key: Setting) -> Targets:
    pb = key.problem()
    factored = _factored(key)
    Z, gn, tol, curv = [], [], [], []
    for s in range(1, key.s_max + 1):
        if s == key.r_star:  # the loss vanishes at Z*: it is the rank-r* minimiser (Def. 1.1)
            Z.append(sensing.Factored(pb.truth.X) if factored else np.array(pb.truth.Z))
            gn.append(0.0)
            tol.append(0.0)
            curv.append(np.inf)  # the unique zero of f_{r*} (y = A(Z*)); not computed
        else:
            z = sensing.sensing_minimizer(pb.op, pb.y, s)
            Z.append(sensing.Factored(z.U) if factored else z.Z)
            gn.append(z.grad_norm)
            tol.append(z.grad_tol)
            curv.append(normal_space_curvature(pb.op, pb.y, z.U))
    # Hessian entries are of size ||A*A|| ||Z*||_F; an eigenvalue of it is resolved to
    # rtol_iterative (SciPy ARPACK's relative accuracy) of that
    ctol = tolerances.rtol_iterative() * sensing.operator_norm(pb.op) * _truth_fro(key)
    return Targets(tuple(Z), np.array(gn), np.array(tol), np.array(curv), float(ctol))


def targets(setting: Setting) -> Targets:
    """The sensing minimisers Z*_s, s ≤ r̂∧r* (cached per instance; independent of α)."""
    return _targets(setting.replace(alpha=1.0))


def distance_floor(setting: Setting) -> float:
    """40√D eps ‖𝒜*𝒜‖ ‖Z*‖_F σ₁²/τ: the resolution of ‖UUᵀ − Z*_s‖_F (module docstring)."""
    pb = setting.problem()
    gt = pb.truth
    g = tolerances.gradient_roundoff(dim=pb.op.D, normal_norm=sensing.operator_norm(pb.op),
                                     target_norm=_truth_fro(setting),
                                     factor_norm=float(gt.sigmas[0]))
    return float(2.0 * gt.sigmas[0] * 2.0 * g / gt.tau)


def horizons(setting: Setting, alphas_: np.ndarray) -> np.ndarray:
    """Per α: twice the time for λ_{r̂∧r*} to grow from α² to σ², at its slowest rate (σ² − ε).

    The horizon scales with log(1/α) like the proof's T^s_α = T^ft_{α,s} + t^s_α; a common
    horizon would give the largest α many more steps after its last phase than the smallest,
    and the distance to Z*_{r*}, which keeps shrinking until the orthogonal residual freezes,
    would then be measured at inconsistent stages.
    """
    gt = setting.problem().truth
    lam = float(gt.eigenvalues[setting.s_max - 1])
    rate = max(lam - asm.normal_error(setting), 0.5 * lam)
    grow = np.log(np.sqrt(lam) / np.asarray(alphas_, dtype=float)) / np.log1p(setting.step * rate)
    return (np.ceil(HORIZON_FACTOR * np.maximum(grow, 1.0)) + 100).astype(int)


def _separation(Z: Sequence) -> np.ndarray:
    out = []
    for i, z in enumerate(Z):
        near = [_fro_diff(z, Z[i - 1]) if i else _fro(z)]  # the first target's neighbour is 0
        if i + 1 < len(Z):
            near.append(_fro_diff(z, Z[i + 1]))
        out.append(NEAR_FRACTION * float(min(near)))
    return np.array(out)


def _target_matrices(setting: Setting, targets_) -> tuple:
    S = setting.s_max
    Z = targets(setting).Z if targets_ is None else tuple(
        z if isinstance(z, sensing.Factored) else np.asarray(z, dtype=float) for z in targets_)
    if len(Z) != S:
        raise ValueError(f"need {S} targets (s = 1..r̂∧r*), got {len(Z)}")
    return Z


def plan(setting: Setting, *, targets_: Sequence[np.ndarray] | None = None) -> tuple:
    """The one batched run: U_0[k] = α_kŪ over :func:`alphas`, up to the longest horizon, with
    λ_1..λ_{s+1} and the distances to the targets and to the truncated SVDs recorded every step."""
    gt = setting.problem().truth
    S = setting.s_max
    Z = _target_matrices(setting, targets_)
    refs = {f"target{s}": Z[s - 1] for s in range(1, S + 1)}
    refs.update({f"truncated{s}": _truncated(setting, s) for s in range(1, S + 1)})
    al = alphas(setting)
    U0 = np.stack([setting.initial(a) for a in al])
    return (RunRequest("incremental", U0, setting.step, int(horizons(setting, al).max()),
                       dict(record_every=1, references=refs,
                            n_eigenvalues=min(S + 1, setting.d, setting.rank))),)


def evidence(setting: Setting, *, targets_: Sequence[np.ndarray] | None = None,
             kind: str | None = None, dynamics=None) -> Evidence:
    """Run the α sweep once (under ``dynamics``, default the built-in GD) and measure the visits.

    ``targets_`` replaces Z*_1, … (e.g. by the truncated SVDs, a negative control); ``kind``
    names them in the verdict.
    """
    pb = setting.problem()
    gt = pb.truth
    S = setting.s_max
    Z = _target_matrices(setting, targets_)
    kind = kind or ("sensing minimisers Z*_s" if targets_ is None else "supplied targets")
    al = alphas(setting)
    Tk = horizons(setting, al)
    q = min(S + 1, setting.d, setting.rank)
    tr = execute(plan(setting, targets_=targets_)[0], setting, dynamics)
    K = al.size
    dist = np.stack([tr.distance(f"target{s}") for s in range(1, S + 1)], axis=-1)  # (K, n, S)
    dist[tr.record_steps[None, :] > Tk[:, None]] = np.inf  # run k is read up to its horizon
    floor = distance_floor(setting)
    i_min = visit_index(dist, floor)
    min_d = np.min(dist, axis=1)
    visit = tr.record_steps[i_min]
    nxt = np.full((K, S), np.nan)
    for s in range(1, S + 1):
        if s < q:  # sigma_{s+1} recorded
            sv = np.sqrt(np.clip(tr.eigenvalues[:, :, s], 0.0, None))
            for k in range(K):
                nxt[k, s - 1] = float(np.max(sv[k, : i_min[k, s - 1] + 1]))
    within = tr.record_steps[None, :] <= Tk[:, None]
    trunc = np.stack([np.where(within, tr.distance(f"truncated{s}"), np.inf).min(axis=1)
                      for s in range(1, S + 1)], axis=-1)
    gap = np.array([_fro_diff(Z[s - 1], _truncated(setting, s)) for s in range(1, S + 1)])
    sv_floor = FP_FACTOR * tolerances.eps() * max(setting.d, setting.rank) * float(gt.sigmas[0])
    return Evidence(al, Tk, kind, min_d, visit, nxt, _separation(Z),
                    np.array([_fro(z) for z in Z]), floor, sv_floor,
                    trunc, gap)


def visit_index(dist: np.ndarray, floor: float) -> np.ndarray:
    """Record index of the visit T^s per (α, s): the first step at ``max(min_t dist, floor)`` or below.

    ``dist`` is (K, n, S). Above the round-off floor this is the argmin (its first occurrence).
    A run that reaches the floor stays on a plateau there, along which the distance is rounding
    noise, so its argmin can sit anywhere on it (a batched and a single run of the same instance
    put the α = 1e-10 visit of Z*_3 93 steps apart); the first step onto the floor does not move.
    """
    level = np.maximum(np.min(dist, axis=1), floor)
    return np.argmax(dist <= level[:, None, :], axis=1)


# -------------------------------------------------------------------------- check
def min_exponent(alphas_: np.ndarray) -> float:
    """p_min = log10(MIN_DECAY)/log10(α_max/α_min): the smallest exponent the sweep resolves."""
    al = np.asarray(alphas_, dtype=float)
    span = float(np.log10(np.max(al) / np.min(al)))
    if not span > 0:
        raise ValueError(f"alphas must span more than one value, got {al.tolist()}")
    return float(np.log10(MIN_DECAY) / span)


def power_law(alphas_: np.ndarray, values: np.ndarray, floor: float, *, name: str,
              quantity: str) -> Measurement:
    """Does ``values`` decay like a positive power of α? (module docstring)

    Holds when the least-squares exponent p reaches :func:`min_exponent` (so a zero, negative
    or unresolvably small exponent fails) and every local exponent is at least
    ``LOCAL_FRACTION`` p. Values at or below ``floor`` (round-off) or not finite are left out
    and counted; with fewer than two left the measurement is not testable.
    """
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    ok = finite & (values > floor)
    n_floor, n_bad = int(np.sum(finite & ~ok)), int(np.sum(~finite))
    if ok.sum() < 2:
        return Measurement.not_testable(
            name, quantity, f"only {int(ok.sum())} of {values.size} values resolved ({n_floor} at or "
            f"below the round-off floor {floor:.2g}, {n_bad} not finite): a power law needs two",
            measured=values.tolist())
    x, y = np.log10(alphas_[ok]), np.log10(values[ok])
    local = (np.diff(y) / np.diff(x)).tolist()
    xc = x - x.mean()
    p = float(xc @ y / (xc @ xc))
    p_min = min_exponent(alphas_)
    holds = p >= p_min and min(local) >= LOCAL_FRACTION * p
    left = [f"{n_floor} at the round-off floor"] if n_floor else []
    left += [f"{n_bad} not finite"] if n_bad else []
    text = (f"positive power of α: fitted exponent p ≥ p_min = {p_min:.3g} (×{1 / MIN_DECAY:g} over "
            f"the sweep) and every local exponent ≥ {LOCAL_FRACTION:g}p; fitted p = {p:.3g}, "
            f"{LOCAL_FRACTION:g}p = {LOCAL_FRACTION * p:.3g}"
            + (f" ({', '.join(left)} left out)" if left else ""))
    return Measurement(quantity, local, text, bool(holds), name=name)


def check(setting: Setting, ev: Evidence):
    out = []
    S = ev.min_distance.shape[1]
    for s in range(1, S + 1):
        out.append(power_law(ev.alphas, ev.min_distance[:, s - 1], ev.distance_floor,
                             name="distance_exponent",
                             quantity=f"s={s}: local exponents of min_t ‖U_tU_tᵀ − Z*_{s}‖_F in α"))
        d = ev.min_distance[:, s - 1]
        out.append(Measurement(f"s={s}: min_t ‖U_tU_tᵀ − Z*_{s}‖_F per α", d.tolist(),
                               f"≤ {NEAR_FRACTION:g}·(distance to the neighbouring targets) = "
                               f"{ev.separation[s - 1]:.3g}", bool(np.all(d <= ev.separation[s - 1])),
                               name="near_target"))
        sv_q = f"s={s}: local exponents of max_{{t≤T^{s}}} σ_{s + 1}(U_t) in α"
        if np.all(np.isnan(ev.max_next_sv[:, s - 1])):  # not recorded: U_t has no (s+1)-th column
            out.append(Measurement.not_testable(
                "next_sv_exponent", sv_q, f"U_t is {setting.d} × {setting.rank}: σ_{s + 1}(U_t) ≡ 0 "
                f"(r̂∧d = {min(setting.rank, setting.d)} ≤ s), nothing to measure"))
        else:
            out.append(power_law(ev.alphas, ev.max_next_sv[:, s - 1], ev.sv_floor,
                                 name="next_sv_exponent", quantity=sv_q))
    order_q = "visits T¹ < T² < … (argmin_t of the distance, first step onto the floor), per α"
    if S > 1:
        out.append(Measurement(order_q, [row for row in ev.visit.tolist()], "strictly increasing in s",
                               bool(np.all(np.diff(ev.visit, axis=1) > 0)), name="visit_order"))
    else:
        out.append(Measurement.not_testable("visit_order", order_q,
                                            "one phase (r̂∧r* = 1): there is no order to check"))
    kappa = setting.problem().truth.kappa
    rel = ev.min_distance / ev.target_norms

    def fmt(a):
        a = np.asarray(a, dtype=float)
        if a.ndim == 1:
            return "[" + ", ".join(f"{x:.2g}" for x in a) + "]"
        return "[" + "; ".join(fmt(row)[1:-1] for row in a) + "]"

    notes = (f"targets: {ev.target_kind}; α = {', '.join(f'{a:.0e}' for a in ev.alphas)}; "
             f"horizons {ev.horizon.tolist()} steps; relative min distances per s (rows α): "
             f"{fmt(rel)}; visits {ev.visit.tolist()}; "
             f"for information — min_t ‖UUᵀ − X_sX_sᵀ‖_F: "
             f"{fmt(ev.truncated_min_distance)} vs the O(δ) floor ‖Z*_s − X_sX_sᵀ‖_F = "
             f"{fmt(ev.truncated_gap)}; "
             f"Cor. C.16 exponent 1/(4κ*) = {1 / (4 * kappa):.3g} (for σ_(s+1), up to T^ft)")
    return out, notes


def targets_converged(setting: Setting) -> AssumptionCheck:
    """Z*_s is computed and well defined: a stationary point at round-off *and* a strict minimum
    up to rotation (λ+ > 0 on the normal space of the orbit {U*_s R}).

    The gradient condition alone could not fail on any instance tried (the solver always
    reaches round-off, also where Z*_s is not unique); λ+ is what fails when Def. 1.1's "the"
    minimiser does not exist: for eig(Z*) = (4, 2, 2) under full observation the rank-2
    minimisers form a circle and λ+ = 1.5e-15.
    """
    tg = targets(setting)
    ok = bool(np.all(tg.grad_norms <= tg.grad_tols) and np.all(tg.curvatures > tg.curvature_tol))
    return AssumptionCheck(
        "Z*_s computed (Def. 1.1)", "‖∇f_s(U*_s)‖ at round-off and λ+(U*_s) > round-off (an isolated "
        "minimiser up to rotation) for s < r̂∧r*; Z*_{r*} = Z*", ok,
        "exact", f"‖∇f_s‖ = {np.array2string(tg.grad_norms, precision=2)}, round-off "
        f"{np.array2string(tg.grad_tols, precision=2)}; λ+ = "
        f"{np.array2string(tg.curvatures, precision=3)}, round-off {tg.curvature_tol:.2g}")


def assumptions(setting: Setting):
    return asm.standard(setting) + (targets_converged(setting),)


#: Spectrum ratios the property test draws. Finding (flake campaign, README "No flakes"): for
#: ratios 0.56-0.6 with r* = 3, min_t ||U_tU_tᵀ - Z*_2|| decays as a power of α but with a
#: crossover inside the sweep: d = 6, eig 1, 0.5625, 0.3164, m = 8982, seed 0 gives
#: 1.7e-2, 5.7e-3, 2.0e-3, 6.7e-4, 2.8e-4 per decade down to α = 5.6e-7, then 2.8e-4, 2.2e-4
#: (local exponent 0.01-0.1), then about 0.19 per decade again (1.2e-5 at α = 5.6e-16). The
#: theorem (C α^p for small α) allows it; this checker's local-exponent rule does not. The test
#: draws ratios where no crossover fell inside the sweep in 100+ thorough examples; the
#: checker still reports the crossover on any instance given to it.
RATIO_RANGE = (0.4, 0.5)


def instances(**kwargs):
    """Settings meeting the practical assumptions, over-parameterised (r̂ = d), with a spectrum
    ratio in RATIO_RANGE so that consecutive phases separate within a few thousand steps."""
    opts = dict(d=(6, 10), r_star=(1, 3), ratio=RATIO_RANGE, operator=("identity", "gaussian"),
                alpha_exponent=(-3.0, -2.0), step_fraction=(0.4, 0.6))
    opts.update(kwargs)
    return sst.settings(**opts)


CLAIM = Claim(
    key="incremental",
    label="Theorem 4.1 (v1: Thm 4.1)",
    title="Incremental learning: U_tU_tᵀ visits Z*_1, Z*_2, … in order, ever closer as α → 0",
    default=DEFAULT,
    assumptions=assumptions,
    evidence=evidence,
    check=check,
    instances=instances,
    measurements=("distance_exponent", "near_target", "next_sv_exponent", "visit_order",
                  "finite_trajectory"),
    required=asm.STANDARD_NAMES + ('Z*_s computed (Def. 1.1)',),
    plan=plan,
)
