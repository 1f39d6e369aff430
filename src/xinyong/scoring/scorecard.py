"""The statistical scorecard: monotone bins, WoE logistic regression and PDO points, as a plain model.

Encoding. WoE is ln(share of goods / share of bads) (OptBinning's sign), the regression predicts the
probability of *bad*, so the expected sign of every coefficient is **negative**: a bin with more goods
than average (WoE > 0) must lower the bad probability. Scaling: score = offset + factor * ln(odds_good)
with factor = PDO / ln 2 and offset = base_score - factor * ln(base_odds); higher is safer. Because
ln(odds_good) = -(b0 + sum b_j * woe_j), the score splits exactly into intercept points
offset - factor * b0 plus, per feature, bin points -factor * b_j * woe_bin.

A fitted `ScorecardModel` is plain data: scoring needs NumPy and pandas only, never OptBinning or
scikit-learn, and the same points can run as SQL (`xinyong.scoring.sql`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from xinyong.errors import InvalidInput
from xinyong.scoring.binning import (
    DIRECTIONS,
    BinningOptions,
    Direction,
    FeatureBins,
    Kind,
    check_target,
    check_text,
    fit_bins,
    numeric_values,
)

MODEL_FORMAT = "xinyong.scorecard/1"


@dataclass(frozen=True)
class Scaling:
    """Points scaling: `base_score` points at good:bad odds `base_odds`; odds double every `pdo` points."""

    base_score: float = 600.0
    base_odds: float = 19.0
    pdo: float = 50.0

    @property
    def factor(self) -> float:
        return self.pdo / math.log(2.0)

    @property
    def offset(self) -> float:
        return self.base_score - self.factor * math.log(self.base_odds)


@dataclass(frozen=True)
class FeatureCard:
    """One feature's bins and points. Numeric bins are (-inf, e0), [e0, e1), ..., [e_last, inf).

    `missing_points` apply to a missing value, `unknown_points` to a category never seen in training;
    `counts` are the training rows per bin, so reasons can skip bins nobody was in.
    """

    code: str
    kind: Kind
    direction: Direction | None
    edges: tuple[float, ...]
    categories: tuple[tuple[str, ...], ...]
    points: tuple[float, ...]
    woe: tuple[float, ...]
    counts: tuple[int, ...]
    bad_rates: tuple[float, ...]
    missing_points: float
    missing_count: int
    unknown_points: float | None
    coefficient: float
    iv: float

    @property
    def n_bins(self) -> int:
        return len(self.points)

    def bin_label(self, index: int) -> str:
        """A language-neutral description of a bin, e.g. `[718, 3913.5)` or `car (new), repairs`."""
        if index == self.n_bins:
            return "missing"
        if index == self.n_bins + 1:
            return "unknown"
        if self.kind == "categorical":
            return ", ".join(self.categories[index])
        low = "-inf" if index == 0 else f"{self.edges[index - 1]:g}"
        high = "inf" if index == len(self.edges) else f"{self.edges[index]:g}"
        return f"[{low}, {high})" if index else f"({low}, {high})"


@dataclass(frozen=True)
class ScorecardModel:
    """A fitted, versioned scorecard: intercept points plus the points of each feature's bin."""

    version: str
    scaling: Scaling
    intercept: float
    intercept_points: float
    features: tuple[FeatureCard, ...]
    excluded: Mapping[str, str] = field(default_factory=dict)
    # The regression's C and, when it was chosen by cross-validation, the mean held-out AUC of each C tried.
    regularization: float | None = None
    cv_auc: Mapping[float, float] = field(default_factory=dict)

    def feature(self, code: str) -> FeatureCard:
        for card in self.features:
            if card.code == code:
                return card
        raise InvalidInput("no such feature in the scorecard", field=code)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form; `ScorecardModel.from_dict` reads it back exactly."""
        return {
            "format": MODEL_FORMAT,
            "version": self.version,
            "scaling": {
                "base_score": self.scaling.base_score,
                "base_odds": self.scaling.base_odds,
                "pdo": self.scaling.pdo,
            },
            "intercept": self.intercept,
            "intercept_points": self.intercept_points,
            "features": [_card_to_dict(c) for c in self.features],
            "excluded": dict(self.excluded),
            "regularization": self.regularization,
            "cv_auc": [[c, a] for c, a in self.cv_auc.items()],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScorecardModel:
        """Read and validate a model exported by `to_dict`."""
        if data.get("format") != MODEL_FORMAT:
            raise InvalidInput(f"expected format {MODEL_FORMAT!r}, got {data.get('format')!r}", field="format")
        scaling = _mapping(data, "scaling", "scaling")
        features = data.get("features")
        if not isinstance(features, list) or not features:
            raise InvalidInput("must be a non-empty list", field="features")
        cards = tuple(_card_from_dict(f, f"features[{i}]") for i, f in enumerate(features))
        if len({c.code for c in cards}) != len(cards):
            raise InvalidInput("feature codes must be unique", field="features")
        excluded = data.get("excluded", {})
        if not isinstance(excluded, Mapping):
            raise InvalidInput("must be a mapping of feature code to reason", field="excluded")
        return cls(
            version=_text(data, "version", "version"),
            scaling=Scaling(
                base_score=_number(scaling, "base_score", "scaling.base_score"),
                base_odds=_number(scaling, "base_odds", "scaling.base_odds"),
                pdo=_number(scaling, "pdo", "scaling.pdo"),
            ),
            intercept=_number(data, "intercept", "intercept"),
            intercept_points=_number(data, "intercept_points", "intercept_points"),
            features=cards,
            excluded={str(k): str(v) for k, v in excluded.items()},
            regularization=None
            if data.get("regularization") is None
            else _number(data, "regularization", "regularization"),
            cv_auc=_cv_auc(data.get("cv_auc", [])),
        )


#: The regularisation strengths (scikit-learn's C, the inverse of the L2 penalty) tried when a scorecard's C
#: is chosen by cross-validation: from strong shrinkage to practically none.
C_GRID: tuple[float, ...] = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 100.0)


def fit_scorecard(
    frame: pd.DataFrame,
    target: npt.ArrayLike,
    *,
    version: str,
    categorical: Iterable[str] = (),
    directions: Mapping[str, Direction] | None = None,
    scaling: Scaling | None = None,
    min_iv: float = 0.02,
    regularization: float | Sequence[float] = 1.0,
    binning: BinningOptions | None = None,
    folds: int = 5,
    repeats: int = 1,
    seed: int = 0,
) -> ScorecardModel:
    """Fit bins on `frame` (every column is a candidate feature), keep those with IV >= `min_iv`,
    fit the WoE logistic regression and scale to points.

    `target` is 1 for bad, 0 for good. A feature whose coefficient comes out with the wrong sign
    (not negative) is dropped and the regression refitted, one feature at a time, largest first;
    dropped features are listed in `excluded` with the reason. `regularization` is scikit-learn's C;
    given several values (e.g. `C_GRID`), the one with the best mean AUC over `folds` stratified folds
    of these same rows (drawn `repeats` times) is used, every fold re-binned on its own training part
    (`cv_auc` records each).
    """
    y, scaling = _check_fit(frame, target, version, scaling)
    grid = (regularization,) if isinstance(regularization, int | float) else tuple(regularization)
    if not grid or not all(math.isfinite(c) and c > 0 for c in grid):
        raise InvalidInput("must be one or more positive numbers", field="regularization")
    options = _FitOptions(tuple(categorical), dict(directions or {}), min_iv, binning)
    cv_auc: dict[float, float] = {}
    if len(grid) > 1:
        cv_auc = cross_validate(frame, y, grid, options, folds=folds, repeats=repeats, seed=seed)
        best = max(cv_auc.values())
        chosen = min(c for c, a in cv_auc.items() if a == best)  # ties: the stronger shrinkage
    else:
        chosen = grid[0]
    bins, woe_columns, selected, excluded = _bin_and_select(frame, y, options)
    intercept, coefs = _regress(woe_columns, y, selected, excluded, chosen)
    cards = tuple(
        _card(bins[code], coefficient=coefs[code], factor=scaling.factor) for code in selected if code in coefs
    )
    return ScorecardModel(
        version=version,
        scaling=scaling,
        intercept=intercept,
        intercept_points=scaling.offset - scaling.factor * intercept,
        features=cards,
        excluded=excluded,
        regularization=chosen,
        cv_auc=cv_auc,
    )


@dataclass(frozen=True)
class _FitOptions:
    categorical: tuple[str, ...]
    directions: dict[str, Direction]
    min_iv: float
    binning: BinningOptions | None


def _check_fit(
    frame: pd.DataFrame, target: npt.ArrayLike, version: str, scaling: Scaling | None
) -> tuple[npt.NDArray[np.int64], Scaling]:
    if frame.empty or len(frame.columns) == 0:
        raise InvalidInput("training frame has no rows or no columns", field="frame")
    if not version.strip():
        raise InvalidInput("must not be empty", field="version")
    if not all(isinstance(c, str) for c in frame.columns) or frame.columns.has_duplicates:
        raise InvalidInput("column names must be unique text", field="frame")
    y = check_target(target, len(frame))
    scaling = scaling or Scaling()
    if scaling.pdo <= 0 or scaling.base_odds <= 0:
        raise InvalidInput("pdo and base_odds must be positive", field="scaling")
    return y, scaling


def _bin_and_select(
    frame: pd.DataFrame, y: npt.NDArray[np.int64], options: _FitOptions
) -> tuple[dict[str, FeatureBins], dict[str, npt.NDArray[np.float64]], list[str], dict[str, str]]:
    """Bins of every column, the WoE columns of those kept by IV, their codes and the IV exclusions."""
    bins = fit_bins(frame, y, categorical=options.categorical, directions=options.directions, options=options.binning)
    excluded: dict[str, str] = {}
    selected: list[str] = []
    for code, fb in bins.items():
        iv = fb.iv()
        if fb.n_bins < 2 or iv < options.min_iv:
            excluded[code] = f"information value {iv:.4f} below {options.min_iv:g}"
        else:
            selected.append(code)
    # WoE of the training rows through the same bin assignment used at scoring time.
    woe_columns = {code: woe_column(bins[code], frame[code]) for code in selected}
    return bins, woe_columns, selected, excluded


def woe_column(fb: FeatureBins, column: pd.Series[Any]) -> npt.NDArray[np.float64]:
    """The WoE of every value of `column` in the bins `fb` (missing and unseen values as at scoring)."""
    return _lookup(_card(fb, coefficient=-1.0, factor=1.0), column)


def _regress(
    woe_columns: Mapping[str, npt.NDArray[np.float64]],
    y: npt.NDArray[np.int64],
    selected: Sequence[str],
    excluded: dict[str, str],
    c: float,
) -> tuple[float, dict[str, float]]:
    """Logistic regression on the WoE columns, dropping wrong-sign features one at a time (into
    `excluded`); the intercept and each kept feature's coefficient."""
    # Imported here so that scoring a fitted model never loads scikit-learn.
    from sklearn.linear_model import LogisticRegression

    kept = list(selected)
    while True:
        if not kept:
            raise InvalidInput("no feature is left after IV selection and the sign check", field="frame")
        matrix = np.column_stack([woe_columns[code] for code in kept])
        lr = LogisticRegression(C=c, max_iter=1000)
        lr.fit(matrix, y)
        coefs = {code: float(coef) for code, coef in zip(kept, lr.coef_[0], strict=True)}
        wrong = [(coef, code) for code, coef in coefs.items() if coef >= 0]
        if not wrong:
            return float(lr.intercept_[0]), coefs
        coef, code = max(wrong)
        excluded[code] = f"coefficient {coef:+.4f} is not negative (wrong sign for WoE coding)"
        kept.remove(code)


