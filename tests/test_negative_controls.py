# Every check can fail on its own: each declared measurement and required assumption of every
# registered claim has a negative control (tests/claim_asserts.py: CONTROLS).
import importlib
import pkgutil

import numpy as np
import pytest

import tests
import theorems
from theorems._core import FINITE_TRAJECTORY
from tests.claim_asserts import CONTROLS, assert_fails_on, assert_violates, control

CLAIMS = theorems.claims()


def _load_all_tests():
    # the registry fills as test modules are imported; import them all, whatever was selected
    for info in pkgutil.iter_modules(tests.__path__):
        if info.name.startswith("test_"):
            importlib.import_module(f"tests.{info.name}")


def declared(claim) -> list:
    """``(kind, name)`` of every check ``claim`` can emit."""
    return ([("measurement", m) for m in claim.measurements]
            + [("assumption", a) for a in claim.required])


def missing_controls(claims, controls) -> list:
    """``"key: kind name"`` for each declared check without a registered control, and for a
    claim that declares no measurements or no required assumptions at all."""
    have = {(c, kind, name) for c, kind, name, _ in controls}
    out = []
    for claim in claims:
        if not claim.measurements:
            out.append(f"{claim.key}: declares no measurements (Claim.measurements)")
        if not claim.required:
            out.append(f"{claim.key}: declares no required assumptions (Claim.required)")
        out += [f"{claim.key}: {kind} {name!r}" for kind, name in declared(claim)
                if (claim.key, kind, name) not in have]
    return out


def control_table(claims, controls) -> str:
    """Every claim's checks with the tests that control them (printed by the meta-test)."""
    lines = []
    for claim in claims:
        lines.append(f"{claim.key}: {len(claim.measurements)} "
                     f"measurements, {len(claim.required)} required assumptions")
        for kind, name in declared(claim):
            tests_ = sorted(t for c, k, n, t in controls if (c, k, n) == (claim.key, kind, name))
            lines.append(f"  {kind:<11} {name:<45} {', '.join(tests_) or 'NO CONTROL'}")
    return "\n".join(lines)


def test_every_declared_check_of_every_claim_has_a_negative_control(capsys):
    _load_all_tests()
    missing = missing_controls(CLAIMS, CONTROLS)
    with capsys.disabled():
        print("\n" + control_table(CLAIMS, CONTROLS))
    assert not missing, "checks without a negative control:\n" + "\n".join(missing)


def test_every_registered_control_names_a_declared_check():
    _load_all_tests()
    known = {(c.key, kind, name) for c in CLAIMS for kind, name in declared(c)}
    stale = sorted({(c, k, n, t) for c, k, n, t in CONTROLS if (c, k, n) not in known})
    assert not stale, f"controls naming checks no claim declares (typo or renamed check): {stale}"


def test_the_meta_test_reports_a_removed_control():
    _load_all_tests()
    victim = sorted(CONTROLS)[0]
    without = {c for c in CONTROLS if c[:3] != victim[:3]}
    missing = missing_controls(CLAIMS, without)
    assert f"{victim[0]}: {victim[1]} {victim[2]!r}" in missing, missing


# ----------------------------------------------- controls every claim shares (framework, Thm 4.1)
DYNAMIC = [c for c in CLAIMS if FINITE_TRAJECTORY in c.measurements]


@pytest.mark.parametrize("claim", DYNAMIC, ids=[c.key for c in DYNAMIC])
def test_a_diverging_step_fails_the_finite_trajectory_check(claim):
    pb = claim.default.problem()
    lam = float(np.linalg.norm(pb.op.adjoint(pb.y), 2))
    # mu ||A*(y)|| = 50: the iterates blow up within a few steps (the safe step is ~1/||A*(y)||)
    verdict = claim.verify(claim.default.replace(step=50.0 / lam))
    assert_fails_on(verdict, FINITE_TRAJECTORY)


for _c in DYNAMIC:
    control(_c.key, measurement=FINITE_TRAJECTORY)(test_a_diverging_step_fails_the_finite_trajectory_check)


def _step_budget_violated(s):
    pb = s.problem()
    lam = float(np.linalg.norm(pb.op.adjoint(pb.y), 2))
    return s.replace(step=2.0 * theorems.assumptions.STEP_BUDGET / lam)


def _repeated_eigenvalue(s):
    e = list(s.eigenvalues)
    if len(e) == 1:
        return s.replace(eigenvalues=(e[0], e[0]))
    e[1] = e[0]
    return s.replace(eigenvalues=tuple(e))


#: Violating instances of the standard assumptions (theorems.assumptions.standard), built from a
#: claim's default; the second entry lists what the same change necessarily breaks too, and why.
STANDARD_VIOLATIONS = {
    # a repeated eigenvalue closes the gap tau to 0, so the practical RIP (error <= tau/2) goes too
    "eigengap (§3)": (_repeated_eigenvalue, ("RIP, practical form",)),
    # m = 2d measurements: the normal-map error exceeds tau/2 (and ||A*(y)|| grows with it)
    "RIP, practical form": (lambda s: s.replace(m=2 * s.d, operator="gaussian"),
                            ("small step, practical form",)),
    "small step, practical form": (_step_budget_violated, ()),
    "Assumption 3.5": (lambda s: s.replace(init="orthogonal"), ()),
    "small initialisation": (lambda s: s.replace(alpha=1.0), ()),
}
STANDARD_CASES = [(c, name) for c in CLAIMS for name in STANDARD_VIOLATIONS if name in c.required]
#: Claim-specific assumptions that a standard violation breaks as well, by their definition.
#: A claim module adds its entry here when it adds such an assumption (say why).
CLAIM_ALSO = {
    # the spectral phase needs the power-iteration signal a = α(1+μσ̂₁²)^t‖Ūᵀv̂₁‖ to beat the
    # rest: α = 1 leaves no phase, Ū ⟂ v₁ has (almost) no signal, and a large normal-map error
    # makes the Wedin bound's rest term large
    ("spectral", "small initialisation"): ("spectral phase (Lemma C.4: α small)",),
    ("spectral", "Assumption 3.5"): ("spectral phase (Lemma C.4: α small)",),
    ("spectral", "RIP, practical form"): ("spectral phase (Lemma C.4: α small)",),
    # and σ̂₁² = σ̂₂² (to O(ε)) gives the top direction no head start: g_⊥ ≈ g₁
    ("spectral", "eigengap (§3)"): ("spectral phase (Lemma C.4: α small)",),
    # the standard RIP-violating instance (m = 2d) leaves GLRL's last stage nearly flat (λ₃ = 0.011):
    # it needs ~94 000 steps, beyond the claim's 50 000-step cap per stage
    ("glrl", "RIP, practical form"): ("GLRL converged at every stage",),
}


@pytest.mark.parametrize("claim, name", STANDARD_CASES,
                         ids=[f"{c.key}-{n}" for c, n in STANDARD_CASES])
def test_an_instance_violating_a_standard_assumption_is_out_of_scope(claim, name):
    make, also = STANDARD_VIOLATIONS[name]
    assert_violates(claim, make(claim.default), name,
                    also=also + CLAIM_ALSO.get((claim.key, name), ()))


for _c, _n in STANDARD_CASES:
    control(_c.key, assumption=_n)(test_an_instance_violating_a_standard_assumption_is_out_of_scope)
