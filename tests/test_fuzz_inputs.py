# Bad input, fuzzed: every public function either raises ValueError/TypeError naming the argument
# it rejects, or returns finite output. Never a crash, a hang or a silent NaN.
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import sensing

D = 5
PB = sensing.make_problem(D, eigenvalues=[3.0, 1.0], m=30, seed=0)
OP, Y = PB.op, PB.y
U = 0.01 * np.arange(1, 2 * D + 1, dtype=float).reshape(D, 2)
SYM = np.eye(D)


def corruptions(valid):
    """Malformed variants of a valid argument: shapes, dtypes, NaN/inf, empty, huge, asymmetric."""
    v = np.asarray(valid, dtype=float)
    out = [
        st.just(None), st.just("text"), st.just(v.astype(complex)), st.just(v.astype(object)),
        st.just(np.empty((0,) * max(v.ndim, 1))), st.just(v.ravel()[:-1] if v.size > 1 else v.reshape(1, 1, 1)),
        st.just(v[..., None]), st.just(np.full_like(v, np.nan)), st.just(np.full_like(v, np.inf)),
        st.just(np.full_like(v, -np.inf)), st.floats(1e150, 1e300).map(lambda h: v * h + h),
        st.just(v.tolist()), st.just([["a"] * 2] * 2),
    ]
    if v.ndim == 2 and v.shape[0] == v.shape[1]:
        out.append(st.just(v + np.triu(np.ones_like(v), 1)))  # not symmetric
        out.append(st.just(v - 10 * np.eye(v.shape[0])))  # indefinite
    if v.ndim >= 1:
        out.append(st.integers(1, 4).map(lambda k: np.ones(tuple(s + k for s in v.shape))))
    return st.one_of(out)


def absurd_scalars():
    return st.one_of(st.just(0), st.just(-1), st.just(0.0), st.just(-1e-3), st.just(np.nan), st.just(np.inf),
                     st.just(-np.inf), st.just("1"), st.just(None), st.just(True), st.just(1.5),
                     st.just(2**70), st.just([1]))


# (name of the corrupted argument, how to call with it, what the argument is when valid)
ARRAY_TARGETS = {
    "A": (lambda a: sensing.operator_from_matrices(a), np.ones((4, D, D))),
    "Z@forward": (lambda a: OP.forward(a), SYM),
    "w@adjoint": (lambda a: OP.adjoint(a), np.ones(OP.m)),
    "Z@normal": (lambda a: OP.normal(a), SYM),
    "y@loss": (lambda a: sensing.loss(OP, a, U), Y),
    "U@loss": (lambda a: sensing.loss(OP, Y, a), U),
    "U@gradient": (lambda a: sensing.gradient(OP, Y, a), U),
    "H@hessian_vector": (lambda a: sensing.hessian_vector(OP, Y, U, a), U),
    "y@gradient_descent": (lambda a: sensing.gradient_descent(OP, a, U, step=0.01, steps=3), Y),
    "U0@gradient_descent": (lambda a: sensing.gradient_descent(OP, Y, a, step=0.01, steps=3), U),
    "references@gradient_descent": (lambda a: sensing.gradient_descent(OP, Y, U, step=0.01, steps=3, references={"R": a}), SYM),
    "eigenvalues@ground_truth_from_spectrum": (lambda a: sensing.ground_truth_from_spectrum(a, D, 0), np.array([3.0, 1.0])),
    "Z@ground_truth_from_matrix": (lambda a: sensing.ground_truth_from_matrix(a), PB.truth.Z),
    "y@sensing_minimizer": (lambda a: sensing.sensing_minimizer(OP, a, 1), Y),
    "init@sensing_minimizer": (lambda a: sensing.sensing_minimizer(OP, Y, 2, init=a), U),
    "U0@safe_step_size": (lambda a: sensing.safe_step_size(OP, Y, a), U),
    "eigenvalues@make_problem": (lambda a: sensing.make_problem(D, eigenvalues=a, m=20, seed=0), np.array([3.0, 1.0])),
}

SCALAR_TARGETS = {
    "step": lambda v: sensing.gradient_descent(OP, Y, U, step=v, steps=3),
    "steps": lambda v: sensing.gradient_descent(OP, Y, U, step=0.01, steps=v),
    "record_every": lambda v: sensing.gradient_descent(OP, Y, U, step=0.01, steps=3, record_every=v),
    "divergence_factor": lambda v: sensing.gradient_descent(OP, Y, U, step=0.01, steps=3, divergence_factor=v),
    "alpha": lambda v: sensing.initial_factor(D, 2, v),
    "m": lambda v: sensing.gaussian_operator(v, D, 0),
    "d": lambda v: sensing.identity_operator(v),
    "rank": lambda v: sensing.gaussian_ground_truth(D, v, 0),
    "s": lambda v: sensing.sensing_minimizer(OP, Y, v),
    "restarts": lambda v: sensing.check_uniqueness(OP, Y, 1, restarts=v),
    "iterations": lambda v: sensing.rip_estimate(OP, 1, iterations=v),
}


def _finite(result):
    if isinstance(result, (float, np.floating, np.ndarray)):
        return bool(np.all(np.isfinite(result)))
    if isinstance(result, sensing.Trajectory):
        return bool(np.all(np.isfinite(result.loss)) and np.all(np.isfinite(result.U)))
    return True


def _check(call, value, name):
    try:
        result = call(value)
    except sensing.DivergenceError as exc:
        # documented outcome for absurd but finite data: GD blows up, the error names a safe step
        assert "step" in str(exc) and exc.safe_step > 0, str(exc)
        return
    except (ValueError, TypeError, MemoryError) as exc:
        assert name in str(exc), f"{type(exc).__name__} does not name {name!r}: {exc}"
        return
    assert _finite(result), f"{name}={value!r:.60} returned non-finite output without an error"


@pytest.mark.parametrize("target", list(ARRAY_TARGETS))
@settings(suppress_health_check=[HealthCheck.too_slow])  # some targets run a short GD
@given(data=st.data())
def test_malformed_arrays_are_rejected_with_the_argument_named(target, data):
    call, valid = ARRAY_TARGETS[target]
    value = data.draw(corruptions(valid), label="value")
    name = target.split("@")[0]
    _check(call, value, name)


@pytest.mark.parametrize("target", list(SCALAR_TARGETS))
@given(value=absurd_scalars())
def test_absurd_scalars_are_rejected_with_the_argument_named(target, value):
    _check(SCALAR_TARGETS[target], value, target)
