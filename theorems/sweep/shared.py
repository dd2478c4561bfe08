"""One batched gradient-descent call for the points of a sweep that share an instance.

Points of one claim whose settings differ only in α or the initialisation (:data:`SHARED_FIELDS`)
have the same operator, measurements and references; what differs is each run's U₀ and its
horizon. :func:`serve` concatenates their :class:`~theorems.RunRequest` s along the batch axis,
runs the union once (to the longest horizon, recording at the union of their record steps, every
snapshot any of them asks for and each one's final step), and cuts the result back into the
trajectory each point's own run would have recorded: its U₀ rows, its steps, its record grid, its
number of eigenvalues, its snapshots and its own stagnation finding. Each point's claim is then
verified with :class:`Served`, a built-in dynamics that hands out those trajectories and runs
anything else (a diagnosis, a request it was not given) with the built-in GD.

What the claims see is the built-in GD's record of their own runs; batched rows agree with their
single runs to round-off (:func:`sensing.gradient_descent`, ``tests/test_sweep.py`` compares
verdicts). The divergence threshold of a batch is set by its largest f(U₀), so a merged run that
diverges is not used: every point then runs and reports on its own.
"""
from __future__ import annotations

import dataclasses
import warnings

import numpy as np

import sensing
from sensing.asymmetric import AsymmetricTrajectory
from sensing.descent import _stagnation_notes, record_grid

#: Setting fields in which the points of one batched call may differ.
SHARED_FIELDS = ("alpha", "init", "init_ratio")
#: Least useful fraction of a merged run's trajectory-steps: runs are merged only while
#: Σ_p K_p·T_p ≥ MIN_EFFICIENCY · (Σ_p K_p)·max_p T_p, i.e. the steps run past a point's own horizon
#: (wasted: the batched step is cheaper per trajectory, but not free) stay below 40%.
MIN_EFFICIENCY = 0.6
#: Most memory a merged run's snapshots may take; a larger union runs point by point.
MAX_SNAPSHOT_BYTES = 512 * 2**20
_MERGED_OPTIONS = ("record_every", "snapshots", "n_eigenvalues", "references")


def group_key(setting) -> tuple:
    """Settings with equal group keys share an instance (everything but :data:`SHARED_FIELDS`)."""
    d = dataclasses.asdict(setting)
    return tuple((k, v) for k, v in d.items() if k not in SHARED_FIELDS)


class Served(sensing.dynamics.Dynamics):
    """The built-in dynamics, with some requests answered by trajectories already computed.

    ``served`` maps a request name to ``(U0, step, steps, trajectory, stagnation)``; a run of that
    request from exactly that U₀ gets the trajectory (and the stagnation warning its own run would
    have raised), any other run is the built-in GD's.
    """

    def __init__(self, served: dict):
        super().__init__(None)
        self.served = served
        self.hits = 0

    def run(self, problem, U0, *, step, steps, request=None, **record_options):
        hit = self.served.get(request)
        if hit is not None:
            U0_, step_, steps_, traj, stagnation = hit
            if steps == steps_ and step == step_ and np.shape(U0) == U0_.shape and np.array_equal(U0, U0_):
                self.hits += 1
                if stagnation:
                    warnings.warn(stagnation, sensing.StagnationWarning, stacklevel=2)
                return traj
        return super().run(problem, U0, step=step, steps=steps, request=request, **record_options)


def _equal(a, b) -> bool:
    try:
        return bool(np.array_equal(np.asarray(a), np.asarray(b)))
    except (TypeError, ValueError):
        return a == b


def _same_references(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if not (hasattr(a, "keys") and hasattr(b, "keys")) or list(a) != list(b):
        return False
    return all(np.array_equal(np.asarray(a[k]), np.asarray(b[k])) for k in a)


def _mergeable(reqs) -> bool:
    first = reqs[0]
    for r in reqs:
        if r.name != first.name or r.step != first.step or r.U0.shape[1:] != first.U0.shape[1:]:
            return False
        extra = set(r.options) - set(_MERGED_OPTIONS)
        if extra != set(first.options) - set(_MERGED_OPTIONS):
            return False
        if any(not _equal(r.options[k], first.options[k]) for k in extra):
            return False
        if not _same_references(r.options.get("references"), first.options.get("references")):
            return False
    return True


def _q(req, d: int, r: int) -> int:
    q = req.options.get("n_eigenvalues")
    return min(d, r) if q is None else int(q)


def _merged_run(problem, reqs, dtype: str = "float64"):
    """The union run of ``reqs`` and, per request, its cut-out ``(trajectory, stagnation)``."""
    asym = isinstance(problem, sensing.asymmetric.AsymmetricProblem)
    first = reqs[0]
    _, n, r = first.U0.shape
    d = (problem.op.d1, problem.op.d2) if asym else (n, n)
    Ts = [int(q.steps) for q in reqs]
    grids = [record_grid(T, q.options.get("record_every")) for T, q in zip(Ts, reqs)]
    snaps = [sorted({int(t) for t in q.options.get("snapshots", ())}) for q in reqs]
    T = max(Ts)
    union_rec = np.unique(np.concatenate(grids))
    union_snaps = sorted(set().union(*map(set, snaps)) | set(Ts))
    K = sum(q.U0.shape[0] for q in reqs)
    if len(union_snaps) * K * n * r * 8 > MAX_SNAPSHOT_BYTES:
        return None
    qs = [_q(q, min(d), r) for q in reqs]
    opts = {k: v for k, v in first.options.items() if k not in _MERGED_OPTIONS}
    if "references" in first.options:
        opts["references"] = first.options["references"]
    opts.update(record_steps=union_rec, snapshots=union_snaps, n_eigenvalues=max(qs))
    if dtype != "float64":  # one instance group: every point has the same Setting.dtype
        opts["dtype"] = dtype
    U0 = np.concatenate([q.U0 for q in reqs])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sensing.StagnationWarning)  # judged per point below
        try:
            tr = sensing.dynamics.GRADIENT_DESCENT.run(problem, U0, step=first.step, steps=T,
                                                       request=first.name, **opts)
        except sensing.DivergenceError:
            return None
    out, lo = [], 0
    for q, Tp, grid, sn, qp in zip(reqs, Ts, grids, snaps, qs):
        hi = lo + q.U0.shape[0]
        out.append(_cut(problem, tr, slice(lo, hi), q, Tp, np.searchsorted(union_rec, grid), grid, sn, qp, asym))
        lo = hi
    return out


