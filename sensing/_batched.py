"""The batched Gram/dense step of :class:`sensing.descent.GradientStep` split over the BLAS threads.

At d = 50, r-hat = 50 the operator product of a batch is one GEMM, ``(K x D)(D x D)``, that
OpenBLAS spreads over its threads; but every trajectory also needs ``U U^T`` and ``M U``
(``4 d^2 r`` FLOPs as 2K products of 50 x 50 x 50, each below OpenBLAS's threading threshold, so
single-threaded), the svec gather and the smat scatter (memory passes over ``(K, D)`` and
``(K, d, d)`` arrays). Measured with 2 threads at K = 64 (docs/benchmarks.md, "The batched step
near the floor"): about 35 us of single-threaded work per trajectory next to the GEMM's 60-70 us,
and OpenBLAS's worker spinning (or, on a loaded machine, waiting at the GEMM's barrier) while it runs.

:class:`Passes` cuts the batch into one contiguous block of trajectories per thread (as many
threads as BLAS may use, so ``threadpool_limits`` and the test suite's one-thread pinning apply)
and runs, in each thread and with BLAS on one thread, the block's whole step: ``Z = U U^T``, the
gather, the block's operator product (rows of the GEMM), its quadratic forms, the scatter and
``M U``, sub-block by sub-block (:data:`SUB_BLOCK`) so that each sub-block is in cache between its
gather/scatter and its small products. The blocks need nothing from each other: no thread waits
for another within a step. With numba (the ``[fast]`` extra) the gather and the scatter are one
fused pass each (:mod:`sensing._batched_kernels`), else numpy's ``take`` and ufuncs. A trajectory's
results differ from the unsplit step only by the GEMM's blocking (round-off).

Set ``SENSING_NUMBA=0`` (as for :mod:`sensing.factored`) to use the numpy gather/scatter.
"""
from __future__ import annotations

import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .factored import USE_NUMBA, _numba

#: Batches whose small products (``K * 4 d^2 r`` FLOPs a step) are below this run on the
#: calling thread: handing a block to another thread costs tens of microseconds a step.
#: 2**22 is K = 9 at d = r = 50.
MIN_WORK = 2 ** 22

#: ``d^2 r`` above which OpenBLAS threads one ``(d x r)(r x d)`` product by itself
#: (``SMP_THRESHOLD_MIN * GEMM_MULTITHREAD_THRESHOLD`` = 65536 * 4 in its interface/gemm.c):
#: there the unsplit step's small products already use every thread, and the split is not
#: measured; it is kept to the sizes it was measured at.
MAX_SMALL_PRODUCT = 65536 * 4

#: Trajectories per sub-block of a thread's block: gather/scatter and small products of 32
#: trajectories (640 kB of Z or M at d = 50) stay in cache between them; measured on this
#: machine, blocks of 16-32 are ~25% faster than one pass over the whole block.
SUB_BLOCK = 32

_KERNELS: list = []


def kernels():
    """The compiled gather/scatter module, or None (numba missing, or ``SENSING_NUMBA=0``)."""
    if not _KERNELS:
        mod = None
        if USE_NUMBA and _numba() is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                from . import _batched_kernels as mod
        _KERNELS.append(mod)
    return _KERNELS[0]


_CONTROLLER: list = []


def blas_threads() -> int:
    """The BLAS thread limit in force now (``threadpoolctl``; the smallest over the loaded BLAS)."""
    if not _CONTROLLER:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER.append(ThreadpoolController())
    n = [lib.num_threads for lib in _CONTROLLER[0].select(user_api="blas").lib_controllers]
    return max(1, min(n)) if n else 1


def _blas_libs() -> list:
    """threadpoolctl's controllers of the loaded BLAS libraries (cached)."""
    blas_threads()
    return _CONTROLLER[0].select(user_api="blas").lib_controllers


def wanted(K: int, d: int, r: int) -> bool:
    """Whether a batch of K trajectories of a (d, r) factor is split over threads."""
    return K >= 2 and 4 * K * d * d * r >= MIN_WORK and d * d * r <= MAX_SMALL_PRODUCT and blas_threads() > 1


_POOL: list = []
_POOL_LOCK = threading.Lock()


def _pool(workers: int) -> ThreadPoolExecutor:
    """A shared pool of at least ``workers`` threads (grown, never shrunk)."""
    with _POOL_LOCK:
        if not _POOL or _POOL[0]._max_workers < workers:
            if _POOL:
                _POOL.pop().shutdown(wait=False)
            _POOL.append(ThreadPoolExecutor(workers, thread_name_prefix="sensing-batch"))
        return _POOL[0]


