"""The batched Gram/dense step of :class:`sensing.descent.GradientStep` split over the BLAS threads.

At d = 50, r-hat = 50 the operator product of a batch is one GEMM, ``(K x D)(D x D)``, that
OpenBLAS spreads over its threads; but every trajectory also needs ``U U^T`` and ``M U``
(``4 d^2 r`` FLOPs as 2K products of 50 x 50 x 50, each below OpenBLAS's threading threshold, so
single-threaded), the svec gather and the smat scatter (memory passes over ``(K, D)`` and
``(K, d, d)`` arrays). Measured on one core (docs/benchmarks.md, "The batched step near the
floor"): 15-18 us of small products and gathers per trajectory next to a 2-thread GEMM of 39-43 us,
with OpenBLAS's worker spinning (or, on a loaded machine, waiting at the GEMM's barrier) while
they run single-threaded.

:class:`Passes` cuts the batch into one contiguous block of trajectories per thread (as many
threads as BLAS may use, so ``threadpool_limits`` and the test suite's one-thread pinning apply)
and runs each block in its own thread with BLAS on one thread. In Gram mode a step has three
phases separated by a barrier: each block forms ``Z = U U^T`` and the svec gather ``e`` of its
trajectories; then each thread computes its share of *columns* of ``g = e G`` for all K
trajectories (a column block reads 1/n of G for all rows, as OpenBLAS's own threading does; a row
block would read all of G for K/n rows, measured 2.2x slower per trajectory at K = 64); then each
block forms its quadratic forms, the smat scatter ``M`` and ``M U``. In dense mode (two GEMMs with a
residual between them) each block runs its own rows of both products and no thread waits for
another. In a fused step (:meth:`sensing.descent.GradientStep.step`, every step the loop records
nothing at) ``U <- U - M U`` is done in the same pass, and ``Z``, ``M``, ``MU`` live in per-thread
scratch instead of (K, d, d) buffers.

With numba (the ``[fast]`` extra) each block's passes are one compiled call per phase
(:mod:`sensing._batched_kernels`): per trajectory, ``U U^T`` from a transposed copy of ``U`` (a
``gemm`` without transposition flags, 14% faster than numpy's stacked ``U @ U.T`` at 50 x 50 x 50)
and its gather, or the scatter, ``M U`` and the update, with no Python between them. Without numba
the passes run sub-block by sub-block (:data:`SUB_BLOCK`) through numpy's ``matmul``, ``take`` and
ufuncs, so that each sub-block is in cache between its gather/scatter and its small products. A
trajectory's results differ from the unsplit step only by the GEMM's blocking (round-off).

Set ``SENSING_NUMBA=0`` (as for :mod:`sensing.factored`) to use the numpy passes.
"""
from __future__ import annotations

import threading
import warnings
from contextlib import contextmanager
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

#: Trajectories per sub-block of a thread's block in the numpy passes: gather/scatter and small
#: products of 32 trajectories (640 kB of Z or M at d = 50) stay in cache between them; measured
#: on this machine, blocks of 16-32 are ~25% faster than one pass over the whole block. (The
#: compiled passes go trajectory by trajectory.)
SUB_BLOCK = 32

_KERNELS: list = []


def kernels():
    """The compiled per-block passes, or None (numba missing, or ``SENSING_NUMBA=0``)."""
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


_LIBS: list = []


def _blas_libs() -> list:
    """threadpoolctl's controllers of the BLAS libraries loaded when first asked (cached, like the
    controller :func:`blas_threads` reads: a split step sets them twice, and selecting them anew
    cost more than both settings)."""
    if not _LIBS:
        blas_threads()
        _LIBS.append(_CONTROLLER[0].select(user_api="blas").lib_controllers)
    return _LIBS[0]


def wanted(K: int, d: int, r: int) -> bool:
    """Whether a batch of K trajectories of a (d, r) factor is split over threads."""
    return K >= 2 and 4 * K * d * d * r >= MIN_WORK and d * d * r <= MAX_SMALL_PRODUCT and blas_threads() > 1


