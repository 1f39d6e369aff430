"""Estimating a kind's model from the data, persisting it, and scoring pairs with it.

Parameters are estimated the Splink way: lambda (the chance that two random records match) from
deterministic rules and their assumed recall, u by random sampling of pairs (seeded, so reproducible),
and m by expectation maximisation over pairs that a training rule blocks together, one session per
rule. A run stores the result as plain numbers per comparison level, so a later run (on either
backend) can reuse it exactly instead of estimating again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Final, Literal

import pandas as pd
import pyarrow as pa
from splink import Linker, SettingsCreator
from splink.blocking_rule_library import CustomRule
from splink.internals.exceptions import SplinkException

from xinyong.link.backends import Backend
from xinyong.link.settings import UNIQUE_ID, KindSpec, comparison_creator

#: Below this many rows on either side the priors are used as they are: EM on a handful of pairs
#: estimates noise, not the registry.
MIN_TRAINING_ROWS: Final = 200
#: Weight of the prior in every estimated m and u distribution (see `read_parameters`).
PRIOR_WEIGHT: Final = 0.05
#: Share of pending records assumed to have a subject already, for the prior lambda.
PRIOR_MATCH_SHARE: Final = 0.8
#: Pairs scored below this probability are not even read back.
SCORE_FLOOR: Final = 0.001
#: Random pairs sampled to estimate u.
U_PAIRS: Final = 2_000_000
RECORDS: Final = "records"
SUBJECTS: Final = "subjects"
LinkType = Literal["link_only", "dedupe_only"]
_TRAINING_ERRORS: Final = (SplinkException, ValueError, ZeroDivisionError)


@dataclass(frozen=True)
class Parameters:
    """A kind's model: lambda, and (m, u) for every non-null level of every comparison."""

    lam: float
    m_u: dict[str, list[tuple[float, float]]]

    def as_json(self) -> dict[str, Any]:
        """The parameters as stored with a run."""
        return {
            "lambda": self.lam,
            "comparisons": {name: [{"m": m, "u": u} for m, u in pairs] for name, pairs in self.m_u.items()},
        }

    def fits(self, spec: KindSpec) -> bool:
        """Whether these parameters have one (m, u) for every level of every comparison of the kind."""
        return {c.name: len(c.levels) for c in spec.comparisons} == {n: len(p) for n, p in self.m_u.items()}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Parameters:
        """Parameters as a run stored them."""
        return cls(
            lam=float(doc["lambda"]),
            m_u={
                name: [(float(level["m"]), float(level["u"])) for level in levels]
                for name, levels in doc["comparisons"].items()
            },
        )


@dataclass
class Estimate:
    """Parameters and what was done to estimate them, step by step."""

    params: Parameters
    steps: list[dict[str, Any]] = field(default_factory=list)


def priors(spec: KindSpec, subjects: int) -> Parameters:
    """The prior model of a kind: the specification's m and u, and lambda from the number of subjects."""
    return Parameters(
        lam=min(0.5, PRIOR_MATCH_SHARE / max(subjects, 1)),
        m_u={c.name: [(level.m, level.u) for level in c.levels] for c in spec.comparisons},
    )


def settings_for(spec: KindSpec, params: Parameters, *, link_type: LinkType = "link_only") -> SettingsCreator:
    """Splink settings for the kind with these parameters."""
    return SettingsCreator(
        link_type=link_type,
        unique_id_column_name=UNIQUE_ID,
        probability_two_random_records_match=params.lam,
        comparisons=[comparison_creator(c, params.m_u.get(c.name)) for c in spec.comparisons],
        blocking_rules_to_generate_predictions=[CustomRule(rule) for rule in spec.blocking],
        # Splink keeps the level each pair fell in (gamma) only with the compared values; the values
        # themselves are dropped again when the pairs are read back (`_explained_columns`).
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=True,
        em_convergence=0.0001,
        max_iterations=25,
    )


@dataclass(frozen=True)
class Sides:
    """The two sides of a link job as registered with the backend, and their sizes."""

    records: Any
    subjects: Any
    n_records: int
    n_subjects: int


def register(backend: Backend, records: pd.DataFrame, subjects: pd.DataFrame | pa.Table) -> Sides:
    """Hand both frames to the backend once, for estimation and scoring alike."""
    return Sides(backend.register(records, RECORDS), backend.register(subjects, SUBJECTS), len(records), len(subjects))


def make_linker(spec: KindSpec, params: Parameters, tables: list[Any]) -> Any:
    """A Splink linker over registered tables: two link records to subjects, one dedupes records."""
    link_type: LinkType = "link_only" if len(tables) == 2 else "dedupe_only"
    settings = settings_for(spec, params, link_type=link_type)
    return Linker(tables if len(tables) > 1 else tables[0], settings, log_level=logging.ERROR)


