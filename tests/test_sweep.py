# theorems.sweep: resumable claim sweeps on the serial, process-pool and Dask executors
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from theorems import cli, sweep
from theorems.sweep import grid as G
from theorems.sweep import shared

ROOT = Path(__file__).resolve().parents[1]
#: Two cheap claims, one symmetric and one asymmetric: 2 x 3 x 4 = 24 points.
CLAIMS = ["underparameterised", "asymmetric_convergence"]
GRID = {"alpha": "1e-4:1e-2:3log", "seed": "0:4"}


def records(directory):
    """Every record as stored, keyed, without its timings (which differ from run to run)."""
    with sweep.Store(directory, create=False) as st:
        out = {}
        for r in st.records():
            r = dict(r)
            r.pop("wall_time"), r.pop("created")
            out[r["key"]] = r
    return out


def test_grid_syntax_lists_ranges_log_ranges_and_spectra():
    g = G.parse_grid(["alpha=1e-8:1e-2:7log", "seed=0:16", "m=1e3,2000", "eigenvalues=16,8,4,2;9,3,1",
                      "step=0.001:0.004:4lin", "operator=gaussian,identity", "d2=none,5"])
    assert g["alpha"] == [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2]
    assert g["seed"] == list(range(16))
    assert g["m"] == [1000, 2000]
    assert g["eigenvalues"] == [(16.0, 8.0, 4.0, 2.0), (9.0, 3.0, 1.0)]
    assert g["step"] == [0.001, 0.002, 0.003, 0.004]
    assert g["operator"] == ["gaussian", "identity"] and g["d2"] == [None, 5]
    assert G.parse_grid({"seed": range(3), "alpha": 1e-3})["seed"] == [0, 1, 2]
    assert len(G.combinations(G.parse_grid({"alpha": "1e-3,1e-4", "seed": "0:3"}))) == 6


@pytest.mark.parametrize("text, message", [
    ("beta=1,2", "unknown name 'beta'"),
    ("alpha", "expects NAME=VALUES"),
    ("alpha=1e-2:1e-8", "real-valued"),
    ("alpha=-1,2", "positive finite"),
    ("seed=4:0", "empty range"),
    ("seed=0.5", "integer"),
    ("alpha=0:1:3log", "positive ends"),
    ("m=0", "positive integer"),
    ("operator=1:3", "ranges are for numbers"),
])
def test_a_bad_grid_is_an_error_naming_it(text, message):
    with pytest.raises(G.GridError, match=message):
        G.parse_grid([text])


def test_cli_usage_errors_exit_2_before_anything_runs(tmp_path, capsys):
    out = tmp_path / "s"
    assert cli.main(["sweep", "--claim", "nonsense", "--grid", "seed=0:2", "--out", str(out)]) == cli.EXIT_USAGE
    assert "no claim has key 'nonsense'" in capsys.readouterr().err
    assert cli.main(["sweep", "--claim", "spectral", "--grid", "d2=4", "--out", str(out)]) == cli.EXIT_USAGE
    assert "applies to asymmetric claims only; spectral is symmetric" in capsys.readouterr().err
    assert cli.main(["sweep", "--claim", "spectral", "--grid", "dynamics=no.such:thing", "--out", str(out)]) \
        == cli.EXIT_USAGE
    assert "cannot import module 'no.such'" in capsys.readouterr().err
    assert cli.main(["sweep", "--claim", "spectral", "--out", str(out), "--executor", "serial",
                     "--scheduler", "tcp://127.0.0.1:1"]) == cli.EXIT_USAGE
    assert "--scheduler needs --executor dask" in capsys.readouterr().err
    assert cli.main(["sweep-plot", str(tmp_path / "none"), "--x", "alpha", "--y", "x"]) == cli.EXIT_USAGE
    assert "holds no sweep" in capsys.readouterr().err


@pytest.mark.slow
def test_24_points_give_identical_records_serially_on_a_process_pool_and_on_a_local_cluster(tmp_path):
    serial = sweep.run(CLAIMS, GRID, tmp_path / "serial", executor="serial", progress=False)
    assert len(serial) == 24 and set(serial["claim"]) == set(CLAIMS)
    assert (serial["status"] != "ERROR").all(), serial[["claim", "alpha", "seed", "error"]]
    pool = sweep.run(CLAIMS, GRID, tmp_path / "pool", executor="process", workers=2, progress=False)
    dask = sweep.run(CLAIMS, GRID, tmp_path / "dask", executor="dask", workers=2, progress=False)
    assert "LocalCluster" in dask.attrs["outcome"].executor
    a, b, c = records(tmp_path / "serial"), records(tmp_path / "pool"), records(tmp_path / "dask")
    assert len(a) == 24 and a.keys() == b.keys() == c.keys()
    for key in a:  # bit for bit: the same task, one BLAS thread, wherever it runs
        assert a[key] == b[key], f"process pool record differs from serial at {a[key]['params']}"
        assert a[key] == c[key], f"LocalCluster record differs from serial at {a[key]['params']}"


