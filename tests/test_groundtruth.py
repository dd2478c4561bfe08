import numpy as np
import pytest
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


@pytest.mark.parametrize("d, k", [(2, 1), (7, 3), (300, 5), (40, 40)])
def test_haar_frame_is_ortho_groups_first_columns_without_the_d_by_d_matrix(d, k):
    # the large-d draw of ground_truth_from_spectrum: the same normals, read by row blocks, and a
    # thin QR of the k columns kept; equal to ortho_group's columns to the QR's round-off (the
    # Householder reflections differ only in their blocking), and the stream is left where
    # ortho_group leaves it
    import scipy.stats

    from sensing.groundtruth import haar_frame

    rng_a, rng_b = np.random.default_rng(11), np.random.default_rng(11)
    want = scipy.stats.ortho_group.rvs(d, random_state=rng_a)[:, :k]
    got = haar_frame(d, k, rng_b)
    np.testing.assert_allclose(got, want, rtol=0, atol=100 * d * np.finfo(float).eps)
    assert rng_a.random() == rng_b.random()


def test_large_d_ground_truth_is_the_same_draw_and_forms_z_only_when_read(monkeypatch):
    from sensing import groundtruth

    eig = [3.0, 1.0]
    small = groundtruth.ground_truth_from_spectrum(eig, 60, 5)
    monkeypatch.setattr(groundtruth, "HAAR_DENSE_MAX_D", 10)  # the streamed draw at d = 60
    big = groundtruth.ground_truth_from_spectrum(eig, 60, 5)
    np.testing.assert_allclose(big.eigenvectors, small.eigenvectors, atol=1e-14)
    assert big._Z is None
    np.testing.assert_allclose(big.Z, small.Z, atol=1e-14)
    assert big.Z is big.Z and not big.Z.flags.writeable
