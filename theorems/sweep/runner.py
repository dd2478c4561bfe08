"""Plan a sweep, run its points on an executor, commit each record as it completes."""
from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import hashlib
import importlib.metadata
import json
import multiprocessing
import os
import platform
import sys
import time
from dataclasses import dataclass, field

from .. import registry
from .._core import STATUSES, Setting
from . import grid as _grid
from .shared import group_key, serve
from .store import Store

EXECUTORS = ("serial", "process", "dask")
#: Points of one batched call at most (their snapshots share one process' memory).
MAX_GROUP = 16


def package_version() -> str:
    try:
        return importlib.metadata.version("sensing-theorems")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree without install
        import sensing

        return sensing.__version__


def versions() -> dict:
    import numpy
    import scipy

    return {"sensing-theorems": package_version(), "numpy": numpy.__version__, "scipy": scipy.__version__,
            "python": platform.python_version()}


def point_key(claim_key: str, setting: Setting, dynamics: str, version: str) -> str:
    """The record's key: a hash of the claim, every field of the setting, the dynamics and the
    package version (a new release recomputes; an unchanged point is never computed twice)."""
    fields = dataclasses.asdict(setting)
    if fields.get("dtype") == "float64":  # the default precision keeps the keys made before the field
        del fields["dtype"]
    spec = {"claim": claim_key, "setting": fields, "dynamics": dynamics, "version": version}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Point:
    """One (claim, grid point): its key, its position in the plan and its setting."""

    key: str
    ordinal: int
    claim: str
    params: dict
    setting: Setting
    dynamics: str
    invalid: str = ""


@dataclass
class Plan:
    claims: tuple
    grid: dict
    points: list = field(default_factory=list)


def plan(claims, grid) -> Plan:
    """Every point of ``grid`` for every claim, with its key (usage errors raise
    :class:`theorems.sweep.grid.GridError` or ``ValueError``)."""
    import sensing

    from ..cli import _validate

    chosen = tuple(c if hasattr(c, "verify") else registry.get(str(c)) for c in (claims or ()))
    if not chosen:
        raise _grid.GridError("--claim: give at least one claim key (python -m theorems list)")
    if len({c.key for c in chosen}) != len(chosen):
        raise _grid.GridError("--claim: a claim is given twice")
    g = _grid.parse_grid(grid)
    _grid.check_applies(chosen, g)
    for spec in g.get("dynamics", ()):
        if spec != _grid.BUILTIN:
            sensing.dynamics.as_dynamics(spec)  # import and signature errors are usage errors
    version = package_version()
    out = Plan(chosen, g)
    for claim in chosen:
        for params in _grid.combinations(g):
            dyn = params.get("dynamics", _grid.BUILTIN)
            name = sensing.dynamics.GRADIENT_DESCENT.name if dyn == _grid.BUILTIN else dyn
            invalid = ""
            try:
                setting = _grid.setting_for(claim, params)
            except (ValueError, TypeError) as exc:
                setting, invalid = None, f"invalid point for {claim.key}: {exc}"
            else:
                try:
                    _validate(setting)
                except (ValueError, TypeError) as exc:
                    invalid = f"invalid point for {claim.key}: {exc}"
            if setting is None:
                key = hashlib.sha256(json.dumps([claim.key, params, version], sort_keys=True,
                                                default=str).encode()).hexdigest()[:24]
                setting = claim.default
            else:
                key = point_key(claim.key, setting, name, version)
            out.points.append(Point(key, len(out.points), claim.key, params, setting, name, invalid))
    return out


def groups(points, *, share: bool = True, max_group: int = MAX_GROUP) -> list:
    """The tasks: points of one claim, one dynamics and one instance (differing in α or the
    initialisation) together, at most ``max_group`` per task, in plan order."""
    import sensing

    builtin = sensing.dynamics.GRADIENT_DESCENT.name
    bins: dict = {}
    for p in points:
        if share and p.dynamics == builtin:
            k = (p.claim, p.dynamics, group_key(p.setting))
        else:
            k = (p.key,)
        bins.setdefault(k, []).append(p)
    out = []
    for members in bins.values():
        for i in range(0, len(members), max_group):
            out.append(members[i:i + max_group])
    return sorted(out, key=lambda g: g[0].ordinal)


def _task(points, threads: int) -> dict:
    return {"claim": points[0].claim, "dynamics": points[0].dynamics, "threads": threads,
            "points": [{"key": p.key, "ordinal": p.ordinal, "params": p.params,
                        "setting": dataclasses.asdict(p.setting)} for p in points]}


def _record(point: dict, claim_key: str, verdict, wall: float, batch: int, vers: dict) -> dict:
    d = verdict.as_dict()
    return {"key": point["key"], "claim": claim_key, "ordinal": point["ordinal"], "params": point["params"],
            "setting": point["setting"], "dynamics": verdict.dynamics, "status": verdict.status,
            "error": verdict.error, "verdict": d, "batch": batch, "versions": vers, "wall_time": wall}


