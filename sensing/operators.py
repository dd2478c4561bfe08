"""Linear measurement operators on symmetric matrices.

Paper notation (§3): ``[A(Z)]_i = m^{-1/2} <A_i, Z>``, adjoint ``A*(w) = m^{-1/2} sum_i w_i A_i``
and normal map ``A*A(Z) = (1/m) sum_i <A_i, Z> A_i``. The operator acts on the space S^d of
symmetric matrices: for non-symmetric A_i only sym(A_i) = (A_i + A_i^T)/2 is visible there,
which is exactly why the gradient of the paper's loss uses sym(A_i) (see ``../shared`` notes §1).

Storage is the symmetric half-vectorisation: row i of the ``(m, D)`` matrix ``S`` is
``svec(sym(A_i))`` with ``D = d(d+1)/2``, so ``A(Z) = S svec(Z) / sqrt(m)``. Gradient descent can
fold the two operator applications per step into one product with the Gram matrix
``G = S^T S / m`` (``D x D``, about ``d^4 / 8`` floats); see :meth:`SensingOperator.gram`.
"""
from __future__ import annotations

import os

import numpy as np
import scipy.linalg
from scipy.sparse.linalg import LinearOperator

from ._validation import as_float_array, check_symmetric, nonneg_int
from .linalg import smat, svec, sym_index

#: Default ceiling on the Gram matrix's memory (bytes); override per operator with
#: ``gram_memory_limit=`` or globally with the ``SENSING_GRAM_MAX_BYTES`` environment variable.
DEFAULT_GRAM_MEMORY_LIMIT = int(os.environ.get("SENSING_GRAM_MAX_BYTES", 2 * 1024**3))

MODES = ("auto", "gram", "dense", "factored")  # "factored": sensing.structured (no S)

#: Largest |y_i| accepted. f(U) squares residuals of size ~||U||^2, and its gradient multiplies
#: by U again: entries beyond ~1e100 leave no float64 headroom (max ~1.8e308) for either.
MAX_DATA_SCALE = 1e100


