# Reproduction of the paper's §6 (python -m theorems reproduce): the files, their determinism,
# a report that quotes the data, and negative controls whose report must say "NOT reproduced".
import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from theorems import reproduce as rp
from theorems.cli import main

pytestmark = pytest.mark.slow

DOCS = Path(__file__).resolve().parent.parent / "docs"
#: The committed full run (seed 0) that the README quotes: python -m theorems reproduce --out DIR
#: --figure-prefix ../figures/, REPORT.md and report.json copied to docs/reproduce/.
COMMITTED = DOCS / "reproduce"


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("reproduce-quick")
    assert main(["reproduce", "--out", str(out), "--quick", "--quiet", "--jobs", "1"]) == 0
    report = (out / "REPORT.md").read_text(encoding="utf-8")
    findings = json.loads((out / "report.json").read_text(encoding="utf-8"))["findings"]
    return out, report, findings


def _data(out, key):
    with np.load(out / f"{key}.npz") as z:
        return {k: z[k] for k in z.files}


def _finding(findings, experiment, claim_start):
    hits = [f for f in findings if f["experiment"] == experiment and f["claim"].startswith(claim_start)]
    assert len(hits) == 1, f"{len(hits)} findings for {experiment!r} / {claim_start!r}"
    return hits[0]


def _fmt_list(values):
    return "[" + ", ".join(f"{float(v):.3g}" for v in values) + "]"


def test_quick_run_writes_data_sidecar_and_figure_for_every_experiment(quick):
    out, report, _ = quick
    keys = [f"{k}_{s}" for k in rp.EXPERIMENTS for s in rp.SETUPS]
    for key in keys:
        assert (out / f"{key}.npz").is_file(), f"missing {key}.npz"
        side = json.loads((out / f"{key}.json").read_text(encoding="utf-8"))
        assert side["seed"] == 0 and side["config"]["name"] == "quick" and side["data"] == f"{key}.npz", side
        assert side["figures"], f"{key}.json names no figure"
        assert f"`{key}`" in report, f"REPORT.md does not mention {key}"
    for name in rp.expected_pngs(rp.EXPERIMENTS, rp.SETUPS):
        img = imread(out / name)
        assert img.shape[:2] == rp.png_size(name), f"{name}: {img.shape[:2]} pixels, expected {rp.png_size(name)}"
        assert f"![{name}]({name})" in report, f"REPORT.md does not show {name}"


@pytest.mark.parametrize("kind, setup", [("fig1", "literal"), ("sweep", "separated"), ("under", "literal")])
def test_rerunning_the_same_seed_gives_identical_data(quick, kind, setup):
    out, _, _ = quick
    saved = _data(out, f"{kind}_{setup}")
    again = rp.run_experiment(kind, rp.QUICK, setup).arrays
    assert saved.keys() == again.keys()
    for k in saved:
        np.testing.assert_array_equal(saved[k], again[k], err_msg=f"{kind}_{setup}.npz[{k!r}] differs on rerun")


def test_report_quotes_the_closest_approaches_in_the_figure_1_data(quick):
    out, report, findings = quick
    a = _data(out, "fig1_separated")
    i = int(np.flatnonzero((a["alpha"] == rp.QUICK.alphas[-1]) & (a["m"] == rp.QUICK.m_main))[0])
    mins = np.min(a["E_truncated"][i], axis=0)[: rp.QUICK.r_star - 1]
    assert f"min_t E_s = {_fmt_list(mins)}" in report, f"{_fmt_list(mins)} not in REPORT.md"
    f = _finding(findings, "fig1_separated", f"Fig. 1(d) α={rp.QUICK.alphas[-1]:g}, m={rp.QUICK.m_main}: GD visits")
    np.testing.assert_allclose(f["values"]["min"], mins, rtol=0, atol=0)


def test_report_quotes_learning_time_slopes_fitted_to_the_data(quick):
    out, report, findings = quick
    a = _data(out, "sweep_separated")
    small = a["small_alpha"]  # the fit uses the α with a small U_0 only
    assert 3 <= small.sum() < small.size, small
    x = np.log(1.0 / a["alpha"][small])
    for s in range(a["learning_times"].shape[1]):
        slope = np.polyfit(x, a["learning_times"][small, s], 1)[0]
        f = _finding(findings, "sweep_separated", f"learning time of rank {s + 1} ")
        np.testing.assert_allclose(f["values"]["slope"], slope, rtol=1e-10)
        assert f"fitted slope {f['values']['slope']:.3g}" in f["measured"] and f["measured"] in report


