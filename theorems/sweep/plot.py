"""Plot a measured quantity of a sweep against a swept parameter (PNG).

  python -m theorems sweep-plot runs/a --x alpha --y time_slope --hue seed
  python -m theorems sweep-plot runs/s --x "step*eig1" --y "time_slope[0]" --curve "1/log1p(x)"

``--y`` is a measurement name (``time_slope``; ``time_slope[1]`` for one component of a
list-valued one, whose components are otherwise drawn as separate series) or any column of
:func:`theorems.sweep.load`; ``--x`` and ``--hue`` are columns or expressions over them
(``"step*eig1"`` is μσ₁², ``"eig2/eig1"`` the spectrum ratio). Filled markers: the measurement
held as predicted; open: it failed; points where it was not testable are left out and counted.
"""
from __future__ import annotations

import math
import re
import sys

import numpy as np


class PlotError(ValueError):
    """A plot request the sweep's records cannot answer."""


def _column(frame, expr: str, what: str):
    if expr in frame.columns:
        return frame[expr]
    try:
        return frame.eval(expr, engine="python")
    except Exception as exc:
        params = [c for c in frame.columns if not c.startswith(("value.", "holds.", "assumption.", "version."))]
        raise PlotError(f"--{what} {expr!r} is neither a column nor an expression over columns ({exc}); "
                        f"columns: {', '.join(params)}") from None


def _quantity(frame, y: str):
    """``(label, values per row as lists of floats or None, holds per row)``."""
    m = re.fullmatch(r"(.+?)\[(\d+)\]", y)
    base, index = (m.group(1), int(m.group(2))) if m else (y, None)
    name = base[6:] if base.startswith("value.") else base
    if f"value.{name}" in frame.columns:
        raw, holds = frame[f"value.{name}"], frame[f"holds.{name}"]
    elif base in frame.columns:
        raw, holds = frame[base], [None] * len(frame)
    else:
        have = sorted(c[6:] for c in frame.columns if c.startswith("value."))
        raise PlotError(f"--y {y!r}: no measurement or column of that name; measurements: {', '.join(have)}")
    vals = []
    for v in raw:
        if v is None or isinstance(v, str) or (isinstance(v, float) and math.isnan(v)):
            vals.append(None)
            continue
        arr = np.ravel(np.asarray(v, dtype=float)) if not isinstance(v, bool) else np.array([float(v)])
        if index is not None:
            arr = arr[index:index + 1] if index < arr.size else np.array([])
        vals.append(arr.tolist() if arr.size else None)
    return y, vals, list(holds)


#: Names a ``curve`` expression may use (and ``x``).
CURVE_NAMES = {"log": np.log, "log1p": np.log1p, "exp": np.exp, "sqrt": np.sqrt, "pi": np.pi}


def _curve(expr: str, xs: np.ndarray) -> np.ndarray:
    try:
        val = eval(compile(expr, "<--curve>", "eval"), {"__builtins__": {}}, dict(CURVE_NAMES, x=xs))
        return np.broadcast_to(np.asarray(val, dtype=float), xs.shape)
    except Exception as exc:
        raise PlotError(f"--curve {expr!r} is not an expression in x ({', '.join(CURVE_NAMES)} allowed): "
                        f"{exc}") from None


