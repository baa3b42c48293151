"""The import graph of a package (index/ by default), its cycles, its rooms and its front door.

    python scripts/import_graph.py [PACKAGE_DIR] [--graph]

Every import counts, the ones inside a function too (a lazy import closes a cycle as surely as
one at the top), except those under ``if TYPE_CHECKING:``, which never run; they are listed
apart. Importing ``a.b.c`` runs the packages ``a.b`` on the way, so an import of a submodule is
also an edge to each package above it that the importer is not itself inside. Prints each cycle
(one strongly connected component: its modules, and the imports that join them) and exits 1 if
there is any, 0 if none; ``--graph`` prints every module's imports first.

Two more rules, each breach printed on a line of its own and exiting 1 (type-only imports count
here, as a room's or the door's types are its own business too):

* rooms (``ROOMS``): only a room's own modules, and the few named beside it, import a module
  of the room: index/store/local/ and index/store/milvus/ are reached through the store's
  contract (``open_backend``), never from the rest of index/ nor from each other;
* the front door (``FRONT_DOOR``): the packages beside PACKAGE_DIR that use it (``CLIENTS``:
  rawi/ and bot/ for index/) import from it only its entry point, its errors and its settings.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from pathlib import Path


def modules(root: Path) -> dict[str, Path]:
    """Dotted name -> file of every module under the package folder `root` (named for the folder)."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Ids of the import nodes under ``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``)."""
    hidden: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else test.attr if isinstance(test, ast.Attribute) else ""
            if name == "TYPE_CHECKING":
                hidden |= {id(inner) for stmt in node.body for inner in ast.walk(stmt)}
    return hidden


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> Iterator[str]:
    """The dotted names an import statement may load (a name from a package may be a submodule)."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    yield prefix
    for alias in node.names:
        yield f"{prefix}.{alias.name}"


def graph(root: Path) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(imports that run, imports only for the type checker), each as module -> modules of `root`."""
    known = modules(root)
    runs: dict[str, set[str]] = {name: set() for name in known}
    typing_only: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        hidden = _type_checking_only(tree)
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            edges = typing_only[name] if id(node) in hidden else runs[name]
            for target in _targets(node, name, path.name == "__init__.py"):
                parts = target.split(".")
                for n in range(1, len(parts) + 1):  # the packages on the way, then the module itself
                    step = ".".join(parts[:n])
                    if step in known and step != name and not name.startswith(step + "."):
                        edges.add(step)
    return runs, typing_only


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module, or of one importing itself (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in edges.get(node, ()):
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(edges) + 100))
    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(found)


# room -> the modules outside it that may import it (the store's ``open_backend``).
ROOMS = {"index.store.local": {"index.store"}, "index.store.milvus": {"index.store"}}
# package -> the packages beside it that use it, and the modules of it they may import.
CLIENTS = {"index": ("rawi", "bot")}
FRONT_DOOR = {"index": {"index", "index.service", "index.errors", "index.settings"}}


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def room_breaches(edges: dict[str, set[str]], rooms: dict[str, set[str]] = ROOMS) -> list[str]:
    """``a -> b`` for each import of a room's module ``b`` from a module ``a`` outside the room not let in."""
    found = []
    for room, let_in in sorted(rooms.items()):
        for module in sorted(edges):
            if _inside(module, room) or module in let_in:
                continue
            found += [f"{module} -> {target}" for target in sorted(edges[module]) if _inside(target, room)]
    return found


def client_imports(client: Path, package: Path) -> dict[str, set[str]]:
    """Each module of the package folder `client` -> the modules of the package folder `package` it
    imports (type-only imports too; a name imported from a module counts as that module)."""
    known = modules(package)
    found: dict[str, set[str]] = {}
    for name, path in modules(client).items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for target in _targets(node, name, path.name == "__init__.py"):
                parts = target.split(".")
                steps = [".".join(parts[:n]) for n in range(len(parts), 0, -1)]
                module = next((step for step in steps if step in known), None)
                if module is not None:
                    found.setdefault(name, set()).add(module)
    return found


def door_breaches(package: Path) -> list[str]:
    """``client -> module`` for each import of `package` by its CLIENTS beside it outside FRONT_DOOR."""
    door = FRONT_DOOR.get(package.name)
    if door is None:
        return []
    found = []
    for client in CLIENTS.get(package.name, ()):
        folder = package.parent / client
        if folder.is_dir():
            for module, targets in sorted(client_imports(folder, package).items()):
                found += [f"{module} -> {target}" for target in sorted(targets - door)]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package", nargs="?", default=str(Path(__file__).resolve().parent.parent / "index"))
    parser.add_argument("--graph", action="store_true", help="print every module's imports first")
    args = parser.parse_args(argv)
    runs, typing_only = graph(Path(args.package).resolve())
    if args.graph:
        for name in sorted(runs):
            print(f"{name} -> {', '.join(sorted(runs[name])) or '-'}")
    found = cycles(runs)
    for component in found:
        members = set(component)
        joins = [f"{a} -> {b}" for a in component for b in sorted(runs[a] & members)]
        print(f"cycle: {', '.join(component)} ({'; '.join(joins)})")
    type_cycles = [c for c in cycles({n: runs[n] | typing_only[n] for n in runs}) if c not in found]
    for component in type_cycles:
        print(f"type-only cycle (allowed): {', '.join(component)}")
    rooms = room_breaches({n: runs[n] | typing_only[n] for n in runs})
    for breach in rooms:
        print(f"room breach: {breach}")
    door = door_breaches(Path(args.package).resolve())
    for breach in door:
        print(f"past the front door: {breach}")
    print(f"{len(rooms)} room breach(es), {len(door)} import(s) past the front door")
    print(f"{len(runs)} modules, {sum(map(len, runs.values()))} imports, {len(found)} cycle(s)")
    return 1 if found or rooms or door else 0


if __name__ == "__main__":
    sys.exit(main())