class SensingOperator:
    """A measurement operator ``A : S^d -> R^m`` with forward, adjoint and normal map.

    Build one with :func:`gaussian_operator`, :func:`paper_operator`,
    :func:`identity_operator` or :func:`operator_from_matrices`.

    Attributes
    ----------
    m : int
        Number of measurements.
    d : int
        Matrix dimension.
    D : int
        ``d(d+1)/2``, the dimension of S^d.
    kind : str
        ``"gaussian"``, ``"paper"``, ``"identity"`` or ``"matrices"``.
    S : (m, D) ndarray or None
        ``svec(sym(A_i))`` row by row (``None`` for the identity operator).
    counts : dict
        Operator applications since construction (``forward``, ``adjoint``, ``gram``), in units
        of single-matrix applications; the benchmarks' deterministic guard reads it.
    """

    #: False: this operator stores S (see :mod:`sensing.structured` for operators that do not)
    factored = False

    def __init__(self, S: np.ndarray | None, d: int, kind: str, *,
                 gram_memory_limit: int | None = None):
        self.d = d
        self.D = d * (d + 1) // 2
        self.kind = kind
        self.S = S
        if S is not None:
            S.setflags(write=False)
        self.m = self.D if S is None else S.shape[0]
        self._sqrt_m = float(np.sqrt(self.m))
        limit = DEFAULT_GRAM_MEMORY_LIMIT if gram_memory_limit is None else gram_memory_limit
        self.gram_memory_limit = nonneg_int(limit, "gram_memory_limit")
        self._gram: dict = {}
        self._solutions: dict = {}
        self.counts = {"forward": 0, "adjoint": 0, "gram": 0}

    def __repr__(self) -> str:
        return f"SensingOperator(kind={self.kind!r}, m={self.m}, d={self.d})"

    @property
    def is_identity(self) -> bool:
        """True for full observation (``A*A = I``, delta = 0)."""
        return self.S is None

    def coordinates(self) -> tuple:
        """How the hot loop reads and writes the operator's coordinates of a (d, d) matrix:
        ``(flat, weight, full, inverse_weight, padded)``: coordinate j is ``weight[j]`` times the
        entry at flat index ``flat[j]``; entry (a, b) of the output matrix is ``inverse_weight``
        times coordinate ``full[a, b]`` (index D, when ``padded``, reads a zero). For S^d these
        are the svec tables of :func:`sensing.linalg.sym_index`."""
        idx = sym_index(self.d)
        return idx.flat, idx.weight, idx.full, 1.0 / idx.weight, False

    # ------------------------------------------------------------------ checks
    def _check_Z(self, Z, name="Z") -> np.ndarray:
        Z = as_float_array(Z, name, ndim=2)
        if Z.shape != (self.d, self.d):
            raise ValueError(f"{name} must have shape ({self.d}, {self.d}) for this operator, got {Z.shape}")
        check_symmetric(Z, name)
        return Z

    def _check_w(self, w, name="w") -> np.ndarray:
        w = as_float_array(w, name, ndim=1)
        if w.shape != (self.m,):
            raise ValueError(f"{name} must have shape ({self.m},) (one entry per measurement), got {w.shape}")
        return w

    # ------------------------------------------------------------ the operator
    def forward(self, Z) -> np.ndarray:
        """``[A(Z)]_i = m^{-1/2} <A_i, Z>`` for symmetric ``Z`` of shape (d, d)."""
        return self.forward_svec(svec(self._check_Z(Z)))

    def adjoint(self, w) -> np.ndarray:
        """``A*(w) = m^{-1/2} sum_i w_i sym(A_i)``, a symmetric (d, d) matrix."""
        return smat(self.adjoint_svec(self._check_w(w)), self.d)

    def normal(self, Z) -> np.ndarray:
        """The normal map ``A*A(Z) = (1/m) sum_i <A_i, Z> sym(A_i)``."""
        return smat(self.adjoint_svec(self.forward(Z)), self.d)

    def forward_svec(self, z: np.ndarray) -> np.ndarray:
        """Forward map on half-vectorised input, ``(..., D) -> (..., m)`` (no validation)."""
        self.counts["forward"] += int(np.prod(z.shape[:-1], dtype=np.int64))
        if self.S is None:
            return np.array(z, dtype=np.float64, copy=True)
        return (z @ self.S.T) / self._sqrt_m

    def adjoint_svec(self, w: np.ndarray) -> np.ndarray:
        """Adjoint on half-vectorised output, ``(..., m) -> (..., D)`` (no validation)."""
        self.counts["adjoint"] += int(np.prod(w.shape[:-1], dtype=np.int64))
        if self.S is None:
            return np.array(w, dtype=np.float64, copy=True)
        return (w @ self.S) / self._sqrt_m

    def matrices(self) -> np.ndarray:
        """The symmetric sensing matrices ``sym(A_i)`` as a C-contiguous ``(m, d, d)`` array
        (C order, so that ``reshape(m, d * d)`` is a view that BLAS reads at full speed)."""
        if self.S is None:
            return np.ascontiguousarray(smat(np.eye(self.D) * self._sqrt_m, self.d))
        return np.ascontiguousarray(smat(self.S, self.d))

    # ------------------------------------------------------------ scipy views
    def as_linear_operator(self) -> LinearOperator:
        """``A`` as a ``scipy.sparse.linalg.LinearOperator`` from ``R^D = svec(S^d)`` to ``R^m``."""
        return LinearOperator((self.m, self.D), matvec=self.forward_svec,
                              rmatvec=self.adjoint_svec, dtype=np.float64)

    def normal_operator(self) -> LinearOperator:
        """``A*A`` on ``svec(S^d)`` as a symmetric ``LinearOperator`` (for ``eigsh``)."""
        def mv(z):
            return self.adjoint_svec(self.forward_svec(np.ravel(z)))
        return LinearOperator((self.D, self.D), matvec=mv, rmatvec=mv, dtype=np.float64)

    # -------------------------------------------------------------- folding
    def gram_bytes(self, dtype=np.float64) -> int:
        """Memory of the Gram matrix ``G = S^T S / m`` in ``dtype`` (``D^2`` entries)."""
        return self.D * self.D * np.dtype(dtype).itemsize

    def default_mode(self, dtype=np.float64, batch: int | None = None) -> str:
        """The mode ``gradient_descent(mode="auto")`` picks for this operator.

        ``"identity"`` for full observation. Otherwise ``"gram"`` when one product with
        ``G = S^T S / m`` costs less than the forward plus adjoint, and ``G`` (``D^2`` floats)
        fits under :attr:`gram_memory_limit`; ``"dense"`` otherwise. What "costs less" means
        depends on the batch size K:

        - a batch (``batch > 1``, or ``None`` when unknown) is compute-bound: ``D^2``
          multiply-adds per trajectory in one GEMM against ``2 m D`` for the dense pair, so
          Gram mode from ``m > D/2``;
        - a single trajectory (``batch == 1``) is memory-bound: BLAS ``symv`` reads the ``D^2/2``
          entries of one triangle of G against the ``2 m D`` entries the dense pair reads, which
          puts the break-even at ``m = D/4``; ``symv`` streams at a lower bandwidth than ``gemv``,
          and the measured crossover is nearer ``0.3 D``, so Gram mode from ``m > D/3``.

        The measured crossovers are in the README, "Benchmarks". Gram mode costs ``D^2``
        floats for G (more than S itself when ``m < D``); dense mode nothing beyond S.
        """
        if self.S is None:
            return "identity"
        ratio = 3 if batch == 1 else 2
        if ratio * self.m > self.D and self.gram_bytes(dtype) <= self.gram_memory_limit:
            return "gram"
        return "dense"

    def gram(self, dtype=np.float64) -> np.ndarray:
        """The Gram matrix ``G = S^T S / m`` so that ``svec(A*A(Z)) = G svec(Z)`` (cached).

        Raises ``MemoryError`` rather than allocating past :attr:`gram_memory_limit`.
        """
        dtype = np.dtype(dtype)
        if self.S is None:
            raise ValueError("the identity operator has G = I; it never forms a Gram matrix")
        if dtype not in self._gram:
            need = self.gram_bytes(dtype)
            if need > self.gram_memory_limit:
                raise MemoryError(
                    f"the Gram matrix for d={self.d} needs {need / 2**20:.0f} MiB, above "
                    f"gram_memory_limit={self.gram_memory_limit / 2**20:.0f} MiB; use mode='dense' "
                    "or raise gram_memory_limit (or SENSING_GRAM_MAX_BYTES)")
            f64 = np.dtype(np.float64)
            if f64 in self._gram:
                G = self._gram[f64].astype(dtype)
            else:
                # peak memory 2 D^2 floats while the division runs, then D^2
                G = (self.S.T @ self.S) / self.m
                if not np.array_equal(G, G.T):  # numpy forms S^T S with syrk: exactly symmetric
                    G = 0.5 * (G + G.T)
                # G is symmetric, so G.T is the same matrix in Fortran order: what BLAS symv/gemm
                # read without a copy
                G = G.T.astype(dtype, copy=False)
            G.setflags(write=False)
            self._gram[dtype] = G
        return self._gram[dtype]

    def solution(self, y: np.ndarray) -> tuple[np.ndarray, float]:
        """A least-squares preimage ``z0`` of ``y`` and the unexplained residual ``||y - A z0||^2``.

        Gradient descent in Gram mode writes the loss as
        ``1/4 ((z - z0)^T G (z - z0) + c)``, which avoids the catastrophic cancellation of the
        expanded form ``z^T G z - 2 z^T b + ||y||^2`` near the solution. Cached per ``y``.

        The identity ``||A z - y||^2 = (z - z0)^T G (z - z0) + 2 (z - z0)^T (G z0 - b) + c`` with
        ``b = A*(y)`` is exact for any ``z0``; the formula drops the middle term, so what matters
        is a normal-equation residual ``G z0 - b`` at round-off. A Cholesky solve delivers that
        (it is backward stable) at a fraction of the time and memory of a QR least-squares solve
        of the ``m x D`` system: with ``m >= D`` it solves ``G z0 = b`` (G is already needed by
        Gram mode); with ``m < D`` it takes the minimum-norm solution ``z0 = S^T (S S^T)^{-1} y
        sqrt(m)`` through the ``m x m`` matrix ``S S^T / m``. When that matrix is not positive
        definite or is ill-conditioned (reciprocal condition number below eps, where
        ``scipy.linalg.solve`` would warn), or too large for :attr:`gram_memory_limit`, it falls
        back to ``scipy.linalg.lstsq``.
        """
        key = y.tobytes()
        if key not in self._solutions:
            if self.S is None:
                z0, c = np.array(y, dtype=np.float64), 0.0
            else:
                z0 = self._least_squares(y)
                c = float(np.sum((self.S @ z0 / self._sqrt_m - y) ** 2))
            z0.setflags(write=False)
            if len(self._solutions) >= 8:
                self._solutions.pop(next(iter(self._solutions)))
            self._solutions[key] = (z0, c)
        return self._solutions[key]

    def _least_squares(self, y: np.ndarray) -> np.ndarray:
        if min(self.m, self.D) ** 2 * 8 <= self.gram_memory_limit:
            if self.m >= self.D:  # G z0 = A*(y); the factor is the only D x D copy
                x = _cholesky_solve(self.gram(), (y @ self.S) / self._sqrt_m, overwrite=False)
                if x is not None:
                    return x
            else:  # z0 = S^T x / sqrt(m) with (S S^T / m) x = y
                x = _cholesky_solve((self.S @ self.S.T) / self.m, y, overwrite=True)
                if x is not None:
                    return (x @ self.S) / self._sqrt_m
        return scipy.linalg.lstsq(self.S / self._sqrt_m, y, lapack_driver="gelsy")[0]


