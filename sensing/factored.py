"""Mode ``"factored"`` of the gradient-descent loop: steps and records that never form d x d matrices.

For the operators of :mod:`sensing.structured` the loop of :func:`sensing.gradient_descent`
replaces its :class:`~sensing.descent.GradientStep` (``Z = U U^T``, ``M = mu A*(A(Z) - y)``,
``U <- U - M U``, all d x d) by :class:`FactoredStep`: one kernel call computes, per trajectory,
the residual ``r = A(U U^T) - y`` straight from the factor, the loss ``||r||^2`` and the scaled
gradient ``mu A*(r) U`` (eq. 3), and the update is ``U <- U - mu A*(r) U``:

- rank-one (:class:`RankOneKernel`): ``B = a U`` and ``a^T (e * B)`` block by block over the
  rows of ``a``, so that each block of ``a`` is read from memory once per step for both products
  (two GEMMs of shape (block x d)(d x K r)); O(m d K r) FLOPs, O(d K r) work memory;
- entry sampling (:class:`CompletionKernel`): one pass over the CSR pattern of the upper
  triangle of A*(w) (each observed entry once) that forms ``(U U^T)_{ij} = U_i . U_j``, the
  residual, its square and the entry's two contributions to ``mu A*(r) U``, with numba
  (specialised to r-hat, so the row's accumulators stay in registers) when it is installed;
  without numba, a numpy/scipy path (block-wise gathers for the forward, ``T U + T^T U`` with
  the upper-triangular CSR ``T`` for the adjoint) that computes the same quantities about 3-4x
  slower. O(|Omega| r) a step, nothing stored beyond the operator's pattern and y.

Records: the eigenvalues of U U^T come from the singular values of U (as in the dense modes);
distances ``||U U^T - R||_F`` from :class:`ReferenceSet`, which takes a (d, d) reference R or a
factor ``Factored(V)`` (R = V V^T) and never forms U U^T: for a factor it is the Frobenius norm
of the (r + k) x (r + k) core ``R1 R1^T - R2 R2^T`` of the QR factorisation ``[U, V] = Q [R1, R2]``
(round-off ~ eps (||U||^2 + ||V||^2), where the expansion ``||U^T U||^2 - 2 ||V^T U||^2 +
||V^T V||^2`` would lose half the digits near R); for a dense R, row blocks of ``U U^T - R``
(O(d^2 r) FLOPs, O(block d) memory).
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import Mapping

import numpy as np
import scipy.sparse

from ._validation import as_float_array, check_symmetric

#: Bytes of ``a`` per block of the rank-one kernel: the block is read once from memory and
#: reused from cache by the second product (measured on this machine: 2 MB blocks make a step
#: cost about one GEMM with a instead of two; tests/benchmarks/test_bench_structured.py).
RANK_ONE_BLOCK_BYTES = 2 * 1024**2

#: Entries per block of the numpy completion forward: two (block, r) gathers stay in cache.
COMPLETION_BLOCK = 65536

#: r-hat up to which the numba kernel is specialised (scalar accumulators); above, a generic one.
NUMBA_SPECIALISE_MAX_R = 32

#: Set ``SENSING_NUMBA=0`` to run the numpy/scipy completion path even where numba is installed.
USE_NUMBA = os.environ.get("SENSING_NUMBA", "1") != "0"


# =================================================================== references
@dataclass(frozen=True)
class Factored:
    """A PSD reference ``R = V V^T`` given by its factor V of shape (d, k), for large d.

    Pass it as a value of ``references=`` in :func:`sensing.gradient_descent` (any mode): the
    distance ``||U_t U_t^T - V V^T||_F`` is then computed from U_t and V only (module docstring).
    A (d, d) array is never ambiguous with it: a plain array is always the matrix R itself.
    """

    V: np.ndarray

    def __post_init__(self):
        V = as_float_array(self.V, "V", ndim=2)
        V = np.array(V, dtype=np.float64, copy=True)
        V.setflags(write=False)
        object.__setattr__(self, "V", V)

    @property
    def shape(self) -> tuple:
        return (self.V.shape[0], self.V.shape[0])

    def toarray(self) -> np.ndarray:
        """``V V^T`` as a dense (d, d) array (small d)."""
        return self.V @ self.V.T


def factored_distance(U: np.ndarray, V: np.ndarray) -> float:
    """``||U U^T - V V^T||_F`` from the QR factorisation of ``[U, V]`` (module docstring)."""
    r = U.shape[1]
    R = np.linalg.qr(np.hstack([U, V]), mode="r")  # (min(d, r + k), r + k): the economic R
    R1, R2 = R[:, :r], R[:, r:]
    return float(np.linalg.norm(R1 @ R1.T - R2 @ R2.T))


def dense_distance(U: np.ndarray, R: np.ndarray, block: int = 512) -> float:
    """``||U U^T - R||_F`` by row blocks of ``U U^T - R`` (never the whole d x d product)."""
    total = 0.0
    for s in range(0, R.shape[0], block):
        diff = U[s:s + block] @ U.T - R[s:s + block]
        total += float(np.einsum("ij,ij->", diff, diff))
    return float(np.sqrt(total))


class ReferenceSet:
    """The references of a run, each a (d, d) array or a :class:`Factored`, and their distances.

    ``distances(U, Z)`` returns the (K, p) array ``||U_k U_k^T - R_j||_F`` for U of shape
    (K, d, r) (float64 for the record); ``Z`` (K, d, d) is used for dense references where the
    loop has it (modes gram/dense), and ``None`` in mode factored.
    """

    def __init__(self, names: tuple, refs: list):
        self.names = names
        self.refs = refs

    def __len__(self) -> int:
        return len(self.refs)

    def distances(self, U: np.ndarray, Z: np.ndarray | None) -> np.ndarray:
        U = U.astype(np.float64, copy=False)
        out = np.empty((U.shape[0], len(self.refs)))
        for j, R in enumerate(self.refs):
            for k in range(U.shape[0]):
                if isinstance(R, Factored):
                    out[k, j] = factored_distance(U[k], R.V)
                elif Z is not None:
                    diff = Z[k].astype(np.float64) - R
                    out[k, j] = np.sqrt(np.einsum("ab,ab->", diff, diff))
                else:
                    out[k, j] = dense_distance(U[k], R)
        return out


def reference_set(references, d: int) -> ReferenceSet:
    """Validate ``references`` (mapping name -> R, or a sequence) into a :class:`ReferenceSet`."""
    if isinstance(references, Mapping):
        names, vals = tuple(str(k) for k in references), list(references.values())
    else:
        vals = list(references)
        names = tuple(f"ref{j}" for j in range(len(vals)))
    refs = []
    for n, R in zip(names, vals):
        if isinstance(R, Factored):
            if R.V.shape[0] != d:
                raise ValueError(f"references[{n!r}] is a factor of shape {R.V.shape}; it needs d = {d} rows")
            refs.append(R)
            continue
        R = as_float_array(R, f"references[{n!r}]", ndim=2)
        if R.shape != (d, d):
            raise ValueError(f"references[{n!r}] must have shape ({d}, {d}) (or be a sensing.Factored(V) "
                             f"with V of shape ({d}, k)), got {R.shape}")
        check_symmetric(R, f"references[{n!r}]")
        refs.append(R)
    return ReferenceSet(names, refs)


# =================================================================== the step
class FactoredStep:
    """The state of the hot loop in mode ``"factored"``, with the interface of
    :class:`sensing.descent.GradientStep`.

    :meth:`evaluate` writes ``quad_k = ||A(U_k U_k^T) - y||^2 = 4 f(U_k)`` and keeps
    ``G_k = mu A*(A(U_k U_k^T) - y) U_k = mu grad f(U_k)``; :meth:`update` does ``U <- U - G``.
    ``Z`` is ``None`` (there is no d x d state); ``normal`` is the step itself, with ``c = 0``
    (the loss is ``quad / 4``) and ``mode = "factored"``.
    """

    mode = "factored"
    c = 0.0

    def __init__(self, op, y: np.ndarray, U: np.ndarray, mu: float, dtype=np.float64):
        self.op, self.U, self.mu = op, U, mu
        self.Z = None
        self.G = np.zeros_like(U)
        self.normal = self
        self.kernel = make_kernel(op, y, dtype)

    def evaluate(self, quad: np.ndarray) -> None:
        """``quad <- 4 f(U)`` and ``G <- mu grad f(U)``, one forward and one adjoint per trajectory."""
        self.kernel(self.U, self.G, quad, self.mu)

    def update(self) -> None:
        """``U <- U - mu grad f(U)`` with the gradient of the last :meth:`evaluate`."""
        self.U -= self.G


def make_kernel(op, y: np.ndarray, dtype=np.float64):
    """The fused residual/loss/gradient kernel of a factored operator for measurements y."""
    from .structured import CompletionOperator, RankOneOperator

    if isinstance(op, RankOneOperator):
        return RankOneKernel(op, y, dtype)
    if isinstance(op, CompletionOperator):
        return CompletionKernel(op, y, dtype)
    raise TypeError(f"no factored kernel for {type(op).__name__}")


class RankOneKernel:
    """``(U, G, quad, mu) -> quad_k = ||r_k||^2, G_k = mu A*(r_k) U_k`` for ``A_i = a_i a_i^T``.

    With ``B = a [U_1, ..., U_K]`` (m x K r): ``r_{ik} = ||B_{i,k}||^2 / sqrt(m) - y_i`` and
    ``A*(r_k) U_k = a^T (r_k * B_k) / sqrt(m)``; both products run block by block over the rows
    of a (:data:`RANK_ONE_BLOCK_BYTES`), all K trajectories in one GEMM each.
    """

    def __init__(self, op, y: np.ndarray, dtype=np.float64):
        self.op = op
        self.dtype = dtype = np.dtype(dtype)
        self.a = op.vectors(dtype)
        self.y = np.ascontiguousarray(y, dtype=dtype)
        self.rs = float(1.0 / np.sqrt(op.m))
        self.block = max(1, min(op.m, RANK_ONE_BLOCK_BYTES // (op.d * dtype.itemsize)))
        self._buf: dict = {}

    def _buffers(self, K: int, r: int):
        if (K, r) not in self._buf:
            d, n, b, t = self.op.d, K * r, self.block, self.dtype
            self._buf[(K, r)] = (np.empty((d, n), t), np.empty((d, n), t), np.empty((d, n), t),
                                 np.empty((b, n), t), np.empty((b, K), t), np.empty(K, t))
        return self._buf[(K, r)]

    def __call__(self, U: np.ndarray, G: np.ndarray, quad: np.ndarray, mu: float) -> None:
        K, d, r = U.shape
        self.op.counts["forward"] += K
        self.op.counts["adjoint"] += K
        Uc, Gc, T, B, E, q = self._buffers(K, r)
        np.copyto(Uc.reshape(d, K, r), U.transpose(1, 0, 2))
        Gc.fill(0.0)
        quad.fill(0.0)
        a, y, rs, g = self.a, self.y, self.dtype.type(self.rs), self.dtype.type(self.rs * mu)
        for s in range(0, self.op.m, self.block):
            ab = a[s:s + self.block]
            nb = ab.shape[0]
            Bb, e = B[:nb], E[:nb]
            np.matmul(ab, Uc, out=Bb)  # (U_k^T a_i)_c for every k, c
            B3 = Bb.reshape(nb, K, r)
            np.einsum("ikc,ikc->ik", B3, B3, out=e)
            e *= rs
            e -= y[s:s + nb, None]  # r_{ik}
            np.einsum("ik,ik->k", e, e, out=q)
            quad += q
            e *= g
            B3 *= e[:, :, None]
            np.matmul(ab.T, Bb, out=T)  # the same block of a, still in cache
            Gc += T
        np.copyto(G.transpose(1, 0, 2), Gc.reshape(d, K, r))


class CompletionKernel:
    """``(U, G, quad, mu) -> quad_k = ||r_k||^2, G_k = mu A*(r_k) U_k`` for entry sampling.

    ``r = c * (U U^T)_Omega - y`` with ``c`` the operator's coefficients
    (:meth:`sensing.structured.CompletionOperator.coefficients`). Both backends read the
    upper-triangular CSR pattern of A*(w) (:meth:`~sensing.structured.CompletionOperator.upper_pattern`,
    every observed entry once) and y in that order: the numba kernel (:func:`numba_kernel`) in
    one pass, the numpy path with block-wise gathers for the forward and ``T U + T^T U`` for
    the adjoint (T the upper-triangular CSR with ``A*(r) = T + T^T``). ``backend`` says which.
    """

    def __init__(self, op, y: np.ndarray, dtype=np.float64, *, backend: str | None = None):
        self.op = op
        self.dtype = dtype = np.dtype(dtype)
        if backend is None:
            backend = "numba" if USE_NUMBA and _numba() is not None else "numpy"
        if backend not in ("numba", "numpy"):
            raise ValueError(f"backend must be 'numba' or 'numpy', got {backend!r}")
        if backend == "numba" and _numba() is None:
            raise ImportError("the numba backend needs numba (pip install numba)")
        self.backend = backend
        self.indptr, self.hi, order = op.upper_pattern()
        y = np.asarray(y)
        self.ys = np.ascontiguousarray(y if order is None else y[order], dtype=dtype)  # y in CSR order
        self.c_diag, self.c_off = op.scale, op.scale * np.sqrt(2.0)
        if backend == "numpy":
            lo = op._lo if order is None else op._lo[order]
            self.lo, self.hi_p = lo.astype(np.intp), self.hi.astype(np.intp)
            diag = self.lo == self.hi_p
            self.coef = np.where(diag, self.c_diag, self.c_off).astype(dtype)
            self.h = (np.where(diag, 0.5, np.sqrt(0.5)) * op.scale).astype(dtype)
            self.T = scipy.sparse.csr_matrix((np.zeros(op.m, dtype), self.hi, self.indptr), shape=(op.d, op.d))
            self.Tt = self.T.T  # CSC view: shares T.data, so one write updates both
            self.e = np.empty(op.m, dtype)
            self.b1 = np.empty((min(op.m, COMPLETION_BLOCK), 0), dtype)
        self._fn = None

    def __call__(self, U: np.ndarray, G: np.ndarray, quad: np.ndarray, mu: float) -> None:
        K, d, r = U.shape
        self.op.counts["forward"] += K
        self.op.counts["adjoint"] += K
        if self.backend == "numba":
            if self._fn is None:
                self._fn = numba_kernel(r)
            g_diag, g_off = mu * self.c_diag, 0.5 * mu * self.c_off  # mu A*(e): sqrt(D/m) e, sqrt(D/m) e / sqrt 2
            for k in range(K):
                quad[k] = self._fn(self.indptr, self.hi, self.ys, U[k], G[k], self.c_diag, self.c_off, g_diag, g_off)
            return
        for k in range(K):
            quad[k] = self._numpy_one(U[k], G[k], mu)

    def _numpy_one(self, U: np.ndarray, G: np.ndarray, mu: float) -> float:
        r = U.shape[1]
        n = self.e.size
        blk = min(n, COMPLETION_BLOCK)
        if self.b1.shape[1] != r:
            self.b1, self.b2 = np.empty((blk, r), self.dtype), np.empty((blk, r), self.dtype)
        e = self.e
        for s in range(0, n, blk):
            t = min(n, s + blk)
            b1, b2 = self.b1[:t - s], self.b2[:t - s]
            U.take(self.lo[s:t], axis=0, out=b1)
            U.take(self.hi_p[s:t], axis=0, out=b2)
            np.einsum("ij,ij->i", b1, b2, out=e[s:t])  # (U U^T)_{ij} on the block
        e *= self.coef
        e -= self.ys
        q = float(e @ e)
        np.multiply(e, self.h, out=self.T.data)
        self.T.data *= self.dtype.type(mu)
        np.add(self.T @ U, self.Tt @ U, out=G)
        return q


# =================================================================== numba
_NUMBA = []


def _numba():
    """The numba module, or None when it is not installed (imported on first use only)."""
    if not _NUMBA:
        try:
            with warnings.catch_warnings():  # a notice numba prints on import is not ours to fail on
                warnings.simplefilter("ignore")
                import numba
        except Exception:  # pragma: no cover - not installed, or built for another numpy
            numba = None
        _NUMBA.append(numba)
    return _NUMBA[0]


_KERNELS: dict = {}

_GENERIC = '''
def kernel(indptr, indices, y, U, G, c_diag, c_off, g_diag, g_off):
    d = indptr.shape[0] - 1
    R = U.shape[1]
    q = 0.0
    ui = np.empty(R)
    acc = np.empty(R)
    G[:, :] = 0.0
    for i in range(d):
        for c in range(R):
            ui[c] = U[i, c]
            acc[c] = 0.0
        for k in range(indptr[i], indptr[i + 1]):
            j = indices[k]
            s = 0.0
            for c in range(R):
                s += ui[c] * U[j, c]
            if j == i:
                e = c_diag * s - y[k]
                q += e * e
                h = g_diag * e
                for c in range(R):
                    acc[c] += h * ui[c]
            else:
                e = c_off * s - y[k]
                q += e * e
                h = g_off * e
                for c in range(R):
                    acc[c] += h * U[j, c]
                    G[j, c] += h * ui[c]
        for c in range(R):
            G[i, c] += acc[c]
    return q
'''


def _specialised_source(R: int) -> str:
    ind = " " * 12
    return "\n".join([
        "def kernel(indptr, indices, y, U, G, c_diag, c_off, g_diag, g_off):",
        "    d = indptr.shape[0] - 1",
        "    q = 0.0",
        "    G[:, :] = 0.0",
        "    for i in range(d):",
        *[f"        u{c} = U[i, {c}]" for c in range(R)],
        *[f"        a{c} = 0.0" for c in range(R)],
        "        for k in range(indptr[i], indptr[i + 1]):",
        f"{ind}j = indices[k]",
        f"{ind}s = " + " + ".join(f"u{c} * U[j, {c}]" for c in range(R)),
        f"{ind}if j == i:",
        f"{ind}    e = c_diag * s - y[k]",
        f"{ind}    q += e * e",
        f"{ind}    h = g_diag * e",
        *[f"{ind}    a{c} += h * u{c}" for c in range(R)],
        f"{ind}else:",
        f"{ind}    e = c_off * s - y[k]",
        f"{ind}    q += e * e",
        f"{ind}    h = g_off * e",
        *[f"{ind}    a{c} += h * U[j, {c}]" for c in range(R)],
        *[f"{ind}    G[j, {c}] += h * u{c}" for c in range(R)],
        *[f"        G[i, {c}] += a{c}" for c in range(R)],
        "    return q",
    ])


def numba_kernel(R: int):
    """The compiled completion kernel for r-hat = R (cached per process).

    ``kernel(indptr, indices, y, U, G, c_diag, c_off, g_diag, g_off) -> q`` reads the upper
    triangle's CSR pattern row by row, each observed entry (i, j), i <= j, once: it forms
    ``s = U_i . U_j``, the residual ``e = c s - y`` (``c = c_diag = sqrt(D/m)`` on the diagonal,
    ``c_off = sqrt(2D/m)`` off it), adds ``e^2`` to q, and the entry's part of ``mu A*(e) U``:
    ``g_diag e U_i`` to row i on the diagonal (``g_diag = mu sqrt(D/m)``), ``g_off e U_j`` to row i
    and ``g_off e U_i`` to row j off it (``g_off = mu sqrt(D/m) / sqrt 2``). Row i accumulates in
    registers (the source is specialised to R up to :data:`NUMBA_SPECIALISE_MAX_R`); row j is
    the one scatter. Measured at d = 10^4, |Omega| = 10^6, R = 5: about the time of one bare
    scipy sparse matmul with A*(w) (tests/benchmarks/test_bench_structured.py).
    """
    if R not in _KERNELS:
        numba = _numba()
        src = _specialised_source(R) if R <= NUMBA_SPECIALISE_MAX_R else _GENERIC
        ns: dict = {"np": np}
        exec(compile(src, f"<sensing.factored completion kernel r={R}>", "exec"), ns)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", getattr(numba, "NumbaWarning", Warning))
            _KERNELS[R] = _WarningFree(numba.njit(boundscheck=False, nogil=True)(ns["kernel"]))
    return _KERNELS[R]


class _WarningFree:
    """Calls a numba dispatcher; its compilation (at the first call per dtype) runs with numba's
    own warnings silenced, so a test run with ``-W error`` does not fail on a numba notice."""

    def __init__(self, fn):
        self.fn = fn
        self.seen: set = set()

    def __call__(self, indptr, indices, y, U, G, *coefs):
        key = (y.dtype, U.dtype, indices.dtype)
        if key in self.seen:
            return self.fn(indptr, indices, y, U, G, *coefs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", getattr(_numba(), "NumbaWarning", Warning))
            out = self.fn(indptr, indices, y, U, G, *coefs)
        self.seen.add(key)
        return out
