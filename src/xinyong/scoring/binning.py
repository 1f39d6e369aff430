"""Optimal monotonic binning of rating features with OptBinning, and the weight of evidence of each bin.

Binning is a fit-time step only: OptBinning is imported inside `fit_bins`, so scoring a fitted
scorecard never needs it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from xinyong.errors import InvalidInput

Kind = Literal["numeric", "categorical"]
# The trend of the bad rate as the feature's value rises: "ascending" means a higher value is riskier.
Direction = Literal["ascending", "descending"]
DIRECTIONS: tuple[Direction, ...] = ("ascending", "descending")


@dataclass(frozen=True)
class BinningOptions:
    """Knobs passed to every OptBinning fit; the defaults are OptBinning's own."""

    max_n_prebins: int = 20
    min_prebin_size: float = 0.05
    max_n_bins: int | None = None
    min_bin_size: float | None = None


@dataclass(frozen=True)
class FeatureBins:
    """The bins of one feature fitted on training rows, with the good and bad counts of each bin."""

    code: str
    kind: Kind
    direction: Direction | None
    edges: tuple[float, ...]
    categories: tuple[tuple[str, ...], ...]
    n_bad: tuple[int, ...]
    n_good: tuple[int, ...]
    missing_bad: int
    missing_good: int

    @property
    def n_bins(self) -> int:
        return len(self.n_bad)

    @property
    def total_bad(self) -> int:
        return sum(self.n_bad) + self.missing_bad

    @property
    def total_good(self) -> int:
        return sum(self.n_good) + self.missing_good

    def woe(self) -> tuple[tuple[float, ...], float | None]:
        """WoE of each regular bin and of the missing bin (None when no training row was missing)."""
        tb, tg = self.total_bad, self.total_good
        regular = tuple(woe_of(b, g, tb, tg) for b, g in zip(self.n_bad, self.n_good, strict=True))
        missing = woe_of(self.missing_bad, self.missing_good, tb, tg) if self.missing_count else None
        return regular, missing

    @property
    def missing_count(self) -> int:
        return self.missing_bad + self.missing_good

    def iv(self) -> float:
        """Information value over the regular and missing bins."""
        tb, tg = self.total_bad, self.total_good
        pairs = [*zip(self.n_bad, self.n_good, strict=True), (self.missing_bad, self.missing_good)]
        total = 0.0
        for bad, good in pairs:
            if bad + good == 0:
                continue
            total += (good / tg - bad / tb) * woe_of(bad, good, tb, tg)
        return total


def woe_of(bad: int, good: int, total_bad: int, total_good: int) -> float:
    """ln(share of goods / share of bads), OptBinning's sign: a positive WoE is safer than average.

    A pure bin (no goods or no bads) would have an infinite WoE, which OptBinning silently sets to 0;
    we add 0.5 to both counts of that bin instead (Haldane-Anscombe), so a pure bin stays extreme.
    """
    if bad == 0 or good == 0:
        bad_f, good_f = bad + 0.5, good + 0.5
    else:
        bad_f, good_f = float(bad), float(good)
    return math.log((good_f / total_good) / (bad_f / total_bad))


def check_target(y: npt.ArrayLike, n_rows: int) -> npt.NDArray[np.int64]:
    """The target as 0/1 integers (1 = bad), with both classes present."""
    arr = np.asarray(y)
    if arr.ndim != 1 or arr.shape[0] != n_rows:
        raise InvalidInput(f"target has {arr.shape} values for {n_rows} rows", field="target")
    if arr.dtype == bool:
        arr = arr.astype(np.int64)
    if not np.issubdtype(arr.dtype, np.number) or not np.isin(arr, (0, 1)).all():
        raise InvalidInput("target must be 0 (good) or 1 (bad) on every row", field="target")
    out = arr.astype(np.int64)
    if out.min() == out.max():
        raise InvalidInput("target needs both good (0) and bad (1) rows", field="target")
    return out


def feature_kind(frame: pd.DataFrame, code: str, categorical: Iterable[str]) -> Kind:
    """Categorical when declared or when the column holds text; numeric otherwise."""
    column = frame[code]
    if code in set(categorical) or is_text(column):
        return "categorical"
    if pd.api.types.is_numeric_dtype(column.dtype):
        return "numeric"
    raise InvalidInput(f"column dtype {column.dtype} is neither numeric nor text", field=code)


def is_text(column: pd.Series[Any]) -> bool:
    """True for object, string and category columns."""
    dtype = column.dtype
    return bool(
        pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype)
    )


def numeric_values(column: pd.Series[Any], code: str) -> npt.NDArray[np.float64]:
    """A numeric column as float64, missing values as NaN."""
    if not pd.api.types.is_numeric_dtype(column.dtype):
        raise InvalidInput(f"numeric feature has dtype {column.dtype}", field=code)
    return column.to_numpy(dtype=np.float64, na_value=np.nan)


def text_values(column: pd.Series[Any], code: str) -> npt.NDArray[np.object_]:
    """A categorical column as an object array of str, missing values as None."""
    if pd.api.types.is_numeric_dtype(column.dtype) and not isinstance(column.dtype, pd.CategoricalDtype):
        raise InvalidInput(f"categorical feature has dtype {column.dtype}; it must hold text", field=code)
    values = column.astype(object).where(column.notna(), None).to_numpy(dtype=object)
    check_text(pd.unique(values[pd.notna(values)]), code)
    return values


