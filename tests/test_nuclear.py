# The minimum-trace PSD interpolant (sensing.nuclear) and the finding it serves: gradient descent
# from a small start follows greedy low-rank learning, not the minimum nuclear-norm solution
# (Li, Luo, Lyu, ICLR 2021, against Gunasekar et al.'s 2017 conjecture).
import warnings

import numpy as np
import pytest

import sensing
from sensing.nuclear import certify, min_trace_solution

# (d, eigenvalues of Z*, m, seed): under-determined (m ≪ d(d+1)/2) instances covering min-trace of
# rank 1, 2 and 3, min-trace = Z* (with non-unique multipliers, m > d·r), and min-trace ≠ Z*
SOLVER_CASES = [
    (4, [1.0], 3, 0),
    (4, [1.0], 5, 0),
    (4, [1.0, 0.5], 5, 1),
    (5, [1.0], 8, 0),
    (5, [1.0, 0.5], 8, 0),
    (6, [1.0], 5, 0),
    (6, [1.0, 0.5], 3, 2),
]


def _glrl(pb):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sensing.glrl(pb.op, pb.y, epsilon=1e-12)


@pytest.mark.parametrize("d, eigenvalues, m, seed", SOLVER_CASES)
def test_min_trace_solution_is_certified_and_no_interpolant_has_smaller_trace(d, eigenvalues, m, seed):
    pb = sensing.make_problem(d, eigenvalues=eigenvalues, m=m, operator="gaussian", seed=seed)
    sol = min_trace_solution(pb.op, pb.y, rng=0)
    assert sol.certified, sol.summary()
    # duality gap tr W − ⟨λ, y⟩ = ⟨S, W⟩ is at the complementarity level
    gap = abs(sol.trace - sol.dual_value)
    assert gap <= np.sqrt(d) * sol.tol_complementarity, f"gap {gap:.3g}; {sol.summary()}"
    # weak duality: a PSD W' has tr W' = ⟨S, W'⟩ + ⟨λ, 𝒜(W')⟩ ≥ ⟨λ, y⟩ + ⟨λ, 𝒜(W') − y⟩, so
    # Z* and GLRL's W (which interpolates only to its own gradient round-off) are not below
    # tr W♮ by more than their residual times ‖λ‖, plus S's round-off times tr W'
    for name, W in (("Z*", pb.truth.Z), ("W_GLRL", _glrl(pb).W)):
        r = float(np.linalg.norm(pb.op.forward(W) - pb.y))
        tr = float(np.trace(W))
        slack = float(np.linalg.norm(sol.lam)) * r + sol.tol_S * tr + 10 * np.finfo(float).eps * sol.trace
        assert sol.trace <= tr + slack, (f"tr W♮ = {sol.trace:.15g} > tr {name} = {tr:.15g} + "
                                         f"{slack:.3g} (‖𝒜(W) − y‖ = {r:.3g}); {sol.summary()}")

def test_the_certificate_rejects_interpolants_that_are_not_of_minimum_trace():
    # d = 6, Z* rank 1, m = 5: Z* and GLRL's rank-1 W both interpolate, the min-trace W is rank 2
    pb = sensing.make_problem(6, eigenvalues=[1.0], m=5, operator="gaussian", seed=0)
    sol = min_trace_solution(pb.op, pb.y, rng=0)
    again = certify(pb.op, pb.y, sol.W)
    assert again.certified, again.summary()
    for name, W in (("Z*", pb.truth.Z), ("W_GLRL", _glrl(pb).W)):
        c = certify(pb.op, pb.y, W)
        assert c.feasibility <= c.tol_feasibility, f"{name} should interpolate: {c.summary()}"
        assert not c.certified, (f"{name} (tr {c.trace:.6g} > tr W♮ = {sol.trace:.6g}) certified: "
                                 f"{c.summary()}")


