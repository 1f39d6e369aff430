"""A fitted scorecard as one portable SQL expression that DuckDB and Spark SQL evaluate alike.

Portability rules kept here: identifiers are plain unquoted names (DuckDB quotes with "", Spark with
``, so neither quoting is used); every number is written with an exponent (`718.0e0`), which both
dialects read as DOUBLE, never as DECIMAL; text literals may not hold a quote or a backslash (Spark
treats backslash as an escape, DuckDB does not). Missing means SQL NULL; DuckDB reads a pandas NaN
as NULL, but a stored floating NaN sorts above every number in both dialects and would take the last
bin, so store missing values as NULL.
"""

from __future__ import annotations

import math
import re

from xinyong.errors import InvalidInput
from xinyong.scoring.scorecard import FeatureCard, ScorecardModel

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def score_expression(model: ScorecardModel) -> str:
    """`intercept + CASE ... END + ...`, added left to right in the model's feature order, as
    `score_frame` does, so both give the same doubles."""
    parts = [_double(model.intercept_points)]
    parts.extend(_case(card) for card in model.features)
    return "\n  + ".join(parts)


def to_sql(model: ScorecardModel, table: str, id_column: str) -> str:
    """`SELECT id, <score expression> AS score FROM table` for every row of `table`."""
    _identifier(table, "table", dotted=True)
    _identifier(id_column, "id_column")
    return f"SELECT {id_column},\n  {score_expression(model)} AS score\nFROM {table}"


def _case(card: FeatureCard) -> str:
    column = _identifier(card.code, card.code)
    lines = [f"CASE WHEN {column} IS NULL THEN {_double(card.missing_points)}"]
    if card.kind == "numeric":
        for edge, points in zip(card.edges, card.points, strict=False):
            lines.append(f"WHEN {column} < {_double(edge)} THEN {_double(points)}")
        lines.append(f"ELSE {_double(card.points[-1])} END")
    else:
        for group, points in zip(card.categories, card.points, strict=True):
            if group:
                listed = ", ".join(_text(c, card.code) for c in group)
                lines.append(f"WHEN {column} IN ({listed}) THEN {_double(points)}")
        unknown = card.missing_points if card.unknown_points is None else card.unknown_points
        lines.append(f"ELSE {_double(unknown)} END")
    return "\n    ".join(lines)


def _double(value: float) -> str:
    """A DOUBLE literal in both dialects; repr round-trips the float exactly."""
    if not math.isfinite(value):
        raise InvalidInput(f"cannot write {value!r} as a SQL number", field="points")
    text = repr(float(value))
    return text if "e" in text else f"{text}e0"


def _text(value: str, code: str) -> str:
    if "'" in value or "\\" in value:
        raise InvalidInput(f"category {value!r} holds a quote or backslash, not portable to SQL", field=code)
    return f"'{value}'"


def _identifier(name: str, field: str, *, dotted: bool = False) -> str:
    parts = name.split(".") if dotted else [name]
    if not all(_IDENTIFIER.fullmatch(p) for p in parts):
        raise InvalidInput(f"{name!r} is not a plain SQL identifier (letters, digits, _)", field=field)
    return name