def error_record(point: dict, claim_key: str, message: str, dynamics: str, vers: dict, wall: float = 0.0) -> dict:
    """An ``ERROR`` record: the point could not be judged (``message`` says why)."""
    return {"key": point["key"], "claim": claim_key, "ordinal": point["ordinal"], "params": point["params"],
            "setting": point["setting"], "dynamics": dynamics, "status": "ERROR", "error": message,
            "verdict": None, "batch": 1, "versions": vers, "wall_time": wall}


def compute(task: dict) -> list:
    """Run one task (a worker's unit of work): verify the claim on each point, sharing one
    batched GD call where the points allow it; every exception becomes that point's ERROR."""
    from threadpoolctl import threadpool_limits

    import sensing

    vers = versions()
    claim = registry.get(task["claim"])
    settings = [Setting(**p["setting"]) for p in task["points"]]
    spec = task["dynamics"]
    builtin = spec == sensing.dynamics.GRADIENT_DESCENT.name
    with threadpool_limits(limits=task["threads"]):
        try:
            dyn = sensing.dynamics.as_dynamics(None if builtin else spec)
        except Exception as exc:
            return [error_record(p, claim.key, f"{type(exc).__name__}: {exc}", spec, vers) for p in task["points"]]
        t0 = time.perf_counter()
        served = [None] * len(settings)
        if builtin and len(settings) > 1:
            try:
                served = serve(claim, settings)
            except Exception:  # a point that cannot be planned raises again, as its own ERROR, below
                served = [None] * len(settings)
        shared = sum(s is not None for s in served)
        t_shared = (time.perf_counter() - t0) / max(1, shared)
        out = []
        for p, s, srv in zip(task["points"], settings, served):
            t = time.perf_counter()
            try:
                verdict = claim.verify(s, dynamics=dyn if srv is None else srv)
            except Exception as exc:
                verdict = claim.error_verdict(s, exc, dynamics=dyn)
            wall = time.perf_counter() - t + (t_shared if srv is not None else 0.0)
            out.append(_record(p, claim.key, verdict, wall, shared if srv is not None else 1, vers))
    return out


class SerialExecutor(cf.Executor):
    """In-process, one task at a time, run when submitted (for debugging: breakpoints and
    tracebacks are in your process)."""

    def submit(self, fn, /, *args, **kwargs):
        fut = cf.Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 — the future carries it
            fut.set_exception(exc)
        return fut


@dataclass
class _Backend:
    executor: cf.Executor
    impure: cf.Executor
    name: str
    slots: int
    close: object = None
    #: a fresh backend after the pool broke (a worker process died), or None
    restart: object = None


def backend(executor=None, workers=None, scheduler=None) -> _Backend:
    """The executor a sweep submits to: ``"serial"``, ``"process"`` (a spawn-started
    :class:`concurrent.futures.ProcessPoolExecutor`, one BLAS thread per worker), ``"dask"``
    (``Client(scheduler)``, or a new :class:`distributed.LocalCluster` of ``workers`` processes with
    one thread each, through ``Client.get_executor``), or any :class:`concurrent.futures.Executor`."""
    if scheduler is not None and executor not in ("dask", None):
        raise ValueError(f"--scheduler needs --executor dask, got --executor {executor}")
    if executor is None:
        executor = "dask" if scheduler is not None else "process"
    if isinstance(executor, cf.Executor):
        n = workers or getattr(executor, "_max_workers", None) or os.cpu_count() or 1
        return _Backend(executor, executor, type(executor).__name__, 2 * n)
    if executor not in EXECUTORS:
        raise ValueError(f"--executor must be one of {', '.join(EXECUTORS)} (or a concurrent.futures.Executor), "
                         f"got {executor!r}")
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise ValueError(f"--workers must be a positive integer, got {workers!r}")
    n = workers or os.cpu_count() or 1
    if executor == "serial":
        ex = SerialExecutor()
        return _Backend(ex, ex, "serial", 1)
    if executor == "process":
        ex = cf.ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"))
        return _Backend(ex, ex, f"process pool ({n} workers)", 2 * n, lambda: ex.shutdown(cancel_futures=True),
                        lambda: backend("process", workers, None))
    try:
        import distributed
    except ImportError:
        raise ValueError("--executor dask needs Dask's distributed: pip install 'sensing-theorems[dask]'") from None
    if scheduler is not None:
        try:
            client = distributed.Client(scheduler, timeout="30s")
        except (OSError, TimeoutError) as exc:
            raise ValueError(f"--scheduler {scheduler}: cannot connect: {exc}") from None
        cluster, name = None, f"dask scheduler {scheduler}"
    else:
        cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                           dashboard_address=None)
        client = distributed.Client(cluster)
        name = f"dask LocalCluster ({n} workers)"
    slots = max(1, sum(client.nthreads().values()))

    def close():
        client.close()
        if cluster is not None:
            cluster.close()

    # built-in GD on a seeded instance is a pure function of its task; a user dynamics may draw
    # unseeded random numbers, so its tasks are impure (never deduplicated or cached by Dask)
    return _Backend(client.get_executor(pure=True), client.get_executor(pure=False), name, 2 * slots, close)