def _cholesky_solve(P: np.ndarray, b: np.ndarray, *, overwrite: bool) -> np.ndarray | None:
    """Solve ``P x = b`` for symmetric ``P`` by Cholesky, or ``None`` when ``P`` is not safely PD.

    Plain LAPACK (``potrf``/``pocon``/``potrs``) so that the only large allocation is the
    factor (none when ``overwrite``); "not safely PD" means the factorisation fails or the
    reciprocal condition number is below eps (where scipy.linalg.solve would warn).
    """
    potrf, pocon, potrs, lange = scipy.linalg.lapack.get_lapack_funcs(
        ("potrf", "pocon", "potrs", "lange"), (P,))
    if not P.flags.f_contiguous:
        P = P.T  # P is symmetric, so its transpose is the same matrix in the Fortran order LAPACK reads
    anorm = lange("1", P)
    factor, info = potrf(P, lower=0, clean=0, overwrite_a=int(overwrite))
    if info != 0:
        return None
    rcond, info = pocon(factor, anorm)
    if info != 0 or not rcond >= np.finfo(P.dtype).eps:
        return None
    x, info = potrs(factor, b, lower=0)
    return x if info == 0 else None


# ---------------------------------------------------------------- factories
def _check_dims(m, d):
    return nonneg_int(m, "m", minimum=1), nonneg_int(d, "d", minimum=1)


