"""Peak memory of one cold paper-scale run, measured in a fresh process (see test_memory.py).

Prints one JSON object: the tracemalloc peak, the resident-set high-water growth (Linux VmHWM
after resetting it through /proc/self/clear_refs, or null), and the sizes of S and G.
A fresh process matters for the resident set: in a long-lived one, freed memory that the
allocator keeps is reused without growing the resident set.
"""
from __future__ import annotations

import json
import re
import sys
import tracemalloc

import numpy as np

import sensing
from tests.benchmarks import _harness as H


def _rss() -> dict:
    with open("/proc/self/status", encoding="ascii") as fh:
        text = fh.read()
    return {k: int(re.search(rf"{k}:\s+(\d+) kB", text).group(1)) * 1024 for k in ("VmRSS", "VmHWM")}


def _reset_hwm() -> bool:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def main(d: int = 50, m: int = 2000, r: int = 50, steps: int = 10_000) -> dict:
    pb = sensing.make_problem(d, rank=H.RANK, m=m, operator="paper", seed=H.SEED)
    U0 = H.initial(d, r)
    np.ones((1500, 1500)) @ np.ones((1500, 1500))  # touch BLAS's own buffers before measuring
    have_rss = _reset_hwm()
    before = _rss()
    tracemalloc.start()
    tr = sensing.gradient_descent(pb.op, pb.y, U0, step=H.STEP, steps=steps)
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rss = _rss()["VmHWM"] - before["VmRSS"] if have_rss else None
    return {"traced": traced, "rss": rss, "S": pb.op.S.nbytes, "G": pb.op.gram_bytes(), "steps": steps,
            "final_loss": float(tr.loss[-1]), "mode": tr.mode}


if __name__ == "__main__":
    print(json.dumps(main(*map(int, sys.argv[1:]))))
