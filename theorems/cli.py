"""python -m theorems: list the claims, verify them, reproduce the experiments, run mutants.

Exit status of verify (the worst outcome over the selected claims wins, in this order):
  1  a claim FAILS on an instance that meets its required assumptions
  4  a claim raised an ERROR before it could judge (a bug, or an instance it cannot handle);
     the other claims are still run, printed and written with --json
  3  an instance is OUT OF SCOPE (outside a claim's practical assumptions)
  0  every selected claim HOLDS
  2  usage error (bad flags or values, a --dynamics that cannot be imported or has the wrong
     signature, a runs file that does not match its requests; nothing is judged)

The same codes for judge (recorded runs). requests exits 0 (written) or 2.
"""
from __future__ import annotations

import argparse
import importlib
import sys
import time

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_OUT_OF_SCOPE, EXIT_ERROR = 0, 1, 2, 3, 4

#: Further subcommands: name -> module with ``configure(parser)`` and ``run(args) -> int``.
SUBCOMMANDS: dict[str, str] = {
    "mutants": "theorems.mutants",
    "reproduce": "theorems.reproduce",
    "sweep": "theorems.sweep.cli",
    "sweep-plot": "theorems.sweep.plot",
}


def _floats(text: str) -> tuple:
    try:
        vals = tuple(float(v) for v in text.replace(" ", "").split(",") if v)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None
    if not vals:
        raise argparse.ArgumentTypeError("expected at least one eigenvalue")
    return vals


