"""Reading a YAML document once, as both its node tree (with line numbers) and its data.

Plan files, follow-up files (owners, supervision, warning rules) and their errors name the
line a value came from, so they need the composed node tree beside the data. Composing and
then loading the same text parses it twice; :func:`parse` composes once and constructs the
data from that tree, with libyaml's C parser where PyYAML was built with it (about five
times faster than the pure-Python parser on the seed plan, which every command and every
platform start reads) and a constructor of its own for plain documents (see
:func:`_construct`). Both parsers give the same nodes, data and marks.
"""

from __future__ import annotations

from typing import Any

import yaml

#: the safe loader: libyaml's when PyYAML has it, else the pure-Python one
LOADER: type[yaml.SafeLoader] | type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse(text: str) -> tuple[yaml.Node | None, Any]:
    """The document's root node and its data (``None, None`` for an empty document).

    Raises :class:`yaml.YAMLError` (with ``problem_mark`` where the parser knows it) for
    text that is not YAML, or holds more than one document.
    """
    loader = LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        try:
            data = _construct(node, loader)
        except _Unusual:
            data = loader.construct_document(node)
    finally:
        loader.dispose()
    return node, data


class _Unusual(Exception):
    """The tree holds something :func:`_construct` leaves to PyYAML's own constructor."""


_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


def _construct(node: yaml.Node, loader: Any) -> Any:
    """The data of ``node``, as PyYAML's safe constructor makes it, about three times faster.

    Plain mappings, sequences and scalars are built here; a scalar of another type than text
    goes to the safe constructor's own function for its tag (so numbers, dates, booleans and
    nulls are exactly PyYAML's). Anything less usual — a merge key (``<<``), a key that is
    not a scalar, a set or ordered map, nesting deeper than the interpreter's recursion limit —
    raises :class:`_Unusual`, and the whole document is built by PyYAML instead, errors
    included.
    Aliases give the same object, as in PyYAML.
    """
    built: dict[int, Any] = {}
    scalars = loader.yaml_constructors

    def build(n: yaml.Node) -> Any:
        kind = type(n)
        if kind is yaml.ScalarNode:
            if n.tag == _STR:
                return n.value
            return scalars[n.tag](loader, n)
        key = id(n)
        if key in built:
            return built[key]
        if kind is yaml.MappingNode and n.tag == _MAP:
            out: dict[Any, Any] = {}
            built[key] = out
            for k, v in n.value:
                if type(k) is not yaml.ScalarNode or k.tag == _MERGE:
                    raise _Unusual
                out[build(k)] = build(v)
            return out
        if kind is yaml.SequenceNode and n.tag == _SEQ:
            items: list[Any] = []
            built[key] = items
            items.extend(build(x) for x in n.value)
            return items
        raise _Unusual

    try:
        return build(node)
    except (KeyError, RecursionError, TypeError):
        # an unknown tag, nesting too deep, an unhashable key: PyYAML says what it says
        raise _Unusual from None
