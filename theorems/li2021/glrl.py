"""Greedy low-rank learning: GLRL's stages are Z*_1, …, Z*_{r*}; gradient descent from small α
passes near each of them, and its first stage follows GLRL's first-stage path.

Paper
    Li, Luo, Lyu, *Towards resolving the implicit bias of gradient descent for matrix
    factorization: greedy low-rank learning*, ICLR 2021 (arXiv 2012.09839). SEEN: only the abstract
    and Jin et al.'s description (``../shared/paper-notes.md`` §4.1): "for depth-2 matrix
    factorisation, gradient flow with infinitesimal initialisation is mathematically equivalent to
    a simple heuristic rank minimisation algorithm, Greedy Low-Rank Learning, under some
    reasonable assumptions", and prior analyses "only prove the first, rank-1 escape phase".
    RECONSTRUCTED (not seen): the algorithm (notes §4.1, implemented in :mod:`sensing.greedy`:
    append √ε·u_s, u_s the top eigenvector of −∇f(W_{s−1}), and descend to convergence; stop
    when λ_max(−∇f) ≤ 0) and the first-stage theorem (the flow from αW̄, shifted by its escape
    time, converges to GLRL's stage-1 path as α → 0, provided u₁ᵀW̄u₁ > 0). The label below is
    ours: no theorem number of the paper was seen.

Statement (reconstructed, Jin's notation; loss f(U) = ¼‖𝒜(UUᵀ) − y‖², so −∇_W f(0) = 𝒜*(y) = M)
    (i) GLRL's s-th stage W_s is the rank-s sensing minimiser Z*_s (Jin's Thm 4.1 says GLRL's
    sequence is Z*_1, Z*_2, … under RIP), and GLRL stops at s = r* (λ_max(−∇f(Z*)) = 0);
    (ii) its first direction u₁ is the top eigenvector v̂₁ of M;
    (iii) GD from U₀ = αŪ passes ever closer to every W_s as α → 0, at times ∝ log(1/α);
    (iv) GD's stage-1 trajectory converges to GLRL's stage-1 path (times matched) as α, ε → 0.

Numerical reading
    GLRL runs once with ε = 1e-8 (``EPSILON``) and GD's step μ of the setting, each stage to the
    gradient round-off of :func:`sensing.tolerances.gradient_roundoff` (at most ``GLRL_MAX_STEPS``
    steps a stage). Measurements (``CLAIM.measurements``):

    - ``stages_are_minimisers``: ‖W_s − Z*_s‖_F ≤ floor_s for every s ≤ r* (Z*_s from
      :func:`sensing.sensing_minimizer`, Z*_{r*} = Z*). No paper constant: both are computed
      minimisers, so the tolerance is pure round-off. floor_s = 4‖U*_s‖₂(g_GLRL + g_min)/λ+_s: each
      factor is a stationary point only to its gradient tolerance g, which with normal-space
      curvature λ+ (:func:`sensing.normal_space_curvature`) fixes U to 2g/λ+ up to rotation, and
      UUᵀ to 2‖U‖ times that (the derivation of :func:`theorems.jin2023.incremental.distance_floor`,
      with the measured λ+ in place of τ/2).
    - ``stops_at_r_star``: GLRL stopped by its own test (λ_{r*+1} ≤ its round-off tolerance
      :func:`sensing.greedy.stop_tolerance`) with rank r*.
    - ``first_direction``: sin∠(u₁, v̂₁) ≤ 2(τ₀ + 10 d eps‖M‖)/(λ₁(M) − λ₂(M)), Davis–Kahan with
      the perturbation the round-off τ₀ of 𝒜*(y) (``stop_tolerance`` at W = 0) plus the
      eigensolvers' backward error (v̂₁ from a dense ``eigh`` of a separately computed M; u₁ from
      GLRL's ``eigsh``). sin is computed as ‖u₁ − (u₁ᵀv̂₁)v̂₁‖, not √(1 − cos²) (which bottoms
      out at √eps = 1.5e-8).
    - ``gd_passes_near_stages`` (once per s): one batched GD run over α = α₀·10^{−2k}, k = 0..3
      (``ALPHA_DECADES``), r̂ = d, each run read up to the horizon of
      :func:`theorems.jin2023.incremental.horizons`; d_s(α) = min_t ‖U_tU_tᵀ − W_s‖_F must decay
      like a positive power of α — :func:`theorems.jin2023.incremental.power_law` (fitted
      exponent ≥ p_min = log10 2/6 and every local exponent ≥ half of it; values below the
      round-off floor of ``distance_floor`` are left out).
    - ``visit_time_law`` (once per s): the visit T^s(α) = the first t with d_s(t) ≤
      2·max(min_t d_s, floor) (the minimum, up to a factor 2) must grow linearly in log(1/α). For
      the last stage (s = r*, where GD converges) the distance levels off at an O(α²) plateau or
      at round-off and "the time of the minimum" is the time of reaching that plateau, which
      bends the line once the plateau falls below the floor (measured: residual 132 steps against
      a bound of 156 on the default); there T^s is the entry time, the first t with d_s ≤
      ½‖W_s − W_{s−1}‖_F (the time W_s is learned). The law: fitted
      slope b > 0 and every residual ≤ ``SCATTER``·b·(span of log 1/α), i.e. the points lie within
      10 % of the total rise of the line. The slope is reported against 1/log(1 + μσ̂_s²), the
      linearised escape time of the s-th direction per unit log(1/α) (the visit of W_s sits
      between the escapes of directions s and s+1, so b·log(1+μσ̂_s²) ≥ 1 is expected, not gated).
    - ``trajectory_matches_glrl``: for each α a GLRL stage 1 with ε(α) = (α‖Ūᵀu₁‖)², the
      squared scale of GD's start along u₁ (u₁ᵀU₀U₀ᵀu₁ = α²‖Ūᵀu₁‖²). *Matched* times: step t of
      GLRL ↔ step t of GD. Both start with the same u₁-component and grow it at the same rate, so
      no shift is needed between them; the escape-time shift of the reconstructed theorem is the
      one that takes both to the ε → 0 limit path, which the comparison at equal ε(α) = α²c²
      never needs (the times t_½ at which λ₁(UUᵀ) first reaches λ₁(W₁)/2 are reported for GD
      and GLRL: they agree to a step). gap(α) = max over the window t_½(GD) ± a of
      ‖U_tU_tᵀ − W^GLRL_t‖_F, a = ⌈log 50 / (2 log(1 + μλ₁(W₁)))⌉ steps (the linearised time
      from λ₁(W₁)/100 to λ₁(W₁)/2, taken again beyond it). After its stage converged, GLRL's
      iterate is held at W₁; before it started (a too-large ε), at its start εu₁u₁ᵀ. gap must
      decay like a positive power of α (same ``power_law``). Predicted (DERIVED, not in the
      paper): the part of U₀ outside u₁ grows like (1 + μσ̂₂²)^t, so the gap scales like
      α^{1 − log(1+μσ̂₂²)/log(1+μσ̂₁²)} (≈ 0.49 on the default), reported.
    - ``finite_trajectory`` (framework).

At scale
    On a structured operator (:mod:`sensing.structured`) past d = :data:`DENSE_MAX_D` nothing d × d
    is formed: GLRL's −∇f(W) is a ``LinearOperator`` (:func:`sensing.greedy.negative_gradient_operator`,
    ARPACK for its top eigenpair; ‖UUᵀ‖_F as ‖UᵀU‖_F and ‖𝒜*(y)‖ from the operator in its
    round-off levels), the stages W_s, Z*_s and GD's references are :class:`sensing.Factored`,
    v̂₁ and the rates come from the r* + 1 largest eigenpairs of 𝒜*(y) by ARPACK, and the stage-1
    gap is a QR of stacked factors. Forced at small d every measurement and verdict equals the
    dense one (tests/test_claims_structured.py). Completion, d = 10⁴, |Ω| = 10⁶, r̂ = 5,
    μ = 0.0197: OUT OF SCOPE (practical RIP 1.36 > τ/2, samples), all 10 checks hold — stages
    equal to Z*_s to ≤ 2e-9 (floors ≥ 3e-8), stop at r* = 3, stage-1 gap ∝ α^0.48 (derived 0.48).
    Rank-one, d = 1000, m = 10⁴ (dense path; μ = 0.00427): OUT OF SCOPE (centred RIP 9.16 > 1);
    GLRL's stages are still Z*_s to 4e-8, but GD does not pass near W_2 (exponent 0.014) and its
    visits of W_2, W_3 are not linear in log(1/α): 3 of 10 checks fail.

Measured on the default (d = 10, eig (4, 2, 1), m = 13440 Gaussian, r̂ = 10, μ = 0.02,
α = 5e-3 … 5e-9; verify 0.6 s). GLRL (ε = 1e-8): stages λ = 3.95, 1.99, 0.986, 1000/2000/2000
steps, ‖∇f‖ ≈ 1.7e-14 (tolerances 1.5e-13); stops at s = 3 with λ₄ = 6.4e-15 ≤ 2.7e-13.
‖W_s − Z*_s‖_F = 8.0e-15, 2.6e-14, 1.3e-14 (floors 1.2e-12, 2.7e-12, 1.4e-12; λ+ = 2.00, 0.976,
0.972). sin∠(u₁, v̂₁) = 3.9e-16 (floor 3.0e-13; gap λ₁ − λ₂ of M = 1.98). min_t ‖UUᵀ − W_s‖_F:
s = 1: 6.2e-2, 4.9e-3, 7.0e-4, 1.1e-4 (local exponents 0.55, 0.42, 0.40); s = 2: 3.9e-2, 3.4e-3,
4.8e-4, 8.5e-5 (0.53, 0.43, 0.38); s = 3: 2.5e-5, 4.5e-9, 3.3e-12 (1.9, 1.6), 7.7e-15 below the
floor. Visits: s = 1: 111, 191, 283, 376 (slope 19.3 = 1.46/log(1+μσ̂₁²)); s = 2: 209, 363, 533,
719 (36.9 = 1.42/log(1+μσ̂₂²)); s = 3 (entry): 314, 549, 783, 1017 (50.9 = 1.01/log(1+μσ̂₃²)).
Stage-1 gap to GLRL at matched ε (5e-6 … 5e-18): 7.8e-2, 8.0e-3, 8.2e-4, 8.5e-5, local exponents
0.496, 0.493, 0.493 against the derived 0.493; t_½ = 89, 150, 211, 271 for GD and GLRL alike
(window ± 26 steps). With ε = 1 the gap does not decay (the control); a descent with twice the
gradient (``theorems.reproduce.li``'s ``gradient-x2`` fault) passes every check but this one.
Not reproduced: nothing on this instance; the paper's own constants and experiments were not seen.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.sparse.linalg import eigsh

import sensing
from sensing import greedy, tolerances
from sensing.groundtruth import HAAR_DENSE_MAX_D
from sensing.minimizers import normal_space_curvature

from .. import assumptions as asm
from .. import strategies as sst
from .._core import AssumptionCheck, Claim, FINITE_TRAJECTORY, Measurement, RunRequest, Setting, execute
from ..jin2023 import incremental as jin

ALPHA_DECADES = (0, 2, 4, 6)  # the sweep: alpha_0 * 10^-k, same U-bar (as jin2023.incremental)
EPSILON = 1e-8  # GLRL's epsilon for its stages (squared scale of the new column)
GLRL_MAX_STEPS = 50_000  # cap on one stage's descent
SCATTER = 0.1  # visit_time_law: residuals within 10% of the line's total rise
VISIT_FACTOR = 2.0  # the visit: first t within this factor of the minimum distance
HALF = 0.5  # t_1/2: lambda_1(UU^T) first reaches HALF * lambda_1(W_1)
WINDOW_FROM = 0.01  # the window starts where the linearised lambda_1 is WINDOW_FROM * lambda_1(W_1)
FP_FACTOR = 10.0  # the constant of the round-off bounds (sensing.tolerances)

_EIG = (4.0, 2.0, 1.0)
DEFAULT = Setting(d=10, eigenvalues=_EIG, m=sst.required_m(_EIG, 10), operator="gaussian", rank=10,
                  alpha=5e-3, step=0.02, seed=0)


#: Past this d a structured operator's instance is run without d x d matrices (:func:`at_scale`).
DENSE_MAX_D = HAAR_DENSE_MAX_D


def at_scale(setting: Setting) -> bool:
    """Whether the claim runs without d x d matrices: a structured operator (:mod:`sensing.structured`)
    at d > :data:`DENSE_MAX_D`. GLRL's −∇f is then a LinearOperator (:func:`sensing.greedy.at_scale`),
    its stages, the Z*_s and the references are factors (:class:`sensing.Factored`, distances by QR
    of the stacked factors) and the top eigenpairs of 𝒜*(y) come from ARPACK."""
    return bool(getattr(setting.problem().op, "factored", False)) and setting.d > DENSE_MAX_D


def _stage_W(setting: Setting, stage):
    """W_s = UUᵀ of a GLRL stage, as a factor at scale."""
    return sensing.Factored(stage.U) if at_scale(setting) else stage.W


def _top_eigenvalue(W) -> float:
    """λ₁ of W = UUᵀ (a (d, d) array, or a factor: the top eigenvalue of UᵀU)."""
    if isinstance(W, sensing.Factored):
        return float(np.linalg.eigvalsh(W.V.T @ W.V)[-1])
    return float(np.linalg.eigvalsh(W)[-1])


# ----------------------------------------------------------------------------- GLRL and targets
@lru_cache(maxsize=16)
def _glrl(key: Setting, epsilon: float, max_rank: int | None, path_every: int | None):
    pb = key.problem()
    return sensing.glrl(pb.op, pb.y, epsilon=epsilon, max_rank=max_rank, step=key.step,
                        max_steps=GLRL_MAX_STEPS, path_every=path_every)


def run_glrl(setting: Setting, *, epsilon: float = EPSILON, max_rank: int | None = None,
             path_every: int | None = None) -> sensing.GLRLResult:
    """GLRL on the setting's instance with its step μ (cached; independent of α)."""
    return _glrl(setting.replace(alpha=1.0), float(epsilon), max_rank, path_every)


