"""Structured measurement operators that never store S: rank-one and entry-sampling measurements.

Both act on S^d with the paper's convention ``[A(Z)]_i = m^{-1/2} <A_i, Z>`` (§3), behind the
:class:`sensing.SensingOperator` interface, but keep only what defines their A_i:

- :class:`RankOneOperator`, ``A_i = a_i a_i^T`` (quadratic networks, phase retrieval): the
  vectors ``a`` of shape (m, d), O(m d) storage. On a factor, ``[A(U U^T)]_i = ||U^T a_i||^2 /
  sqrt(m)`` and ``A*(w) U = m^{-1/2} a^T (w * (a U))``: two (m x d)(d x r) products, O(m d r).
- :class:`CompletionOperator`, entry sampling (matrix completion): a set Omega of distinct
  entries (i, j) of the symmetric Z, O(|Omega|) storage. On a factor the forward reads the
  entries ``(U U^T)_{ij} = U_i . U_j`` on Omega and the adjoint is a sparse symmetric matrix
  times U: O(|Omega| r) per step.

Neither ever forms the m x D matrix S (D = d(d+1)/2) nor a D x D Gram matrix; gradient descent
runs them in mode ``"factored"`` (:mod:`sensing.factored`), which never forms a d x d matrix
either. The (d, d) methods (:meth:`~FactoredOperator.forward`, ``adjoint``, ``normal``, the svec
maps and the ``LinearOperator`` views) exist for small d: contract tests, Z*_s, RIP checks.

Scalings (the paper's 1/sqrt(m) convention, so that ``A*A = (1/m) sum_i <A_i, .> A_i``):

- rank-one with Gaussian ``a_i ~ N(0, I_d)`` has ``E A*A(Z) = 2 Z + tr(Z) I``: not an isometry,
  with a large eigenvalue ``d + 2`` along I. This is why rank-one measurements satisfy an
  l1/l2 RIP and not the l2 RIP of the paper's Definition 3.2 (a finding, not an assumption).
- entry sampling uses ``A_k = sqrt(D) B_k`` with B_k the orthonormal svec basis element of the
  entry: ``B_k = E_ii`` on the diagonal, ``(E_ij + E_ji) / sqrt 2`` off it, so
  ``[A(Z)]_k = sqrt(D/m) Z_ii`` or ``sqrt(2D/m) Z_ij``. Then ``A*A = (D/m) P_Omega`` in svec
  coordinates: under uniform sampling of m of the D entries ``E A*A = I`` exactly (as for the
  Gaussian ensemble), ``||A*A|| = D/m``, and with every entry observed (m = D) the operator *is*
  full observation (:func:`sensing.identity_operator`, ``A(Z) = svec(Z)``).
"""
from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse
from scipy.sparse.linalg import LinearOperator, eigsh

from ._validation import as_float_array, nonneg_int
from .linalg import smat, svec
from .operators import DEFAULT_GRAM_MEMORY_LIMIT, SensingOperator

#: Rows of ``a`` per block in the (d, d) maps of the rank-one operator: the block's (rows x d)
#: products stay at a few MB whatever m is (the maps' temporary memory is O(block d + d^2)).
ROW_BLOCK = 256

#: Up to this d the spectral norm of A*(w) comes from a dense eigensolver (d x d, exact and
#: deterministic); above it from ARPACK on the factored product (O(m d) or O(|Omega|) a matvec).
DENSE_EIG_MAX_D = 64


