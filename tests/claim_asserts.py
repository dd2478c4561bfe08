"""Assertions shared by the claim tests, and the registry of negative controls.

Every measurement a claim can emit (``Claim.measurements``) and every required assumption
(``Claim.required``) has a negative control: a test decorated with :func:`control` that feeds
evidence doctored against that one check (or an instance violating that one assumption) and
asserts, with :func:`assert_fails_on` / :func:`assert_violates`, that exactly it is reported.
``tests/test_negative_controls.py`` fails when a declared check has no registered control.
"""
from __future__ import annotations

from hypothesis import note

#: (claim key, "measurement" | "assumption", name, test) for every registered negative control.
CONTROLS: set = set()


def control(claim: str, *, measurement=(), assumption=()):
    """Register the decorated test as the negative control of these checks of ``claim``.

    ``measurement`` / ``assumption``: a name or a tuple of names (``Measurement.name``,
    ``AssumptionCheck.name``). The test must make exactly those checks fail.
    """
    ms = (measurement,) if isinstance(measurement, str) else tuple(measurement)
    asms = (assumption,) if isinstance(assumption, str) else tuple(assumption)

    def register(fn):
        where = f"{fn.__module__}::{fn.__name__}"
        CONTROLS.update((claim, "measurement", m, where) for m in ms)
        CONTROLS.update((claim, "assumption", a, where) for a in asms)
        return fn
    return register


def assert_claim_holds(claim, setting):
    """Run ``claim`` on ``setting``; the instance must be in scope and every measurement agree."""
    verdict = claim.verify(setting)
    note(verdict.report())
    assert verdict.in_scope, verdict.report()
    assert verdict.holds, verdict.report()


def assert_meets_assumptions(checks, setting):
    """Every required (non-paper) assumption check holds; the message names the failing one."""
    for a in checks:
        assert a.role == "paper" or a.holds, f"{a.name}: {a.detail} [{setting.describe()}]"


def assert_fails_on(verdict, name: str, *, also=()):
    """``name`` is among the failing measurements, and every other failing one is in ``also``.

    ``also`` lists the checks that the same fault necessarily breaks too (say why at the call);
    everything else that could be run must still hold, so the control shows that *this*
    measurement catches the fault on its own.
    """
    failing = set(verdict.failing())
    assert name in failing, (f"negative control: measurement {name!r} should fail, but the verdict "
                             f"reports failing {sorted(failing)}\n{verdict.report()}")
    extra = failing - {name} - set(also)
    assert not extra, (f"negative control of {name!r}: other measurements fail too {sorted(extra)} "
                       f"(allowed: {sorted(also)})\n{verdict.report()}")


def assert_violates(claim, setting, name: str, *, also=()):
    """``setting`` puts ``claim`` OUT OF SCOPE through the required assumption ``name``; any
    other required assumption it violates is listed in ``also``."""
    checks = claim.scope(setting)
    failing = {a.name for a in checks if a.role == "required" and not a.holds}
    text = "\n".join(f"  {a.name}: holds={a.holds} — {a.detail}" for a in checks if a.role == "required")
    assert name in failing, (f"{claim.key}: assumption {name!r} should be violated by "
                             f"[{setting.describe()}], but failing are {sorted(failing)}\n{text}")
    extra = failing - {name} - set(also)
    assert not extra, (f"{claim.key}: violating {name!r} also violated {sorted(extra)} "
                       f"(allowed: {sorted(also)}) [{setting.describe()}]\n{text}")


def failed(verdict, text):
    """True when a measurement whose quantity contains ``text`` is among the verdict's failures."""
    return any(text in m.quantity for m in verdict.failures())
