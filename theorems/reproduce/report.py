"""REPORT.md, report.json and the per-experiment sidecars, assembled from the experiments' results.

The report is the one source of truth for what reproduced: the README quotes it (the committed
copy of a full run is ``docs/reproduce/REPORT.md``). Each experiment module contributes its title
(``TITLE``), its findings (``Result.findings``) and the quick-run verdicts known to differ from the
full run (``QUICK_DIFFERS``); this module only lays them out.
"""
from __future__ import annotations

import dataclasses
import json
import platform
from pathlib import Path

import numpy as np

import sensing

from ._common import FULL, NOT_REPRODUCED, NOT_TESTABLE, PARTLY, QUICK, REPRODUCED, STATUSES, Config


def save_result(res, out, pngs: list) -> None:
    """``<key>.npz`` (the arrays) and ``<key>.json`` (parameters, seed, versions) in ``out``."""
    out = Path(out)
    np.savez(out / f"{res.key}.npz", **res.arrays)
    params = {**res.params, "data": f"{res.key}.npz", "figures": pngs,
              "arrays": {k: list(np.shape(v)) for k, v in res.arrays.items()},
              "versions": {"python": platform.python_version(), "numpy": np.__version__,
                           "sensing": sensing.__version__}}
    with open(out / f"{res.key}.json", "w", encoding="utf-8") as fh:
        json.dump(params, fh, indent=2, default=_json_default)


def _json_default(v):
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    return str(v)


def counts(results: list) -> dict:
    """How many findings have each status (every status of :data:`STATUSES`, zeros included)."""
    return {k: sum(f.status == k for r in results for f in r.findings) for k in STATUSES}


def quick_differences(modules) -> dict:
    """``{finding id: (full-run status, why)}``: quick verdicts known to differ at seed 0."""
    return {k: v for mod in modules for k, v in mod.QUICK_DIFFERS.items()}


def _config_changes(cfg: Config, ref: Config) -> str:
    return ", ".join(f"{f.name} = {getattr(cfg, f.name)} (full: {getattr(ref, f.name)})"
                     for f in dataclasses.fields(Config)
                     if f.name not in ("name", "seed") and getattr(cfg, f.name) != getattr(ref, f.name))


def quick_caveat(results: list, cfg: Config, modules) -> list:
    """The quick report's header: what it changes, and which verdicts are known to differ and why."""
    known = quick_differences(modules)
    status = {f.id: f.status for r in results for f in r.findings}
    rows = [(fid, status[fid], full, why) for fid, (full, why) in known.items() if fid in status]
    only_full = [f"`{r.key}/{n}`" for r in results for mod in modules if mod.KIND == r.kind
                 for n in mod.finding_names(FULL) if n not in mod.finding_names(cfg)]
    lines = ["**Quick configuration: reduced sizes, not the paper's.** It changes " + _config_changes(cfg, FULL)
             + ". Its verdicts are not the paper's: at seed 0 it is known to give "
             f"{len(known)} verdicts that differ from the full run (`python -m theorems reproduce` without "
             "`--quick`, committed as `docs/reproduce/REPORT.md`), listed below with the reason"
             + (f" (the reasons and the full-run column are for seed 0; this run uses seed {cfg.seed})"
                if cfg.seed != 0 else "") + "."]
    if only_full:
        lines[0] += " The full run also checks " + ", ".join(only_full) + ", which this run does not."
    lines += ["", "| finding | this run | full run (seed 0) | why they differ |", "|---|---|---|---|"]
    lines += [f"| `{fid}` | {now} | {full} | {why} |" for fid, now, full, why in rows]
    return lines + [""]


def write_report(results: list, figs: dict, out, cfg: Config, fault: str, total: float, modules,
                 figure_prefix: str = "") -> str:
    """Write ``REPORT.md`` and ``report.json`` into ``out``; returns the Markdown text.

    ``modules`` are the experiment modules (in report order); ``figure_prefix`` is put before every
    figure link (e.g. ``"../figures/"`` for a copy of the report kept away from its PNGs).
    """
    out = Path(out)
    lines = ["# Reproduction report: Jin et al., ICML 2023, §6", ""]
    if fault != "none":
        lines += [f"**FAULT INJECTED: `{fault}`** — this run is a negative control; the dynamics or "
                  "the targets are deliberately wrong, and the claims below should not reproduce.", ""]
    n = counts(results)
    lines += [f"Configuration `{cfg.name}`: d = {cfg.d}, r* = {cfg.r_star}, μ = {cfg.step:g}, seed = {cfg.seed}. "
              f"Total wall time {total:.1f} s.", ""]
    if cfg.name == QUICK.name:
        lines += quick_caveat(results, cfg, modules)
    lines += [f"**{n[REPRODUCED]} claims reproduced, {n[PARTLY]} partly, "
              f"{n[NOT_REPRODUCED]} not reproduced, {n[NOT_TESTABLE]} not testable.** Criteria and their slack are in "
              "`theorems/reproduce/` (each experiment's module: docstring and constants); every number below "
              "is read from the `.npz` next to this file.", ""]
    if cfg.name == FULL.name:
        known = quick_differences(modules)
        lines += [f"`--quick` is known to change {len(known)} of these verdicts at seed 0: "
                  + ", ".join(f"`{k}`" for k in known) + " (its report says why).", ""]
    lines += ["| experiment | claim | status |", "|---|---|---|"]
    for r in results:
        for f in r.findings:
            lines.append(f"| `{r.key}` | {f.claim} | **{f.status}** |")
    lines += ["", "## Wall time per experiment", "", "| experiment | seconds | data | figures |", "|---|---|---|---|"]
    for r in results:
        lines.append(f"| `{r.key}` | {r.wall_seconds:.1f} | `{r.key}.npz` | "
                     + ", ".join(f"`{p}`" for p in figs.get(r.key, [])) + " |")
    seen = set()
    for mod in modules:
        rs = [r for r in results if r.kind == mod.KIND]
        if not rs:
            continue
        lines += ["", f"## {mod.TITLE}", ""]
        for r in rs:
            for p in figs.get(r.key, []):
                if p not in seen:
                    lines.append(f"![{p}]({figure_prefix}{p})")
                    seen.add(p)
        lines.append("")
        for r in rs:
            lines += [f"### `{r.key}` ({r.setup})", ""]
            for f in r.findings:
                lines += [f"- **{f.status}** — {f.claim} (`{f.id}`)",
                          f"  - paper: {f.source}",
                          f"  - criterion: {f.expected}",
                          f"  - measured: {f.measured}"]
            lines.append("")
    text = "\n".join(lines) + "\n"
    (out / "REPORT.md").write_text(text, encoding="utf-8")
    with open(out / "report.json", "w", encoding="utf-8") as fh:
        json.dump({"config": dataclasses.asdict(cfg), "fault": fault, "total_seconds": total,
                   "statuses": list(STATUSES), "counts": n,
                   "findings": [{"id": f.id, **dataclasses.asdict(f)} for r in results for f in r.findings],
                   "wall_seconds": {r.key: r.wall_seconds for r in results}},
                  fh, indent=2, default=_json_default)
    return text