def cross_validate(
    frame: pd.DataFrame,
    y: npt.NDArray[np.int64],
    grid: Sequence[float],
    options: _FitOptions,
    *,
    folds: int,
    repeats: int = 1,
    seed: int = 0,
) -> dict[float, float]:
    """Mean AUC on held-out folds of each regularisation strength; each fold is binned, selected and
    sign-checked on its own training part only, so nothing of the held-out rows leaks into the fit."""
    from sklearn.model_selection import RepeatedStratifiedKFold

    from xinyong.scoring.metrics import auc

    if folds < 2 or min(int(y.sum()), int(len(y) - y.sum())) < folds:
        raise InvalidInput(f"needs at least {max(folds, 2)} good and bad rows for {folds}-fold CV", field="folds")
    if repeats < 1:
        raise InvalidInput(f"must be at least 1, got {repeats}", field="repeats")
    split = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
    scores: dict[float, list[float]] = {c: [] for c in grid}
    for train_idx, test_idx in split.split(np.zeros(len(y)), y):
        part, held = frame.iloc[train_idx], frame.iloc[test_idx]
        bins, woe_columns, selected, _ = _bin_and_select(part, y[train_idx], options)
        held_woe = {code: woe_column(bins[code], held[code]) for code in selected}
        for c in grid:
            intercept, coefs = _regress(woe_columns, y[train_idx], selected, {}, c)
            logit = intercept + sum(coef * held_woe[code] for code, coef in coefs.items())
            scores[c].append(auc(y[test_idx], np.asarray(logit, dtype=np.float64)))
    return {c: float(np.mean(v)) for c, v in scores.items()}


