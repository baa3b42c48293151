"""The import graph of index/ has no cycle (scripts/import_graph.py), and the script finds one when
there is one: lazy imports and packages on the way count, type-checking imports do not."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

SCRIPT = ROOT / "scripts" / "import_graph.py"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=120)


def test_index_has_no_import_cycle():
    result = run(str(ROOT / "index"), "--graph")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "\ncycle:" not in "\n" + result.stdout and result.stdout.rstrip().endswith(" 0 cycle(s)")
    graph = dict(line.split(" -> ") for line in result.stdout.splitlines() if " -> " in line and ":" not in line)
    assert graph["index.articles"] == "index.formats, index.formats.plain, index.traversal"
    assert "index.articles" not in graph["index.formats.plain"] and "index.articles" not in graph["index.formats"]


def test_a_lazy_import_through_a_package_is_a_cycle_and_a_type_only_one_is_not(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "top.py").write_text("from .sub.leaf import thing\n")
    (package / "sub" / "__init__.py").write_text("def f():\n    from ..top import x  # lazy\n")
    (package / "sub" / "leaf.py").write_text("thing = 1\n")
    (package / "hint.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .typed import T\n")
    (package / "typed.py").write_text("from .hint import H\n")
    result = run(str(package))
    assert result.returncode == 1
    assert "cycle: pkg.sub, pkg.top (pkg.sub -> pkg.top; pkg.top -> pkg.sub)" in result.stdout
    assert "type-only cycle (allowed): pkg.hint, pkg.typed" in result.stdout
    assert result.stdout.rstrip().endswith(" 1 cycle(s)")
