# Greedy low-rank learning (sensing.glrl): the stages, the stop rule, the asymmetric lift
import numpy as np
import pytest
from hypothesis import given, strategies as st

import sensing
import sensing.asymmetric as sa


@pytest.fixture(scope="module")
def instance():
    pb = sensing.make_problem(10, eigenvalues=[4, 2, 1], m=2000, seed=0)
    return pb, sensing.glrl(pb.op, pb.y, epsilon=1e-8, step=0.02)


def test_glrl_stages_are_the_rank_s_sensing_minimisers_and_it_stops_at_r_star(instance):
    pb, res = instance
    assert res.stopped and res.rank == 3, (res.rank, res.final_eigenvalue, res.stop_tolerance)
    assert res.final_eigenvalue <= res.stop_tolerance
    for st_ in res.stages:
        Z = sensing.sensing_minimizer(pb.op, pb.y, st_.s).Z
        err = float(np.linalg.norm(st_.W - Z))
        # both are stationary to gradient round-off; the normal-space curvature turns that into Z
        lam = sensing.normal_space_curvature(pb.op, pb.y, st_.U)
        tol = 10 * (st_.gradient_tolerance / lam) * max(1.0, float(np.linalg.norm(st_.U, 2)))
        assert st_.converged and err <= tol, f"s = {st_.s}: ‖W_s − Z*_s‖ = {err:.3g} > {tol:.3g}"


def test_the_first_escape_direction_is_the_top_eigenvector_of_the_adjoint_of_y(instance):
    pb, res = instance
    w, V = np.linalg.eigh(pb.op.adjoint(pb.y))
    u = res.stage(1).direction
    sin = float(np.sqrt(max(0.0, 1 - (V[:, -1] @ u) ** 2)))
    assert sin <= 1e3 * np.finfo(float).eps * w[-1] / (w[-1] - w[-2]), f"sin∠(u₁, v̂₁) = {sin:.3g}"
    assert res.stage(1).eigenvalue == pytest.approx(w[-1], rel=1e-12)


def test_each_triggering_eigenvalue_is_the_top_eigenvalue_of_the_negative_gradient(instance):
    pb, res = instance
    U = np.zeros((10, 0))
    for st_ in res.stages:
        lam = np.linalg.eigvalsh(sensing.greedy.negative_gradient_matrix(pb.op, pb.y, U))[-1]
        assert st_.eigenvalue == pytest.approx(lam, rel=1e-10, abs=1e-13)
        U = st_.U


def test_the_stage_path_starts_from_the_previous_stage_plus_the_new_column(instance):
    _, res = instance
    s2 = res.stage(2)
    start = s2.path[0]
    np.testing.assert_array_equal(start[:, :1], res.stage(1).U)
    np.testing.assert_allclose(start[:, 1], np.sqrt(res.epsilon) * s2.direction, rtol=0, atol=1e-18)
    assert s2.path_steps[0] == 0 and s2.path_steps[-1] == s2.steps


def test_max_rank_ends_glrl_before_it_stops_on_its_own(instance):
    pb, _ = instance
    res = sensing.glrl(pb.op, pb.y, epsilon=1e-8, step=0.02, max_rank=2)
    assert res.rank == 2 and not res.stopped and res.final_eigenvalue > res.stop_tolerance


def test_asymmetric_glrl_appends_singular_pairs_and_recovers_z_star():
    pb = sa.make_problem(6, 5, singular_values=[3.0, 1.0], m=600, seed=0)
    res = sensing.glrl(pb.op, pb.y, epsilon=1e-8, step=0.05)
    assert res.stopped and res.rank == 2
    R = pb.op.adjoint_rect(pb.y)
    Ul, sv, Vt = np.linalg.svd(R)
    u = res.stage(1).direction
    # the lifted top eigenvector is [u; v]/√2 with eigenvalue σ₁(𝒜*(y))/2
    assert res.stage(1).eigenvalue == pytest.approx(sv[0] / 2, rel=1e-12)
    assert abs(u[:6] @ Ul[:, 0]) == pytest.approx(1 / np.sqrt(2), rel=1e-10)
    assert abs(u[6:] @ Vt[0]) == pytest.approx(1 / np.sqrt(2), rel=1e-10)
    FG = res.W[:6, 6:]
    assert np.linalg.norm(FG - pb.truth.Z) <= 1e-10 * np.linalg.norm(pb.truth.Z)


@given(st.integers(0, 2**32 - 1), st.sampled_from([(3.0, 1.0), (4.0, 2.0, 1.0)]))
def test_glrl_stops_at_the_rank_of_z_star_under_full_observation(seed, eig):
    pb = sensing.make_problem(6, eigenvalues=list(eig), operator="identity", seed=seed)
    res = sensing.glrl(pb.op, pb.y, epsilon=1e-8, step=0.05)
    assert res.stopped and res.rank == len(eig), (res.rank, res.final_eigenvalue, res.stop_tolerance)
    for s, st_ in enumerate(res.stages, 1):  # Z*_s is the truncated eigendecomposition here
        np.testing.assert_allclose(st_.W, pb.truth.truncated(s), atol=1e-10 * eig[0])


@pytest.mark.parametrize("kwargs, match", [
    (dict(epsilon=0.0), "epsilon"), (dict(epsilon=-1.0), "epsilon"), (dict(epsilon=np.nan), "epsilon"),
    (dict(epsilon=1e-8, max_rank=0), "max_rank"), (dict(epsilon=1e-8, step=-0.1), "step"),
    (dict(epsilon=1e-8, chunk=0), "chunk"),
])
def test_bad_glrl_arguments_are_refused_by_name(instance, kwargs, match):
    pb, _ = instance
    with pytest.raises((ValueError, TypeError), match=match):
        sensing.glrl(pb.op, pb.y, **kwargs)
