"""Claims of Xiong, Ding, Du, *How over-parameterization slows down gradient descent in matrix
sensing: the curses of symmetry and initialization* (ICLR 2024, arXiv 2310.01769).

Only the abstract and the public reviews were seen; the statements checked here are RECONSTRUCTED
(paper notes §4.3) and each module says which part is which.
"""

#: Short citation shown by ``python -m theorems list``.
PAPER = "Xiong, Ding, Du, ICLR 2024 (arXiv 2310.01769)"

#: Claim modules under this package, in the order they are reported.
CLAIM_MODULES = (
    "imbalance",
    "slowdown",
)