def _stagnation(problem, U0, step, loss, dtype, mode, K):
    op = problem.op
    if mode not in ("gram", "dense"):
        mode = op.default_mode(np.dtype(dtype), batch=K)
    notes = _stagnation_notes(op, problem.y, U0, step, loss, np.dtype(dtype), mode)
    return notes, ("; ".join(t for t in notes if t) or None)


def _cut(problem, tr, sl, req, T, idx, grid, snaps, q, asym):
    K = sl.stop - sl.start
    loss = np.ascontiguousarray(tr.loss[sl, :T + 1])
    if asym:
        notes, text = _stagnation(problem, req.U0, req.step, loss, np.float64, tr.mode, K)
        F, G = tr.snapshots[T]
        cut = AsymmetricTrajectory(
            F[sl].copy(), G[sl].copy(), loss, grid, tr.singular_values[sl][:, idx, :q].copy(),
            tr.distances[sl][:, idx].copy(), tr.reference_names, tr.imbalance[sl][:, idx].copy(),
            tr.imbalance_drift[sl][:, idx].copy(),
            {t: (tr.snapshots[t][0][sl], tr.snapshots[t][1][sl]) for t in snaps},
            tr.step_size, T, tr.mode, text)
        return cut, text
    notes, text = _stagnation(problem, req.U0, req.step, loss, tr.dtype, tr.mode, K)
    cut = sensing.Trajectory(
        tr.snapshots[T][sl].copy(), loss, grid, tr.eigenvalues[sl][:, idx, :q].copy(),
        tr.distances[sl][:, idx].copy(), tr.reference_names, {t: tr.snapshots[t][sl] for t in snaps},
        tr.step_size, T, tr.mode, tr.dtype, text, tuple(notes))
    return cut, text


def buckets(sizes) -> list:
    """Index sets of runs ``(K_p, T_p)`` to merge: longest first, a run joins the current bucket
    while the bucket keeps :data:`MIN_EFFICIENCY`."""
    order = sorted(range(len(sizes)), key=lambda i: (-sizes[i][1], i))
    out, cur, work, k_sum, t_max = [], [], 0, 0, 0
    for i in order:
        K, T = sizes[i]
        if cur and (work + K * T) < MIN_EFFICIENCY * (k_sum + K) * t_max:
            out.append(sorted(cur))
            cur, work, k_sum, t_max = [], 0, 0, 0
        if not cur:
            t_max = T
        cur.append(i)
        work += K * T
        k_sum += K
    if cur:
        out.append(sorted(cur))
    return out


def serve(claim, settings) -> list:
    """One :class:`Served` dynamics per setting (all sharing an instance, :func:`group_key`),
    with every request that could be merged answered by one batched run; ``None`` per setting
    when nothing could be shared."""
    if len(settings) < 2 or not claim.dynamic:
        return [None] * len(settings)
    plans = [tuple(claim.requests(s)) for s in settings]
    if len({tuple(r.name for r in p) for p in plans}) != 1:
        return [None] * len(settings)
    problem = settings[0].problem()
    served = [dict() for _ in settings]
    for j in range(len(plans[0])):
        reqs = [p[j] for p in plans]
        if not _mergeable(reqs):
            continue
        for members in buckets([(q.U0.shape[0], int(q.steps)) for q in reqs]):
            if len(members) < 2:
                continue
            cuts = _merged_run(problem, [reqs[i] for i in members], settings[0].dtype)
            if cuts is None:
                continue
            for i, (traj, text) in zip(members, cuts):
                q = reqs[i]
                served[i][q.name] = (q.U0, q.step, q.steps, traj, text)
    if not any(served):
        return [None] * len(settings)
    return [Served(box) for box in served]
