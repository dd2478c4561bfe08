"""Peak memory of the paper's run: d = 50, m = 2000, r-hat = 50, 10^4 steps (paper-notes §3.1).

Two measures, because neither alone sees everything: tracemalloc sees every numpy buffer (exact,
deterministic) but not LAPACK/BLAS work space allocated in C; the resident-set high-water mark
(Linux ``VmHWM``) sees those too, at page granularity. Both are taken in a fresh process
(``_memory_probe.py``). "The operator's own size" is its storage ``S`` (m x D floats, 20.4 MB
here); the run starts from a fresh operator, so the peak includes building G (D^2 floats) and
z0 (one Cholesky factor of G).
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.benchmarks import _harness as H

ROOT = Path(__file__).resolve().parents[2]


def test_paper_run_peak_memory_is_under_twice_the_operator():
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": str(H.THREADS),
           "OMP_NUM_THREADS": str(H.THREADS)}
    out = subprocess.run([sys.executable, "-m", "tests.benchmarks._memory_probe", "50", "2000", "50", "10000"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    S, traced, rss = res["S"], res["traced"], res["rss"]
    text = (f"10^4 steps d=50 m=2000 r=50 ({res['mode']} mode) from a fresh operator: traced peak "
            f"{traced / 1e6:.1f} MB = {traced / S:.2f} x S ({S / 1e6:.1f} MB; G is {res['G'] / 1e6:.1f} MB)"
            + (f", resident high-water growth {rss / 1e6:.1f} MB = {rss / S:.2f} x S" if rss is not None else ""))
    H.LEDGER["memory/paper-run"] = {"text": text, "per": 1, **res}
    print(text)
    assert np.isfinite(res["final_loss"])
    assert traced < 2 * S, text
    if rss is None:
        pytest.skip("no /proc/self/clear_refs: only the traced peak was checked")
    assert rss < 2 * S, text