@dataclass
class Outcome:
    """What one call of :func:`run` did."""

    directory: str
    planned: int
    computed: int
    skipped: int
    errors: int
    wall: float
    executor: str
    keys: tuple = field(repr=False)


def execute(plan_: Plan, directory, *, executor=None, workers=None, scheduler=None,
            share: bool = True, retry_errors: bool = False, progress: bool = True,
            max_group: int = MAX_GROUP, threads: int = 1, spec: dict | None = None) -> Outcome:
    """Compute the points of ``plan_`` not yet in ``directory``'s store, committing each task's
    records as it completes."""
    import sensing

    t_all = time.perf_counter()
    vers = versions()
    with Store(directory) as store:
        have = store.statuses()
        todo, skipped = [], 0
        invalid = []
        for p in plan_.points:
            status = have.get(p.key)
            if status is not None and not (retry_errors and status == "ERROR"):
                skipped += 1
            elif p.invalid:
                invalid.append(p)
            else:
                todo.append(p)
        tasks = groups(todo, share=share, max_group=max_group)
        be = backend(executor, workers, scheduler) if tasks else None
        sweep_id = store.begin_sweep(spec or {}, len(plan_.points), be.name if be else "none")
        bar = _progress(len(todo) + len(invalid), progress)
        errors = 0
        try:
            if invalid:
                recs = [error_record(_task([p], threads)["points"][0], p.claim, p.invalid, p.dynamics, vers)
                        for p in invalid]
                store.write(recs)
                errors += len(recs)
                bar.update(len(recs))
            pending: dict = {}
            queue = list(tasks)
            builtin = sensing.dynamics.GRADIENT_DESCENT.name
            while queue or pending:
                while queue and len(pending) < be.slots:
                    g = queue.pop(0)
                    ex = be.executor if g[0].dynamics == builtin else be.impure
                    pending[ex.submit(compute, _task(g, threads))] = g
                done, _ = cf.wait(list(pending), return_when=cf.FIRST_COMPLETED)
                broken = False
                for fut in done:
                    g = pending.pop(fut)
                    try:
                        recs = fut.result()
                    except Exception as exc:  # the worker itself failed (killed, out of memory, ...)
                        broken |= isinstance(exc, cf.process.BrokenProcessPool)
                        why = (" (a worker process died while this task was in flight; it may not be this "
                               "task's fault: --retry-errors recomputes it)" if broken else "")
                        recs = [error_record(_task([p], threads)["points"][0], p.claim,
                                             f"worker failed: {type(exc).__name__}: {exc}{why}", p.dynamics, vers)
                                for p in g]
                    store.write(recs)
                    errors += sum(r["status"] == "ERROR" for r in recs)
                    bar.update(len(recs))
                if broken and be.restart is not None:
                    # every task still in the dead pool fails the same way; the queue goes on in a new one
                    for fut, g in list(pending.items()):
                        queue.insert(0, g)
                        pending.pop(fut)
                    queue.sort(key=lambda g: g[0].ordinal)
                    be.close()
                    be = be.restart()
        finally:
            bar.close()
            if be is not None and be.close is not None:
                be.close()
        wall = time.perf_counter() - t_all
        store.end_sweep(sweep_id, len(todo) + len(invalid), skipped, wall)
    return Outcome(str(directory), len(plan_.points), len(todo) + len(invalid), skipped, errors, wall,
                   be.name if be else "none", tuple(p.key for p in plan_.points))


def _progress(total: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="pt", desc="sweep", file=sys.stderr, disable=not enabled or total == 0,
                dynamic_ncols=True)


def summary(frame) -> str:
    """Per claim: points, held / failed / out of scope / error, and the range of each measured
    quantity over the points where it was measured."""
    import math

    import numpy as np

    lines = []
    head = f"{'claim':<30} {'points':>6} {'held':>5} {'failed':>6} {'out of scope':>12} {'error':>5}"
    lines += [head, "-" * len(head)]
    blocks = []
    for claim, sub in frame.groupby("claim", sort=False):
        n = {s: int((sub["status"] == s).sum()) for s in STATUSES}
        lines.append(f"{claim:<30} {len(sub):>6} {n['HOLDS']:>5} {n['FAILS']:>6} {n['OUT OF SCOPE']:>12} "
                     f"{n['ERROR']:>5}")
        ranges = []
        for col in [c for c in sub.columns if c.startswith("value.")]:
            vals = []
            for v in sub[col]:
                for x in np.ravel(np.asarray(v, dtype=object)):
                    if isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool) \
                            and math.isfinite(float(x)):
                        vals.append(float(x))
            if vals:
                held = sub[col.replace("value.", "holds.", 1)]
                ok = int((held == True).sum())  # noqa: E712 — object column of True/False/None
                tested = int(held.isin([True, False]).sum())
                ranges.append(f"    {col[6:]:<36} {min(vals):>11.4g} … {max(vals):<11.4g} as predicted at "
                              f"{ok}/{tested}")
        if ranges:
            blocks.append(f"  {claim}: measured range over the points")
            blocks.extend(ranges)
    return "\n".join(lines + ([""] + blocks if blocks else []))
