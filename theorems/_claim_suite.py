"""The tests ``pytest --theorems-dynamics=MODULE:FUNCTION`` adds (:mod:`theorems.pytest_plugin`).

For each claim about dynamics: the claim HOLDS on its default instance, and on the instances of
its Hypothesis strategy (``claim.instances()``, the claim's property test), for that dynamics.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, note, settings

from theorems.pytest_plugin import CLAIMS, DYNAMICS
from theorems.testing import assert_claim_holds


def pytest_generate_tests(metafunc):
    if "claim" in metafunc.fixturenames:
        chosen = metafunc.config.stash.get(CLAIMS, ())
        metafunc.parametrize("claim", chosen, ids=[c.key for c in chosen])


@pytest.fixture
def dynamics(request):
    return request.config.stash[DYNAMICS]


def test_claim_holds_on_its_default_instance(claim, dynamics):
    assert_claim_holds(claim, dynamics=dynamics)


def test_claim_holds_on_the_instances_of_its_strategy(claim, dynamics, request):
    # the strategy depends on the claim, hence a @given built per test; a claim's run takes
    # seconds (no deadline), and --theorems-examples overrides the profile's max_examples
    n = request.config.getoption("--theorems-examples")
    chosen = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow],
                      **({"max_examples": n} if n else {}))

    @chosen
    @given(claim.instances())
    def holds(setting):
        note(setting.describe())
        assert_claim_holds(claim, dynamics=dynamics, setting=setting)

    holds()
