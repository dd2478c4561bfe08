"""The issue-14 scale instances of the structured operators, and their fresh-process memory probe.

``python -m tests.benchmarks._structured KIND STEPS`` (KIND ``rank_one`` or ``completion``) builds
the instance, warms it (index tables, numba compilation, ||A*A||: all outside the measured
window, as the paper-run probe builds nothing it then measures twice), then runs ``STEPS`` GD
steps under tracemalloc and the resident-set high-water mark (as ``_memory_probe.py``), and
prints one JSON object: the traced peak, the resident growth, the operator's own storage
(``op.nbytes``) and the run's final loss.
"""
from __future__ import annotations

import json
import sys
import time
import tracemalloc
from functools import cache

import numpy as np

import sensing
from tests.benchmarks._memory_probe import _reset_hwm, _rss

#: (d, m, r-hat) of the issue's scale targets: rank-one d = 1000, m = 10^4; completion d = 10^4,
#: |Omega| = 10^6; r-hat = 5 each, 1000 GD steps.
INSTANCES = {"rank_one": (1000, 10_000, 5), "completion": (10_000, 1_000_000, 5)}
EIGENVALUES = (4.0, 2.0, 1.0)  # Z* = V diag(eig) V^T, V Haar (QR of a Gaussian): incoherent
ALPHA, SEED, RUN_STEPS = 1e-3, 2023, 1000


@cache
def instance(kind: str):
    """``(op, y, X, U0, step)``: op built from the seed, y = A(X X^T) from the factor, U0 = alpha U-bar,
    and the step :func:`sensing.safe_step_size` gives (cached on the operator)."""
    d, m, r = INSTANCES[kind]
    rng = np.random.default_rng(SEED)
    if kind == "rank_one":
        op = sensing.rank_one_operator(m, d, rng)
    else:
        op = sensing.random_completion_operator(m, d, rng)
        op.upper_pattern()  # part of the operator's storage: build it before anything is measured
    Q = np.linalg.qr(rng.standard_normal((d, len(EIGENVALUES))))[0]
    X = Q * np.sqrt(EIGENVALUES)
    y = op.forward_factor(X)
    U0 = sensing.initial_factor(d, r, ALPHA, SEED + 1)
    return op, y, X, U0, sensing.safe_step_size(op, y, U0)


def main(kind: str = "completion", steps: int = RUN_STEPS) -> dict:
    op, y, X, U0, mu = instance(kind)
    sensing.gradient_descent(op, y, U0, step=mu, steps=2, references={"X": sensing.Factored(X)})  # warm
    have_rss = _reset_hwm()
    before = _rss()
    tracemalloc.start()
    t0 = time.process_time()
    tr = sensing.gradient_descent(op, y, U0, step=mu, steps=steps, references={"X": sensing.Factored(X)})
    elapsed = time.process_time() - t0
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rss = _rss()["VmHWM"] - before["VmRSS"] if have_rss else None
    return {"kind": kind, "traced": traced, "rss": rss, "storage": op.nbytes, "steps": steps,
            "seconds": elapsed, "final_loss": float(tr.loss[-1]), "initial_loss": float(tr.loss[0]),
            "mode": tr.mode}


if __name__ == "__main__":
    args = sys.argv[1:]
    print(json.dumps(main(args[0] if args else "completion", int(args[1]) if len(args) > 1 else RUN_STEPS)))