@pytest.mark.slow
def test_a_running_dask_scheduler_is_used_through_its_address(tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None) as cluster:
        df = sweep.run(["underparameterised"], {"seed": "0:2"}, tmp_path / "s", scheduler=cluster.scheduler_address,
                       progress=False)
    assert df.attrs["outcome"].executor == f"dask scheduler {cluster.scheduler_address}"
    assert list(df["status"]) == ["HOLDS", "HOLDS"]


@pytest.mark.slow
def test_a_sweep_killed_part_way_resumes_to_the_complete_set_without_duplicates(tmp_path):
    out = tmp_path / "s"
    argv = [sys.executable, "-m", "theorems", "sweep", "--claim", CLAIMS[0], "--claim", CLAIMS[1],
            "--grid", f"alpha={GRID['alpha']}", "--grid", f"seed={GRID['seed']}", "--out", str(out),
            "--workers", "2", "--quiet"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    err = tmp_path / "stderr.txt"
    with open(err, "wb") as fh:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=fh,
                                start_new_session=True)
    db = out / "sweep.sqlite"
    partial, deadline = 0, time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if db.exists():
            try:
                with sqlite3.connect(db, timeout=1) as conn:
                    partial = conn.execute("SELECT COUNT(*) FROM records").fetchone()[0]
            except sqlite3.OperationalError:  # the table is created by the sweep a moment later
                partial = 0
            if partial >= 3:
                break
        time.sleep(0.05)
    assert proc.poll() is None, f"the sweep ended before it could be killed: {err.read_text()[-2000:]}"
    os.killpg(proc.pid, signal.SIGKILL)  # the driver and its workers, mid-sweep
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    before = records(out)
    assert 3 <= len(before) < 24, f"{len(before)} records at the kill"
    with sweep.Store(out, create=False) as st:
        created = {r["key"]: r["created"] for r in st.records()}
    resumed = sweep.run(CLAIMS, GRID, out, executor="process", workers=2, progress=False)
    o = resumed.attrs["outcome"]
    assert (o.planned, o.skipped, o.computed) == (24, len(before), 24 - len(before))
    with sqlite3.connect(out / "sweep.sqlite") as conn:
        rows, distinct = conn.execute("SELECT COUNT(*), COUNT(DISTINCT key) FROM records").fetchone()
    assert rows == distinct == 24
    after = records(out)
    with sweep.Store(out, create=False) as st:
        for r in st.records():  # what was committed before the kill is kept, not recomputed
            if r["key"] in created:
                assert r["created"] == created[r["key"]]
    for key, rec in before.items():
        assert after[key] == rec
    fresh = sweep.run(CLAIMS, GRID, tmp_path / "fresh", executor="serial", progress=False)
    assert set(after) == set(fresh["key"])
    assert dict(zip(fresh["key"], fresh["status"])) == {k: r["status"] for k, r in after.items()}
    again = sweep.run(CLAIMS, GRID, out, executor="serial", progress=False)  # a third run: nothing to do
    assert (again.attrs["outcome"].computed, again.attrs["outcome"].skipped) == (0, 24)


def test_a_changed_grid_computes_only_the_new_points(tmp_path):
    first = sweep.run(["underparameterised"], {"seed": "0:2"}, tmp_path, executor="serial", progress=False)
    with sweep.Store(tmp_path, create=False) as st:
        created = {r["key"]: r["created"] for r in st.records()}
    second = sweep.run(["underparameterised"], {"seed": "0:3"}, tmp_path, executor="serial", progress=False)
    o = second.attrs["outcome"]
    assert (o.planned, o.skipped, o.computed) == (3, 2, 1)
    assert list(second["seed"]) == [0, 1, 2] and set(first["key"]) < set(second["key"])
    with sweep.Store(tmp_path, create=False) as st:
        assert st.count() == 3
        for r in st.records():
            if r["key"] in created:
                assert r["created"] == created[r["key"]]
    assert len(sweep.load(tmp_path)) == 3


