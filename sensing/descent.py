"""Gradient descent ``U_{t+1} = U_t - mu grad f(U_t)`` (eq. 3) with a cheap trajectory record.

The hot loop (:class:`GradientStep`) does one operator application per step and nothing else
that scales with the operator: in ``"gram"`` mode one product with ``G = S^T S / m`` (a BLAS
``symv`` reading one triangle of G for a single trajectory, one GEMM for a batch of K), in
``"dense"`` mode one forward and one adjoint, and in ``"identity"`` mode (full observation) no
operator at all (O(d^2 r) per step). The loss of every step falls out of the same product. All
buffers are allocated once per run; the loop stops only at recorded steps, snapshots and every
:data:`CHECK_EVERY` steps to check for divergence, and writes eigenvalues, distances and
snapshots into preallocated arrays there. A large batch with several BLAS threads is split into
one block of trajectories per thread, each running its whole step (:mod:`sensing._batched`).
The README section "Benchmarks" has the measured costs.
"""
from __future__ import annotations

import heapq
import warnings
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import scipy.linalg
from scipy.linalg import get_blas_funcs
from scipy.sparse.linalg import eigsh

from . import _batched, tolerances
from ._validation import as_float_array, check_symmetric, nonneg_int, positive_scalar
from .linalg import smat, sym_index
from .objective import check_factor
from .factored import Factored, FactoredStep, reference_set
from .operators import MAX_DATA_SCALE, MODES, SensingOperator, check_measurements, check_operator

#: Ceiling on the per-step loss record (T + 1 floats per trajectory): past it, run in segments.
MAX_LOSS_BYTES = 2 * 1024**3

#: Default number of recorded points when ``record_every`` is not given.
DEFAULT_RECORDS = 200

#: The loop checks the losses for divergence at every recorded step and at least this often.
CHECK_EVERY = 64

#: Stagnation windows (issue 9): W = max(STAGNATION_MIN_WINDOW, T // STAGNATION_WINDOWS) steps, so
#: a run of T steps is cut into about ten windows and a run shorter than 2 W is never judged. The
#: plateaus of incremental learning last hundreds of steps at the paper's step sizes, which is why
#: the rule compares window *minima* and never asks for a decrease step by step.
STAGNATION_MIN_WINDOW = 100
STAGNATION_WINDOWS = 10

#: Round-off level of a recorded loss, relative to ``f_scale = max(f(U_0), ||y||^2 / 4)``: the
#: loss cancels terms of that size (``||A(Z)||^2 - 2 <A(Z), y> + ||y||^2``, or the Gram form
#: ``(z - z_0)^T G (z - z_0)``), each a sum of n = m or D products, whose rounding error grows like
#: sqrt(n) eps (Higham's probabilistic bound, as in :func:`sensing.tolerances.gradient_roundoff`,
#: with the same C = 10). :func:`stagnation_tolerance` evaluates it.
STAGNATION_ROUNDOFF_C = 10.0


class DynamicsWarning(RuntimeWarning):
    """Base class of warnings about the behaviour of a gradient-descent run (not about input)."""


class StagnationWarning(DynamicsWarning):
    """The loss of a run stopped decreasing over a long window without diverging (e.g. a step
    several times the safe step makes the iterates oscillate). The run's :class:`Trajectory`
    carries the same finding in ``stagnation``; claims built on it add the message to their
    verdict's notes."""


class DivergenceError(ValueError):
    """Gradient descent produced a non-finite or exploding loss.

    Attributes
    ----------
    step_index : int
        The first step t whose loss f(U_t) was non-finite or above the threshold.
    safe_step : float
        A step size that is safe for this instance (see :func:`safe_step_size`).
    """

    def __init__(self, message: str, step_index: int, safe_step: float):
        super().__init__(message)
        self.step_index = step_index
        self.safe_step = safe_step


class DynamicsError(ValueError):
    """A dynamics cannot be loaded, has the wrong signature, or broke its contract (wrong shape,
    wrong number of iterates, a start other than the U0 it was given); see :mod:`sensing.dynamics`."""


def operator_norm(op: SensingOperator) -> float:
    """``||A*A||``, the largest eigenvalue of the normal map on S^d (1 for full observation)."""
    if op.is_identity:
        return 1.0
    if op.factored:  # no S, no Gram matrix: the operator's own factored computation
        return op.normal_norm()
    if "_norm" not in op.__dict__:
        # a fixed start vector makes ARPACK (and everything derived from this norm) repeatable
        v0 = np.full(op.D, 1.0 / np.sqrt(op.D))
        if op.D <= 2 and op.gram_bytes() <= op.gram_memory_limit:  # ARPACK needs k < D
            val = scipy.linalg.eigvalsh(op.gram())[-1]
        elif 2 * op.m > op.D:
            A = op.gram() if op.gram_bytes() <= op.gram_memory_limit else op.normal_operator()
            val = eigsh(A, k=1, which="LA", v0=v0, return_eigenvectors=False)[0]
        else:  # the nonzero spectrum of S^T S / m equals that of S S^T / m (m x m)
            val = scipy.linalg.eigvalsh(op.S @ op.S.T / op.m, subset_by_index=[op.m - 1, op.m - 1])[0]
        op.__dict__["_norm"] = float(val)
    return op.__dict__["_norm"]