class FactoredOperator(SensingOperator):
    """Base of the operators that store no S: gradient descent runs them in mode ``"factored"``.

    Subclasses provide the maps on factors, which is all the hot loop and Z*_s use:

    - :meth:`forward_product` ``(P, Q) -> A((P Q^T + Q P^T) / 2)`` (so ``forward_factor(U)`` is
      ``A(U U^T)``);
    - :meth:`adjoint_times` ``(w, V) -> A*(w) V``;
    - :meth:`normal_norm` ``||A*A||``, :meth:`adjoint_norm` ``||A*(w)||`` (spectral) and
      :meth:`adjoint_fro` ``||A*(w)||_F`` without a D x D or (for large d) d x d matrix.

    ``S`` is ``None``; :meth:`gram` and :meth:`solution` raise (there is no Gram mode), and
    :meth:`default_mode` is ``"factored"``. ``counts`` counts forward and adjoint applications
    as for the dense operators (one of each per trajectory and step in gradient descent).
    """

    factored = True

    def __init__(self, d: int, m: int, kind: str, *, gram_memory_limit: int | None = None):
        self.d = d
        self.D = d * (d + 1) // 2
        self.kind = kind
        self.S = None
        self.m = m
        self._sqrt_m = float(np.sqrt(m))
        limit = DEFAULT_GRAM_MEMORY_LIMIT if gram_memory_limit is None else gram_memory_limit
        self.gram_memory_limit = nonneg_int(limit, "gram_memory_limit")
        self._gram: dict = {}
        self._solutions: dict = {}
        self._cache: dict = {}
        self.counts = {"forward": 0, "adjoint": 0, "gram": 0}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kind={self.kind!r}, m={self.m}, d={self.d})"

    @property
    def is_identity(self) -> bool:
        return False

    @property
    def nbytes(self) -> int:
        """Bytes of the operator's own storage (what defines its A_i, plus its index tables)."""
        raise NotImplementedError

    # -------------------------------------------------------------- modes
    def default_mode(self, dtype=np.float64, batch: int | None = None) -> str:
        """Always ``"factored"``: no S to fold into a Gram matrix (see the module docstring)."""
        return "factored"

    def gram(self, dtype=np.float64) -> np.ndarray:
        raise ValueError(f"{self!r} stores no S and forms no Gram matrix: gradient descent runs it "
                         "in mode 'factored' (mode='auto')")

    def normal_matrix(self) -> np.ndarray:
        """``A*A`` on S^d as a dense (D, D) matrix in svec coordinates (small d only).

        Not a Gram mode (gradient descent never uses it): the landscape checks, which need
        ``G = S^T S / m`` itself, call it at small d. Generic: D normal maps of the svec basis,
        O(D) applications; the subclasses have closed forms. Guarded by ``gram_memory_limit``."""
        self._dense_guard("the D x D normal matrix", 2 * self.D * self.D * 8)
        G = self.adjoint_svec(self.forward_svec(np.eye(self.D)))
        return 0.5 * (G + G.T)

    def solution(self, y):
        raise ValueError(f"{self!r} has no Gram mode, hence no least-squares preimage; mode 'factored' "
                         "computes the loss from the residual itself")

    def _dense_guard(self, what: str, nbytes: int) -> None:
        if nbytes > self.gram_memory_limit:
            raise MemoryError(f"{what} of {self!r} needs {nbytes / 2**20:.0f} MiB, above gram_memory_limit="
                              f"{self.gram_memory_limit / 2**20:.0f} MiB: use the factored maps "
                              "(forward_factor, adjoint_times) instead")

    # -------------------------------------------------------------- checks
    def _check_factor(self, U, name: str = "U") -> np.ndarray:
        U = as_float_array(U, name, ndim=(2, 3))
        if U.shape[-2] != self.d:
            raise ValueError(f"{name} must have shape (d, r) or (K, d, r) with d = {self.d} rows, got {U.shape}")
        return U

    # -------------------------------------------------------------- factored maps
    def forward_factor(self, U) -> np.ndarray:
        """``A(U U^T)`` for U of shape (d, r) (or (K, d, r), giving (K, m)), without U U^T."""
        U = self._check_factor(U)
        return self.forward_product(U, U)

    def forward_product(self, P, Q) -> np.ndarray:
        """``A((P Q^T + Q P^T) / 2)`` for P, Q of shape (d, r) (or (K, d, r))."""
        raise NotImplementedError

    def adjoint_times(self, w, V) -> np.ndarray:
        """``A*(w) V`` for w of shape (m,) and V of shape (d, r) (or (K, m) and (K, d, r))."""
        raise NotImplementedError

    def normal_norm(self) -> float:
        """``||A*A||``, the largest eigenvalue of the normal map on S^d."""
        raise NotImplementedError

    def dense_normal_work(self) -> int:
        """FLOPs of one dense application ``A*A(Z)`` to a d x d matrix Z (:meth:`normal`): what a
        d x d search (:func:`sensing.rip_estimate`) pays per step instead of products on factors."""
        raise NotImplementedError

    def adjoint_norm(self, w) -> float:
        """``||A*(w)||``, the spectral norm of the symmetric matrix A*(w)."""
        raise NotImplementedError

    def adjoint_fro(self, w) -> float:
        """``||A*(w)||_F`` (an upper bound where stated by the subclass)."""
        raise NotImplementedError

    def min_norm_energy(self, y) -> float:
        """``||Z_0||_F^2`` of the minimum-Frobenius-norm symmetric solution Z_0 of ``A(Z) = y``.

        ``Z_0 = smat(S^+ y)`` (``S``: the m x D matrix of the measurements in the orthonormal svec
        basis), and ``||Z_0||_F^2 = y^T (S S^T)^+ y``: the subclass computes it from the
        measurements' own m x m Gram matrix ``<A_i, A_j> / m``, never from S. For ``y = A(Z)``,
        ``<Z_0, Z> = ||Z_0||_F^2`` (Z_0 is Z's projection on the row space), so the interpolant's
        error is ``||Z_0 - Z||_F^2 = ||Z||_F^2 - ||Z_0||_F^2`` without forming Z_0 either."""
        raise NotImplementedError

    # -------------------------------------------------------------- (d, d) maps
    def normal(self, Z) -> np.ndarray:
        """The normal map ``A*A(Z)`` (small d: it forms d x d matrices)."""
        return self.adjoint(self.forward(Z))

    def forward_svec(self, z: np.ndarray) -> np.ndarray:
        """Forward map on half-vectorised input ``(..., D) -> (..., m)`` (no validation)."""
        z = np.asarray(z, dtype=np.float64)
        flat = z.reshape(-1, self.D)
        out = np.stack([self._forward_dense(smat(v, self.d)) for v in flat]) if flat.shape[0] else np.empty((0, self.m))
        return out.reshape(*z.shape[:-1], self.m)

    def adjoint_svec(self, w: np.ndarray) -> np.ndarray:
        """Adjoint on half-vectorised output ``(..., m) -> (..., D)`` (no validation)."""
        w = np.asarray(w, dtype=np.float64)
        flat = w.reshape(-1, self.m)
        out = np.stack([svec(self._adjoint_dense(v)) for v in flat]) if flat.shape[0] else np.empty((0, self.D))
        return out.reshape(*w.shape[:-1], self.D)

    def forward(self, Z) -> np.ndarray:
        """``[A(Z)]_i = m^{-1/2} <A_i, Z>`` for symmetric Z of shape (d, d)."""
        return self._forward_dense(self._check_Z(Z))

    def adjoint(self, w) -> np.ndarray:
        """``A*(w) = m^{-1/2} sum_i w_i A_i`` as a dense symmetric (d, d) matrix."""
        return self._adjoint_dense(self._check_w(w))

    def matrices(self) -> np.ndarray:
        """The sensing matrices A_i as a C-contiguous (m, d, d) array (small instances only)."""
        self._dense_guard("the (m, d, d) stack of sensing matrices", self.m * self.d * self.d * 8)
        return self._matrices()

    def adjoint_operator(self, w) -> LinearOperator:
        """``A*(w)`` as a symmetric d x d ``LinearOperator`` (products :meth:`adjoint_times`; no d x d
        matrix), e.g. for ARPACK on M = A*(y) at large d."""
        w = self._check_w(w)
        d = self.d

        def mm(V):
            return self.adjoint_times(w, np.reshape(V, (d, -1)))

        def mv(v):
            return mm(v).ravel()
        return LinearOperator((d, d), matvec=mv, rmatvec=mv, matmat=mm, rmatmat=mm, dtype=np.float64)

    def normal_operator(self) -> LinearOperator:
        """``A*A`` on ``svec(S^d)`` as a symmetric ``LinearOperator`` (O(D) vectors)."""
        def mv(z):
            return self.adjoint_svec(self.forward_svec(np.ravel(z)))
        return LinearOperator((self.D, self.D), matvec=mv, rmatvec=mv, dtype=np.float64)

    def _spectral_norm(self, w, matvec) -> float:
        """``||A*(w)||`` by a dense eigensolver for d <= DENSE_EIG_MAX_D, else ARPACK (fixed start)."""
        if self.d <= DENSE_EIG_MAX_D:
            ev = scipy.linalg.eigvalsh(self._adjoint_dense(w))
            return float(max(abs(ev[0]), abs(ev[-1])))
        L = LinearOperator((self.d, self.d), matvec=matvec, rmatvec=matvec, dtype=np.float64)
        v0 = np.full(self.d, 1.0 / np.sqrt(self.d))
        return float(abs(eigsh(L, k=1, which="LM", v0=v0, return_eigenvectors=False)[0]))


