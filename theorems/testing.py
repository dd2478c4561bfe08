"""pytest helpers for checking your own gradient descent against the paper's claims.

In the style of scikit-learn's ``parametrize_with_checks``::

    from theorems.testing import assert_claim_holds, parametrize_with_claims

    @parametrize_with_claims(my_gd)
    def test_paper_claims_hold_for_my_gd(claim, check):
        check(claim)

    def test_spectral_phase_on_my_instance():
        assert_claim_holds("spectral", dynamics=my_gd, setting={"seed": 3})

``my_gd(problem, U0, *, step, steps)`` follows the contract of :mod:`sensing.dynamics`. To run
every claim's property test (its Hypothesis strategy) on a dynamics without writing a test, use
the plugin: ``pytest --theorems-dynamics=mypkg.gd:my_gd`` (:mod:`theorems.pytest_plugin`).
"""
from __future__ import annotations

import functools

import pytest

import sensing

from . import registry
from ._core import Claim
from .runs import _settings_for

__all__ = ["assert_claim_holds", "parametrize_with_claims"]


def assert_claim_holds(key, dynamics=None, setting=None):
    """Assert that claim ``key`` HOLDS for ``dynamics`` on ``setting``; return the verdict.

    Parameters
    ----------
    key : str or Claim
        A claim key (``python -m theorems list``) or the claim itself.
    dynamics : optional
        As in :meth:`theorems.Claim.verify` (``None``: the built-in gradient descent).
    setting : Setting or mapping, optional
        The instance (``None``: the claim's default; a mapping overrides the default's fields).

    Raises
    ------
    AssertionError
        Whose message is the verdict's report (with the diagnosis of a failing dynamics) when the
        status is FAILS, OUT OF SCOPE (the instance misses a required assumption) or ERROR.
    """
    claim = key if isinstance(key, Claim) else registry.get(key)
    (s,) = _settings_for([claim], setting)
    verdict = claim.verify(s, dynamics=dynamics)
    if verdict.status != "HOLDS":
        raise AssertionError(f"claim {claim.key!r} {verdict.status} for dynamics {verdict.dynamics}\n"
                             f"{verdict.report()}")
    return verdict


def parametrize_with_claims(dynamics, only=None):
    """A ``pytest.mark.parametrize`` over the claims about dynamics, ids = claim keys.

    The decorated test receives ``claim`` (a :class:`theorems.Claim`) and ``check``, a callable
    ``check(claim, setting=None)`` that runs :func:`assert_claim_holds` with ``dynamics``. The
    dynamics is resolved (imported, signature checked) at decoration time, so a broken one fails
    at collection with a clear message. Claims not about dynamics (the landscape lemmas) are left
    out: they would not exercise it.
    """
    dyn = sensing.dynamics.as_dynamics(dynamics)
    chosen = [c for c in registry.select([only] if isinstance(only, str) else only) if c.dynamic]
    check = functools.partial(_check, dynamics=dyn)
    return pytest.mark.parametrize(("claim", "check"), [(c, check) for c in chosen],
                                   ids=[c.key for c in chosen])


def _check(claim, setting=None, *, dynamics):
    return assert_claim_holds(claim, dynamics=dynamics, setting=setting)