def read_parameters(linker: Any, spec: KindSpec, prior: Parameters) -> Parameters:
    """The linker's estimates, each comparison's m and u shrunk a little towards the prior.

    EM on clean data sees some levels never (Splink leaves them without a value) and gives others a
    probability of exactly 1; taken as they are, a level the data never showed would carry an infinite
    weight. Mixing in `PRIOR_WEIGHT` of the prior keeps every level possible and each m (and u)
    distribution summing to one; a comparison with no estimate at all keeps its prior.
    """
    model = linker.misc.save_model_to_json()
    by_name = {c["output_column_name"]: c for c in model["comparisons"]}
    m_u: dict[str, list[tuple[float, float]]] = {}
    for comparison in spec.comparisons:
        levels = [lv for lv in by_name[comparison.name]["comparison_levels"] if not lv.get("is_null_level")]
        old = prior.m_u[comparison.name]
        m = _shrunk([lv.get("m_probability") for lv in levels], [m0 for m0, _ in old])
        u = _shrunk([lv.get("u_probability") for lv in levels], [u0 for _, u0 in old])
        m_u[comparison.name] = list(zip(m, u, strict=True))
    lam = model.get("probability_two_random_records_match")
    return Parameters(lam=float(lam) if lam is not None and 0.0 < float(lam) < 1.0 else prior.lam, m_u=m_u)


def _shrunk(estimated: list[Any], prior: list[float]) -> list[float]:
    # Splink reports the configured starting value for a level it could not estimate, so a level
    # counts as estimated only when the estimate differs from where it started.
    values = [
        float(v) if isinstance(v, int | float) and float(v) != p else None
        for v, p in zip(estimated, prior, strict=True)
    ]
    if all(v is None for v in values):
        return list(prior)
    total = sum(v for v in values if v is not None) or 1.0
    return [(1.0 - PRIOR_WEIGHT) * ((v or 0.0) / total) + PRIOR_WEIGHT * p for v, p in zip(values, prior, strict=True)]


def estimate(backend: Backend, spec: KindSpec, sides: Sides, start: Parameters, *, seed: int) -> Estimate:
    """Parameters estimated from the data, starting from `start`; the priors when the data are too few.

    A step that fails (a training rule that blocks no pairs, say) is recorded as skipped, and the model
    goes on from what the steps before it estimated.
    """
    result = Estimate(start)
    if min(sides.n_records, sides.n_subjects) < MIN_TRAINING_ROWS:
        result.steps.append({"step": "priors", "reason": f"fewer than {MIN_TRAINING_ROWS} rows on a side"})
        return result
    tables = [sides.records, sides.subjects]
    failures: tuple[type[Exception], ...] = (*_TRAINING_ERRORS, *backend.errors)
    linker = make_linker(spec, start, tables)
    pairs = min(U_PAIRS, sides.n_records * sides.n_subjects)
    steps: list[tuple[dict[str, Any], Any]] = [
        (
            {"step": "lambda", "rules": list(spec.deterministic)},
            lambda t: t.estimate_probability_two_random_records_match(
                list(spec.deterministic), recall=spec.deterministic_recall
            ),
        ),
        (
            {"step": "u", "max_pairs": pairs, "seed": seed},
            # Every sampled pair is counted in one pass: Splink would otherwise stop early on a subset
            # chosen by the engine's own hash function, and DuckDB and Spark would estimate different u.
            lambda t: t.estimate_u_using_random_sampling(
                max_pairs=pairs, seed=seed, min_count_per_level=None, num_chunks=1
            ),
        ),
    ]
    for rule in spec.training:
        steps.append(
            (
                {"step": "em", "blocking": rule},
                lambda t, rule=rule: t.estimate_parameters_using_expectation_maximisation(
                    rule, estimate_without_term_frequencies=True
                ),
            )
        )
        # When nearly every pair a rule blocks together is a match, lambda drifts to 1 and the weights
        # to infinity; the same session with lambda held where the blocking puts it still estimates m.
        steps.append(
            (
                {"step": "em", "blocking": rule, "lambda_fixed": True},
                lambda t, rule=rule: t.estimate_parameters_using_expectation_maximisation(
                    rule, estimate_without_term_frequencies=True, fix_probability_two_random_records_match=True
                ),
            )
        )
    done: set[str] = set()
    for record, run in steps:
        if record.get("blocking") in done:
            continue
        good = linker.misc.save_model_to_json()
        try:
            run(linker.training)
            result.steps.append(record)
            if "blocking" in record:
                done.add(record["blocking"])
        except failures as exc:
            result.steps.append({**record, "skipped": _why(exc)})
            # A failed session may leave the linker half-updated: go on from the last good model.
            linker = Linker(tables, good, log_level=logging.ERROR)
    result.params = read_parameters(linker, spec, start)
    return result