# =================================================================== rank-one measurements
class RankOneOperator(FactoredOperator):
    """``A_i = a_i a_i^T``: ``[A(Z)]_i = m^{-1/2} a_i^T Z a_i``, ``A*(w) = m^{-1/2} sum_i w_i a_i a_i^T``.

    Build one with :func:`operator_from_vectors` (user vectors) or :func:`rank_one_operator`
    (Gaussian). Storage: the vectors ``a`` (m, d), read-only. On a factor U (d, r):
    ``[A(U U^T)]_i = ||U^T a_i||^2 / sqrt(m)`` and ``A*(w) U = m^{-1/2} a^T (w * (a U))``.

    Attributes
    ----------
    a : (m, d) ndarray
        The measurement vectors a_i, row by row.
    """

    def __init__(self, a: np.ndarray, kind: str, **kwargs):
        m, d = a.shape
        super().__init__(d, m, kind, **kwargs)
        self.a = np.ascontiguousarray(a, dtype=np.float64)
        self.a.setflags(write=False)

    @property
    def nbytes(self) -> int:
        return int(self.a.nbytes)

    def vectors(self, dtype=np.float64) -> np.ndarray:
        """``a`` in ``dtype`` (the float32 copy is made once and cached)."""
        dtype = np.dtype(dtype)
        if dtype == np.float64:
            return self.a
        key = ("a", dtype)
        if key not in self._cache:
            arr = self.a.astype(dtype)
            arr.setflags(write=False)
            self._cache[key] = arr
        return self._cache[key]

    def forward_product(self, P, Q) -> np.ndarray:
        P, Q = self._check_factor(P, "P"), self._check_factor(Q, "Q")
        if P.shape != Q.shape:
            raise ValueError(f"P and Q must have the same shape, got {P.shape} and {Q.shape}")
        self.counts["forward"] += 1 if P.ndim == 2 else P.shape[0]
        # a_i^T P Q^T a_i = (a P)_i . (a Q)_i, the same for Q P^T
        return np.einsum("...ir,...ir->...i", self.a @ P, self.a @ Q) / self._sqrt_m

    def adjoint_times(self, w, V) -> np.ndarray:
        V = self._check_factor(V, "V")
        w = as_float_array(w, "w", ndim=V.ndim - 1)
        if w.shape != V.shape[:-2] + (self.m,):
            raise ValueError(f"w must have shape {V.shape[:-2] + (self.m,)} for V of shape {V.shape}, got {w.shape}")
        self.counts["adjoint"] += 1 if V.ndim == 2 else V.shape[0]
        return (self.a.T @ (w[..., :, None] * (self.a @ V))) / self._sqrt_m

    def _forward_dense(self, Z: np.ndarray) -> np.ndarray:
        self.counts["forward"] += 1
        out = np.empty(self.m)
        for s in range(0, self.m, ROW_BLOCK):  # a_i^T Z a_i, block by block: O(block d) memory
            ab = self.a[s:s + ROW_BLOCK]
            out[s:s + ab.shape[0]] = np.einsum("ij,ij->i", ab @ Z, ab)
        return out / self._sqrt_m

    def _adjoint_dense(self, w: np.ndarray) -> np.ndarray:
        self._dense_guard("the dense adjoint A*(w)", 2 * self.d * self.d * 8)
        self.counts["adjoint"] += 1
        M = np.zeros((self.d, self.d))
        for s in range(0, self.m, ROW_BLOCK):
            ab = self.a[s:s + ROW_BLOCK]
            M += (ab.T * w[s:s + ab.shape[0]]) @ ab
        M /= self._sqrt_m
        return 0.5 * (M + M.T)

    def _matrices(self) -> np.ndarray:
        return np.ascontiguousarray(self.a[:, :, None] * self.a[:, None, :])

    def normal_matrix(self) -> np.ndarray:
        """``(1/m) sum_i s_i s_i^T`` with ``s_i = svec(a_i a_i^T)`` (:func:`rank_one_gram_sum`): O(m D^2)."""
        self._dense_guard("the D x D normal matrix", 2 * self.D * self.D * 8)
        return rank_one_gram_sum(self.a) / self.m

    def min_norm_energy(self, y) -> float:
        """``y^T K^+ y`` with ``K_ij = <a_i a_i^T, a_j a_j^T> / m = (a_i . a_j)^2 / m`` (m x m).

        Generic a_i make K positive definite for m <= D (Cholesky, O(m^2 d + m^3)); past D, or
        where Cholesky fails, K is singular and the pseudo-inverse comes from ``lstsq`` (SVD).
        Memory: K and its factor, 2 m^2 doubles, under ``gram_memory_limit`` (at m = 10^4: 1.6 GB)."""
        y = self._check_w(y, "y")
        self._dense_guard("the m x m kernel of the rank-one measurements", 2 * self.m * self.m * 8)
        K = self.a @ self.a.T
        np.square(K, out=K)
        K /= self.m
        if self.m <= self.D:
            try:  # the factor is a copy: K is intact for lstsq if it fails
                c = scipy.linalg.cho_solve(scipy.linalg.cho_factor(K, lower=True, check_finite=False), y,
                                           check_finite=False)
                return float(y @ c)
            except np.linalg.LinAlgError:  # K singular (a_i not generic): the pseudo-inverse below
                pass
        c = scipy.linalg.lstsq(K, y, check_finite=False)[0]
        return float(y @ c)

    def dense_normal_work(self) -> int:
        # forward a_i^T Z a_i (2 d^2 each) and adjoint sum_i w_i a_i a_i^T (d^2 each)
        return 3 * self.m * self.d ** 2

    def normal_norm(self) -> float:
        """``||A*A||`` by ARPACK on the normal map of S^d (a ``LinearOperator``; each matvec is
        one (d, d) forward and adjoint, O(m d^2)), started at ``svec(I)/sqrt(d)``: for Gaussian
        a_i the top eigenvector is close to I/sqrt(d) (eigenvalue ~ d + 2, module docstring),
        and from there Lanczos converges in a few matvecs. Dense for D <= 2 (ARPACK needs k < D)."""
        if "norm" not in self._cache:
            if self.D <= 2:
                G = np.array([svec(self.normal(smat(e, self.d))) for e in np.eye(self.D)])
                val = scipy.linalg.eigvalsh(0.5 * (G + G.T))[-1]
            else:
                v0 = svec(np.eye(self.d)) / np.sqrt(self.d)
                val = eigsh(self.normal_operator(), k=1, which="LA", v0=v0, ncv=min(self.D, 8),
                            return_eigenvectors=False)[0]
            self._cache["norm"] = float(val)
        return self._cache["norm"]

    def adjoint_norm(self, w) -> float:
        w = self._check_w(w)
        return self._spectral_norm(w, lambda v: (self.a.T @ (w * (self.a @ np.ravel(v)))) / self._sqrt_m)

    def adjoint_fro(self, w) -> float:
        """Exact (dense d x d) while ``2 d^2`` floats fit under :attr:`gram_memory_limit`; beyond
        that the upper bound ``sqrt(min(m, d)) ||A*(w)||`` (rank A*(w) <= min(m, d))."""
        w = self._check_w(w)
        key = ("fro", w.tobytes())  # Z*_s asks for ||A*(y)||_F at every Newton step: cache a few
        if key not in self._cache:
            if 2 * self.d * self.d * 8 <= self.gram_memory_limit:
                val = float(np.linalg.norm(self._adjoint_dense(w)))
            else:
                val = float(np.sqrt(min(self.m, self.d)) * self.adjoint_norm(w))
            for old in [k for k in self._cache if isinstance(k, tuple) and k[0] == "fro"][:-3]:
                del self._cache[old]
            self._cache[key] = val
        return self._cache[key]