def test_report_quotes_gap_exponents_and_final_distances_from_the_data(quick):
    out, report, findings = quick
    g = _data(out, "gap_literal")
    for s in range(rp.QUICK.r_star - 1):
        b = np.polyfit(np.log10(g["m"]), np.log10(g["gap"][:, s]), 1)[0]
        f = _finding(findings, "gap_literal", f"gap ‖Z*_{s + 1} ")
        np.testing.assert_allclose(f["values"]["exponent"], b, rtol=1e-10)
        assert f"exponent {b:.3g}" in report, f"exponent {b:.3g} not in REPORT.md"
    u = _data(out, "under_separated")
    for j, rh in enumerate(u["rank"]):
        final = u["dist_minimiser"][j, -1] * u["norm_minimiser"][j]
        assert f"‖U_TU_Tᵀ − Z*_{rh}‖_F = {final:.3g}" in report, f"final distance {final:.3g} not in REPORT.md"


def test_claims_that_hold_in_the_quick_run_are_reported_as_reproduced(quick):
    # the controls below are only meaningful if these claims pass when nothing is broken
    _, _, findings = quick
    for exp, claim in [("sweep_separated", "learning time of rank 1 "), ("gap_separated", "gap ‖Z*_1 "),
                       ("under_separated", "r̂ = 1 < r*")]:
        f = _finding(findings, exp, claim)
        assert f["status"] == rp.REPRODUCED, f


def test_doubled_gradient_is_reported_as_not_reproducing_and_fails_under_strict(tmp_path, capsys):
    # exit status 1: --strict and a finding NOT reproduced; the report is written all the same
    rc = main(["reproduce", "--out", str(tmp_path), "--quick", "--quiet", "--jobs", "1", "--only", "sweep",
               "--setups", "separated", "--fault", "gradient-x2", "--strict"])
    assert rc == 1, f"--strict under --fault gradient-x2 exited {rc}"
    assert "NOT reproduced: sweep_separated/learning_time_slope_1" in capsys.readouterr().err
    report = (tmp_path / "REPORT.md").read_text(encoding="utf-8")
    findings = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["findings"]
    assert "FAULT INJECTED: `gradient-x2`" in report
    for s in (1, 2):
        f = _finding(findings, "sweep_separated", f"learning time of rank {s} ")
        assert f["status"] == rp.NOT_REPRODUCED, f
        assert f"**{rp.NOT_REPRODUCED}** — {f['claim']}" in report


def test_clean_run_exits_0_under_strict_and_prints_the_report_path_once_joined(tmp_path, capsys):
    # the control of the test above: the same experiment without the fault reproduces everything
    rc = main(["reproduce", "--out", f"{tmp_path}/", "--quick", "--quiet", "--jobs", "1", "--only", "sweep",
               "--setups", "separated", "--strict"])
    out = capsys.readouterr().out
    assert rc == 0, f"clean --strict run exited {rc}: {out}"
    assert out.strip() == str(tmp_path / "REPORT.md"), out


def test_without_strict_a_not_reproduced_finding_still_exits_0(quick):
    # exit status 0 without --strict whatever the verdicts (the quick run has NOT reproduced ones)
    _, _, findings = quick
    assert any(f["status"] == rp.NOT_REPRODUCED for f in findings), [f["status"] for f in findings]


def test_bad_jobs_is_a_usage_error_with_exit_status_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["reproduce", "--out", str(tmp_path), "--jobs", "0"])
    assert exc.value.code == 2 and "--jobs" in capsys.readouterr().err
    assert not any(tmp_path.iterdir()), "a usage error must run nothing"


def test_help_is_plain_text_and_documents_every_exit_status(capsys):
    with pytest.raises(SystemExit):
        main(["reproduce", "--help"])
    text = capsys.readouterr().out
    assert "``" not in text, "reST markup in --help"
    for status in ("0  the run finished", "1  --strict", "2  usage error"):
        assert status in text, f"exit status {status!r} not documented in --help"