# The finding. Instance (from a search over d = 4–6, rank 1–2, m = 3–8, seeds 0–2):
# d = 6, Z* = uuᵀ (eigenvalue 1), m = 5 Gaussian measurements, seed 0. GLRL stops after one
# stage at a rank-1 interpolant W_G with tr W_G = 1.00691; the certified min-trace interpolant W♮
# has rank 2 and tr W♮ = 0.71869; ‖W_G − W♮‖_F = 0.815 = 1.49‖W♮‖_F. GD (r̂ = d, U0 = αŪ, Ū a
# fixed orthogonal matrix, safe step) converges (‖∇f‖ ≈ 1e-15) for every α, and measured:
#   α      ‖W∞ − W_G‖_F   ‖W∞ − W♮‖_F   tr W∞
#   1e-2   6.905e-01      1.767e-01     0.74459
#   1e-4   3.651e-01      4.807e-01     0.84773
#   1e-6   2.731e-02      7.897e-01     0.99410
#   1e-8   2.972e-04      8.145e-01     1.00677
#   1e-10  2.865e-06      8.148e-01     1.00691
# (at α = 1e-2 GD is closer to W♮; from α ≈ 1e-6 on the distance to W_G falls ∝ α, the one to W♮
# saturates at ‖W_G − W♮‖). With r̂ = d and Ū orthogonal, W0 = α²I, so the run does not depend on
# which orthogonal Ū; three Gaussian Ū (unit spectral norm, seeds 2–4) gave the same picture
# (α = 1e-10: dG = 2.5e-6, 6.0e-7, 2.6e-6; dM = 0.815). The bounds below are loose fractions.
FINDING = dict(d=6, eigenvalues=[1.0], m=5, seed=0)
ALPHAS = (1e-2, 1e-4, 1e-6, 1e-8, 1e-10)


@pytest.fixture(scope="module")
def finding():
    pb = sensing.make_problem(FINDING["d"], eigenvalues=FINDING["eigenvalues"], m=FINDING["m"],
                              operator="gaussian", seed=FINDING["seed"])
    sol = min_trace_solution(pb.op, pb.y, rng=0)
    res = _glrl(pb)
    d = FINDING["d"]
    Ubar = np.linalg.qr(np.random.default_rng(1).standard_normal((d, d)))[0]
    U0 = np.stack([a * Ubar for a in ALPHAS])
    mu = sensing.safe_step_size(pb.op, pb.y, U0)
    tr = sensing.gradient_descent(pb.op, pb.y, U0, step=mu, steps=30_000, record_every=30_000,
                                  n_eigenvalues=0)
    return pb, sol, res, tr


def test_gd_from_small_init_follows_glrl_not_the_minimum_nuclear_norm_solution(finding):
    pb, sol, res, tr = finding
    assert sol.certified, sol.summary()
    assert res.stopped and res.rank == 1, (res.rank, res.final_eigenvalue, res.stop_tolerance)
    WG, WM = res.W, sol.W
    gap = float(np.linalg.norm(WG - WM))
    assert gap >= 0.5 * np.linalg.norm(WM), f"‖W_G − W♮‖ = {gap:.3g}, ‖W♮‖ = {np.linalg.norm(WM):.3g}"
    Ws = [U @ U.T for U in tr.U]
    grads = [float(np.linalg.norm(sensing.gradient(pb.op, pb.y, U))) for U in tr.U]
    dG = np.array([np.linalg.norm(W - WG) for W in Ws])
    dM = np.array([np.linalg.norm(W - WM) for W in Ws])
    traces = np.array([np.trace(W) for W in Ws])
    table = "; ".join(f"α={a:g}: dG={g:.3e} dM={m_:.3e} tr={t:.5f}"
                      for a, g, m_, t in zip(ALPHAS, dG, dM, traces))
    assert max(grads) <= 1e-12, f"GD did not converge: ‖∇f‖ = {grads}; {table}"
    # distance to GLRL's W decays with α, eventually ∝ α (a factor ≥ 10 per two decades)
    assert np.all(np.diff(dG) < 0), f"distance to W_GLRL not decreasing in α: {table}"
    assert np.all(dG[3:] <= 0.1 * dG[2:-1]), f"distance to W_GLRL not ∝ α for α ≤ 1e-6: {table}"
    assert dG[-1] <= 1e-4 * np.linalg.norm(WG), f"GD limit at α = 1e-10 is not W_GLRL: {table}"
    # distance to the min-trace W stays O(1): above half of ‖W♮‖ for α ≤ 1e-6
    assert np.all(dM[2:] >= 0.5 * np.linalg.norm(WM)), \
        f"GD approaches W♮ (‖W♮‖ = {np.linalg.norm(WM):.3g}): {table}"
    # and GD's nuclear norm exceeds the minimum by a fixed amount as α → 0
    assert traces[-1] - sol.trace >= 0.2, f"tr W∞ − tr W♮ = {traces[-1] - sol.trace:.3g}: {table}"