# =================================================================== entry sampling
class CompletionOperator(FactoredOperator):
    """Entry sampling on S^d: ``[A(Z)]_k = sqrt(D/m) <B_k, Z>`` for the observed entries Omega.

    ``B_k = E_ii`` for a diagonal entry and ``(E_ij + E_ji) / sqrt 2`` off the diagonal (the
    orthonormal svec basis), so in the paper's convention ``A_k = sqrt(D) B_k`` and
    ``[A(Z)]_k = sqrt(D/m) Z_ii`` or ``sqrt(2D/m) Z_ij``; ``A*(w) = sqrt(D/m) sum_k w_k B_k`` is a
    sparse symmetric matrix and ``A*A = (D/m) P_Omega`` (module docstring: ``E A*A = I`` under
    uniform sampling, exactly I with every entry observed). Build one with
    :func:`completion_operator` (user entries) or :func:`random_completion_operator`.

    Attributes
    ----------
    rows, cols : (m,) ndarray of int
        The observed entries, in measurement order, as given (an entry and its mirror are one
        measurement of a symmetric Z: each unordered pair at most once).
    """

    def __init__(self, d: int, rows: np.ndarray, cols: np.ndarray, kind: str, **kwargs):
        super().__init__(d, rows.size, kind, **kwargs)
        itype = np.int32 if d < 2**31 else np.int64
        self.rows = rows.astype(itype)
        self.cols = cols.astype(itype)
        if np.all(self.rows <= self.cols):  # already canonical (the random draw is): no copies
            lo, hi = self.rows, self.cols
        else:
            lo, hi = np.minimum(self.rows, self.cols), np.maximum(self.rows, self.cols)
        key = lo.astype(np.int64) * d + hi
        order = np.argsort(key, kind="stable")
        dup = np.flatnonzero(key[order][1:] == key[order][:-1])
        if dup.size:
            k1, k2 = sorted((int(order[dup[0]]), int(order[dup[0] + 1])))
            raise ValueError(f"rows, cols have duplicate entries: measurement {k1} ({self.rows[k1]}, {self.cols[k1]}) "
                             f"and measurement {k2} ({self.rows[k2]}, {self.cols[k2]}) observe the same entry of "
                             "the symmetric Z")
        self._sorted = bool(np.all(order == np.arange(order.size)))
        self._order = None if self._sorted else order.astype(itype)
        self._lo, self._hi = lo, hi
        self.scale = float(np.sqrt(self.D / self.m))  # sqrt(D/m)
        for arr in (self.rows, self.cols, self._lo, self._hi) + (() if self._order is None else (self._order,)):
            if arr.flags.writeable:
                arr.setflags(write=False)

    @property
    def nbytes(self) -> int:
        """Bytes of rows, cols, the canonical (min, max) entries (views of rows, cols when every
        rows[k] <= cols[k]), the sort order (when not already sorted) and the index tables built
        so far (:meth:`upper_pattern`, :attr:`positions`)."""
        arrays = {id(a): a for a in (self.rows, self.cols, self._lo, self._hi, self._order) if a is not None}
        tables = [a for a in self._cache.get("upper", ()) if a is not None]
        tables += [self._cache["pos"]] if "pos" in self._cache else []
        arrays.update({id(a): a for a in tables})
        return int(sum(a.nbytes for a in arrays.values()))

    # ---------------------------------------------------------- index tables
    @property
    def positions(self) -> np.ndarray:
        """svec position of each observed entry (row-major upper triangle, :func:`sensing.svec`)."""
        if "pos" not in self._cache:
            lo, hi = self._lo.astype(np.int64), self._hi.astype(np.int64)
            self._cache["pos"] = lo * self.d - lo * (lo - 1) // 2 + (hi - lo)
        return self._cache["pos"]

    def coefficients(self, dtype=np.float64) -> np.ndarray:
        """``c_k = sqrt(D/m)`` (diagonal) or ``sqrt(2D/m)`` (off-diagonal): ``[A(Z)]_k = c_k Z_{ij}``."""
        return np.where(self._lo == self._hi, self.scale, self.scale * np.sqrt(2.0)).astype(dtype)

    def upper_pattern(self) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """``(indptr, indices, order)``: the CSR pattern of the upper triangle of A*(w), each
        observed entry once, rows ``min(i, j)`` and columns ``max(i, j)`` sorted; ``order`` maps
        CSR position to measurement (``None`` when the measurements are already in CSR order, as
        for :func:`random_completion_operator`; then ``indices`` is :attr:`cols` itself). Built
        once, cached; the kernels of :mod:`sensing.factored` read it."""
        if "upper" not in self._cache:
            lo = self._lo if self._order is None else self._lo[self._order]
            hi = self._hi if self._order is None else self._hi[self._order]
            indptr = np.searchsorted(lo, np.arange(self.d + 1)).astype(np.int64)
            indptr.setflags(write=False)
            if hi.flags.writeable:
                hi.setflags(write=False)
            self._cache["upper"] = (indptr, hi, self._order)
        return self._cache["upper"]

    def _upper(self, w: np.ndarray) -> scipy.sparse.csr_matrix:
        """The upper-triangular T with ``A*(w) = T + T^T`` (diagonal halved), on the cached
        pattern of :meth:`upper_pattern` (no sort per call)."""
        indptr, indices, order = self.upper_pattern()
        h = np.where(self._lo == self._hi, 0.5, np.sqrt(0.5)) * self.scale * w
        return scipy.sparse.csr_matrix((h if order is None else h[order], indices, indptr), shape=(self.d, self.d))

    def adjoint_sparse(self, w) -> scipy.sparse.csr_matrix:
        """``A*(w)`` as a ``scipy.sparse`` CSR symmetric matrix (O(|Omega|) storage)."""
        T = self._upper(self._check_w(w))
        return (T + T.T).tocsr()

    # ---------------------------------------------------------- the maps
    def forward_product(self, P, Q) -> np.ndarray:
        P, Q = self._check_factor(P, "P"), self._check_factor(Q, "Q")
        if P.shape != Q.shape:
            raise ValueError(f"P and Q must have the same shape, got {P.shape} and {Q.shape}")
        self.counts["forward"] += 1 if P.ndim == 2 else P.shape[0]
        lo, hi = self._lo, self._hi
        # ((P Q^T + Q P^T) / 2)_{ij} = (P_i . Q_j + Q_i . P_j) / 2
        v = 0.5 * (np.einsum("...ir,...ir->...i", P[..., lo, :], Q[..., hi, :])
                   + np.einsum("...ir,...ir->...i", Q[..., lo, :], P[..., hi, :]))
        return v * self.coefficients()

    def adjoint_times(self, w, V) -> np.ndarray:
        V = self._check_factor(V, "V")
        w = as_float_array(w, "w", ndim=V.ndim - 1)
        if w.shape != V.shape[:-2] + (self.m,):
            raise ValueError(f"w must have shape {V.shape[:-2] + (self.m,)} for V of shape {V.shape}, got {w.shape}")
        if V.ndim == 2:
            self.counts["adjoint"] += 1
            T = self._upper(w)
            return T @ V + T.T @ V
        return np.stack([self.adjoint_times(wk, Vk) for wk, Vk in zip(w, V)])

    def _forward_dense(self, Z: np.ndarray) -> np.ndarray:
        self.counts["forward"] += 1
        return Z[self._lo, self._hi] * self.coefficients()

    def _adjoint_dense(self, w: np.ndarray) -> np.ndarray:
        self._dense_guard("the dense adjoint A*(w)", self.d * self.d * 8)
        self.counts["adjoint"] += 1
        return self.adjoint_sparse(w).toarray()

    def forward_svec(self, z: np.ndarray) -> np.ndarray:
        """``(..., D) -> (..., m)``: ``sqrt(D/m)`` times the svec coordinates on Omega (O(m))."""
        z = np.asarray(z, dtype=np.float64)
        self.counts["forward"] += int(np.prod(z.shape[:-1], dtype=np.int64))
        return z[..., self.positions] * self.scale

    def adjoint_svec(self, w: np.ndarray) -> np.ndarray:
        """``(..., m) -> (..., D)``: ``sqrt(D/m) w`` scattered to the svec positions (O(D) output)."""
        w = np.asarray(w, dtype=np.float64)
        self.counts["adjoint"] += int(np.prod(w.shape[:-1], dtype=np.int64))
        out = np.zeros(w.shape[:-1] + (self.D,))
        out[..., self.positions] = w * self.scale  # positions are distinct: no accumulation
        return out

    def _matrices(self) -> np.ndarray:
        A = np.zeros((self.m, self.d, self.d))
        k = np.arange(self.m)
        diag = self._lo == self._hi
        # A_k = sqrt(D) B_k: sqrt(D) E_ii, or sqrt(D/2) (E_ij + E_ji)
        val = np.where(diag, np.sqrt(self.D), np.sqrt(self.D / 2.0))
        A[k, self._lo, self._hi] = val
        A[k, self._hi, self._lo] = val
        return A

    def normal_matrix(self) -> np.ndarray:
        """``(D/m) diag(1_Omega)`` in svec coordinates: the observed entries' basis elements."""
        self._dense_guard("the D x D normal matrix", self.D * self.D * 8)
        G = np.zeros((self.D, self.D))
        G[self.positions, self.positions] = self.D / self.m
        return G

    def dense_normal_work(self) -> int:
        # read the observed entries, fill a d x d matrix
        return 2 * self.m + self.d ** 2

    def normal_norm(self) -> float:
        """``D/m`` exactly: ``A*A = (D/m) P_Omega`` in svec coordinates (distinct entries)."""
        return self.D / self.m

    def adjoint_norm(self, w) -> float:
        w = self._check_w(w)
        W = None if self.d <= DENSE_EIG_MAX_D else self.adjoint_sparse(w)
        return self._spectral_norm(w, lambda v: W @ np.ravel(v))

    def adjoint_fro(self, w) -> float:
        """``sqrt(D/m) ||w||`` exactly (the B_k are orthonormal and distinct)."""
        return float(self.scale * np.linalg.norm(self._check_w(w)))

    def min_norm_energy(self, y) -> float:
        """``(m/D) ||y||^2`` exactly: the rows of S are ``sqrt(D/m)`` times distinct svec basis
        vectors, so ``S S^T = (D/m) I`` and Z_0 is the zero-filled matrix of the observed entries."""
        return float(np.sum(np.square(self._check_w(y, "y"))) / self.scale ** 2)


