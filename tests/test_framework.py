# The claim vocabulary: verdict statuses, "not testable" checks, declared names, dynamics notes
import dataclasses
import warnings

import numpy as np
import pytest

import sensing
import theorems
from theorems import Measurement, Verdict
from theorems._core import ClaimDefinitionError, Setting

SETTING = Setting()


def verdict(*measurements, holds=True, error=""):
    a = theorems.AssumptionCheck("A", "a statement", holds, "exact", "detail")
    return Verdict("title", "label", SETTING, (a,), tuple(measurements), error=error, key="toy")


OK = Measurement("q", 1.0, "≤ 2", True, name="ok")
BAD = Measurement("q", 3.0, "≤ 2", False, name="bad")
NT = Measurement.not_testable("slope", "a fitted slope", "fewer than two finite points")


def test_a_not_testable_check_is_kept_counted_and_does_not_decide_the_verdict():
    v = verdict(OK, NT)
    assert v.status == "HOLDS" and v.checks_run == 1 and v.not_testable == (NT,)
    report = v.report()
    assert "[n/t] a fitted slope: not testable — fewer than two finite points" in report
    assert "checks: 1 run (0 failing), 1 not testable" in report
    assert v.as_dict()["not_testable"] == 1


def test_a_verdict_with_no_check_that_could_be_run_does_not_hold():
    assert verdict(NT).status == "FAILS"


def test_failing_names_the_failing_measurements():
    v = verdict(OK, BAD, NT)
    assert v.status == "FAILS" and v.failing() == ("bad",)
    assert v.measurement("bad") is BAD
    with pytest.raises(KeyError, match="no measurement named 'nosuch'"):
        v.measurement("nosuch")


def test_out_of_scope_wins_over_the_measurements_and_error_over_everything():
    assert verdict(OK, holds=False).status == "OUT OF SCOPE"
    assert verdict(OK, holds=False).out_of_scope() == ("A",)
    assert verdict(OK, error="boom").status == "ERROR"


CLAIM = theorems.registry.get("learning_times")


def test_a_claim_emitting_an_undeclared_measurement_is_a_definition_error():
    stray = dataclasses.replace(CLAIM, check=lambda s, ev: ([OK], ""), measurements=("other",))
    with pytest.raises(ClaimDefinitionError, match="does not declare"):
        stray.judge(CLAIM.default, None)


def test_a_claim_emitting_an_undeclared_required_assumption_is_a_definition_error():
    stray = dataclasses.replace(CLAIM, required=("something else",))
    with pytest.raises(ClaimDefinitionError, match="does not declare"):
        stray.scope(CLAIM.default)


def test_dynamics_warnings_become_notes_and_other_warnings_still_surface():
    def stagnating(setting, dynamics=None):
        warnings.warn("loss flat over 500 steps", sensing.StagnationWarning)
        return "evidence"

    def noisy(setting, dynamics=None):
        warnings.warn("unrelated", UserWarning)
        return "evidence"

    judged = dict(check=lambda s, ev: ([Measurement("q", 1.0, "≤ 2", True, name="q")], ""),
                  measurements=("q",))
    v = dataclasses.replace(CLAIM, evidence=stagnating, **judged).verify(CLAIM.default)
    assert "StagnationWarning: loss flat over 500 steps" in v.notes
    with pytest.warns(UserWarning, match="unrelated"):
        dataclasses.replace(CLAIM, evidence=noisy, **judged).verify(CLAIM.default)


def test_an_error_verdict_carries_the_exception():
    v = CLAIM.error_verdict(CLAIM.default, FloatingPointError("overflow in step 7"))
    assert v.status == "ERROR" and v.error == "FloatingPointError: overflow in step 7"
    assert "error: FloatingPointError: overflow in step 7" in v.report()


def test_the_orthogonal_initialisation_has_no_component_along_v1():
    s = CLAIM.default.replace(init="orthogonal")
    v1 = s.problem().truth.eigenvectors[:, 0]
    U = s.initial()
    assert abs(float(np.linalg.norm(v1 @ U))) < 1e-14
    assert abs(float(np.linalg.norm(U, 2)) - s.alpha) < 1e-15
