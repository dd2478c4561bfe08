import numpy as np
import pytest
from hypothesis import given, strategies as st

import sensing


@given(st.integers(3, 6), st.integers(0, 2**32 - 1), st.integers(1, 3), st.floats(1.0, 3.0))
def test_rip_estimate_never_exceeds_the_exact_constant(d, seed, r, oversample):
    D = d * (d + 1) // 2
    op = sensing.gaussian_operator(int(np.ceil(oversample * D)), d, seed)
    exact, est = sensing.rip_exact(op), sensing.rip_estimate(op, min(r, d), rng=seed)
    assert est.delta <= exact.delta * (1 + 1e-9) + 1e-12, f"lower bound {est.delta} > exact {exact.delta}"
    assert exact.is_upper_bound and not est.is_upper_bound


def test_rip_estimate_finds_nearly_the_worst_direction_for_full_rank():
    op = sensing.gaussian_operator(60, 4, 0)
    exact, est = sensing.rip_exact(op), sensing.rip_estimate(op, 4, rng=0)
    assert est.delta >= 0.9 * exact.delta, f"rank-d search found {est.delta}, exact is {exact.delta}"


def test_identity_has_delta_zero_and_underdetermined_has_no_exact_constant():
    assert sensing.rip_exact(sensing.identity_operator(5)).delta == 0.0
    with pytest.raises(ValueError, match="m >= d"):
        sensing.rip_exact(sensing.gaussian_operator(10, 5, 0))
