# The paper's claims as tests of your implementation: one test per claim (ids = claim keys)
from examples.numpy_gd import my_gd
from theorems.testing import parametrize_with_claims


@parametrize_with_claims(my_gd)
def test_the_papers_claims_hold_for_my_gd(claim, check):
    check(claim)
