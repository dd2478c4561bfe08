"""Ground truths Z* = X X^T >= 0 of rank r* and the spectral quantities the theorems use.

Paper notation (§1, §3 and Appendix A of Jin et al. 2023): the eigenvalues of Z* are
sigma_1^2 > ... > sigma_{r*}^2 > 0 with unit eigenvectors v_1, ..., v_{r*}; X = [sigma_i v_i] has
orthogonal columns; X_s X_s^T is the best rank-s approximation (truncated SVD); the degeneracy
constant is kappa* = sigma_1^2 / min_s (sigma_s^2 - sigma_{s+1}^2) with sigma_{r*+1} = 0.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.stats

from . import tolerances
from ._validation import as_float_array, check_symmetric, nonneg_int


@dataclass(frozen=True, init=False, eq=False)
class GroundTruth:
    """A PSD ground truth ``Z* = X X^T`` with its eigen-decomposition.

    Attributes
    ----------
    Z : (d, d) ndarray
        The ground truth Z*, formed from ``eigenvectors`` and ``eigenvalues`` on first use when
        it was not given (``Z=None``): at d in the thousands (the structured operators) an
        instance is built, measured and run from its factor without the d x d matrix.
    eigenvalues : (r*,) ndarray
        sigma_1^2 >= ... >= sigma_{r*}^2 > 0, decreasing.
    eigenvectors : (d, r*) ndarray
        Orthonormal v_1, ..., v_{r*} (unit vectors, as in the paper's appendix).
    factor : (d, r*) ndarray
        The factor the instance was drawn from (Gaussian draw) or ``V diag(sigma)``.
    """

    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    factor: np.ndarray = field(repr=False)

    def __init__(self, Z, eigenvalues, eigenvectors, factor):
        for name, value in (("eigenvalues", eigenvalues), ("eigenvectors", eigenvectors), ("factor", factor)):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_Z", Z)

    @property
    def Z(self) -> np.ndarray:
        """Z* (d x d; formed once, read-only)."""
        if self._Z is None:
            V, w = self.eigenvectors, self.eigenvalues
            Z = (V * w) @ V.T
            Z = 0.5 * (Z + Z.T)
            Z.setflags(write=False)
            object.__setattr__(self, "_Z", Z)
        return self._Z

    @property
    def d(self) -> int:
        return self.eigenvectors.shape[0]

    @property
    def rank(self) -> int:
        """r*, the rank of Z*."""
        return self.eigenvalues.size

    @property
    def X(self) -> np.ndarray:
        """``X = [sigma_1 v_1, ..., sigma_{r*} v_{r*}]`` with orthogonal columns."""
        return self.eigenvectors * np.sqrt(self.eigenvalues)

    @property
    def sigmas(self) -> np.ndarray:
        """Singular values sigma_i of X (square roots of the eigenvalues)."""
        return np.sqrt(self.eigenvalues)

    @property
    def gaps(self) -> np.ndarray:
        """sigma_s^2 - sigma_{s+1}^2 for s = 1..r*, with sigma_{r*+1} = 0."""
        return self.eigenvalues - np.append(self.eigenvalues[1:], 0.0)

    @property
    def kappa(self) -> float:
        """Degeneracy constant kappa* = sigma_1^2 / min_s (sigma_s^2 - sigma_{s+1}^2); ``inf`` for a
        repeated eigenvalue (tau = 0)."""
        tau = float(np.min(self.gaps))
        return float(self.eigenvalues[0] / tau) if tau > 0 else float("inf")

    @property
    def tau(self) -> float:
        """tau = min_s (sigma_s^2 - sigma_{s+1}^2) = ||X||^2 / kappa* (Appendix notation)."""
        return float(np.min(self.gaps))

    def X_s(self, s: int) -> np.ndarray:
        """``X_s = [sigma_1 v_1, ..., sigma_s v_s]``, shape (d, s)."""
        s = nonneg_int(s, "s", minimum=1, maximum=self.rank)
        return self.X[:, :s]

    def truncated(self, s: int) -> np.ndarray:
        """The truncated SVD ``X_s X_s^T`` (best rank-s approximation of Z*)."""
        Xs = self.X_s(s)
        return Xs @ Xs.T


def _from_eig(w: np.ndarray, V: np.ndarray, factor: np.ndarray | None = None) -> GroundTruth:
    """The ground truth ``V diag(w) V^T``; its Z is formed on first use (:attr:`GroundTruth.Z`)."""
    for a in (w, V):
        a.setflags(write=False)
    return GroundTruth(None, w, V, V * np.sqrt(w) if factor is None else factor)


#: Largest d at which :func:`ground_truth_from_spectrum` draws the whole d x d Haar matrix
#: (``scipy.stats.ortho_group``, kept so that seeded instances reproduce bit for bit); above it
#: the same normals are read row block by row block and only the r* columns it keeps are
#: orthogonalised (32 MB of Haar matrix at d = 2048, against 800 MB and a d^3 QR at d = 10^4).
HAAR_DENSE_MAX_D = 2048


def haar_frame(d: int, k: int, rng) -> np.ndarray:
    """The first ``k`` columns of ``scipy.stats.ortho_group.rvs(d, random_state=rng)`` without
    the d x d matrix: ortho_group takes the Q of a (d, d) standard normal ``z`` with the signs of
    R's diagonal, and the first k columns of that Q are the Q of ``z[:, :k]`` (Householder column
    j depends on columns 0..j only). ``z`` is drawn row block by row block from the same stream,
    so the frame is the same draw to round-off (a thin QR instead of a full one), in O(d k)
    memory; rng is advanced past the whole ``z``, as ortho_group leaves it."""
    z = np.empty((d, k))
    rows = max(1, (1 << 22) // d)  # 32 MB of normals per block
    for a in range(0, d, rows):
        b = min(a + rows, d)
        z[a:b] = rng.standard_normal((b - a, d))[:, :k]
    q, r = np.linalg.qr(z)
    diag = np.diagonal(r)
    return np.ascontiguousarray(q * (diag / np.abs(diag)))


def ground_truth_from_spectrum(eigenvalues, d: int, rng=None) -> GroundTruth:
    """Z* with prescribed eigenvalues and Haar-random eigenvectors.

    Parameters
    ----------
    eigenvalues : array_like, shape (r*,)
        Non-increasing positive eigenvalues sigma_1^2 >= ... >= sigma_{r*}^2 > 0. A repeated
        eigenvalue is allowed (tau = 0): such a Z* violates the paper's eigengap assumption and
        has non-unique rank-s minimisers at the repeat, which is what negative controls need.
    d : int
        Ambient dimension, ``d >= r*``.
    rng : numpy.random.Generator, int or None
        Seed or generator (SPEC 7); the eigenvectors are the first r* columns of a Haar
        orthogonal matrix (``scipy.stats.ortho_group``; above :data:`HAAR_DENSE_MAX_D` the same
        columns drawn without the d x d matrix, :func:`haar_frame`).
    """
    w = as_float_array(eigenvalues, "eigenvalues", ndim=1)
    d = nonneg_int(d, "d", minimum=1)
    if w.size > d:
        raise ValueError(f"eigenvalues has {w.size} entries but d = {d}; need r* <= d")
    if np.any(w <= 0):
        raise ValueError(f"eigenvalues must be positive (Z* is PSD of rank r*), got {w}")
    if np.any(np.diff(w) > 0):
        raise ValueError(f"eigenvalues must be non-increasing (sorted, largest first), got {w}")
    rng = np.random.default_rng(rng)
    if d == 1:
        V = np.ones((1, 1))
    elif d <= HAAR_DENSE_MAX_D:
        V = np.ascontiguousarray(scipy.stats.ortho_group.rvs(d, random_state=rng)[:, : w.size])
    else:
        V = haar_frame(d, w.size, rng)
    return _from_eig(w.copy(), V)


def gaussian_ground_truth(d: int, rank: int, rng=None) -> GroundTruth:
    """The paper's experimental draw (§6): ``X`` with i.i.d. N(0, 1) entries, ``Z* = X X^T``.

    The columns of this X are not orthogonal; ``GroundTruth.X`` is the orthogonal-column factor
    of the same Z*, and ``factor`` keeps the drawn X.
    """
    d = nonneg_int(d, "d", minimum=1)
    rank = nonneg_int(rank, "rank", minimum=1, maximum=d)
    X = np.random.default_rng(rng).standard_normal((d, rank))
    w, V = np.linalg.eigh(X @ X.T)
    w, V = w[::-1][:rank], np.ascontiguousarray(V[:, ::-1][:, :rank])
    return _from_eig(w, V, X)


def ground_truth_from_matrix(Z, rank: int | None = None) -> GroundTruth:
    """Wrap a caller's PSD matrix ``Z``; its rank is detected (or given by ``rank``).

    Raises ``ValueError`` when Z is not symmetric, not finite, or has a negative eigenvalue
    beyond round-off.
    """
    Z = as_float_array(Z, "Z", ndim=2)
    check_symmetric(Z, "Z")
    Z = 0.5 * (Z + Z.T)
    w, V = np.linalg.eigh(Z)
    w, V = w[::-1], V[:, ::-1]
    floor = tolerances.rtol_exact() * Z.shape[0] * max(abs(w[0]), abs(w[-1]), 1e-300)
    if w[-1] < -floor:
        raise ValueError(f"Z must be positive semidefinite, but its smallest eigenvalue is {w[-1]:.3g}")
    detected = int(np.count_nonzero(w > floor))
    if rank is None:
        rank = detected
    rank = nonneg_int(rank, "rank", minimum=1, maximum=Z.shape[0])
    if detected != rank:
        raise ValueError(f"rank={rank} requested but Z has {detected} eigenvalues above round-off")
    return _from_eig(w[:rank].copy(), np.ascontiguousarray(V[:, :rank]))