def safe_step_size(op: SensingOperator, y, U0) -> float:
    """A step size for which gradient descent on this instance does not blow up.

    Near any iterate the Hessian of f is ``A*A(U H^T + H U^T) U + A*A(U U^T - Z*) H`` (see
    :func:`sensing.objective.hessian_vector`), whose norm is at most
    ``||A*A|| (3 ||U||^2 + ||Z*||)``. Gradient descent from a small start keeps
    ``||U||^2 <= max(||U_0||^2, ||A*(y)||)`` up to O(delta), so
    ``mu <= 1 / (||A*A|| (||A*(y)|| + 3 max(||U_0||^2, ||A*(y)||)))`` keeps ``mu L < 1``.
    This is a sufficient heuristic, deliberately conservative, not the largest convergent step.
    """
    op = check_operator(op)
    y = check_measurements(op, y)
    lam = op.adjoint_norm(y) if op.factored else float(np.linalg.norm(smat(op.adjoint_svec(y), op.d), 2))
    U0 = check_factor(op, U0, "U0", batch=True)
    u = max(float(np.linalg.norm(u, 2)) for u in U0.reshape(-1, *U0.shape[-2:]))
    if u > np.sqrt(MAX_DATA_SCALE):
        raise ValueError(f"U0 has spectral norm {u:.3g}: f(U0) would overflow float64; rescale U0 (alpha)")
    return 1.0 / (operator_norm(op) * (lam + 3.0 * max(u * u, lam)))


@dataclass(frozen=True)
class Trajectory:
    """What :func:`gradient_descent` records.

    Single runs have the shapes below; a batch of K runs (``U0`` of shape ``(K, d, r)``) adds a
    leading axis of length K to ``U``, ``loss``, ``eigenvalues``, ``distances`` and each
    snapshot.

    Attributes
    ----------
    U : (d, r) ndarray
        The final factor U_T.
    loss : (T+1,) ndarray
        f(U_t) for every t = 0..T (``loss[0]`` at U_0).
    record_steps : (n,) ndarray of int
        Steps t at which eigenvalues and distances were recorded (0, k, 2k, ..., and T).
    eigenvalues : (n, q) ndarray
        Top q eigenvalues of U_t U_t^T at the recorded steps, decreasing.
    distances : (n, p) ndarray
        ``||U_t U_t^T - R_j||_F`` for the p reference matrices, at the recorded steps.
    reference_names : tuple of str
        Names of the reference matrices, in the column order of ``distances``.
    snapshots : dict
        ``{t: U_t}`` for each requested snapshot step (views of one buffer when the built-in loop
        recorded them: :meth:`snapshot_stack`).
    step_size, steps, mode, dtype
        The run's parameters: mu, T, the operator mode used and the working dtype.
    stagnation : str or None
        ``None`` when the loss kept decreasing (or settled at its floor); otherwise a short text
        naming the window over which the loss stopped decreasing while still oscillating, its
        values, and the step against :func:`safe_step_size` (see :func:`detect_stagnation`).
        For a batch: the findings of every flagged run, joined.
    stagnation_by_run : tuple of (str or None)
        The same finding per trajectory of a batch (``(stagnation,)`` for a single run).
    """

    U: np.ndarray
    loss: np.ndarray
    record_steps: np.ndarray
    eigenvalues: np.ndarray
    distances: np.ndarray
    reference_names: tuple
    snapshots: dict = field(repr=False)
    step_size: float = 0.0
    steps: int = 0
    mode: str = ""
    dtype: str = "float64"
    stagnation: str | None = None
    stagnation_by_run: tuple = ()
    _snapshot_buffer: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def batched(self) -> bool:
        return self.U.ndim == 3

    def snapshot_stack(self) -> np.ndarray:
        """The snapshots in step order as one array, shape ``(n,) + U.shape``.

        The built-in loop writes its snapshots into one preallocated buffer and this returns it
        (no copy: it shares memory with :attr:`snapshots`); a trajectory assembled elsewhere
        (a user's dynamics) gets a stack of the dict's values. At d = 10^4 a copy would double
        the largest array of a run (2.35 GB for spectral's 1466 snapshots of K = 4, r-hat = 5)."""
        if self._snapshot_buffer is not None:
            return self._snapshot_buffer
        return np.stack([np.asarray(self.snapshots[t]) for t in sorted(self.snapshots)])

    def distance(self, name: str) -> np.ndarray:
        """Recorded ``||U_t U_t^T - R||_F`` for the reference called ``name``."""
        try:
            j = self.reference_names.index(name)
        except ValueError:
            raise KeyError(f"no reference named {name!r}; have {self.reference_names}") from None
        return self.distances[..., j]

    def min_distance(self, name: str) -> tuple[float, int]:
        """``(min_t ||U_t U_t^T - R||_F, argmin t)`` over the recorded steps (single run)."""
        dist = self.distance(name)
        if dist.ndim != 1:
            raise ValueError("min_distance is for single runs; index the batch axis first")
        i = int(np.argmin(dist))
        return float(dist[i]), int(self.record_steps[i])

    def select(self, k: int) -> "Trajectory":
        """The k-th run of a batch, as a single-run :class:`Trajectory`."""
        if not self.batched:
            raise ValueError("select() is for batched trajectories")
        return Trajectory(self.U[k], self.loss[k], self.record_steps, self.eigenvalues[k],
                          self.distances[k], self.reference_names,
                          {t: u[k] for t, u in self.snapshots.items()}, self.step_size,
                          self.steps, self.mode, self.dtype,
                          self.stagnation_by_run[k] if self.stagnation_by_run else None,
                          (self.stagnation_by_run[k],) if self.stagnation_by_run else (),
                          None if self._snapshot_buffer is None else self._snapshot_buffer[:, k])


