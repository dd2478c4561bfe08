"""pytest plugin (entry point ``pytest11``): ``--theorems-dynamics=MODULE:FUNCTION``.

With the option, pytest also collects :mod:`theorems._claim_suite`: for every claim about
dynamics (``--theorems-only`` narrows them), the claim on its default instance and its property
test (Hypothesis instances from the claim's strategy, the profile's ``max_examples``) run on that
dynamics, each asserting that the claim HOLDS; a failure prints the verdict's report and its
diagnosis. Without the option the plugin does nothing.
"""
from __future__ import annotations

from pathlib import Path

SUITE = Path(__file__).with_name("_claim_suite.py")


def pytest_addoption(parser):
    group = parser.getgroup("theorems", "paper claims on your gradient descent (sensing-theorems)")
    group.addoption("--theorems-dynamics", metavar="MODULE:FUNCTION", default=None,
                    help="run every claim's tests on this gradient descent fn(problem, U0, *, step, steps)")
    group.addoption("--theorems-only", metavar="LABEL", action="append", default=None,
                    help="with --theorems-dynamics: only claims whose key or label contains LABEL "
                         "(repeatable)")
    group.addoption("--theorems-examples", metavar="N", type=int, default=None,
                    help="with --theorems-dynamics: Hypothesis examples per claim's property test "
                         "(default: the active Hypothesis profile's max_examples)")


def pytest_configure(config):
    spec = config.getoption("--theorems-dynamics")
    if not spec:
        return
    import pytest

    import sensing
    from . import registry

    try:
        dyn = sensing.dynamics.as_dynamics(spec)
        chosen = [c for c in registry.select(config.getoption("--theorems-only")) if c.dynamic]
    except (sensing.DynamicsError, ValueError) as exc:
        raise pytest.UsageError(f"--theorems-dynamics / --theorems-only: {exc}") from None
    config.stash[DYNAMICS] = dyn
    config.stash[CLAIMS] = tuple(chosen)
    if str(SUITE) not in config.args:
        config.args.append(str(SUITE))


def pytest_report_header(config):
    spec = config.getoption("--theorems-dynamics")
    if spec:
        keys = ", ".join(c.key for c in config.stash.get(CLAIMS, ()))
        return f"theorems: claims [{keys}] on dynamics {spec}"
    return None


def _keys():
    import pytest

    return pytest.StashKey(), pytest.StashKey()


DYNAMICS, CLAIMS = _keys()
