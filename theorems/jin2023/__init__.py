"""Claims of Jin, Li, Lyu, Du, Lee, *Understanding Incremental Learning of Gradient Descent: A
Fine-grained Analysis of Matrix Sensing* (ICML 2023, arXiv 2301.11500).

One module per claim, in the paper's order (:data:`CLAIM_MODULES`). Each module reads like the
statement: the ICML label (with the arXiv v1 number where the paper notes record it), the statement
in the paper's notation, a "numerical reading" of it, the assumptions as checkable predicates, the
prediction, a checker returning a :class:`theorems.Verdict`, and a Hypothesis strategy of instances
that meet the assumptions by construction.
"""

#: Short citation shown by ``python -m theorems list``.
PAPER = "Jin, Li, Lyu, Du, Lee, ICML 2023 (arXiv 2301.11500)"

#: Claim modules under this package, in the order they are reported.
CLAIM_MODULES = (
    "spectral",
    "incremental",
    "learning_times",
    "underparameterised",
    "overparameterised",
    "landscape",
)