def gaussian_operator(m: int, d: int, rng=None, **kwargs) -> SensingOperator:
    """Symmetric Gaussian ensemble normalised so that ``E ||A(Z)||^2 = ||Z||_F^2`` on S^d.

    ``A_i = (B_i + B_i^T)/2`` with ``B_i`` i.i.d. N(0, 1): diagonal entries N(0, 1), off-diagonal
    N(0, 1/2). In the half-vectorised basis this is exactly ``S`` with i.i.d. N(0, 1) entries,
    which is how it is drawn (``m x D`` normals from ``np.random.default_rng(rng)``).
    """
    m, d = _check_dims(m, d)
    D = d * (d + 1) // 2
    S = np.random.default_rng(rng).standard_normal((m, D))
    return SensingOperator(S, d, "gaussian", **kwargs)


def paper_operator(m: int, d: int, rng=None, *, chunk: int = 1024, **kwargs) -> SensingOperator:
    """The paper's experimental ensemble (§6): ``A_i`` with i.i.d. N(0, 1) entries, not symmetrised.

    The draw is ``rng.standard_normal((m, d, d))`` (generated in chunks of ``chunk`` matrices,
    same bits); only ``sym(A_i)`` is stored, since that is all the loss sees on S^d.
    """
    m, d = _check_dims(m, d)
    rng = np.random.default_rng(rng)
    idx = sym_index(d)
    S = np.empty((m, idx.D))
    for start in range(0, m, chunk):
        A = rng.standard_normal((min(chunk, m - start), d * d))
        S[start:start + A.shape[0]] = 0.5 * (A[:, idx.flat] + A[:, idx.flat_t]) * idx.weight
    return SensingOperator(S, d, "paper", **kwargs)


