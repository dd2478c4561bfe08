"""``python -m theorems``: list the claims, verify them, reproduce the experiments, run mutants.

Exit status of ``verify``: 0 every selected claim holds; 1 a claim fails on an instance that meets
its assumptions; 2 usage error; 3 an instance is outside a claim's (practical) assumptions.
"""
from __future__ import annotations

import argparse
import importlib
import sys
import time

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_OUT_OF_SCOPE = 0, 1, 2, 3

#: Further subcommands: name -> module with ``configure(parser)`` and ``run(args) -> int``.
SUBCOMMANDS: dict[str, str] = {
    "mutants": "theorems.mutants",
    "reproduce": "theorems.reproduce",
}


def _floats(text: str) -> tuple:
    try:
        vals = tuple(float(v) for v in text.replace(" ", "").split(",") if v)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None
    if not vals:
        raise argparse.ArgumentTypeError("expected at least one eigenvalue")
    return vals


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m theorems", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="name every claim with its paper label")
    v = sub.add_parser("verify", help="check every claim on its default (or your) instance")
    v.add_argument("--only", nargs="+", metavar="LABEL", help="claims whose key or label contains LABEL")
    v.add_argument("--json", metavar="PATH", help="also write the verdicts as JSON")
    g = v.add_argument_group("instance (overrides each claim's default)")
    g.add_argument("--d", type=int, help="dimension d")
    g.add_argument("--eigenvalues", type=_floats, help="eigenvalues of Z*, e.g. 16,8,4,2")
    g.add_argument("--m", type=int, help="number of measurements")
    g.add_argument("--rank", type=int, help="r-hat, columns of U")
    g.add_argument("--alpha", type=float, help="initialisation scale (largest of a sweep)")
    g.add_argument("--step", type=float, help="step size mu")
    g.add_argument("--seed", type=int, help="seed of the instance")
    g.add_argument("--operator", choices=("gaussian", "paper", "identity"), help="measurement ensemble")
    g.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    for name, mod in SUBCOMMANDS.items():
        module = importlib.import_module(mod)
        module.configure(sub.add_parser(name, help=module.__doc__.strip().splitlines()[0]))
    return p


def _list() -> int:
    from .registry import claims

    for c in claims():
        print(f"{c.key:<22} {c.label:<40} {c.title}")
    return EXIT_OK


def _assumption_summary(v) -> str:
    req = [a for a in v.assumptions if a.role == "required"]
    paper = [a for a in v.assumptions if a.role == "paper"]
    hows = sorted({a.how for a in req}, key=lambda h: ("exact", "certified bound", "estimate", "by construction").index(h))
    text = f"{sum(a.holds for a in req)}/{len(req)} met ({', '.join(hows)})"
    if paper:
        text += f"; paper constants {sum(a.holds for a in paper)}/{len(paper)} met"
    return text


def _measurement_summary(v) -> str:
    bad = v.failures()
    text = f"{len(v.measurements) - len(bad)}/{len(v.measurements)} as predicted"
    if bad:
        m = bad[0]
        text += f"; first miss: {m.quantity}: {m.measured_text()} vs {m.predicted}"
    return text


def _table(verdicts) -> str:
    """One row per claim: key, paper label, assumptions (how checked), measured vs predicted, verdict."""
    rows = [("claim", "paper label", "assumptions (how checked)", "measured vs predicted", "verdict")]
    rows += [(v_key, v.label, _assumption_summary(v), _measurement_summary(v), v.status)
             for v_key, v in verdicts]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    widths[3] = min(widths[3], 60)
    lines = []
    for j, r in enumerate(rows):
        cells = [r[i].ljust(widths[i]) if i < 3 else (r[i][: widths[i] - 1] + "…" if len(r[i]) > widths[i] else r[i].ljust(widths[i]))
                 for i in range(4)]
        lines.append("  ".join(cells + [r[4]]))
        if j == 0:
            lines.append("  ".join("-" * w for w in widths + [7]))
    return "\n".join(lines)


def _verify(args) -> int:
    from . import _core
    from .registry import select

    try:
        chosen = select(args.only)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    overrides = {k: getattr(args, k) for k in ("d", "eigenvalues", "m", "rank", "alpha", "step", "seed", "operator")}
    verdicts = []
    t_all = time.perf_counter()
    for i, claim in enumerate(chosen, 1):
        try:
            setting = claim.default.replace(**overrides)
            _validate(setting)
        except (ValueError, TypeError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        if not args.quiet:
            print(f"[{i}/{len(chosen)}] {claim.key}: {claim.label} ...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        try:
            verdict = claim.verify(setting)
        except (ValueError, TypeError) as exc:
            print(f"error: {claim.key}: {exc}", file=sys.stderr)
            return EXIT_USAGE
        verdicts.append(verdict)
        if not args.quiet:
            print(f"[{i}/{len(chosen)}] {claim.key}: {verdict.status} ({time.perf_counter() - t0:.1f} s)",
                  file=sys.stderr, flush=True)
    print(_table(list(zip([c.key for c in chosen], verdicts))))
    print()
    for v in verdicts:
        print(v.report())
        print()
    n = {s: sum(v.status == s for v in verdicts) for s in ("HOLDS", "FAILS", "OUT OF SCOPE")}
    print(f"{n['HOLDS']} hold, {n['FAILS']} fail, {n['OUT OF SCOPE']} out of scope "
          f"({time.perf_counter() - t_all:.1f} s)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            fh.write(_core.dumps(verdicts))
    if n["FAILS"]:
        return EXIT_FAIL
    if n["OUT OF SCOPE"]:
        return EXIT_OUT_OF_SCOPE
    return EXIT_OK


def _validate(s) -> None:
    import sensing

    if s.d < 1:
        raise ValueError(f"--d must be at least 1, got {s.d}")
    if s.rank < 1 or s.rank > s.d:
        raise ValueError(f"--rank must be between 1 and d = {s.d}, got {s.rank}")
    if s.m is not None and s.m < 1:
        raise ValueError(f"--m must be at least 1, got {s.m}")
    sensing.initial_factor(1, 1, s.alpha)  # alpha > 0, finite
    if not (s.step > 0 and s.step < float("inf")):
        raise ValueError(f"--step must be positive and finite, got {s.step}")
    sensing.ground_truth_from_spectrum(s.eigenvalues, s.d, 0)  # positive, decreasing, r* <= d


def main(argv=None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "list":
        return _list()
    if args.command == "verify":
        return _verify(args)
    return importlib.import_module(SUBCOMMANDS[args.command]).run(args)
