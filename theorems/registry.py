"""The claims, in the paper's order; ``python -m theorems list`` prints them."""
from __future__ import annotations

import importlib

#: Module names under ``theorems`` (one module per claim), in the order they are reported.
CLAIM_MODULES = (
    "claim_spectral",
    "claim_incremental",
    "claim_learning_times",
    "claim_underparameterised",
    "claim_overparameterised",
    "claim_landscape",
)


def claims() -> tuple:
    """All :class:`theorems.Claim` objects, in order."""
    return tuple(importlib.import_module(f"theorems.{name}").CLAIM for name in CLAIM_MODULES)


def select(only) -> tuple:
    """Claims whose key or label contains any of the strings in ``only`` (case-insensitive)."""
    every = claims()
    if not only:
        return every
    wanted = [o.lower() for o in only]
    chosen = tuple(c for c in every if any(w in c.key.lower() or w in c.label.lower() for w in wanted))
    if not chosen:
        keys = ", ".join(c.key for c in every)
        raise ValueError(f"--only {' '.join(only)} matches no claim; choose from: {keys}")
    return chosen
