# pytest --theorems-dynamics=MODULE:FUNCTION and theorems.testing, as a user's CI runs them
import pytest

from tests import user_dynamics as ud
from theorems.testing import assert_claim_holds, parametrize_with_claims

USER_MODULE = """
from tests.user_dynamics import heavy_ball_gd, paper_gd
"""


@pytest.fixture
def user(pytester):
    pytester.makepyfile(mygd=USER_MODULE)
    pytester.syspathinsert()
    return pytester


def test_the_plugin_runs_a_claims_default_and_property_test_on_the_users_dynamics(user):
    result = user.runpytest("--theorems-dynamics=mygd:paper_gd", "--theorems-only", "underparameterised",
                            "--theorems-examples", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["theorems: claims [[]underparameterised[]] on dynamics mygd:paper_gd"])


def test_the_plugin_reports_a_failing_dynamics_with_the_verdict_and_its_diagnosis(user):
    result = user.runpytest("--theorems-dynamics=mygd:heavy_ball_gd", "--theorems-only", "spectral",
                            "-k", "default_instance", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1, deselected=1)
    result.stdout.fnmatch_lines(["*claim 'spectral' FAILS for dynamics mygd:heavy_ball_gd*",
                                 "*diagnosis: not consistent with plain GD at any step*"])


def test_the_plugin_refuses_a_dynamics_it_cannot_import(user):
    result = user.runpytest("--theorems-dynamics=no_such_module:gd")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*cannot import module 'no_such_module'*"])


def test_without_the_option_the_plugin_adds_nothing(user):
    user.makepyfile(test_mine="def test_mine():\n    pass\n")
    user.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


@parametrize_with_claims(ud.paper_gd, only=["spectral", "underparameterised"])
def test_parametrize_with_claims_gives_one_test_per_claim(claim, check):
    assert check(claim).status == "HOLDS"


def test_assert_claim_holds_fails_with_the_verdicts_report():
    with pytest.raises(AssertionError, match="(?s)claim 'spectral' FAILS.*Lemma C.1.*diagnosis: not consistent"):
        assert_claim_holds("spectral", dynamics=ud.heavy_ball_gd)