def _integer(minimum: int, what: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected {what}, got {value}")
        return value
    return parse


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not (0.0 < value < float("inf")):
        raise argparse.ArgumentTypeError(f"expected a positive finite number, got {value:g}")
    return value


#: Options whose value may start with "-" (a negative number list, e.g. --eigenvalues -1,2):
#: argparse would take it for an option, so such a value is glued to its option first.
_VALUE_OPTIONS = ("--eigenvalues",)


def _looks_negative(text: str) -> bool:
    return text[:1] == "-" and (text[1:2].isdigit() or text[1:2] == ".")


def _glue_values(argv: list) -> list:
    out, i = [], 0
    while i < len(argv):
        if argv[i] in _VALUE_OPTIONS and i + 1 < len(argv) and _looks_negative(argv[i + 1]):
            out.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out


def _plain(text: str) -> str:
    """Help text without reST markup (double backticks, :mod: roles)."""
    import re

    return re.sub(r":[a-z]+:`([^`]*)`", r"\1", text).replace("``", "")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m theorems", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    ls = sub.add_parser("list", help="name every claim with its paper label, grouped by paper")
    ls.add_argument("--checks", action="store_true",
                    help="also list each claim's measurement names and required assumptions")
    v = sub.add_parser("verify", help="check every claim on its default (or your) instance")
    _claim_flags(v)
    v.add_argument("--dynamics", metavar="MODULE:FUNCTION",
                   help="judge your gradient descent fn(problem, U0, *, step, steps) instead of the "
                        "built-in one (see sensing.dynamics)")
    rq = sub.add_parser("requests", help="write the runs each claim needs (for code outside Python)")
    _claim_flags(rq, json=False)
    rq.add_argument("--out", required=True, metavar="PATH", help="requests file to write (.npz)")
    rq.add_argument("--without-operator", action="store_true",
                    help="omit the sensing matrices and measurements (rebuild the instance from its seed)")
    jd = sub.add_parser("judge", help="judge iterates you recorded for the requests")
    _claim_flags(jd)
    jd.add_argument("--runs", required=True, metavar="PATH", help="runs file: one (T+1, K, d, r) array per request")
    jd.add_argument("--requests", metavar="PATH", help="the requests file the runs answer (its settings are used)")
    for name, mod in SUBCOMMANDS.items():
        module = importlib.import_module(mod)
        module.configure(sub.add_parser(name, help=_plain(module.__doc__.strip().splitlines()[0])))
    return p


def _claim_flags(v, json: bool = True) -> None:
    """--only, --json and the instance overrides, shared by verify, requests and judge."""
    v.add_argument("--only", nargs="+", metavar="LABEL", help="claims whose key or label contains LABEL")
    if json:
        v.add_argument("--json", metavar="PATH", help="also write the verdicts as JSON")
    g = v.add_argument_group("instance (overrides each claim's default)")
    g.add_argument("--d", type=_integer(1, "a positive integer"),
                   help="dimension d (d1 of an asymmetric claim; a default r-hat equal to the default d follows d)")
    g.add_argument("--d2", type=_integer(1, "a positive integer"),
                   help="second dimension d2 of an asymmetric claim's Z* (d1 x d2)")
    g.add_argument("--init-ratio", dest="init_ratio", type=_positive_float,
                   help="asymmetric claims: G0's scale over F0's (Xiong et al. use 1/3)")
    g.add_argument("--eigenvalues", type=_floats,
                   help="eigenvalues of Z*, non-increasing and positive, e.g. 16,8,4,2")
    g.add_argument("--m", type=_integer(1, "a positive integer"), help="number of measurements")
    g.add_argument("--rank", type=_integer(1, "a positive integer"), help="r-hat, columns of U")
    g.add_argument("--alpha", type=_positive_float, help="initialisation scale (largest of a sweep)")
    g.add_argument("--step", type=_positive_float, help="step size mu")
    g.add_argument("--seed", type=_integer(0, "a non-negative integer"), help="seed of the instance")
    g.add_argument("--operator", choices=("gaussian", "paper", "identity", "rank_one", "completion"),
                   help="measurement ensemble (rank_one, completion: sensing.structured, with their own default m and step)")
    g.add_argument("--quiet", action="store_true", help="no progress lines on stderr")


def _list(checks: bool = False) -> int:
    from .registry import papers

    for citation, cs in papers():
        print(citation)
        for c in cs:
            print(f"  {c.key:<20} {c.label:<40} {c.title}")
            if checks:
                print(f"      measurements: {', '.join(c.measurements) or '(none declared)'}")
                print(f"      required assumptions: {'; '.join(c.required) or '(none declared)'}")
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
    if v.error:
        return f"error: {v.error}"
    bad = v.failures()
    text = f"{v.checks_run - len(bad)}/{v.checks_run} as predicted"
    if v.not_testable:
        text += f", {len(v.not_testable)} not testable"
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


def _setting(claim, args):
    """The claim's default with the user's overrides; a default r-hat equal to the default d
    (the over-parameterised r-hat = d) follows a user's --d unless --rank is given."""
    overrides = {k: getattr(args, k) for k in ("d", "eigenvalues", "m", "rank", "alpha", "step", "seed", "operator",
                                               "d2", "init_ratio")}
    if claim.default.d2 is None and (args.d2 is not None or args.init_ratio is not None):
        raise ValueError(f"--d2 and --init-ratio apply to asymmetric claims only; {claim.key!r} is symmetric")
    if args.d is not None and args.rank is None and claim.default.rank == claim.default.d:
        overrides["rank"] = args.d
    return claim.default_for(overrides.pop("operator"), **overrides)


def _chosen(args, dynamic_only: bool = False):
    """The selected claims and their validated settings; ``None`` after printing a usage error."""
    from .registry import select

    try:
        chosen = select(args.only)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
    if dynamic_only:
        chosen = tuple(c for c in chosen if c.dynamic)
        if not chosen:
            print(f"error: --only {' '.join(args.only)} selects no claim about dynamics", file=sys.stderr)
            return None
    settings = []
    for claim in chosen:  # all instances are validated before anything runs
        try:
            setting = _setting(claim, args)
            _validate(setting)
        except (ValueError, TypeError) as exc:
            print(f"error: {claim.key}: {exc}", file=sys.stderr)
            return None
        settings.append(setting)
    return chosen, settings


def _verify(args) -> int:
    import sensing

    picked = _chosen(args)
    if picked is None:
        return EXIT_USAGE
    try:
        dyn = sensing.dynamics.as_dynamics(args.dynamics)
    except sensing.DynamicsError as exc:
        print(f"error: --dynamics: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return _run_and_report(args, *picked, dyn)


def _requests(args) -> int:
    from . import runs

    picked = _chosen(args, dynamic_only=True)
    if picked is None:
        return EXIT_USAGE
    chosen, settings = picked
    items = [(c, s, r) for c, s in zip(chosen, settings) for r in c.requests(s)]
    try:
        runs.write_items(args.out, items, operator=not args.without_operator)
    except OSError as exc:
        print(f"error: --out: cannot write {args.out!r}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for _, _, r in items:
        print(r.describe())
    print(f"wrote {len(items)} requests to {args.out}: run each from its U0 for its steps, save the "
          f"iterates as one (steps+1, K, d, r) array per request name (numpy.savez), then "
          f"`python -m theorems judge --runs RUNS.npz --requests {args.out}`")
    return EXIT_OK


def _judge(args) -> int:
    from . import runs
    from .registry import select

    try:
        recorded = runs.read_runs(args.runs)
        if args.requests:  # the settings the runs answer come with them
            keep = {c.key for c in select(args.only)}
            items = [it for it in runs.read_requests(args.requests) if it[0].key in keep]
        else:
            picked = _chosen(args, dynamic_only=True)
            if picked is None:
                return EXIT_USAGE
            items = [(c, s, r) for c, s in zip(*picked) for r in c.requests(s)]
        chosen, settings, dyn = runs.prepare(items, recorded, name=f"recorded runs {args.runs}",
                                             subset=not args.requests)
    except (ValueError, OSError) as exc:  # DynamicsError is a ValueError
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return _run_and_report(args, chosen, settings, dyn)


def _run_and_report(args, chosen, settings, dyn) -> int:
    import traceback

    from . import _core

    verdicts = []
    t_all = time.perf_counter()
    for i, (claim, setting) in enumerate(zip(chosen, settings), 1):
        if not args.quiet:
            print(f"[{i}/{len(chosen)}] {claim.key}: {claim.label} ...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        try:
            verdict = claim.verify(setting, dynamics=dyn)
        except Exception as exc:  # one claim's failure must not lose the others' verdicts
            verdict = claim.error_verdict(setting, exc, dynamics=dyn)
            print(f"error: {claim.key} raised {type(exc).__name__}: {exc}", file=sys.stderr)
            if not args.quiet:
                traceback.print_exc(file=sys.stderr)
        verdicts.append(verdict)
        if not args.quiet:
            print(f"[{i}/{len(chosen)}] {claim.key}: {verdict.status} ({time.perf_counter() - t0:.1f} s)",
                  file=sys.stderr, flush=True)
    print(_table(list(zip([c.key for c in chosen], verdicts))))
    print()
    for v in verdicts:
        print(v.report())
        print()
    n = {s: sum(v.status == s for v in verdicts) for s in _core.STATUSES}
    run = sum(v.checks_run for v in verdicts)
    nt = sum(len(v.not_testable) for v in verdicts)
    print(f"{n['HOLDS']} hold, {n['FAILS']} fail, {n['OUT OF SCOPE']} out of scope, {n['ERROR']} error "
          f"({run} checks run, {nt} not testable; {time.perf_counter() - t_all:.1f} s)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            fh.write(_core.dumps(verdicts))
    if n["FAILS"]:
        return EXIT_FAIL
    if n["ERROR"]:
        return EXIT_ERROR
    if n["OUT OF SCOPE"]:
        return EXIT_OUT_OF_SCOPE
    return EXIT_OK


def _validate(s) -> None:
    """Flag-level checks, with messages naming the flag."""
    import sensing

    if s.d2 is not None:
        if len(s.eigenvalues) > min(s.d, s.d2):
            raise ValueError(f"--eigenvalues has {len(s.eigenvalues)} singular values but min(d, d2) = "
                             f"{min(s.d, s.d2)}")
        try:
            sensing.asymmetric.truth_from_singular_values(s.eigenvalues, s.d, s.d2, 0)
        except ValueError as exc:
            raise ValueError(f"--eigenvalues: {exc}") from None
        return
    if s.rank > s.d:
        raise ValueError(f"--rank must be between 1 and d = {s.d}, got {s.rank}")
    if s.operator == "completion" and s.m is not None and s.m > s.d * (s.d + 1) // 2:
        raise ValueError(f"--m: completion observes at most D = d(d+1)/2 = {s.d * (s.d + 1) // 2} distinct "
                         f"entries, got {s.m}")
    if len(s.eigenvalues) > s.d:
        raise ValueError(f"--eigenvalues has {len(s.eigenvalues)} entries (r*) but d = {s.d}: "
                         "need r* <= d (pass --d or fewer --eigenvalues)")
    try:
        sensing.ground_truth_from_spectrum(s.eigenvalues, s.d, 0)  # positive, non-increasing
    except ValueError as exc:
        raise ValueError(f"--eigenvalues: {exc}") from None


def main(argv=None) -> int:
    parser = _parser()
    args = parser.parse_args(_glue_values(list(sys.argv[1:] if argv is None else argv)))
    if args.command == "list":
        return _list(args.checks)
    if args.command == "verify":
        return _verify(args)
    if args.command == "requests":
        return _requests(args)
    if args.command == "judge":
        return _judge(args)
    return importlib.import_module(SUBCOMMANDS[args.command]).run(args)
