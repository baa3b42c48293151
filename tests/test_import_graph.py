"""The import graph of index/ has no cycle (scripts/import_graph.py), and the script finds one when
there is one: lazy imports and packages on the way count, type-checking imports do not. The store's
rooms (local/, milvus/) are entered through the contract only, and rawi/ and bot/ import from
index/ only its front door (service.py), its errors and its settings, type-only imports included."""

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


def test_the_store_rooms_and_the_front_door_are_kept():
    result = run(str(ROOT / "index"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 room breach(es), 0 import(s) past the front door" in result.stdout
    assert "room breach:" not in result.stdout and "past the front door:" not in result.stdout


def test_a_room_entered_from_outside_and_a_client_past_the_door_are_reported(tmp_path):
    index = tmp_path / "index"
    (index / "store" / "local").mkdir(parents=True)
    (index / "store" / "milvus").mkdir()
    for init in ("", "store", "store/local", "store/milvus"):
        (index / init / "__init__.py").write_text("")
    (index / "store" / "__init__.py").write_text("def open_backend():\n    from .local import rows\n")
    (index / "store" / "local" / "rows.py").write_text("ROWS = 1\n")
    (index / "store" / "milvus" / "schema.py").write_text("from ..local.rows import ROWS  # a room from another\n")
    (index / "build.py").write_text("from .store.local import rows\n")
    for name in ("service", "errors", "settings", "evaluation"):
        (index / f"{name}.py").write_text("")
    (tmp_path / "rawi").mkdir()
    (tmp_path / "rawi" / "__init__.py").write_text("")
    (tmp_path / "rawi" / "cli.py").write_text(
        "from typing import TYPE_CHECKING\nfrom index.service import x\nfrom index import errors, settings\n"
        "def f():\n    from index import evaluation\nif TYPE_CHECKING:\n    from index.store.local.rows import ROWS\n"
    )
    result = run(str(index))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "room breach: index.build -> index.store.local" in result.stdout
    assert "room breach: index.store.milvus.schema -> index.store.local.rows" in result.stdout
    assert "room breach: index.store -> " not in result.stdout  # open_backend may enter
    assert "past the front door: rawi.cli -> index.evaluation" in result.stdout
    assert "past the front door: rawi.cli -> index.store.local.rows" in result.stdout  # type-only counts too
    assert "rawi.cli -> index.service" not in result.stdout and "rawi.cli -> index.errors" not in result.stdout
