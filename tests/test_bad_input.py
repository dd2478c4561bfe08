import numpy as np
import pytest

import sensing

PB = sensing.make_problem(6, eigenvalues=[3.0, 1.0], m=40, seed=0)
OP, Y = PB.op, PB.y
U = 0.01 * np.ones((6, 2))
GD = sensing.gradient_descent
NAN_U = U.copy()
NAN_U[0, 0] = np.nan

# (call, exception type, a phrase that the message must contain: the argument's name)
CASES = {
    "A not 3-d": (lambda: sensing.operator_from_matrices(np.ones((3, 4))), ValueError, "A must be a 3-dimensional"),
    "A with non-square matrices": (lambda: sensing.operator_from_matrices(np.ones((3, 4, 5))), ValueError, "A must have shape (m, d, d)"),
    "A with NaN": (lambda: sensing.operator_from_matrices(np.full((2, 3, 3), np.nan)), ValueError, "A must be finite"),
    "A empty": (lambda: sensing.operator_from_matrices(np.ones((0, 3, 3))), ValueError, "A must not be empty"),
    "A of strings": (lambda: sensing.operator_from_matrices("abc"), TypeError, "A must be a real numeric array"),
    "A complex": (lambda: sensing.operator_from_matrices(np.ones((2, 3, 3), complex)), TypeError, "A must be real"),
    "m zero": (lambda: sensing.gaussian_operator(0, 3), ValueError, "m must be at least 1"),
    "m float": (lambda: sensing.gaussian_operator(2.5, 3), TypeError, "m must be an integer"),
    "Z wrong shape": (lambda: OP.forward(np.eye(5)), ValueError, "Z must have shape (6, 6)"),
    "Z non-symmetric": (lambda: OP.forward(np.triu(np.ones((6, 6)))), ValueError, "Z must be symmetric"),
    "Z with inf": (lambda: OP.forward(np.full((6, 6), np.inf)), ValueError, "Z must be finite"),
    "w wrong length": (lambda: OP.adjoint(np.ones(3)), ValueError, "w must have shape (40,)"),
    "y wrong length": (lambda: sensing.loss(OP, np.ones(3), U), ValueError, "y must have shape (40,)"),
    "y with NaN": (lambda: sensing.loss(OP, np.full(40, np.nan), U), ValueError, "y must be finite"),
    "U wrong rows": (lambda: sensing.gradient(OP, Y, np.ones((5, 2))), ValueError, "U must have shape (d, r) with d = 6"),
    "U with NaN": (lambda: sensing.gradient(OP, Y, NAN_U), ValueError, "U must be finite"),
    "U0 4-d": (lambda: GD(OP, Y, np.ones((1, 1, 6, 2)), step=0.1, steps=1), ValueError, "U0 must be a 2 or 3-dimensional"),
    "step zero": (lambda: GD(OP, Y, U, step=0.0, steps=1), ValueError, "step must be positive"),
    "step negative": (lambda: GD(OP, Y, U, step=-1e-3, steps=1), ValueError, "step must be positive"),
    "step NaN": (lambda: GD(OP, Y, U, step=np.nan, steps=1), ValueError, "step must be finite"),
    "step string": (lambda: GD(OP, Y, U, step="0.1", steps=1), TypeError, "step must be a real number"),
    "steps negative": (lambda: GD(OP, Y, U, step=0.1, steps=-1), ValueError, "steps must be at least 0"),
    "record_every zero": (lambda: GD(OP, Y, U, step=0.1, steps=5, record_every=0), ValueError, "record_every must be at least 1"),
    "snapshot past the end": (lambda: GD(OP, Y, U, step=0.1, steps=5, snapshots=[9]), ValueError, "snapshots[i] must be at least 0, at most 5"),
    "unknown mode": (lambda: GD(OP, Y, U, step=0.1, steps=5, mode="fast"), ValueError, "mode must be one of"),
    "dtype int": (lambda: GD(OP, Y, U, step=0.1, steps=5, dtype=np.int64), TypeError, "dtype must be float64 or float32"),
    "reference non-symmetric": (lambda: GD(OP, Y, U, step=0.1, steps=5, references={"R": np.triu(np.ones((6, 6)))}), ValueError, "references['R'] must be symmetric"),
    "op not an operator": (lambda: sensing.loss(np.eye(3), Y, U), TypeError, "op must be a SensingOperator"),
    "alpha zero": (lambda: sensing.initial_factor(6, 2, 0.0), ValueError, "alpha must be positive"),
    "alpha negative": (lambda: sensing.initial_factor(6, 2, -1.0), ValueError, "alpha must be positive"),
    "alpha inf": (lambda: sensing.initial_factor(6, 2, np.inf), ValueError, "alpha must be finite"),
    "eigenvalues negative": (lambda: sensing.ground_truth_from_spectrum([2.0, -1.0], 4), ValueError, "eigenvalues must be positive"),
    "eigenvalues unsorted": (lambda: sensing.ground_truth_from_spectrum([1.0, 2.0], 4), ValueError, "eigenvalues must be non-increasing"),
    "rank above d": (lambda: sensing.ground_truth_from_spectrum([3.0, 2.0, 1.0], 2), ValueError, "need r* <= d"),
    "Z* indefinite": (lambda: sensing.ground_truth_from_matrix(np.diag([1.0, -1.0])), ValueError, "Z must be positive semidefinite"),
    "Z* non-symmetric": (lambda: sensing.ground_truth_from_matrix(np.array([[1.0, 2.0], [0.0, 1.0]])), ValueError, "Z must be symmetric"),
    "s zero": (lambda: sensing.sensing_minimizer(OP, Y, 0), ValueError, "s must be at least 1"),
    "s above d": (lambda: sensing.sensing_minimizer(OP, Y, 7), ValueError, "s must be at least 1, at most 6"),
    "truncation rank out of range": (lambda: PB.truth.truncated(3), ValueError, "s must be at least 1, at most 2"),
    "RIP rank zero": (lambda: sensing.rip_estimate(OP, 0), ValueError, "rank must be at least 1"),
    "unknown operator": (lambda: sensing.make_operator("bernoulli", 10, 3), ValueError, "operator must be one of"),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_bad_input_gets_a_clear_error_naming_the_argument(case):
    call, exc, phrase = CASES[case]
    with pytest.raises(exc) as info:
        call()
    assert phrase in str(info.value), f"message {str(info.value)!r} does not say {phrase!r}"


def test_a_diverging_step_raises_instead_of_returning_nan():
    with pytest.raises(sensing.DivergenceError, match="diverged at step") as info:
        GD(OP, Y, sensing.initial_factor(6, 2, 1.0, 0), step=5.0, steps=100)
    assert isinstance(info.value, ValueError) and info.value.safe_step < 5.0