# =================================================================== factories
def rank_one_gram_sum(a, *, block: int = 4096) -> np.ndarray:
    """``sum_i s_i s_i^T`` over ``s_i = svec(a_i a_i^T)`` for the rows a_i of ``a`` (n, d).

    The unnormalised Gram matrix of rank-one measurements (D x D): :meth:`RankOneOperator.normal_matrix`
    divides it by m, and sums over fresh vectors add to it (nested operators). Built ``block`` rows
    at a time (one syrk-shaped product each), O(n D^2) work and O(block D + D^2) memory.
    """
    a = as_float_array(a, "a", ndim=2)
    n, d = a.shape
    D = d * (d + 1) // 2
    W = np.zeros((D, D))
    for s in range(0, n, block):
        ab = a[s:s + block]
        rows = svec(ab[:, :, None] * ab[:, None, :])
        W += rows.T @ rows
    return 0.5 * (W + W.T)


def _int_array(value, name: str) -> np.ndarray:
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be an integer array, got {type(value).__name__}")
    arr = np.asarray(value)
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty (at least one observed entry)")
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        if arr.size and np.issubdtype(arr.dtype, np.floating) and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)  # 3.0 is an index; 3.5 is not
        else:
            raise TypeError(f"{name} must be an array of integer indices, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-dimensional array, got shape {arr.shape}")
    return arr.astype(np.int64)


