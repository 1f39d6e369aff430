"""Jaro-Winkler on Spark is DuckDB's, bit for bit: the Python definition against DuckDB's function, and the
functions a Spark backend's SQL calls against the same pairs."""

from __future__ import annotations

import random

import duckdb
import pandas as pd
import pytest

from xinyong.link.spark_backend import jaro, jaro_winkler

#: Pairs where the Apache Commons Text implementation of Splink's Spark jar and DuckDB disagree (an odd
#: number of transpositions), the prefix bonus is rounded once, a side is empty, a character lies outside
#: the Basic Multilingual Plane, or a side is missing.
EDGES = [
    ("昆明路179号", "孙街244号17号楼101室"),
    ("辛集路118号", "西安街188号16号楼1924室"),
    ("aabbb", "abaab"),
    ("北京星辰科技", "北京星辰科枝"),
    ("北京星辰科技有限公司", "北京星晨科技有限公司"),
    ("", ""),
    ("", "a"),
    ("𠀀𠀁a", "𠀀𠀁b"),
    ("王建国", "王建国"),
    ("martha", "marhta"),
    (None, "a"),
    ("a", None),
]


def _pairs(n: int, seed: int) -> list[tuple[str | None, str | None]]:
    """Edge cases, then random pairs of Chinese address-like, Latin and two-letter strings, many of them
    one string and a copy with a few substitutions and swaps (where the prefix bonus and rounding show)."""
    rng = random.Random(seed)
    pairs: list[tuple[str | None, str | None]] = list(EDGES)
    for alphabet in ("建国路号院楼室街中关村大1234567890", "abcdefghijklmnopqrstuvwxyz", "ab"):
        for _ in range(n):
            left = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
            chars = list(left)
            for _ in range(rng.randint(0, 4)):
                if len(chars) > 1:
                    i = rng.randrange(len(chars) - 1)
                    chars[i], chars[i + 1] = chars[i + 1], chars[i]
                if chars:
                    chars[rng.randrange(len(chars))] = rng.choice(alphabet)
            right = "".join(chars) if rng.random() < 0.7 else "".join(rng.choice(alphabet) for _ in range(len(left)))
            pairs.append((left, right))
    return pairs


def _duckdb(pairs: list[tuple[str | None, str | None]]) -> pd.DataFrame:
    frame = pd.DataFrame(pairs, columns=["l", "r"], dtype="object")
    with duckdb.connect() as conn:
        conn.register("pairs", frame)
        out: pd.DataFrame = conn.sql(
            "SELECT jaro_winkler_similarity(l, r) AS jw, jaro_similarity(l, r) AS j FROM pairs"
        ).df()
    return out


def _same(expected: object, got: object) -> bool:
    missing = expected is None or expected != expected  # DuckDB's NULL comes back as None or NaN
    return (got is None or got != got) if missing else expected == got


def test_the_python_definition_is_duckdbs_bit_for_bit() -> None:
    pairs = _pairs(3_000, seed=11)
    duck = _duckdb(pairs)
    wrong = [
        (left, right)
        for (left, right), jw, j in zip(pairs, duck["jw"], duck["j"], strict=True)
        if not (_same(jw, jaro_winkler(left, right)) and _same(j, jaro(left, right)))
    ]
    assert wrong == []
    # The pairs do reach the bonus, and on both sides of the levels' thresholds.
    scores = [s for s in duck["jw"].tolist() if s == s]
    assert any(0.8 <= s < 0.92 for s in scores)
    assert any(0.92 <= s < 1.0 for s in scores)


@pytest.mark.spark
@pytest.mark.integration
def test_spark_sql_calls_duckdbs_similarities(spark_master: str) -> None:
    from xinyong.link.spark_backend import SparkBackend

    pairs = _pairs(500, seed=12)
    duck = _duckdb(pairs)
    backend = SparkBackend(spark_master)
    try:
        columns = {"i": range(len(pairs)), "l": [p[0] for p in pairs], "r": [p[1] for p in pairs]}
        frame = pd.DataFrame(columns).astype({"l": "object", "r": "object"})
        backend.spark.createDataFrame(frame).createOrReplaceTempView("pairs")
        got = backend.spark.sql("SELECT i, jaro_winkler(l, r) AS jw, jaro_sim(l, r) AS j FROM pairs ORDER BY i")
        spark = got.toPandas()
    finally:
        backend.close()
    assert len(spark) == len(pairs)
    wrong = [
        pairs[i]
        for i, (jw, j, sjw, sj) in enumerate(zip(duck["jw"], duck["j"], spark["jw"], spark["j"], strict=True))
        if not (_same(jw, None if sjw != sjw else float(sjw)) and _same(j, None if sj != sj else float(sj)))
    ]
    assert wrong == []
