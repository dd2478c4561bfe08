"""Argument checks shared by the public API.

Every public function validates its inputs here so that bad input fails early with a
``ValueError``/``TypeError`` that names the argument and says what was expected, instead of
propagating a silent NaN through a gradient-descent loop.
"""
from __future__ import annotations

import numbers

import numpy as np

from . import tolerances


def as_float_array(value, name: str, *, ndim=None, dtype=np.float64) -> np.ndarray:
    """Return ``value`` as a finite floating array, or raise naming ``name``."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a real numeric array, got {type(value).__name__}")
    arr = np.asarray(value)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real, got complex dtype {arr.dtype}")
    ndims = (ndim,) if isinstance(ndim, int) else ndim
    if ndims is not None and arr.ndim not in ndims:
        want = " or ".join(str(n) for n in ndims)
        raise ValueError(f"{name} must be a {want}-dimensional array, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    arr = arr.astype(dtype, copy=False)
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} must be finite, but it has {bad} NaN/inf entries")
    return arr


def check_symmetric(Z: np.ndarray, name: str) -> None:
    """Raise if the trailing two axes of ``Z`` are not square and symmetric (to round-off)."""
    if Z.ndim < 2 or Z.shape[-1] != Z.shape[-2]:
        raise ValueError(f"{name} must be square (d, d), got shape {Z.shape}")
    asym = float(np.max(np.abs(Z - np.swapaxes(Z, -1, -2)), initial=0.0))
    scale = float(np.max(np.abs(Z), initial=0.0))
    if asym > tolerances.symmetry_tol(Z.dtype) * max(scale, 1.0):
        raise ValueError(
            f"{name} must be symmetric: max |Z - Z^T| = {asym:.3g} "
            f"(relative to max |Z| = {scale:.3g})"
        )


def positive_scalar(value, name: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a positive finite float, or raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if v < 0 or (v == 0 and not allow_zero):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be {kind}, got {value!r}")
    return v


def nonneg_int(value, name: str, *, minimum: int = 0, maximum: int | None = None) -> int:
    """Return ``value`` as an int in [minimum, maximum], or raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    v = int(value)
    if v < minimum or (maximum is not None and v > maximum):
        hi = "" if maximum is None else f", at most {maximum}"
        raise ValueError(f"{name} must be at least {minimum}{hi}, got {v}")
    return v