def _why(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def splink_settings(backend: Backend, spec: KindSpec, params: Parameters) -> dict[str, Any]:
    """The full Splink settings of a run (SQL of every level, blocking rules), without the parameters."""
    settings = settings_for(spec, params).get_settings(backend.name).as_dict()  # type: ignore[no-untyped-call]
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            level.pop("m_probability", None)
            level.pop("u_probability", None)
    settings.pop("probability_two_random_records_match", None)
    settings.pop("linker_uid", None)
    return dict(settings)


def _explained_columns(spec: KindSpec) -> str:
    columns = ["match_probability", "match_weight"]
    for comparison in spec.comparisons:
        columns += [f"gamma_{comparison.name}", f"mw_{comparison.name}"]
        if comparison.column in spec.tf_columns:
            columns.append(f"mw_tf_adj_{comparison.name}")
    return ", ".join(columns)


def score_link(backend: Backend, spec: KindSpec, params: Parameters, sides: Sides, *, keep: int) -> pd.DataFrame:
    """The `keep` best-scoring subjects of each record above the floor, best first: `record_pk`,
    `subject_pk`, probability, weight and the level and weight of every comparison."""
    linker = make_linker(spec, params, [sides.records, sides.subjects])
    predictions = linker.inference.predict(threshold_match_probability=SCORE_FLOOR, warning_mode="never")
    # Cut to the best few per record in the engine, so a million records never cross as all their pairs.
    best = predictions.query_sql(
        f"""
        SELECT record_pk, subject_pk, {_explained_columns(spec)} FROM (
            SELECT *, row_number() OVER (
                PARTITION BY record_pk ORDER BY match_probability DESC, subject_pk
            ) AS candidate_rank
            FROM (
                SELECT *,
                    CASE WHEN source_dataset_l = '{RECORDS}' THEN unique_id_l ELSE unique_id_r END AS record_pk,
                    CASE WHEN source_dataset_l = '{RECORDS}' THEN unique_id_r ELSE unique_id_l END AS subject_pk
                FROM {{this}}
            ) AS oriented
        ) AS ranked
        WHERE candidate_rank <= {int(keep)}
        ORDER BY record_pk, candidate_rank
        """
    )
    return backend.to_pandas(best)


def score_dedupe(
    backend: Backend, spec: KindSpec, params: Parameters, records: pd.DataFrame, threshold: float
) -> pd.DataFrame:
    """Pairs of records of one frame scoring at or above `threshold`: `record_pk`, `other_pk`, ..."""
    lam = min(0.5, 1.0 / max(len(records), 2))
    linker = make_linker(spec, Parameters(lam=lam, m_u=params.m_u), [backend.register(records, RECORDS)])
    predictions = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
    pairs = predictions.query_sql(
        f"""
        SELECT unique_id_l AS record_pk, unique_id_r AS other_pk, {_explained_columns(spec)}
        FROM {{this}} ORDER BY record_pk, other_pk
        """
    )
    return backend.to_pandas(pairs)


def levels_of(spec: KindSpec, pair: Mapping[Any, Any]) -> dict[str, Any]:
    """Per comparison: the level a pair fell in (Splink's gamma and our label), its weight and Bayes factor."""
    out: dict[str, Any] = {}
    for name, labels, tf in _level_labels(spec):
        gamma = int(pair[f"gamma_{name}"])
        weight = float(pair.get(f"mw_{name}", 0.0) or 0.0)
        if tf:
            adjustment = pair.get(f"mw_tf_adj_{name}")
            if adjustment is not None and adjustment == adjustment:  # NaN where no adjustment applies
                weight += float(adjustment)
        out[name] = {
            "gamma": gamma,
            "label": "missing on a side" if gamma < 0 else labels[len(labels) - 1 - gamma],
            "match_weight": round(weight, 6),
            "bayes_factor": round(2.0**weight, 6),
        }
    return out


def levels_of_pairs(spec: KindSpec, pairs: pd.DataFrame) -> list[dict[str, Any]]:
    """`levels_of` for every row of a frame of scored pairs, in row order.

    Pairs that fell in the same levels with the same weights share one mapping, which nobody may change:
    a million pairs take a few thousand distinct combinations, so each is described (and stored) once.
    """
    names: list[str] = []
    values: list[list[Any]] = []
    for name, _, tf in _level_labels(spec):
        for column in (f"gamma_{name}", f"mw_{name}", *((f"mw_tf_adj_{name}",) if tf else ())):
            if column not in pairs.columns:
                continue
            series = pairs[column]
            # NaN is never equal to itself, so as a key it would never be found again; `levels_of`
            # reads a missing term-frequency adjustment as None and NaN alike.
            if column.startswith("mw_tf_adj_"):
                series = series.astype(object).where(series.notna(), None)
            names.append(column)
            values.append(series.tolist())
    shared: dict[tuple[Any, ...], dict[str, Any]] = {}
    out: list[dict[str, Any]] = []
    for key in zip(*values, strict=True):
        found = shared.get(key)
        if found is None:
            found = shared[key] = levels_of(spec, dict(zip(names, key, strict=True)))
        out.append(found)
    return out


@cache
def _level_labels(spec: KindSpec) -> tuple[tuple[str, tuple[str, ...], bool], ...]:
    return tuple((c.name, c.labels, c.column in spec.tf_columns) for c in spec.comparisons)