@lru_cache(maxsize=16)
def _minimisers(key: Setting):
    pb = key.problem()
    out = []
    for s in range(1, key.r_star + 1):
        if s == key.r_star:
            U = np.array(pb.truth.X)
            gtol = 0.0  # Z* is exact: y = A(Z*)
        else:
            z = sensing.sensing_minimizer(pb.op, pb.y, s)
            U, gtol = z.U, z.grad_tol
        out.append((sensing.Factored(U) if at_scale(key) else U @ U.T, float(np.linalg.norm(U, 2)), float(gtol),
                    normal_space_curvature(pb.op, pb.y, U)))
    return tuple(out)


def minimisers(setting: Setting):
    """Per s ≤ r*: (Z*_s, ‖U*_s‖₂, its gradient tolerance, λ+ at U*_s) (cached)."""
    return _minimisers(setting.replace(alpha=1.0, rank=setting.d))


def alphas(setting: Setting) -> np.ndarray:
    return setting.alpha * 10.0 ** -np.array(ALPHA_DECADES, dtype=float)


def _M(setting: Setting) -> np.ndarray:
    pb = setting.problem()
    return np.asarray(pb.op.adjoint(pb.y), dtype=float)


def _top_eigvecs(setting: Setting):
    """Eigenvalues of M = 𝒜*(y), largest first, and their eigenvectors: all of them (dense
    ``eigh``), or at scale the r* + 1 largest (ARPACK, machine-precision tolerance, fixed start),
    which is all the claim reads (λ₁, λ₂, the stage rates λ_s for s ≤ r*, v̂₁)."""
    if at_scale(setting):
        pb, d = setting.problem(), setting.d
        w, V = eigsh(pb.op.adjoint_operator(pb.y), k=min(setting.r_star + 1, d - 1), which="LA",
                     v0=np.full(d, 1.0 / np.sqrt(d)))
        order = np.argsort(w)[::-1]
        return w[order], V[:, order]
    w, V = np.linalg.eigh(_M(setting))
    return w[::-1], V[:, ::-1]


