"""Project-wide pytest configuration: Hypothesis profiles, markers, BLAS threads.

Hypothesis profiles (select with ``--hypothesis-profile NAME`` or ``HYPOTHESIS_PROFILE=NAME``):

- ``default``: quick local feedback (few examples, no deadline: GD runs vary in time);
- ``ci``: Hypothesis's own ``ci`` profile (derandomized, no database, print_blob), loaded
  automatically when ``CI=true``, with our example budget;
- ``thorough``: many more examples, random (not derandomized), for scheduled or local sweeps.
"""
from __future__ import annotations

import os

import pytest
from hypothesis import Phase, settings

settings.register_profile("default", settings.get_profile("default"), max_examples=8,
                          deadline=None)
settings.register_profile("ci", settings.get_profile("ci"), max_examples=8)
settings.register_profile("thorough", settings.get_profile("default"), max_examples=100,
                          deadline=None, phases=list(Phase))
if name := os.environ.get("HYPOTHESIS_PROFILE"):
    settings.load_profile(name)


def pytest_configure(config):
    import matplotlib

    matplotlib.use("Agg")


def pytest_report_header(config):
    prof = settings.get_current_profile_name()
    return (f"hypothesis profile: {prof} (max_examples={settings().max_examples}); "
            f"THEOREMS_XSLOW={os.environ.get('THEOREMS_XSLOW', '0')}")


def pytest_runtest_setup(item):
    if item.get_closest_marker("xslow") and os.environ.get("THEOREMS_XSLOW") != "1":
        pytest.skip("xslow test: set THEOREMS_XSLOW=1 to run the slow sweeps")


@pytest.fixture(autouse=True, scope="session")
def _single_blas_thread():
    # Two cores, and pytest-xdist may run two workers: one BLAS thread each avoids
    # oversubscription and keeps timings stable.
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield
