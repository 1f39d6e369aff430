"""Resolving pending records to subjects: identifiers first, then the model, then people.

A record with a valid code links by it (`id`). A mistyped code one slip from exactly one known subject
of the same name makes that subject a candidate for review. Everything else is scored against the
existing subjects with the kind's Fellegi–Sunter model and falls in one of three bands: at or above
`link_upper` it links (`model`), from `link_lower` up it waits for a person (`review`), below it
starts a new subject (`new`); pending records about the same unknown entity share one new subject.
No band but `id` and a person's confirmation ever lets a measure reach a subject (the rules engine's
part), and every run stores its model and why each record went where it went.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from multiprocessing.pool import Pool
from typing import Final

import pandas as pd
import pyarrow as pa

from xinyong import collector
from xinyong.catalog.model import Catalog
from xinyong.clock import Clock, today
from xinyong.errors import ConfigError, InvalidInput, NotFound
from xinyong.link import frames, model, writeback
from xinyong.link.backends import Backend, open_backend
from xinyong.link.candidates import near_miss_candidate, near_misses
from xinyong.link.normalise import Memo
from xinyong.link.plan import Candidate, LinkSummary, Plan
from xinyong.link.settings import SPECS, KindSpec
from xinyong.link.workers import key_workers
from xinyong.settings import Settings
from xinyong.store import Store
from xinyong.store import linkage as store_linkage
from xinyong.store.linkage import Connection, ExplanationRow, NewLinkRun, PendingRow, SubjectEntry

KINDS: Final = writeback.KINDS
#: Candidates kept per record for review and for explanations.
MAX_CANDIDATES: Final = 5
#: Subjects read and turned into comparison columns at a time.
SUBJECT_CHUNK: Final = 100_000
#: Normalised values a run remembers before it starts remembering afresh (a few hundred MB at most).
MEMO_LIMIT: Final = 2_000_000
#: Steps `link_pending` reports through `advance`: reading, identifiers, four per kind, writing.
PHASES: Final = 2 + 4 * len(KINDS) + 1


@collector.paced()
def link_pending(
    store: Store,
    catalog: Catalog,
    clock: Clock,
    settings: Settings,
    backend: str = "duckdb",
    *,
    seed: int = 1,
    reuse: str | None = None,
    advance: Callable[[int], None] | None = None,
) -> LinkSummary:
    """Resolve every pending record to a subject, to review, or to a new subject, in one unit of work.

    `reuse` names an earlier run (or `latest`) whose estimated model is applied instead of estimating
    again; `seed` fixes the random sampling of pairs, so the same data and seed give the same links.
    `catalog` is accepted for the services' common signature; linkage needs nothing from it. The
    garbage collector is paced while the run lasts (`xinyong.collector`).
    """
    del catalog
    step = advance or (lambda n: None)
    upper, lower = _thresholds(settings)
    engine = open_backend(backend, spark_master=settings.spark_master)
    started = clock.now()
    day = today(clock)
    plan = Plan()
    try:
        with store.connect() as conn:
            with plan.timed("read"):
                pending = store_linkage.pending_rows(conn)
                rejected = store_linkage.rejected_pairs(conn)
                reused = _reused_models(conn, reuse)
            step(1)
            with plan.timed("identifiers"):
                rest = _by_identifier(conn, pending, plan, day)
            step(1)
            with key_workers(len(rest)) as pool:
                for kind in KINDS:
                    rows = [r for r in rest if r.kind == kind]
                    context = _Context(engine, SPECS[kind], rejected, seed, upper, lower, day, step, pool)
                    fitted = _by_model(conn, context, rows, plan, reused.get(kind))
                    plan.runs.append(_run_row(context, fitted, plan, len(rows), started, clock))
    finally:
        engine.close()
    with plan.timed("write"), store.unit_of_work() as conn:
        summary = writeback.write(conn, plan, pending, engine.name, clock)
    step(1)
    return replace(summary, seconds={phase: round(s, 3) for phase, s in plan.seconds.items()})


def _thresholds(settings: Settings) -> tuple[float, float]:
    upper, lower = settings.link_upper, settings.link_lower
    if not 0.0 < lower <= upper <= 1.0:
        raise ConfigError(
            f"XINYONG_LINK_LOWER ({lower}) and XINYONG_LINK_UPPER ({upper}) must satisfy 0 < lower <= upper <= 1"
        )
    return upper, lower


def _reused_models(conn: Connection, reuse: str | None) -> dict[str, model.Parameters]:
    if reuse is None:
        return {}
    if reuse == "latest":
        latest = store_linkage.runs(conn)
        if not latest:
            raise NotFound("no earlier linkage run whose model could be reused", field="model")
        reuse = latest[0].run
    rows = store_linkage.runs(conn, run=reuse)
    if not rows:
        raise NotFound(f"no linkage run {reuse!r}", field="model")
    out = {}
    for row in rows:
        params = model.Parameters.from_json(row.model["parameters"])
        if not params.fits(SPECS[row.kind]):
            raise InvalidInput(
                f"run {reuse}'s {row.kind} model was made for other comparisons than this version has; "
                "link without --model to estimate a new one",
                field="model",
            )
        out[row.kind] = params
    return out


def _by_identifier(conn: Connection, pending: Sequence[PendingRow], plan: Plan, day: date) -> list[PendingRow]:
    """Link valid codes at once; return the records left for the model."""
    valid = [r for r in pending if r.id_valid]
    known = store_linkage.subject_entries_by_id(conn, [r.id_valid for r in valid if r.id_valid])
    for row in valid:
        assert row.id_valid is not None
        subject = known.get(row.id_valid)
        if subject is not None and subject.kind == row.kind:
            plan.by_id.append((row, subject.pk))
        elif subject is None:
            plan.by_new_id.setdefault(row.id_valid, []).append(row)
    # A valid code held by a subject of the other kind is a contradiction only a person can resolve;
    # such records stay with the model, which will not find that subject among those of its kind.
    linked = {r.pk for r, _ in plan.by_id} | {r.pk for rows in plan.by_new_id.values() for r in rows}
    return [r for r in pending if r.pk not in linked]


def subject_side(conn: Connection, kind: str, plan: Plan, memo: Memo | None = None) -> pa.Table:
    """Every subject of a kind as comparison columns, read and prepared `SUBJECT_CHUNK` subjects at a time."""
    parts: list[pa.Table] = []
    chunks = store_linkage.subject_chunks(conn, kind, SUBJECT_CHUNK)
    while True:
        with plan.timed("read"):
            chunk = next(chunks, None)
        if chunk is None:
            break
        with plan.timed("prepare"):
            parts.append(frames.subject_table(kind, *chunk, memo))
            if memo is not None:
                memo.trim(MEMO_LIMIT)
    return frames.concat_side(kind, parts)


def _near_miss(
    conn: Connection, kind: str, rows: Sequence[PendingRow], side: pa.Table, day: date
) -> dict[int, SubjectEntry]:
    # Which near misses a subject of the kind holds is found in the subject side; only those few are read
    # from the store (a code held by a subject of the other kind would not count anyway).
    codes = {r.pk: near_misses(r.id_raw, r.kind, day) for r in rows if r.id_raw}
    held = frames.codes_held(side, [code for found in codes.values() for code in found])
    known = {code: e for code, e in store_linkage.subject_entries_by_id(conn, sorted(held)).items() if e.kind == kind}
    out: dict[int, SubjectEntry] = {}
    for row in rows:
        if codes.get(row.pk) and (hit := near_miss_candidate(row, codes[row.pk], known)) is not None:
            out[row.pk] = hit
    return out


@dataclass(frozen=True)
class _Context:
    """What stays fixed while one kind is linked."""

    engine: Backend
    spec: KindSpec
    rejected: set[tuple[str, int]]
    seed: int
    upper: float
    lower: float
    day: date
    step: Callable[[int], None]
    pool: Pool | None


def _by_model(
    conn: Connection, ctx: _Context, rows: Sequence[PendingRow], plan: Plan, reused: model.Parameters | None
) -> model.Estimate:
    """Score one kind's records against its subjects, decide the bands, and group the new ones."""
    engine, spec, rejected, step = ctx.engine, ctx.spec, ctx.rejected, ctx.step
    kind = spec.kind
    memo = Memo(ctx.pool)
    with plan.timed("prepare"):
        left = frames.record_frame(kind, rows, memo)
    right = subject_side(conn, kind, plan, memo) if rows else frames.concat_side(kind, [])
    del memo
    with plan.timed("near_miss"):
        near = _near_miss(conn, kind, rows, right, ctx.day)
    with plan.timed("prepare"):
        sides = model.register(engine, left, right) if rows and right.num_rows else None
    step(1)
    start = reused or model.priors(spec, right.num_rows)
    with plan.timed("estimate"):
        if reused is not None:
            fitted = model.Estimate(start, [{"step": "reused"}])
        elif sides is None:
            fitted = model.Estimate(start, [{"step": "priors", "reason": "nothing to link"}])
        else:
            fitted = model.estimate(engine, spec, sides, start, seed=ctx.seed)
    step(1)
    with plan.timed("score"):
        candidates = _score(engine, spec, fitted.params, sides, rejected, rows) if sides is not None else {}
    step(1)
    with plan.timed("decide"):
        _decide(ctx, rows, plan, candidates, near, left, fitted.params)
        # The keys of the subjects a person is asked about, for the review queue.
        shown = {c.subject_pk for _, _, found in plan.review for c in found}.difference(plan.keys)
        plan.keys.update(store_linkage.subject_keys(conn, shown))
    step(1)
    return fitted


