"""Asymmetric (rectangular) matrix sensing: Z* ∈ ℝ^{d₁×d₂}, factors (F, G), the same loop.

Problem (Wind 2023; Xiong, Ding, Du 2024): measurements ``y_i = m^{-1/2}⟨A_i, Z*⟩`` with
``A_i ∈ ℝ^{d₁×d₂}``, loss ``f(F, G) = ¼‖𝒜(FGᵀ) − y‖² = (1/4m) Σ_i (⟨A_i, FGᵀ⟩ − √m y_i)²``
(the symmetric loss of :mod:`sensing.objective` with UUᵀ → FGᵀ; Wind and Xiong et al. write
½‖·‖², i.e. their step is half ours: :mod:`sensing.conventions`), gradients
``∇_F f = ½ 𝒜*(r) G``, ``∇_G f = ½ 𝒜*(r)ᵀ F`` with ``r = 𝒜(FGᵀ) − y`` and
``𝒜*(r) = m^{-1/2} Σ r_i A_i``.

One loop, by lifting. With ``W = [F; G] ∈ ℝ^{(d₁+d₂)×r}`` and the symmetric sensing matrices
``Ã_i = ½[[0, A_i], [A_iᵀ, 0]]`` on S^{d₁+d₂}, ``⟨Ã_i, WWᵀ⟩ = ⟨A_i, FGᵀ⟩``, so f(F, G) is the
symmetric loss of W and ``∇_W f = 𝒜̃*(r) W = ½[𝒜*(r)G; 𝒜*(r)ᵀF]``: gradient descent on (F, G)
*is* :func:`sensing.gradient_descent` on W for the lifted operator (:class:`LiftedOperator`).
The lifted operator only sees the off-diagonal block Z[:d₁, d₁:] = FGᵀ of Z = WWᵀ, so its
coordinates are vec(FGᵀ) (D = d₁d₂, the "Gram trick on vec(W)"): one (K × D)·(D × D) GEMM per
batched step in Gram mode, as in the symmetric case.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
from scipy.sparse.linalg import LinearOperator

from ._validation import as_float_array, nonneg_int, positive_scalar
from .descent import _descend, record_grid
from .minimizers import UniquenessReport
from .operators import MAX_DATA_SCALE, SensingOperator

OPERATORS = ("gaussian", "identity", "matrices")


# ------------------------------------------------------------------ ground truth
@dataclass(frozen=True)
class RectTruth:
    """Z* = Σ σ_k u_k v_kᵀ ∈ ℝ^{d₁×d₂} with its SVD (singular values decreasing).

    Attributes
    ----------
    Z : (d1, d2) ndarray
    singular_values : (r*,) ndarray
        σ_1 ≥ … ≥ σ_{r*} > 0.
    left, right : (d1, r*), (d2, r*) ndarray
        Singular vectors u_k, v_k (columns).
    """

    Z: np.ndarray
    singular_values: np.ndarray
    left: np.ndarray
    right: np.ndarray

    @property
    def shape(self) -> tuple:
        return self.Z.shape

    @property
    def rank(self) -> int:
        return int(self.singular_values.size)

    @property
    def gaps(self) -> np.ndarray:
        """σ_k − σ_{k+1} for k = 1..r* (σ_{r*+1} = 0)."""
        s = self.singular_values
        return s - np.append(s[1:], 0.0)

    def truncated(self, s: int) -> np.ndarray:
        """The best rank-s approximation Σ_{k≤s} σ_k u_k v_kᵀ (Eckart–Young)."""
        s = nonneg_int(s, "s", minimum=0, maximum=self.rank)
        return (self.left[:, :s] * self.singular_values[:s]) @ self.right[:, :s].T


def truth_from_singular_values(singular_values, d1: int, d2: int, rng=None) -> RectTruth:
    """Z* with prescribed singular values and Haar-random singular vectors (QR of Gaussians)."""
    d1 = nonneg_int(d1, "d1", minimum=1)
    d2 = nonneg_int(d2, "d2", minimum=1)
    s = as_float_array(singular_values, "singular_values", ndim=1)
    if s.size == 0 or s.size > min(d1, d2):
        raise ValueError(f"singular_values must have between 1 and min(d1, d2) = {min(d1, d2)} entries, "
                         f"got {s.size}")
    if np.any(s <= 0) or np.any(np.diff(s) > 0):
        raise ValueError(f"singular_values must be positive and non-increasing, got {s.tolist()}")
    rng = np.random.default_rng(rng)

    def haar(n, k):
        Q, R = np.linalg.qr(rng.standard_normal((n, k)))
        return Q * np.sign(np.diag(R))

    L, Rt = haar(d1, s.size), haar(d2, s.size)
    return RectTruth((L * s) @ Rt.T, s.copy(), L, Rt)


def truth_from_matrix(Z, *, rtol: float = 1e-10) -> RectTruth:
    """Z* given as a matrix; its rank is the number of singular values above ``rtol·σ_1``."""
    Z = as_float_array(Z, "Z", ndim=2)
    L, s, Vt = np.linalg.svd(Z, full_matrices=False)
    if s.size == 0 or s[0] == 0:
        raise ValueError("Z must be nonzero")
    k = int(np.sum(s > rtol * s[0]))
    return RectTruth(Z.copy(), s[:k], L[:, :k], Vt[:k].T)


# ------------------------------------------------------------------ operators
class LiftedOperator(SensingOperator):
    """A rectangular operator 𝒜 : ℝ^{d₁×d₂} → ℝ^m as a symmetric one on S^{d₁+d₂}.

    ``[𝒜(Z)]_i = m^{-1/2}⟨A_i, Z⟩``; stored as ``S`` of shape (m, d₁d₂) with row i = vec(A_i)
    (row-major), so ``𝒜(Z) = S vec(Z)/√m``. As a symmetric operator (what the loop runs) its
    matrices are Ã_i = ½[[0, A_i], [A_iᵀ, 0]] and its coordinates are the entries of the
    off-diagonal block (:meth:`coordinates`); ``D = d₁d₂``.
    """

    def __init__(self, S: np.ndarray, d1: int, d2: int, kind: str, **kwargs):
        super().__init__(S, d1 + d2, kind, **kwargs)
        self.d1, self.d2 = d1, d2
        self.D = d1 * d2
        self.m = S.shape[0]
        self._sqrt_m = float(np.sqrt(self.m))

    def __repr__(self) -> str:
        return f"LiftedOperator(kind={self.kind!r}, m={self.m}, d1={self.d1}, d2={self.d2})"

    @property
    def is_identity(self) -> bool:
        return False  # full observation is the dense S = √m·I (its Gram matrix is I)

    def coordinates(self) -> tuple:
        d, d1, d2 = self.d, self.d1, self.d2
        a, b = np.divmod(np.arange(d1 * d2), d2)
        flat = a * d + d1 + b
        full = np.full((d, d), d1 * d2, dtype=np.intp)  # the trailing zero
        full[:d1, d1:] = np.arange(d1 * d2).reshape(d1, d2)
        full[d1:, :d1] = full[:d1, d1:].T
        one = np.ones(d1 * d2)
        return flat, one, full, 0.5 * one, True

    # the rectangular maps
    def forward_rect(self, Z) -> np.ndarray:
        """``𝒜(Z)`` for Z of shape (..., d1, d2)."""
        Z = np.asarray(Z, dtype=np.float64)
        return Z.reshape(*Z.shape[:-2], self.D) @ self.S.T / self._sqrt_m

    def adjoint_rect(self, w) -> np.ndarray:
        """``𝒜*(w) = m^{-1/2} Σ w_i A_i`` of shape (..., d1, d2)."""
        w = np.asarray(w, dtype=np.float64)
        return (w @ self.S / self._sqrt_m).reshape(*w.shape[:-1], self.d1, self.d2)

    def normal_rect(self, Z) -> np.ndarray:
        return self.adjoint_rect(self.forward_rect(Z))

    def rect_matrices(self) -> np.ndarray:
        """The sensing matrices A_i, (m, d1, d2), C-contiguous."""
        return np.ascontiguousarray(self.S.reshape(self.m, self.d1, self.d2))

    # the symmetric interface, on the lifted space (full svec of S^{d1+d2})
    def _block(self, z: np.ndarray) -> np.ndarray:
        from .linalg import smat

        Zs = smat(z, self.d)
        return Zs[..., : self.d1, self.d1:]

    def forward_svec(self, z: np.ndarray) -> np.ndarray:
        self.counts["forward"] += int(np.prod(z.shape[:-1], dtype=np.int64))
        return self.forward_rect(self._block(z))

    def adjoint_svec(self, w: np.ndarray) -> np.ndarray:
        from .linalg import svec

        self.counts["adjoint"] += int(np.prod(w.shape[:-1], dtype=np.int64))
        R = self.adjoint_rect(w)
        out = np.zeros(R.shape[:-2] + (self.d, self.d))
        out[..., : self.d1, self.d1:] = 0.5 * R
        out[..., self.d1:, : self.d1] = 0.5 * np.swapaxes(R, -1, -2)
        return svec(out)

    def matrices(self) -> np.ndarray:
        A = self.rect_matrices()
        out = np.zeros((self.m, self.d, self.d))
        out[:, : self.d1, self.d1:] = 0.5 * A
        out[:, self.d1:, : self.d1] = 0.5 * A.transpose(0, 2, 1)
        return out

    def as_linear_operator(self) -> LinearOperator:
        """𝒜 on vec(Z) ∈ ℝ^{d₁d₂} as a :class:`scipy.sparse.linalg.LinearOperator`."""
        return LinearOperator((self.m, self.D), matvec=lambda z: self.S @ z / self._sqrt_m,
                              rmatvec=lambda w: self.S.T @ w / self._sqrt_m, dtype=np.float64)

    def normal_operator(self) -> LinearOperator:
        return LinearOperator((self.D, self.D), matvec=lambda z: self.S.T @ (self.S @ z) / self.m,
                              rmatvec=lambda z: self.S.T @ (self.S @ z) / self.m, dtype=np.float64)


def _check_dims(m, d1, d2):
    return (nonneg_int(m, "m", minimum=1), nonneg_int(d1, "d1", minimum=1), nonneg_int(d2, "d2", minimum=1))


def gaussian_operator(m: int, d1: int, d2: int, rng=None, **kwargs) -> LiftedOperator:
    """A_i with i.i.d. N(0, 1) entries (𝔼 𝒜*𝒜 = I on ℝ^{d₁×d₂})."""
    m, d1, d2 = _check_dims(m, d1, d2)
    S = np.random.default_rng(rng).standard_normal((m, d1 * d2))
    return LiftedOperator(S, d1, d2, "gaussian", **kwargs)


def identity_operator(d1: int, d2: int, **kwargs) -> LiftedOperator:
    """Full observation: 𝒜*𝒜 = I, f = ¼‖FGᵀ − Z*‖²_F (m = d₁d₂, A_i = √m·E_i)."""
    _, d1, d2 = _check_dims(1, d1, d2)
    D = d1 * d2
    return LiftedOperator(np.eye(D) * np.sqrt(D), d1, d2, "identity", **kwargs)


def operator_from_matrices(A, **kwargs) -> LiftedOperator:
    """The operator of user sensing matrices A of shape (m, d1, d2)."""
    A = as_float_array(A, "A", ndim=3)
    m, d1, d2 = A.shape
    return LiftedOperator(np.ascontiguousarray(A.reshape(m, d1 * d2)), d1, d2, "matrices", **kwargs)


def measure(op: LiftedOperator, Z) -> np.ndarray:
    """y = 𝒜(Z) (the operator's scaling)."""
    Z = as_float_array(Z, "Z", ndim=2)
    if Z.shape != (op.d1, op.d2):
        raise ValueError(f"Z must have shape ({op.d1}, {op.d2}) for this operator, got {Z.shape}")
    return op.forward_rect(Z)


@dataclass(frozen=True)
class AsymmetricProblem:
    """An asymmetric sensing instance: ``truth`` (:class:`RectTruth`), ``op``, ``y = 𝒜(Z*)``."""

    truth: RectTruth
    op: LiftedOperator
    y: np.ndarray

    @property
    def shape(self) -> tuple:
        return self.truth.shape


def make_problem(d1: int, d2: int, *, singular_values, m: int | None = None, operator: str = "gaussian",
                 seed=None) -> AsymmetricProblem:
    """An instance from a seed: Haar singular vectors with prescribed ``singular_values``, and an
    operator ``"gaussian"`` (needs ``m``) or ``"identity"`` (full observation); the truth and the
    operator get independent child streams (``SeedSequence.spawn``)."""
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    s_truth, s_op = ss.spawn(2)
    truth = truth_from_singular_values(singular_values, d1, d2, np.random.default_rng(s_truth))
    if operator == "identity":
        op = identity_operator(d1, d2)
    elif operator == "gaussian":
        if m is None:
            raise ValueError("m is required for the 'gaussian' operator")
        op = gaussian_operator(m, d1, d2, np.random.default_rng(s_op))
    else:
        raise ValueError(f"operator must be 'gaussian' or 'identity', got {operator!r}")
    return AsymmetricProblem(truth, op, measure(op, truth.Z))


def initial_factors(d1: int, d2: int, r: int, alpha: float, rng=None, *, ratio: float = 1.0,
                    batch: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``F_0 = αF̄``, ``G_0 = α·ratio·Ḡ`` with F̄, Ḡ i.i.d. N(0, 1/r) entries (Xiong et al. use
    ratio = 1/3); shapes (d1, r), (d2, r), or with a leading batch axis."""
    d1, d2, r = (nonneg_int(v, n, minimum=1) for v, n in ((d1, "d1"), (d2, "d2"), (r, "r")))
    alpha = positive_scalar(alpha, "alpha")
    ratio = positive_scalar(ratio, "ratio")
    rng = np.random.default_rng(rng)
    lead = () if batch is None else (nonneg_int(batch, "batch", minimum=1),)
    F = rng.standard_normal(lead + (d1, r)) / np.sqrt(r)
    G = rng.standard_normal(lead + (d2, r)) / np.sqrt(r)
    return alpha * F, alpha * ratio * G


# ------------------------------------------------------------------ loss and GD
def _check_pair(op: LiftedOperator, F, G, batch: bool = True):
    if not isinstance(op, LiftedOperator):
        raise TypeError(f"op must be a sensing.asymmetric.LiftedOperator, got {type(op).__name__}")
    F = as_float_array(F, "F0" if batch else "F", ndim=(2, 3) if batch else 2)
    G = as_float_array(G, "G0" if batch else "G", ndim=(2, 3) if batch else 2)
    if F.ndim != G.ndim or F.shape[-1] != G.shape[-1] or F.shape[:-2] != G.shape[:-2]:
        raise ValueError(f"F and G must have the same rank r and batch shape, got {F.shape} and {G.shape}")
    if F.shape[-2] != op.d1 or G.shape[-2] != op.d2:
        raise ValueError(f"F must have {op.d1} rows and G {op.d2} rows for this operator, got "
                         f"{F.shape} and {G.shape}")
    return F, G


def _check_y(op, y):
    y = as_float_array(y, "y", ndim=1)
    if y.shape != (op.m,):
        raise ValueError(f"y must have shape ({op.m},), got {y.shape}")
    if np.max(np.abs(y), initial=0.0) > MAX_DATA_SCALE:
        raise ValueError(f"y has entries beyond {MAX_DATA_SCALE:g}; rescale")
    return y


def loss(op: LiftedOperator, y, F, G) -> float:
    """``f(F, G) = ¼‖𝒜(FGᵀ) − y‖²``."""
    F, G = _check_pair(op, F, G, batch=False)
    r = op.forward_rect(F @ G.T) - _check_y(op, y)
    return 0.25 * float(r @ r)


def gradient(op: LiftedOperator, y, F, G) -> tuple[np.ndarray, np.ndarray]:
    """``(∇_F f, ∇_G f) = (½𝒜*(r)G, ½𝒜*(r)ᵀF)``, ``r = 𝒜(FGᵀ) − y``."""
    F, G = _check_pair(op, F, G, batch=False)
    R = op.adjoint_rect(op.forward_rect(F @ G.T) - _check_y(op, y))
    return 0.5 * R @ G, 0.5 * R.T @ F


def lift(F, G) -> np.ndarray:
    """``W = [F; G]`` (stacked along the row axis)."""
    return np.concatenate([np.asarray(F, dtype=np.float64), np.asarray(G, dtype=np.float64)], axis=-2)


def _names_refs(references, shape):
    if references is None:
        return (), np.zeros((0,) + shape)
    if isinstance(references, Mapping):
        names, mats = tuple(str(k) for k in references), list(references.values())
    else:
        mats = list(references)
        names = tuple(f"ref{j}" for j in range(len(mats)))
    out = np.zeros((len(mats),) + shape)
    for j, (n, R) in enumerate(zip(names, mats)):
        R = as_float_array(R, f"references[{n!r}]", ndim=2)
        if R.shape != shape:
            raise ValueError(f"references[{n!r}] must have shape {shape}, got {R.shape}")
        out[j] = R
    return names, out


@dataclass(frozen=True)
class AsymmetricTrajectory:
    """What :func:`gradient_descent` records (a batch of K runs adds a leading K axis).

    Attributes
    ----------
    F, G : final factors.
    loss : (T+1,) f at every step.
    record_steps : (n,) steps of the records.
    singular_values : (n, q) top q singular values of F_tG_tᵀ.
    distances : (n, p) ‖F_tG_tᵀ − R_j‖_F for the references.
    imbalance : (n,) ‖F_tᵀF_t − G_tᵀG_t‖_F.
    imbalance_drift : (n,) ‖(F_tᵀF_t − G_tᵀG_t) − (F_0ᵀF_0 − G_0ᵀG_0)‖_F (conserved by the flow).
    snapshots : dict t -> (F_t, G_t).
    """

    F: np.ndarray
    G: np.ndarray
    loss: np.ndarray
    record_steps: np.ndarray
    singular_values: np.ndarray
    distances: np.ndarray
    reference_names: tuple
    imbalance: np.ndarray
    imbalance_drift: np.ndarray
    snapshots: dict = field(repr=False)
    step_size: float = 0.0
    steps: int = 0
    mode: str = ""
    stagnation: str | None = None

    def distance(self, name: str) -> np.ndarray:
        try:
            j = self.reference_names.index(name)
        except ValueError:
            raise KeyError(f"no reference named {name!r}; have {self.reference_names}") from None
        return self.distances[..., j]


def gradient_descent(op: LiftedOperator, y, F0, G0, *, step: float, steps: int,
                     record_every: int | None = None, references=None, n_singular_values: int | None = None,
                     snapshots=(), mode: str = "auto", divergence_factor: float = 1e6,
                     record_steps=None, _source=None, _who=None) -> AsymmetricTrajectory:
    """Gradient descent ``(F, G) ← (F − μ∇_F f, G − μ∇_G f)`` from (F0, G0), batched over K.

    Runs :func:`sensing.gradient_descent`'s loop on the lift W = [F; G] (module docstring) with
    the same divergence and stagnation checks; records the singular values of FGᵀ, the
    distances to ``references`` (matrices d1 × d2) and the imbalance FᵀF − GᵀG.

    Parameters
    ----------
    op : LiftedOperator
    y : (m,) array_like
    F0, G0 : (d1, r), (d2, r) or (K, d1, r), (K, d2, r)
    step, steps, record_every, snapshots, mode, divergence_factor, record_steps
        As in :func:`sensing.gradient_descent`.
    references : mapping name -> (d1, d2) array, optional
    n_singular_values : int, optional
        Default min(d1, d2, r).
    """
    F0, G0 = _check_pair(op, F0, G0)
    y = _check_y(op, y)
    batched = F0.ndim == 3
    W0 = lift(F0, G0) if batched else lift(F0, G0)[None]
    K, _, r = W0.shape
    d1, d2 = op.d1, op.d2
    T = nonneg_int(steps, "steps")
    rec = record_grid(T, record_every, record_steps)
    q = min(d1, d2, r) if n_singular_values is None else nonneg_int(
        n_singular_values, "n_singular_values", minimum=0, maximum=min(d1, d2, r))
    names, R = _names_refs(references, (d1, d2))
    sv = np.zeros((K, rec.size, q))
    dist = np.zeros((K, rec.size, len(names)))
    imb = np.zeros((K, rec.size))
    drift = np.zeros((K, rec.size))
    B0 = (np.swapaxes(W0[:, :d1], -1, -2) @ W0[:, :d1] - np.swapaxes(W0[:, d1:], -1, -2) @ W0[:, d1:])

    def hook(i, t, U, Z):
        F, G = U[:, :d1].astype(np.float64), U[:, d1:].astype(np.float64)
        if q:  # σ(FGᵀ) = σ(R_F R_Gᵀ) from F = Q_F R_F, G = Q_G R_G: a small SVD, not a d1 × d2 one
            RF, RG = np.linalg.qr(F, mode="r"), np.linalg.qr(G, mode="r")
            sv[:, i] = np.linalg.svd(RF @ np.swapaxes(RG, -1, -2), compute_uv=False)[:, :q]
        if names:
            block = Z[:, :d1, d1:].astype(np.float64)  # F_t G_tᵀ: the off-diagonal block of WWᵀ
            diff = block[:, None] - R[None]
            dist[:, i] = np.sqrt(np.einsum("kjab,kjab->kj", diff, diff))
        Bt = np.swapaxes(F, -1, -2) @ F - np.swapaxes(G, -1, -2) @ G
        imb[:, i] = np.linalg.norm(Bt, axis=(-2, -1))
        drift[:, i] = np.linalg.norm(Bt - B0, axis=(-2, -1))

    tr = _descend(op, y, W0 if batched else W0[0], step, T, None, None, 0, snapshots, mode, np.float64,
                  divergence_factor, source=_source, who=_who, hook=hook, record_steps=rec)
    W = tr.U if batched else tr.U[None]
    snaps = {t: (w[..., :d1, :], w[..., d1:, :]) for t, w in tr.snapshots.items()}
    if not batched:
        sv, dist, imb, drift = sv[0], dist[0], imb[0], drift[0]
        W = W[0]
    return AsymmetricTrajectory(W[..., :d1, :], W[..., d1:, :], tr.loss, rec, sv, dist, names, imb, drift,
                                snaps, tr.step_size, T, tr.mode, tr.stagnation)


def reference_gradient_descent(A: np.ndarray, y: np.ndarray, F0, G0, step: float, steps: int):
    """A plain einsum implementation on the tensor A (m, d1, d2): the benchmark and test reference.
    Returns ``(F_T, G_T, losses)``."""
    A = np.asarray(A, dtype=np.float64)
    m = A.shape[0]
    F, G = np.array(F0, dtype=float), np.array(G0, dtype=float)
    losses = []
    for _ in range(steps + 1):
        r = np.einsum("iab,ab->i", A, F @ G.T) / np.sqrt(m) - y
        losses.append(0.25 * float(r @ r))
        if len(losses) == steps + 1:
            break
        R = np.einsum("i,iab->ab", r, A) / np.sqrt(m)
        F, G = F - step * 0.5 * R @ G, G - step * 0.5 * R.T @ F
    return F, G, np.array(losses)


def record(problem: AsymmetricProblem, iterates, W0, *, step: float, steps: int, who: str | None = None,
           **record_options) -> AsymmetricTrajectory:
    """The :class:`AsymmetricTrajectory` of given lifted iterates W_t = [F_t; G_t] (t = 0..steps),
    recorded by the loop of :func:`gradient_descent` (the dynamics seam, :mod:`sensing.dynamics`)."""
    from .dynamics import _first_iterate

    op = problem.op
    it, first = _first_iterate(iterates, W0, steps, who or "the dynamics")
    d1 = op.d1
    tr = gradient_descent(op, problem.y, first[..., :d1, :], first[..., d1:, :], step=step, steps=steps,
                          _source=it, _who=who, **record_options)
    from .dynamics import _check_exhausted

    _check_exhausted(it, who or "the dynamics", steps)
    return tr


# ------------------------------------------------------------------ rank-s minimisers
#: Cap on restarts of :func:`sensing_minimizer` / :func:`check_uniqueness` (each is a full solve).
MAX_RESTARTS = 1000


@dataclass(frozen=True)
class RectMinimizer:
    """A computed global minimiser of ``f_s(F, G) = ¼‖𝒜(FGᵀ) − y‖²`` over F (d1×s), G (d2×s).

    Attributes
    ----------
    s : int
    F, G : (d1, s), (d2, s) ndarray
        Balanced factors of Z*_s (``F = U√Σ``, ``G = V√Σ`` from the SVD of Z, so FᵀF = GᵀG);
        defined up to a common rotation.
    Z : (d1, d2) ndarray
        Z*_s = FGᵀ (rank s).
    loss : float
        f_s at (F, G).
    grad_norm : float
        ‖(∇_F f, ∇_G f)‖_F at the balanced (F, G).
    grad_tol : float
        The round-off level the gradient norm was driven below (:func:`rect_gradient_tolerance`).
    iterations : (int, int)
        Alternating-least-squares sweeps and Newton steps used.
    """

    s: int
    F: np.ndarray
    G: np.ndarray
    Z: np.ndarray
    loss: float
    grad_norm: float
    grad_tol: float
    iterations: tuple = (0, 0)

    @property
    def converged(self) -> bool:
        return self.grad_norm <= self.grad_tol


def balanced_factors(Z, s: int) -> tuple[np.ndarray, np.ndarray]:
    """``(U_s√Σ_s, V_s√Σ_s)`` from the top-s SVD of Z: the balanced factors (FᵀF = GᵀG = Σ_s)."""
    L, sig, Vt = np.linalg.svd(np.asarray(Z, dtype=np.float64), full_matrices=False)
    root = np.sqrt(sig[:s])
    return L[:, :s] * root, Vt[:s].T * root


class _RectRankS:
    """f_s, its gradient, the residual Jacobian and the dense Hessian on (F, G).

    The loss and gradient come from the loop's own :class:`sensing.descent.NormalMap` on the lift
    (the Gram form of the loss, no cancellation against ‖y‖²); the Hessian from the Jacobian J of
    the residual ``r = 𝒜(FGᵀ) − y``: ``∇²f = ½(JᵀJ + Σ r_i ∇²r_i)`` with
    ``Σ r_i ∇²r_i = [[0, R ⊗ I_s], [(R ⊗ I_s)ᵀ, 0]]``, ``R = 𝒜*(r)``.
    """

    def __init__(self, op: LiftedOperator, y, s):
        from .descent import NormalMap

        self.op, self.y, self.s = op, y, s
        self.d1, self.d2 = op.d1, op.d2
        self.A = op.rect_matrices() / np.sqrt(op.m)  # Ã_i = A_i/√m, (m, d1, d2)
        self.normal = NormalMap(op, y)

    def fg(self, F, G):
        W = lift(F, G)
        M, L = self.normal((W @ W.T)[None])
        g = M[0] @ W
        return float(L[0]), g[: self.d1], g[self.d1:], 2.0 * M[0][: self.d1, self.d1:]

    def jacobians(self, F, G):
        m = self.op.m
        JF = np.einsum("iab,bk->iak", self.A, G, optimize=True).reshape(m, -1)
        JG = np.einsum("iab,ak->ibk", self.A, F, optimize=True).reshape(m, -1)
        return JF, JG

    def hessian(self, F, G, R):
        JF, JG = self.jacobians(F, G)
        J = np.hstack([JF, JG])
        H = 0.5 * (J.T @ J)
        n1 = self.d1 * self.s
        C = 0.5 * np.kron(R, np.eye(self.s))
        H[:n1, n1:] += C
        H[n1:, :n1] += C.T
        return 0.5 * (H + H.T)


def rect_gradient_tolerance(op: LiftedOperator, y, F, G) -> float:
    """Round-off level of ‖∇f_s(F, G)‖_F: :func:`sensing.tolerances.gradient_roundoff` with
    dim = D = d1d2 (the sums of the normal map), ‖𝒜*𝒜‖, the larger of ‖FGᵀ‖_F and
    ‖𝒜*(y)‖_F/‖𝒜*𝒜‖ (the entries the residual cancels), and max(‖F‖₂, ‖G‖₂)."""
    from . import tolerances
    from .descent import operator_norm

    nrm = operator_norm(op)
    target = max(float(np.linalg.norm(F @ G.T)), float(np.linalg.norm(op.adjoint_rect(y))) / nrm)
    return tolerances.gradient_roundoff(dim=op.D, normal_norm=nrm, target_norm=target,
                                        factor_norm=max(float(np.linalg.norm(F, 2)), float(np.linalg.norm(G, 2))))


def _solve(op, y, s, F, G, f: _RectRankS, max_als: int, max_newton: int) -> RectMinimizer:
    """ALS sweeps (each half-step the exact least-squares solve in F or in G) until the relative
    change of Z is below √eps, then Newton steps on the balanced factors to the round-off gradient."""
    import scipy.linalg

    Z = F @ G.T
    n_als = 0
    for n_als in range(1, max_als + 1):
        JF, _ = f.jacobians(F, G)
        F = np.linalg.lstsq(JF, y, rcond=None)[0].reshape(op.d1, s)
        _, JG = f.jacobians(F, G)
        G = np.linalg.lstsq(JG, y, rcond=None)[0].reshape(op.d2, s)
        Znew = F @ G.T
        F, G = balanced_factors(Znew, s)
        change = float(np.linalg.norm(Znew - Z)) / max(float(np.linalg.norm(Znew)), 1e-300)
        Z = Znew
        if change <= np.sqrt(np.finfo(float).eps):
            break
    L, gF, gG, R = f.fg(F, G)
    gn = float(np.hypot(np.linalg.norm(gF), np.linalg.norm(gG)))
    n1 = op.d1 * s
    stall, n_newton = 0, 0
    for n_newton in range(1, max_newton + 1):
        if gn <= rect_gradient_tolerance(op, y, F, G):
            n_newton -= 1
            break
        H = f.hessian(F, G, R)
        g = np.concatenate([gF.ravel(), gG.ravel()])
        delta = scipy.linalg.lstsq(H, -g, cond=1e-12, lapack_driver="gelsy")[0]
        dF, dG = delta[:n1].reshape(op.d1, s), delta[n1:].reshape(op.d2, s)
        for t in (1.0, 0.5, 0.25, 0.125):
            F2, G2 = balanced_factors((F + t * dF) @ (G + t * dG).T, s)
            L2, gF2, gG2, R2 = f.fg(F2, G2)
            gn2 = float(np.hypot(np.linalg.norm(gF2), np.linalg.norm(gG2)))
            if gn2 < gn or L2 < L:
                break
        stall = stall + 1 if not gn2 < gn else 0
        if stall >= 3:
            break
        F, G, L, gF, gG, R, gn = F2, G2, L2, gF2, gG2, R2, gn2
    return RectMinimizer(s, F, G, F @ G.T, L, gn, rect_gradient_tolerance(op, y, F, G), (n_als, n_newton))


def _start_scale(op, y) -> float:
    return float(np.sqrt(np.linalg.norm(op.adjoint_rect(y), 2) / max(op.d1, op.d2)))


def sensing_minimizer(op: LiftedOperator, y, s: int, *, restarts: int = 0, rng=None, init=None,
                      max_als: int = 500, max_newton: int = 50) -> RectMinimizer:
    """Z*_s = argmin {¼‖𝒜(Z) − y‖² : rank Z ≤ s} for a rectangular operator, to round-off.

    Method: start from the balanced truncated SVD of 𝒜*(y) (or ``init = (F, G)``); alternating
    least squares on (F, G) (each half-step the exact linear least-squares solve in F or G, then
    rebalancing through the SVD of FGᵀ) until Z moves by less than √eps relatively; then Newton
    steps on the balanced factors (the dense (d1+d2)s Hessian, solved by least squares: it is
    singular along the s² directions (FX, −GXᵀ) of the GL(s) orbit (FM, GM⁻ᵀ)) until ‖∇f_s‖ is
    at the round-off level :func:`rect_gradient_tolerance`.

    Parameters
    ----------
    op, y
        Operator and measurements.
    s : int
        Target rank, 1 ≤ s ≤ min(d1, d2).
    restarts : int
        Extra solves from i.i.d. Gaussian starts (scale √(‖𝒜*(y)‖/max(d1, d2))); the converged run
        of lowest loss is returned. :func:`check_uniqueness` compares them instead.
    rng : seed or Generator, optional
        For the restarts.
    init : (F, G), optional
        Starting factors instead of the spectral start.
    """
    if not isinstance(op, LiftedOperator):
        raise TypeError(f"op must be a sensing.asymmetric.LiftedOperator, got {type(op).__name__}")
    y = _check_y(op, y)
    s = nonneg_int(s, "s", minimum=1, maximum=min(op.d1, op.d2))
    restarts = nonneg_int(restarts, "restarts", maximum=MAX_RESTARTS)
    max_als = nonneg_int(max_als, "max_als", maximum=100_000)
    max_newton = nonneg_int(max_newton, "max_newton", maximum=10_000)
    f = _RectRankS(op, y, s)
    if init is None:
        F, G = balanced_factors(op.adjoint_rect(y), s)
    else:
        if not isinstance(init, (tuple, list)) or len(init) != 2:
            raise TypeError("init must be a pair (F, G)")
        F, G = _check_pair(op, init[0], init[1], batch=False)
        if F.shape[1] != s:
            raise ValueError(f"init must have s = {s} columns, got shapes {F.shape} and {G.shape}")
    runs = [_solve(op, y, s, F, G, f, max_als, max_newton)]
    if restarts:
        rng = np.random.default_rng(rng)
        c = _start_scale(op, y)
        for _ in range(restarts):
            F = c * rng.standard_normal((op.d1, s))
            G = c * rng.standard_normal((op.d2, s))
            runs.append(_solve(op, y, s, F, G, f, max_als, max_newton))
    ok = [r for r in runs if r.converged]
    return min(ok or runs, key=lambda r: r.loss)


def normal_space_curvature(op: LiftedOperator, y, F, G) -> float:
    """λ+, the smallest eigenvalue of the Hessian of f_s at (F, G) on the complement of the
    tangent space {(FX, −GXᵀ) : X ∈ ℝ^{s×s}} of the GL(s) orbit (FM, GM⁻ᵀ), on which f_s is
    constant. λ+ > 0 makes Z*_s isolated (quadratic growth in Z)."""
    import scipy.linalg

    if not isinstance(op, LiftedOperator):
        raise TypeError(f"op must be a sensing.asymmetric.LiftedOperator, got {type(op).__name__}")
    y = _check_y(op, y)
    F, G = _check_pair(op, F, G, batch=False)
    s = F.shape[1]
    f = _RectRankS(op, y, s)
    _, _, _, R = f.fg(F, G)
    H = f.hessian(F, G, R)
    gens = []
    for k in range(s):
        for l in range(s):
            X = np.zeros((s, s))
            X[k, l] = 1.0
            gens.append(np.concatenate([(F @ X).ravel(), (-G @ X.T).ravel()]))
    N = scipy.linalg.null_space(np.array(gens))
    return float(scipy.linalg.eigvalsh(N.T @ H @ N, subset_by_index=[0, 0])[0])


@dataclass(frozen=True)
class RectUniquenessReport(UniquenessReport):
    """Restarts of :func:`sensing_minimizer` from independent random starts: a certificate that
    Z*_s is unique (as :class:`sensing.UniquenessReport` for the symmetric Z*_s).

    ``spread = max_i ‖Z_i − Z_best‖_F/‖Z_best‖_F`` over converged runs; ``tolerance`` is
    ``min(2(2 max(‖F‖₂, ‖G‖₂) + e)e/‖Z‖ + rtol_exact, SPREAD_CAP)`` with
    ``e = max(‖∇f_s‖, round-off)/λ+`` the first-order distance of a computed (F, G) from the
    orbit of the minimiser (inf when λ+ ≤ 0), and :data:`sensing.minimizers.SPREAD_CAP`.

    The fields, ``tied``, ``n_distinct``, ``unique`` and ``summary`` are the symmetric report's.
    """


def check_uniqueness(op: LiftedOperator, y, s: int, *, restarts: int = 4, rng=None) -> RectUniquenessReport:
    """Recompute Z*_s from the spectral start and ``restarts`` independent random starts and compare
    (:class:`RectUniquenessReport`)."""
    from . import tolerances
    from .minimizers import SPREAD_CAP

    if not isinstance(op, LiftedOperator):
        raise TypeError(f"op must be a sensing.asymmetric.LiftedOperator, got {type(op).__name__}")
    y = _check_y(op, y)
    s = nonneg_int(s, "s", minimum=1, maximum=min(op.d1, op.d2))
    restarts = nonneg_int(restarts, "restarts", minimum=1, maximum=MAX_RESTARTS)
    rng = np.random.default_rng(rng)
    c = _start_scale(op, y)
    runs = [sensing_minimizer(op, y, s)]
    runs += [sensing_minimizer(op, y, s, init=(c * rng.standard_normal((op.d1, s)),
                                               c * rng.standard_normal((op.d2, s))))
             for _ in range(restarts)]
    ok = [r for r in runs if r.converged]
    best = min(ok or runs, key=lambda r: r.loss)
    nb = float(np.linalg.norm(best.Z))
    dist = np.array([float(np.linalg.norm(r.Z - best.Z)) / nb for r in runs])
    conv = np.array([r.converged for r in runs])
    spread = float(np.max(dist[conv])) if ok else float(np.max(dist))
    lam = normal_space_curvature(op, y, best.F, best.G)
    e = max(best.grad_norm, best.grad_tol) / lam if lam > 0 else np.inf
    fnorm = max(float(np.linalg.norm(best.F, 2)), float(np.linalg.norm(best.G, 2)))
    quad = 2.0 * (2.0 * fnorm + e) * e / nb + tolerances.rtol_exact()
    tol = min(quad, SPREAD_CAP)
    loss_tol = tolerances.rtol_iterative() * 0.25 * float(y @ y)
    return RectUniquenessReport(s, best, np.array([r.loss for r in runs]), spread, len(ok), len(runs),
                                dist, conv, lam, tol, loss_tol, tuple(runs))
