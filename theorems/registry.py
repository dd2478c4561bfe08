"""The claims, grouped by the paper they come from; ``python -m theorems list`` prints them.

A paper is a subpackage of :mod:`theorems` with ``PAPER`` (a short citation) and
``CLAIM_MODULES`` (its claim modules, in the paper's order); each claim module defines ``CLAIM``.
Adding a paper means adding its subpackage name to :data:`PAPERS`.
"""
from __future__ import annotations

import importlib

#: Paper subpackages of ``theorems``, in the order they are reported.
PAPERS = ("jin2023", "wind2023", "jiang2023", "xiong2024", "li2021")


def papers() -> tuple:
    """``(citation, claims)`` per paper, in order."""
    out = []
    for name in PAPERS:
        pkg = importlib.import_module(f"theorems.{name}")
        out.append((pkg.PAPER, tuple(importlib.import_module(f"theorems.{name}.{mod}").CLAIM
                                     for mod in pkg.CLAIM_MODULES)))
    return tuple(out)


def claims() -> tuple:
    """All :class:`theorems.Claim` objects, paper by paper, in order."""
    return tuple(c for _, cs in papers() for c in cs)


def get(key: str):
    """The claim with exactly this key (``ValueError`` naming the keys otherwise)."""
    for c in claims():
        if c.key == key:
            return c
    raise ValueError(f"no claim has key {key!r}; choose from: {', '.join(c.key for c in claims())}")


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
