"""The SQL export gives, in DuckDB, exactly the scores NumPy gives."""

from __future__ import annotations

import dataclasses

import duckdb
import numpy as np
import pandas as pd
import pytest

from xinyong.errors import InvalidInput
from xinyong.scoring import ScorecardModel, score_frame, to_sql


def _duckdb_scores(model: ScorecardModel, frame: pd.DataFrame) -> np.ndarray:
    con = duckdb.connect()
    con.register("entities_view", frame.assign(entity_id=np.arange(len(frame))))
    con.execute("CREATE TABLE entities AS SELECT * FROM entities_view")
    result = con.execute(f"{to_sql(model, 'entities', 'entity_id')} ORDER BY entity_id").fetchnumpy()
    assert list(result["entity_id"]) == list(range(len(frame)))
    return np.asarray(result["score"], dtype=np.float64)


def test_sql_equals_score_frame_on_the_training_rows(
    fitted: ScorecardModel, training: tuple[pd.DataFrame, np.ndarray]
) -> None:
    frame, _ = training
    frame = frame.copy()
    frame.loc[:9, "ownership"] = None  # missing category
    frame.loc[10:19, "ownership"] = "collective"  # never seen in training
    assert frame["arrears"].isna().sum() > 100
    assert np.array_equal(_duckdb_scores(fitted, frame), score_frame(fitted, frame))


def test_sql_puts_edge_values_in_the_upper_bin(tiny: ScorecardModel) -> None:
    frame = pd.DataFrame(
        {
            "arrears": [0.999, 1.0, 2.5, 3.0, np.nan, -1e9],
            "sector": ["a", "b", "c", "z", None, "unseen"],
        }
    )
    expected = 500.0 + np.array([30 + 15, 10 + 15, 10 - 5, -20 + 40, -25 + 0, 30 - 5])
    assert np.array_equal(score_frame(tiny, frame), expected)
    assert np.array_equal(_duckdb_scores(tiny, frame), expected)


def test_sql_numbers_are_doubles_and_identifiers_plain(tiny: ScorecardModel) -> None:
    sql = to_sql(tiny, "ratings.entities", "uscc")
    assert sql.startswith("SELECT uscc,")
    assert "WHEN arrears < 1.0e0 THEN 30.0e0" in sql
    assert "WHEN sector IN ('a', 'b') THEN 15.0e0" in sql
    assert sql.endswith("FROM ratings.entities")
    for table, id_column in (("entities; DROP TABLE x", "id"), ("entities", "id--")):
        with pytest.raises(InvalidInput, match="plain SQL identifier"):
            to_sql(tiny, table, id_column)


def test_sql_rejects_a_category_with_a_quote(tiny: ScorecardModel) -> None:
    sector = dataclasses.replace(tiny.features[1], categories=(("a", "b'); --"), ("c",), ("z",)))
    broken = dataclasses.replace(tiny, features=(tiny.features[0], sector))
    with pytest.raises(InvalidInput) as caught:
        to_sql(broken, "entities", "id")
    assert caught.value.field == "sector"
