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
import warnings
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


#: Working precisions of :attr:`Setting.dtype`.
DTYPES = ("float64", "float32")


@dataclass(frozen=True)
class Setting:
    """Instance parameters shared by all claims (each claim has its own defaults).

    ``alpha`` is the initialisation scale (the largest one when a claim sweeps alpha);
    ``rank`` is r-hat, the number of columns of U; ``m = None`` means full observation.
    ``init`` is the scaling of U-bar (:func:`sensing.initial_factor`), or ``"orthogonal"``: a
    unit-norm U-bar orthogonal to v_1 of Z*, which violates Assumption 3.5 (negative controls).

    Asymmetric instances (:mod:`sensing.asymmetric`) set ``d2``: Z* ∈ ℝ^{d×d2} with singular
    values ``eigenvalues``; U is then the lift W = [F; G] of shape (d + d2, r̂), with
    F_0 = αF̄, G_0 = α·``init_ratio``·Ḡ (Xiong et al. use 1/3).

    ``dtype`` is the working precision of the built-in gradient descent's runs (``"float32"``
    opts in to the faster, less precise loop for sweeps; records stay float64; a user dynamics
    always gets float64 U₀). The float32 results the claims read are checked against float64 in
    ``tests/benchmarks/test_float32_accuracy.py``; claims that float32 cannot resolve refuse it.
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
    d2: int | None = None
    init_ratio: float = 1.0
    dtype: str = "float64"

    @property
    def asymmetric(self) -> bool:
        return self.d2 is not None

    def __post_init__(self):
        object.__setattr__(self, "eigenvalues", tuple(float(e) for e in self.eigenvalues))
        if self.operator == "identity":
            object.__setattr__(self, "m", None)
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {DTYPES} (the working precision of the built-in "
                             f"gradient descent), got {self.dtype!r}")

    @property
    def structured(self) -> bool:
        """Whether the operator is one of :mod:`sensing.structured` (no S, mode ``"factored"``)."""
        return self.operator in STRUCTURED_OPERATORS

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
        if self.asymmetric:
            ratio = f", G₀/F₀ scale {self.init_ratio:g}" if self.init_ratio != 1.0 else ""
            return (f"{self.d}×{self.d2}, σ(Z*)=[{eig}], {m}, r̂={self.rank}, α={self.alpha:g}{ratio}, "
                    f"μ={self.step:g}, seed={self.seed}")
        prec = f", {self.dtype}" if self.dtype != "float64" else ""
        return (f"d={self.d}, eig(Z*)=[{eig}], {m}, r̂={self.rank}, α={self.alpha:g}, "
                f"μ={self.step:g}, seed={self.seed}{prec}")

    def problem(self):
        """The instance: a :class:`sensing.SensingProblem`, or for ``d2`` set a
        :class:`sensing.asymmetric.AsymmetricProblem`."""
        if self.asymmetric:
            return _asymmetric_problem(self.d, self.d2, self.eigenvalues, self.m, self.operator, self.seed)
        return _problem(self.d, self.eigenvalues, self.m, self.operator, self.seed)

    def initial(self, alpha: float | None = None, *, batch: int | None = None) -> np.ndarray:
        """``U_0 = alpha U-bar`` from this setting's seed (child stream 2); for an asymmetric
        setting the lift [F_0; G_0] (F̄, Ḡ scaled as ``init`` says, each on its own)."""
        rng = np.random.default_rng(np.random.SeedSequence(self.seed).spawn(3)[2])
        a = self.alpha if alpha is None else alpha
        if self.asymmetric:
            lead = () if batch is None else (batch,)
            F = rng.standard_normal(lead + (self.d, self.rank))
            G = rng.standard_normal(lead + (self.d2, self.rank))
            if self.init == "unit":
                F /= np.linalg.norm(F, 2, axis=(-2, -1), keepdims=True)
                G /= np.linalg.norm(G, 2, axis=(-2, -1), keepdims=True)
            elif self.init == "normalized":
                F, G = F / np.sqrt(self.rank), G / np.sqrt(self.rank)
            elif self.init != "gaussian":
                raise ValueError(f"init {self.init!r} is not defined for asymmetric settings; use "
                                 "'unit', 'normalized' or 'gaussian'")
            return np.concatenate([a * F, a * self.init_ratio * G], axis=-2)
        if self.init != "orthogonal":
            return sensing.initial_factor(self.d, self.rank, a, rng, scaling=self.init, batch=batch)
        # a violating instance of Assumption 3.5: U-bar with its v_1-component projected out
        ubar = sensing.initial_factor(self.d, self.rank, 1.0, rng, scaling="unit", batch=batch)
        v1 = self.problem().truth.eigenvectors[:, :1]
        ubar = ubar - v1 @ (v1.T @ ubar)
        return a * ubar / np.linalg.norm(ubar, 2, axis=(-2, -1), keepdims=True)

    def ubar(self) -> np.ndarray:
        return self.initial(1.0)


#: The operators of :mod:`sensing.structured`: rank-one ``A_i = a_i a_i^T`` (Gaussian a_i) and
#: entry sampling (matrix completion, m = |Omega| distinct entries).
STRUCTURED_OPERATORS = ("rank_one", "completion")
#: Completion default: |Omega| = this fraction of the D = d(d+1)/2 entries, on d at least
#: COMPLETION_MIN_D (below it |Omega| >= mu r* d log d exceeds D for r* = 3, 4; :func:`for_operator`).
COMPLETION_FRACTION = 0.9
COMPLETION_MIN_D = 100


def for_operator(default: Setting, operator: str | None, *, keep_d: bool = False, keep_m: bool = False) -> Setting:
    """A claim's default instance moved to ``operator``, with the defaults that fit it.

    The Gaussian defaults do not fit the structured operators: rank-one measurements have
    ``E A*A(Z) = 2Z + tr(Z) I`` (``||A*(y)||`` ≈ 2σ₁² + tr Z*, not σ₁²), and completion has at
    most D = d(d+1)/2 distinct entries. So: for ``"rank_one"`` the step is rescaled to keep the
    default's ``μ||A*(y)||`` (``step · σ₁² / ||A*(y)||``; m unchanged); for ``"completion"``
    ``m = |Omega| = ⌈COMPLETION_FRACTION · D⌉`` and the step rescaled the same way
    (``||A*A|| = D/m``). Any other operator (or ``None``) returns ``default`` with only the
    operator replaced. Completion moves a claim's d below ``COMPLETION_MIN_D`` up to it unless
    ``keep_d`` (the user chose d), and keeps ``default.m`` if ``keep_m`` (the user chose m: the
    step is then rescaled on the instance that runs, not on one with the claim's own m, whose
    ``||A*(y)||`` can be far larger: at d = 10^4, 100 observed entries give 800 against 4.1 for
    10^6). An explicit user step (``--step``) is applied after this.
    """
    if operator is None or operator == default.operator:
        return default
    s = dataclasses.replace(default, operator=operator)
    if operator not in STRUCTURED_OPERATORS or default.asymmetric:
        return s
    if operator == "completion":
        D = s.d * (s.d + 1) // 2
        # a claim about m < D measurements keeps its d and m; so does a user's m up to D (all
        # entries observed). A user's m > D is left to the caller's check (verify's --m message),
        # the step is then the fraction's
        if s.m is None or not (s.m < D or (keep_m and s.m == D)):
            if s.d < COMPLETION_MIN_D and not keep_d:  # a default r̂ = d follows d, as verify --d does
                s = dataclasses.replace(s, d=COMPLETION_MIN_D, rank=COMPLETION_MIN_D if s.rank == s.d else s.rank)
            D = s.d * (s.d + 1) // 2
            s = dataclasses.replace(s, m=int(math.ceil(COMPLETION_FRACTION * D)))
    elif s.m is None:
        s = dataclasses.replace(s, m=2000)
    pb = s.problem()
    lam = float(pb.op.adjoint_norm(pb.y))
    return dataclasses.replace(s, step=float(f"{default.step * s.eigenvalues[0] / lam:.3g}"))


_PROBLEMS: dict = {}


def _asymmetric_problem(d1, d2, singular_values, m, operator, seed):
    from sensing import asymmetric

    key = ("asym", d1, d2, singular_values, m, operator, seed)
    if key not in _PROBLEMS:
        if len(_PROBLEMS) > 16:
            _PROBLEMS.clear()
        _PROBLEMS[key] = asymmetric.make_problem(d1, d2, singular_values=np.array(singular_values), m=m,
                                                 operator=operator, seed=seed)
    return _PROBLEMS[key]


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
    """A measured quantity, what the claim predicts for it, and whether they agree.

    Parameters
    ----------
    quantity : str
        What was measured, in the paper's symbols (shown in reports).
    measured : object
        The measured value(s); ``None`` when the measurement is not testable.
    predicted : str
        The prediction *with the tolerance actually applied* (shown next to the value).
    holds : bool or None
        Whether measured and predicted agree; ``None``: the measurement could not be computed on
        this evidence ("not testable", with :attr:`reason`), which is reported, never dropped.
    name : str
        Stable identifier of the check, one of its claim's :attr:`Claim.measurements`; negative
        controls and sweeps refer to it.
    reason : str
        Why a measurement is not testable.
    """

    quantity: str
    measured: Any
    predicted: str
    holds: bool | None
    name: str = ""
    reason: str = ""

    def __post_init__(self):
        if self.holds is not None:
            object.__setattr__(self, "holds", bool(self.holds))

    @classmethod
    def not_testable(cls, name: str, quantity: str, reason: str, measured=None,
                     predicted: str = "") -> "Measurement":
        """A check that could not be computed on this evidence, with the reason."""
        return cls(quantity, measured, predicted, None, name=name, reason=reason)

    @property
    def testable(self) -> bool:
        return self.holds is not None

    @property
    def mark(self) -> str:
        return "n/t" if self.holds is None else ("ok " if self.holds else "BAD")

    def measured_text(self) -> str:
        v = self.measured
        if v is None:
            return "—"
        if isinstance(v, float):
            return f"{v:.4g}"
        if isinstance(v, (list, tuple, np.ndarray)):
            return "[" + ", ".join(f"{x:.3g}" if isinstance(x, float) else str(x) for x in np.asarray(v).tolist()) + "]"
        return str(v)


#: Statuses of a verdict. ``ERROR``: the claim raised before it could judge (a bug or an
#: unsupported instance); the message is in :attr:`Verdict.error`.
STATUSES = ("HOLDS", "FAILS", "OUT OF SCOPE", "ERROR")

#: The measurement :meth:`Claim.verify` emits when gradient descent diverges; claims that run
#: gradient descent declare it in :attr:`Claim.measurements`.
FINITE_TRAJECTORY = "finite_trajectory"

#: ``Verdict.dynamics`` of the built-in dynamics.
BUILTIN_DYNAMICS = sensing.dynamics.GRADIENT_DESCENT.name


@dataclass(frozen=True, eq=False)
class RunRequest:
    """One gradient-descent run a claim needs: from ``U0`` (shape (K, d, r̂): K runs batched, e.g.
    one per α of a sweep), ``steps`` steps of size ``step`` (the paper's μ, ``1/4m`` loss) on the
    claim's instance. ``name`` identifies the run in recorded-run files and in error messages;
    ``options`` are the record the claim reads (:func:`sensing.gradient_descent`'s
    ``record_every``, ``references``, ``n_eigenvalues``, ``snapshots``), not part of the contract
    with the dynamics."""

    name: str
    U0: np.ndarray
    step: float
    steps: int
    options: dict = field(default_factory=dict, repr=False)

    def describe(self) -> str:
        K, d, r = self.U0.shape
        return f"{self.name}: U0 {K}×{d}×{r}, μ = {self.step:g}, {self.steps} steps"


def execute(request: RunRequest, setting: Setting, dynamics=None) -> sensing.Trajectory:
    """The trajectory of ``request`` on ``setting``'s instance under ``dynamics`` (default: the
    built-in :func:`sensing.gradient_descent`; any :func:`sensing.dynamics.as_dynamics` spec)."""
    dyn = sensing.dynamics.as_dynamics(dynamics)
    options = request.options
    if setting.dtype != "float64" and dyn.builtin:  # a user dynamics gets float64 U0 (its contract)
        options = {**options, "dtype": setting.dtype}
    return dyn.run(setting.problem(), request.U0, step=request.step, steps=request.steps,
                   request=request.name, **options)


class RecordedRuns(sensing.dynamics.Dynamics):
    """Iterates recorded elsewhere (a GPU job, another language), served as a dynamics.

    ``runs`` maps each request name to its iterates, shape ``(steps + 1, K, d, r̂)``; a run whose
    length or U₀ does not match its request, or a missing run, is a
    :class:`sensing.dynamics.DynamicsError` naming the request.
    """

    def __init__(self, runs, *, name: str = "recorded runs"):
        super().__init__(self._serve, name=name)
        self.runs = {str(k): v for k, v in dict(runs).items()}
        self._request = None

    def _serve(self, problem, U0, *, step, steps):
        name = self._request
        if name not in self.runs:
            have = ", ".join(sorted(self.runs)) or "none"
            raise sensing.dynamics.DynamicsError(
                f"no recorded run for request {name!r} (runs given: {have}); record it with "
                f"`python -m theorems requests` and include it")
        arr = np.asarray(self.runs[name])
        want = (steps + 1,) + tuple(np.shape(U0))
        if arr.shape != want:
            raise sensing.dynamics.DynamicsError(
                f"recorded run for request {name!r} has shape {arr.shape}; the request needs "
                f"{want} (U_0..U_{steps} of the request's U0)")
        return arr

    def run(self, problem, U0, *, step, steps, request=None, **record_options):
        self._request = request
        try:
            return super().run(problem, U0, step=step, steps=steps, request=request, **record_options)
        finally:
            self._request = None


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking a claim on one instance.

    ``status`` is ``OUT OF SCOPE`` when a required assumption fails (whatever was measured),
    ``ERROR`` when the claim raised (:attr:`error`), else ``HOLDS`` when every check that could be
    run agrees with the prediction (and at least one could), ``FAILS`` otherwise. Checks that could
    not be computed are kept as "not testable" and counted in the report.
    """

    claim: str
    label: str
    setting: Setting
    assumptions: tuple
    measurements: tuple
    notes: str = ""
    error: str = ""
    key: str = ""
    dynamics: str = BUILTIN_DYNAMICS
    diagnosis: str = ""

    @property
    def in_scope(self) -> bool:
        return all(a.holds for a in self.assumptions if a.role == "required")

    @property
    def checks_run(self) -> int:
        return sum(m.testable for m in self.measurements)

    @property
    def not_testable(self) -> tuple:
        return tuple(m for m in self.measurements if not m.testable)

    @property
    def holds(self) -> bool:
        return (not self.error and self.checks_run > 0
                and all(m.holds for m in self.measurements if m.testable))

    @property
    def status(self) -> str:
        if self.error:
            return "ERROR"
        if not self.in_scope:
            return "OUT OF SCOPE"
        return "HOLDS" if self.holds else "FAILS"

    def failures(self) -> list:
        """Measurements that were run and disagree with the prediction."""
        return [m for m in self.measurements if m.holds is False]

    def failing(self) -> tuple:
        """Names of the failing measurements."""
        return tuple(m.name for m in self.failures())

    def out_of_scope(self) -> tuple:
        """Names of the required assumptions that fail."""
        return tuple(a.name for a in self.assumptions if a.role == "required" and not a.holds)

    def measurement(self, name: str) -> Measurement:
        """The measurement with this name (``KeyError`` listing the names otherwise)."""
        for m in self.measurements:
            if m.name == name:
                return m
        raise KeyError(f"{self.key or self.claim}: no measurement named {name!r}; this verdict has "
                       f"{[m.name for m in self.measurements]}")

    def report(self) -> str:
        lines = [f"{self.label} — {self.claim}: {self.status}", f"  instance: {self.setting.describe()}"]
        if self.dynamics != BUILTIN_DYNAMICS:
            lines.append(f"  dynamics: {self.dynamics}")
        if self.error:
            lines.append(f"  error: {self.error}")
        for a in self.assumptions:
            mark = "ok " if a.holds else ("NOT" if a.role == "required" else "n/a")
            lines.append(f"  [{mark}] {a.name} ({a.how}{', paper constant' if a.role == 'paper' else ''}): "
                         f"{a.statement} — {a.detail}")
        for m in self.measurements:
            if m.testable:
                lines.append(f"  [{m.mark}] {m.quantity}: got {m.measured_text()}, predicted {m.predicted}")
            else:
                lines.append(f"  [{m.mark}] {m.quantity}: not testable — {m.reason}")
        if self.measurements:
            nt = len(self.not_testable)
            lines.append(f"  checks: {self.checks_run} run ({len(self.failures())} failing), "
                         f"{nt} not testable")
        if self.notes:
            lines.append(f"  note: {self.notes}")
        if self.diagnosis:
            lines.append(f"  diagnosis: {self.diagnosis}")
        return "\n".join(lines)

    def as_dict(self) -> dict:
        def clean(v):
            if isinstance(v, np.ndarray):
                return [clean(x) for x in v.tolist()]
            if isinstance(v, (list, tuple)):
                return [clean(x) for x in v]
            if isinstance(v, (np.floating, np.integer, np.bool_)):
                return clean(v.item())
            if isinstance(v, float) and not math.isfinite(v):
                return str(v)
            return v
        return {
            "key": self.key, "claim": self.claim, "label": self.label, "status": self.status,
            "error": self.error, "dynamics": self.dynamics, "diagnosis": self.diagnosis,
            "setting": dataclasses.asdict(self.setting),
            "assumptions": [dataclasses.asdict(a) for a in self.assumptions],
            "measurements": [{k: clean(v) for k, v in dataclasses.asdict(m).items()}
                             for m in self.measurements],
            "checks_run": self.checks_run, "not_testable": len(self.not_testable),
            "notes": self.notes,
        }