def operator_from_vectors(a, **kwargs) -> RankOneOperator:
    """The rank-one operator ``A_i = a_i a_i^T`` of user vectors ``a`` of shape (m, d).

    ``[A(Z)]_i = m^{-1/2} a_i^T Z a_i`` (quadratic networks, phase retrieval; module docstring
    for its normal map). ``a`` must be finite; it is copied (C order, float64, read-only).
    """
    a = as_float_array(a, "a", ndim=2)
    return RankOneOperator(np.array(a, dtype=np.float64, order="C", copy=True), "vectors", **kwargs)


def rank_one_operator(m: int, d: int, rng=None, **kwargs) -> RankOneOperator:
    """Gaussian rank-one measurements: ``a_i`` i.i.d. N(0, I_d), drawn as ``rng.standard_normal((m, d))``.

    ``E A*A(Z) = 2 Z + tr(Z) I`` (module docstring): ``||A(Z)||^2`` concentrates at
    ``2 ||Z||_F^2 + tr(Z)^2``, not at ``||Z||_F^2``.
    """
    m, d = nonneg_int(m, "m", minimum=1), nonneg_int(d, "d", minimum=1)
    a = np.random.default_rng(rng).standard_normal((m, d))
    return RankOneOperator(a, "rank_one", **kwargs)


