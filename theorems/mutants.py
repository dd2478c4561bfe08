"""Semantic mutants: apply each known way of getting the dynamics wrong and run the theorem tests.

``python -m theorems mutants`` copies the project to a temporary directory, applies one mutant
at a time (a textual patch of ``sensing/`` or ``theorems/``), runs the theorem tests
(``tests/test_claim_*.py`` and the shared negative controls) against the mutated copy and prints killed/survived. It exits 0 only
when every mutant is killed (at least one theorem test fails), 1 when one survives, and 2 when a
mutant no longer applies (its anchor text is gone: update the mutant with the code).

A mutant that survives means the suite cannot tell the paper's dynamics from a wrong one:
a defect of the suite, never of the mutant.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Mutant:
    """A named semantic error: ``(path, old, new)`` text replacements, each applied exactly once."""

    name: str
    description: str
    patches: tuple

    def apply(self, root: Path) -> None:
        for rel, old, new in self.patches:
            path = root / rel
            text = path.read_text(encoding="utf-8")
            count = text.count(old)
            if count != 1:
                raise LookupError(f"mutant {self.name!r}: anchor found {count} times in {rel}: {old!r}")
            path.write_text(text.replace(old, new), encoding="utf-8")


MUTANTS = (
    Mutant("gradient-factor", "the gradient is twice A*A(UU^T - Z*)U (a factor error in eq. 3)", (
        ("sensing/descent.py", "np.multiply(g, self._outw, out=g)", "np.multiply(g, 2.0 * self._outw, out=g)"),
        ("sensing/objective.py", "g = smat(op.adjoint_svec(r), op.d) @ np.asarray(U, dtype=np.float64)",
         "g = 2.0 * smat(op.adjoint_svec(r), op.d) @ np.asarray(U, dtype=np.float64)"),
    )),
    Mutant("no-symmetrisation", "non-symmetric A_i used without sym(A_i) = (A_i + A_i^T)/2", (
        ("sensing/operators.py", "0.5 * (A[:, idx.flat] + A[:, idx.flat_t]) * idx.weight",
         "A[:, idx.flat] * idx.weight"),
        ("sensing/operators.py", "0.5 * (flat[:, idx.flat] + flat[:, idx.flat_t]) * idx.weight",
         "flat[:, idx.flat] * idx.weight"),
    )),
    Mutant("adjoint-scale", "the adjoint misses its 1/sqrt(m) (so A*A is m^{1/2} times too large)", (
        ("sensing/operators.py", "return (w @ self.S) / self._sqrt_m", "return w @ self.S"),
        ("sensing/operators.py", "G = (self.S.T @ self.S) / self.m", "G = (self.S.T @ self.S) / self._sqrt_m"),
        ("sensing/descent.py", 'factor = scale if self.mode == "gram" else scale * float(self.scale)',
         "factor = scale"),
    )),
    Mutant("update-sign", "ascent instead of descent: U + mu grad f(U) (the paper's printed sign)", (
        ("sensing/descent.py", "        U -= MU\n", "        U += MU\n"),
    )),
    Mutant("record-off-by-one", "recorded quantities are labelled with step t+1 instead of t", (
        ("sensing/descent.py", "return Trajectory(U, loss, rec, eig, dist,",
         "return Trajectory(U, loss, np.minimum(rec + 1, T), eig, dist,"),
    )),
    Mutant("eigen-order", "the recorded eigenvalues of U_t U_t^T are in increasing order", (
        ("sensing/descent.py", "eig[:, i_rec] = (sv[:, :q].astype(np.float64)) ** 2",
         "eig[:, i_rec] = (sv[:, ::-1][:, :q].astype(np.float64)) ** 2"),
    )),
    Mutant("zstar-is-svd", "Z*_s replaced by the truncated SVD of the least-squares fit of y", (
        ("sensing/minimizers.py", "    f = _RankS(op, y, s)\n",
         "    w_, V_ = top_eigh(smat(op.solution(y)[0], op.d), s)\n"
         "    U = V_ * np.sqrt(np.maximum(w_, 0.0))\n"
         "    return RankSMinimizer(s, U, U @ U.T, 0.0, 0.0, 1.0)\n"
         "    f = _RankS(op, y, s)\n"),
    )),
    Mutant("time-bias", "the phase-time estimator is biased by a constant factor 1.1", (
        ("theorems/jin2023/learning_times.py", "times = record_steps[first].astype(int)",
         "times = np.ceil(1.1 * record_steps[first]).astype(int)"),
    )),
    # checker mutants (issue 9): one check or one assumption predicate made unable to fail, or
    # loosened; each must be killed by that check's own negative control
    Mutant("clock-unchecked", "learning_times: the power-iteration clock check can no longer fail", (
        ("theorems/jin2023/learning_times.py", "bool(ev.clock_error <= CLOCK_RTOL)", "True"),
    )),
    Mutant("zero-exponent", "incremental: a power-law fit accepts a zero exponent (p_min = 0)", (
        ("theorems/jin2023/incremental.py", "MIN_DECAY = 2.0", "MIN_DECAY = 1.0"),
    )),
    Mutant("wedin-loosened", "spectral: the Wedin alignment bound at T^sp loosened 10x", (
        ("theorems/jin2023/spectral.py", "bool(np.all(ev.sin_hat_sp <= wb))",
         "bool(np.all(ev.sin_hat_sp <= 10 * wb))"),
    )),
    Mutant("final-rate-unchecked", "underparameterised: the final rate is not compared with the "
           "linearisation's", (
        ("theorems/jin2023/underparameterised.py", "all(x <= t for x, t in zip(dev, tol)), name=FINAL_RATE",
         "True, name=FINAL_RATE"),
    )),
    Mutant("uniqueness-uncapped", "landscape: Lemma 4.4's spread bound is vacuous at a flat "
           "curvature (a non-unique minimiser passes)", (
        ("theorems/jin2023/landscape.py", "tol = min(tol, SPREAD_CAP)", "tol = tol"),
    )),
    Mutant("eigengap-always", "the eigengap assumption predicate can no longer be false", (
        ("theorems/assumptions.py", "bool(gt.tau > 0)", "True"),
    )),
    Mutant("rip-practical-always", "the practical RIP predicate can no longer be false", (
        ("theorems/assumptions.py", "bool(err <= GAP_FRACTION * gt.tau)", "True"),
    )),
)


def _copy_project(dest: Path) -> None:
    ignore = shutil.ignore_patterns(".git", "__pycache__", ".hypothesis", ".pytest_cache", ".benchmarks",
                                    "*.egg-info", "mutants", "out", "docs")
    for name in ("sensing", "theorems", "tests"):
        shutil.copytree(ROOT / name, dest / name, ignore=ignore)
    for name in ("conftest.py", "pyproject.toml", "README.md"):  # README: tests/test_docs.py collects its snippets
        shutil.copy2(ROOT / name, dest / name)


def run_mutant(mutant: Mutant, *, workers: int, extra: list, timeout: float) -> tuple[str, str, float]:
    """Return (status, first failing test or reason, seconds) for one mutant."""
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"mutant-{mutant.name}-") as tmp:
        root = Path(tmp)
        _copy_project(root)
        mutant.apply(root)
        tests = sorted(str(p.relative_to(root)) for p in (root / "tests").glob("test_claim_*.py"))
        tests.append("tests/test_negative_controls.py")  # the shared controls (standard assumptions)
        cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "--no-header",
               *tests, *extra]
        if workers > 1:
            cmd += ["-n", str(workers)]
        env = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
        try:
            proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return "killed", f"timed out after {timeout:.0f} s (a hang counts as detected)", time.perf_counter() - t0
    out = proc.stdout + proc.stderr
    failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", out, flags=re.M)
    if proc.returncode == 0:
        return "survived", "every theorem test passed", time.perf_counter() - t0
    if proc.returncode in (1, 2) and (failed or proc.returncode == 2):
        return "killed", failed[0] if failed else "collection error", time.perf_counter() - t0
    return "error", f"pytest exit {proc.returncode}: {out.strip().splitlines()[-1] if out.strip() else ''}", time.perf_counter() - t0


def configure(parser) -> None:
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these mutants")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--workers", type=int, default=2, help="pytest-xdist workers per run (default 2)")
    parser.add_argument("--timeout", type=float, default=1200, help="seconds per mutant before it counts as a hang")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")


def run(args) -> int:
    chosen = [m for m in MUTANTS if not args.only or m.name in args.only]
    if args.only and len(chosen) != len(set(args.only)):
        unknown = set(args.only) - {m.name for m in MUTANTS}
        print(f"error: unknown mutant(s) {sorted(unknown)}; see --list", file=sys.stderr)
        return 2
    if args.list:
        for m in chosen:
            print(f"{m.name:<20} {m.description}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:  # every anchor must still apply
        _copy_project(Path(tmp))
        for m in chosen:
            try:
                m.apply(Path(tmp))
            except LookupError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
    survived = 0
    for i, m in enumerate(chosen, 1):
        print(f"[{i}/{len(chosen)}] {m.name}: {m.description} ...", file=sys.stderr, flush=True)
        status, why, secs = run_mutant(m, workers=args.workers, extra=args.pytest_args, timeout=args.timeout)
        survived += status != "killed"
        print(f"{status.upper():<9} {m.name:<20} {secs:6.1f} s  {why}", flush=True)
    print(f"{len(chosen) - survived} of {len(chosen)} semantic mutants killed")
    return 0 if survived == 0 else 1