def _card(fb: FeatureBins, *, coefficient: float, factor: float) -> FeatureCard:
    """Points of each bin = -factor * coefficient * WoE; with factor 1 and coefficient -1, the WoE itself.

    An empty missing bin, and any category unseen in training, gets the feature's worst points: no
    evidence must never score better than the worst observed value, or withholding data would pay.
    """
    woe, missing_woe = fb.woe()
    points = tuple(-factor * coefficient * w for w in woe)
    counts = tuple(b + g for b, g in zip(fb.n_bad, fb.n_good, strict=True))
    observed = [p for p, n in zip(points, counts, strict=True) if n] or list(points)
    worst = min(observed)
    missing = worst if missing_woe is None else -factor * coefficient * missing_woe
    return FeatureCard(
        code=fb.code,
        kind=fb.kind,
        direction=fb.direction,
        edges=fb.edges,
        categories=fb.categories,
        points=points,
        woe=woe,
        counts=counts,
        bad_rates=tuple(b / n if n else 0.0 for b, n in zip(fb.n_bad, counts, strict=True)),
        missing_points=missing,
        missing_count=fb.missing_count,
        unknown_points=worst if fb.kind == "categorical" else None,
        coefficient=coefficient,
        iv=fb.iv(),
    )


def bin_indices(card: FeatureCard, column: pd.Series[Any]) -> npt.NDArray[np.intp]:
    """The bin of every value: 0..n_bins-1 regular, n_bins missing, n_bins+1 unknown category."""
    n = card.n_bins
    if card.kind == "numeric":
        x = numeric_values(column, card.code)
        numeric_idx = np.searchsorted(np.asarray(card.edges, dtype=np.float64), x, side="right")
        numeric_idx[np.isnan(x)] = n
        return numeric_idx.astype(np.intp)
    if pd.api.types.is_numeric_dtype(column.dtype) and not isinstance(column.dtype, pd.CategoricalDtype):
        raise InvalidInput(f"categorical feature has dtype {column.dtype}; it must hold text", field=card.code)
    # Hash each distinct value once (category codes), then map the few categories to bins.
    as_category = column if isinstance(column.dtype, pd.CategoricalDtype) else column.astype("category")
    seen = list(as_category.cat.categories)
    check_text(seen, card.code)
    lookup = {cat: i for i, group in enumerate(card.categories) for cat in group}
    # Code -1 (a missing value) indexes the trailing slot, the missing bin.
    positions = np.asarray([lookup.get(c, n + 1) for c in seen] + [n], dtype=np.intp)
    idx: npt.NDArray[np.intp] = positions[as_category.cat.codes.to_numpy()]
    return idx


