"""The vocabulary of a claim: settings, assumption checks, measurements, verdicts.

No pytest here: ``theorems`` is a library (the tests, ``python -m theorems`` and notebooks all
use it). A claim module provides a :class:`Claim`: its paper label, a default
:class:`Setting`, ``assumptions(setting)`` returning :class:`AssumptionCheck` s, ``evidence``
(run the dynamics) and ``check`` (compare evidence with the prediction) returning a
:class:`Verdict`.
"""
from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable

import numpy as np

import sensing

#: How an assumption was checked, from strongest to weakest.
HOW = ("exact", "certified bound", "estimate", "by construction")
#: ``required``: gates the claim (a failure puts the instance out of scope, exit status 3).
#: ``paper``: the paper's literal constant, reported for information; its constants are far
#: outside practical sizes, which each module's "numerical reading" explains.
ROLES = ("required", "paper")


@dataclass(frozen=True)
class Setting:
    """Instance parameters shared by all claims (each claim has its own defaults).

    ``alpha`` is the initialisation scale (the largest one when a claim sweeps alpha);
    ``rank`` is r-hat, the number of columns of U; ``m = None`` means full observation.
    """

    d: int = 20
    eigenvalues: tuple = (16.0, 8.0, 4.0, 2.0)
    m: int | None = 2000
    operator: str = "gaussian"
    rank: int = 20
    alpha: float = 1e-3
    step: float = 0.01
    seed: int = 0
    init: str = "unit"

    def __post_init__(self):
        object.__setattr__(self, "eigenvalues", tuple(float(e) for e in self.eigenvalues))
        if self.operator == "identity":
            object.__setattr__(self, "m", None)

    def replace(self, **changes) -> "Setting":
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    @property
    def r_star(self) -> int:
        return len(self.eigenvalues)

    @property
    def s_max(self) -> int:
        """``r-hat ∧ r*``, the number of incremental phases."""
        return min(self.rank, self.r_star)

    def describe(self) -> str:
        m = "full observation" if self.operator == "identity" else f"m={self.m} ({self.operator})"
        eig = ", ".join(f"{e:g}" for e in self.eigenvalues)
        return (f"d={self.d}, eig(Z*)=[{eig}], {m}, r̂={self.rank}, α={self.alpha:g}, "
                f"μ={self.step:g}, seed={self.seed}")

    def problem(self) -> sensing.SensingProblem:
        return _problem(self.d, self.eigenvalues, self.m, self.operator, self.seed)

    def initial(self, alpha: float | None = None, *, batch: int | None = None) -> np.ndarray:
        """``U_0 = alpha U-bar`` from this setting's seed (child stream 2)."""
        rng = np.random.default_rng(np.random.SeedSequence(self.seed).spawn(3)[2])
        return sensing.initial_factor(self.d, self.rank, self.alpha if alpha is None else alpha,
                                      rng, scaling=self.init, batch=batch)

    def ubar(self) -> np.ndarray:
        return self.initial(1.0)


_PROBLEMS: dict = {}


def _problem(d, eigenvalues, m, operator, seed):
    key = (d, eigenvalues, m, operator, seed)
    if key not in _PROBLEMS:
        if len(_PROBLEMS) > 16:
            _PROBLEMS.clear()
        _PROBLEMS[key] = sensing.make_problem(d, eigenvalues=np.array(eigenvalues), m=m,
                                              operator=operator, seed=seed)
    return _PROBLEMS[key]


@dataclass(frozen=True)
class AssumptionCheck:
    """One assumption of a claim, checked on an instance."""

    name: str
    statement: str
    holds: bool
    how: str
    detail: str
    role: str = "required"

    def __post_init__(self):
        if self.how not in HOW:
            raise ValueError(f"how must be one of {HOW}, got {self.how!r}")
        if self.role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, got {self.role!r}")


