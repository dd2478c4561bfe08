"""Stand-in for a job outside Python: read a requests file, run each request, write the runs.

    python examples/record_runs.py req.npz runs.npz

Each request N gives U0 (``N/U0``, shape (K, d, r̂)), the step μ (``N/step``) and T (``N/steps``)
for the paper's loss f(U) = (1/4m) Σ_i (⟨A_i, UUᵀ⟩ − y_i)² on instance j = ``N/problem``
(``problem{j}/A``, ``problem{j}/y``); the runs file holds, per N, the iterates U_0..U_T as one
(T + 1, K, d, r̂) array. Your GPU job or C++ code does the same with its own gradient descent.
"""
import sys

import numpy as np


def plain_gd(A, y, U0, step, steps):
    m, d, _ = A.shape
    Af = A.reshape(m, d * d)
    N, b = Af.T @ Af / m, Af.T @ y / m
    out = np.empty((steps + 1,) + U0.shape)
    out[0] = U = U0
    for t in range(steps):
        z = (U @ U.transpose(0, 2, 1)).reshape(U.shape[0], d * d)
        U = U - step * ((z @ N - b).reshape(-1, d, d) @ U)  # ∇f = (1/m) Σ r_i A_i U
        out[t + 1] = U
    return out


def main(requests_path, runs_path):
    with np.load(requests_path) as f:
        runs = {}
        for name in map(str, f["names"]):
            j = int(f[f"{name}/problem"])
            runs[name] = plain_gd(f[f"problem{j}/A"], f[f"problem{j}/y"], f[f"{name}/U0"],
                                  float(f[f"{name}/step"]), int(f[f"{name}/steps"]))
    np.savez(runs_path, **runs)
    print(f"wrote {', '.join(runs)} to {runs_path}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
