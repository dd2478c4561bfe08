# python -m theorems: the public CLI contract (subcommands, --json, exit statuses 0/1/2/3/4)
import dataclasses
import json
import subprocess
import sys

import pytest

from theorems import cli, registry


def run(*argv):
    return cli.main(["verify", "--quiet", *argv])


def test_list_names_every_claim_under_its_paper(capsys):
    assert cli.main(["list", "--checks"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    for citation, claims in registry.papers():
        assert citation in out
        for claim in claims:
            assert claim.key in out and claim.label in out
            assert out.index(citation) < out.index(claim.key)
            for name in claim.measurements:
                assert name in out


def test_verify_writes_the_table_and_json(tmp_path, capsys):
    path = tmp_path / "v.json"
    assert run("--only", "learning_times", "--operator", "identity", "--json", str(path)) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "measured vs predicted" in out and "HOLDS" in out
    (record,) = json.loads(path.read_text())
    assert record["status"] == "HOLDS" and record["setting"]["operator"] == "identity"
    assert all({"quantity", "measured", "predicted", "holds"} <= set(m) for m in record["measurements"])
    assert all(a["how"] in ("exact", "certified bound", "estimate", "by construction") for a in record["assumptions"])


def test_a_claim_failing_inside_its_assumptions_exits_1(capsys):
    # Lemma G.2's constant 0.2 tau_1 is false for sigma_2^2/sigma_1^2 > 0.506 (finding, see
    # theorems/jin2023/landscape.py): full observation keeps every required assumption met
    assert run("--only", "landscape", "--operator", "identity", "--eigenvalues", "1,0.8") == cli.EXIT_FAIL
    assert "FAILS" in capsys.readouterr().out


def test_an_instance_outside_the_assumptions_exits_3(capsys):
    assert run("--only", "learning_times", "--m", "200") == cli.EXIT_OUT_OF_SCOPE
    assert "OUT OF SCOPE" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["--only", "nosuch"], ["--alpha", "-1"], ["--rank", "0"], ["--step", "0"],
                                  ["--eigenvalues", "1,2"], ["--eigenvalues", "a,b"], ["--d", "0"],
                                  ["--seed", "-1"], ["--eigenvalues", "-1,2"], ["--m", "0"],
                                  ["--alpha", "nan"], ["--step", "inf"], ["--d", "2"]])
def test_usage_errors_exit_2_and_name_the_flag(argv, capsys):
    try:
        code = run(*argv)
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code
    assert code == cli.EXIT_USAGE, f"{argv}: exit {code}"
    err = capsys.readouterr().err
    flag = argv[0] if argv[0] != "--only" else "--only nosuch"
    assert "error" in err and flag in err, f"{argv}: the message should name {flag}: {err!r}"


def test_a_default_rank_equal_to_d_follows_a_user_d(capsys):
    # learning_times' default is r-hat = d = 20: --d 10 alone must not be a usage error
    assert run("--only", "learning_times", "--operator", "identity", "--d", "10") == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "d=10," in out and "r̂=10," in out, out


def test_an_error_inside_one_claim_is_its_error_verdict_and_the_others_are_kept(tmp_path, capsys,
                                                                                monkeypatch):
    def broken(setting):
        raise FloatingPointError("simulated failure inside the claim")

    ok = registry.get("learning_times")
    bad = dataclasses.replace(registry.get("landscape"), evidence=broken)
    monkeypatch.setattr(registry, "select", lambda only: (bad, ok))
    path = tmp_path / "v.json"
    code = run("--operator", "identity", "--json", str(path))
    out, err = capsys.readouterr()
    assert code == cli.EXIT_ERROR, f"exit {code}, expected {cli.EXIT_ERROR}\n{out}"
    assert "simulated failure inside the claim" in out and "simulated failure" in err
    statuses = [r["status"] for r in json.loads(path.read_text())]
    assert statuses == ["ERROR", "HOLDS"], statuses


def test_a_degenerate_instance_is_out_of_scope_not_an_error(capsys):
    # three measurements of a d = 20 problem: issue 9 found a NaN crash here
    code = run("--only", "underparameterised", "--m", "3")
    out = capsys.readouterr().out
    assert code == cli.EXIT_OUT_OF_SCOPE, f"exit {code}\n{out}"
    assert "OUT OF SCOPE" in out and "ERROR" not in out.split("\n\n")[0]


def test_a_negative_eigenvalue_list_needs_no_equals_sign(capsys):
    assert run("--only", "learning_times", "--eigenvalues", "-1,2") == cli.EXIT_USAGE
    assert "--eigenvalues: eigenvalues must be positive" in capsys.readouterr().err


def test_help_has_no_rest_markup():
    for argv in (["--help"], ["verify", "--help"], ["reproduce", "--help"], ["mutants", "--help"]):
        proc = subprocess.run([sys.executable, "-m", "theorems", *argv], capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 0 and "``" not in proc.stdout and ":mod:" not in proc.stdout, proc.stdout


def test_module_entry_point_runs():
    proc = subprocess.run([sys.executable, "-m", "theorems", "list"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "landscape" in proc.stdout
