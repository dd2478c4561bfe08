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


@dataclass(frozen=True)
class GroundTruth:
    """A PSD ground truth ``Z* = X X^T`` with its eigen-decomposition.

    Attributes
    ----------
    Z : (d, d) ndarray
        The ground truth Z*.
    eigenvalues : (r*,) ndarray
        sigma_1^2 >= ... >= sigma_{r*}^2 > 0, decreasing.
    eigenvectors : (d, r*) ndarray
        Orthonormal v_1, ..., v_{r*} (unit vectors, as in the paper's appendix).
    factor : (d, r*) ndarray
        The factor the instance was drawn from (Gaussian draw) or ``V diag(sigma)``.
    """

    Z: np.ndarray
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    factor: np.ndarray = field(repr=False)

    @property
    def d(self) -> int:
        return self.Z.shape[0]

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
    Z = (V * w) @ V.T
    Z = 0.5 * (Z + Z.T)
    for a in (w, V, Z):
        a.setflags(write=False)
    return GroundTruth(Z, w, V, V * np.sqrt(w) if factor is None else factor)


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
        orthogonal matrix (``scipy.stats.ortho_group``).
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
    Q = scipy.stats.ortho_group.rvs(d, random_state=rng) if d > 1 else np.ones((1, 1))
    return _from_eig(w.copy(), np.ascontiguousarray(Q[:, : w.size]))


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
