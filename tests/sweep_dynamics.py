"""Dynamics for the sweep tests, importable by worker processes (``tests.sweep_dynamics:...``)."""
import numpy as np

import sensing


def fails_above_alpha_3e_3(problem, U0, *, step, steps):
    """The built-in GD, except that it raises for a start larger than 3e-3 (an injected fault:
    the sweep must record that point as ERROR and go on)."""
    scale = float(np.max(np.linalg.norm(U0, 2, axis=(-2, -1))))
    if scale > 3e-3:
        raise RuntimeError(f"injected failure: start of scale {scale:.3g} > 3e-3")
    return sensing.dynamics.GRADIENT_DESCENT.iterates(problem, U0, step=step, steps=steps)


def dies_above_alpha_3e_3(problem, U0, *, step, steps):
    """The built-in GD, except that the process dies (as if killed by the OOM killer or a
    segfault in a compiled library) for a start larger than 3e-3."""
    import os

    if float(np.max(np.linalg.norm(U0, 2, axis=(-2, -1)))) > 3e-3:
        os._exit(70)
    return sensing.dynamics.GRADIENT_DESCENT.iterates(problem, U0, step=step, steps=steps)
