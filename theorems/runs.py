"""Checking a user's gradient descent: :func:`verify`, and recorded runs for code outside Python.

Three routes, one seam (:mod:`sensing.dynamics`): every claim obtains its trajectories through
:func:`theorems._core.execute`, so the verdicts of a callable dynamics, of recorded iterates and
of the built-in :func:`sensing.gradient_descent` are computed by the same code.

- Python: ``theorems.verify(dynamics=my_gd)`` or ``claim.verify(dynamics=my_gd)``.
- Recorded runs (a GPU job, another language): :func:`write_requests` saves what each claim
  needs (``python -m theorems requests --out req.npz``); the user runs their code from each U₀ and
  saves the iterates; :func:`read_runs` and :func:`judge` (``python -m theorems judge --runs
  runs.npz``) judge them.

Files (``numpy.savez``; every array float64):

requests file
    ``format``: ``"sensing-theorems requests v1"``; ``names``: the request names, in order; per
    request N: ``N/U0`` (K, d, r̂), ``N/step`` (μ of the paper's 1/4m loss), ``N/steps`` (T),
    ``N/claim``, ``N/setting`` (JSON of the :class:`~theorems.Setting`), ``N/problem`` (an index j);
    per instance j: ``problem{j}/A`` (m, d, d) the symmetric sensing matrices and
    ``problem{j}/y`` (m,) the measurements y_i = ⟨A_i, Z*⟩, so that the loss is
    f(U) = (1/4m) Σ_i (⟨A_i, UUᵀ⟩ − y_i)² and the step U ← U − μ∇f(U) (see
    :mod:`sensing.conventions` for other normalisations). Instances shared by several claims are
    written once; ``--without-operator`` omits them (for users who rebuild the instance from its
    seed in Python).
runs file
    per request N: ``N`` of shape (T + 1, K, d, r̂), the iterates U_0..U_T (U_0 the request's U0,
    in float64 or float32).
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Mapping

import numpy as np

import sensing

from ._core import RecordedRuns, RunRequest, Setting, Verdict
from .registry import get, select

REQUESTS_FORMAT = "sensing-theorems requests v1"


def _settings_for(chosen, setting) -> list:
    """``setting`` for each claim: None (each claim's default), a Setting, or a mapping of
    Setting fields that overrides each claim's default."""
    if setting is None:
        return [c.default for c in chosen]
    if isinstance(setting, Setting):
        return [setting for _ in chosen]
    if isinstance(setting, Mapping):
        bad = sorted(set(setting) - {f.name for f in dataclasses.fields(Setting)})
        if bad:
            raise ValueError(f"setting has unknown fields {bad}; Setting fields are "
                             f"{[f.name for f in dataclasses.fields(Setting)]}")
        return [c.default.replace(**setting) for c in chosen]
    raise TypeError(f"setting must be None, a theorems.Setting or a mapping of Setting fields, got "
                    f"{type(setting).__name__}")


def verify(only=None, *, setting=None, dynamics=None) -> list[Verdict]:
    """Check the claims (all, or those ``only`` selects) and return their verdicts, in order.

    Parameters
    ----------
    only : str or sequence of str, optional
        Claims whose key or label contains any of these (as ``--only``).
    setting : Setting or mapping, optional
        The instance: ``None`` for each claim's default, a :class:`Setting` for all, or a mapping
        of Setting fields (e.g. ``{"seed": 3}``) that overrides each claim's default.
    dynamics : optional
        Whose gradient descent: ``None`` (built-in), a callable ``fn(problem, U0, *, step, steps)``,
        a ``"module:function"`` string or a :class:`sensing.dynamics.Dynamics`. Loaded and its
        signature checked before anything runs (:class:`sensing.DynamicsError` otherwise).

    A claim that raises gives an ``ERROR`` verdict carrying the exception; the others still run.
    """
    if isinstance(only, str):
        only = [only]
    dyn = sensing.dynamics.as_dynamics(dynamics)
    chosen = select(only)
    out = []
    for claim, s in zip(chosen, _settings_for(chosen, setting)):
        try:
            out.append(claim.verify(s, dynamics=dyn))
        except Exception as exc:  # one claim's failure must not lose the others' verdicts
            out.append(claim.error_verdict(s, exc, dynamics=dyn))
    return out


def requests(only=None, *, setting=None) -> list[tuple]:
    """``[(claim, setting, request), ...]`` for the selected claims that are about dynamics."""
    if isinstance(only, str):
        only = [only]
    chosen = [c for c in select(only) if c.dynamic]
    return [(c, s, r) for c, s in zip(chosen, _settings_for(chosen, setting)) for r in c.requests(s)]


def _setting_json(s: Setting) -> str:
    return json.dumps(dataclasses.asdict(s))


def setting_from_json(text: str) -> Setting:
    data = json.loads(text)
    data["eigenvalues"] = tuple(data["eigenvalues"])
    return Setting(**data)


def write_requests(path, only=None, *, setting=None, operator: bool = True) -> list[RunRequest]:
    """Write the requests of the selected claims to ``path`` (module docstring: the format)."""
    items = requests(only, setting=setting)
    if not items:
        raise ValueError("the selected claims need no gradient-descent runs (none is about dynamics)")
    write_items(path, items, operator=operator)
    return [r for _, _, r in items]


def write_items(path, items, *, operator: bool = True) -> None:
    """Write ``[(claim, setting, request), ...]`` as a requests file."""
    arrays = {"format": np.array(REQUESTS_FORMAT), "names": np.array([r.name for _, _, r in items])}
    problems: dict = {}
    for claim, s, r in items:
        key = (s.d, s.eigenvalues, s.m, s.operator, s.seed)
        if key not in problems:
            problems[key] = len(problems)
            if operator:
                pb = s.problem()
                arrays[f"problem{problems[key]}/A"] = pb.op.matrices()
                arrays[f"problem{problems[key]}/y"] = np.sqrt(pb.op.m) * pb.y
        arrays.update({f"{r.name}/U0": r.U0, f"{r.name}/step": np.array(r.step),
                       f"{r.name}/steps": np.array(r.steps), f"{r.name}/claim": np.array(claim.key),
                       f"{r.name}/setting": np.array(_setting_json(s)),
                       f"{r.name}/problem": np.array(problems[key])})
    np.savez(path, **arrays)


def read_requests(path) -> list[tuple]:
    """``[(claim, setting, request), ...]`` from a requests file (options rebuilt by the claim, and
    the stored U₀/step/steps checked against them)."""
    with np.load(path, allow_pickle=False) as f:
        if "format" not in f or str(f["format"]) != REQUESTS_FORMAT:
            raise ValueError(f"{path}: not a requests file (expected format {REQUESTS_FORMAT!r}); write "
                             "one with `python -m theorems requests --out FILE`")
        out = []
        for name in (str(n) for n in f["names"]):
            claim = get(str(f[f"{name}/claim"]))
            s = setting_from_json(str(f[f"{name}/setting"]))
            reqs = {r.name: r for r in claim.requests(s)}
            if name not in reqs:
                raise ValueError(f"{path}: request {name!r} is not one of claim {claim.key!r}'s "
                                 f"({', '.join(reqs)}); was it written by another version?")
            r = reqs[name]
            if not (np.array_equal(r.U0, f[f"{name}/U0"]) and int(f[f"{name}/steps"]) == r.steps
                    and float(f[f"{name}/step"]) == r.step):
                raise ValueError(f"{path}: request {name!r} differs from what claim {claim.key!r} asks "
                                 f"today on the same setting ({r.describe()}); write the requests again")
            out.append((claim, s, r))
    return out


def read_runs(path) -> dict:
    """``{request name: iterates}`` from a runs file (``numpy.savez`` of one array per request)."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"runs file {str(path)!r} does not exist")
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def check_runs(items, runs: Mapping) -> None:
    """Raise :class:`sensing.DynamicsError` naming the request when a run is missing, has the wrong
    shape (not (steps + 1, K, d, r̂)) or does not start at the request's U₀."""
    unknown = sorted(set(runs) - {r.name for _, _, r in items})
    if unknown:
        raise sensing.DynamicsError(f"runs {unknown} match no request (requests: "
                                    f"{', '.join(r.name for _, _, r in items)})")
    for _, _, r in items:
        if r.name not in runs:
            raise sensing.DynamicsError(f"no recorded run for request {r.name!r} ({r.describe()})")
        arr = np.asarray(runs[r.name])
        want = (r.steps + 1,) + r.U0.shape
        if arr.shape != want:
            raise sensing.DynamicsError(f"recorded run for request {r.name!r} has shape {arr.shape}; the "
                                        f"request needs {want} (U_0..U_{r.steps}; {r.describe()})")
        diff = float(np.max(np.abs(arr[0].astype(np.float64) - r.U0)))
        allowed = sensing.dynamics.U0_RTOL * float(np.max(np.abs(r.U0)))
        if not diff <= allowed:
            raise sensing.DynamicsError(f"recorded run for request {r.name!r} starts from a U_0 that differs "
                                        f"from the request's U0 by {diff:.3g} (allowed {allowed:.3g}): "
                                        "start each run from the U0 in the requests file")


def prepare(items, runs: Mapping, *, name: str = "recorded runs", subset: bool = True):
    """``(claims, settings, dynamics)`` to judge ``runs`` against ``items`` (``[(claim, setting,
    request)]``). With ``subset``, only the claims whose requests all have a run are judged (and it is
    an error when there is none); otherwise every item needs its run. Runs are validated first
    (:func:`check_runs`)."""
    if subset:
        names = {r.name for _, _, r in items}
        have = [it for it in items if it[2].name in runs]
        if not have:
            raise sensing.DynamicsError(f"the runs given ({', '.join(sorted(runs)) or 'none'}) answer no "
                                        f"request of the selected claims ({', '.join(sorted(names))})")
        items = have
        runs = {k: v for k, v in runs.items() if k in names}
    check_runs(items, runs)
    chosen, settings, seen = [], [], set()
    for c, s, _ in items:
        if c.key not in seen:
            seen.add(c.key)
            chosen.append(c)
            settings.append(s)
    return chosen, settings, RecordedRuns(runs, name=name)


def judge(runs, only=None, *, setting=None, requests_path=None, name: str = "recorded runs") -> list[Verdict]:
    """Verdicts on recorded iterates (``runs``: a mapping or a runs-file path).

    The claims judged are those with a run in ``runs`` (and selected by ``only``); the settings
    come from ``requests_path`` when given (the requests file the runs answer; then every request
    in it needs its run), else from ``setting`` (as in :func:`verify`). Runs are validated first
    (:func:`check_runs`): a missing run, a wrong length or a U₀ other than the request's raises
    :class:`sensing.DynamicsError` naming the request.
    """
    if isinstance(only, str):
        only = [only]
    if not isinstance(runs, Mapping):
        runs = read_runs(runs)
    if requests_path is not None:
        keep = {c.key for c in select(only)}
        items = [it for it in read_requests(requests_path) if it[0].key in keep]
    else:
        items = requests(only, setting=setting)
    chosen, settings, dyn = prepare(items, runs, name=name, subset=requests_path is None)
    out = []
    for claim, s in zip(chosen, settings):
        try:
            out.append(claim.verify(s, dynamics=dyn))
        except Exception as exc:
            out.append(claim.error_verdict(s, exc, dynamics=dyn))
    return out
