"""The dynamics seam: any implementation of gradient descent, recorded like the built-in one.

A *dynamics* is a callable ``fn(problem, U0, *, step, steps)`` that, given a
:class:`sensing.SensingProblem` (or a :class:`sensing.asymmetric.AsymmetricProblem`, whose U0 and
iterates are the lifts W = [F; G] of shape (K, d1 + d2, r)), the initial factors ``U0`` of shape ``(K, d, r)`` (float64) and
the paper's step size mu (the ``1/4m`` loss, :mod:`sensing.conventions` maps other conventions),
either yields the iterates ``U_t`` of shape ``(K, d, r)`` for t = 0..steps or returns them as one
array of shape ``(steps + 1, K, d, r)``. Arrays of any library that ``numpy.asarray`` converts
(JAX, torch on CPU, CuPy through ``.get()``) are accepted, in float64 or float32.

:class:`Dynamics` wraps such a callable; :meth:`Dynamics.run` returns a :class:`Trajectory` with
exactly the record :func:`sensing.gradient_descent` keeps (the loss of every step, eigenvalues,
distances, snapshots, divergence and stagnation checks), computed by the same loop
(:func:`record`), so that the claims judge any dynamics on the same evidence as the built-in one.
The default, :data:`GRADIENT_DESCENT`, *is* :func:`sensing.gradient_descent` (no per-step cost
is added; ``tests/benchmarks`` measures it). A user dynamics costs one extra operator application
per step: the record's loss f(U_t), evaluated on the iterates it yields.
"""
from __future__ import annotations

import importlib
import inspect
from typing import Callable, Iterable, Iterator

import numpy as np

from .descent import DynamicsError, Trajectory, _descend, gradient_descent
from .operators import check_measurements, check_operator

#: Largest relative difference ``max|U_0(dynamics) - U0| / max|U0|`` accepted between the first
#: iterate a dynamics yields and the U0 it was given: a few units of float32 round-off (eps = 1.2e-7),
#: so a run carried out in float32 from the given U0 is accepted and any other start is not.
U0_RTOL = 4 * float(np.finfo(np.float32).eps)


def _describe(fn) -> str:
    """``module:qualname`` (``<locals>`` kept: it says where a test defined it)."""
    mod = getattr(fn, "__module__", None)
    qual = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None)
    if mod and qual:
        return f"{mod}:{qual}"
    return qual or repr(fn)


def check_signature(fn: Callable, name: str) -> None:
    """Raise :class:`DynamicsError` unless ``fn(problem, U0, step=..., steps=...)`` binds."""
    if not callable(fn):
        raise DynamicsError(f"dynamics {name} is not callable (got {type(fn).__name__}); expected a "
                            "function fn(problem, U0, *, step, steps)")
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):  # a builtin without a signature: trust it
        return
    try:
        sig.bind(None, None, step=1.0, steps=1)
    except TypeError as exc:
        raise DynamicsError(f"dynamics {name} has signature {name.split(':')[-1]}{sig}, which does not "
                            f"accept (problem, U0, *, step, steps): {exc}") from None


