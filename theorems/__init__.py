"""theorems: claims of theory papers on matrix sensing as an executable specification.

Layout, bottom to top:

- the claim vocabulary: :mod:`theorems._core` (:class:`Setting`, :class:`AssumptionCheck`,
  :class:`Measurement`, :class:`Verdict`, :class:`Claim`), :mod:`theorems.assumptions` (the
  papers' assumptions as predicates), :mod:`theorems.strategies` (Hypothesis instances that meet
  them by construction) and :mod:`theorems.registry` (the claims, grouped by paper);
- the claims, one subpackage per paper and one module per claim: :mod:`theorems.jin2023`
  (Jin, Li, Lyu, Du, Lee, ICML 2023);
- checking anyone's gradient descent: :func:`verify` (``dynamics=``), :mod:`theorems.runs`
  (recorded runs), :mod:`theorems.diagnosis` (why a dynamics fails), :mod:`theorems.testing`
  and the pytest plugin :mod:`theorems.pytest_plugin` (``--theorems-dynamics``);
- the tools on top: :mod:`theorems.reproduce` (the paper's experiments, figures and report),
  :mod:`theorems.mutants` (semantic mutants run against the suite) and :mod:`theorems.cli`
  (``python -m theorems``).
"""
from ._core import AssumptionCheck, Claim, Measurement, RecordedRuns, RunRequest, Setting, Verdict
from .registry import claims, get, papers, select
from .runs import judge, verify

__all__ = ["AssumptionCheck", "Claim", "Measurement", "RecordedRuns", "RunRequest", "Setting", "Verdict",
           "claims", "get", "judge", "papers", "select", "verify"]
