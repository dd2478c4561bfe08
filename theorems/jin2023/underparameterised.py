"""Under-parameterised GD converges to the rank-r̂ sensing minimiser Z*_r̂, at a linear rate.

Paper label
    Theorem 4.2 (ICML; arXiv v1 Thm 4.2), with its proof's Lemma F.1 (ICML appendix numbering;
    linear convergence of GD on f_s near U*_s — its v1 number is not in our numbering map) and,
    for the distance to the truncated SVD, Lemma 4.8 (v1 Lemma 4.4).

Statement (paper's notation)
    Let r̂ < r* and U ∈ ℝ^{d×r̂}. Under Assumptions 3.3, 3.5 and 3.7 there is ᾱ > 0 such that
    for every α < ᾱ, GD (3) from U_0 = αŪ satisfies lim_{t→∞} U_tU_tᵀ = Z*_r̂, the unique
    minimiser of the sensing loss over PSD matrices of rank ≤ r̂ (Definition 1.1, Lemma 4.4).
    Z*_r̂ is not the truncated SVD X_r̂X_r̂ᵀ: Lemma 4.8 bounds ‖Z*_r̂ − X_r̂X_r̂ᵀ‖_F by
    160 δ κ* √r* ‖X‖², and the gap is generically nonzero. The last phase is linear (Lemma F.1):
    once dist(Û_0, U*_s) ≤ 10⁻² κ*⁻¹ ‖X‖, dist²(Û_t, U*_s) ≤ (1 − 0.05 τ μ)^t dist²(Û_0, U*_s),
    with dist the Procrustes distance (Definition 3.8) and τ = κ*⁻¹‖X‖². Here r̂ = s, so the
    shadow iterate Û_t is U_t itself.

Numerical reading
    One batched GD run from two initialisations α₀ and α₀·10⁻³ (``ALPHA_DECADES``), long enough
    to reach the floating-point floor (horizon below). Z*_r̂ = U*U*ᵀ comes from
    :func:`sensing.sensing_minimizer` (Newton-polished to its round-off gradient). Checked:

    1. *Limit*: ‖U_TU_Tᵀ − Z*_r̂‖_F ≤ the round-off floor of :func:`limit_floor` for every α.
    2. *Not the truncated SVD*: ‖U_TU_Tᵀ − X_r̂X_r̂ᵀ‖_F is resolved above round-off
       (≥ ``RESOLUTION`` × floor) and at most Lemma 4.8's 160 δ κ* √r* ‖X‖², evaluated with a
       *lower* bound on δ_{2r*+1} (:func:`sensing.rip_estimate`), so a pass is conclusive for the
       paper's bound. Its ratio to ε = ‖(𝒜*𝒜 − I)Z*‖ is reported ("of order ε"). Under full
       observation Z*_r̂ = X_r̂X_r̂ᵀ and the gap must instead be at round-off.
    3. *α-independence*: the limits of the runs agree to 2× the floor.
    4. *Lemma F.1 envelope*: from the first recorded t_a with dist ≤ 10⁻²κ*⁻¹‖X‖ (the lemma's
       basin) until dist reaches ``RESOLUTION`` × floor, dist²(t) ≤ (1 − 0.05τμ)^{t−t_a}
       dist²(t_a), with a factor (1 + 1/RESOLUTION)² for round-off in the two distances. The
       paper's constant 0.05 is used as printed: it is explicit and within reach.
    5. *Linear rate, Lemma F.1's constant*: the per-step contraction of dist² fitted over that
       window is at most 1 − 0.05τμ.
    6. *Linear rate, sharp*: near U*, GD is U_{t+1} − U* ≈ J(U_t − U*) with J = I − μ∇²f_r̂(U*),
       a symmetric map once the r̂(r̂−1)/2 rotation directions U*Ω (Ω skew, where f_r̂ is flat and
       ∇²f_r̂ vanishes) are quotiented out — which the Procrustes distance does. Its singular
       values lie in [ρ_min, ρ], ρ = max |1 − μλ|, ρ_min = min |1 − μλ| over the nonzero Hessian
       eigenvalues λ, so every step shrinks dist by a factor in [ρ_min − η, ρ + η], where
       η = 6μ‖𝒜*𝒜‖‖U*‖·dist bounds the move of the Hessian away from U* (``HESSIAN_LIPSCHITZ``,
       from differentiating ∇²f once more). We check that for every chunk of about one e-fold
       (⌈1/−log ρ⌉ steps) of the window, the chunk's per-step factor is in that interval up to
       (1 ± 2/RESOLUTION)^{1/length} for the round-off in its two end distances. No tolerance
       is tuned: the interval is the linearisation's. (The per-step factor need not equal ρ at
       once: the error is a sum of modes decaying at each |1 − μλ|, and when the slowest mode
       starts small — common from small α — the distance first follows a faster one.)

    Horizon: 3× the escape time log(σ_r̂/α)/log(1 + μ(σ_r̂² − ε)) of the smallest α plus 2× the
    time the linear rate ρ needs from the basin radius down to the floor. The round-off floor is
    derived in :func:`limit_floor`; no paper constant enters a tolerance.

Findings
    Default instance (d = 8, eig(Z*) = 4, 2, 1, r̂ = 2, m = 10752): the limit is Z*_r̂ to
    1.5 × 10⁻¹⁴ (floor 1.3 × 10⁻¹²) from both α, ‖U_TU_Tᵀ − X_r̂X_r̂ᵀ‖_F = 0.054 = 0.33 ε (Lemma
    4.8's bound with δ ≥ 0.0997 is 442), and the per-step factor of dist ends at ρ = 0.987735
    exactly. Lemma F.1's guaranteed factor 1 − 0.05τμ = 0.999375 for dist² is about 40× slower
    (in log) than the measured 0.975. Over 200 random instances of :func:`instances` the claim
    held on all; no chunk was slower than ρ by more than 0.08 % of 1 − ρ, and the last chunk
    matched ρ to 0.2 % of 1 − ρ. GD from a *large* α (‖U_0‖ from ¼‖X‖ to ‖X‖, 4 seeds) also
    converges to Z*_r̂ to 10⁻¹⁴ (f_r̂ had no spurious local minimum on these instances), so
    "small α" is sufficient, not necessary, for Theorem 4.2; the α-independence negative
    control therefore uses too few steps rather than a large α.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

import sensing
from sensing import tolerances

from .. import assumptions as asm
from .. import strategies as sst
from .._core import AssumptionCheck, Claim, Measurement, Setting

ALPHA_DECADES = (0, 3)  # the runs: alpha_0 and alpha_0 * 10^-3
# Lemma F.1 (App. F): basin dist <= 1e-2 kappa*^-1 ||X||, rate (1 - 0.05 tau mu) for dist^2
BASIN = 1e-2
F1_RATE = 0.05
# Lemma 4.8: ||Z*_s - X_s X_s^T||_F <= 160 delta kappa* sqrt(r*) ||X||^2 (Cor. E.6 proof)
L48_CONSTANT = 160.0
# A distance counts as resolved when it is RESOLUTION x the round-off floor: round-off then
# perturbs it by at most 1/RESOLUTION relative (see limit_floor)
RESOLUTION = 100.0
# ||hess f(U) - hess f(U*)|| <= 6 ||A*A|| ||U*|| dist(U, U*) + O(dist^2): differentiate the three
# terms of hess f(U)[E] = A*A(U E^T + E U^T) U + A*A(U U^T - Z*) E once more in U
HESSIAN_LIPSCHITZ = 6.0
HORIZON_ESCAPE, HORIZON_LOCAL = 3.0, 2.0  # horizon multipliers (see module docstring)

DEFAULT = Setting(d=8, eigenvalues=(4.0, 2.0, 1.0), m=sst.required_m((4.0, 2.0, 1.0), 8),
                  operator="gaussian", rank=2, alpha=1e-3, step=0.0125, seed=0)


@dataclass(frozen=True)
class Evidence:
    """GD runs with r̂ < r* and the references they are compared with.

    ``U_t`` holds the recorded iterates, shape (n, K, d, r̂) at ``steps`` (n,), for the K
    initialisation scales ``alphas``. ``Us``/``Zs`` are U*_r̂ and Z*_r̂ (what the limit is
    compared with); ``truncated`` is X_r̂X_r̂ᵀ. ``hessian`` are the eigenvalues of ∇²f_r̂(U*_r̂),
    increasing; ``floor_dist``/``floor_Z`` the round-off floors of :func:`limit_floor`;
    ``lipschitz`` the bound 6‖𝒜*𝒜‖‖U*‖ on how fast the Hessian moves away from U*.
    """

    alphas: np.ndarray
    steps: np.ndarray
    U_t: np.ndarray
    Us: np.ndarray
    Zs: np.ndarray
    truncated: np.ndarray
    hessian: np.ndarray
    floor_dist: float
    floor_Z: float
    lipschitz: float
    epsilon: float
    full_observation: bool


def alphas(setting: Setting) -> np.ndarray:
    return setting.alpha * 10.0 ** -np.array(ALPHA_DECADES, dtype=float)


def hessian_eigenvalues(pb: sensing.SensingProblem, U: np.ndarray) -> np.ndarray:
    """Eigenvalues (increasing) of the Hessian of f_s at U, as a (ds × ds) symmetric matrix.

    ∇²f(U)[E] = 𝒜*𝒜(UEᵀ + EUᵀ)U + 𝒜*(𝒜(UUᵀ) − y)E, applied to the ds unit directions E in one
    batched call of :class:`sensing.NormalMap`.
    """
    d, s = U.shape
    nm = sensing.NormalMap(pb.op, pb.y)
    M = nm((U @ U.T)[None])[0][0]
    E = np.eye(d * s).reshape(d * s, d, s)
    P = U @ E.transpose(0, 2, 1)
    H = (nm.apply(P + P.transpose(0, 2, 1)) @ U + M @ E).reshape(d * s, d * s)
    return np.linalg.eigvalsh(0.5 * (H + H.T))


def linear_rate(hessian: np.ndarray, s: int, step: float) -> tuple[float, float, float]:
    """(ρ, ρ_min, λ⁺_min) of the linearised GD map I − μ∇²f_s(U*) off the rotation directions.

    ρ = max |1 − μλ| and ρ_min = min |1 − μλ| over the nonzero Hessian eigenvalues λ (the
    extreme singular values of the symmetric map), λ⁺_min the smallest of them. The s(s−1)/2
    eigenvalues of smallest magnitude belong to the rotation directions U*Ω (exactly zero at a
    critical point, where ∇f(U*) = 0 and Ω + Ωᵀ = 0) and are dropped.
    """
    live = np.sort(hessian[np.argsort(np.abs(hessian))][s * (s - 1) // 2:])
    factors = np.abs(1.0 - step * live)
    return float(np.max(factors)), float(np.min(factors)), float(live[0])


def limit_floor(pb: sensing.SensingProblem, zs: sensing.RankSMinimizer, step: float,
                lam_min: float) -> tuple[float, float]:
    """Round-off floor (dist, ‖UUᵀ − Z*_s‖_F) for GD's limit against the computed U*_s.

    Near U*, ‖∇f_s(U)‖_F ≥ λ⁺_min dist(U, U*) to first order (λ⁺_min the smallest nonzero
    Hessian eigenvalue, rotations quotiented out), so a gradient known only up to an error g
    pins U down only up to g/λ⁺_min. Three gradient errors add up:

    - evaluating ∇f in floating point: g_eval = :func:`sensing.tolerances.gradient_roundoff`
      (cancellation in UUᵀ − Z*, the normal map, the product with U), counted twice — once at
      GD's limit, once at the computed minimiser;
    - GD stalls once a step μ∇f is below the float spacing of U's entries (fl(U − μg) = U when
      |μ g_ij| < eps |U_ij| / 2), i.e. it may stop with ‖∇f‖ up to eps ‖U*‖_F / μ;
    - the computed minimiser's own residual gradient ``zs.grad_norm``.

    dist_floor = (2 g_eval + eps‖U*‖_F/μ + ‖∇f_s(U*)‖)/λ⁺_min, and since
    ‖UUᵀ − U*U*ᵀ‖_F ≤ (‖U‖ + ‖U*‖) dist, Z_floor = (2‖U*‖ + dist_floor) dist_floor plus the
    rounding of forming the two products (10 eps ‖Z*_s‖_F).
    """
    eps = tolerances.eps()
    U = zs.U
    g_eval = tolerances.gradient_roundoff(
        dim=pb.op.D, normal_norm=sensing.operator_norm(pb.op),
        target_norm=float(np.linalg.norm(pb.truth.Z)), factor_norm=float(np.linalg.norm(U, 2)))
    stall = eps * float(np.linalg.norm(U)) / step
    dist = (2.0 * g_eval + stall + zs.grad_norm) / lam_min
    Z = (2.0 * float(np.linalg.norm(U, 2)) + dist) * dist + 10.0 * eps * float(np.linalg.norm(zs.Z))
    return float(dist), float(Z)


def horizon(setting: Setting, rho: float, floor_dist: float) -> int:
    gt = setting.problem().truth
    s = setting.rank
    lam = float(gt.eigenvalues[s - 1])
    growth = max(lam - asm.normal_error(setting), 0.5 * lam)  # as in jin2023.learning_times
    escape = np.log(np.sqrt(lam) / alphas(setting)[-1]) / np.log1p(setting.step * growth)
    basin = BASIN * float(np.sqrt(gt.eigenvalues[0])) / gt.kappa
    local = np.log(basin / floor_dist) / -np.log(rho)
    return int(np.ceil(HORIZON_ESCAPE * max(escape, 0.0) + HORIZON_LOCAL * max(local, 0.0))) + 100


def evidence(setting: Setting, *, steps: int | None = None) -> Evidence:
    """Run GD with r̂ = ``setting.rank`` from each α; ``steps`` overrides the horizon."""
    pb = setting.problem()
    s = setting.rank
    zs = sensing.sensing_minimizer(pb.op, pb.y, s)
    hess = hessian_eigenvalues(pb, zs.U)
    rho, _, lam_min = linear_rate(hess, s, setting.step)
    floor_dist, floor_Z = limit_floor(pb, zs, setting.step, lam_min)
    lipschitz = HESSIAN_LIPSCHITZ * sensing.operator_norm(pb.op) * float(np.linalg.norm(zs.U, 2))
    T = horizon(setting, rho, floor_dist) if steps is None else int(steps)
    k = max(1, T // 2000)
    rec = np.unique(np.append(np.arange(0, T + 1, k), T))
    al = alphas(setting)
    U0 = np.stack([setting.initial(a) for a in al])
    traj = sensing.gradient_descent(pb.op, pb.y, U0, step=setting.step, steps=T, record_every=k,
                                    n_eigenvalues=0, snapshots=rec)
    U_t = np.stack([traj.snapshots[t] for t in rec])
    return Evidence(al, rec, U_t, zs.U, zs.Z, pb.truth.truncated(s), hess, floor_dist, floor_Z,
                    lipschitz, asm.normal_error(setting), pb.op.is_identity)


def procrustes_distances(U_t: np.ndarray, Us: np.ndarray) -> np.ndarray:
    """dist(U_t, U*) (Definition 3.8) for iterates of shape (n, K, d, s): returns (K, n).

    The optimal rotation is R = PQᵀ from the SVD U*ᵀU_t = PΣQᵀ (Lemma A.10, as in
    :func:`sensing.procrustes_distance`), batched; the distance is formed as ‖U_t − U*R‖_F, not
    from ‖U_t‖² + ‖U*‖² − 2‖U*ᵀU_t‖_*, which would cancel to √eps.
    """
    P, _, Qt = np.linalg.svd(Us.T @ U_t)
    return np.linalg.norm(U_t - Us @ (P @ Qt), axis=(-2, -1)).T


def _window(dist: np.ndarray, upper: float, lower: float) -> tuple[int, int] | None:
    """Indices [a, b] from the first entry ≤ upper to the last entry ≥ lower after it."""
    inside = np.flatnonzero(dist <= upper)
    if inside.size == 0:
        return None
    a = int(inside[0])
    above = np.flatnonzero(dist[a:] >= lower)
    if above.size < 3:
        return None
    return a, a + int(above[-1])


def _slope(t: np.ndarray, y: np.ndarray) -> float:
    return float(np.polyfit(t.astype(float), y, 1)[0])


def _chunks(steps: np.ndarray, a: int, b: int, length: int) -> list[tuple[int, int]]:
    """Consecutive record pairs (i, j) in [a, b] at least ``length`` steps apart."""
    out, i = [], a
    while True:
        later = np.flatnonzero(steps[i:b + 1] >= steps[i] + length)
        if later.size == 0:
            return out
        j = i + int(later[0])
        out.append((i, j))
        i = j


def check(setting: Setting, ev: Evidence):
    gt = setting.problem().truth
    s, mu = setting.rank, setting.step
    out = []
    U_T = ev.U_t[-1]
    Z_T = U_T @ U_T.transpose(0, 2, 1)
    fmt = lambda v: f"{v:.3g}"  # noqa: E731

    final = np.linalg.norm(Z_T - ev.Zs, axis=(1, 2))
    out.append(Measurement("‖U_TU_Tᵀ − Z*_r̂‖_F (per α)", final.tolist(),
                           f"≤ round-off floor {ev.floor_Z:.2g}", bool(np.all(final <= ev.floor_Z))))

    gap = np.linalg.norm(Z_T - ev.truncated, axis=(1, 2))
    if ev.full_observation:
        out.append(Measurement("‖U_TU_Tᵀ − X_r̂X_r̂ᵀ‖_F (full observation)", gap.tolist(),
                               f"≤ {ev.floor_Z:.2g} (δ = 0: Z*_r̂ = X_r̂X_r̂ᵀ)", bool(np.all(gap <= ev.floor_Z))))
    else:
        delta = asm.rip_lower_bound(setting)
        bound = L48_CONSTANT * delta * gt.kappa * np.sqrt(setting.r_star) * gt.eigenvalues[0]
        ok = bool(np.all(gap >= RESOLUTION * ev.floor_Z) and np.all(gap <= bound))
        out.append(Measurement(
            "‖U_TU_Tᵀ − X_r̂X_r̂ᵀ‖_F (per α)", gap.tolist(),
            f"≥ {RESOLUTION:g}× floor = {RESOLUTION * ev.floor_Z:.2g} and ≤ 160δκ*√r*‖X‖² = {bound:.3g} "
            f"(Lemma 4.8, δ ≥ {delta:.3g}); gap/ε = {float(np.max(gap)) / max(ev.epsilon, 1e-300):.3g}, "
            f"ε = ‖(𝒜*𝒜 − I)Z*‖ = {ev.epsilon:.3g}", ok))

    spread = max((float(np.linalg.norm(Z_T[i] - Z_T[j])) for i in range(len(Z_T)) for j in range(i)),
                 default=0.0)
    out.append(Measurement("max_{α,α'} ‖U_TU_Tᵀ(α) − U_TU_Tᵀ(α')‖_F", spread,
                           f"≤ 2× floor = {2 * ev.floor_Z:.2g} (limit independent of α)",
                           bool(spread <= 2 * ev.floor_Z)))

    # final phase: Lemma F.1's basin down to the resolved floor
    dist = procrustes_distances(ev.U_t, ev.Us)
    basin = BASIN * float(np.sqrt(gt.eigenvalues[0])) / gt.kappa
    f1 = 1.0 - F1_RATE * gt.tau * mu
    rho, rho_min, _ = linear_rate(ev.hessian, s, mu)
    windows = [_window(dk, basin, RESOLUTION * ev.floor_dist) for dk in dist]
    if any(w is None for w in windows):
        msg = (f"no final phase: dist never went from the basin {basin:.2g} down to "
               f"{RESOLUTION * ev.floor_dist:.2g}; min dist per α = {fmt(float(np.min(dist)))}")
        out.append(Measurement("final phase (Lemma F.1 basin → floor)", [float(np.min(dk)) for dk in dist],
                               f"reaches ≤ {basin:.2g} and then ≥ 3 records above {RESOLUTION * ev.floor_dist:.2g}",
                               False))
        return out, msg
    # chunks of about one e-fold at rate rho: round-off (1/RESOLUTION relative per distance)
    # moves a chunk's per-step rate by a factor (1 +- 2/RESOLUTION)^(1/length) at most
    length = max(1, int(np.ceil(1.0 / -np.log(rho))))
    envelope, whole, fastest, slowest, last = [], [], [], [], []
    bad = 0
    for dk, (a, b) in zip(dist, windows):
        t = ev.steps[a:b + 1] - ev.steps[a]
        envelope.append(float(np.max((dk[a:b + 1] / dk[a]) ** 2 / f1 ** t)))
        whole.append(np.exp(_slope(t, np.log(dk[a:b + 1]))))
        rates = []
        for i, j in _chunks(ev.steps, a, b, length):
            n = int(ev.steps[j] - ev.steps[i])
            r = (dk[j] / dk[i]) ** (1.0 / n)
            eta = ev.lipschitz * mu * dk[i]
            fp = (1.0 + 2.0 / RESOLUTION) ** (1.0 / n)
            bad += not ((rho_min - eta) / fp <= r <= (rho + eta) * fp)
            rates.append(r)
        rates = rates or [float("nan")]
        fastest.append(min(rates))
        slowest.append(max(rates))
        last.append(rates[-1])
    slack = (1.0 + 1.0 / RESOLUTION) ** 2
    out.append(Measurement(
        "max_t dist²(t) / [(1 − 0.05τμ)^(t−t_a) dist²(t_a)] in the final phase", envelope,
        f"≤ {slack:.4g} (Lemma F.1 envelope, basin dist ≤ {basin:.2g}; round-off slack)",
        bool(max(envelope) <= slack)))
    out.append(Measurement(
        "fitted per-step contraction of dist² in the final phase", [w * w for w in whole],
        f"≤ 1 − 0.05τμ = {f1:.6f} (Lemma F.1)", bool(max(whole) ** 2 <= f1)))
    out.append(Measurement(
        f"per-step decay 1 − dist(t+1)/dist(t) of the slowest {length}-step chunk of the final phase",
        [1.0 - r for r in slowest],
        f"every chunk in [1 − ρ, 1 − ρ_min] = [{1 - rho:.6f}, {1 - rho_min:.6f}] ∓ η, from the singular "
        f"values ρ_min, ρ of I − μ∇²f_r̂(U*) (η = 6μ‖𝒜*𝒜‖‖U*‖·dist ≤ {ev.lipschitz * mu * basin:.2g}; "
        "round-off)", bool(bad == 0 and np.all(np.isfinite(slowest)))))
    notes = (f"α = {', '.join(f'{a:.1e}' for a in ev.alphas)}; T = {int(ev.steps[-1])}; floors: dist "
             f"{ev.floor_dist:.2g}, ‖·‖_F {ev.floor_Z:.2g}; final phase t ∈ "
             f"{[(int(ev.steps[a]), int(ev.steps[b])) for a, b in windows]}; chunk rates from "
             f"{min(fastest):.6f} to {max(slowest):.6f}, last chunk {', '.join(f'{x:.6f}' for x in last)} "
             f"(ρ = {rho:.6f}); 1 − 0.05τμ = {f1:.6f}")
    return out, notes


def assumptions(setting: Setting):
    under = AssumptionCheck("under-parameterised", "1 ≤ r̂ < r*", bool(1 <= setting.rank < setting.r_star),
                            "exact", f"r̂ = {setting.rank}, r* = {setting.r_star}")
    return (under,) + asm.standard(setting)


@st.composite
def _under(draw, opts):
    rest = {k: v for k, v in opts.items() if k != "r_star"}
    r = draw(st.integers(*opts["r_star"]), label="r*")
    return draw(sst.settings(r_star=(r, r), rank=(1, r - 1), **rest))


def instances(**kwargs):
    """Settings with 1 ≤ r̂ < r* meeting the practical assumptions by construction.

    Small d and a spectrum ratio of at least 0.4 keep m = :func:`strategies.required_m` (and
    so the cost of the operator) moderate; r* ≥ 2 so that some r̂ < r* exists.
    """
    opts = dict(d=(6, 9), r_star=(2, 3), ratio=(0.4, 0.6), operator=("gaussian",),
                alpha_exponent=(-4.0, -3.0))
    opts.update(kwargs)
    return _under(opts)


CLAIM = Claim(
    key="underparameterised",
    label="Thm 4.2 with Lemma F.1, Lemma 4.8 (v1: Thm 4.2, Lemma 4.4)",
    title="With r̂ < r*, GD converges linearly to Z*_r̂ (not to X_r̂X_r̂ᵀ), independently of small α",
    default=DEFAULT,
    assumptions=assumptions,
    evidence=evidence,
    check=check,
    instances=instances,
    required=('under-parameterised', 'eigengap (§3)', 'RIP, practical form', 'small step, practical form', 'Assumption 3.5', 'small initialisation',),
)
