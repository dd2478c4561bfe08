"""The sweep's batched GD call against running its points one by one (theorems.sweep.shared).

Per claim, 16 points differing only in α (log-spaced in [1e-4, 1e-3], so their horizons are
within the merge rule of :data:`theorems.sweep.shared.MIN_EFFICIENCY` and they form one call):

- ``gd``: the gradient-descent runs only: one merged call cut back into 16 records
  (:func:`theorems.sweep.shared.serve`) against the 16 points' own calls (:func:`theorems._core.execute`);
- ``point``: the whole work of the 16 points (runs, records, the claim's analysis), as the sweep
  does it with and without sharing.

The per-trajectory record (an SVD of U_t at every recorded step) and each claim's own analysis
are per point and do not batch, so ``point`` is bounded by the share of the GD steps in it.
"""
from __future__ import annotations

import numpy as np
import pytest

import theorems
from theorems._core import execute
from theorems.sweep import shared
from tests.benchmarks import _harness as H

CLAIMS = ("asymmetric_convergence", "underparameterised", "learning_times")
N_POINTS = 16
#: learning_times records every step (about 50 s for the 16 points alone): one round of it
ROUNDS = {"learning_times": (1, 0)}


def _settings(key):
    claim = theorems.get(key)
    return claim, [claim.default.replace(alpha=float(a)) for a in np.logspace(-4, -3, N_POINTS)]


def _alone_gd(claim, settings):
    for s in settings:
        for req in claim.requests(s):
            execute(req, s)


def _alone_points(claim, settings):
    return [claim.verify(s) for s in settings]


def _batched_points(claim, settings):
    return [claim.verify(s, dynamics=d) for s, d in zip(settings, shared.serve(claim, settings))]


def _text(key, kind):
    a, b = H.LEDGER.get(f"sweep/{key}/{kind}/alone"), H.LEDGER.get(f"sweep/{key}/{kind}/batched")
    if not (a and b and "min" in a and "min" in b):
        return
    b["text"] = (f"{N_POINTS} α points, one by one {a['min']:.3g} s, batched {b['min']:.3g} s: "
                 f"{a['min'] / b['min']:.2f}x (median {a['median'] / b['median']:.2f}x)")


@pytest.mark.parametrize("key", CLAIMS)
@pytest.mark.parametrize("way", ["alone", "batched"])
def test_sweep_gd_calls(benchmark, key, way):
    claim, settings = _settings(key)
    fn = (lambda: _alone_gd(claim, settings)) if way == "alone" else (lambda: shared.serve(claim, settings))
    if way == "batched":
        assert all(s is not None for s in shared.serve(claim, settings)), "the 16 points must share one call"
    rounds, warmup = ROUNDS.get(key, (3, 1))
    benchmark.pedantic(fn, rounds=rounds, iterations=1, warmup_rounds=warmup)
    H.record(benchmark, f"sweep/{key}/gd/{way}", per=N_POINTS)
    _text(key, "gd")


@pytest.mark.parametrize("key", CLAIMS)
@pytest.mark.parametrize("way", ["alone", "batched"])
def test_sweep_points(benchmark, key, way):
    claim, settings = _settings(key)
    fn = _alone_points if way == "alone" else _batched_points
    rounds, warmup = ROUNDS.get(key, (3, 1))
    verdicts = benchmark.pedantic(fn, args=(claim, settings), rounds=rounds, iterations=1, warmup_rounds=warmup)
    assert [v.status for v in verdicts] == [v.status for v in _alone_points(claim, settings)]
    H.record(benchmark, f"sweep/{key}/point/{way}", per=N_POINTS)
    _text(key, "point")