def _decide(
    ctx: _Context,
    rows: Sequence[PendingRow],
    plan: Plan,
    candidates: dict[int, list[Candidate]],
    near: dict[int, SubjectEntry],
    left: pd.DataFrame,
    params: model.Parameters,
) -> None:
    """Put each record in its band; group the records below the lower threshold into new subjects."""
    upper, lower, rejected = ctx.upper, ctx.lower, ctx.rejected
    undecided: list[PendingRow] = []
    for row in rows:
        found = candidates.get(row.pk, [])
        if row.pk in near:
            hit = near[row.pk]
            if (row.key, hit.pk) not in rejected:
                plan.keys[hit.pk] = hit.key
                first = next((c for c in found if c.subject_pk == hit.pk), Candidate(hit.pk, 0.0, 0.0, {}))
                others = [c for c in found if c.subject_pk != hit.pk and c.probability >= lower]
                plan.review.append((row, "near_miss_code", [first, *others][:MAX_CANDIDATES]))
                _explain(plan, row, [first, *others][:MAX_CANDIDATES])
                continue
        best = found[0] if found else None
        runner_up = found[1] if len(found) > 1 else None
        if best is not None and best.probability >= upper and (runner_up is None or runner_up.probability < lower):
            plan.model.append((row, best))
            _explain(plan, row, [best])
        elif best is not None and best.probability >= lower:
            shortlist = [c for c in found if c.probability >= lower][:MAX_CANDIDATES]
            plan.review.append((row, "model", shortlist))
            _explain(plan, row, shortlist)
        else:
            # No explanation is kept for a record below the lower threshold: it is linked to no one,
            # and its new subject's grouping has explanations of its own.
            undecided.append(row)
    best_of = {row.pk: _first(candidates.get(row.pk)) for row in undecided}
    groups = _group_new(ctx.engine, ctx.spec, params, left, undecided, upper, plan) if undecided else []
    plan.new.extend([[(row, best_of[row.pk]) for row in group] for group in groups])
    wanted = {row.pk for row in undecided}
    names = left.loc[left["unique_id"].isin(wanted), ["unique_id", "name_norm"]]
    plan.norms.update((int(pk), str(norm)) for pk, norm in zip(names["unique_id"], names["name_norm"], strict=True))


