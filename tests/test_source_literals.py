"""A lint: the national code and the default method are named in one place each.

An area default is the plan's (``Plan.area``), a method default the registry's
(``mic2025.evaluate.methods.DEFAULT_METHOD``), and "the national total" as a code-list fact
is ``mic2025.reference.NATIONAL``. Writing their values as literals elsewhere is how a
platform started with a regional plan came to show the national overview.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "mic2025"
LITERALS = ("000000", "statcan")
#: where the values are data: the code lists, the plan files, the method registry, migrations
EXEMPT = ("reference", "plans", "evaluate/methods.py", "store/migrations")
#: a literal that is neither an area nor a method: (file, text on its line, why)
NOT_A_CODE = [
    ("report/docx.py", 'qn("w:color")', "an RGB colour (black) in a Word document"),
]


def _exempt(path: Path) -> bool:
    rel = path.relative_to(SRC).as_posix()
    return any(rel == e or rel.startswith(e + "/") for e in EXEMPT)


def _allowed(rel: str, line: str) -> bool:
    return any(rel == f and text in line for f, text, _ in NOT_A_CODE)


def python_literals() -> list[str]:
    """Every string constant of the Python sources that is one of :data:`LITERALS`."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if _exempt(path):
            continue
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        rel = path.relative_to(SRC).as_posix()
        for node in ast.walk(ast.parse(source, filename=str(path))):
            if (isinstance(node, ast.Constant) and node.value in LITERALS
                    and not _allowed(rel, lines[node.lineno - 1])):
                found.append(f"{rel}:{node.lineno}: {node.value!r}")
    return found


def template_literals() -> list[str]:
    """Every line of a page template that writes one of :data:`LITERALS`."""
    found = []
    for path in sorted(SRC.rglob("*.j2")):
        if _exempt(path):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            found += [f"{path.relative_to(SRC).as_posix()}:{number}: {lit!r}"
                      for lit in LITERALS if lit in line]
    return found


def test_no_national_code_or_method_name_is_written_outside_the_reference_data() -> None:
    assert python_literals() == []
    assert template_literals() == []


def test_the_lint_sees_what_it_looks_for() -> None:
    # the registry and the code list do hold the values, so a lint that never matches is broken
    registry = (SRC / "evaluate/methods.py").read_text(encoding="utf-8")
    reference = (SRC / "reference/__init__.py").read_text(encoding="utf-8")
    assert 'DEFAULT_METHOD = "statcan"' in registry and 'NATIONAL = "000000"' in reference
    assert all(SRC.joinpath(f).is_file() for f, _, _ in NOT_A_CODE)
