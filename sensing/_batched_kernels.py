"""Compiled (numba) gather and scatter of the batched Gram/dense step; imported only through
:mod:`sensing._batched`. Each works on a range of trajectories ``k0 <= k < k1`` (``nogil``), so that
the threads of a split batch run them on disjoint blocks, each right after (gather) or right
before (scatter) the block's small products, while the block is in cache. Serial loops, no numba
threading: nothing spins between the steps' GEMMs. (The small products themselves stay numpy's
``matmul``: numpy's OpenBLAS runs a 50 x 50 x 50 product in about half the time of the older
scipy OpenBLAS that numba's ``np.dot`` calls, measured on this machine.)
"""
from numba import njit


@njit(cache=True, boundscheck=False, nogil=True)
def gather(Z, e, flat, w, z0, k0, k1):  # pragma: no cover - compiled
    """``e_k <- w * Z_k[flat] - z0`` for ``k0 <= k < k1``; ``Z`` is (K, d*d), ``e`` (K, D)."""
    D = flat.shape[0]
    for k in range(k0, k1):
        for j in range(D):
            e[k, j] = w[j] * Z[k, flat[j]] - z0[j]


@njit(cache=True, boundscheck=False, nogil=True)
def scatter(g, M, flat, flat_t, outw, k0, k1):  # pragma: no cover - compiled
    """``M_k <- smat(outw * g_k)`` (both triangles) for ``k0 <= k < k1``; ``M`` is (K, d*d).

    Entries of M that no coordinate addresses (the diagonal blocks of a lifted rectangular
    problem) are never written: they keep the zeros the buffer was allocated with.
    """
    D = flat.shape[0]
    for k in range(k0, k1):
        for j in range(D):
            v = outw[j] * g[k, j]
            M[k, flat[j]] = v
            M[k, flat_t[j]] = v
