"""Sphinx configuration. Builds offline: no intersphinx, no remote images or scripts.

``python -m sphinx -W --keep-going -b html docs docs/_build/html`` (tests/test_docs.py runs it).
"""
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE / "_ext")]

project = "sensing-theorems"
author = "the sensing-theorems authors"
copyright = "2026, the sensing-theorems authors"
release = version = "0.1.0"

extensions = [
    "sphinx.ext.autodoc",
    "numpydoc",
    "myst_parser",
    "sensing_docs",  # _ext/: claim pages, API pages and the report page, generated at build time
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
# reproduce/ is the output of `python -m theorems reproduce`: its REPORT.md is included by the
# generated report page, not built as a page of its own
exclude_patterns = ["_build", "reproduce/**", "README.md", ".gitignore"]

autodoc_member_order = "bysource"
autodoc_default_options = {"undoc-members": False}
# numpydoc: no per-class member tables (autodoc already lists the members)
numpydoc_show_class_members = False
numpydoc_xref_param_type = False

myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]

html_theme = "alabaster"
html_title = "sensing-theorems"
html_static_path = []