def sin_angle(u: np.ndarray, v: np.ndarray) -> float:
    """sin∠(u, v) of unit vectors, as ‖u − (uᵀv)v‖ (exact to eps, unlike √(1 − cos²))."""
    u = u / np.linalg.norm(u)
    v = v / np.linalg.norm(v)
    return float(np.linalg.norm(u - (u @ v) * v))


# ----------------------------------------------------------------------------- evidence
@dataclass(frozen=True)
class Evidence:
    alphas: np.ndarray
    horizon: np.ndarray  # (K,)
    stage_W: tuple  # GLRL's W_s (epsilon = EPSILON)
    targets: tuple  # Z*_s, s <= r*
    stage_floor: np.ndarray  # (r*,): round-off floor of ||W_s - Z*_s||_F
    converged: tuple  # per stage
    stopped: bool
    rank: int
    final_eigenvalue: float
    stop_tolerance: float
    direction: np.ndarray  # u_1 of GLRL
    top_eigvec: np.ndarray  # v-hat_1 of M (dense eigh)
    direction_floor: float
    min_distance: np.ndarray  # (K, S): min_t ||U_tU_t^T - W_s||_F (S = GLRL stages)
    visit: np.ndarray  # (K, S)
    rates: np.ndarray  # (S,): log(1 + mu sigma-hat_s^2)
    distance_floor: float
    epsilons: np.ndarray  # (K,): GLRL stage-1 epsilon matched to alpha
    half_gd: np.ndarray  # (K,): t_1/2 of GD
    half_glrl: np.ndarray  # (K,): t_1/2 of GLRL
    window: int  # a: the window is t_1/2 +- a
    trajectory_gap: np.ndarray  # (K,)
    predicted_gap_exponent: float


