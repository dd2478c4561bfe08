"""Plotting helpers every experiment's figure uses (matplotlib Agg, fixed sizes, fixed margins).

Each figure's size is in :data:`FIGSIZES` (inches at :data:`DPI`); the tests check the PNGs'
pixel sizes against :func:`png_size`. matplotlib is imported only when a figure is drawn.
"""
from __future__ import annotations

import numpy as np

#: Figure sizes in inches at :data:`DPI`; the tests check the PNGs' pixel sizes against these.
DPI = 100
FIGSIZES = {"fig1": (16.0, 8.0), "fig2": (16.0, 8.0), "learning_times": (13.0, 5.5),
            "min_distance": (13.0, 5.5), "gap_vs_m": (13.0, 5.5), "underparameterised": (13.0, 5.5),
            # the neighbouring papers' figures (theorems.reproduce.wind / jiang / xiong)
            "wind_learning_times": (13.0, 5.5), "wind_flow_gap": (13.0, 9.0),
            "jiang_learning_times": (13.0, 5.5),
            "xiong_imbalance": (13.0, 9.0), "xiong_slowdown": (13.0, 13.0),
            "li_glrl": (13.0, 5.5),
            # structured measurements (theorems.reproduce.structured, issue 14)
            "structured_incremental": (13.0, 9.0)}
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


def png_size(name: str) -> tuple[int, int]:
    """(height, width) in pixels of a PNG written by this package."""
    kind = "fig1" if name.startswith("fig1") else "fig2" if name.startswith("fig2") else name[:-4]
    w, h = FIGSIZES[kind]
    return int(round(h * DPI)), int(round(w * DPI))


def figure(kind, nrows, ncols):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(nrows, ncols, figsize=FIGSIZES[kind], dpi=DPI, squeeze=False)
    return fig, axes


def layout(fig):
    # fixed margins instead of tight_layout, which renders every figure twice
    rows = fig.axes[0].get_subplotspec().get_gridspec().nrows
    fig.subplots_adjust(left=0.06, right=0.985, bottom=0.08 if rows > 1 else 0.11,
                        top=0.88 if rows > 1 else 0.80, wspace=0.25, hspace=0.35)


def save(fig, path):
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def setup_title(res) -> str:
    eig = ", ".join(f"{e:.3g}" for e in res.arrays["eigenvalues"])
    return ("literal setup: X i.i.d. N(0,1)" if res.setup == "literal" else "separated spectrum") + f", eig(Z*) = {eig}"


def log_axis(ax, lo=None, hi=None):
    """A log y-axis with at most ~8 labelled decades and no minor ticks (Agg draws ticks slowly)."""
    from matplotlib.ticker import LogLocator, NullLocator

    ax.set_yscale("log")
    if lo is not None:
        ax.set_ylim(lo, hi)
    ax.yaxis.set_major_locator(LogLocator(base=10.0, numticks=8))
    ax.yaxis.set_minor_locator(NullLocator())


def ylabel(which: str, squared: bool) -> str:
    R = r"X_sX_s^\top" if which == "truncated" else r"Z^*_s"
    if squared:
        return rf"$\|U_tU_t^\top - {R}\|_F^2\, /\, \|{R}\|_F^2$"
    return rf"$\min_t\, \|U_tU_t^\top - {R}\|_F\, /\, \|{R}\|_F$"


def curves(ax, t, E, r, title):
    """E_s(t) for s = 1…r on a log axis (Figures 1 and 2)."""
    for s in range(r):
        ax.plot(t, E[:, s], color=COLORS[s], lw=1.6, label=f"rank s = {s + 1}")
    finite = E[np.isfinite(E) & (E > 0)]
    # errors below 1e-12 are round-off of U Uᵀ − R: the axis stops there
    lo = max(float(finite.min()) / 2, 1e-12) if finite.size else 1e-12
    hi = float(finite.max()) * 2 if finite.size else 1.0
    log_axis(ax, lo, hi)
    ax.set_title(title, fontsize=11)
    ax.set_xlabel("iteration t")
    ax.grid(True, which="major", alpha=0.3)


def diverged_panel(ax, text: str) -> None:
    """A panel whose run diverged: the text instead of curves, no ticks."""
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def shown_in_all(results, names: list) -> dict:
    """``{key: names}`` for figures that show every result (one panel per setup)."""
    return {r.key: list(names) for r in results}


def fault_suffix(results) -> str:
    f = results[0].params["fault"]
    return "" if f == "none" else f"\nFAULT INJECTED: {f}"
