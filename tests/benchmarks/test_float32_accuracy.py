"""What float32 costs in accuracy, against alpha, on the paper's instance (d = 50, m = 2000, r-hat = 50).

For each alpha the same run is done in float64 and float32 and compared on what the claims read:
the learning times t_k (first step with lambda_k(U U^T) >= lambda_k(Z*)/2), the eigenvalues of
U_t U_t^T along the way (relative deviation, including the tiny not-yet-learned ones), the
paper's min_t E_1 (distance to X_1 X_1^T), the final loss, and the spectral phase: the relative
distance of U_t from the linearised dynamics (I + mu A*(y))^t U_0 at a third of the spectral
phase, an O(alpha^2) effect that float32 can only resolve while it is above its round-off.
The table lands in the benchmark summary; the assertions pin the documented findings.
"""
import numpy as np
import pytest

import sensing
from sensing.linalg import smat
from tests.benchmarks import _harness as H

ALPHAS = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7)
STEPS = 1000


def _learning_times(tr, lam):
    hit = tr.eigenvalues[:, :lam.size] >= lam / 2
    return np.where(hit.any(0), hit.argmax(0), -1)


def test_float32_accuracy_against_alpha():
    d, m, r = H.HEADLINE
    pb = H.problem(d, m)
    lam = pb.truth.eigenvalues[:H.RANK]
    X1 = pb.truth.truncated(1)
    Ay = smat(pb.op.adjoint_svec(pb.y), d)
    lam1 = float(np.linalg.eigvalsh(Ay)[-1])
    Ubar = H.initial(d, r) / H.ALPHA
    rows = []
    for alpha in ALPHAS:
        U0 = alpha * Ubar
        runs = {dt: sensing.gradient_descent(pb.op, pb.y, U0, step=H.STEP, steps=STEPS, record_every=1,
                                             n_eigenvalues=H.RANK + 1, references={"X1": X1}, dtype=dt)
                for dt in (np.float64, np.float32)}
        a, b = runs[np.float64], runs[np.float32]
        ta, tb = _learning_times(a, lam), _learning_times(b, lam)
        ev = np.max(np.abs(b.eigenvalues[:, :H.RANK] - a.eigenvalues[:, :H.RANK]) / a.eigenvalues[:, :H.RANK])
        e1 = [np.min(tr.distance("X1") ** 2) / np.linalg.norm(X1) ** 2 for tr in (a, b)]
        # spectral phase: until sigma_1(U_t) ~ 0.1; measured at a third of it
        t_sp = max(int(np.log(0.1 / np.linalg.norm(U0, 2)) / np.log1p(H.STEP * lam1)) // 3, 1)
        U_lin = np.linalg.matrix_power(np.eye(d) + H.STEP * Ay, t_sp) @ U0
        sp = [np.linalg.norm(tr.snapshots[t_sp].astype(np.float64) - U_lin) / np.linalg.norm(U_lin)
              for tr in (sensing.gradient_descent(pb.op, pb.y, U0, step=H.STEP, steps=t_sp, snapshots=[t_sp],
                                                  dtype=dt) for dt in (np.float64, np.float32))]
        rows.append(dict(alpha=alpha, times64=ta, times32=tb, max_dt=int(np.max(np.abs(ta - tb))), eig_dev=ev,
                         E1_64=e1[0], E1_32=e1[1], loss64=a.loss[-1], loss32=b.loss[-1], t_sp=t_sp,
                         sp64=sp[0], sp32=sp[1]))
    header = ("alpha | learning times t_1..t_5 (float64) | max |dt| | max rel. eigenvalue dev. | min E_1 f64 / f32"
              " | final loss f64 / f32 | spectral-phase dev. at t (f64 / f32)")
    lines = [header] + [
        f"{x['alpha']:.0e} | {list(map(int, x['times64']))} | {x['max_dt']} | {x['eig_dev']:.1e} | "
        f"{x['E1_64']:.3e} / {x['E1_32']:.3e} | {x['loss64']:.1e} / {x['loss32']:.1e} | "
        f"t={x['t_sp']}: {x['sp64']:.1e} / {x['sp32']:.1e}" for x in rows]
    for i, line in enumerate(lines):
        H.LEDGER[f"float32-accuracy/{i:02d}"] = {"text": line, "per": 1}
    print("\n".join(lines))
    for x in rows:
        # learning times are a log(1/alpha)-scale quantity: float32 leaves them unchanged
        assert x["max_dt"] <= 1 and np.all(x["times64"] >= 0), lines
        # the paper's E_1 minimum agrees to float32 precision relative to ||X_1||^2 ... plus its own size
        assert abs(x["E1_32"] - x["E1_64"]) <= 1e-3 * x["E1_64"] + 1e-6, lines
        if x["alpha"] >= 1e-3:  # the O(alpha^2) spectral-phase effect is resolved while alpha^2 >> eps32
            assert abs(x["sp32"] - x["sp64"]) <= 0.1 * x["sp64"], lines


# ------------------------------------------------------------ the claims in float32 (issue 14)
#: Symmetric claims with dynamics that take Setting.dtype = "float32" (spectral refuses it; the
#: asymmetric loop runs in float64 only).
FLOAT32_CLAIMS = ("learning_times", "incremental", "underparameterised", "overparameterised", "glrl")

#: Measurements whose float32 verdict may differ from float64 on the claims' default instances,
#: and why: each needs a quantity below float32's resolution. Any other flip fails the guard.
FLOAT32_UNRESOLVED = {
    ("incremental", "distance_exponent"): "distances near Z*_s of the smallest alpha fall to the "
                                          "float32 floor (~1e-6), so the fitted exponent flattens",
    ("incremental", "next_sv_exponent"): "the (s+1)-th singular value at the smallest alpha is "
                                         "round-off (~3e-7 relative), not alpha-driven",
    ("underparameterised", "limit_is_z_star_r"): "the limit is reached to ~1e-5 (float32 floor), "
                                                 "float64 to ~1e-14",
    ("underparameterised", "limit_independent_of_alpha"): "same floor: two float32 limits differ ~1e-5",
    ("underparameterised", "chunk_rates_in_linearisation_band"): "the linear rate is read below the "
                                                                 "float32 floor, where the loss stalls",
    ("underparameterised", "final_rate_is_linearisation"): "same: the final-phase rate reads 1.0 "
                                                           "(stalled) in float32",
    ("glrl", "gd_passes_near_stages"): "the smallest alpha's passes near the GLRL stages are "
                                       "seeded by round-off instead of alpha",
}


def _numbers(x):
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        return None
    return a if a.size else None


def test_float32_claim_verdicts_against_float64():
    import warnings

    import theorems

    rows, flips = [], []
    for key in FLOAT32_CLAIMS:
        claim = theorems.get(key)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            v64, v32 = (claim.verify(claim.default.replace(dtype=dt)) for dt in ("float64", "float32"))
        assert not v64.error and not v32.error, (key, v64.error, v32.error)
        for a, b in zip(v64.measurements, v32.measurements):
            x, y = _numbers(a.measured), _numbers(b.measured)
            rel = (float(np.max(np.abs(y - x) / np.maximum(np.abs(x), 1e-300)))
                   if x is not None and y is not None and x.shape == y.shape else float("nan"))
            rows.append(f"{key}/{a.name}: holds f64 {a.holds} / f32 {b.holds}, max rel. diff of measured {rel:.1e}")
            if a.holds != b.holds:
                flips.append((key, a.name))
        if key == "learning_times":  # the learning times themselves: the first two directions to 1 step
            t64, t32 = (np.asarray(next(m.measured for m in v.measurements if m.name == "times_reached"))
                        for v in (v64, v32))
            assert np.max(np.abs(t64[:, :2] - t32[:, :2])) <= 1, (t64, t32)
    for i, line in enumerate(rows):
        H.LEDGER[f"float32-accuracy/claims/{i:02d}"] = {"text": line, "per": 1}
    print("\n".join(rows))
    unexpected = [f for f in flips if f not in FLOAT32_UNRESOLVED]
    assert not unexpected, f"float32 changed these verdicts (not documented as unresolved): {unexpected}\n" + "\n".join(rows)


def test_spectral_checks_refuse_float32():
    import theorems

    claim = theorems.get("spectral")
    with pytest.raises(ValueError, match="dtype 'float32'.*O\\(alpha\\^3\\)"):
        claim.requests(claim.default.replace(dtype="float32"))
