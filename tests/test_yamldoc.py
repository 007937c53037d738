"""``yamldoc.parse`` gives exactly the data of PyYAML's safe loader, with the nodes beside it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mic2025 import yamldoc

REPO = Path(__file__).resolve().parents[1]
BUNDLED = sorted(
    p for folder in ("src/mic2025", "plans", "docs") for p in (REPO / folder).rglob("*.yaml")
)


def pyyaml(text: str) -> object:
    return yaml.load(text, Loader=yaml.SafeLoader)


def test_every_bundled_yaml_file_reads_as_pyyaml_reads_it() -> None:
    assert len(BUNDLED) >= 10
    for path in BUNDLED:
        text = path.read_text(encoding="utf-8")
        node, data = yamldoc.parse(text)
        assert data == pyyaml(text), path
        assert node is not None, path


@pytest.mark.parametrize("text", [
    "a: 2020-01-01\nb: 1.5\nc: null\nd: yes\ne: 0x10\nf: '010'\ng: 2020-01-01 10:00:00\n",
    "a: .inf\nb: -.nan\nc: ~\nd: 1_000\ne: !!str 12\nf: !!float 3\n",
    "<<: {a: 1, b: 3}\nb: 2\n",  # a merge key: PyYAML builds it
    "base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n",
    "s: !!set {a, b}\no: !!omap [{a: 1}, {b: 2}]\np: !!pairs [{a: 1}]\n",
    "a: !!binary aGk=\n",
    "a: 1\na: 2\n",  # a repeated key: the last wins, as in PyYAML
    "- [1, [2, [3, {k: [4]}]]]\n- {}\n- []\n- ''\n",
    "中文: 值\n? 键\n: [一, 二]\n",
])
def test_data_equals_pyyamls(text: str) -> None:
    assert yamldoc.parse(text)[1] == pyyaml(text)


def test_an_alias_is_the_same_object_as_its_anchor() -> None:
    data = yamldoc.parse("a: &x [1, 2]\nb: *x\nc: &m {k: v}\nd: *m\n")[1]
    assert data["a"] is data["b"] and data["c"] is data["d"]


@pytest.mark.parametrize("text", ["? [1]\n: 2\n", "a: !unknown x\n", "a: [1\n", "---\na\n---\nb\n"])
def test_what_pyyaml_refuses_is_refused_alike(text: str) -> None:
    with pytest.raises(yaml.YAMLError) as ours:
        yamldoc.parse(text)
    with pytest.raises(yaml.YAMLError) as theirs:
        pyyaml(text)
    assert type(ours.value) is type(theirs.value)


def test_an_empty_document_is_none() -> None:
    assert yamldoc.parse("") == (None, None)
    assert yamldoc.parse("# only a comment\n") == (None, None)


def test_deep_nesting_reads_as_pyyaml_reads_it() -> None:
    # past about 450 levels this module's recursion gives up and PyYAML builds the document
    for depth in (300, 700):
        text = "[" * depth + "]" * depth
        expected = yaml.load(text, Loader=yamldoc.LOADER)
        assert yamldoc.parse(text)[1] == expected
