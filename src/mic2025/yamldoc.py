"""Reading a YAML document once, as both its node tree (with line numbers) and its data.

Plan files, follow-up files (owners, supervision, warning rules) and their errors name the
line a value came from, so they need the composed node tree beside the data. Composing and
then loading the same text parses it twice; :func:`parse` composes once and constructs the
data from that tree, with libyaml's C parser where PyYAML was built with it (about five
times faster than the pure-Python parser on the seed plan, which every command and every
platform start reads). Both parsers give the same nodes, data and marks.
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
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return node, data