def plot(source, x: str, y: str, *, hue: str | None = None, claim: str | None = None, out=None,
         logx: bool | None = None, logy: bool | None = None, curve: str | None = None) -> str:
    """Draw ``y`` against ``x`` for the records of ``source`` (a sweep directory or a
    :func:`theorems.sweep.load` frame) and write a PNG; returns its path.

    ``logx``/``logy``: ``None`` picks a log axis when every value is positive and they span two
    decades or more. ``curve``: a prediction to draw for comparison, an expression in ``x``
    (e.g. ``"1/log1p(x)"``: the learning-time slope 1/log(1 + μσ²) against x = μσ²).
    """
    import os

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from . import load

    frame = load(source) if isinstance(source, (str, os.PathLike)) else source
    if len(frame) == 0:
        raise PlotError("the sweep has no records")
    if claim is not None:
        if claim not in set(frame["claim"]):
            raise PlotError(f"--claim {claim!r} has no records; the sweep has {', '.join(dict.fromkeys(frame['claim']))}")
        frame = frame[frame["claim"] == claim]
    label, vals, holds = _quantity(frame, y)
    xs = np.asarray(_column(frame, x, "x"), dtype=float)
    hues = list(_column(frame, hue, "hue")) if hue else [None] * len(frame)
    series: dict = {}
    skipped = 0
    for xi, vi, hi, ok in zip(xs, vals, hues, holds):
        if vi is None or not np.isfinite(xi):
            skipped += 1
            continue
        for j, v in enumerate(vi):
            key = (hi, j if len(vi) > 1 else None)
            series.setdefault(key, []).append((xi, v, ok))
    if not series:
        raise PlotError(f"--y {y!r} was not measured at any point (not testable or ERROR at {skipped} points)")
    fig, ax = plt.subplots(figsize=(6.4, 4.2), constrained_layout=True)
    cmap = plt.get_cmap("viridis" if hue else "tab10")
    keys = sorted(series, key=lambda k: (str(type(k[0])), k[0] if k[0] is not None else 0, k[1] or 0))
    for i, key in enumerate(keys):
        pts = sorted(series[key], key=lambda p: p[0])
        px = np.array([p[0] for p in pts])
        py = np.array([p[1] for p in pts])
        color = cmap(i / max(1, len(keys) - 1)) if hue else cmap(i % 10)
        name = ", ".join(t for t in ((f"{hue} = {key[0]:g}" if isinstance(key[0], (int, float, np.number))
                                      else f"{hue} = {key[0]}") if hue else "",
                                     f"[{key[1]}]" if key[1] is not None else "") if t)
        ux = np.unique(px)
        med = [np.median(py[px == u]) for u in ux]
        ax.plot(ux, med, "-", color=color, lw=1.2, label=name or None)
        good = np.array([p[2] is True for p in pts])
        bad = np.array([p[2] is False for p in pts])
        ax.scatter(px[good], py[good], color=color, s=18, zorder=3)
        ax.scatter(px[bad], py[bad], facecolors="none", edgecolors=color, s=28, zorder=3)
        ax.scatter(px[~good & ~bad], py[~good & ~bad], color=color, marker=".", s=12, zorder=3)
    if curve:
        fx = xs[np.isfinite(xs)]
        grid = (np.geomspace(fx.min(), fx.max(), 200) if fx.min() > 0 else np.linspace(fx.min(), fx.max(), 200))
        ax.plot(grid, _curve(curve, grid), "--", color="0.3", lw=1.0, label=f"predicted: {curve}", zorder=2)
    for axis, flag, data in (("x", logx, xs[np.isfinite(xs)]),
                             ("y", logy, np.array([v for s in series.values() for _, v, _ in s], dtype=float))):
        if flag is None:
            pos = data[np.isfinite(data)]
            flag = bool(pos.size) and pos.min() > 0 and pos.max() / pos.min() >= 100
        if flag:
            (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
    claims = ", ".join(dict.fromkeys(frame["claim"]))
    ax.set_xlabel(x)
    ax.set_ylabel(label)
    ax.set_title(f"{claims}: {label} vs {x}\n{len(frame) - skipped} points ({skipped} not measured); "
                 f"filled: as predicted, open: not", fontsize=9)
    if (curve or any(k[0] is not None or k[1] is not None for k in keys)) and len(keys) <= 12:
        ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    if out is None:
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{label}-vs-{x}" + (f"-by-{hue}" if hue else ""))
        directory = source if isinstance(source, (str, os.PathLike)) else "."
        out = os.path.join(directory, f"plot-{safe}.png")
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return str(out)


def configure(p) -> None:
    import argparse

    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.description = __doc__
    p.add_argument("directory", metavar="DIR", help="a sweep directory (python -m theorems sweep --out DIR)")
    p.add_argument("--x", required=True, metavar="NAME", help="a swept parameter, column or expression")
    p.add_argument("--y", required=True, metavar="QUANTITY", help="a measurement name (NAME[i]: one component)")
    p.add_argument("--hue", metavar="NAME", help="one series per value of this column or expression")
    p.add_argument("--claim", metavar="KEY", help="only this claim's records")
    p.add_argument("--out", metavar="PNG", help="file to write (default DIR/plot-Y-vs-X.png)")
    p.add_argument("--curve", metavar="EXPR", help="a prediction to overlay, in x, e.g. '1/log1p(x)'")
    p.add_argument("--logx", action=argparse.BooleanOptionalAction, default=None,
                   help="log x axis (default: when positive values span two decades or more)")
    p.add_argument("--logy", action=argparse.BooleanOptionalAction, default=None, help="log y axis (default: auto)")


def run(args) -> int:
    from ..cli import EXIT_OK, EXIT_USAGE
    from .store import StoreError

    try:
        path = plot(args.directory, args.x, args.y, hue=args.hue, claim=args.claim, out=args.out,
                    logx=args.logx, logy=args.logy, curve=args.curve)
    except (PlotError, StoreError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"wrote {path}")
    return EXIT_OK
