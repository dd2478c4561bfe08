"""Sweeps: every claim over a grid of settings, resumable, on any executor.

>>> from theorems import sweep
>>> sweep.run(["learning_times", "spectral"], {"alpha": "1e-6:1e-2:5log", "seed": range(4)},
...           "runs/alpha")                                        # doctest: +SKIP
>>> df = sweep.load("runs/alpha")                                  # doctest: +SKIP

A point is (claim, setting): the claim's default :class:`~theorems.Setting` with the grid's values
(:mod:`theorems.sweep.grid` gives the syntax). Each point's record is committed to
``DIR/sweep.sqlite`` the moment it completes (:mod:`theorems.sweep.store` says why SQLite);
running the same sweep again skips every point already recorded, and a larger grid computes only
its new points. A record's key is a hash of the claim, the whole setting, the dynamics and the
package version.

Points run on a :class:`concurrent.futures.Executor`: a process pool (default; one BLAS thread
per worker), in-process (``"serial"``), or Dask (``"dask"``: a new ``LocalCluster``, or a running
scheduler with ``scheduler="tcp://..."``) through ``Client.get_executor``. Points of one claim
that share an instance and differ only in α or the initialisation run as one batched GD call
(:mod:`theorems.sweep.shared`). A point that raises is recorded as ``ERROR`` with its message.

Use it from a script under ``if __name__ == "__main__":``: process workers are started with
``spawn``, which imports your main module again.
"""
from __future__ import annotations

from .grid import GridError, parse_grid
from .runner import EXECUTORS, MAX_GROUP, Outcome, SerialExecutor, compute, plan, summary
from .store import Store, StoreError

__all__ = ["EXECUTORS", "GridError", "Outcome", "SerialExecutor", "Store", "StoreError", "load", "parse_grid",
           "plan", "run", "summary"]


def run(claims, grid, out, *, executor=None, workers: int | None = None, scheduler: str | None = None,
        dynamics: str | None = None, share: bool = True, retry_errors: bool = False, progress: bool = True,
        max_group: int = MAX_GROUP, threads: int = 1):
    """Sweep ``claims`` over ``grid``, writing to the directory ``out``; returns the
    :func:`load` DataFrame of this sweep's points (``.attrs["outcome"]``: an :class:`Outcome`).

    Parameters
    ----------
    claims : sequence of str or Claim
        Claim keys (``python -m theorems list``).
    grid : mapping or sequence of str
        ``{name: values}`` or ``["NAME=VALUES", ...]``: any :class:`~theorems.Setting` field,
        and ``dynamics`` (:mod:`theorems.sweep.grid`). Values are a CLI string (``"0:16"``,
        ``"1e-8:1e-2:7log"``, ``"1e-2,1e-3"``), a scalar, or an iterable.
    out : path
        The sweep directory (created if missing; an existing one is resumed and extended).
    executor : {"process", "serial", "dask"} or concurrent.futures.Executor, optional
        Default ``"process"``, or ``"dask"`` when ``scheduler`` is given.
    workers : int, optional
        Process-pool or LocalCluster workers (default: the number of CPUs).
    scheduler : str, optional
        Address of a running Dask scheduler (implies ``executor="dask"``).
    dynamics : str, optional
        ``"module:function"`` whose gradient descent every point judges (default the built-in);
        sweep ``dynamics`` in ``grid`` to compare implementations.
    share : bool
        Run points that share an instance as one batched GD call.
    retry_errors : bool
        Recompute points whose record is ``ERROR`` (other records are never recomputed).
    progress : bool
        A progress bar on stderr.
    threads : int
        BLAS threads per task (one per worker is the default, and what makes records identical
        on every executor).
    """
    if dynamics is not None:
        grid = dict(parse_grid(grid))
        if "dynamics" in grid:
            raise GridError("give dynamics either as run(dynamics=...) or as a grid axis, not both")
        grid["dynamics"] = [dynamics]
    p = plan(claims, grid)
    spec = {"claims": [c.key for c in p.claims], "grid": p.grid, "executor": str(executor), "workers": workers,
            "scheduler": scheduler, "share": share}
    from .runner import execute

    outcome = execute(p, out, executor=executor, workers=workers, scheduler=scheduler, share=share,
                      retry_errors=retry_errors, progress=progress, max_group=max_group, threads=threads,
                      spec=spec)
    frame = load(out, keys=outcome.keys)
    frame.attrs["outcome"] = outcome
    return frame


def load(directory, *, keys=None):
    """The records of the sweep directory as a :class:`pandas.DataFrame`, one row per (claim,
    point), in plan order.

    Columns: ``key``, ``claim``, ``status`` (HOLDS / FAILS / OUT OF SCOPE / ERROR), ``error``,
    ``dynamics``, every :class:`~theorems.Setting` field (``d``, ``eigenvalues``, ``m``,
    ``operator``, ``rank``, ``alpha``, ``step``, ``seed``, ``init``, ``d2``, ``init_ratio``) and
    ``eig1``, ``eig2``, … (the eigenvalues σ_i² of Z*, one per column); per measurement NAME
    ``value.NAME`` (what was measured: a number, a list, a string, or None) and ``holds.NAME``
    (True, False, or None: not testable); per assumption ``assumption.NAME`` (True / False);
    ``wall_time`` (seconds, including the point's share of a batched run), ``batch`` (points that
    shared its GD call), ``version.PACKAGE`` and ``created`` (when it was committed).
    """
    import pandas as pd

    with Store(directory, create=False) as store:
        records = store.records(keys)
    if keys is not None:
        order = {k: i for i, k in enumerate(keys)}
        records.sort(key=lambda r: order.get(r["key"], len(order)))
    rows = [_row(r) for r in records]
    frame = pd.DataFrame(rows)
    if not rows:
        return frame
    lead = ["key", "claim", "status", "error", "dynamics"]
    setting_cols = [c for c in ("d", "eigenvalues", "m", "operator", "rank", "alpha", "step", "seed", "init", "d2",
                                "init_ratio") if c in frame.columns]
    eig = sorted((c for c in frame.columns if c.startswith("eig") and c[3:].isdigit()), key=lambda c: int(c[3:]))
    rest = [c for c in frame.columns if c not in lead + setting_cols + eig]
    return frame[lead + setting_cols + eig + rest].reset_index(drop=True)


def _row(rec: dict) -> dict:
    row = {"key": rec["key"], "claim": rec["claim"], "status": rec["status"], "error": rec["error"],
           "dynamics": rec["dynamics"]}
    setting = dict(rec["setting"])
    setting["eigenvalues"] = tuple(setting["eigenvalues"])
    row.update(setting)
    for i, e in enumerate(setting["eigenvalues"], start=1):
        row[f"eig{i}"] = e
    v = rec.get("verdict") or {}
    for m in v.get("measurements", ()):
        row[f"value.{m['name']}"] = m["measured"]
        row[f"holds.{m['name']}"] = m["holds"]
    for a in v.get("assumptions", ()):
        row[f"assumption.{a['name']}"] = a["holds"]
    row["wall_time"] = rec["wall_time"]
    row["batch"] = rec["batch"]
    for name, ver in rec["versions"].items():
        row[f"version.{name}"] = ver
    row["created"] = rec["created"]
    return row