_LOCAL = threading.local()


def _pool(workers: int) -> ThreadPoolExecutor:
    """The calling thread's own pool of at least ``workers`` threads (grown, never shrunk).

    Per calling thread because a Gram step's blocks meet at a barrier (:meth:`Passes._phased`):
    all ``n`` of them must run at once, which a pool shared with another caller's blocks (two
    threads each running :func:`sensing.gradient_descent`) could not promise."""
    pool = getattr(_LOCAL, "pool", None)
    if pool is None or pool._max_workers < workers:
        if pool is not None:
            pool.shutdown(wait=False)
        pool = _LOCAL.pool = ThreadPoolExecutor(workers, thread_name_prefix="sensing-batch")
    return pool


_LIMIT_LOCK = threading.Lock()
_LIMIT = {"depth": 0, "saved": []}


@contextmanager
def _one_blas_thread():
    """BLAS on one thread while any split step runs; the limit in force before the first of them
    is restored after the last (the limit is process-wide: two threads each saving and restoring
    it could leave it at 1)."""
    with _LIMIT_LOCK:
        if _LIMIT["depth"] == 0:
            libs = _blas_libs()
            _LIMIT["saved"] = [lib.num_threads for lib in libs]
            for lib in libs:
                lib.set_num_threads(1)
        _LIMIT["depth"] += 1
    try:
        yield
    finally:
        with _LIMIT_LOCK:
            _LIMIT["depth"] -= 1
            if _LIMIT["depth"] == 0:
                for lib, n in zip(_blas_libs(), _LIMIT["saved"]):
                    lib.set_num_threads(n)


#: Column blocks of a split Gram product start at multiples of this (OpenBLAS's Haswell dgemm
#: kernel works on panels of 4 and 8 columns; 16 keeps every block's panels whole).
COLUMN_ALIGN = 16


