"""Why a dynamics fails: its effective step size, fitted from the spectral phase.

The theorems are about plain gradient descent ``U ← U − μ∇f(U)`` on the paper's loss
``f(U) = (1/4m) Σ (⟨A_i, UUᵀ⟩ − y_i)²``. Near U = 0 the gradient is ``−M U`` with
``M = 𝒜*(y)`` (the cubic term ``𝒜*𝒜(UUᵀ)U`` is O(‖U‖³)), so plain GD at any step μ' grows
each eigen-direction of M at its own constant rate::

    C_{t+1} = (I + μ'W) C_t,      C_t = Vᵀ U_t,   M = V W Vᵀ.

:func:`diagnose` runs the dynamics for a few steps from a start so small that the cubic term is
below round-off, and fits the single μ' that best explains ``C_{t+1} − C_t = μ'WC_t`` over all
steps and directions (least squares). Two findings follow:

- the fit is exact (relative residual within :func:`linear_tolerance`): the dynamics *is* plain
  GD on the paper's loss, at ``μ_eff = μ'``. When ``μ_eff ≠ μ`` the run used another step than
  the one requested: a factor 2 is the ``1/2m`` vs ``1/4m`` loss normalisation (or ``η = μ/2``
  forgotten), a factor m or 2m sums vs means (:mod:`sensing.conventions` maps them);
- the fit is not exact: no single step explains the growth, so the dynamics is not plain GD on
  this loss at any step (momentum, preconditioning, a wrong gradient such as a missing
  symmetrisation of the A_i). A FAILS verdict of such a dynamics is not a counterexample to the
  paper, whose theorems are about plain GD; the report says so.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

import sensing

#: Size of the start: ‖U_0‖₂ = START_SCALE·√λ̂₁ (λ̂₁ the top eigenvalue of M = 𝒜*(y)), so that
#: the fit's window (up to LINEAR_CAP·√λ̂₁, a growth of 1e10) still holds a few steps of a
#: dynamics whose step is m times too large (a sum where the paper takes a mean: growth
#: 1 + mμλ̂₁ ≈ 10³ per step). Entries ~1e-13 are far from float32's and float64's underflow.
START_SCALE = 1e-12
#: Run until the top direction has grown by this factor (at most :data:`MAX_STEPS` steps).
MAX_GROWTH = 100.0
MAX_STEPS = 200
MIN_STEPS = 8
#: Upper end of the linear window read by the fit: ‖U_t‖₂ ≤ LINEAR_CAP·√λ̂₁, where the cubic
#: term's share (:func:`linear_tolerance`) is at most ~10·LINEAR_CAP²·‖𝒜*𝒜‖ = 1e-3·‖𝒜*𝒜‖.
LINEAR_CAP = 1e-2
#: Round-off allowance: an iterate in precision eps carries relative error ~eps per entry; the
#: increment C_{t+1} − C_t is a fraction μλ of C_t, so its relative error is ~eps/(μλ). C = 100
#: covers the accumulation over the steps of the fit (√200 ≈ 14) with a margin of ~7.
ROUNDOFF_C = 100.0
#: |μ_eff/μ − 1| below this (plus the fit's tolerance) reads as "the requested step".
STEP_RTOL = 1e-6


@dataclass(frozen=True)
class Diagnosis:
    """What :func:`diagnose` found. ``plain``: the early growth is plain GD at one step
    ``mu_eff`` (relative residual ``residual`` ≤ ``tolerance``); ``text`` is the report line."""

    dynamics: str
    step: float
    mu_eff: float
    residual: float
    tolerance: float
    plain: bool
    steps: int
    text: str

    @property
    def ratio(self) -> float:
        return self.mu_eff / self.step


def _hint(ratio: float, m: int | None) -> str:
    known = [(2.0, "a loss with 1/2m where the paper has 1/4m, run with the paper's μ (use η = μ/2)"),
             (0.5, "the step η = μ/2 of a 1/2m loss applied to the paper's 1/4m loss"),
             (4.0, "a 1/m mean (MSE) loss run with the paper's μ (use η = μ/4)")]
    if m:
        known += [(float(m), "a sum over i where the paper takes the mean (1/4 Σ instead of 1/4m Σ)"),
                  (2.0 * m, "a 1/2 Σ loss (sum, factor 1/2) run with the paper's μ"),
                  (4.0 * m, "a plain Σ loss run with the paper's μ")]
    for value, text in known:
        if abs(ratio / value - 1.0) < 1e-3:
            return f" (μ_eff/μ = {value:g}: {text})"
    return ""


def linear_tolerance(op_norm: float, U_norms: np.ndarray, lam: float, step: float, eps: float) -> float:
    """Allowed relative residual of the single-step fit for plain GD: the cubic term's share
    ``10·‖𝒜*𝒜‖·max_t‖U_t‖₂²/λ̂`` (a factor 10 over the bound ‖𝒜*𝒜(UUᵀ)U‖ ≤ ‖𝒜*𝒜‖‖U‖₂²‖U‖
    against ‖MU‖ ≥ λ̂‖U‖ in the growing directions) plus round-off ROUNDOFF_C·eps/(μλ̂)."""
    return 10.0 * op_norm * float(np.max(U_norms)) ** 2 / lam + ROUNDOFF_C * eps / (step * lam)


def diagnose(claim, setting, dynamics=None) -> Diagnosis:
    """Fit the effective step of ``dynamics`` on ``claim``'s instance (module docstring).

    The dynamics is called once, from the claim's first request's U₀ (same shape, so a jitted
    implementation is not recompiled) rescaled to ‖U_0‖₂ = START_SCALE·√λ̂₁, for enough steps
    that the top direction grows by MAX_GROWTH. Recorded runs (:class:`theorems._core.RecordedRuns`)
    cannot be called again: their first request's own early iterates are fitted instead.
    """
    from ._core import RecordedRuns

    dyn = sensing.dynamics.as_dynamics(dynamics)
    pb = setting.problem()
    mu = float(setting.step)
    w, V = np.linalg.eigh(pb.op.adjoint(pb.y))
    lam1 = float(w[-1])
    rows = setting.d + (setting.d2 or 0)  # the lift [F; G] of an asymmetric instance
    # a claim may mix runs on several instances (e.g. symmetric and asymmetric): use one on this
    reqs = [r for r in claim.requests(setting) if r.U0.shape[-2] == rows]
    U0 = np.asarray(reqs[0].U0 if reqs else setting.initial(batch=1), dtype=np.float64)
    if lam1 <= 0:
        return Diagnosis(dyn.name, mu, float("nan"), float("nan"), float("nan"), False, 0,
                         "no diagnosis: 𝒜*(y) has no positive eigenvalue, so GD from small U does not grow")
    n = int(np.clip(np.ceil(np.log(MAX_GROWTH) / np.log1p(mu * lam1)), MIN_STEPS, MAX_STEPS))
    if isinstance(dyn, RecordedRuns) and reqs and reqs[0].name in dyn.runs:
        Us = list(np.asarray(dyn.runs[reqs[0].name])[: n + 1])
        origin = f"the first {len(Us) - 1} recorded steps of request {reqs[0].name!r}"
    else:
        norms = np.linalg.norm(U0, 2, axis=(-2, -1))
        start = U0 * (START_SCALE * np.sqrt(lam1) / np.where(norms > 0, norms, 1.0))[:, None, None]
        origin = f"{n} steps from ‖U_0‖ = {START_SCALE:g}·√λ̂₁"
        cap = LINEAR_CAP * np.sqrt(lam1)
        try:
            Us = []
            # read lazily and stop at the window's edge: a fast dynamics is not run into overflow
            # (its warnings on this run are the diagnosis's business, not the user's)
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                for u in dyn.iterates(pb, start, step=mu, steps=n, request="diagnosis"):
                    Us.append(np.asarray(u))
                    if Us[-1].shape != start.shape:
                        break
                    if not (np.all(np.isfinite(Us[-1])) and np.max(np.abs(Us[-1])) <= cap):
                        break
        except Exception as exc:  # the diagnosis must not hide the verdict it explains
            return Diagnosis(dyn.name, mu, float("nan"), float("nan"), float("nan"), False, 0,
                             f"no diagnosis: the dynamics raised {type(exc).__name__}: {exc} on the "
                             f"diagnosis run ({origin})")
        if len(Us) > n + 1 or any(u.shape != start.shape for u in Us):
            return Diagnosis(dyn.name, mu, float("nan"), float("nan"), float("nan"), False, 0,
                             f"no diagnosis: the dynamics broke the contract on the diagnosis run "
                             f"({len(Us)} iterates for {n} steps, or a wrong shape)")
    return fit_step(pb, Us, mu, name=dyn.name, origin=origin, eigh=(w, V))


def fit_step(problem, Us, mu: float, *, name: str = "", origin: str = "", eigh=None) -> Diagnosis:
    """Fit ``C_{t+1} − C_t = μ'WC_t`` to iterates ``Us`` (U_0, U_1, …, each (K, d, r)) read in
    the linear window (module docstring) and classify the dynamics."""
    w, V = np.linalg.eigh(problem.op.adjoint(problem.y)) if eigh is None else eigh
    lam1 = float(w[-1])
    eps = max(float(np.finfo(u.dtype).eps) if np.issubdtype(u.dtype, np.floating) else 2.2e-16 for u in Us)
    U = np.stack(Us).astype(np.float64)
    n = U.shape[0] - 1
    finite = np.all(np.isfinite(U.reshape(U.shape[0], -1)), axis=1)
    norms_t = np.full(U.shape[:2], np.inf)
    norms_t[finite] = np.linalg.norm(U[finite], 2, axis=(-2, -1))
    # the fit reads only the linear window ‖U_t‖ ≤ LINEAR_CAP·√λ̂₁ (a faster dynamics, e.g. with
    # momentum, leaves it early; its later steps would inflate the tolerance); a recorded run that
    # starts above it is read up to MAX_GROWTH times its start
    cap = LINEAR_CAP * np.sqrt(lam1)
    if float(np.max(norms_t[0])) > cap / MAX_GROWTH:
        cap = MAX_GROWTH * float(np.max(norms_t[0]))
    cap *= 1 + 1e-9
    inside = np.all(norms_t <= cap, axis=1)
    last = int(np.argmin(inside)) if not inside.all() else n + 1
    if last < 3:
        return Diagnosis(name, mu, float("nan"), float("inf"), float("nan"), False, n,
                         f"not consistent with plain GD at any step: the iterates left the linear window "
                         f"(‖U_t‖ ≤ {cap:.3g}) within {max(last - 1, 0)} steps ({origin}), where plain GD at "
                         f"μ grows them by at most 1 + μλ̂₁ = {1 + mu * lam1:.4g} per step")
    U, norms_t = U[:last], norms_t[:last]
    n = last - 1
    C = np.einsum("ji,tkjr->tkir", V, U)  # Vᵀ U_t
    dC = C[1:] - C[:-1]
    WC = w[None, None, :, None] * C[:-1]
    mu_eff = float(np.vdot(dC, WC) / np.vdot(WC, WC))
    resid = float(np.linalg.norm(dC - mu_eff * WC) / max(np.linalg.norm(dC), 1e-300))
    tol = linear_tolerance(sensing.operator_norm(problem.op), norms_t, lam1, mu, eps)
    ratio = mu_eff / mu
    if resid <= tol:
        if abs(ratio - 1.0) <= STEP_RTOL + tol:
            text = (f"consistent with plain GD at the requested step (μ_eff/μ = {ratio:.6f}; fit residual "
                    f"{resid:.2g} ≤ {tol:.2g} over {origin}): the dynamics is the paper's, so the failure "
                    "is about the claim or the instance, not the implementation")
        else:
            text = (f"consistent with plain GD at μ_eff ≈ {ratio:.4g}μ (μ_eff = {mu_eff:.4g} for the "
                    f"requested μ = {mu:g}; fit residual {resid:.2g} ≤ {tol:.2g} over {origin})"
                    f"{_hint(ratio, problem.op.m)}: check the loss normalisation (1/2m vs 1/4m, sums vs "
                    "means) and the step convention (sensing.conventions maps them)")
        return Diagnosis(name, mu, mu_eff, resid, tol, True, n, text)
    text = (f"not consistent with plain GD at any step: the early growth U_t+1 ≈ (I + μ'𝒜*(y))U_t fits no "
            f"single μ' (best μ' = {ratio:.4g}μ leaves a relative residual {resid:.2g} > {tol:.2g} over "
            f"{origin}) — momentum, preconditioning or a wrong gradient (e.g. unsymmetrised A_i)? "
            "The theorems are about plain GD U ← U − μ∇f(U): this FAILS is not a counterexample to the paper")
    return Diagnosis(name, mu, mu_eff, resid, tol, False, n, text)
