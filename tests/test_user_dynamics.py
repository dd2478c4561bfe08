# The claims judge anyone's gradient descent through one seam (sensing.dynamics)
import numpy as np
import pytest

import sensing
import theorems
from tests import user_dynamics as ud

DYNAMIC = [c for c in theorems.claims() if c.dynamic]
IDS = [c.key for c in DYNAMIC]


def comparable(verdict):
    """The verdict's content, without the name of the dynamics that produced it."""
    out = verdict.as_dict()
    out.pop("dynamics")
    return out


@pytest.fixture(scope="module")
def builtin():
    return {c.key: c.verify() for c in DYNAMIC}


@pytest.mark.parametrize("claim", DYNAMIC, ids=IDS)
def test_our_gd_through_the_seam_gives_bit_identical_verdicts(claim, builtin):
    v = claim.verify(dynamics=ud.builtin_in_chunks)
    assert v.dynamics == "tests.user_dynamics:builtin_in_chunks"
    assert comparable(v) == comparable(builtin[claim.key]), v.report()


@pytest.mark.parametrize("claim", DYNAMIC, ids=IDS)
def test_an_independent_numpy_gd_holds_every_dynamic_claim_through_the_one_seam(claim, monkeypatch):
    # the built-in loop is gone: a claim that ran it around the seam would raise
    def gone(*args, **kwargs):
        raise AssertionError("sensing.gradient_descent called outside the dynamics seam")

    for where in (sensing, sensing.descent, sensing.dynamics):
        monkeypatch.setattr(where, "gradient_descent", gone)
    calls = []

    def counted(problem, U0, *, step, steps):
        calls.append(steps)
        yield from ud.paper_gd(problem, U0, step=step, steps=steps)

    v = claim.verify(dynamics=counted)
    assert v.status == "HOLDS", v.report()
    assert calls == [r.steps for r in claim.requests()], "one call per request, nothing else"


@pytest.mark.parametrize("claim", DYNAMIC, ids=IDS)
def test_a_half_mean_gd_declared_in_its_convention_holds_every_dynamic_claim(claim):
    v = claim.verify(dynamics=sensing.conventions.HALF_MEAN.adapt(ud.half_mean_gd))
    assert v.status == "HOLDS", v.report()


@pytest.mark.parametrize("key", ["spectral", "learning_times"])
def test_a_half_mean_gd_declared_as_the_papers_fails_with_a_factor_two_step(key):
    v = theorems.get(key).verify(dynamics=sensing.conventions.PAPER.adapt(ud.half_mean_gd))
    assert v.status == "FAILS", v.report()
    assert "consistent with plain GD at μ_eff ≈ 2μ" in v.diagnosis, v.report()
    assert "check the loss normalisation" in v.diagnosis


@pytest.mark.slow
def test_the_literal_per_measurement_gd_holds_the_spectral_claim():
    v = theorems.get("spectral").verify(dynamics=ud.literal_gd)
    assert v.status == "HOLDS", v.report()


# ---------------------------------------------------------------- JAX (gradient by autodiff)
jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy

CHUNK = 128


def jax_gd(problem, U0, *, step, steps):
    """GD whose gradient is jax.grad of the paper's loss, written from scratch in its normal-
    equation form f(U) = ¼(zᵀNz − 2bᵀz + ‖y‖²/m), z = vec(UUᵀ), N = AᵀA/m, b = Aᵀy/m (the same
    function as (1/4m) Σ (⟨A_i, UUᵀ⟩ − y_i)², a step O(d⁴) instead of O(m d²)); lax.scan runs
    CHUNK steps per call."""
    A, y = ud.paper_data(problem)
    m, d, _ = A.shape
    Af = A.reshape(m, d * d)
    N, b, c = jnp.asarray(Af.T @ Af / m), jnp.asarray(Af.T @ y / m), float(y @ y / m)

    def loss(U):
        z = (U @ U.T).reshape(-1)
        return 0.25 * (z @ N @ z - 2.0 * b @ z + c)

    grad = jax.vmap(jax.grad(loss))

    @jax.jit
    def chunk(U):
        def body(U, _):
            U = U - step * grad(U)
            return U, U
        return jax.lax.scan(body, U, None, length=CHUNK)

    U = jnp.asarray(U0)
    yield np.asarray(U)
    done = 0
    while done < steps:
        U_last, Us = chunk(U)
        k = min(CHUNK, steps - done)
        yield from np.asarray(Us[:k])
        U = Us[k - 1]
        done += k


@pytest.mark.parametrize("claim", DYNAMIC, ids=IDS)
def test_a_jax_autodiff_gd_holds_every_dynamic_claim(claim):
    v = claim.verify(dynamics=jax_gd)
    assert v.status == "HOLDS", v.report()


# ------------------------------------------------------------------ negative controls
def test_heavy_ball_fails_spectral_learning_times_and_incremental_as_not_plain_gd():
    for key in ("spectral", "learning_times", "incremental"):
        v = theorems.get(key).verify(dynamics=ud.heavy_ball_gd)
        assert v.status == "FAILS", v.report()
        assert "not consistent with plain GD at any step" in v.diagnosis, v.report()
        assert "not a counterexample to the paper" in v.report()


