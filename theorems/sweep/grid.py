"""Sweep grids: ``NAME=VALUES`` over the fields of :class:`theorems.Setting` (and ``dynamics``).

VALUES is a comma list (``alpha=1e-2,1e-3``), an integer range ``a:b`` or ``a:b:step`` (half-open,
as Python's ``range``: ``seed=0:16`` is 16 seeds), a log-range ``a:b:Nlog`` or a linear range
``a:b:Nlin`` (N values from a to b inclusive: ``alpha=1e-8:1e-2:7log``). ``eigenvalues`` takes
spectra separated by ``;`` (``eigenvalues=16,8,4,2;9,3,1``); ``m`` and ``d2`` accept ``none``;
``dynamics`` takes ``module:function`` specs separated by commas (``builtin`` is the built-in GD);
``dtype`` is ``float64`` or ``float32`` (the built-in GD's working precision).
"""
from __future__ import annotations

import dataclasses
import itertools
import math
from typing import Any, Mapping

import numpy as np

from .._core import DTYPES, Setting

_FIELDS = {f.name: f for f in dataclasses.fields(Setting)}
INT_FIELDS = ("d", "m", "rank", "seed", "d2")
FLOAT_FIELDS = ("alpha", "step", "init_ratio")
STR_FIELDS = ("operator", "init")
OPTIONAL = ("m", "d2")
#: Grid names: every Setting field, and ``dynamics`` (whose gradient descent is judged).
NAMES = tuple(_FIELDS) + ("dynamics",)
#: Fields only asymmetric claims have.
ASYMMETRIC_FIELDS = ("d2", "init_ratio")
BUILTIN = "builtin"


class GridError(ValueError):
    """A grid that cannot be parsed or does not apply to the chosen claims."""


def _round(v: float) -> float:
    # a log-range's 1e-5 is 1.0000000000000001e-05 in binary: 12 significant digits keep the
    # point's key (and the DataFrame's values) what the user typed
    return float(f"{v:.12g}")


def _number(text: str, name: str, kind: type):
    try:
        v = float(text)
    except ValueError:
        raise GridError(f"--grid {name}: expected a number, got {text!r}") from None
    if kind is int:
        if not v.is_integer():
            raise GridError(f"--grid {name}: expected an integer, got {text!r}")
        return int(v)
    return v


def _range(text: str, name: str, kind: type) -> list:
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise GridError(f"--grid {name}: a range is a:b, a:b:step, a:b:Nlog or a:b:Nlin, got {text!r}")
    last = parts[2].strip().lower() if len(parts) == 3 else ""
    if last.endswith(("log", "lin")):
        try:
            n = int(last[:-3])
        except ValueError:
            raise GridError(f"--grid {name}: the count of {text!r} must be an integer (e.g. 7log)") from None
        if n < 1:
            raise GridError(f"--grid {name}: {text!r} asks for {n} values")
        a, b = (_number(p, name, float) for p in parts[:2])
        if last.endswith("log"):
            if not (a > 0 and b > 0):
                raise GridError(f"--grid {name}: a log-range needs positive ends, got {text!r}")
            vals = np.logspace(math.log10(a), math.log10(b), n)
        else:
            vals = np.linspace(a, b, n)
        vals = [_round(v) for v in vals]
        if kind is int:
            vals = list(dict.fromkeys(int(round(v)) for v in vals))
        return vals
    if kind is not int:
        raise GridError(f"--grid {name}: {name} is real-valued; give a list, a:b:Nlin or a:b:Nlog, "
                        f"got {text!r}")
    a, b = (_number(p, name, int) for p in parts[:2])
    step = _number(parts[2], name, int) if len(parts) == 3 else 1
    if step == 0:
        raise GridError(f"--grid {name}: the step of {text!r} is 0")
    vals = list(range(a, b, step))
    if not vals:
        raise GridError(f"--grid {name}: {text!r} is an empty range (a:b is half-open, as range(a, b))")
    return vals


