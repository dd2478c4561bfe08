"""Compiled (numba) per-trajectory passes of the batched Gram/dense step; imported only through
:mod:`sensing._batched`. Each works on a range of trajectories ``k0 <= k < k1`` (``nogil``), so that
the threads of a split batch run them on disjoint blocks, one call per block and phase: no Python
between a trajectory's small products and its gather or scatter, and each trajectory's ``Z`` or
``M`` is still in cache when it is read. Serial loops, no numba threading: nothing spins between
the steps' GEMMs.

The small products are ``np.dot`` on C-contiguous 2-D operands, which numba hands to scipy's BLAS
as one ``gemm`` without transposition flags. ``U U^T`` is formed as ``U (U^T)`` from a transposed
copy of ``U``: OpenBLAS's non-transposed kernel runs a 50 x 50 x 50 product in 4.6 us (5.4 us
with the copy), against 6.2 us for numpy's stacked ``U @ U.T`` and 7.0 us for a ``gemm`` with a
transposed operand (one core, measured on the development machine; docs/benchmarks.md).
"""
import numpy as np
from numba import njit


@njit(cache=True, boundscheck=False, nogil=True)
def pre(U, Z, W, e, flat, w, z0, k0, k1, per_trajectory):  # pragma: no cover - compiled
    """``Z_k <- U_k U_k^T`` and ``e_k <- w * svec(Z_k) - z0`` for ``k0 <= k < k1``.

    ``U`` is (K, d, r), ``e`` (K, D), ``W`` an (r, d) scratch for ``U_k^T``. ``Z`` is the batch's
    (K, d, d) buffer when ``per_trajectory``, else a (1, d, d) scratch that every k reuses."""
    _, d, r = U.shape
    D = flat.shape[0]
    for k in range(k0, k1):
        Uk = U[k]
        for i in range(d):
            for j in range(r):
                W[j, i] = Uk[i, j]
        Zk = Z[k] if per_trajectory else Z[0]
        np.dot(Uk, W, Zk)
        Zf = Zk.reshape(d * d)
        for j in range(D):
            e[k, j] = w[j] * Zf[flat[j]] - z0[j]


@njit(cache=True, boundscheck=False, nogil=True)
def post(g, outw, flat, flat_t, M, MU, U, k0, k1, per_trajectory, update):  # pragma: no cover
    """``M_k <- smat(outw * g_k)`` (both triangles), ``MU_k <- M_k U_k`` and, with ``update``,
    ``U_k <- U_k - MU_k`` for ``k0 <= k < k1``.

    ``M`` and ``MU`` are the batch's (K, d, d) and (K, d, r) buffers when ``per_trajectory``,
    else (1, ...) scratch that every k reuses. Entries of M that no coordinate addresses (the
    diagonal blocks of a lifted rectangular problem) are never written: they keep the zeros the
    buffer was allocated with."""
    _, d, r = U.shape
    D = flat.shape[0]
    for k in range(k0, k1):
        Mk = M[k] if per_trajectory else M[0]
        MUk = MU[k] if per_trajectory else MU[0]
        Mf = Mk.reshape(d * d)
        for j in range(D):
            v = outw[j] * g[k, j]
            Mf[flat[j]] = v
            Mf[flat_t[j]] = v
        Uk = U[k]
        np.dot(Mk, Uk, MUk)
        if update:
            for i in range(d):
                for j in range(r):
                    Uk[i, j] -= MUk[i, j]
