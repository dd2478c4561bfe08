"""The paper's assumptions as checkable predicates, with how each was checked.

Each predicate comes in up to two forms:

- the **paper's constant** (``role="paper"``), e.g. Assumption 3.3's
  delta <= 10^-12 kappa*^-4.5 / r*. These constants are far outside any instance a computer can
  run (they would need ~10^30 measurements), so they are reported, never gated on;
- the **practical form** (``role="required"``) that expresses the same mechanism at a scale
  where it can hold, and that the claim's checks are conditioned on. Each says which mechanism
  of the proof it stands for.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.sparse.linalg import LinearOperator, eigsh

import sensing
from sensing.groundtruth import HAAR_DENSE_MAX_D

from ._core import AssumptionCheck, Setting

#: Assumption 3.3: (2r*+1, delta)-RIP with delta <= 1e-12 kappa*^{-4.5} / r*.
RIP_CONSTANT = 1e-12
RIP_KAPPA_POWER = 4.5
#: Assumption 3.7: mu <= 1e-4 delta ||X||^{-2}.
STEP_CONSTANT = 1e-4
#: Practical forms (ours, not the paper's): the measurement error must not close the eigengap
#: (half the gap leaves the order of eigenvalues of A*A(Z*) intact, Lemma A.6 via Weyl), the
#: step must keep the discrete dynamics close to the flow (mu ||A*(y)|| <= 0.1 keeps each
#: multiplicative factor 1 + mu sigma-hat^2 within 10% of exp(mu sigma-hat^2)), and the
#: initialisation must sit well below the smallest learned scale.
GAP_FRACTION = 0.5
STEP_BUDGET = 0.1
ALPHA_FRACTION = 1e-2


def _factored_at_scale(pb) -> bool:
    """A structured operator at a d where Z* is not formed (:data:`sensing.groundtruth.HAAR_DENSE_MAX_D`)."""
    return getattr(pb.op, "factored", False) and pb.d > HAAR_DENSE_MAX_D


def _symmetric_norm(matvec, d: int) -> float:
    """``||B||_2`` of a symmetric d x d map given by ``matvec``: ARPACK's largest-magnitude
    eigenvalue (default tolerance, machine precision relative to it) from a fixed start."""
    B = LinearOperator((d, d), matvec=lambda v: matvec(np.reshape(v, (d, 1))).ravel(), dtype=np.float64)
    return float(abs(eigsh(B, k=1, which="LM", v0=np.full(d, 1.0 / np.sqrt(d)), return_eigenvectors=False)[0]))


@lru_cache(maxsize=64)
def normal_error(setting: Setting) -> float:
    """``||(A*A - I)(Z*)||_2``, computed exactly (one operator application); on a structured
    operator at large d, by ARPACK on ``v -> A*(A(X X^T)) v - X (X^T v)`` without Z*."""
    pb = setting.problem()
    if pb.op.is_identity:
        return 0.0
    if _factored_at_scale(pb):
        X, op = pb.truth.X, pb.op
        w = op.forward_factor(X)
        return _symmetric_norm(lambda v: op.adjoint_times(w, v) - X @ (X.T @ v), pb.d)
    return float(np.linalg.norm(pb.op.normal(pb.truth.Z) - pb.truth.Z, 2))


@lru_cache(maxsize=64)
def rip_search(setting: Setting) -> sensing.RIPBound:
    """The worst-direction search of :func:`sensing.rip_estimate` at order 2r*+1 (seeded by the
    setting), both ends; one search per setting, shared by every check that reads it."""
    order = min(2 * setting.r_star + 1, setting.d)
    return sensing.rip_estimate(setting.problem().op, order, rng=setting.seed, restarts=3, iterations=40)


def rip_lower_bound(setting: Setting) -> float:
    """Lower bound on delta_{2r*+1} from :func:`rip_search`."""
    return rip_search(setting).delta


def distinct_eigenvalues(setting: Setting) -> AssumptionCheck:
    gt = setting.problem().truth
    return AssumptionCheck(
        "eigengap (§3)", "σ₁² > σ₂² > … > σ_{r*}² > 0", bool(gt.tau > 0), "exact",
        f"τ = min gap = {gt.tau:.4g}, κ* = {gt.kappa:.4g}")


def rip_paper(setting: Setting) -> AssumptionCheck:
    gt = setting.problem().truth
    need = RIP_CONSTANT * gt.kappa ** -RIP_KAPPA_POWER / setting.r_star
    if setting.operator == "identity":
        return AssumptionCheck("Assumption 3.3", f"(2r*+1, δ)-RIP, δ ≤ 1e-12 κ*^-4.5/r* = {need:.2g}",
                               True, "exact", "full observation: δ = 0", role="paper")
    low = rip_lower_bound(setting)
    return AssumptionCheck(
        "Assumption 3.3", f"(2r*+1, δ)-RIP, δ ≤ 1e-12 κ*^-4.5/r* = {need:.2g}", bool(low <= need),
        "estimate", f"δ ≥ {low:.3g} (lower bound from a worst-direction search): the paper's "
        "constant is out of reach at any practical m", role="paper")


def rip_practical(setting: Setting) -> AssumptionCheck:
    gt = setting.problem().truth
    err = normal_error(setting)
    statement = f"‖(𝒜*𝒜 − I)Z*‖ ≤ {GAP_FRACTION:g}·τ (measurement error keeps the eigengaps)"
    detail = f"‖(𝒜*𝒜 − I)Z*‖ = {err:.4g}, {GAP_FRACTION:g}·τ = {GAP_FRACTION * gt.tau:.4g}"
    if setting.operator == "rank_one":
        # E A*A(Z) = 2Z + tr(Z) I: the l2 form measures the bias, not the concentration; it is
        # reported (never certified) and the centred form below gates the claim instead
        return AssumptionCheck(
            "RIP, practical form", statement, bool(err <= GAP_FRACTION * gt.tau), "exact",
            detail + ": not certified for rank-one measurements, which satisfy an ℓ₁/ℓ₂ RIP and "
            "not the ℓ₂ RIP of Definition 3.2 (𝔼𝒜*𝒜 = 2I + tr(·)I); the centred form gates the claim",
            role="paper")
    return AssumptionCheck("RIP, practical form", statement, bool(err <= GAP_FRACTION * gt.tau), "exact", detail)


#: Rank-one measurements A_i = a_i a_i^T with a_i ~ N(0, I_d): E A*A(Z) = 2Z + tr(Z) I (Isserlis).
RANK_ONE_RIP = "RIP, centred form (rank-one)"
#: Matrix completion: |Omega| against the incoherence of Z* (Candès–Tao order mu r d log d).
COMPLETION_SAMPLES = "incoherence and samples (completion)"
#: Incoherence mu(Z*) = (d / r*) max_i ||e_i^T V||^2 of the eigenvectors V of Z* (1 <= mu <= d/r*).
#: The samples bound with constant 1: |Omega| >= mu r* d log d (the order Candès & Tao 2010 show is
#: necessary; sufficiency results carry larger constants and powers of mu, r, kappa).
COMPLETION_SAMPLE_CONSTANT = 1.0


@lru_cache(maxsize=64)
def centred_normal_error(setting: Setting) -> float:
    """``||(A*A - E A*A) Z*||_2`` with ``E A*A(Z) = 2Z + tr(Z) I`` (Gaussian rank-one measurements)."""
    pb = setting.problem()
    if _factored_at_scale(pb):
        X, op = pb.truth.X, pb.op
        w, trace = op.forward_factor(X), float(np.sum(X * X))
        return _symmetric_norm(lambda v: op.adjoint_times(w, v) - 2.0 * X @ (X.T @ v) - trace * v, pb.d)
    Z = pb.truth.Z
    return float(np.linalg.norm(pb.op.normal(Z) - 2.0 * Z - np.trace(Z) * np.eye(pb.d), 2))


def rip_rank_one(setting: Setting) -> AssumptionCheck:
    """The centred practical form for rank-one measurements.

    Gaussian a_i give ``E A*A(Z) = 2Z + tr(Z) I``: the same eigenvectors as Z and twice its
    eigengaps, a shift of the whole spectrum by tr Z. Centring removes that bias, as the
    rank-one literature does (Chen, Chi, Goldsmith 2015 prove their RIP-ℓ₂/ℓ₁ for the debiased
    differences a_{2i-1}a_{2i-1}ᵀ − a_{2i}a_{2i}ᵀ, whose expectation is 2Z); what remains is the
    concentration error, which must not close the eigengaps of 𝔼𝒜*𝒜(Z*) (2τ): the mechanism of
    Lemma A.6 (Weyl) for M = 𝒜*𝒜(Z*) around 2Z* + tr(Z*) I instead of Z*. This certifies the
    order of the eigenvalues and directions of M, not the paper's ℓ₂ RIP (reported separately,
    never certified).
    """
    gt = setting.problem().truth
    err = centred_normal_error(setting)
    bound = GAP_FRACTION * 2.0 * gt.tau
    return AssumptionCheck(
        RANK_ONE_RIP, f"‖(𝒜*𝒜 − 𝔼𝒜*𝒜)Z*‖ ≤ {GAP_FRACTION:g}·2τ with 𝔼𝒜*𝒜(Z) = 2Z + tr(Z)I "
        "(concentration keeps the eigengaps of 2Z* + tr(Z*)I)", bool(err <= bound), "exact",
        f"‖(𝒜*𝒜 − 𝔼𝒜*𝒜)Z*‖ = {err:.4g}, {GAP_FRACTION:g}·2τ = {bound:.4g} (‖(𝒜*𝒜 − I)Z*‖ = "
        f"{normal_error(setting):.4g}: the bias 𝔼𝒜*𝒜 − I)")


def incoherence(setting: Setting) -> float:
    """``mu(Z*) = (d / r*) max_i ||e_i^T V||^2`` for the r* eigenvectors V of Z*."""
    gt = setting.problem().truth
    V = gt.eigenvectors[:, :setting.r_star]
    return float(setting.d / setting.r_star * np.max(np.sum(V * V, axis=1)))


def completion_samples(setting: Setting) -> AssumptionCheck:
    """|Omega| against mu(Z*) r* d log d (entry sampling needs incoherence and enough samples)."""
    mu = incoherence(setting)
    d, r = setting.d, setting.r_star
    need = COMPLETION_SAMPLE_CONSTANT * mu * r * d * np.log(d)
    m = setting.problem().op.m
    D = d * (d + 1) // 2
    return AssumptionCheck(
        COMPLETION_SAMPLES, f"|Ω| ≥ min({COMPLETION_SAMPLE_CONSTANT:g}·μ(Z*) r* d log d, D), μ(Z*) = (d/r*) "
        "max_i ‖e_iᵀV‖² (Candès–Tao order; the sufficient constants are larger; every entry observed "
        "is full observation)", bool(m >= min(need, D)), "exact",
        f"μ(Z*) = {mu:.3g} (1 ≤ μ ≤ d/r* = {d / r:.3g}), |Ω| = {m} of D = {D}, "
        f"μ r* d log d = {need:.4g}")


def step_paper(setting: Setting) -> AssumptionCheck:
    gt = setting.problem().truth
    if setting.operator == "identity":
        return AssumptionCheck("Assumption 3.7", "μ ≤ 1e-4 δ ‖X‖⁻²", False, "exact",
                               "δ = 0 for full observation makes the bound μ ≤ 0: the assumption is "
                               "an artefact of the RIP analysis", role="paper")
    low = rip_lower_bound(setting)
    # with the true delta unknown, the bound is only decidable when even delta's lower bound
    # would allow the step; otherwise it is reported against that lower bound
    bound = STEP_CONSTANT * low / gt.eigenvalues[0]
    return AssumptionCheck("Assumption 3.7", "μ ≤ 1e-4 δ ‖X‖⁻²", bool(setting.step <= bound), "estimate",
                           f"μ = {setting.step:g}, 1e-4 δ ‖X‖⁻² ≥ {bound:.3g} (with δ's lower bound)",
                           role="paper")


def step_practical(setting: Setting) -> AssumptionCheck:
    pb = setting.problem()
    lam = float(pb.op.adjoint_norm(pb.y)) if setting.structured else float(np.linalg.norm(pb.op.adjoint(pb.y), 2))
    return AssumptionCheck(
        "small step, practical form", f"μ‖𝒜*(y)‖ ≤ {STEP_BUDGET:g}", bool(setting.step * lam <= STEP_BUDGET),
        "exact", f"μ‖𝒜*(y)‖ = {setting.step * lam:.4g}")


def init_regularity(setting: Setting) -> AssumptionCheck:
    gt = setting.problem().truth
    Ubar = setting.ubar()
    Ubar = Ubar / np.linalg.norm(Ubar, 2)
    rho = min(float(np.linalg.svd(gt.eigenvectors[:, :s].T @ Ubar, compute_uv=False)[-1])
              for s in range(1, setting.s_max + 1))
    return AssumptionCheck(
        "Assumption 3.5", "σ_min(V_{X_s}ᵀŪ) ≥ ρ > 0 for s ≤ r̂∧r* (‖Ū‖ = 1)", bool(rho > 1e-8), "exact",
        f"ρ = {rho:.4g}")


def small_init(setting: Setting) -> AssumptionCheck:
    gt = setting.problem().truth
    scale = setting.alpha * float(np.linalg.norm(setting.ubar(), 2))
    bound = ALPHA_FRACTION * float(gt.sigmas[setting.s_max - 1])
    return AssumptionCheck(
        "small initialisation", f"α‖Ū‖ ≤ {ALPHA_FRACTION:g}·σ_(r̂∧r*)", bool(scale <= bound), "exact",
        f"α‖Ū‖ = {scale:.3g}, bound {bound:.3g}")


#: Names of the required checks :func:`standard` emits (for ``Claim.required``).
STANDARD_NAMES = ("eigengap (§3)", "RIP, practical form", "small step, practical form", "Assumption 3.5",
                  "small initialisation", RANK_ONE_RIP, COMPLETION_SAMPLES)


def structured(setting: Setting) -> tuple:
    """The extra required checks of a structured operator: the centred RIP form for rank-one
    measurements, incoherence and samples for completion (none for the dense ensembles)."""
    if setting.operator == "rank_one":
        return (rip_rank_one(setting),)
    if setting.operator == "completion":
        return (completion_samples(setting),)
    return ()


def standard(setting: Setting, *, small_alpha: bool = True) -> tuple:
    """The assumptions of Theorem 4.1 (3.3, 3.5, 3.7), paper and practical forms."""
    checks = [distinct_eigenvalues(setting), rip_practical(setting), step_practical(setting),
              init_regularity(setting)]
    if small_alpha:
        checks.append(small_init(setting))
    return tuple(checks) + structured(setting) + (rip_paper(setting), step_paper(setting))
