"""Helpers shared by the microdata tests."""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa


def one_province(population: pa.Table, codes: Sequence[str] = ("11",)) -> pa.Table:
    """``population`` with every enterprise moved to the province ``codes[0]`` (the area
    code's first two digits replaced), or spread over ``codes`` by its own province code;
    metadata kept.

    The certainty rule keeps a province's cut only where the take-some sample left meets
    Cochran's rule, which needs provinces of full-size scale (a take-some sample of a hundred
    units or more); a small test population spread over 31 provinces has none. Gathered into
    one province (or a few), a few thousand enterprises a year are such a province.
    """
    at = population.schema.get_field_index("area")
    field = population.schema.field(at)
    area = population.column("area").cast(pa.string()).to_pylist()
    moved = pa.array([codes[int(a[:2]) % len(codes)] + a[2:] for a in area]).cast(field.type)
    return population.set_column(at, field, moved)