def window_half_width(setting: Setting, lam1: float) -> int:
    return int(math.ceil(math.log(HALF / WINDOW_FROM) / (2.0 * math.log1p(setting.step * lam1))))


def plan(setting: Setting, *, stages=None) -> tuple:
    """One batched run U₀[k] = α_kŪ up to the longest horizon, recording λ₁ and the distances to
    GLRL's W_s every step, with snapshots of U_t up to the end of the stage-1 window of the
    smallest α."""
    g = run_glrl(setting)
    W = [_stage_W(setting, st) for st in g.stages] if stages is None else list(stages)
    al = alphas(setting)
    T = int(jin.horizons(setting.replace(rank=max(setting.rank, setting.r_star)), al).max())
    lam1 = _top_eigenvalue(W[0]) if W else 1.0
    c = float(np.linalg.norm(setting.ubar().T @ _top_eigvecs(setting)[1][:, 0]))
    rate = math.log1p(setting.step * lam1)
    t_half = math.log(HALF * lam1 / (al.min() * max(c, 1e-12)) ** 2) / (2.0 * rate)
    T_snap = min(T, int(math.ceil(2.0 * t_half)) + 2 * window_half_width(setting, lam1) + 100)
    refs = {f"stage{s}": W[s - 1] for s in range(1, len(W) + 1)}
    U0 = np.stack([setting.initial(a) for a in al])
    return (RunRequest("glrl", U0, setting.step, T,
                       dict(record_every=1, references=refs, n_eigenvalues=1,
                            snapshots=tuple(range(T_snap + 1)))),)


