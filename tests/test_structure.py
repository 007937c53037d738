"""The code's structure as tests: the layers, no import circles, no private names taken.

The layers and the absence of import circles are import-linter contracts
(``[tool.importlinter]`` in pyproject.toml; ``make test`` runs ``lint-imports`` too, function-
level imports included). What import-linter cannot see — a name that starts with an
underscore, taken from another module — is checked here by reading the source.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SLOW_MODULES

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src" / "mic2025"


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _absolute(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    """The module an ``import from`` names, relative imports resolved."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_imports(root: Path = SRC) -> list[str]:
    """``file:line: module takes name from other`` for every private name taken across
    modules: ``from other import _name`` and ``other._name`` where ``other`` is a module or
    a name imported from one of the package (migrations, frozen snapshots, are left out)."""
    modules = {_module_name(p, root) for p in root.rglob("*.py")}
    found = []
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        module = _module_name(path, root)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        bound: dict[str, str] = {}  # a local name -> what of the package it stands for
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                source = _absolute(module, node, path.name == "__init__.py")
                for alias in node.names:
                    if _private(alias.name) and source != module:
                        found.append(f"{path.relative_to(root)}:{node.lineno}: {module} takes "
                                     f"{alias.name} from {source}")
                    bound[alias.asname or alias.name] = f"{source}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    bound[alias.asname or alias.name.split(".")[0]] = alias.name
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and _private(node.attr)
                    and isinstance(node.value, ast.Name) and node.value.id in bound
                    and bound[node.value.id] in modules):
                found.append(f"{path.relative_to(root)}:{node.lineno}: {module} takes "
                             f"{node.attr} from {bound[node.value.id]}")
    return found


def test_no_module_takes_another_modules_private_names() -> None:
    assert private_imports() == []


def test_the_check_sees_private_names_taken(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    (root / "sub").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "sub" / "__init__.py").write_text("")
    (root / "sub" / "a.py").write_text("def _hidden():\n    return 1\n\n\ndef shown():\n"
                                       "    return _hidden()\n")
    (root / "sub" / "b.py").write_text("from .a import _hidden\n")
    (root / "c.py").write_text("from .sub import a\n\nx = a._hidden()\n")
    (root / "d.py").write_text("import pkg.sub.a as alias\n\ny = alias._hidden\n")
    assert private_imports(root) == [
        "c.py:3: pkg.c takes _hidden from pkg.sub.a",
        "d.py:3: pkg.d takes _hidden from pkg.sub.a",
        "sub/b.py:1: pkg.sub.b takes _hidden from pkg.sub.a",
    ]


def _lint_imports() -> str:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    return exe


def test_the_layer_and_circle_contracts_hold() -> None:
    proc = subprocess.run([_lint_imports(), "--no-cache"], cwd=REPO, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "2 kept, 0 broken" in proc.stdout


def test_the_contracts_see_an_upward_import_and_a_circle(tmp_path: Path) -> None:
    # the same contracts on a copy of the package with one import upwards (store → web) and
    # one circle (plan ↔ yamldoc) must both break
    copy = tmp_path / "src"
    shutil.copytree(SRC, copy / "mic2025", ignore=shutil.ignore_patterns(
        "__pycache__", "vendor", "data", "plans", "templates", "static"))
    with (copy / "mic2025" / "store" / "db.py").open("a", encoding="utf-8") as fh:
        fh.write("\nfrom ..web import app as _upwards  # noqa\n")
    with (copy / "mic2025" / "yamldoc.py").open("a", encoding="utf-8") as fh:
        fh.write("\nfrom . import plan as _circle  # noqa\n")
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    proc = subprocess.run([_lint_imports(), "--no-cache"], cwd=tmp_path, capture_output=True,
                          text=True, check=False, env={"PYTHONPATH": str(copy), "PATH": ""})
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "0 kept, 2 broken" in proc.stdout
    assert "mic2025.store.db -> mic2025.web.app" in proc.stdout


def test_a_module_skipped_when_slow_tests_are_deselected_is_wholly_slow() -> None:
    """``conftest.SLOW_MODULES`` are not even imported by ``-m "not slow"``: that is only
    right when every test in them is slow, which a module-wide ``pytestmark`` guarantees."""
    tests = Path(__file__).resolve().parent
    for name in SLOW_MODULES:
        tree = ast.parse((tests / name).read_text(encoding="utf-8"))
        marks = [ast.unparse(n.value) for n in tree.body if isinstance(n, ast.Assign)
                 and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in n.targets)]
        assert marks == ["pytest.mark.slow"], name