@dataclass(frozen=True)
class Measurement:
    """A measured quantity, what the claim predicts for it, and whether they agree."""

    quantity: str
    measured: Any
    predicted: str
    holds: bool

    def measured_text(self) -> str:
        v = self.measured
        if isinstance(v, float):
            return f"{v:.4g}"
        if isinstance(v, (list, tuple, np.ndarray)):
            return "[" + ", ".join(f"{x:.3g}" if isinstance(x, float) else str(x) for x in np.asarray(v).tolist()) + "]"
        return str(v)


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking a claim on one instance."""

    claim: str
    label: str
    setting: Setting
    assumptions: tuple
    measurements: tuple
    notes: str = ""

    @property
    def in_scope(self) -> bool:
        return all(a.holds for a in self.assumptions if a.role == "required")

    @property
    def holds(self) -> bool:
        return bool(self.measurements) and all(m.holds for m in self.measurements)

    @property
    def status(self) -> str:
        if not self.in_scope:
            return "OUT OF SCOPE"
        return "HOLDS" if self.holds else "FAILS"

    def failures(self) -> list:
        return [m for m in self.measurements if not m.holds]

    def report(self) -> str:
        lines = [f"{self.label} — {self.claim}: {self.status}", f"  instance: {self.setting.describe()}"]
        for a in self.assumptions:
            mark = "ok " if a.holds else ("NOT" if a.role == "required" else "n/a")
            lines.append(f"  [{mark}] {a.name} ({a.how}{', paper constant' if a.role == 'paper' else ''}): "
                         f"{a.statement} — {a.detail}")
        for m in self.measurements:
            lines.append(f"  [{'ok ' if m.holds else 'BAD'}] {m.quantity}: got {m.measured_text()}, "
                         f"predicted {m.predicted}")
        if self.notes:
            lines.append(f"  note: {self.notes}")
        return "\n".join(lines)

    def as_dict(self) -> dict:
        def clean(v):
            if isinstance(v, np.ndarray):
                return v.tolist()
            if isinstance(v, (np.floating, np.integer)):
                return v.item()
            if isinstance(v, float) and not math.isfinite(v):
                return str(v)
            return v
        return {
            "claim": self.claim, "label": self.label, "status": self.status,
            "setting": dataclasses.asdict(self.setting),
            "assumptions": [dataclasses.asdict(a) for a in self.assumptions],
            "measurements": [{**{k: clean(v) for k, v in dataclasses.asdict(m).items()}} for m in self.measurements],
            "notes": self.notes,
        }


@dataclass(frozen=True)
class Claim:
    """A result of the paper as an executable specification.

    Attributes
    ----------
    key : str
        Short name used by ``--only`` (e.g. ``"incremental"``).
    label : str
        ICML label with the arXiv v1 number, e.g. ``"Theorem 4.1 (v1: Thm 4.1)"``.
    title : str
    default : Setting
        The default instance (meets the claim's required assumptions by construction).
    assumptions : callable(Setting) -> tuple of AssumptionCheck
    evidence : callable(Setting) -> object
        Runs the dynamics / computations the claim is about.
    check : callable(Setting, evidence) -> (measurements, notes)
        Compares the evidence with the prediction: a sequence of :class:`Measurement` and a
        note string. Negative controls call :meth:`judge` with doctored evidence.
    instances : callable(**kwargs) -> hypothesis strategy of Setting
        Settings that satisfy the required assumptions by construction.
    """

    key: str
    label: str
    title: str
    default: Setting
    assumptions: Callable
    evidence: Callable
    check: Callable
    instances: Callable = field(repr=False)

    def judge(self, setting: Setting, evidence) -> Verdict:
        """The verdict of :attr:`check` on given (possibly doctored) evidence."""
        measurements, notes = self.check(setting, evidence)
        return Verdict(self.title, self.label, setting, tuple(self.assumptions(setting)),
                       tuple(measurements), notes)

    def verify(self, setting: Setting | None = None) -> Verdict:
        """Run the dynamics on ``setting`` (default: :attr:`default`) and check the claim.

        An instance outside the required assumptions is still run and reported, with status
        ``OUT OF SCOPE``; a divergent run is reported as a failed measurement.
        """
        setting = self.default if setting is None else setting
        try:
            evidence = self.evidence(setting)
        except sensing.DivergenceError as exc:
            return Verdict(self.title, self.label, setting, tuple(self.assumptions(setting)),
                           (Measurement("gradient descent", "diverged", "a finite trajectory", False),),
                           str(exc))
        return self.judge(setting, evidence)


def dumps(verdicts) -> str:
    return json.dumps([v.as_dict() for v in verdicts], indent=2)