def _first(mask: np.ndarray) -> int:
    idx = np.flatnonzero(mask)
    return int(idx[0]) if idx.size else -1


def evidence(setting: Setting, *, dynamics=None, trajectory_epsilon: float | None = None) -> Evidence:
    """Run GLRL and the α sweep (under ``dynamics``) and measure (module docstring).

    ``trajectory_epsilon`` replaces the matched ε(α) = (α‖Ūᵀu₁‖)² of the stage-1 comparison by
    one value for every α (a negative control: ε = 1).
    """
    pb = setting.problem()
    g = run_glrl(setting)
    mins = minimisers(setting)
    floors = []
    for s, (Z, un, gtol, curv) in enumerate(mins, start=1):
        g_glrl = g.stage(s).gradient_tolerance if s <= g.rank else 0.0
        floors.append(4.0 * un * (g_glrl + gtol) / curv if curv > 0 else np.inf)
    w, V = _top_eigvecs(setting)
    M_norm = float(abs(w[0]))
    tau0 = greedy.stop_tolerance(pb.op, pb.y, np.zeros((setting.d, 0)))
    gap12 = float(w[0] - w[1]) if w.size > 1 else float(w[0])
    dfloor = 2.0 * (tau0 + FP_FACTOR * setting.d * tolerances.eps() * M_norm) / gap12
    u1 = g.stage(1).direction if g.rank else np.full(setting.d, np.nan)

    # ---- the GD sweep
    W = [_stage_W(setting, st) for st in g.stages]
    S = len(W)
    al = alphas(setting)
    K = al.size
    Tk = jin.horizons(setting.replace(rank=max(setting.rank, setting.r_star)), al)
    req = plan(setting)[0]
    tr = execute(req, setting, dynamics)
    steps = tr.record_steps
    floor = jin.distance_floor(setting)
    min_d = np.full((K, S), np.nan)
    visit = np.full((K, S), -1, dtype=int)
    for s in range(1, S + 1):
        dist = np.array(tr.distance(f"stage{s}"), dtype=float)
        dist[steps[None, :] > Tk[:, None]] = np.inf
        entry = HALF * (jin._fro_diff(W[s - 1], W[s - 2]) if s > 1 else jin._fro(W[0]))
        for k in range(K):
            m = float(np.min(dist[k]))
            min_d[k, s - 1] = m
            level = entry if s == S else VISIT_FACTOR * max(m, floor)
            visit[k, s - 1] = int(steps[_first(dist[k] <= level)])
    rates = np.array([math.log1p(setting.step * float(w[s - 1])) for s in range(1, S + 1)])

    # ---- stage 1: GD against GLRL at matched epsilon
    lam1 = _top_eigenvalue(W[0]) if S else np.nan
    a = window_half_width(setting, lam1) if S else 0
    c = float(np.linalg.norm(setting.ubar().T @ u1)) if S else np.nan
    eps_k = (al * c) ** 2 if trajectory_epsilon is None else np.full(K, float(trajectory_epsilon))
    snap_t = np.array(sorted(tr.snapshots))
    half_gd = np.full(K, -1)
    half_gl = np.full(K, -1)
    gap = np.full(K, np.nan)
    lam_gd = tr.eigenvalues[:, :, 0]
    for k in range(K):
        if not S:
            break
        gk = run_glrl(setting, epsilon=eps_k[k], max_rank=1, path_every=1).stage(1)
        # λ₁ of W^GLRL = UUᵀ at path_steps (every step), from UᵀU (the same nonzero eigenvalues)
        lam_gl = np.linalg.eigvalsh(np.einsum("nia,nib->nab", gk.path, gk.path))[:, -1]
        half_gl[k] = int(gk.path_steps[_first(lam_gl >= HALF * lam1)])
        half_gd[k] = int(steps[_first(lam_gd[k] >= HALF * lam1)])
        if half_gd[k] < 0 or half_gd[k] + a > snap_t[-1]:
            continue  # not reached within the run / the snapshots: reported as not finite
        worst = 0.0
        for t in range(max(0, half_gd[k] - a), half_gd[k] + a + 1):
            j = min(t, gk.path_steps[-1])  # held at W_1 once converged
            Ug = gk.path[int(np.searchsorted(gk.path_steps, j))]
            Ut = tr.snapshots[t][k]
            # ‖U_tU_tᵀ − U_gU_gᵀ‖_F: dense below DENSE_MAX_D, else by QR of the stacked factors
            gap_t = (sensing.factored.factored_distance(Ut, Ug) if at_scale(setting)
                     else float(np.linalg.norm(Ut @ Ut.T - Ug @ Ug.T)))
            worst = max(worst, gap_t)
        gap[k] = worst
    pred = (1.0 - rates[1] / rates[0]) if S > 1 else float("nan")
    return Evidence(al, Tk, tuple(W), tuple(m[0] for m in mins), np.array(floors),
                    tuple(st.converged for st in g.stages), bool(g.stopped), int(g.rank),
                    float(g.final_eigenvalue), float(g.stop_tolerance), np.asarray(u1), V[:, 0].copy(),
                    float(dfloor), min_d, visit, rates, float(floor), eps_k, half_gd, half_gl, int(a),
                    gap, float(pred))