def check_text(values: Iterable[object], code: str) -> None:
    """Raise unless every (distinct, non-missing) value of a categorical feature is text."""
    for value in values:
        if not isinstance(value, str):
            raise InvalidInput(f"categorical feature holds a non-text value {value!r}", field=code)


def fit_bins(
    frame: pd.DataFrame,
    y: npt.NDArray[np.int64],
    *,
    categorical: Iterable[str] = (),
    directions: Mapping[str, Direction] | None = None,
    options: BinningOptions | None = None,
) -> dict[str, FeatureBins]:
    """Fit optimal bins for every column of `frame`; numeric bins are forced monotone in the bad rate.

    A numeric feature with a declared direction is binned with that trend; otherwise OptBinning picks
    ascending or descending (`auto_asc_desc`), never a peak or valley (its default `auto` can, F7).
    """
    directions = dict(directions or {})
    options = options or BinningOptions()
    categorical = tuple(categorical)
    for code, direction in directions.items():
        if code not in frame.columns:
            raise InvalidInput("a direction is declared for a feature that is not in the frame", field=code)
        if direction not in DIRECTIONS:
            raise InvalidInput(f"direction must be one of {DIRECTIONS}, got {direction!r}", field=code)
    return {str(code): _fit_one(frame, str(code), y, categorical, directions, options) for code in frame.columns}


def _fit_one(
    frame: pd.DataFrame,
    code: str,
    y: npt.NDArray[np.int64],
    categorical: Sequence[str],
    directions: Mapping[str, Direction],
    options: BinningOptions,
) -> FeatureBins:
    # Imported here so that scoring a fitted model never loads OptBinning (or OR-Tools).
    from optbinning import OptimalBinning

    kind = feature_kind(frame, code, categorical)
    params: dict[str, Any] = {
        "name": code,
        "max_n_prebins": options.max_n_prebins,
        "min_prebin_size": options.min_prebin_size,
        "max_n_bins": options.max_n_bins,
        "min_bin_size": options.min_bin_size,
    }
    x: npt.NDArray[Any]
    if kind == "numeric":
        if code in directions and is_text(frame[code]):
            raise InvalidInput("a direction is declared for a categorical feature", field=code)
        x = numeric_values(frame[code], code)
        if np.isinf(x).any():
            raise InvalidInput("numeric feature holds an infinite value", field=code)
        params |= {"dtype": "numerical", "monotonic_trend": directions.get(code, "auto_asc_desc")}
    else:
        if code in directions:
            raise InvalidInput("a direction is declared for a categorical feature", field=code)
        x = text_values(frame[code], code)
        params |= {"dtype": "categorical"}
    present = ~pd.isna(x)
    if not present.any():
        # Nothing to bin (OptBinning would divide by zero): one empty bin, and IV 0 drops the feature.
        return FeatureBins(
            code=code,
            kind=kind,
            direction=None,
            edges=(),
            categories=((),) if kind == "categorical" else (),
            n_bad=(0,),
            n_good=(0,),
            missing_bad=int(y.sum()),
            missing_good=int(len(y) - y.sum()),
        )
    binning = OptimalBinning(**params)
    binning.fit(x, y)
    if binning.status not in ("OPTIMAL", "FEASIBLE"):
        raise InvalidInput(f"optimal binning failed with solver status {binning.status}", field=code)
    table = binning.binning_table
    n_event = np.asarray(table.n_event, dtype=np.int64)
    n_nonevent = np.asarray(table.n_nonevent, dtype=np.int64)
    splits = binning.splits
    # The table's rows are the regular bins, then Special (no special codes here, so empty), then Missing.
    n_regular = len(n_event) - 2
    if kind == "numeric":
        edges = tuple(float(s) for s in splits)
        groups: tuple[tuple[str, ...], ...] = ()
    else:
        edges = ()
        groups = tuple(tuple(str(c) for c in group) for group in splits)
    n_bad = tuple(int(v) for v in n_event[:n_regular])
    n_good = tuple(int(v) for v in n_nonevent[:n_regular])
    return FeatureBins(
        code=code,
        kind=kind,
        direction=_trend(n_bad, n_good) if kind == "numeric" else None,
        edges=edges,
        categories=groups,
        n_bad=n_bad,
        n_good=n_good,
        missing_bad=int(n_event[-1]),
        missing_good=int(n_nonevent[-1]),
    )


def _trend(n_bad: Sequence[int], n_good: Sequence[int]) -> Direction | None:
    """The direction the fitted bad rates actually run in; None for a single bin or a flat feature."""
    rates = [b / (b + g) for b, g in zip(n_bad, n_good, strict=True) if b + g]
    steps = [b - a for a, b in itertools.pairwise(rates)]
    if not steps or all(s == 0 for s in steps):
        return None
    if all(s >= 0 for s in steps):
        return "ascending"
    if all(s <= 0 for s in steps):
        return "descending"
    return None