def _convert(name: str, v: Any):
    """One grid value, typed as the Setting field (``GridError`` naming the field otherwise)."""
    if name == "dynamics":
        if v is None or (isinstance(v, str) and v.strip().lower() in ("", BUILTIN, "none")):
            return BUILTIN
        if not isinstance(v, str):
            raise GridError(f"--grid dynamics: values are 'module:function' strings, got {type(v).__name__}")
        return v.strip()
    if name in OPTIONAL and (v is None or (isinstance(v, str) and v.strip().lower() == "none")):
        return None
    if name == "eigenvalues":
        if isinstance(v, str):
            v = [p for p in v.replace(" ", "").split(",") if p]
        try:
            vals = tuple(float(x) for x in v)
        except (TypeError, ValueError):
            raise GridError(f"--grid eigenvalues: a spectrum is a list of numbers, got {v!r}") from None
        if not vals:
            raise GridError("--grid eigenvalues: an empty spectrum")
        return vals
    if name in INT_FIELDS:
        out = _number(v, name, int) if isinstance(v, str) else v
        if isinstance(out, float) and out.is_integer():
            out = int(out)
        if isinstance(out, bool) or not isinstance(out, (int, np.integer)):
            raise GridError(f"--grid {name}: expected an integer, got {v!r}")
        out = int(out)
        if out < (0 if name == "seed" else 1):
            raise GridError(f"--grid {name}: expected a {'non-negative' if name == 'seed' else 'positive'} "
                            f"integer, got {out}")
        return out
    if name in FLOAT_FIELDS:
        out = _number(v, name, float) if isinstance(v, str) else v
        try:
            out = float(out)
        except (TypeError, ValueError):
            raise GridError(f"--grid {name}: expected a number, got {v!r}") from None
        if not (0.0 < out < math.inf):
            raise GridError(f"--grid {name}: expected a positive finite number, got {out:g}")
        return out
    if name in STR_FIELDS:
        if not isinstance(v, str) or not v.strip():
            raise GridError(f"--grid {name}: expected a name, got {v!r}")
        return v.strip()
    if name == "dtype":
        out = str(np.dtype(v)) if not isinstance(v, str) else v.strip().lower()
        if out not in DTYPES:
            raise GridError(f"--grid dtype: expected one of {', '.join(DTYPES)}, got {v!r}")
        return out
    raise GridError(f"--grid: unknown name {name!r}; choose from {', '.join(NAMES)}")


def parse_values(name: str, values) -> list:
    """The list of values of one grid axis: ``values`` is a CLI string (module docstring), a
    scalar or an iterable (``range``, a list, a numpy array)."""
    if name not in NAMES:
        raise GridError(f"--grid: unknown name {name!r}; choose from {', '.join(NAMES)}")
    if isinstance(values, str):
        text = values.strip()
        if not text:
            raise GridError(f"--grid {name}: no values")
        if name == "eigenvalues":
            items = [t for t in text.split(";") if t.strip()]
        elif name == "dynamics":
            items = [t for t in text.split(",") if t.strip()]
        elif ":" in text and "," not in text:
            kind = int if name in INT_FIELDS else (float if name in FLOAT_FIELDS else None)
            if kind is None:
                raise GridError(f"--grid {name}: ranges are for numbers, got {text!r}")
            items = _range(text, name, kind)
        else:
            items = [t for t in text.split(",") if t.strip()]
    elif name == "eigenvalues" and np.ndim(values) == 1 and not isinstance(values[0], (list, tuple, np.ndarray)):
        items = [values]  # one spectrum
    elif np.ndim(values) == 0 and not isinstance(values, (list, tuple, range)):
        items = [values]
    else:
        items = list(values)
    out = list(dict.fromkeys(_convert(name, v) for v in items))
    if not out:
        raise GridError(f"--grid {name}: no values")
    return out


def parse_grid(grid) -> dict:
    """``{name: [values]}`` in the given order from a mapping or from ``NAME=VALUES`` strings."""
    if isinstance(grid, Mapping):
        items = list(grid.items())
    else:
        items = []
        for text in grid or ():
            name, eq, values = str(text).partition("=")
            if not eq:
                raise GridError(f"--grid expects NAME=VALUES, got {text!r}")
            items.append((name.strip(), values))
    out: dict = {}
    for name, values in items:
        if name in out:
            raise GridError(f"--grid {name} is given twice")
        out[name] = parse_values(name, values)
    return out


def combinations(grid: Mapping) -> list:
    """Every point of the grid as a dict, the first axis varying slowest (itertools.product)."""
    names = list(grid)
    return [dict(zip(names, vals)) for vals in itertools.product(*(grid[n] for n in names))]


def setting_for(claim, point: Mapping) -> Setting:
    """The claim's default with the point's values; a default r̂ equal to the default d follows a
    swept d unless r̂ is swept too (as ``verify --d`` does)."""
    values = {k: v for k, v in point.items() if k != "dynamics"}
    if "d" in values and "rank" not in values and claim.default.rank == claim.default.d:
        values["rank"] = values["d"]
    return claim.default_for(values.pop("operator", None), **values)


def check_applies(claims, grid: Mapping) -> None:
    """``GridError`` when an asymmetric-only field is swept for a symmetric claim."""
    for name in ASYMMETRIC_FIELDS:
        if name in grid and any(v is not None for v in grid[name]):
            sym = [c.key for c in claims if c.default.d2 is None]
            if sym:
                raise GridError(f"--grid {name} applies to asymmetric claims only; {', '.join(sym)} "
                                f"{'is' if len(sym) == 1 else 'are'} symmetric")
