"""Pages generated at build time: one page per claim (from the registry) and the API reference.

Connected to ``builder-inited``, so every build regenerates them from the code it documents:

- ``_generated/claims/<key>.rst``: label, title, default instance, declared measurements
  (:attr:`theorems.Claim.measurements`) and required assumptions (:attr:`theorems.Claim.required`)
  of every claim of :func:`theorems.registry.papers`, then its module docstring (the statement);
- ``_generated/api/<module>.rst``: one ``automodule`` page per module of ``sensing`` and
  ``theorems``, found by walking the packages (so a module added or split into a package, such as
  ``theorems.reproduce``, is documented without editing the docs);
- ``_generated/report.md``: the reproduction report ``docs/reproduce/REPORT.md`` if it exists,
  else a note saying how to make it.

Files are rewritten only when their text changes (Sphinx then rebuilds only what changed).
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

#: Packages whose modules get an API page.
PACKAGES = ("sensing", "theorems")
#: Modules never imported for the API reference: importing ``theorems.__main__`` runs the CLI.
SKIP_MODULES = ("theorems.__main__",)
#: Module docstrings written as plain text, shown verbatim (preformatted) rather than parsed as
#: reStructuredText, with the reason:
#: - the claim modules (``theorems.<paper>.<claim>``): statements with column-aligned formulas,
#:   written for ``help()`` and the terminal; parsed as reST their indented formula lines are
#:   block quotes and ``|x|`` is a substitution reference;
#: - ``theorems.cli``: its docstring is also the ``--help`` text (argparse
#:   ``RawDescriptionHelpFormatter``), laid out as plain text.
VERBATIM_MODULES = ("theorems.cli",)

_ROLE = re.compile(r":(?:[a-z]+:)?[a-z]+:`~?([^`]+)`")
#: Spans of a docstring line that reST reads literally or as roles: left as they are.
_CODE = re.compile(r"(``.+?``|:[a-z:]+:`[^`]+`|`[^`]+`_?)")
#: Plain-text marks that reST would read as markup: ``|x|`` (absolute values in docstrings; reST:
#: a substitution reference, and these docs define none) and ``*args``/``**kwargs`` in a
#: parameter type (reST: emphasis without an end).
_MARKS = re.compile(r"(\|)|(?<![*\w])(\*{1,2})(?=[A-Za-z_])(?=\w+[),\s])")


def claim_modules() -> dict:
    """``{module name: (citation, claim)}`` for every registered claim."""
    from theorems import registry

    out = {}
    for name in registry.PAPERS:
        pkg = importlib.import_module(f"theorems.{name}")
        for mod in pkg.CLAIM_MODULES:
            full = f"theorems.{name}.{mod}"
            out[full] = (pkg.PAPER, importlib.import_module(full).CLAIM)
    return out


def is_verbatim(modname: str) -> bool:
    return modname in VERBATIM_MODULES or modname in claim_modules()


def verbatim(text: str) -> list:
    """``text`` as the lines of a reST literal block (roles reduced to their target)."""
    body = [("    " + _ROLE.sub(r"\1", line)).rstrip() for line in text.splitlines()]
    return ["::", ""] + body + [""]


def esc(text: str) -> str:
    """Inline text with reST markup characters escaped (labels hold ``*``, ``_``, ``|``)."""
    return re.sub(r"([\\*_`|])", r"\\\1", text)


def title(text: str, char: str) -> list:
    return [text, char * len(text), ""]


def claim_page(modname: str, citation: str, claim) -> str:
    mod = importlib.import_module(modname)
    lines = [f".. _claim-{claim.key}:", ""]
    lines += title(f"{claim.key}: {esc(claim.label)}", "=")
    lines += [esc(claim.title), "",
              f":Paper: {esc(citation)}",
              f":Module: :mod:`{modname}`",
              f":Check it: ``python -m theorems verify --only {claim.key}``", ""]
    lines += title("Default instance", "-")
    lines += [f"``{claim.default!r}``", "", f"({esc(claim.default.describe())})", ""]
    for head, names, empty, what in (
            ("Measurements", claim.measurements, "none declared yet",
             "the checks its checker can emit (``Measurement.name``)"),
            ("Required assumptions", claim.required, "none declared yet",
             "a failing one puts the instance out of scope (exit status 3)")):
        lines += title(head, "-")
        lines += [f"{len(names)} declared: {what}. The meta-test "
                  "``tests/test_negative_controls.py`` requires a negative control for each.", ""]
        lines += [f"- ``{n}``" for n in names] or [f"- ({empty})"]
        lines += [""]
    lines += title("Statement and numerical reading", "-")
    lines += ["The module docstring of :mod:`" + modname + "`, verbatim:", ""]
    lines += verbatim(inspect.getdoc(mod) or "(no docstring)")
    return "\n".join(lines) + "\n"


def modules() -> list:
    """Every module of :data:`PACKAGES` except :data:`SKIP_MODULES`, in walk order."""
    out = []
    for name in PACKAGES:
        pkg = importlib.import_module(name)
        out.append(name)
        for info in pkgutil.walk_packages(pkg.__path__, prefix=f"{name}."):
            if info.name not in SKIP_MODULES:
                out.append(info.name)
    return out


def api_page(modname: str) -> str:
    """``automodule`` of ``modname``; names that its package re-exports in ``__all__`` are
    documented under the package only (one description per object)."""
    mod = importlib.import_module(modname)
    parent = importlib.import_module(modname.rpartition(".")[0]) if "." in modname else None
    exported = [n for n in getattr(parent, "__all__", ())
                if getattr(mod, n, None) is not None and getattr(parent, n) is getattr(mod, n)]
    lines = title(f"``{modname}``", "=")
    lines += [f".. automodule:: {modname}", "   :members:"]
    if exported:
        lines += [f"   :exclude-members: {', '.join(exported)}", ""]
        lines += [f"Documented under :mod:`{parent.__name__}`: "
                  + ", ".join(f":obj:`{parent.__name__}.{n}`" for n in exported) + "."]
    return "\n".join(lines) + "\n"


def report_page(srcdir: Path) -> str:
    report = srcdir / "reproduce" / "REPORT.md"
    head = "# Reproduction report\n\n"
    if report.exists():
        text = report.read_text(encoding="utf-8").lstrip()
        titled = text.startswith("# ")  # the report's own title is the page's, else ours
        return ("" if titled else head) + ("```{include} ../reproduce/REPORT.md\n"
                                           ":relative-images:\n```\n")
    return (head + "`docs/reproduce/REPORT.md` is not in this checkout. Make it with\n\n"
            "```bash\npython -m theorems reproduce --out reproduce-out\n```\n\n"
            "and read `reproduce-out/REPORT.md`.\n")


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def generate(app) -> None:
    src = Path(app.srcdir)
    out = src / "_generated"
    pages = {}
    for modname, (citation, claim) in claim_modules().items():
        pages[f"claims/{claim.key}.rst"] = claim_page(modname, citation, claim)
    for modname in modules():
        pages[f"api/{modname}.rst"] = api_page(modname)
    pages["report.md"] = report_page(src)
    # drop pages of claims or modules that no longer exist
    if out.exists():
        for old in out.rglob("*"):
            if old.is_file() and old.relative_to(out).as_posix() not in pages:
                old.unlink()
    for rel, text in pages.items():
        write(out / rel, text)
    logger.info(f"sensing_docs: {len(pages)} generated pages in {out}")


def plain_marks(line: str) -> str:
    """``line`` with the marks of :data:`_MARKS` escaped outside literals and roles."""
    parts = _CODE.split(line)
    return "".join(p if i % 2 else _MARKS.sub(lambda m: "\\" + "\\".join(m.group(0)), p)
                   for i, p in enumerate(parts))


def process_docstring(app, what, name, obj, options, lines) -> None:
    if what == "module" and is_verbatim(name) and lines:
        lines[:] = verbatim("\n".join(lines))
    else:
        lines[:] = [plain_marks(line) for line in lines]


def no_remote_images(app, doctree) -> None:
    """Warn (an error under ``-W``) on an image fetched from the network: the docs build and
    read offline."""
    from docutils import nodes

    for node in doctree.findall(nodes.image):
        if "://" in node.get("uri", "") or node.get("uri", "").startswith("//"):
            logger.warning(f"remote image {node['uri']!r}: the docs must build offline; commit the "
                           "file under docs/ instead", location=node)


def setup(app):
    app.connect("builder-inited", generate)
    app.connect("doctree-read", no_remote_images)
    # before numpydoc (priority 500), which would otherwise parse the plain text as sections
    app.connect("autodoc-process-docstring", process_docstring, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