def load(spec: str) -> Callable:
    """The callable named by ``"package.module:function"`` (``:`` may be ``.`` for the last dot).

    Raises
    ------
    DynamicsError
        If the module cannot be imported, has no such attribute, or the attribute is not a
        dynamics (:func:`check_signature`); the message names the spec.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise DynamicsError(f"dynamics must be 'module:function', got {spec!r}")
    spec = spec.strip()
    if ":" in spec:
        mod_name, _, attr = spec.partition(":")
    else:
        mod_name, _, attr = spec.rpartition(".")
    if not mod_name or not attr:
        raise DynamicsError(f"dynamics must be 'module:function' (e.g. mypkg.gd:my_gd), got {spec!r}")
    try:
        module = importlib.import_module(mod_name)
    except Exception as exc:  # ImportError, or an error raised while importing the user's module
        raise DynamicsError(f"cannot import module {mod_name!r} of dynamics {spec!r}: "
                            f"{type(exc).__name__}: {exc} (is it installed, or on PYTHONPATH?)") from exc
    obj = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            have = sorted(n for n in dir(module) if not n.startswith("_") and callable(getattr(module, n)))
            raise DynamicsError(f"module {mod_name!r} has no attribute {attr!r} (dynamics {spec!r}); "
                                f"its callables: {', '.join(have) or 'none'}") from None
    check_signature(obj, spec)
    return obj


class Dynamics:
    """A gradient-descent implementation, run and recorded for the claims.

    Parameters
    ----------
    fn : callable, optional
        ``fn(problem, U0, *, step, steps)`` (module docstring). ``None``: the built-in
        :func:`sensing.gradient_descent`.
    name : str, optional
        How verdicts name it (``Verdict.dynamics``); default ``"module:qualname"`` of ``fn``.
    """

    def __init__(self, fn: Callable | None = None, *, name: str | None = None):
        self.fn = fn
        self.name = name or ("sensing.gradient_descent" if fn is None else _describe(fn))
        if fn is not None:
            check_signature(fn, self.name)

    @property
    def builtin(self) -> bool:
        return self.fn is None

    def __repr__(self) -> str:
        return f"Dynamics({self.name!r})"

    def iterates(self, problem, U0: np.ndarray, *, step: float, steps: int,
                 request: str | None = None) -> Iterator[np.ndarray]:
        """The iterates U_0..U_steps of this dynamics, as an iterator (no record)."""
        if self.fn is None:
            tr = self.run(problem, U0, step=step, steps=steps, record_every=max(1, steps),
                          snapshots=range(steps + 1))
            snaps = [tr.snapshots[t] for t in range(steps + 1)]
            if _is_asymmetric(problem):
                from .asymmetric import lift
                snaps = [lift(*fg) for fg in snaps]
            return iter(snaps)
        return _as_iterator(self.fn(problem, np.array(U0, dtype=np.float64, copy=True), step=step,
                                    steps=steps), self._who(request), steps)

    def run(self, problem, U0, *, step: float, steps: int, request: str | None = None,
            **record_options) -> Trajectory:
        """Run from ``U0`` (shape (K, d, r)) for ``steps`` steps of size ``step``; the record is
        :func:`sensing.gradient_descent`'s (``record_options``: its ``record_every``,
        ``references``, ``n_eigenvalues``, ``snapshots``, ``mode``, and ``dtype``: the built-in
        loop's working precision, float64 or float32, for symmetric problems; a user dynamics
        ignores it and gets a float64 U0, as its contract says). ``request`` names the run in
        error messages."""
        dtype = np.dtype(record_options.pop("dtype", None) or np.float64)
        if self.fn is None:
            if _is_asymmetric(problem):  # U0 is the lift [F0; G0]
                from . import asymmetric

                if dtype != np.float64:
                    raise ValueError(f"dtype {dtype.name}: the built-in loop of an asymmetric problem "
                                     "(sensing.asymmetric.gradient_descent) runs in float64 only")
                opts = dict(record_options)
                if "n_eigenvalues" in opts:
                    opts["n_singular_values"] = opts.pop("n_eigenvalues")
                d1 = problem.op.d1
                U0 = np.asarray(U0, dtype=np.float64)
                return asymmetric.gradient_descent(problem.op, problem.y, U0[..., :d1, :], U0[..., d1:, :],
                                                   step=step, steps=steps, **opts)
            return gradient_descent(problem.op, problem.y, U0, step=step, steps=steps, dtype=dtype,
                                    **record_options)
        return record(problem, self.iterates(problem, U0, step=step, steps=steps, request=request),
                      U0, step=step, steps=steps, who=self._who(request), **record_options)

    def _who(self, request: str | None) -> str:
        return f"dynamics {self.name}" + (f" (request {request!r})" if request else "")


def _as_iterator(out, who: str, steps: int) -> Iterator[np.ndarray]:
    if out is None:
        raise DynamicsError(f"{who} returned None; it must yield U_0..U_steps or return an array of "
                            f"shape (steps + 1, K, d, r) = ({steps + 1}, ...)")
    if hasattr(out, "__array__") or isinstance(out, np.ndarray):
        arr = np.asarray(out)
        if arr.ndim < 1 or arr.shape[0] != steps + 1:
            raise DynamicsError(f"{who} returned an array of shape {arr.shape}; expected "
                                f"(steps + 1, K, d, r) with steps + 1 = {steps + 1}")
        return iter(arr)
    if isinstance(out, (list, tuple)) or isinstance(out, Iterable):
        return iter(out)
    raise DynamicsError(f"{who} returned {type(out).__name__}; expected an iterator of U_t or an array")


def record(problem, iterates: Iterable, U0, *, step: float, steps: int, who: str | None = None,
           record_every: int | None = None, references=None, n_eigenvalues: int | None = None,
           snapshots=(), mode: str = "auto", divergence_factor: float = 1e6) -> Trajectory:
    """The :class:`Trajectory` of given iterates U_0..U_steps, recorded as
    :func:`sensing.gradient_descent` records its own.

    Parameters
    ----------
    problem : SensingProblem
        The instance (``problem.op``, ``problem.y``) the loss is evaluated on.
    iterates : iterable of (K, d, r) arrays
        U_0, U_1, ..., U_steps (any array library numpy can convert). Read once, step by step:
        a generator is never materialised.
    U0 : (K, d, r) array_like
        The start the dynamics was given; the first iterate must equal it to :data:`U0_RTOL`.
    step, steps
        mu (for the divergence message and the stagnation check) and T.
    who : str, optional
        Names the dynamics in error messages.

    Raises
    ------
    DynamicsError
        Too few or too many iterates, a wrong shape, or a first iterate other than ``U0``.
    DivergenceError
        A non-finite or exploding loss (the message names the dynamics and a safe step size).
    """
    if _is_asymmetric(problem):
        from . import asymmetric

        return asymmetric.record(problem, iterates, U0, step=step, steps=steps, who=who,
                                 record_every=record_every, references=references, snapshots=snapshots,
                                 mode=mode, divergence_factor=divergence_factor,
                                 **({} if n_eigenvalues is None else {"n_singular_values": n_eigenvalues}))
    op = check_operator(problem.op)
    y = check_measurements(op, problem.y)
    name = who or "the dynamics"
    it, first = _first_iterate(iterates, U0, steps, name)
    tr = _descend(op, y, first, step, steps, record_every, references,
                  n_eigenvalues, snapshots, mode, np.float64, divergence_factor, source=it, who=name)
    _check_exhausted(it, name, steps)
    return tr


def _is_asymmetric(problem) -> bool:
    from .asymmetric import AsymmetricProblem

    return isinstance(problem, AsymmetricProblem)


def _first_iterate(iterates, U0, steps: int, name: str):
    """``(iterator over U_1.., U_0 as float64)`` after checking U_0 against the given U0."""
    U0 = np.asarray(U0, dtype=np.float64)
    it = iter(iterates)
    try:
        first = np.asarray(next(it))
    except StopIteration:
        raise DynamicsError(f"{name} yielded no iterates; expected U_0..U_{steps}") from None
    if first.shape != U0.shape:
        raise DynamicsError(f"{name} gave U_0 of shape {first.shape}; expected {U0.shape} (the shape of U0)")
    scale = float(np.max(np.abs(U0))) if U0.size else 0.0
    with np.errstate(invalid="ignore"):
        diff = float(np.max(np.abs(first.astype(np.float64) - U0))) if U0.size else 0.0
    if not diff <= U0_RTOL * scale:
        raise DynamicsError(f"{name} started from a U_0 that differs from the U0 it was given by "
                            f"{diff:.3g} (max |entry|; allowed {U0_RTOL:.2g} x max|U0| = "
                            f"{U0_RTOL * scale:.3g}): it must start from U0, and yield it as U_0")
    return it, first.astype(np.float64)


def _check_exhausted(it, name: str, steps: int) -> None:
    if next(it, _END) is not _END:
        raise DynamicsError(f"{name} yields more than steps + 1 = {steps + 1} iterates; it must stop "
                            "at U_steps")


_END = object()


#: The built-in dynamics, :func:`sensing.gradient_descent`.
GRADIENT_DESCENT = Dynamics()


def as_dynamics(spec) -> Dynamics:
    """A :class:`Dynamics` from ``None`` (the built-in), a :class:`Dynamics`, a callable, or a
    ``"module:function"`` string (:func:`load`)."""
    if spec is None:
        return GRADIENT_DESCENT
    if isinstance(spec, Dynamics):
        return spec
    if isinstance(spec, str):
        return Dynamics(load(spec), name=spec.strip())
    if callable(spec):
        return Dynamics(spec)
    raise TypeError(f"dynamics must be None, a callable fn(problem, U0, *, step, steps), a "
                    f"'module:function' string or a sensing.dynamics.Dynamics; got {type(spec).__name__}")
