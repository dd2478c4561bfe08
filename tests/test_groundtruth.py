import numpy as np
from hypothesis import given, strategies as st

import sensing
from sensing import tolerances


@st.composite
def spectra(draw, *, max_rank=5):
    r = draw(st.integers(1, max_rank))
    gaps = draw(st.lists(st.floats(0.1, 10), min_size=r, max_size=r))
    return np.cumsum(gaps)[::-1].copy()


@given(spectra(), st.integers(0, 10), st.integers(0, 2**32 - 1))
def test_prescribed_spectrum_is_the_spectrum_of_Z(eigs, extra, seed):
    d = eigs.size + extra
    gt = sensing.ground_truth_from_spectrum(eigs, d, seed)
    got = np.linalg.eigvalsh(gt.Z)[::-1][: eigs.size]
    np.testing.assert_allclose(got, eigs, rtol=tolerances.rtol_exact() * d, atol=tolerances.rtol_exact() * d * eigs[0])
    np.testing.assert_allclose(gt.eigenvectors.T @ gt.eigenvectors, np.eye(eigs.size), atol=tolerances.rtol_exact() * d)
    np.testing.assert_allclose(gt.X @ gt.X.T, gt.Z, atol=tolerances.rtol_exact() * d * eigs[0])
    assert np.isclose(gt.kappa, eigs[0] / np.min(eigs - np.append(eigs[1:], 0)))


@given(st.integers(2, 8), st.integers(0, 2**32 - 1))
def test_truncated_svd_is_the_best_rank_s_approximation(d, seed):
    gt = sensing.gaussian_ground_truth(d, d, seed)
    for s in range(1, d + 1):
        err = np.linalg.norm(gt.Z - gt.truncated(s))
        assert np.isclose(err, np.sqrt(np.sum(gt.eigenvalues[s:] ** 2)), rtol=1e-9, atol=1e-9 * gt.eigenvalues[0])


def test_gaussian_draw_keeps_the_paper_factor():
    gt = sensing.gaussian_ground_truth(50, 5, 0)
    np.testing.assert_allclose(gt.factor @ gt.factor.T, gt.Z, rtol=1e-12, atol=1e-10)
    assert gt.rank == 5 and gt.d == 50


def test_matrix_wrapper_detects_rank():
    gt = sensing.gaussian_ground_truth(6, 2, 1)
    assert sensing.ground_truth_from_matrix(gt.Z).rank == 2