def test_every_finding_has_the_declared_stable_id(quick):
    _, _, findings = quick
    ids = [f["id"] for f in findings]
    assert ids == rp.finding_ids(rp.QUICK), sorted(set(ids) ^ set(rp.finding_ids(rp.QUICK)))
    assert all(f["status"] in rp.STATUSES for f in findings), {f["status"] for f in findings}


def _committed():
    report = (COMMITTED / "REPORT.md").read_text(encoding="utf-8")
    data = json.loads((COMMITTED / "report.json").read_text(encoding="utf-8"))
    return report, data


def test_committed_report_is_a_full_seed_0_run_with_the_current_findings_and_vocabulary():
    report, data = _committed()
    assert data["config"] == json.loads(json.dumps(dataclasses.asdict(rp.FULL))) and data["fault"] == "none"
    ids = [f["id"] for f in data["findings"]]
    assert ids == rp.finding_ids(rp.FULL), sorted(set(ids) ^ set(rp.finding_ids(rp.FULL)))
    assert data["statuses"] == list(rp.STATUSES)
    n = {s: sum(f["status"] == s for f in data["findings"]) for s in rp.STATUSES}
    assert data["counts"] == n
    assert (f"**{n[rp.REPRODUCED]} claims reproduced, {n[rp.PARTLY]} partly, {n[rp.NOT_REPRODUCED]} not "
            f"reproduced, {n[rp.NOT_TESTABLE]} not testable.**") in report, n
    for f in data["findings"]:
        assert f"| `{f['experiment']}` | {f['claim']} | **{f['status']}** |" in report, f["id"]
        assert f"- **{f['status']}** — {f['claim']} (`{f['id']}`)" in report, f["id"]
    for link in re.findall(r"!\[[^]]*\]\(([^)]+)\)", report):
        assert (COMMITTED / link).is_file(), f"REPORT.md links {link}, which is not in docs/"


def test_quick_verdicts_differ_from_the_committed_full_run_exactly_where_its_header_says(quick):
    _, report, findings = quick
    _, data = _committed()
    full = {f["id"]: f["status"] for f in data["findings"]}
    now = {f["id"]: f["status"] for f in findings}
    differ = {i for i in now if now[i] != full[i]}
    known = {k: v for mod in rp.MODULES.values() for k, v in mod.QUICK_DIFFERS.items()}
    assert differ == set(known), f"differ {sorted(differ)}, declared {sorted(known)}"
    for i, (status, why) in known.items():
        assert status == full[i], (i, status, full[i])
        assert f"| `{i}` | {now[i]} | {full[i]} | {why} |" in report, f"{i} missing from the quick header"
    for i in set(full) - set(now):
        assert f"`{i}`" in report.split("| experiment | claim | status |")[0], f"{i} not named as full-run only"


def test_truncated_svd_offered_as_minimiser_is_reported_as_not_reproducing(tmp_path):
    rp.reproduce(str(tmp_path), rp.QUICK, experiments=("gap", "under"), setups=("separated",),
                 fault="truncated-svd-as-minimiser")
    findings = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["findings"]
    gap = [f for f in findings if f["claim"].startswith("gap ‖Z*_")]
    under = [f for f in findings if f["experiment"] == "under_separated"]
    assert gap and under
    for f in gap + under:
        assert f["status"] == rp.NOT_REPRODUCED, f


def test_a_diverging_step_is_reported_with_a_safe_step_and_nothing_reproduces(tmp_path):
    # μ = 0.03 is far above the stable step for eigenvalue 80 (μλ₁ = 2.4): every run must blow up
    cfg = dataclasses.replace(rp.QUICK, step=0.03)
    (res,) = rp.reproduce(str(tmp_path), cfg, experiments=("fig2",), setups=("separated",))
    assert res.arrays["diverged"].all(), res.arrays["diverged"]
    assert not any(f.status in (rp.REPRODUCED, rp.PARTLY) for f in res.findings), [f.status for f in res.findings]
    assert all("step <=" in f.measured for f in res.findings if f.claim.endswith("stays finite"))
    assert imread(tmp_path / "fig2_separated.png").shape[:2] == rp.png_size("fig2_separated.png")