def _first(found: list[Candidate] | None) -> Candidate | None:
    return found[0] if found else None


def _score(
    engine: Backend,
    spec: KindSpec,
    params: model.Parameters,
    sides: model.Sides,
    rejected: set[tuple[str, int]],
    rows: Sequence[PendingRow],
) -> dict[int, list[Candidate]]:
    # One more than shown, so that a rejected candidate does not leave a record one short.
    pairs = model.score_link(engine, spec, params, sides, keep=MAX_CANDIDATES + 1)
    if pairs.empty:
        return {}
    keys = {r.pk: r.key for r in rows}
    out: dict[int, list[Candidate]] = defaultdict(list)
    for record_pk, subject_pk, probability, weight, levels in zip(
        pairs["record_pk"].astype("int64").tolist(),
        pairs["subject_pk"].astype("int64").tolist(),
        pairs["match_probability"].astype("float64").tolist(),
        pairs["match_weight"].astype("float64").tolist(),
        model.levels_of_pairs(spec, pairs),
        strict=True,
    ):
        found = out[record_pk]
        if len(found) >= MAX_CANDIDATES or (keys[record_pk], subject_pk) in rejected:
            continue
        found.append(Candidate(subject_pk, probability, weight, levels))
    return dict(out)


def _explain(plan: Plan, row: PendingRow, candidates: Sequence[Candidate]) -> None:
    for rank, c in enumerate(candidates, start=1):
        if not c.levels:
            continue  # a near-miss candidate the model never scored has nothing to explain
        plan.explanations.append(
            ExplanationRow(
                run="",
                record_pk=row.pk,
                rank=rank,
                probability=c.probability,
                match_weight=c.match_weight,
                levels=c.levels,
                subject_pk=c.subject_pk,
            )
        )


