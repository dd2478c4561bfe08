# The documentation builds offline with warnings as errors, and the README's snippets run as written
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def python_blocks(text: str) -> list:
    """The ```python blocks of a Markdown text, in order."""
    return FENCE.findall(text)


def run(args, **kwargs) -> subprocess.CompletedProcess:
    # a fresh process, from the repository root, as a reader would run it
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600, **kwargs)


@pytest.mark.slow
def test_docs_build_offline_without_warnings(tmp_path):
    # -W: any warning fails the build; --keep-going: report all of them. The build imports
    # nothing from the network (no intersphinx, no remote images; docs/conf.py).
    out = run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
               "-d", str(tmp_path / "doctrees"), "docs", str(tmp_path / "html")])
    assert out.returncode == 0, f"sphinx-build exited {out.returncode}:\n{out.stderr[-6000:]}"
    html = tmp_path / "html"
    # one generated page per registered claim, and the API page of every claim module
    import theorems

    for claim in theorems.claims():
        page = html / "_generated" / "claims" / f"{claim.key}.html"
        assert page.exists(), f"no page for claim {claim.key!r} in {sorted(p.name for p in page.parent.iterdir())}"
        assert claim.key in page.read_text(encoding="utf-8")
    assert (html / "_generated" / "report.html").exists()


def test_readme_keeps_the_two_opening_commands():
    text = README.read_text(encoding="utf-8")
    for command in ('python -m pip install -e . && python -m theorems verify',
                    'python -m pip install -e ".[test]" && python -m pytest -n 2'):
        assert command in text, f"README lost the command {command!r}"


def test_readme_has_python_blocks():
    # guards the extraction below: a changed fence syntax must not make the next test vacuous
    assert len(python_blocks(README.read_text(encoding="utf-8"))) >= 2


@pytest.mark.parametrize("index", range(len(python_blocks(README.read_text(encoding="utf-8")))))
def test_readme_python_block_runs_as_written_and_prints(index):
    code = python_blocks(README.read_text(encoding="utf-8"))[index]
    out = run([sys.executable, "-c", code])
    assert out.returncode == 0, f"README python block {index} exited {out.returncode}:\n{code}\n{out.stderr[-3000:]}"
    # a script that ends in a bare expression prints nothing: the snippets show print
    assert out.stdout.strip(), f"README python block {index} printed nothing:\n{code}"


def test_block_extraction_finds_fenced_python_only():
    text = "x\n```python\nprint(1)\n```\n```bash\nls\n```\n```python\nprint(2)\n```\n"
    assert python_blocks(text) == ["print(1)\n", "print(2)\n"]


def test_the_readme_quotes_the_committed_reproduction_report():
    import json
    import re

    report = json.loads((ROOT / "docs" / "reproduce" / "report.json").read_text(encoding="utf-8"))
    text = README.read_text(encoding="utf-8")
    block = text.split("<!-- report:begin -->", 1)[1].split("<!-- report:end -->", 1)[0]
    counts = ", ".join(f"{n} {status}" for status, n in report["counts"].items())
    assert counts + "." in " ".join(block.split()), f"README counts differ from the report: {counts}"
    status = {f["id"]: f["status"] for f in report["findings"]}
    quoted = re.findall(r"`([a-z0-9_./]+)`: ([A-Za-z ]+?)[;.]", block)
    assert quoted, "no finding quoted between the report markers"
    for fid, st in quoted:
        assert status.get(fid) == st, f"README says {fid}: {st!r}, the report says {status.get(fid)!r}"


def readme_section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else None]


def shell_commands(section: str) -> list:
    """The commands of the ```bash blocks of a section (continuations joined, comments dropped)."""
    out = []
    for block in re.findall(r"^```bash\n(.*?)^```", section, re.S | re.M):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("#")[0].strip()
            if line:
                out.append(line)
    return out


def test_check_your_own_implementation_fits_in_thirty_lines():
    section = readme_section("Check your own implementation")
    assert len(section.strip().splitlines()) < 30 + 1, section  # + its heading


@pytest.mark.slow
def test_check_your_own_implementation_runs_as_written_from_a_copy_of_the_examples(tmp_path):
    # from a directory holding only examples/ (as a fresh clone would, minus the test suite)
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    commands = shell_commands(readme_section("Check your own implementation"))
    assert len(commands) >= 6, commands
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for command in commands:
        out = subprocess.run(command.replace("python ", f"{sys.executable} ", 1), shell=True, cwd=tmp_path,
                             env=env, capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, f"{command!r} exited {out.returncode}:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}"
