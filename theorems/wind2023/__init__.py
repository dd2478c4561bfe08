"""Claims of J. S. Wind, *Asymmetric matrix sensing by gradient descent with small random
initialization* (arXiv 2309.01796 v1, 2023).

Only the abstract of v1 is seen (paper notes §4.4, §6): each module says what is SEEN there and
what is RECONSTRUCTED, and tests the reconstruction rather than assuming it. Conventions (our
loss ¼‖𝒜(FGᵀ) − y‖², Wind's ½‖·‖²: his step η is our μ/2) are in :mod:`._common`.
"""

#: Short citation shown by ``python -m theorems list``.
PAPER = "Wind, arXiv 2309.01796 v1 (2023)"

#: Claim modules under this package, in the order they are reported.
CLAIM_MODULES = (
    "convergence",
    "gradient_flow",
)