def _group_new(
    engine: Backend,
    spec: KindSpec,
    params: model.Parameters,
    left: pd.DataFrame,
    rows: Sequence[PendingRow],
    upper: float,
    plan: Plan,
) -> list[list[PendingRow]]:
    """Records about the same unknown entity, grouped (connected at `upper`), each group by pk."""
    parent = {r.pk: r.pk for r in rows}

    def find(pk: int) -> int:
        while parent[pk] != pk:
            parent[pk] = parent[parent[pk]]
            pk = parent[pk]
        return pk

    if len(rows) > 1:
        subset = left[left["unique_id"].isin(list(parent))]
        pairs = model.score_dedupe(engine, spec, params, subset, upper)
        for record_pk, other_pk, probability, weight, levels in zip(
            pairs["record_pk"].astype("int64").tolist(),
            pairs["other_pk"].astype("int64").tolist(),
            pairs["match_probability"].astype("float64").tolist(),
            pairs["match_weight"].astype("float64").tolist(),
            model.levels_of_pairs(spec, pairs),
            strict=True,
        ):
            a, b = find(record_pk), find(other_pk)
            if a != b:
                parent[max(a, b)] = min(a, b)
            plan.explanations.append(
                ExplanationRow(
                    run="",
                    record_pk=record_pk,
                    rank=1,
                    probability=probability,
                    match_weight=weight,
                    levels=levels,
                    other_record_pk=other_pk,
                )
            )
    groups: dict[int, list[PendingRow]] = defaultdict(list)
    for row in rows:
        groups[find(row.pk)].append(row)
    return [groups[root] for root in sorted(groups)]


def _run_row(
    ctx: _Context, fitted: model.Estimate, plan: Plan, scored: int, started: datetime, clock: Clock
) -> NewLinkRun:
    spec = ctx.spec
    counts = writeback.kind_counts(plan, spec.kind)
    counts["scored"] = scored
    return NewLinkRun(
        kind=spec.kind,
        backend=ctx.engine.name,
        seed=ctx.seed,
        link_upper=ctx.upper,
        link_lower=ctx.lower,
        settings={"spec": spec.describe(), "splink": model.splink_settings(ctx.engine, spec, fitted.params)},
        model={"parameters": fitted.params.as_json(), "steps": fitted.steps},
        counts=counts,
        status="done",
        started_at=started,
        finished_at=clock.now(),
    )