def test_a_gd_that_forgets_to_symmetrise_the_sensing_matrices_fails_as_not_plain_gd():
    v = theorems.get("spectral").verify(dynamics=ud.unsymmetrised_gd)
    assert v.status == "FAILS", v.report()
    assert "not consistent with plain GD at any step" in v.diagnosis, v.report()


def test_a_landscape_claim_says_it_does_not_use_the_dynamics():
    v = theorems.get("landscape").verify(dynamics=ud.heavy_ball_gd)
    assert v.status == "HOLDS"
    assert "not about dynamics" in v.notes and "heavy_ball_gd was not used" in v.notes


# ------------------------------------------------------------------ recorded runs
def iterates_for(requests, fn):
    """What a user's external job would write: each request run from its U0 by ``fn``."""
    return {r.name: np.stack(list(fn(s.problem(), r.U0, step=r.step, steps=r.steps)))
            for _, s, r in requests}


def test_recorded_runs_round_trip_gives_the_verdicts_of_the_callable_route(tmp_path):
    only = ["spectral", "underparameterised"]
    theorems.runs.write_requests(tmp_path / "req.npz", only)
    items = theorems.runs.read_requests(tmp_path / "req.npz")
    np.savez(tmp_path / "runs.npz", **iterates_for(items, ud.paper_gd))
    judged = theorems.judge(tmp_path / "runs.npz", requests_path=tmp_path / "req.npz")
    called = theorems.verify(only, dynamics=ud.paper_gd)
    assert [v.key for v in judged] == [v.key for v in called] == only
    for j, c in zip(judged, called):
        assert comparable(j) == comparable(c), j.report()


def test_a_recorded_run_of_the_wrong_length_or_start_is_an_error_naming_its_request():
    claim = theorems.get("spectral")
    (r,) = claim.requests()
    U = np.stack(list(ud.paper_gd(claim.default.problem(), r.U0, step=r.step, steps=r.steps)))
    with pytest.raises(sensing.DynamicsError, match="request 'spectral'.*shape"):
        claim.judge_runs({"spectral": U[:-1]})
    with pytest.raises(sensing.DynamicsError, match="request 'spectral'.*U_0"):
        claim.judge_runs({"spectral": U * (1 + 1e-6)})
    with pytest.raises(sensing.DynamicsError, match="no recorded run for request 'spectral'"):
        claim.judge_runs({"incremental": U})


# ------------------------------------------------------------------ the contract
def test_a_dynamics_with_the_wrong_signature_is_refused_before_anything_runs():
    def two_args(problem, U0):
        return U0

    with pytest.raises(sensing.DynamicsError, match="does not accept .problem, U0, \\*, step, steps"):
        theorems.verify("spectral", dynamics=two_args)
    with pytest.raises(sensing.DynamicsError, match="cannot import module 'no_such_module'"):
        theorems.verify("spectral", dynamics="no_such_module:gd")


@pytest.mark.parametrize("broken, match", [
    (lambda p, U0, *, step, steps: [U0] * steps, "stopped after"),
    (lambda p, U0, *, step, steps: [U0] * (steps + 2), "more than steps \\+ 1"),
    (lambda p, U0, *, step, steps: [U0[0]] * (steps + 1), "shape"),
    (lambda p, U0, *, step, steps: [2 * U0] * (steps + 1), "differs from the U0 it was given"),
    (lambda p, U0, *, step, steps: None, "returned None"),
], ids=["short", "long", "shape", "start", "none"])
def test_a_dynamics_that_breaks_the_contract_is_an_error_verdict_saying_how(broken, match):
    (v,) = theorems.verify("spectral", dynamics=broken)
    assert v.status == "ERROR"
    assert "DynamicsError" in v.error and pytest.importorskip("re").search(match, v.error), v.error


def test_a_gd_that_sums_where_the_paper_averages_diverges_and_the_diagnosis_says_so():
    def summed(problem, U0, *, step, steps):  # the gradient of (1/4) Σ r_i², run with the paper's μ
        yield from ud.paper_gd(problem, U0, step=problem.op.m * step, steps=steps)

    v = theorems.get("learning_times").verify(dynamics=summed)
    assert v.failing() == ("finite_trajectory",), v.report()
    assert "test_user_dynamics" in v.notes and "diverged" in v.notes
    assert "a sum over i where the paper takes the mean" in v.diagnosis, v.diagnosis


def test_verify_accepts_a_mapping_of_setting_fields_and_keeps_the_claims_in_order():
    vs = theorems.verify(["spectral", "overparameterised"], setting={"seed": 1})
    assert [v.key for v in vs] == ["spectral", "overparameterised"]
    assert all(v.setting.seed == 1 for v in vs)
    with pytest.raises(ValueError, match="unknown fields \\['sead'\\]"):
        theorems.verify("spectral", setting={"sead": 1})