# ----------------------------------------------------------------------------- check
def time_law(alphas_: np.ndarray, times: np.ndarray, rate: float, *, s: int, last: bool = False) -> Measurement:
    """T^s(α) linear in log(1/α) with positive slope and residuals ≤ SCATTER of its rise."""
    how = (f"first t with d_{s} ≤ ½‖W_{s} − W_{s - 1}‖: last stage, entry" if last
           else f"first t within {VISIT_FACTOR:g}× of min_t d_{s}")
    q = f"s={s}: visit times T^{s}(α) ({how}) against log(1/α)"
    t = np.asarray(times, dtype=float)
    if np.any(t < 0) or t.size < 3:
        return Measurement.not_testable("visit_time_law", q, f"visits {t.tolist()}: a negative entry "
                                        "is a visit not reached; a line needs three points",
                                        measured=t.tolist())
    x = np.log(1.0 / np.asarray(alphas_, dtype=float))
    xc = x - x.mean()
    b = float(xc @ (t - t.mean()) / (xc @ xc))
    resid = t - (t.mean() + b * xc)
    rise = abs(b) * float(x.max() - x.min())
    worst = float(np.max(np.abs(resid)))
    holds = b > 0 and worst <= SCATTER * rise
    return Measurement(q, t.astype(int).tolist(),
                       f"slope b > 0 and |residual| ≤ {SCATTER:g}·b·span(log 1/α); b = {b:.4g} steps "
                       f"per unit log(1/α) (b·log(1+μσ̂_{s}²) = {b * rate:.3g}; 1/log(1+μσ̂_{s}²) = "
                       f"{1 / rate:.4g}), max |residual| = {worst:.3g} vs {SCATTER * rise:.3g}",
                       bool(holds), name="visit_time_law")