class Passes:
    """A batched step split into ``n`` blocks of trajectories (:meth:`evaluate`): per block
    ``Z = U U^T``, ``e = w * svec(Z) - z0``, the operator product (Gram mode: a column block of it
    for all trajectories, between two barriers; dense mode: the block's rows), the quadratic
    forms, ``M = smat(outw * g)``, ``MU = M U`` and, in a fused step, ``U <- U - MU``. The calling
    thread runs the first block and the calling thread's own pool the rest."""

    def __init__(self, normal, U: np.ndarray, Z: np.ndarray, M: np.ndarray, MU: np.ndarray,
                 threads: int | None = None):
        K, d, r = U.shape
        self.normal, self.U, self.Z, self.M, self.MU = normal, U, Z, M, MU
        self._Ut = U.transpose(0, 2, 1)
        self.n = n = max(1, min(K, blas_threads() if threads is None else int(threads)))
        edges = np.linspace(0, K, n + 1).round().astype(int)
        self.blocks = [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]
        self.pool = _pool(n - 1) if n > 1 else None
        # Gram mode: the operator product is split by columns of G, not by trajectories (see
        # _phased); the two cuts meet at a barrier before and after it
        self.phased = n > 1 and normal.mode == "gram"
        if self.phased:
            D = normal.G.shape[1]
            cuts = (np.linspace(0, D, n + 1) / COLUMN_ALIGN).round().astype(int) * COLUMN_ALIGN
            cuts[0], cuts[-1] = 0, D
            self.columns = [(int(a), int(b)) for a, b in zip(cuts[:-1], cuts[1:])]
            self.barrier = threading.Barrier(n)
        dt = U.dtype
        self.flat = np.ascontiguousarray(normal.flat, dtype=np.intp)
        a, b = np.divmod(self.flat, d)
        self.flat_t = np.ascontiguousarray(b * d + a)
        self.w = np.ascontiguousarray(normal.w, dtype=dt)
        self.z0 = (np.ascontiguousarray(normal.z0, dtype=dt) if normal.mode == "gram"
                   else np.zeros(self.flat.size, dtype=dt))
        self.kern = kernels()
        # a fused step's Z, M and MU live only while their trajectory (compiled passes) or
        # sub-block (numpy passes) is in cache: per-thread scratch instead of the (K, d, d)
        # buffers (20 MB at K = 256, d = 50, which with G's 13 MB overflow the L3 cache every
        # step). M's zeros: entries no coordinate addresses stay 0.
        sb = min(SUB_BLOCK, K)
        self.scratch = [(np.empty((sb, d, d), dt), np.zeros((sb, d, d), dt), np.empty((sb, d, r), dt))
                        for _ in range(n)]
        self.transposed = [np.empty((r, d), dt) for _ in range(n)]  # U_k^T for the compiled U U^T
        if self.kern is not None:  # compile (or load from numba's cache) now, warnings silenced
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                Us, Zs, Ms, MUs = (np.zeros(s, dt) for s in ((1, d, r), (1, d, d), (1, d, d), (1, d, r)))
                for e in (np.zeros((1, self.flat.size), dtype=dt),  # and a padded g's layout
                          np.zeros((1, self.flat.size + 1), dtype=dt)[:, :-1]):
                    self.kern.pre(Us, Zs, self.transposed[0], np.zeros((1, self.flat.size), dt), self.flat,
                                  self.w, self.z0, 0, 1, True)
                    self.kern.post(e, self.w, self.flat, self.flat_t, Ms, MUs, Us, 0, 1, True, True)

    def _run(self, fn, *args) -> None:
        if self.pool is None:
            fn(0, *args)
            return
        futures = [self.pool.submit(fn, i, *args) for i in range(1, self.n)]
        errors = []
        try:
            fn(0, *args)
        except BaseException as exc:  # noqa: B036 - re-raised below, after the blocks have stopped
            errors.append(exc)
        for f in futures:
            try:
                f.result()
            except BaseException as exc:  # noqa: B036
                errors.append(exc)
        if errors:
            if self.phased:
                self.barrier.reset()
            # the first real failure, not the BrokenBarrierError it caused in the other blocks
            raise next((x for x in errors if not isinstance(x, threading.BrokenBarrierError)), errors[0])

    def evaluate(self, e: np.ndarray, g: np.ndarray, r, q: np.ndarray, outw: np.ndarray,
                 update: bool = False) -> None:
        """The whole step but ``U <- U - MU`` (with ``update``, that too), block by block, each
        block in its own thread with BLAS on one thread (``Z``, ``e``, the operator product, ``q``,
        ``M`` and ``MU = M U``), so that no BLAS worker spins while the small products run.

        ``update=True`` subtracts ``MU`` while it is in cache; the caller then must not read ``U``
        as ``U_t`` (it is ``U_{t+1}``, ``Z`` still ``U_t U_t^T``). With ``update``, ``q`` may also
        be an ``(n, K)`` array: ``n`` fused steps in one pass of the threads, ``q[s]`` receiving
        step s's quadratic forms (a Gram step then costs two barriers instead of a hand-off to the
        pool, two barriers and a hand-back; dense blocks run all n steps without meeting)."""
        normal, K = self.normal, self.U.shape[0]
        Q = q if q.ndim == 2 else q[None]
        if Q.shape[0] > 1 and not update:
            raise ValueError(f"several steps at once ({Q.shape[0]} rows of q) need update=True")
        if normal.mode == "gram":
            normal.op.counts["gram"] += K * Q.shape[0]
        else:
            normal.op.counts["forward"] += K * Q.shape[0]
            normal.op.counts["adjoint"] += K * Q.shape[0]
        with _one_blas_thread():
            self._run(self._phased if self.phased else self._block, e, g, r, Q, outw, update)

    def _block(self, i: int, e, g, r, Q, outw, update) -> None:
        k0, k1 = self.blocks[i]
        s = slice(k0, k1)
        for q in Q:
            self._pre(i, e, update)
            self.normal._product(e[s], g[s], None if r is None else r[s], q[s], count=False)
            self._post(i, g, outw, update)

    def _phased(self, i: int, e, g, r, Q, outw, update) -> None:
        """Block ``i`` of ``len(Q)`` Gram steps: per step its trajectories' ``Z`` and ``e``; then,
        once every block's ``e`` is there, columns ``c0:c1`` of ``g = e G`` for all K
        trajectories; then, once all of ``g`` is, its trajectories' ``q``, ``M`` and ``M U``. The
        next step's ``e`` needs no barrier before it: no block reads another's ``e`` rows until the
        next step's first barrier, and none writes ``g`` before every block has passed it.

        A block of rows of the GEMM reads all of G for K/n rows; a block of columns reads 1/n of
        G for all K rows, twice the FLOPs per byte of G, which is what OpenBLAS's own threading
        does (measured at d = 50, K = 64, one BLAS thread per block: 97 us per trajectory for the
        32-row half, against 2 x 43 us for the column halves)."""
        k0, k1 = self.blocks[i]
        c0, c1 = self.columns[i]
        try:
            for q in Q:
                self._pre(i, e, update)
                self.barrier.wait()
                np.matmul(e, self.normal.G[:, c0:c1], out=g[:, c0:c1])
                self.barrier.wait()
                np.vecdot(e[k0:k1], g[k0:k1], out=q[k0:k1])
                self._post(i, g, outw, update)
        except BaseException:
            self.barrier.abort()  # the other blocks stop waiting (BrokenBarrierError), none hangs
            raise

    def _buffers(self, i: int, update: bool, a: int, b: int):
        """``(Z, M, MU)`` for trajectories ``a:b`` of block ``i``: views of the batch's own buffers,
        or, in a fused step (``update``), of block i's scratch, which nothing reads after the step."""
        if not update:
            return self.Z[a:b], self.M[a:b], self.MU[a:b]
        Zs, Ms, MUs = self.scratch[i]
        return Zs[:b - a], Ms[:b - a], MUs[:b - a]

    def _pre(self, i: int, e: np.ndarray, update: bool) -> None:
        """``Z_k <- U_k U_k^T`` and ``e_k <- w * svec(Z_k) - z0`` for block ``i``."""
        k0, k1 = self.blocks[i]
        U, Ut = self.U, self._Ut
        if self.kern is not None:  # one compiled pass over the block, trajectory by trajectory
            Z = self.scratch[i][0][:1] if update else self.Z
            self.kern.pre(U, Z, self.transposed[i], e, self.flat, self.w, self.z0, k0, k1, not update)
            return
        for a in range(k0, k1, SUB_BLOCK):
            b = min(a + SUB_BLOCK, k1)
            Z = self._buffers(i, update, a, b)[0]
            np.matmul(U[a:b], Ut[a:b], out=Z)
            Zf, es = Z.reshape(b - a, -1), e[a:b]
            Zf.take(self.flat, axis=1, out=es, mode="clip")
            np.multiply(es, self.w, out=es)
            np.subtract(es, self.z0, out=es)

    def _post(self, i: int, g: np.ndarray, outw: np.ndarray, update: bool) -> None:
        """``M_k <- smat(outw * g_k)``, ``MU_k <- M_k U_k`` and, with ``update``, ``U_k <- U_k - MU_k``
        for block ``i``."""
        k0, k1 = self.blocks[i]
        U = self.U
        if self.kern is not None:
            _, M, MU = self.scratch[i]
            M, MU = (M[:1], MU[:1]) if update else (self.M, self.MU)
            self.kern.post(g, outw, self.flat, self.flat_t, M, MU, U, k0, k1, not update, update)
            return
        for a in range(k0, k1, SUB_BLOCK):
            b = min(a + SUB_BLOCK, k1)
            _, M, MU = self._buffers(i, update, a, b)
            Mf, gs = M.reshape(b - a, -1), g[a:b]
            np.multiply(gs, outw, out=gs)
            Mf[:, self.flat] = gs
            Mf[:, self.flat_t] = gs
            np.matmul(M, U[a:b], out=MU)
            if update:
                np.subtract(U[a:b], MU, out=U[a:b])
