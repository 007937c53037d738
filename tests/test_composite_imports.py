"""The composite engine's modules form an acyclic import graph, and none reaches into
another's private names.

Imports inside functions count: they only postpone a cycle to call time. ``import`` and
``from ... import`` are read from the source (ast), so the test sees every import whether or
not it has run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import mic2025.composite

PACKAGE = "mic2025.composite"
ROOT = Path(mic2025.composite.__file__).resolve().parent
SRC = ROOT.parents[1]


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    rel = Path(*name.split("."))
    return (SRC / rel).with_suffix(".py").is_file() or (SRC / rel / "__init__.py").is_file()


def _imports(path: Path) -> list[tuple[str, tuple[str, ...], int]]:
    """(imported module, names taken from it, line) for every import in the file."""
    out: list[tuple[str, tuple[str, ...], int]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.extend((a.name, (), node.lineno) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                here = _module_name(path).split(".")
                base = here if path.name == "__init__.py" else here[:-1]
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            names = tuple(a.name for a in node.names)
            # `from pkg import submodule` depends on the submodule itself
            subs = [n for n in names if _is_module(f"{module}.{n}")]
            out.extend((f"{module}.{n}", (), node.lineno) for n in subs)
            rest = tuple(n for n in names if n not in subs)
            if rest:
                out.append((module, rest, node.lineno))
    return out


def _module_attributes(path: Path) -> list[tuple[int, str, str]]:
    """(line, module, attribute) for each ``alias.attribute`` where alias names a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else \
                    a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                if _is_module(f"{node.module}.{a.name}"):
                    aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    return [(node.lineno, aliases[node.value.id], node.attr) for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id in aliases]


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in sorted(ROOT.rglob("*.py")):
        name = _module_name(path)
        graph[name] = {m for m, _, _ in _imports(path)
                       if m.startswith(PACKAGE) and m != name and m != PACKAGE}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, if there is any (depth-first search)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                return [*stack[stack.index(dep):], dep]
            if dep not in state and (found := visit(dep)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_the_composite_import_graph_has_no_cycle() -> None:
    graph = _graph()
    assert f"{PACKAGE}.weights" in graph and f"{PACKAGE}.framework" in graph
    cycle = _cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_the_checks_see_private_names(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from mic2025.composite import framework as fw\n"
                      "from mic2025.composite.report import _t\n"
                      "def f():\n    return fw._check_tree\n", encoding="utf-8")
    assert _module_attributes(sample) == [(4, "mic2025.composite.framework", "_check_tree")]
    assert ("mic2025.composite.report", ("_t",), 2) in _imports(sample)


def test_no_private_name_is_taken_across_modules() -> None:
    """Neither inside the engine nor from it elsewhere in the package."""
    taken = []
    for path in sorted(SRC.joinpath("mic2025").rglob("*.py")):
        inside = _module_name(path).startswith(PACKAGE)
        for module, names, line in _imports(path):
            if not (module.startswith(PACKAGE) or (inside and module.startswith("mic2025"))):
                continue
            private = [n for n in names if n.startswith("_")]
            if private or any(part.startswith("_") and part != "__init__"
                              for part in module.split(".")):
                taken.append(f"{path.relative_to(SRC)}:{line}: {module} {private}")
        for line, module, attr in _module_attributes(path):
            if attr.startswith("_") and not attr.startswith("__") and (
                    module.startswith(PACKAGE) or (inside and module.startswith("mic2025"))):
                taken.append(f"{path.relative_to(SRC)}:{line}: {module}.{attr}")
    assert taken == []
