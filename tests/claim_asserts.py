"""Assertions shared by the claim tests: the claim holds in scope, and instances meet assumptions."""
from hypothesis import note


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


def failed(verdict, text):
    """True when a measurement whose quantity contains ``text`` is among the verdict's failures."""
    return any(text in m.quantity for m in verdict.failures())