def _lookup(card: FeatureCard, column: pd.Series[Any]) -> npt.NDArray[np.float64]:
    unknown = card.missing_points if card.unknown_points is None else card.unknown_points
    table = np.asarray([*card.points, card.missing_points, unknown], dtype=np.float64)
    result: npt.NDArray[np.float64] = table[bin_indices(card, column)]
    return result


def points_frame(model: ScorecardModel, frame: pd.DataFrame) -> npt.NDArray[np.float64]:
    """Points of every feature for every row, shape (rows, features) in the model's feature order."""
    _require_columns(model, frame)
    if not model.features:
        return np.zeros((len(frame), 0))
    return np.column_stack([_lookup(card, frame[card.code]) for card in model.features])


def score_frame(model: ScorecardModel, frame: pd.DataFrame) -> npt.NDArray[np.float64]:
    """The score of every row: intercept points plus each feature's bin points, added left to right
    in the model's feature order (the same order as the SQL, so both give identical doubles)."""
    _require_columns(model, frame)
    total = np.full(len(frame), model.intercept_points, dtype=np.float64)
    for card in model.features:
        total = total + _lookup(card, frame[card.code])
    return total


def _require_columns(model: ScorecardModel, frame: pd.DataFrame) -> None:
    for card in model.features:
        if card.code not in frame.columns:
            raise InvalidInput("feature column missing from the frame to score", field=card.code)


def is_monotonic(model: ScorecardModel) -> dict[str, bool]:
    """For every numeric feature: are the WoEs of its regular bins monotone, in the declared direction?

    A rising bad rate ("ascending") means falling WoE. Categorical features have no order to check and
    are not listed.
    """
    result: dict[str, bool] = {}
    for card in model.features:
        if card.kind != "numeric":
            continue
        steps = np.diff(np.asarray(card.woe))
        falling, rising = bool((steps <= 0).all()), bool((steps >= 0).all())
        if card.direction == "ascending":
            result[card.code] = falling
        elif card.direction == "descending":
            result[card.code] = rising
        else:
            result[card.code] = falling or rising
    return result


def coefficient_signs(model: ScorecardModel) -> dict[str, bool]:
    """For every feature: is its coefficient negative, the expected sign under WoE = ln(good/bad)?"""
    return {card.code: card.coefficient < 0 for card in model.features}


