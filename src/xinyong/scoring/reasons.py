"""Reason codes: the features that cost an entity the most points against the best bin it could reach.

A feature's loss is points_max(feature) - points(entity's bin), where points_max is taken over the
bins that held training rows (an empty bin is not attainable evidence). Losses are ranked largest
first; equal losses (to 1e-9 points) are ordered by feature code, so the result never depends on
dictionary or model order. Features with no loss are never reasons.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from xinyong.errors import InvalidInput
from xinyong.scoring.scorecard import FeatureCard, ScorecardModel, bin_indices, points_frame

ReasonKind = Literal["feature", "deduction", "addition", "override", "cap"]
DEFAULT_REASONS = 4  # regulators find more than four principal reasons unhelpful (Reg B commentary)
_TIE = 1e-9


@dataclass(frozen=True)
class ReasonLabel:
    """Caller-supplied templates; fields: {feature}, {value}, {bin}, {points}, {best}, {lost}."""

    zh: str
    en: str


@dataclass(frozen=True)
class Reason:
    """One explained item of a rating, shared by statistical and rule scorecards.

    `points` is the signed effect on the score: negative costs points (a feature below its best bin,
    a deduction), positive adds them; overrides and caps act on the grade and carry 0.
    """

    code: str
    kind: ReasonKind
    points: float
    label_zh: str
    label_en: str


def best_points(card: FeatureCard) -> float:
    """The most points any bin of the feature that held training rows gives."""
    attainable = [p for p, n in zip(card.points, card.counts, strict=True) if n] or list(card.points)
    return max(attainable)


def points_lost(model: ScorecardModel, frame: pd.DataFrame) -> npt.NDArray[np.float64]:
    """Points lost per row and feature against the feature's best bin, never negative."""
    best = np.asarray([best_points(card) for card in model.features], dtype=np.float64)
    lost: npt.NDArray[np.float64] = np.maximum(best - points_frame(model, frame), 0.0)
    return lost


def top_reasons(model: ScorecardModel, frame: pd.DataFrame, k: int = DEFAULT_REASONS) -> list[list[tuple[str, float]]]:
    """For every row, up to `k` (feature code, points lost) pairs, biggest loss first."""
    if k < 1:
        raise InvalidInput("must be at least 1", field="k")
    lost = points_lost(model, frame)
    codes = [card.code for card in model.features]
    by_code = np.argsort(np.asarray(codes))
    # Round away float noise, then a stable sort on the loss keeps the code order among equals.
    keyed = -np.round(lost[:, by_code] / _TIE) * _TIE
    order = by_code[np.argsort(keyed, axis=1, kind="stable")[:, :k]]
    result: list[list[tuple[str, float]]] = []
    for row, picks in enumerate(order):
        result.append([(codes[j], float(lost[row, j])) for j in picks if lost[row, j] > _TIE])
    return result


def explain(
    model: ScorecardModel,
    entity: Mapping[str, Any],
    labels: Mapping[str, ReasonLabel],
    k: int = DEFAULT_REASONS,
) -> tuple[Reason, ...]:
    """The reason codes of one entity, with its labels filled in, biggest loss first."""
    row = pd.DataFrame({card.code: _column(card, entity) for card in model.features})
    reasons = []
    for code, lost in top_reasons(model, row, k)[0]:
        card = model.feature(code)
        label = labels.get(code)
        if label is None:
            raise InvalidInput("no reason label supplied for this feature", field=code)
        index = int(bin_indices(card, row[code])[0])
        value = entity[code]
        fields = {
            "feature": code,
            "value": "" if value is None or (isinstance(value, float) and np.isnan(value)) else value,
            "bin": card.bin_label(index),
            "points": best_points(card) - lost,
            "best": best_points(card),
            "lost": lost,
        }
        reasons.append(
            Reason(
                code=code,
                kind="feature",
                points=-lost,
                label_zh=fill(label.zh, fields, code),
                label_en=fill(label.en, fields, code),
            )
        )
    return tuple(reasons)


def fill(template: str, fields: Mapping[str, object], code: str) -> str:
    """Fill a label template, naming the feature or rule when the template asks for an unknown field."""
    try:
        return template.format_map(fields)
    except (KeyError, IndexError, ValueError) as exc:
        raise InvalidInput(f"label template {template!r} cannot be filled: {exc}", field=code) from exc


def _column(card: FeatureCard, entity: Mapping[str, Any]) -> pd.Series[Any]:
    if card.code not in entity:
        raise InvalidInput("feature value missing for the entity", field=card.code)
    value = entity[card.code]
    if card.kind == "numeric":
        if value is not None and not isinstance(value, int | float):
            raise InvalidInput(f"numeric feature given {value!r}", field=card.code)
        return pd.Series([np.nan if value is None else float(value)], dtype=np.float64)
    return pd.Series([value], dtype=object)