class NormalMap:
    """Per-run precomputation of ``Z -> (A*A(Z) - A*(y), f)`` for a stack of ``Z = U U^T``.

    Calling it on ``Z`` of shape ``(K, d, d)`` returns ``M`` of shape ``(K, d, d)`` with
    ``M_k = A*(A(Z_k) - y)`` and the K losses ``1/4 ||A(Z_k) - y||^2``, using one operator
    application per matrix. :meth:`residual_into` does the same in place (the hot loop of
    :func:`gradient_descent`).

    The loss is written as ``1/4 (q_k + c)``: in Gram mode ``q_k = (z_k - z_0)^T G (z_k - z_0)``
    with ``z_0`` a least-squares preimage of ``y`` and ``c`` its unexplained residual (see
    :meth:`SensingOperator.solution`), so the loss comes from the same product as the gradient;
    in dense and identity mode ``q_k = ||A(Z_k) - y||^2`` and ``c = 0``.
    """

    def __init__(self, op: SensingOperator, y: np.ndarray, mode: str = "auto", dtype=np.float64):
        self.op = op
        self.dtype = dtype = np.dtype(dtype)
        if mode == "auto":
            mode = op.default_mode(dtype)
        if op.is_identity:
            mode = "identity"
        self.mode = mode
        # the operator's coordinates: svec for S^d; the off-diagonal block of S^{d1+d2} for a
        # lifted rectangular operator, whose scatter reads a trailing zero for the other entries
        flat, weight, full, inv, self.padded = op.coordinates()
        self.flat = flat
        self.full = full
        self.full_flat = full.ravel()
        self.w = weight.astype(dtype)
        self.winv = inv.astype(dtype)
        self.c = 0.0
        if mode == "identity":
            self.Zstar = smat(y, op.d).astype(dtype)
        elif mode == "gram":
            z0, c = op.solution(y)  # first: it may build the float64 G, which gram(dtype) reuses
            self.z0, self.c = z0.astype(dtype), c
            self.G = op.gram(dtype)
            self.symv = get_blas_funcs("symv", (self.G,))
        elif mode == "factored":
            # (d, d) matrices through the operator's own maps: for the small-d users of NormalMap
            # (Z*_s's dense Hessian, RIP estimates); gradient descent uses FactoredStep instead
            if not op.factored:
                raise ValueError(f"mode 'factored' needs an operator that stores no S (sensing.structured); "
                                 f"{op!r} runs in mode 'gram' or 'dense'")
            self.y = np.asarray(y, dtype=np.float64)
        elif mode == "dense":
            if op.factored:
                raise ValueError(f"{op!r} stores no S: mode must be 'factored' (or 'auto'), got {mode!r}")
            self.S = op.S.astype(dtype, copy=False)
            self.y = y.astype(dtype)
            self.scale = dtype.type(1.0 / np.sqrt(op.m))
        else:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self._scratch: dict = {}
        self._scale, self._outw = None, None

    def __call__(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        K, d = Z.shape[0], self.op.d
        M = np.empty((K, d, d), dtype=self.dtype)
        q = np.empty(K, dtype=self.dtype)
        self.residual_into(Z, M, q)
        return M, 0.25 * (q + self.c)

    def residual_into(self, Z: np.ndarray, M: np.ndarray, q: np.ndarray, scale: float = 1.0) -> None:
        """In place: ``M_k <- scale * A*(A(Z_k) - y)`` and ``q_k <- 4 f(Z_k) - c``.

        ``Z`` is a stack ``(K, d, d)`` of symmetric matrices; ``M`` a C-contiguous ``(K, d, d)``
        array and ``q`` a ``(K,)`` array of the working dtype. One operator application per
        matrix and no allocation: the work arrays are kept per K. (Array methods and ufuncs
        with ``out=`` rather than numpy's Python-level wrappers: at small d the per-call
        overhead is the whole cost of a step.)
        """
        K = Z.shape[0]
        if self.mode == "identity":  # A*A = I: O(d^2) per matrix, no operator at all
            np.subtract(Z, self.Zstar, out=M)
            Mf = M.reshape(K, -1)
            np.vecdot(Mf, Mf, out=q)
            if scale != 1.0:
                np.multiply(M, scale, out=M)
            return
        if self.mode == "factored":  # small d: the operator's (d, d) maps, matrix by matrix
            for k in range(K):
                res = self.op._forward_dense(Z[k]) - self.y
                q[k] = res @ res
                M[k] = scale * self.op._adjoint_dense(res)
            return
        e, g, r = self._work(K)
        # z = svec(Z): gather the upper triangle and weight the off-diagonal entries by sqrt 2
        Z.reshape(K, -1).take(self.flat, axis=1, out=e, mode="clip")
        np.multiply(e, self.w, out=e)
        if self.mode == "gram":
            np.subtract(e, self.z0, out=e)
        self._product(e, g, r, q)
        np.multiply(g, self.out_weights(scale), out=g)
        # M = smat(g): every entry (j, k) of M reads its svec position
        (self._padded_g[K] if self.padded else g).take(self.full_flat, axis=1, out=M.reshape(K, -1),
                                                       mode="clip")

    def _product(self, e: np.ndarray, g: np.ndarray, r: np.ndarray | None, q: np.ndarray,
                 count: bool = True) -> None:
        """The operator application of :meth:`residual_into` on gathered coordinates, in place:
        ``e`` (K, D) holds ``w * svec(Z_k)`` (minus ``z0`` in Gram mode); ``g`` gets the unweighted
        ``svec`` of ``A*(A(Z_k) - y)`` (times ``m^{1/2}`` in dense mode) and ``q`` the K quadratic
        forms. ``count=False``: the caller counts the applications (a split batch, whose
        blocks run in several threads)."""
        K = e.shape[0]
        if self.mode == "gram":
            if count:
                self.op.counts["gram"] += K
            # G = G^T, so e @ G is the stacked G e_k; symv reads half of G for one vector
            if K == 1:
                self.symv(1.0, self.G, e[0], y=g[0], overwrite_y=1)
            else:
                np.matmul(e, self.G, out=g)
            np.vecdot(e, g, out=q)
        else:
            if count:
                self.op.counts["forward"] += K
                self.op.counts["adjoint"] += K
            np.matmul(e, self.S.T, out=r)
            np.multiply(r, self.scale, out=r)
            np.subtract(r, self.y, out=r)
            np.vecdot(r, r, out=q)
            np.matmul(r, self.S, out=g)  # the adjoint's m^{-1/2} is in _outw

    def out_weights(self, scale: float) -> np.ndarray:
        """``scale / w`` (times ``m^{-1/2}`` in dense mode): ``svec`` coordinates to matrix entries."""
        if scale != self._scale:
            self._set_out_weights(scale)
        return self._outw

    def _set_out_weights(self, scale: float) -> None:
        """``scale / w`` (times ``m^{-1/2}`` in dense mode, the adjoint's factor)."""
        factor = scale if self.mode == "gram" else scale * float(self.scale)
        self._scale, self._outw = scale, (self.winv * self.dtype.type(factor)).astype(self.dtype)

    def _work(self, K: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        if K not in self._scratch:
            D = self.op.D
            r = np.zeros((K, self.op.m), dtype=self.dtype) if self.mode == "dense" else None
            if self.padded:  # g is a view of a (K, D + 1) buffer whose last column stays 0
                self._padded_g = getattr(self, "_padded_g", {})
                self._padded_g[K] = np.zeros((K, D + 1), dtype=self.dtype)
                g = self._padded_g[K][:, :D]
            else:
                g = np.zeros((K, D), dtype=self.dtype)
            self._scratch[K] = (np.zeros((K, D), dtype=self.dtype), g, r)
        return self._scratch[K]

    def apply(self, P: np.ndarray) -> np.ndarray:
        """``A*A(P_k)`` for a stack of symmetric ``P`` of shape ``(K, d, d)`` (no ``y`` term)."""
        K = P.shape[0]
        if self.mode == "identity":
            return np.array(P, dtype=self.dtype)
        if self.mode == "factored":
            return np.stack([self.op._adjoint_dense(self.op._forward_dense(Pk)) for Pk in P]).astype(self.dtype)
        p = P.reshape(K, -1)[:, self.flat] * self.w
        if self.mode == "gram":
            self.op.counts["gram"] += K
            g = p @ self.G
        else:
            self.op.counts["forward"] += K
            self.op.counts["adjoint"] += K
            g = ((p @ self.S.T) @ self.S) * (self.scale * self.scale)
        g = g * self.winv
        if self.padded:
            g = np.concatenate([g, np.zeros((K, 1), dtype=g.dtype)], axis=1)
        return g[:, self.full]


class GradientStep:
    """The state of the hot loop: ``U`` of shape ``(K, d, r)`` and the buffers of one GD step.

    :meth:`evaluate` forms ``Z = U U^T`` and ``M = mu A*(A(Z) - y)`` (one operator application
    per trajectory, the loss's quadratic form on the side); :meth:`update` then does
    ``U <- U - M U = U - mu grad f(U)`` in place. :func:`gradient_descent` is a loop over these
    two calls plus recording; the benchmarks time them directly.
    """

    def __init__(self, normal: NormalMap, U: np.ndarray, mu: float, *, threads: int | None = None):
        K, d, r = U.shape
        self.normal, self.U, self.mu = normal, U, mu
        self.Z = np.empty((K, d, d), dtype=U.dtype)
        self.M = np.zeros((K, d, d), dtype=U.dtype)  # zeros: a split scatter writes only D entries
        self.MU = np.empty_like(U)
        self._Ut = U.transpose(0, 2, 1)
        # a large batch in Gram/dense mode: its per-trajectory work split over the BLAS threads
        # (sensing._batched); threads=None decides by size, an int forces that many blocks
        self.passes = None
        if normal.mode in ("gram", "dense") and U.flags.c_contiguous and (
                _batched.wanted(K, d, r) if threads is None else threads >= 1):
            self.passes = _batched.Passes(normal, U, self.Z, self.M, self.MU, threads)

    def evaluate(self, quad: np.ndarray) -> None:
        """``Z <- U U^T``, ``M <- mu A*(A(Z) - y)`` and ``quad <- 4 f(U) - c`` (shape (K,)).

        When the batch is split over threads (``passes``, :mod:`sensing._batched`), each thread
        also forms ``M U`` for its trajectories; :meth:`update` then only subtracts it."""
        if self.passes is None:
            np.matmul(self.U, self._Ut, out=self.Z)
            self.normal.residual_into(self.Z, self.M, quad, scale=self.mu)
            return
        e, g, r = self.normal._work(self.U.shape[0])
        self.passes.evaluate(e, g, r, quad, self.normal.out_weights(self.mu))

    def step(self, quad: np.ndarray) -> None:
        """:meth:`evaluate` then :meth:`update` in one pass: a split batch subtracts each block's
        ``M U`` while it is in cache. Afterwards ``U`` is ``U_{t+1}`` and ``Z``, ``M`` are still
        those of ``U_t``, so the loop uses it only on steps where it records nothing."""
        if self.passes is None:
            self.evaluate(quad)
            self.update()
            return
        e, g, r = self.normal._work(self.U.shape[0])
        self.passes.evaluate(e, g, r, quad, self.normal.out_weights(self.mu), update=True)

    def steps(self, quads: np.ndarray) -> None:
        """``len(quads)`` calls of :meth:`step`, ``quads[s]`` (shape (n, K)) receiving step s's
        quadratic forms. A batch split over threads runs them in one pass of its threads: the
        same iterates bit for bit, without handing the batch to the pool and back every step."""
        if self.passes is None:
            for quad in quads:
                self.step(quad)
            return
        if len(quads):
            e, g, r = self.normal._work(self.U.shape[0])
            self.passes.evaluate(e, g, r, quads, self.normal.out_weights(self.mu), update=True)

    def update(self) -> None:
        """``U <- U - M U``, the gradient step with the ``M`` of the last :meth:`evaluate`."""
        U, MU = self.U, self.MU
        if self.passes is None:
            np.matmul(self.M, U, out=MU)
        U -= MU  # a split step computed MU = M U in evaluate


def _references(references, d, factored: bool = False) -> tuple[tuple, np.ndarray]:
    """``(names, R)``: R the (p, d, d) stack of the references, or a
    :class:`sensing.factored.ReferenceSet` when the operator is factored or a reference is a
    :class:`sensing.Factored` (distances without U U^T or a d x d stack)."""
    if references is None:
        return (), np.zeros((0, d, d))
    if factored or any(isinstance(R, Factored) for R in
                       (references.values() if isinstance(references, Mapping) else references)):
        refs = reference_set(references, d)
        return refs.names, refs
    if isinstance(references, Mapping):
        names, mats = tuple(str(k) for k in references), list(references.values())
    else:
        mats = list(references)
        names = tuple(f"ref{j}" for j in range(len(mats)))
    out = np.zeros((len(mats), d, d))
    for j, (n, R) in enumerate(zip(names, mats)):
        R = as_float_array(R, f"references[{n!r}]", ndim=2)
        if R.shape != (d, d):
            raise ValueError(f"references[{n!r}] must have shape ({d}, {d}), got {R.shape}")
        check_symmetric(R, f"references[{n!r}]")
        out[j] = R
    return names, out


def gradient_descent(op: SensingOperator, y, U0, *, step: float, steps: int,
                     record_every: int | None = None,
                     references: Mapping[str, np.ndarray] | Sequence[np.ndarray] | None = None,
                     n_eigenvalues: int | None = None, snapshots: Sequence[int] = (),
                     mode: str = "auto", dtype=np.float64,
                     divergence_factor: float = 1e6,
                     record_steps: Sequence[int] | None = None) -> Trajectory:
    """Run gradient descent ``U_{t+1} = U_t - mu grad f(U_t)`` from ``U_0`` (eq. 3).

    Parameters
    ----------
    op : SensingOperator
        The measurement operator A.
    y : (m,) array_like
        Measurements in the scaling of ``op.forward`` (``y = A(Z*)``).
    U0 : (d, r) or (K, d, r) array_like
        Initial factor U_0 = alpha U-bar; a 3-d array runs K trajectories at once through one
        GEMM per step, each identical to round-off to its own single run.
    step : float
        Step size mu > 0.
    steps : int
        Number of steps T >= 0.
    record_every : int, optional
        Record eigenvalues and distances every k steps (and at T). Default: about 200 records.
    record_steps : sequence of int, optional
        Record at exactly these steps (and at T) instead of every ``record_every`` steps: the
        union of several runs' record grids when one batched call serves them
        (:mod:`theorems.sweep`).
    references : mapping of name to (d, d) array, or sequence of arrays, optional
        Matrices R_j (e.g. Z*_s, X_s X_s^T) whose distances ``||U_t U_t^T - R_j||_F`` are recorded.
        A value may also be :class:`sensing.Factored` (V), the PSD matrix R = V V^T given by its
        factor V (d, k): its distance is computed from U_t and V alone (no d x d matrix; for
        large d with the operators of :mod:`sensing.structured`).
    n_eigenvalues : int, optional
        How many top eigenvalues of U_t U_t^T to record (default min(d, r)).
    snapshots : sequence of int
        Steps at which to keep a copy of U_t.
    mode : {"auto", "gram", "dense", "factored"}
        Operator folding (:meth:`SensingOperator.default_mode` explains ``"auto"``).
        ``"factored"`` is the mode of the operators that store no S (:mod:`sensing.structured`,
        chosen by ``"auto"``; the only mode they run in): each step computes the residual, the
        loss and ``mu A*(r) U`` from U directly (:mod:`sensing.factored`), never U U^T.
    dtype : {numpy.float64, numpy.float32}
        Working precision of the loop (records are always float64). float32 halves the memory
        traffic (steps 1.4-1.9x faster at d = 50, m = 2000). Measured on the paper's instance
        (``tests/benchmarks/test_float32_accuracy.py``): learning times and min_t E_1 are
        unchanged down to alpha = 1e-7, but its round-off (~3e-7 relative per run) swamps the
        O(alpha^2) deviation of the spectral phase from the linearised dynamics once
        alpha <~ 1e-4, not-yet-learned eigenvalues of U U^T carry relative errors up to ~1e-4,
        and the loss floors near 5e-11 (1e-14 of its initial value) where float64 goes on.
        The claims take it from ``theorems.Setting.dtype`` (``--grid dtype=float32`` in a
        sweep); the claims' verdicts that float32 cannot resolve are listed in that test.
    divergence_factor : float
        The run is declared divergent when a loss exceeds ``divergence_factor`` times
        ``max(f(U_0), ||y||^2 / 4)`` or is not finite.

    Returns
    -------
    Trajectory

    Raises
    ------
    DivergenceError
        If the loss becomes non-finite or explodes; the message names a safe step size.

    Warns
    -----
    StagnationWarning
        If the loss stopped decreasing over a window of W steps while still oscillating
        (:func:`detect_stagnation`, W = :func:`stagnation_window` (T)); the same text is in
        ``Trajectory.stagnation``. Judged on the loss record after the run (no per-step cost).
    """
    return _descend(op, y, U0, step, steps, record_every, references, n_eigenvalues, snapshots,
                    mode, dtype, divergence_factor, record_steps=record_steps)


def record_grid(steps: int, record_every: int | None = None, record_steps=None) -> np.ndarray:
    """The steps a run of ``steps`` steps records at: 0, k, 2k, ... and T (k = ``record_every``,
    default about :data:`DEFAULT_RECORDS` records), or the given ``record_steps`` and T."""
    T = nonneg_int(steps, "steps")
    if record_steps is not None:
        got = np.asarray(list(record_steps), dtype=np.int64)
        if got.ndim != 1 or (got.size and (got.min() < 0 or got.max() > T)):
            raise ValueError(f"record_steps must be steps between 0 and steps = {T}, got {got.tolist()[:8]}")
        return np.unique(np.append(got, T))
    if record_every is None:
        record_every = max(1, T // DEFAULT_RECORDS)
    k = nonneg_int(record_every, "record_every", minimum=1)
    return np.unique(np.append(np.arange(0, T + 1, k), T))


def _descend(op, y, U0, step, steps, record_every, references, n_eigenvalues, snapshots, mode,
             dtype, divergence_factor, source=None, who: str | None = None, hook=None,
             record_steps=None) -> Trajectory:
    """The loop of :func:`gradient_descent`; with ``source`` (an iterator over U_1, U_2, ...,
    see :func:`sensing.dynamics.record`) the iterates are read from it instead of computed, and
    recorded by exactly the same code (the same losses, records, divergence and stagnation
    checks), so a dynamics is judged on the same record as the built-in one. ``hook(i, t, U, Z)``
    is called at every recorded step (record i, step t, the state U and Z = UUᵀ): the records of
    a lifted problem (:mod:`sensing.asymmetric`) that the symmetric record does not keep; in
    mode ``"factored"`` it gets ``Z = None`` (the lift exists for operators that store S only)."""
    op = check_operator(op)
    y = check_measurements(op, y)
    U0 = check_factor(op, U0, "U0", batch=True)
    mu = positive_scalar(step, "step")
    T = nonneg_int(steps, "steps")
    K_runs = U0.shape[0] if U0.ndim == 3 else 1
    need = (T + 1) * K_runs * 8
    if need > MAX_LOSS_BYTES:
        raise ValueError(
            f"steps={T} with {K_runs} trajectories needs {need / 2**30:.3g} GiB for the per-step loss "
            f"(limit {MAX_LOSS_BYTES / 2**30:.3g} GiB): run in segments, passing each final U as the next U0")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    dtype = np.dtype(dtype)
    if dtype not in (np.dtype(np.float64), np.dtype(np.float32)):
        raise TypeError(f"dtype must be float64 or float32, got {dtype}")
    factor = positive_scalar(divergence_factor, "divergence_factor")
    batched = U0.ndim == 3
    U = np.array(U0 if batched else U0[None], dtype=dtype, order="C", copy=True)
    K, d, r = U.shape
    rec = record_grid(T, record_every, record_steps)
    q = min(d, r) if n_eigenvalues is None else nonneg_int(
        n_eigenvalues, "n_eigenvalues", minimum=0, maximum=min(d, r))
    names, R = _references(references, d, factored=op.factored)
    snap_steps = {nonneg_int(s, "snapshots[i]", maximum=T) for s in snapshots}
    if mode == "auto":
        mode = op.default_mode(dtype, batch=K)
    if op.factored or mode == "factored":  # sensing.structured: no S, no d x d matrix per step
        if not op.factored:
            raise ValueError(f"mode 'factored' needs an operator that stores no S (sensing.structured); "
                             f"{op!r} runs in mode 'gram' or 'dense'")
        if mode != "factored":
            raise ValueError(f"{op!r} stores no S: mode must be 'factored' (or 'auto'), got {mode!r}")
        state = FactoredStep(op, y, U, mu, dtype)
    else:
        state = GradientStep(NormalMap(op, y, mode, dtype), U, mu)
    normal = state.normal
    Z = state.Z
    advance = state.update if source is None else _reader(source, U, U0.shape, who)
    fused = source is None and hasattr(state, "steps")

    # Steps where the loop stops to look: recorded steps, snapshots, and every CHECK_EVERY
    # steps a divergence check over the losses since the last stop.
    stops = _merged(map(int, rec), sorted(snap_steps), range(0, T + 1, CHECK_EVERY))
    next_stop = next(stops)
    quad = np.empty((T + 1, K), dtype=dtype)  # loss[:, t] = (quad[t] + c) / 4, filled in place
    eig = np.empty((K, rec.size, q))
    dist = np.empty((K, rec.size, len(names)))
    snaps: dict = {}
    # every snapshot in one buffer, in step order (Trajectory.snapshot_stack: no second copy)
    slot = {s: i for i, s in enumerate(sorted(snap_steps))}
    snap_buf = np.empty((len(slot),) + (U.shape if batched else U.shape[1:]), dtype=U.dtype)
    qmax, checked = None, 0  # divergence threshold on quad (set at t = 0); steps already checked
    i_rec = 0
    with np.errstate(over="ignore", invalid="ignore"):
        t = 0
        while t <= T:
            if fused and t != next_stop:
                state.steps(quad[t:next_stop])  # nothing is read between evaluate and update here
                t = next_stop
                continue
            state.evaluate(quad[t])
            if t == next_stop:
                if qmax is None:
                    L0 = float(np.max(0.25 * (quad[0].astype(np.float64) + normal.c)))
                    if not np.isfinite(L0):
                        raise ValueError(f"U0 is so large that f(U0) = {L0} overflows {dtype.name}; "
                                         "rescale U0 (alpha)")
                    qmax = 4.0 * factor * max(L0, 0.25 * float(y @ y)) - normal.c
                block = quad[checked:t + 1]
                if not block.max() <= qmax:  # a NaN fails this test too
                    i, j = np.argwhere(~(block <= qmax))[0]
                    _diverged(op, y, U0, mu, checked + int(i), 0.25 * (float(block[i, j]) + normal.c), L0, who)
                checked = t + 1
                if t == rec[i_rec]:
                    if q:
                        # in float64 even for a float32 run: the record should not add float32 error
                        sv = np.linalg.svd(U.astype(np.float64, copy=False), compute_uv=False)
                        eig[:, i_rec] = (sv[:, :q].astype(np.float64)) ** 2
                    if names:
                        if isinstance(R, np.ndarray):
                            diff = Z.astype(np.float64)[:, None] - R[None]
                            dist[:, i_rec] = np.sqrt(np.einsum("kjab,kjab->kj", diff, diff))
                        else:  # factored references or operator (Z is None in mode factored)
                            dist[:, i_rec] = R.distances(U, Z)
                    if hook is not None:
                        hook(i_rec, t, U, Z)
                    i_rec += 1
                if t in snap_steps:
                    snap_buf[slot[t]] = U if batched else U[0]
                    snaps[t] = snap_buf[slot[t]]
                if t == T:
                    break
                next_stop = next(stops)
            advance()
            t += 1
    loss = 0.25 * (quad.T.astype(np.float64) + normal.c)
    stag = _stagnation_notes(op, y, U0, mu, loss, dtype, normal.mode)
    if not batched:
        U, loss, eig, dist = U[0], loss[0], eig[0], dist[0]
    text = "; ".join(n for n in stag if n) or None
    if text is not None:
        warnings.warn(text, StagnationWarning, stacklevel=2)
    return Trajectory(U, loss, rec, eig, dist, names, snaps, mu, T, normal.mode, dtype.name,
                      text, tuple(stag), snap_buf if slot else None)


def stagnation_window(steps: int) -> int:
    """The window W of the stagnation rule for a run of ``steps`` steps:
    ``max(STAGNATION_MIN_WINDOW, steps // STAGNATION_WINDOWS)``."""
    return max(STAGNATION_MIN_WINDOW, int(steps) // STAGNATION_WINDOWS)


def stagnation_tolerance(f_scale: float, n_terms: int, dtype=np.float64) -> float:
    """Round-off level of a recorded loss: ``C sqrt(n) eps f_scale`` (see STAGNATION_ROUNDOFF_C)."""
    return STAGNATION_ROUNDOFF_C * np.sqrt(max(n_terms, 1)) * tolerances.eps(dtype) * f_scale


def detect_stagnation(loss, *, tol: float, window: int | None = None) -> dict | None:
    """Find a window over which the loss of one run stopped decreasing while still moving.

    The record ``f(U_0), ..., f(U_T)`` is cut into consecutive windows of W steps ending at T
    (the first ``(T + 1) mod W`` steps are not judged). A window is *stagnant* when

    - its minimum is not below the previous window's minimum by more than ``tol`` (the loss
      did not decrease over W steps), and
    - its range ``max - min`` exceeds ``tol`` (the loss still moves: it oscillates, far above
      the round-off floor, instead of having settled at a minimum, possibly a positive one).

    A non-increasing record is never stagnant (its window range is at most the decrease from the
    previous window's minimum), so a converged run, a run sitting at a positive minimum f* and
    the slow plateaus of incremental learning are not flagged; only a non-monotone loss that made
    no progress over W steps is. Work: two passes over the record (after the run, no per-step cost).

    Parameters
    ----------
    loss : (T+1,) array_like
        The per-step loss of one run (``Trajectory.loss``).
    tol : float
        Round-off level of the loss values (:func:`stagnation_tolerance`).
    window : int, optional
        W; default :func:`stagnation_window` (T).

    Returns
    -------
    dict or None
        ``None`` when no window is stagnant; else the first stagnant window: ``start``, ``stop``
        (steps, inclusive), ``window``, ``previous_min``, ``min``, ``max``.
    """
    loss = np.asarray(loss, dtype=np.float64)
    T = loss.shape[-1] - 1
    W = stagnation_window(T) if window is None else nonneg_int(window, "window", minimum=1)
    n = (T + 1) // W
    if n < 2:
        return None
    first = T + 1 - n * W
    blocks = loss[first:].reshape(n, W)  # a view: the record is one strided row
    lo, hi = blocks.min(axis=1), blocks.max(axis=1)
    bad = (lo[1:] >= lo[:-1] - tol) & (hi[1:] - lo[1:] > tol)
    if not bad.any():
        return None
    j = int(np.argmax(bad)) + 1
    start = first + j * W
    return {"start": start, "stop": start + W - 1, "window": W, "previous_min": float(lo[j - 1]),
            "min": float(lo[j]), "max": float(hi[j])}


def _stagnation_notes(op, y, U0, mu, loss, dtype, mode) -> list:
    """Per-run stagnation findings (None where fine) for the (K, T+1) loss record."""
    K, T1 = loss.shape
    if T1 < 2 * STAGNATION_MIN_WINDOW:
        return [None] * K
    n_terms = op.m if mode in ("dense", "factored") else op.D
    ysq = 0.25 * float(y @ y)
    found = [detect_stagnation(loss[k], tol=stagnation_tolerance(max(float(loss[k, 0]), ysq), n_terms, dtype))
             for k in range(K)]
    if not any(found):
        return [None] * K
    safe = safe_step_size(op, y, U0)
    out = []
    for k, f in enumerate(found):
        if f is None:
            out.append(None)
            continue
        who = f"run {k}: " if K > 1 else ""
        out.append(
            f"{who}loss stagnated over steps {f['start']}..{f['stop']} (window W = {f['window']}): "
            f"min {f['min']:.4g} is not below the previous window's min {f['previous_min']:.4g}, "
            f"while the loss oscillates up to {f['max']:.4g} (initial {float(loss[k, 0]):.4g}); "
            f"step {mu:.4g} = {mu / safe:.3g} x safe_step_size {safe:.3g}")
    return out


def _merged(*sorted_steps):
    """The union of sorted iterables of steps, in order, generated lazily (no T-sized set)."""
    last = None
    for t in heapq.merge(*sorted_steps):
        if t != last:
            yield t
            last = t


def _reader(source, U: np.ndarray, shape: tuple, who: str | None):
    """``advance`` for recorded iterates: copy the next U_t (of ``shape``, the shape of U_0) from
    ``source`` into the state ``U`` of shape (K, d, r)."""
    t = 0
    name = who or "the dynamics"

    def advance():
        nonlocal t
        t += 1
        try:
            Ut = next(source)
        except StopIteration:
            raise DynamicsError(f"{name} stopped after {t} iterates (U_0..U_{t - 1}); expected one per "
                             "step t = 0..steps") from None
        Ut = np.asarray(Ut)
        if Ut.shape != shape:
            raise DynamicsError(f"{name} gave U_{t} of shape {Ut.shape}; expected {shape} (the shape of U0)")
        np.copyto(U, Ut.reshape(U.shape), casting="same_kind")

    return advance


def _diverged(op, y, U0, mu, t, L, L0, who=None):
    safe = safe_step_size(op, y, U0)
    raise DivergenceError(
        f"{who or 'gradient descent'} diverged at step {t}: loss {L:.3g} "
        f"(initial {L0:.3g}) with step={mu:g}; step must be small enough for GD to "
        f"be stable here, e.g. step <= {safe:.3g} (from ||A*A|| and ||A*(y)||, see "
        "sensing.safe_step_size)", t, safe)