def completion_operator(d: int, rows, cols, **kwargs) -> CompletionOperator:
    """Entry sampling of the observed entries ``(rows[k], cols[k])`` of a symmetric d x d matrix.

    ``[A(Z)]_k = sqrt(D/m) Z_ii`` on the diagonal and ``sqrt(2D/m) Z_ij`` off it
    (:class:`CompletionOperator`; ``m = len(rows)``). Indices must be integers in [0, d), and no
    entry may be observed twice (``(i, j)`` and ``(j, i)`` are the same entry of a symmetric Z).
    """
    d = nonneg_int(d, "d", minimum=1)
    rows, cols = _int_array(rows, "rows"), _int_array(cols, "cols")
    if rows.shape != cols.shape:
        raise ValueError(f"rows and cols must have the same length, got {rows.size} and {cols.size}")
    for name, arr in (("rows", rows), ("cols", cols)):
        bad = np.flatnonzero((arr < 0) | (arr >= d))
        if bad.size:
            raise ValueError(f"{name} must be indices in [0, d) = [0, {d}), but {name}[{bad[0]}] = {arr[bad[0]]} "
                             f"({bad.size} out of range)")
    D = d * (d + 1) // 2
    if rows.size > D:
        raise ValueError(f"rows, cols observe {rows.size} entries but a symmetric {d} x {d} matrix has only D = {D}")
    return CompletionOperator(d, rows, cols, "entries", **kwargs)