class ClaimDefinitionError(RuntimeError):
    """A claim emitted a measurement or a required assumption it does not declare."""


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
    measurements : tuple of str
        Every :attr:`Measurement.name` that :attr:`check` can emit (the framework adds
        :data:`FRAMEWORK_MEASUREMENTS`). Each has its own negative control in the test suite.
    required : tuple of str
        Every :attr:`AssumptionCheck.name` with role ``required`` that :attr:`assumptions` can
        emit. Each has a violating instance in the test suite.
    plan : callable(Setting) -> tuple of RunRequest, optional
        The gradient-descent runs the claim needs (``None``: the claim is not about dynamics,
        e.g. the landscape lemmas). A claim with a plan takes ``evidence(setting, dynamics=...)``
        and obtains every trajectory through :func:`execute` (the dynamics seam).
    """

    key: str
    label: str
    title: str
    default: Setting
    assumptions: Callable
    evidence: Callable
    check: Callable
    instances: Callable = field(repr=False)
    measurements: tuple = ()
    required: tuple = ()
    plan: Callable | None = field(default=None, repr=False)

    @property
    def dynamic(self) -> bool:
        """Whether the claim is about gradient-descent dynamics (has a :attr:`plan`)."""
        return self.plan is not None

    def default_for(self, operator: str | None, **changes) -> Setting:
        """:attr:`default` moved to ``operator`` with the defaults that fit it (:func:`for_operator`),
        then ``changes`` applied (``None`` values ignored). The instance's shape (d, eigenvalues,
        rank, m, seed) is applied first, so that the operator's defaults (its step) are those of
        the instance that runs."""
        changes = {k: v for k, v in changes.items() if v is not None}
        if "d" in changes and "rank" not in changes and self.default.rank == self.default.d:
            changes["rank"] = changes["d"]  # a default r̂ = d follows d (as verify --d and sweeps do)
        shape = {k: changes[k] for k in ("d", "eigenvalues", "rank", "m", "seed", "d2") if k in changes}
        base = dataclasses.replace(self.default, **shape)
        return dataclasses.replace(for_operator(base, operator, keep_d="d" in changes, keep_m="m" in changes),
                                   **changes)

    def requests(self, setting: Setting | None = None) -> tuple:
        """The :class:`RunRequest` s the claim needs on ``setting`` (default :attr:`default`):
        run them with your own code and judge the iterates with :meth:`judge_runs`. Empty for a
        claim that is not about dynamics."""
        setting = self.default if setting is None else setting
        return tuple(self.plan(setting)) if self.plan is not None else ()

    def judge_runs(self, runs, setting: Setting | None = None, *, name: str = "recorded runs") -> Verdict:
        """The verdict on recorded iterates: ``runs`` maps each request name
        (:meth:`requests`) to its iterates U_0..U_T, shape ``(T + 1, K, d, r̂)``. The same
        verdict as :meth:`verify` with a dynamics that produced those iterates; a run whose U₀ or
        length does not match its request raises :class:`sensing.dynamics.DynamicsError`."""
        return self.verify(setting, dynamics=RecordedRuns(runs, name=name))

    def scope(self, setting: Setting) -> tuple:
        """The assumption checks on ``setting``, validated against :attr:`required`."""
        checks = tuple(self.assumptions(setting))
        unknown = [a.name for a in checks if a.role == "required" and a.name not in self.required]
        if unknown and self.required:  # undeclared claims are caught by the controls meta-test
            raise ClaimDefinitionError(f"claim {self.key!r} emitted required assumptions {unknown} "
                                       f"that it does not declare in Claim.required {self.required}")
        return checks

    def judge(self, setting: Setting, evidence, *, notes: str = "",
              dynamics: str = BUILTIN_DYNAMICS) -> Verdict:
        """The verdict of :attr:`check` on given (possibly doctored) evidence."""
        measurements, check_notes = self.check(setting, evidence)
        measurements = tuple(measurements)
        unknown = [m.name for m in measurements if m.name not in self.measurements]
        if unknown and self.measurements:  # undeclared claims are caught by the controls meta-test
            raise ClaimDefinitionError(f"claim {self.key!r} emitted measurements {unknown} that it "
                                       f"does not declare in Claim.measurements {self.measurements}")
        text = "; ".join(t for t in (check_notes, notes) if t)
        return Verdict(self.title, self.label, setting, self.scope(setting), measurements, text,
                       key=self.key, dynamics=dynamics)

    def error_verdict(self, setting: Setting, exc: BaseException, *, dynamics=None) -> Verdict:
        """An ``ERROR`` verdict carrying the exception's type and message."""
        try:
            checks = self.scope(setting)
        except Exception:  # the assumptions themselves may be what failed
            checks = ()
        name = sensing.dynamics.as_dynamics(dynamics).name if self.dynamic else BUILTIN_DYNAMICS
        return Verdict(self.title, self.label, setting, checks, (), "",
                       error=f"{type(exc).__name__}: {exc}", key=self.key, dynamics=name)

    def verify(self, setting: Setting | None = None, *, dynamics=None, diagnose: bool = True) -> Verdict:
        """Run the dynamics on ``setting`` (default: :attr:`default`) and check the claim.

        Parameters
        ----------
        setting : Setting, optional
        dynamics : optional
            Whose gradient descent to judge: ``None`` (the built-in
            :func:`sensing.gradient_descent`), a callable ``fn(problem, U0, *, step, steps)``, a
            ``"module:function"`` string or a :class:`sensing.dynamics.Dynamics`
            (:mod:`sensing.dynamics` states the contract). A claim that is not about dynamics
            ignores it and says so in its notes.
        diagnose : bool
            When the verdict is ``FAILS``, fit the dynamics' effective step from its early growth
            (:func:`theorems.diagnosis.diagnose`) and put the finding in :attr:`Verdict.diagnosis`.

        An instance outside the required assumptions is still run and reported, with status
        ``OUT OF SCOPE``; a divergent run is reported as the failed measurement
        ``finite_trajectory``. Warnings raised by the dynamics (e.g.
        :class:`sensing.StagnationWarning`: a loss that stopped decreasing) become notes of the
        verdict. Any other exception propagates; the CLI and :func:`theorems.verify` turn it into
        an ``ERROR`` verdict.
        """
        setting = self.default if setting is None else setting
        dyn = sensing.dynamics.as_dynamics(dynamics)
        if not self.dynamic:
            verdict = self.judge(setting, self.evidence(setting))
            if dyn.builtin:
                return verdict
            return dataclasses.replace(verdict, notes="; ".join(t for t in (
                verdict.notes, f"this claim is about the loss landscape, not about dynamics: the "
                f"dynamics {dyn.name} was not used") if t))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                evidence = self.evidence(setting, dynamics=dyn)
            except sensing.DivergenceError as exc:
                verdict = Verdict(self.title, self.label, setting, self.scope(setting),
                                  (Measurement("gradient descent", "diverged", "a finite trajectory",
                                               False, name=FINITE_TRAJECTORY),),
                                  str(exc), key=self.key, dynamics=dyn.name)
                evidence = None
        if evidence is not None:
            verdict = self.judge(setting, evidence, notes=_dynamics_notes(caught), dynamics=dyn.name)
        if diagnose and verdict.status == "FAILS":
            from .diagnosis import diagnose as _diagnose

            verdict = dataclasses.replace(verdict, diagnosis=_diagnose(self, setting, dyn).text)
        return verdict


def _dynamics_notes(caught) -> str:
    """Notes from the :class:`sensing.DynamicsWarning` s of a run; other warnings are re-emitted
    (so that ``-W error`` and pytest's ``filterwarnings = error`` still see them)."""
    seen = []
    for w in caught:
        if issubclass(w.category, sensing.DynamicsWarning):
            text = f"{w.category.__name__}: {w.message}"
            if text not in seen:
                seen.append(text)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return "; ".join(seen)


def dumps(verdicts) -> str:
    return json.dumps([v.as_dict() for v in verdicts], indent=2)
