"""Sweep claims over a grid of settings, resumable, on a process pool or a Dask cluster.

  python -m theorems sweep --claim learning_times --grid alpha=1e-8:1e-2:7log --grid seed=0:8 --out runs/a

Each point's record is committed as it completes; run the same command again to resume (done
points are skipped) or with a larger grid to add points. Exit status: 0 every point recorded
(whatever its verdict), 4 if a point is an ERROR, 2 usage error; with --strict the codes of
verify: 1 if a point FAILS in scope, then 4, then 3 if a point is out of scope.
"""
from __future__ import annotations

import sys


def configure(p) -> None:
    import argparse

    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.description = __doc__
    p.add_argument("--claim", action="append", required=True, metavar="KEY",
                   help="claim key (python -m theorems list); repeat for several claims")
    p.add_argument("--grid", action="append", default=[], metavar="NAME=VALUES",
                   help="a Setting field (alpha, m, d, rank, step, seed, eigenvalues, operator, init, dtype, d2, "
                        "init_ratio) or dynamics, with a list 1e-2,1e-3, a range 0:16 (half-open), a "
                        "log-range 1e-8:1e-2:7log or a linear range 0.001:0.01:4lin; spectra separated by ';'")
    p.add_argument("--out", required=True, metavar="DIR", help="sweep directory (created, or resumed)")
    p.add_argument("--executor", choices=("process", "serial", "dask"),
                   help="where points run (default: a process pool, one BLAS thread per worker; dask "
                        "with --scheduler, a new LocalCluster without)")
    p.add_argument("--workers", type=int, metavar="N", help="process-pool or LocalCluster workers (default: CPUs)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="a running Dask scheduler, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--dynamics", metavar="MODULE:FUNCTION", help="judge this gradient descent at every point")
    p.add_argument("--no-batch", dest="share", action="store_false",
                   help="run every point on its own (no batched GD call shared by points)")
    p.add_argument("--retry-errors", action="store_true", help="recompute points recorded as ERROR")
    p.add_argument("--strict", action="store_true", help="exit status as verify's (1 if a point FAILS)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args) -> int:
    import sensing

    from ..cli import EXIT_ERROR, EXIT_FAIL, EXIT_OK, EXIT_OUT_OF_SCOPE, EXIT_USAGE
    from . import GridError, StoreError
    from . import run as sweep_run
    from .runner import summary

    if args.workers is not None and args.workers < 1:
        print(f"error: --workers must be a positive integer, got {args.workers}", file=sys.stderr)
        return EXIT_USAGE
    try:
        frame = sweep_run(args.claim, args.grid, args.out, executor=args.executor, workers=args.workers,
                          scheduler=args.scheduler, dynamics=args.dynamics, share=args.share,
                          retry_errors=args.retry_errors, progress=not args.quiet)
    except (GridError, StoreError, sensing.DynamicsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    o = frame.attrs["outcome"]
    print(summary(frame))
    print()
    print(f"{o.planned} points: {o.computed} computed, {o.skipped} already recorded, {o.errors} errors; "
          f"{o.wall:.1f} s on {o.executor}; records in {o.directory}")
    status = set(frame["status"])
    if args.strict and "FAILS" in status:
        return EXIT_FAIL
    if "ERROR" in status:
        return EXIT_ERROR
    if args.strict and "OUT OF SCOPE" in status:
        return EXIT_OUT_OF_SCOPE
    return EXIT_OK