def check(setting: Setting, ev: Evidence):
    out = []
    r = setting.r_star
    n = min(len(ev.stage_W), r)
    dist = [jin._fro_diff(ev.stage_W[s], ev.targets[s]) for s in range(n)]
    out.append(Measurement(
        "‖W_s − Z*_s‖_F, s ≤ r* (GLRL stage vs rank-s sensing minimiser)", dist,
        f"≤ round-off floors 4‖U*_s‖(g_GLRL + g_min)/λ+_s = "
        f"[{', '.join(f'{f:.2g}' for f in ev.stage_floor[:n])}] for all {r} stages",
        bool(n == r and all(d <= f for d, f in zip(dist, ev.stage_floor))), name="stages_are_minimisers"))
    out.append(Measurement(
        "GLRL's stopping: (stopped, rank, λ_max(−∇f(W_last)))", [ev.stopped, ev.rank, ev.final_eigenvalue],
        f"stopped by λ ≤ tolerance {ev.stop_tolerance:.2g} at rank r* = {r}",
        bool(ev.stopped and ev.rank == r and ev.final_eigenvalue <= ev.stop_tolerance),
        name="stops_at_r_star"))
    if np.all(np.isfinite(ev.direction)):
        sn = sin_angle(ev.direction, ev.top_eigvec)
        out.append(Measurement("sin∠(u₁, v̂₁ of 𝒜*(y) = −∇f(0))", sn,
                               f"≤ Davis–Kahan round-off floor {ev.direction_floor:.2g}",
                               bool(sn <= ev.direction_floor), name="first_direction"))
    else:
        out.append(Measurement.not_testable("first_direction", "sin∠(u₁, v̂₁)", "GLRL took no stage"))
    S = ev.min_distance.shape[1]
    for s in range(1, S + 1):
        out.append(jin.power_law(ev.alphas, ev.min_distance[:, s - 1], ev.distance_floor,
                                 name="gd_passes_near_stages",
                                 quantity=f"s={s}: local exponents of min_t ‖U_tU_tᵀ − W_{s}‖_F in α"))
        out.append(time_law(ev.alphas, ev.visit[:, s - 1], ev.rates[s - 1], s=s, last=s == S))
    m = jin.power_law(ev.alphas, ev.trajectory_gap, ev.distance_floor, name="trajectory_matches_glrl",
                      quantity="stage 1: local exponents in α of max over t_½ ± a of "
                               "‖U_tU_tᵀ − W^GLRL(ε=α²‖Ūᵀu₁‖²)_t‖_F")
    out.append(m)

    def fmt(a):
        return "[" + ", ".join(f"{x:.2g}" for x in np.asarray(a, dtype=float).ravel()) + "]"

    notes = (f"α = {', '.join(f'{x:.0e}' for x in ev.alphas)}; GLRL ε = {EPSILON:g}; min_t ‖UUᵀ − W_s‖ (rows α) "
             f"{'; '.join(fmt(row) for row in ev.min_distance)}; stage-1 gap {fmt(ev.trajectory_gap)} "
             f"(predicted exponent 1 − log(1+μσ̂₂²)/log(1+μσ̂₁²) = {ev.predicted_gap_exponent:.3g}), "
             f"t_½ GD {ev.half_gd.tolist()} vs GLRL {ev.half_glrl.tolist()}, window ±{ev.window} steps, "
             f"matched ε {fmt(ev.epsilons)}")
    return out, notes