def test_a_point_that_raises_is_an_error_record_and_the_others_complete(tmp_path, capsys):
    code = cli.main(["sweep", "--claim", "underparameterised", "--grid", "alpha=1e-4:1e-2:3log",
                     "--dynamics", "tests.sweep_dynamics:fails_above_alpha_3e_3", "--out", str(tmp_path),
                     "--executor", "serial", "--quiet"])
    assert code == cli.EXIT_ERROR
    df = sweep.load(tmp_path)
    assert list(df["status"]) == ["HOLDS", "HOLDS", "ERROR"], df[["alpha", "status", "error"]]
    assert "RuntimeError: injected failure: start of scale 0.01 > 3e-3" in df["error"].iloc[2]
    assert set(df["dynamics"]) == {"tests.sweep_dynamics:fails_above_alpha_3e_3"}
    assert "3 points: 3 computed" in capsys.readouterr().out
    # an ERROR is done (not recomputed) unless asked
    again = sweep.run(["underparameterised"], {"alpha": "1e-4:1e-2:3log"}, tmp_path, executor="serial",
                      dynamics="tests.sweep_dynamics:fails_above_alpha_3e_3", progress=False)
    assert again.attrs["outcome"].computed == 0
    retry = sweep.run(["underparameterised"], {"alpha": "1e-4:1e-2:3log"}, tmp_path, executor="serial",
                      dynamics="tests.sweep_dynamics:fails_above_alpha_3e_3", progress=False, retry_errors=True)
    assert retry.attrs["outcome"].computed == 1 and list(retry["status"]) == ["HOLDS", "HOLDS", "ERROR"]


@pytest.mark.slow
def test_a_worker_process_that_dies_is_an_error_record_and_the_sweep_goes_on(tmp_path):
    # alpha = 1e-2 kills its worker (the first four points); the points queued after them still run,
    # each time in a new pool
    df = sweep.run(["underparameterised"], {"alpha": "1e-2,1e-3", "seed": "0:4"}, tmp_path, executor="process",
                   workers=1, dynamics="tests.sweep_dynamics:dies_above_alpha_3e_3", progress=False)
    killed = df[df["alpha"] == 1e-2]
    assert (killed["status"] == "ERROR").all()
    assert killed["error"].str.contains("BrokenProcessPool").all()
    # a task in flight with a dying one fails with it (said in its message); the others complete
    fine = df[df["alpha"] == 1e-3]
    assert (fine["status"] == "HOLDS").sum() >= 3, df[["seed", "alpha", "status", "error"]]
    assert ((fine["status"] == "HOLDS") | fine["error"].str.contains("in flight")).all()


def test_an_invalid_point_is_an_error_record(tmp_path):
    df = sweep.run(["underparameterised"], {"rank": "1,9"}, tmp_path, executor="serial", progress=False)
    assert list(df["status"]) == ["HOLDS", "ERROR"]
    assert "invalid point for underparameterised: --rank must be between 1 and d = 8, got 9" in df["error"].iloc[1]


def test_the_frame_has_every_parameter_measurement_assumption_timing_and_version(tmp_path):
    df = sweep.run(["learning_times"], {"alpha": "1e-3"}, tmp_path, executor="serial", progress=False)
    (row,) = df.to_dict("records")
    for col in ("key", "claim", "status", "error", "dynamics", "d", "eigenvalues", "m", "operator", "rank", "alpha",
                "step", "seed", "init", "d2", "init_ratio", "eig1", "wall_time", "batch", "created",
                "version.sensing-theorems", "version.numpy", "version.scipy", "version.python"):
        assert col in row, col
    from theorems import get

    claim = get("learning_times")
    for name in claim.measurements:
        if name != "finite_trajectory":
            assert f"value.{name}" in row and row[f"holds.{name}"] is True, name
    for a in claim.scope(claim.default):  # the assumptions checked on this instance
        assert row[f"assumption.{a.name}"] is a.holds is True or a.role == "paper", a.name
    assert row["status"] == "HOLDS" and row["wall_time"] > 0 and row["eigenvalues"] == claim.default.eigenvalues
    assert len(row["value.time_slope"]) == claim.default.s_max


SHARE_RTOL, SHARE_ATOL = 1e-7, 1e-13  # batched vs single runs: round-off (sensing.gradient_descent)


def _local_exponent_tolerance(row):
    """incremental's distance exponents are log(d_i/d_j)/log(α_i/α_j) of its near_target
    distances d (the last s), which agree to SHARE_ATOL: so the exponents agree to
    SHARE_RTOL|p| + (ATOL/d_i + ATOL/d_j)/log(α_i/α_j). Near the round-off floor that is far above
    SHARE_RTOL (d = 1.4e-11: 4e-3; measured 4.5e-7 with numpy 2.4.6 / OpenBLAS 0.3.31)."""
    from theorems.jin2023 import incremental

    setting = incremental.CLAIM.default.replace(alpha=row["alpha"])
    al, d = incremental.alphas(setting), np.asarray(row["value.near_target"], float)
    keep = np.isfinite(d) & (d > incremental.distance_floor(setting))
    al, d = al[keep], d[keep]
    return (SHARE_ATOL / d[:-1] + SHARE_ATOL / d[1:]) / np.log(al[:-1] / al[1:])