def random_completion_operator(m: int, d: int, rng=None, **kwargs) -> CompletionOperator:
    """m distinct entries drawn uniformly from the D = d(d+1)/2 entries of the upper triangle.

    The draw is ``rng.choice(D, size=m, replace=False)`` (sorted: measurement order is the
    row-major upper-triangle order, which is also the order the kernels read); under it
    ``E A*A = I`` exactly (:class:`CompletionOperator`).
    """
    m, d = nonneg_int(m, "m", minimum=1), nonneg_int(d, "d", minimum=1)
    D = d * (d + 1) // 2
    if m > D:
        raise ValueError(f"m = {m} entries requested, but a symmetric {d} x {d} matrix has only D = {D}")
    lin = np.sort(np.random.default_rng(rng).choice(D, size=m, replace=False))
    return completion_from_positions(d, lin, kind="completion", **kwargs)


def completion_from_positions(d: int, positions, *, kind: str = "entries", **kwargs) -> CompletionOperator:
    """Entry sampling of the entries at svec ``positions`` (row-major upper triangle, as
    :attr:`CompletionOperator.positions`), in that order: e.g. a nested set of entries that
    extends an operator's own."""
    lin = _int_array(positions, "positions")
    D = d * (d + 1) // 2
    if lin.min() < 0 or lin.max() >= D:
        raise ValueError(f"positions must be in [0, D) = [0, {D}), got [{lin.min()}, {lin.max()}]")
    i = np.arange(d, dtype=np.int64)
    starts = i * d - i * (i - 1) // 2  # svec position of (i, i)
    rows = np.searchsorted(starts, lin, side="right") - 1
    cols = lin - starts[rows] + rows
    return CompletionOperator(d, rows, cols, kind, **kwargs)


def is_factored(op) -> bool:
    """True for operators that store no S (mode ``"factored"``)."""
    return bool(getattr(op, "factored", False))


__all__ = ["CompletionOperator", "FactoredOperator", "RankOneOperator", "completion_from_positions",
           "completion_operator", "is_factored", "operator_from_vectors", "random_completion_operator", "rank_one_gram_sum",
           "rank_one_operator"]
