"""Claims of Li, Luo, Lyu, *Towards resolving the implicit bias of gradient descent for matrix
factorization: greedy low-rank learning* (ICLR 2021, arXiv 2012.09839).

Only the abstract and Jin et al.'s description of the paper were seen; the GLRL algorithm and
its first-stage theorem are RECONSTRUCTED (``../shared/paper-notes.md`` §4.1), and so is every
claim here. One module per claim (:data:`CLAIM_MODULES`).
"""

#: Short citation shown by ``python -m theorems list``.
PAPER = "Li, Luo, Lyu, ICLR 2021 (arXiv 2012.09839; GLRL reconstructed)"

#: Claim modules under this package, in the order they are reported.
CLAIM_MODULES = ("glrl",)