def test_points_sharing_an_instance_run_batched_and_agree_with_their_own_runs(tmp_path):
    claims = ["underparameterised", "asymmetric_convergence", "incremental"]
    g = {"alpha": "1e-4:1e-2:3log"}
    shared_df = sweep.run(claims, g, tmp_path / "a", executor="serial", progress=False)
    alone = sweep.run(claims, g, tmp_path / "b", executor="serial", progress=False, share=False)
    assert set(shared_df["batch"]) == {3} and set(alone["batch"]) == {1}
    assert list(shared_df["status"]) == list(alone["status"])
    for (_, a), (_, b) in zip(shared_df.iterrows(), alone.iterrows()):
        for col in [c for c in shared_df.columns if c.startswith("value.")]:
            x, y = a[col], b[col]
            if isinstance(x, (list, float, int)) and not isinstance(x, bool):
                x, y = np.asarray(x, float), np.asarray(y, float)
                atol = SHARE_ATOL
                if a["claim"] == "incremental" and col == "value.distance_exponent":
                    atol = _local_exponent_tolerance(b)
                    assert atol.shape == y.shape, (atol, y)
                close = (np.abs(x - y) <= atol + SHARE_RTOL * np.abs(y)) | (np.isnan(x) & np.isnan(y)) | (x == y)
                assert x.shape == y.shape and np.all(close), \
                    f"{a['claim']} alpha={a['alpha']} {col}: batched {x.tolist()}, alone {y.tolist()}, atol {atol}"
            else:
                assert x == y or (x != x and y != y), (a["claim"], col, x, y)


def test_buckets_merge_runs_only_while_few_steps_are_wasted():
    # K = 4 runs of 100 steps and one of 1000: merging all would waste most of the batched steps
    assert shared.buckets([(4, 100), (4, 1000), (4, 90), (4, 95)]) == [[1], [0, 2, 3]]
    assert shared.buckets([(2, 500), (2, 480), (2, 450)]) == [[0, 1, 2]]


def test_served_dynamics_answers_only_its_own_requests():
    from theorems import get

    claim = get("underparameterised")
    settings = [claim.default.replace(alpha=a) for a in (1e-3, 1e-4)]
    served = shared.serve(claim, settings)
    assert all(s is not None and s.builtin for s in served)
    req = claim.requests(settings[0])[0]
    pb = settings[0].problem()
    traj = served[0].run(pb, req.U0, step=req.step, steps=req.steps, request=req.name, **req.options)
    assert served[0].hits == 1 and traj.steps == req.steps and traj.U.shape == req.U0.shape
    other = served[0].run(pb, req.U0 * 2, step=req.step, steps=5, request=req.name)  # not what it was given
    assert served[0].hits == 1 and other.steps == 5


def test_sweep_plot_draws_a_measurement_against_a_parameter(tmp_path, capsys):
    sweep.run(["underparameterised"], {"alpha": "1e-4,1e-3", "seed": "0:2"}, tmp_path, executor="serial",
              progress=False)
    png = tmp_path / "p.png"
    assert cli.main(["sweep-plot", str(tmp_path), "--x", "alpha", "--y", "lemma_f1_rate", "--hue", "seed",
                     "--out", str(png)]) == cli.EXIT_OK
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert cli.main(["sweep-plot", str(tmp_path), "--x", "step*eig1", "--y", "final_phase_reached[0]"]) == cli.EXIT_OK
    assert "plot-final_phase_reached_0_-vs-step_eig1.png" in capsys.readouterr().out
    assert cli.main(["sweep-plot", str(tmp_path), "--x", "alpha", "--y", "nope"]) == cli.EXIT_USAGE
    assert "no measurement or column of that name" in capsys.readouterr().err
    assert cli.main(["sweep-plot", str(tmp_path), "--x", "alpha", "--y", "lemma_f1_rate", "--curve", "1/log1p(x)",
                     "--out", str(png)]) == cli.EXIT_OK
    assert cli.main(["sweep-plot", str(tmp_path), "--x", "alpha", "--y", "lemma_f1_rate", "--curve",
                     "__import__('os')"]) == cli.EXIT_USAGE
    assert "is not an expression in x" in capsys.readouterr().err


def test_the_cli_prints_a_summary_table_and_resumes(tmp_path, capsys):
    argv = ["sweep", "--claim", "underparameterised", "--grid", "seed=0:2", "--out", str(tmp_path),
            "--executor", "serial", "--quiet"]
    assert cli.main(argv) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "underparameterised" in out and "held" in out and "measured range over the points" in out
    assert "2 points: 2 computed, 0 already recorded, 0 errors" in out
    assert cli.main(argv + ["--strict"]) == cli.EXIT_OK
    assert "2 points: 0 computed, 2 already recorded" in capsys.readouterr().out