# ----------------------------------------------------------------------------- assumptions
GLRL_CONVERGED = "GLRL converged at every stage"


def glrl_converged(setting: Setting) -> AssumptionCheck:
    try:
        g = run_glrl(setting)
    except sensing.DivergenceError as exc:  # the setting's step is too large for GLRL too
        return AssumptionCheck(GLRL_CONVERGED, "each stage's descent reached its gradient round-off",
                               False, "exact", f"GLRL diverged: {exc}")
    ok = bool(g.rank > 0 and all(st.converged for st in g.stages))
    detail = "; ".join(f"s={st.s}: λ = {st.eigenvalue:.3g}, {st.steps} steps, ‖∇f‖ = {st.gradient_norm:.2g} "
                       f"(tol {st.gradient_tolerance:.2g})" for st in g.stages)
    return AssumptionCheck(GLRL_CONVERGED, f"each stage's descent reached its gradient round-off within "
                           f"{GLRL_MAX_STEPS} steps (ε = {EPSILON:g}, μ = setting's step)", ok, "exact",
                           detail or "no stage")


def assumptions(setting: Setting):
    return asm.standard(setting) + (glrl_converged(setting),)


RATIO_RANGE = (0.4, 0.5)  # as theorems.jin2023.incremental (its finding on crossovers)


def instances(**kwargs):
    """Over-parameterised (r̂ = d) settings meeting the practical assumptions, d = 8–11, r* ≤ 3."""
    opts = dict(d=(8, 11), r_star=(1, 3), ratio=RATIO_RANGE, operator=("identity", "gaussian"),
                alpha_exponent=(-3.0, -2.0), step_fraction=(0.4, 0.6))
    opts.update(kwargs)
    return sst.settings(**opts)


CLAIM = Claim(
    key="glrl",
    label="GLRL (Li–Luo–Lyu 2021, RECONSTRUCTED; no theorem number seen)",
    title="Greedy low-rank learning: stages Z*_s, stop at r*, GD passes near them and follows stage 1",
    default=DEFAULT,
    assumptions=assumptions,
    evidence=evidence,
    check=check,
    instances=instances,
    measurements=("stages_are_minimisers", "stops_at_r_star", "first_direction", "gd_passes_near_stages",
                  "visit_time_law", "trajectory_matches_glrl", FINITE_TRAJECTORY),
    required=asm.STANDARD_NAMES + (GLRL_CONVERGED,),
    plan=plan,
)
