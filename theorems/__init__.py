"""theorems: the claims of Jin et al. (ICML 2023) as an executable specification.

One module per claim (``claim_*.py``); each reads like the statement: the paper's label, the
statement in the paper's notation, a "numerical reading" paragraph, the assumptions as checkable
predicates, the prediction, a checker returning a :class:`Verdict`, and a Hypothesis strategy of
instances that meet the assumptions by construction.
"""
from ._core import AssumptionCheck, Claim, Measurement, Setting, Verdict
from .registry import claims, select

__all__ = ["AssumptionCheck", "Claim", "Measurement", "Setting", "Verdict", "claims", "select"]
