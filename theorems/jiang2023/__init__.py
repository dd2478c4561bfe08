"""Claims of Jiang, Chen, Ding, *Algorithmic regularization in model-free overparametrized
asymmetric matrix factorization* (SIAM J. Math. Data Sci. 5(3):723–744, 2023; arXiv 2203.02839),
read together with the asymmetric reading of Jin et al.'s Theorem 4.1 for sensing.

Only the abstract of the paper was seen (``paper-notes.md`` §4.5); every quantitative form in
these modules is RECONSTRUCTED, derived in its module docstring, and tested rather than assumed.
"""

#: Short citation shown by ``python -m theorems list``.
PAPER = "Jiang, Chen, Ding, SIAM J. Math. Data Sci. 2023 (arXiv 2203.02839)"

#: Claim modules under this package, in the order they are reported.
CLAIM_MODULES = (
    "incremental",
)
