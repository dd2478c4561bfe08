# Learning times: t_s(α) grows like log(1/α)/log(1+μσ̂_s²) (Thm 4.1 times, eq. 11)
import dataclasses

import numpy as np
import pytest
from hypothesis import given

from tests.claim_asserts import assert_claim_holds, assert_meets_assumptions
from theorems import assumptions as asm
from theorems.jin2023 import learning_times as claim

pytestmark = pytest.mark.theorem("learning_times")


@given(claim.instances())
def test_learning_time_slope_is_one_over_log_one_plus_mu_sigma_squared(setting):
    assert_claim_holds(claim.CLAIM, setting)


@given(claim.instances())
def test_instances_meet_the_practical_assumptions(setting):
    assert_meets_assumptions(asm.standard(setting), setting)


def test_checker_rejects_times_biased_by_a_constant_factor():
    setting = claim.DEFAULT.replace(operator="identity")
    ev = claim.evidence(setting)
    assert claim.CLAIM.judge(setting, ev).holds
    biased = dataclasses.replace(ev, times=np.round(1.3 * ev.times).astype(int))
    verdict = claim.CLAIM.judge(setting, biased)
    assert not verdict.holds, verdict.report()


def test_checker_rejects_dynamics_run_with_the_wrong_step():
    # a gradient off by a factor 2 is the same as GD with step 2μ: slopes halve
    setting = claim.DEFAULT
    wrong = claim.evidence(setting.replace(step=2 * setting.step))
    verdict = claim.CLAIM.judge(setting, wrong)
    assert not verdict.holds, verdict.report()


def test_checker_rejects_unordered_learning():
    setting = claim.DEFAULT.replace(operator="identity")
    ev = claim.evidence(setting)
    swapped = dataclasses.replace(ev, times=ev.times[:, ::-1].copy())
    assert not claim.CLAIM.judge(setting, swapped).holds


def test_default_instance_holds():
    verdict = claim.CLAIM.verify()
    assert verdict.status == "HOLDS", verdict.report()


def test_checker_rejects_records_labelled_one_step_late():
    # the law counts t from U_0: a record shifted by one step breaks the power-iteration clock
    setting = claim.DEFAULT.replace(operator="identity")
    al = claim.alphas(setting)
    U0 = np.stack([setting.initial(a) for a in al])
    pb = setting.problem()
    traj = claim.sensing.gradient_descent(pb.op, pb.y, U0, step=setting.step, steps=400, record_every=1,
                                          n_eigenvalues=setting.s_max)
    good = claim.clock_error(setting, U0, traj)
    late = claim.clock_error(setting, U0, dataclasses.replace(traj, record_steps=traj.record_steps + 1))
    assert good <= claim.CLOCK_RTOL < late, f"clock error {good:.3g} (true records), {late:.3g} (shifted)"


def test_default_instance_holds_with_the_papers_nonsymmetric_ensemble():
    # A_i with i.i.d. N(0, 1) entries, not symmetrised (§6): only sym(A_i) acts on S^d
    verdict = claim.CLAIM.verify(claim.DEFAULT.replace(operator="paper"))
    assert verdict.status == "HOLDS", verdict.report()
