# The hot GD loop (issue 4): work and memory per step are what the design says, deterministically.
# Timings live in tests/benchmarks/ (outside the default run); these tests count operator
# applications and traced bytes, which do not depend on the machine's load.
import tracemalloc

import numpy as np
import pytest

import sensing
from sensing.descent import CHECK_EVERY, NormalMap

GD = sensing.gradient_descent


def _problem(d, m, seed=2, operator="gaussian"):
    pb = sensing.make_problem(d, eigenvalues=[4.0, 2.0, 1.0], m=m, operator=operator, seed=seed)
    return pb.op, pb.y, pb.truth


def _peak_bytes(fn) -> int:
    """Peak of the bytes traced by tracemalloc (numpy registers its buffers there) during fn()."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("mode", ["gram", "dense"])
@pytest.mark.parametrize("K", [None, 3])
def test_recording_adds_no_operator_applications_and_does_not_change_the_trajectory(mode, K):
    op, y, truth = _problem(8, 60)
    U0 = sensing.initial_factor(8, 3, 1e-2, 3, batch=K)
    runs = {}
    for label, kw in (("bare", dict(record_every=40, n_eigenvalues=0)),
                      ("full", dict(record_every=1, references={"Z*": truth.Z, "X1": truth.truncated(1)},
                                    snapshots=range(41)))):
        op.counts.update(forward=0, adjoint=0, gram=0)
        runs[label] = GD(op, y, U0, step=0.02, steps=40, mode=mode, **kw)
        per_traj = {key: n // (K or 1) for key, n in op.counts.items()}
        want = {key: 41 if key in (("gram",) if mode == "gram" else ("forward", "adjoint")) else 0
                for key in op.counts}
        assert per_traj == want, f"{mode}, K={K}, {label} recording: counts {op.counts}, expected {want} per run"
    # recording reads U_t and U_t U_t^T; it must not perturb them (bitwise)
    assert np.array_equal(runs["bare"].U, runs["full"].U)
    assert np.array_equal(runs["bare"].loss, runs["full"].loss)


def _identity_run_peak(d=60, r=2, steps=50):
    op = sensing.identity_operator(d)
    truth = sensing.ground_truth_from_spectrum([3.0, 1.0], d, 0)
    y = op.forward(truth.Z)
    U0 = sensing.initial_factor(d, r, 1e-3, 0)
    op.counts.update(forward=0, adjoint=0, gram=0)
    peak = _peak_bytes(lambda: GD(op, y, U0, step=0.05, steps=steps, record_every=10,
                                  references={"Z*": truth.Z}))
    return op, peak, 32 * d * d * 8


def test_full_observation_costs_O_d2_r_per_step_and_never_a_D_by_D_product():
    # d = 60: D = 1830, so one D x D matrix is 27 MB while a d x d matrix is 29 kB. The traced
    # peak of the whole call (validation, buffers, records) must stay within a few dozen d x d
    # float arrays, which rules out any D x D (or D x d^2) array; the operator is never applied.
    op, peak, budget = _identity_run_peak()
    assert peak <= budget, f"identity mode peaked at {peak / 1e3:.0f} kB > {budget / 1e3:.0f} kB (32 d x d floats); D x D = {op.D**2 * 8 / 1e6:.0f} MB"
    assert op.counts == {"forward": 0, "adjoint": 0, "gram": 0} and op._gram == {}


def test_the_identity_guard_catches_a_D_by_D_normal_map(monkeypatch):
    # negative control: an identity mode that forms G = I (D x D) must fail the budget above
    init = NormalMap.__init__

    def with_eye(self, op, y, mode="auto", dtype=np.float64):
        init(self, op, y, mode, dtype)
        self.G = np.eye(op.D)

    monkeypatch.setattr(NormalMap, "__init__", with_eye)
    op, peak, budget = _identity_run_peak()
    assert peak > budget, f"peak {peak / 1e3:.0f} kB did not exceed {budget / 1e3:.0f} kB"


def _allocation_violations(mode, K, d=20, m=1000, r=5, steps=(100, 1000)) -> list[str]:
    """The per-step allocation guard: what a warm run's traced peaks break, as messages.

    d = 20, m = 1000: S is m D = 210 000 floats (1.7 MB), m d^2 = 400 000 floats (3.2 MB). On a
    warm operator (G and z0 cached) a run may allocate its records, O(K T) floats, and
    O(K (d^2 + D + m)) work arrays once; nothing per step. So the peak (i) stays far below the
    operator's size and (ii) grows with T only by the loss arrays (3 x 8 K bytes per step: the
    quadratic forms, the loss and its transposed float64 copy).
    """
    op, y, _ = _problem(d, m)
    U0 = sensing.initial_factor(d, r, 1e-3, 1, batch=K)
    GD(op, y, U0, step=0.01, steps=2, mode=mode)  # warm: builds G and z0 once
    T1, T2 = steps
    peaks = [_peak_bytes(lambda: GD(op, y, U0, step=0.01, steps=T, mode=mode, record_every=100)) for T in steps]
    out = []
    if peaks[0] >= op.S.nbytes / 4:
        out.append(f"{mode}, K={K}: peak {peaks[0] / 1e3:.0f} kB vs S {op.S.nbytes / 1e3:.0f} kB")
    growth, allowed = peaks[1] - peaks[0], 3 * 8 * (K or 1) * (T2 - T1) + 16 * 1024
    if growth > allowed:
        out.append(f"{mode}, K={K}: peak grew by {growth} B from T={T1} to T={T2} (allowed {allowed} B)")
    return out


@pytest.mark.parametrize("mode", ["gram", "dense"])
@pytest.mark.parametrize("K", [None, 4])
def test_no_allocation_per_step_that_scales_with_the_operator(mode, K):
    assert _allocation_violations(mode, K) == []


def test_the_allocation_guard_catches_a_per_step_tensor(monkeypatch):
    # negative control: a loop that materialises the (m, d, d) sensing tensor every step, as the
    # einsum implementations do, must break the guard
    inner = NormalMap.residual_into

    def leaky(self, Z, M, q, scale=1.0):
        self.op.matrices()
        return inner(self, Z, M, q, scale)

    monkeypatch.setattr(NormalMap, "residual_into", leaky)
    assert _allocation_violations("dense", None, steps=(20, 200)) != []


def test_cold_run_peak_memory_is_under_twice_the_operator():
    # The first run on an operator also builds G (D^2 floats) and z0 (a Cholesky factor of G, one
    # more D^2 transiently); together they must stay under 2x the operator's own storage S
    # (m D floats). Paper-scale version (d = 50, m = 2000, 10^4 steps): tests/benchmarks/test_memory.py.
    op, y, _ = _problem(20, 1000)
    U0 = sensing.initial_factor(20, 5, 1e-3, 1)
    peak = _peak_bytes(lambda: GD(op, y, U0, step=0.01, steps=2000))
    assert peak < 2 * op.S.nbytes, f"cold run peaked at {peak / 1e6:.2f} MB, S is {op.S.nbytes / 1e6:.2f} MB"


def test_divergence_is_reported_at_the_first_offending_step():
    # the loop checks the losses in blocks (every recorded step and every CHECK_EVERY steps);
    # the error must still name the first step whose loss is above the threshold
    op, y, _ = _problem(10, 120, seed=0)
    U0 = sensing.initial_factor(10, 4, 1e-2, 1)
    with pytest.raises(sensing.DivergenceError) as info:
        GD(op, y, U0, step=0.5, steps=10 * CHECK_EVERY, record_every=10 * CHECK_EVERY)
    t = info.value.step_index
    assert t > 0
    before = GD(op, y, U0, step=0.5, steps=t - 1, record_every=max(t - 1, 1))  # no error up to t-1
    assert np.all(np.isfinite(before.loss))
    with pytest.raises(sensing.DivergenceError) as again:
        GD(op, y, U0, step=0.5, steps=t, record_every=1)  # checked at every step
    assert again.value.step_index == t


def test_auto_mode_follows_the_cost_model():
    # symv reads D^2/2 entries against 2 m D for forward + adjoint (break-even D/4, measured
    # about 0.3 D): Gram from m > D/3 for one trajectory; a batch is compute-bound (D^2 against
    # 2 m D multiply-adds): Gram from m > D/2
    op = sensing.gaussian_operator(500, 50, 0)  # D = 1275: D/3 < m <= D/2
    assert op.default_mode(batch=1) == "gram" and op.default_mode(batch=8) == "dense"
    assert op.default_mode() == "dense"  # batch unknown: the conservative rule
    pb_y = op.forward(np.eye(50))
    assert GD(op, pb_y, np.full((50, 2), 1e-3), step=1e-3, steps=1).mode == "gram"
    assert GD(op, pb_y, np.full((2, 50, 2), 1e-3), step=1e-3, steps=1).mode == "dense"
    assert sensing.gaussian_operator(400, 50, 0).default_mode(batch=1) == "dense"  # m < D/3


def test_the_stagnation_check_adds_no_operator_applications():
    # issue 9: stagnation is judged on the loss record after the loop (two passes over T+1 floats,
    # 0.04 ms for T = 2e4; 1.1 ms for T = 1e6), so a long run still costs exactly T+1 products.
    # Only a flagged run pays one adjoint more, for the safe_step_size quoted in its message.
    op, y, _ = _problem(8, 60)
    U0 = sensing.initial_factor(8, 3, 1e-2, 3)
    op.counts.update(forward=0, adjoint=0, gram=0)
    tr = GD(op, y, U0, step=0.02, steps=1000, mode="gram")  # W = 100: ten windows judged
    assert tr.stagnation is None and op.counts == {"forward": 0, "adjoint": 0, "gram": 1001}, op.counts