def _card_to_dict(card: FeatureCard) -> dict[str, Any]:
    return {
        "code": card.code,
        "kind": card.kind,
        "direction": card.direction,
        "edges": list(card.edges),
        "categories": [list(g) for g in card.categories],
        "points": list(card.points),
        "woe": list(card.woe),
        "counts": list(card.counts),
        "bad_rates": list(card.bad_rates),
        "missing_points": card.missing_points,
        "missing_count": card.missing_count,
        "unknown_points": card.unknown_points,
        "coefficient": card.coefficient,
        "iv": card.iv,
    }


def _card_from_dict(data: object, where: str) -> FeatureCard:
    if not isinstance(data, Mapping):
        raise InvalidInput("must be a mapping", field=where)
    kind = data.get("kind")
    if kind not in ("numeric", "categorical"):
        raise InvalidInput(f"kind must be numeric or categorical, got {kind!r}", field=f"{where}.kind")
    direction = data.get("direction")
    if direction is not None and direction not in DIRECTIONS:
        raise InvalidInput(f"direction must be one of {DIRECTIONS} or null", field=f"{where}.direction")
    edges = tuple(_numbers(data, "edges", where))
    groups = data.get("categories", [])
    if not isinstance(groups, list) or not all(
        isinstance(g, list) and all(isinstance(c, str) for c in g) for g in groups
    ):
        raise InvalidInput("must be a list of lists of text", field=f"{where}.categories")
    categories = tuple(tuple(g) for g in groups)
    points = tuple(_numbers(data, "points", where))
    n = len(edges) + 1 if kind == "numeric" else len(categories)
    if kind == "numeric" and categories:
        raise InvalidInput("a numeric feature has no categories", field=f"{where}.categories")
    if kind == "categorical" and edges:
        raise InvalidInput("a categorical feature has no edges", field=f"{where}.edges")
    if any(b <= a for a, b in itertools.pairwise(edges)) or not all(map(math.isfinite, edges)):
        raise InvalidInput("edges must be finite and strictly increasing", field=f"{where}.edges")
    flat = [c for g in categories for c in g]
    if len(flat) != len(set(flat)):
        raise InvalidInput("a category appears in two bins", field=f"{where}.categories")
    woe, counts, rates = (tuple(_numbers(data, key, where)) for key in ("woe", "counts", "bad_rates"))
    for key, values in (("points", points), ("woe", woe), ("counts", counts), ("bad_rates", rates)):
        if len(values) != n or n == 0:
            raise InvalidInput(f"needs {n} values, one per bin, got {len(values)}", field=f"{where}.{key}")
    unknown = data.get("unknown_points")
    return FeatureCard(
        code=_text(data, "code", f"{where}.code"),
        kind=kind,
        direction=direction,
        edges=edges,
        categories=categories,
        points=points,
        woe=woe,
        counts=tuple(int(c) for c in counts),
        bad_rates=rates,
        missing_points=_number(data, "missing_points", where),
        missing_count=int(_number(data, "missing_count", where)),
        unknown_points=None if unknown is None else _number(data, "unknown_points", where),
        coefficient=_number(data, "coefficient", where),
        iv=_number(data, "iv", where),
    )


def _cv_auc(value: object) -> dict[float, float]:
    """`cv_auc` as exported: a list of [C, mean AUC] pairs (absent in models fitted without CV)."""
    if not isinstance(value, list):
        raise InvalidInput("must be a list of [C, AUC] pairs", field="cv_auc")
    out: dict[float, float] = {}
    for i, pair in enumerate(value):
        if not isinstance(pair, list) or len(pair) != 2:
            raise InvalidInput("must be a [C, AUC] pair", field=f"cv_auc[{i}]")
        pairs = {"c": pair[0], "auc": pair[1]}
        out[_number(pairs, "c", f"cv_auc[{i}]")] = _number(pairs, "auc", f"cv_auc[{i}]")
    return out


def _mapping(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, Mapping):
        raise InvalidInput("must be a mapping", field=where)
    return value


def _text(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidInput("must be non-empty text", field=where)
    return value


def _number(data: Mapping[str, Any], key: str, where: str) -> float:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        field_name = where if where.endswith(key) else f"{where}.{key}"
        raise InvalidInput("must be a finite number", field=field_name)
    return float(value)


def _numbers(data: Mapping[str, Any], key: str, where: str) -> Sequence[float]:
    values = data.get(key, [])
    if not isinstance(values, list):
        raise InvalidInput("must be a list of numbers", field=f"{where}.{key}")
    return [_number({key: v}, key, f"{where}.{key}") for v in values]
