"""Assumptions of the asymmetric claims (Wind 2023) as checkable predicates, shared by its modules.

Wind's constants (RIP order and δ, step, α) are not seen (paper notes §4.4, §6: only the
abstracts); each predicate below is a *practical form* (``role="required"``) of the mechanism
the proof needs, checked exactly on the instance, in the spirit of
:mod:`theorems.assumptions` for the symmetric case.

Conventions. Our loss is f(F, G) = ¼‖𝒜(FGᵀ) − y‖² (:mod:`sensing.asymmetric`), Wind writes
½‖·‖²: his step η is our μ/2 (μ = 2η). Near (F, G) = 0 gradient descent is the power iteration of
the lift, W ← (I + μ𝒜̃*(y))W with 𝒜̃*(y) = ½[[0, M], [Mᵀ, 0]], M = 𝒜*(y); its eigenvalues are
±σ̂_k/2 (σ̂_k the singular values of M, eigenvectors [u_k; ±v_k]/√2), so a singular component of
W grows like (1 + μσ̂_k/2)^t and one of FGᵀ like (1 + μσ̂_k/2)^{2t}.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from .._core import AssumptionCheck, Setting

#: The practical RIP: the measurement error of the normal map on Z* stays below half the
#: smallest singular value (so σ_{r*}(𝒜*(y)) ≥ σ_{r*}/2 > 0 by Weyl: the r*-th direction still
#: grows), and 𝒜*𝒜 restricted to the tangent space T of the rank-r* manifold at Z* is within
#: ½ of the identity (T-restricted isometry: Z* is an isolated, well-conditioned minimiser).
RIP_FRACTION = 0.5
TANGENT_DELTA = 0.5
#: Small initialisation: the factor scale α‖F̄‖, α·c‖Ḡ‖ at most 1e-2·√σ_{r*} (FGᵀ starts at
#: ≤ 1e-4 σ_{r*}); the same margin as :data:`theorems.assumptions.ALPHA_FRACTION`.
ALPHA_FRACTION = 1e-2

RIP_NAME = "RIP, practical form (asymmetric)"
INIT_NAME = "small initialisation (asymmetric)"
EXACT_NAME = "exact parameterisation r̂ = r*"


@lru_cache(maxsize=64)
def normal_error_rect(setting: Setting) -> float:
    """``‖(𝒜*𝒜 − I)Z*‖₂`` computed exactly (one operator application)."""
    pb = setting.problem()
    Z = pb.truth.Z
    return float(np.linalg.norm(pb.op.normal_rect(Z) - Z, 2))


def tangent_basis(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """An orthonormal basis (D, dim T) of the tangent space T = {UAᵀ + BVᵀ} at a rank-r matrix
    with column spaces ``left`` = U (d1, r), ``right`` = V (d2, r), as vectors vec(X) (row-major)."""
    d1, d2 = left.shape[0], right.shape[0]
    P1, P2 = left @ left.T, right @ right.T
    # P_T(X) = P1 X + X P2 − P1 X P2 on vec(X) (row-major: vec(AXB) = (A ⊗ Bᵀ) vec X)
    PT = np.kron(P1, np.eye(d2)) + np.kron(np.eye(d1), P2) - np.kron(P1, P2)
    w, Q = np.linalg.eigh(0.5 * (PT + PT.T))
    return Q[:, w > 0.5]


@lru_cache(maxsize=64)
def tangent_spectrum(setting: Setting) -> tuple[float, float]:
    """Extreme eigenvalues ``(ℓ, L)`` of 𝒜*𝒜 restricted to T at Z* (exact: a dense eigen-
    decomposition of Qᵀ(SᵀS/m)Q, dim T = r*(d1 + d2 − r*)); (1, 1) for full observation."""
    pb = setting.problem()
    Q = tangent_basis(pb.truth.left, pb.truth.right)
    SQ = pb.op.S @ Q / np.sqrt(pb.op.m)
    w = np.linalg.eigvalsh(SQ.T @ SQ)
    return float(w[0]), float(w[-1])


def rip(setting: Setting) -> AssumptionCheck:
    gt = setting.problem().truth
    err = normal_error_rect(setting)
    lo, hi = tangent_spectrum(setting)
    delta_t = max(1.0 - lo, hi - 1.0)
    bound = RIP_FRACTION * float(gt.singular_values[-1])
    return AssumptionCheck(
        RIP_NAME, f"‖(𝒜*𝒜 − I)Z*‖ ≤ {RIP_FRACTION:g}·σ_{{r*}} and ‖P_T(𝒜*𝒜 − I)P_T‖ ≤ {TANGENT_DELTA:g}",
        bool(err <= bound and delta_t <= TANGENT_DELTA), "exact",
        f"‖(𝒜*𝒜 − I)Z*‖ = {err:.4g} (bound {bound:.4g}); 𝒜*𝒜 on T ∈ [{lo:.4g}, {hi:.4g}], "
        f"δ_T = {delta_t:.4g}")


def factor_scale(setting: Setting, alpha: float | None = None) -> float:
    """max(‖F₀‖, ‖G₀‖) of the setting's initialisation at ``alpha`` (default the setting's)."""
    W0 = setting.initial(alpha)
    d1 = setting.d
    return float(max(np.linalg.norm(W0[:d1], 2), np.linalg.norm(W0[d1:], 2)))


def small_init(setting: Setting) -> AssumptionCheck:
    gt = setting.problem().truth
    scale = factor_scale(setting)
    bound = ALPHA_FRACTION * float(np.sqrt(gt.singular_values[-1]))
    return AssumptionCheck(
        INIT_NAME, f"max(‖F₀‖, ‖G₀‖) ≤ {ALPHA_FRACTION:g}·√σ_{{r*}}", bool(scale <= bound), "exact",
        f"max(‖F₀‖, ‖G₀‖) = {scale:.3g} at the largest α, bound {bound:.3g}")


def exact_parameterisation(setting: Setting) -> AssumptionCheck:
    return AssumptionCheck(
        EXACT_NAME, "r̂ = r* (over-parameterised runs converge at rate exp(−Ω(α²t)), Xiong et al.)",
        bool(setting.rank == setting.r_star), "exact", f"r̂ = {setting.rank}, r* = {setting.r_star}")


def lifted_top_eigenvalue(setting: Setting) -> float:
    """‖𝒜̃*(y)‖: for an asymmetric setting ‖𝒜*(y)‖/2 (eigenvalues ±σ̂_k/2 of the lift), for a
    symmetric one ‖𝒜*(y)‖ = λ̂₁: the fastest growth rate of W (or U) per unit of flow time."""
    pb = setting.problem()
    return float(np.linalg.norm(pb.op.adjoint(pb.y), 2))