class Passes:
    """A batched step split into ``n`` blocks of trajectories (:meth:`evaluate`): per block
    ``Z = U U^T``, ``e = w * svec(Z) - z0``, the block's operator product and quadratic forms,
    ``M = smat(outw * g)`` and ``MU = M U``. The calling thread runs the first block and waits
    for the rest; the caller then does ``U <- U - MU``."""

    def __init__(self, normal, U: np.ndarray, Z: np.ndarray, M: np.ndarray, MU: np.ndarray,
                 threads: int | None = None):
        K, d, r = U.shape
        self.normal, self.U, self.Z, self.M, self.MU = normal, U, Z, M, MU
        self._Ut = U.transpose(0, 2, 1)
        self.n = n = max(1, min(K, blas_threads() if threads is None else int(threads)))
        edges = np.linspace(0, K, n + 1).round().astype(int)
        self.blocks = [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]
        self.pool = _pool(n - 1) if n > 1 else None
        dt = U.dtype
        self.flat = np.ascontiguousarray(normal.flat, dtype=np.intp)
        a, b = np.divmod(self.flat, d)
        self.flat_t = np.ascontiguousarray(b * d + a)
        self.w = np.ascontiguousarray(normal.w, dtype=dt)
        self.z0 = (np.ascontiguousarray(normal.z0, dtype=dt) if normal.mode == "gram"
                   else np.zeros(self.flat.size, dtype=dt))
        self.kern = kernels()
        if self.kern is not None:  # compile (or load from numba's cache) now, warnings silenced
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                z = np.zeros((1, d * d), dtype=dt)
                for e in (np.zeros((1, self.flat.size), dtype=dt),  # and a padded g's layout
                          np.zeros((1, self.flat.size + 1), dtype=dt)[:, :-1]):
                    self.kern.gather(z, e, self.flat, self.w, self.z0, 0, 1)
                    self.kern.scatter(e, z.copy(), self.flat, self.flat_t, self.w, 0, 1)

    def _run(self, fn, *args) -> None:
        if self.pool is None:
            fn(*self.blocks[0], *args)
            return
        futures = [self.pool.submit(fn, k0, k1, *args) for k0, k1 in self.blocks[1:]]
        fn(*self.blocks[0], *args)
        for f in futures:
            f.result()

    def evaluate(self, e: np.ndarray, g: np.ndarray, r, q: np.ndarray, outw: np.ndarray) -> None:
        """The whole step but ``U <- U - MU``, block by block, each block in its own thread with
        BLAS on one thread (``Z``, ``e``, the block's operator product, ``q``, ``M`` and ``MU = M U``):
        the blocks need nothing from each other, so no thread waits for another within a step, and
        no BLAS worker spins while the small products run."""
        normal, K = self.normal, self.U.shape[0]
        if normal.mode == "gram":
            normal.op.counts["gram"] += K
        else:
            normal.op.counts["forward"] += K
            normal.op.counts["adjoint"] += K
        libs = _blas_libs()
        saved = [lib.num_threads for lib in libs]
        for lib in libs:
            lib.set_num_threads(1)
        try:
            self._run(self._block, e, g, r, q, outw)
        finally:
            for lib, n in zip(libs, saved):
                lib.set_num_threads(n)

    def _block(self, k0: int, k1: int, e, g, r, q, outw) -> None:
        self._pre(k0, k1, e)
        s = slice(k0, k1)
        self.normal._product(e[s], g[s], None if r is None else r[s], q[s], count=False)
        self._post(k0, k1, g, outw)

    def _pre(self, k0: int, k1: int, e: np.ndarray) -> None:
        U, Ut, Z = self.U, self._Ut, self.Z
        Zf = Z.reshape(Z.shape[0], -1)
        for a in range(k0, k1, SUB_BLOCK):
            b = min(a + SUB_BLOCK, k1)
            np.matmul(U[a:b], Ut[a:b], out=Z[a:b])
            if self.kern is not None:
                self.kern.gather(Zf, e, self.flat, self.w, self.z0, a, b)
                continue
            Zf[a:b].take(self.flat, axis=1, out=e[a:b], mode="clip")
            np.multiply(e[a:b], self.w, out=e[a:b])
            np.subtract(e[a:b], self.z0, out=e[a:b])

    def _post(self, k0: int, k1: int, g: np.ndarray, outw: np.ndarray) -> None:
        """``M_k <- smat(outw * g_k)`` and ``MU_k <- M_k U_k`` (``U`` itself is left to the caller)."""
        M, U, MU = self.M, self.U, self.MU
        Mf = M.reshape(M.shape[0], -1)
        for a in range(k0, k1, SUB_BLOCK):
            b = min(a + SUB_BLOCK, k1)
            if self.kern is not None:
                self.kern.scatter(g, Mf, self.flat, self.flat_t, outw, a, b)
            else:
                gs = g[a:b]
                np.multiply(gs, outw, out=gs)
                Mf[a:b, self.flat] = gs
                Mf[a:b, self.flat_t] = gs
            np.matmul(M[a:b], U[a:b], out=MU[a:b])
