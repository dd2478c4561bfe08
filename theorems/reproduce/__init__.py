"""Reproduce the paper's experiments (§6) and the figures its theorems predict, with an honest REPORT.md.

``python -m theorems reproduce --out DIR`` writes, for every experiment, the data (``.npz``), its
exact parameters and seed (``.json`` sidecar), the figures (``.png``, matplotlib Agg) and one
``REPORT.md`` (and ``report.json``) that says claim by claim what reproduced and what did not,
with the numbers. A full run at seed 0 is committed as ``docs/reproduce/REPORT.md``.

Layout
    Each experiment is one module holding its run, its findings and its figure(s):
    :mod:`~theorems.reproduce.fig1`, :mod:`~theorems.reproduce.fig2`,
    :mod:`~theorems.reproduce.sweep` (α sweep), :mod:`~theorems.reproduce.gap` (gap against m)
    and :mod:`~theorems.reproduce.under` (under-parameterised). What they share (sizes, the
    instance, gradient descent, the verdict vocabulary, the findings of the incremental picture)
    is in :mod:`~theorems.reproduce._common`, the plotting helpers in
    :mod:`~theorems.reproduce._plotting`; :mod:`~theorems.reproduce.report` assembles REPORT.md
    and report.json from the results. This module runs them and is the ``reproduce`` subcommand.

What is run (ICML numbering; paper notes §3)
    * **Figure 1** (§6.1, over-parameterised r̂ = 50): d = 50, r* = 5, X with i.i.d. N(0, 1)
      entries, A_i with i.i.d. N(0, 1) entries (not symmetrised; operator ``"paper"``),
      μ = 0.005, U_0 = αŪ with Ū i.i.d. N(0, 1). Panels (a–d) α = 1, 0.1, 0.01, 0.001 at
      m = 1000; (e, f) α = 0.001 at m = 1500, 2000 (ICML); (g) α = 0.001 at m = 5000 (arXiv v1's
      last panel; v1's other one, m = 2000, is ICML's (f)). Curves: E_s(t) =
      ‖U_tU_tᵀ − X_sX_sᵀ‖²_F / ‖X_sX_sᵀ‖²_F, and the same against the sensing minimisers Z*_s
      (Definition 1.1), which is what Theorem 4.1 is about.
    * **Figure 2** (§6.2, r̂ = r* = 5, m = 1000, 500 steps): α = 1, 0.1, 0.01, 0.001 (v1's four
      panels; ICML drops α = 1).
    * Every experiment runs twice: on the **literal** setup above, and on a **separated**
      variant with Z* = Q diag(80, 40, 20, 10, 5) Qᵀ (Haar Q), where the eigengaps are large
      compared with the measurement error and the theory's regime is closer.
    * Figures the paper does not have but its theorems predict: the learning time t_s of rank s
      against log(1/α) with the slope law 1/log(1 + μλ_s) (eq. 11; see
      :mod:`theorems.jin2023.learning_times`); min_t ‖U_tU_tᵀ − Z*_s‖_F against α with a fitted
      power law (Theorem 4.1, eq. 5); the gap ‖Z*_s − X_sX_sᵀ‖_F against m with a fitted
      exponent against −1/2 (Lemma 4.8: O(δ), δ ∝ m^{-1/2}); under-parameterised runs
      (r̂ < r*) converging to Z*_{r̂} and not to X_{r̂}X_{r̂}ᵀ (Theorem 4.2).

Deviations from the paper, stated
    The text says T = 10⁴ steps but every panel's axis ends at 200–600 steps; we run 600 steps
    for Figure 1 (the longest axis) and 500 for Figure 2, recording every step. The paper does
    not give its seed or the eigenvalues of its draw of X; ours are in each sidecar.

How a claim is judged (reading tolerances, not theorem constants)
    The paper gives no numbers beyond its plots, so each criterion is a reading of the plotted
    curves (paper notes §3.2–3.3) or a scaling law of a theorem, with its slack stated where it
    is defined (``CLOSE``, ``VISIT_RISE``, ``FINAL_RANK_ERROR`` in ``_common``;
    ``ROUNDING_SLACK``, ``SATURATION`` in ``sweep``; ``FIT_SE``, ``EXPONENT_SLACK`` in ``gap``;
    ``CONVERGED`` in ``under``; all re-exported here). None of them is tuned to make a claim
    pass; a claim that fails is reported as a finding. Each finding has a stable id
    ``<experiment>_<setup>/<name>`` (e.g. ``fig1_literal/visits_truncated_d``) and one of four
    statuses: reproduced, partly reproduced, NOT reproduced, not testable.

The quick configuration (``--quick``)
    d = 20 and fewer steps, α and m values: seconds instead of minutes, but not the paper's sizes.
    At seed 0 it gives six verdicts that differ from the full run (each experiment module's
    ``QUICK_DIFFERS``, with the reason) and it does not run r̂ = 3, 4; its report's header lists
    them. The tests check that list against the committed full report.

Negative controls (``--fault``)
    ``gradient-x2`` runs every descent with twice the gradient (the gradient of the ½-normalised
    loss of App. E used with the ¼-normalised step: the same as step 2μ) while the predictions
    keep μ. ``truncated-svd-as-minimiser`` offers X_sX_sᵀ in place of the sensing minimisers Z*_s.
    The report must then say the affected claims did not reproduce; the tests check that it does.

Exit statuses
    See :data:`EXIT_STATUSES` (also printed by ``--help``): 0 the report was written (with
    ``--strict``: and no finding is NOT reproduced), 1 ``--strict`` and some finding is NOT
    reproduced (the report is still written), 2 usage error (nothing is run).
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from . import fig1, fig2, gap, jiang, li, report, structured, sweep, under, wind, xiong
from ._common import (CLOSE, EXPERIMENTS, FAULTS, FINAL_RANK_ERROR, FULL, NOT_REPRODUCED, NOT_TESTABLE, PARTLY,
                      QUICK, REPRODUCED, SEPARATED_EIGENVALUES, SETUPS, STATUSES, VISIT_RISE, Config, Context,
                      Finding, Progress, Result, power_fit, timed, visits)
from ._plotting import DPI, FIGSIZES, png_size
from .gap import EXPONENT_SLACK, FIT_SE
from .report import save_result, write_report
from .sweep import ROUNDING_SLACK, SATURATION
from .under import CONVERGED

__all__ = ["CLOSE", "CONVERGED", "DPI", "EXIT_STATUSES", "EXPERIMENTS", "EXPONENT_SLACK", "FAULTS", "FIGSIZES",
           "FINAL_RANK_ERROR", "FIT_SE", "FULL", "MODULES", "NOT_REPRODUCED", "NOT_TESTABLE", "PARTLY", "QUICK",
           "REPRODUCED", "ROUNDING_SLACK", "SATURATION", "SEPARATED_EIGENVALUES", "SETUPS", "STATUSES",
           "VISIT_RISE", "Config", "Context", "Finding", "Progress", "Result", "configure", "draw_all",
           "expected_pngs", "finding_ids", "png_size", "power_fit", "reproduce", "run", "run_experiment",
           "save_result", "visits", "write_report"]

#: The experiment modules by kind, in report order (:data:`EXPERIMENTS`).
MODULES = {m.KIND: m for m in (fig1, fig2, sweep, gap, under, wind, jiang, xiong, li, structured)}
assert tuple(MODULES) == EXPERIMENTS, (tuple(MODULES), EXPERIMENTS)
RUNNERS = {k: m.run for k, m in MODULES.items()}

EXIT_OK, EXIT_NOT_REPRODUCED, EXIT_USAGE = 0, 1, 2
EXIT_STATUSES = """exit status:
  0  the run finished and REPORT.md was written; with --strict, also: no finding is NOT reproduced
     (partly reproduced and not testable do not count as failures)
  1  --strict was given and at least one finding is NOT reproduced (REPORT.md is still written)
  2  usage error (an unknown option or value, --jobs < 1): nothing was run"""


def run_experiment(kind: str, cfg: Config, setup: str, fault: str = "none", progress: bool = False) -> Result:
    """Run one experiment on one setup (one BLAS thread: bit-for-bit reproducible, any ``--jobs``)."""
    return timed(MODULES[kind].run, Context(cfg, setup, fault, Progress(progress)))


def expected_pngs(experiments, setups) -> list:
    """File names of the PNGs a run of ``experiments`` on ``setups`` writes (what the tests expect)."""
    per_setup = [n for s in setups for k in ("fig1", "fig2") if k in experiments for n in MODULES[k].pngs([s])]
    return per_setup + [n for k in EXPERIMENTS[2:] if k in experiments for n in MODULES[k].pngs(setups)]


def finding_ids(cfg: Config, experiments=EXPERIMENTS, setups=SETUPS) -> list:
    """Ids of the findings a run reports when no descent diverges and every rank is learned."""
    return [f"{k}_{s}/{n}" for k in EXPERIMENTS if k in experiments for s in SETUPS if s in setups
            for n in MODULES[k].finding_names(cfg)]


def draw_all(results: list, out) -> dict:
    """Every figure from the saved arrays; returns ``{experiment key: [png names]}``."""
    figs: dict = {}
    for kind, mod in MODULES.items():
        rs = [r for r in results if r.kind == kind]
        if rs:
            figs.update(mod.draw(rs, str(out)))
    return figs


def reproduce(out, cfg: Config = FULL, *, experiments=EXPERIMENTS, setups=SETUPS, fault: str = "none",
              jobs: int = 1, progress: Progress | None = None, figure_prefix: str = "") -> list:
    """Run the selected experiments, write data, sidecars, figures and REPORT.md into ``out``.

    Returns the :class:`Result` list. ``jobs > 1`` runs experiments in that many processes; the
    data are identical either way (one BLAS thread per experiment). ``figure_prefix`` goes before
    every figure link in REPORT.md (see :func:`theorems.reproduce.report.write_report`).
    """
    if fault not in FAULTS:
        raise ValueError(f"fault must be one of {FAULTS}, got {fault!r}")
    progress = progress or Progress(False)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tasks = [(k, s) for k in EXPERIMENTS if k in experiments for s in SETUPS if s in setups]
    t0 = time.perf_counter()
    results: list = [None] * len(tasks)
    progress.line(f"reproduce ({cfg.name}): {len(tasks)} experiments, {jobs} process(es) -> {out}")
    if jobs <= 1:
        for i, (k, s) in enumerate(tasks):
            progress.line(f"[{i + 1}/{len(tasks)}] {k} ({s}) ...")
            results[i] = run_experiment(k, cfg, s, fault, progress.live)
            progress.line(f"[{i + 1}/{len(tasks)}] {k} ({s}) done in {results[i].wall_seconds:.1f} s")
    else:
        progress.line("each line below is one finished experiment")
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futs = {pool.submit(run_experiment, k, cfg, s, fault, False): i for i, (k, s) in enumerate(tasks)}
            done = 0
            for fut in as_completed(futs):
                i = futs[fut]
                results[i] = fut.result()
                done += 1
                progress.line(f"[{done}/{len(tasks)}] {tasks[i][0]} ({tasks[i][1]}) done in "
                              f"{results[i].wall_seconds:.1f} s")
    progress.line("drawing figures ...")
    figs = draw_all(results, out)
    for r in results:
        save_result(r, out, figs.get(r.key, []))
    total = time.perf_counter() - t0
    write_report(results, figs, out, cfg, fault, total, [MODULES[k] for k in EXPERIMENTS],
                 figure_prefix=figure_prefix)
    progress.line(f"wrote {out / 'REPORT.md'} ({total:.1f} s)")
    return results


# ----------------------------------------------------------------------------- CLI
def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {v}")
    return v


def configure(parser: argparse.ArgumentParser) -> None:
    """The ``reproduce`` subcommand's options (plain-text help: no reST markup)."""
    parser.description = __doc__.split("\n\n")[0]
    parser.epilog = EXIT_STATUSES
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--out", required=True, metavar="DIR", help="output directory (created if missing)")
    parser.add_argument("--quick", action="store_true",
                        help="reduced sizes (d=20, fewer steps and α values): seconds, not minutes; "
                             "six verdicts differ from the full run (its REPORT.md lists them)")
    parser.add_argument("--only", nargs="+", choices=EXPERIMENTS, metavar="EXP",
                        help=f"run only these experiments ({', '.join(EXPERIMENTS)})")
    parser.add_argument("--setups", nargs="+", choices=SETUPS, default=list(SETUPS),
                        help="literal (the paper's Gaussian X) and/or separated (eigenvalues 80,40,20,10,5)")
    parser.add_argument("--seed", type=int, default=0, help="seed of Z*, the A_i and Ū (default 0)")
    parser.add_argument("--jobs", type=_positive_int, default=min(2, os.cpu_count() or 1),
                        help="processes (default: 2 if available); results do not depend on it")
    parser.add_argument("--fault", choices=FAULTS, default="none",
                        help="negative control: deliberately break the dynamics or the targets")
    parser.add_argument("--strict", action="store_true",
                        help="exit with status 1 if any finding is NOT reproduced")
    parser.add_argument("--figure-prefix", default="", metavar="PREFIX",
                        help="put PREFIX before every figure link in REPORT.md, e.g. ../figures/ for a "
                             "copy of the report kept apart from its PNGs (default: none)")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def run(args) -> int:
    """Run ``reproduce`` from parsed arguments; returns the exit status (:data:`EXIT_STATUSES`)."""
    cfg = dataclasses.replace(QUICK if args.quick else FULL, seed=args.seed)
    if args.jobs < 1:  # the parser refuses it; a caller building args by hand may not
        print(f"error: --jobs must be at least 1, got {args.jobs}", file=sys.stderr)
        return EXIT_USAGE
    results = reproduce(args.out, cfg, experiments=tuple(args.only or EXPERIMENTS), setups=tuple(args.setups),
                        fault=args.fault, jobs=args.jobs, progress=Progress(not args.quiet),
                        figure_prefix=getattr(args, "figure_prefix", ""))
    print(Path(args.out) / "REPORT.md")
    failed = [f.id for r in results for f in r.findings if f.status == NOT_REPRODUCED]
    if getattr(args, "strict", False) and failed:
        print(f"--strict: {len(failed)} finding(s) NOT reproduced: {', '.join(failed)}", file=sys.stderr)
        return EXIT_NOT_REPRODUCED
    return EXIT_OK
