# python -m theorems: the public CLI contract (subcommands, --json, exit statuses 0/1/2/3)
import json
import subprocess
import sys

import pytest

from theorems import cli, registry


def run(*argv):
    return cli.main(["verify", "--quiet", *argv])


def test_list_names_every_claim(capsys):
    assert cli.main(["list"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    for claim in registry.claims():
        assert claim.key in out and claim.label in out


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
                                  ["--eigenvalues", "1,2"], ["--eigenvalues", "a,b"], ["--d", "0"]])
def test_usage_errors_exit_2(argv, capsys):
    try:
        code = run(*argv)
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code
    assert code == cli.EXIT_USAGE, f"{argv}: exit {code}"
    assert "error" in capsys.readouterr().err


def test_module_entry_point_runs():
    proc = subprocess.run([sys.executable, "-m", "theorems", "list"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "landscape" in proc.stdout