def identity_operator(d: int, **kwargs) -> SensingOperator:
    """Full observation: ``A(Z) = svec(Z)``, ``A*A = I``, ``m = d(d+1)/2``, delta = 0.

    This is the matrix-factorisation case; the loss is ``1/4 ||U U^T - Z*||_F^2`` and a gradient
    step costs O(d^2 r) with no ``D x D`` product.
    """
    d = nonneg_int(d, "d", minimum=1)
    return SensingOperator(None, d, "identity", **kwargs)


def operator_from_matrices(A, **kwargs) -> SensingOperator:
    """Operator from user-supplied sensing matrices ``A`` of shape ``(m, d, d)``.

    Non-symmetric ``A_i`` are accepted; the operator acts on symmetric Z through sym(A_i).
    """
    A = as_float_array(A, "A", ndim=3)
    m, d, d2 = A.shape
    if d != d2:
        raise ValueError(f"A must have shape (m, d, d) with square A_i, got {A.shape}")
    idx = sym_index(d)
    flat = A.reshape(m, d * d)
    S = np.ascontiguousarray(0.5 * (flat[:, idx.flat] + flat[:, idx.flat_t]) * idx.weight)
    return SensingOperator(S, d, "matrices", **kwargs)


def measure(op: SensingOperator, Z) -> np.ndarray:
    """Noiseless measurements ``y = A(Z*)`` in the scaling of :meth:`SensingOperator.forward`."""
    return op.forward(Z)


def check_operator(op) -> SensingOperator:
    """Raise ``TypeError`` unless ``op`` is a :class:`SensingOperator`."""
    if not isinstance(op, SensingOperator):
        raise TypeError(f"op must be a SensingOperator, got {type(op).__name__}")
    return op


def check_measurements(op: SensingOperator, y) -> np.ndarray:
    """Validate ``y`` against ``op``: finite, shape ``(op.m,)``, entries at most ``MAX_DATA_SCALE``."""
    y = op._check_w(y, "y")
    scale = max(float(np.max(y)), -float(np.min(y)))  # max |y_i| without an m-float temporary
    if scale > MAX_DATA_SCALE:
        raise ValueError(
            f"y has entries up to {scale:.3g}, above {MAX_DATA_SCALE:.0e}: the loss is quartic in U, so "
            "float64 overflows; rescale (the dynamics are equivariant: y -> c y, U -> sqrt(c) U, "
            "step -> step / c)")
    return y
