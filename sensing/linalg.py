"""Small linear-algebra helpers: symmetric half-vectorisation and distances up to rotation.

The sensing operator acts on the space S^d of symmetric d x d matrices, of dimension
D = d(d+1)/2. ``svec`` maps S^d isometrically onto R^D (off-diagonal entries scaled by sqrt(2),
so that ``svec(A) @ svec(B) == <A, B>_F``); ``smat`` is its inverse. Both work on stacks of
matrices (leading axes are batch axes).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.linalg


@dataclass(frozen=True)
class SymIndex:
    """Index tables for the half-vectorisation of d x d symmetric matrices."""

    d: int
    flat: np.ndarray  # (D,) flat indices j*d+k of the upper triangle j <= k, row-major
    flat_t: np.ndarray  # (D,) flat indices k*d+j of the mirrored entries
    weight: np.ndarray  # (D,) 1 on the diagonal, sqrt(2) off it
    full: np.ndarray  # (d, d) position in svec of every entry (j, k)

    @property
    def D(self) -> int:
        return self.flat.size


@lru_cache(maxsize=32)
def sym_index(d: int) -> SymIndex:
    """Return the (cached) :class:`SymIndex` for dimension ``d``."""
    rows, cols = np.triu_indices(d)
    full = np.empty((d, d), dtype=np.intp)
    full[rows, cols] = np.arange(rows.size)
    full[cols, rows] = np.arange(rows.size)
    weight = np.where(rows == cols, 1.0, np.sqrt(2.0))
    for a in (rows, cols, full, weight):
        a.setflags(write=False)
    return SymIndex(d, rows * d + cols, cols * d + rows, weight, full)


def svec(Z: np.ndarray) -> np.ndarray:
    """Half-vectorise symmetric ``Z`` (shape ``(..., d, d)``) to ``(..., D)``.

    Reads the upper triangle only; the caller is responsible for ``Z`` being symmetric.
    """
    d = Z.shape[-1]
    idx = sym_index(d)
    return Z.reshape(*Z.shape[:-2], d * d)[..., idx.flat] * idx.weight


def smat(z: np.ndarray, d: int | None = None) -> np.ndarray:
    """Inverse of :func:`svec`: ``(..., D)`` to symmetric ``(..., d, d)``."""
    D = z.shape[-1]
    if d is None:
        d = int(round((np.sqrt(8 * D + 1) - 1) / 2))
    idx = sym_index(d)
    if idx.D != D:
        raise ValueError(f"z has trailing length {D}, which is not d(d+1)/2 for any integer d")
    return (z / idx.weight)[..., idx.full]


def sym(A: np.ndarray) -> np.ndarray:
    """Symmetric part ``(A + A^T) / 2`` over the trailing two axes."""
    return 0.5 * (A + np.swapaxes(A, -1, -2))


def procrustes_distance(U1: np.ndarray, U2: np.ndarray) -> float:
    """Procrustes distance ``min_R ||U1 - U2 R||_F`` over orthogonal R (Definition 3.8).

    The optimal R comes from the SVD of ``U2^T U1`` (Lemma A.10), via
    :func:`scipy.linalg.orthogonal_procrustes`.
    """
    R, _ = scipy.linalg.orthogonal_procrustes(U2, U1)
    return float(np.linalg.norm(U1 - U2 @ R))


def top_eigh(Z: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` eigenpairs of symmetric ``Z``, eigenvalues in decreasing order."""
    d = Z.shape[0]
    w, V = scipy.linalg.eigh(Z, subset_by_index=[d - k, d - 1])
    return w[::-1], V[:, ::-1]
