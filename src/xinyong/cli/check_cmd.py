"""`xinyong check`: may this subject do this on that day, and if not, under which decision and law."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from xinyong.bootstrap import Services, build
from xinyong.cli.output import emit_json, to_json
from xinyong.clock import CST, today
from xinyong.dates import parse_date
from xinyong.domain.decisions import Decision
from xinyong.errors import InvalidInput
from xinyong.screening import BatchError, ScreeningIndex, audit_events, check_in_store, publish
from xinyong.store import audit_rows


def _known_at(raw: str | None) -> datetime | None:
    if raw is None:
        return None
    day = parse_date(raw, "known_at")
    return datetime(day.year, day.month, day.day, 23, 59, 59, 999999, tzinfo=CST)


def _describe(decision: Decision) -> str:
    head = {"deny": "DENIED", "review": "REVIEW", "expedite": "EXPEDITE", "allow": "ALLOWED"}[decision.effect]
    who = decision.subject["name"] if decision.subject else "no measure on file"
    lines = [f"{head}: {decision.action} on {decision.at.isoformat()} ({who})"]
    for r in decision.reasons:
        via = f" via {r.via.role} of {r.via.of}" if r.via else ""
        until = r.valid_to.isoformat() if r.valid_to else "until lifted"
        lines.append(
            f"  {r.effect} {r.measure} [{r.list}] {r.decision_no or '-'} {r.agency} {r.legal_basis} "
            f"{r.valid_from.isoformat()}..{until}{via}"
        )
    return "\n".join(lines)


def check_cmd(
    subject_id: Annotated[str | None, typer.Argument(help="USCC or resident ID.", show_default=False)] = None,
    action: Annotated[str, typer.Option("--action", help="Action code from the catalog, e.g. air_ticket.")] = "",
    at: Annotated[str | None, typer.Option("--at", help="Day to decide for (default today, CST).")] = None,
    known_at: Annotated[
        str | None, typer.Option("--known-at", help="Answer as the registry knew it at the end of this day.")
    ] = None,
    batch: Annotated[Path | None, typer.Option("--batch", help="File with one ID a line.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="With --batch: write JSON Lines here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """One decision (CONTRACT §4), or one per ID of a file with --batch (JSON Lines)."""
    if not action:
        raise InvalidInput("an action is required (--action CODE)", field="action")
    if (subject_id is None) == (batch is None):
        raise InvalidInput("give either one ID or --batch FILE", field="id")
    with build() as services:
        _run(services, subject_id, action, at, known_at, batch, out, as_json)


def _run(
    services: Services,
    subject_id: str | None,
    action: str,
    at: str | None,
    known_at: str | None,
    batch: Path | None,
    out: Path | None,
    as_json: bool,
) -> None:
    day = parse_date(at, "at") if at else today(services.clock)
    store = services.store
    if batch is None:
        assert subject_id is not None
        decision = check_in_store(store, services.catalog, subject_id, action, day, _known_at(known_at))
        results: list[Decision | BatchError] = [decision]
    else:
        try:
            ids = [line.strip() for line in batch.read_text(encoding="utf-8-sig").splitlines() if line.strip()]
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"cannot read {batch}: {exc}", field="batch") from None
        if known_at is not None:
            results = [check_in_store(store, services.catalog, i, action, day, _known_at(known_at)) for i in ids]
        else:
            publish(store, services.catalog, services.clock)
            results = ScreeningIndex.build(store, services.catalog).check_batch(ids, action, day)
    with store.unit_of_work() as conn:
        audit_rows.record(
            conn,
            audit_events(
                actor="cli",
                role="operator",
                purpose=None,
                action=action,
                at=day,
                results=results,
                now=services.clock.now(),
            ),
        )
    if batch is not None:
        lines = []
        for raw, result in zip(ids, results, strict=True):
            body = result.as_dict()
            lines.append(to_json({"id": raw, **body} if isinstance(result, Decision) else body, indent=None))
        text = "\n".join(lines) + ("\n" if lines else "")
        if out is None:
            sys.stdout.write(text)
        else:
            out.write_text(text, encoding="utf-8")
        return
    if as_json:
        emit_json(decision.as_dict())
    else:
        typer.echo(_describe(decision))


def register(app: typer.Typer) -> None:
    """Add `check` to the app."""
    app.command("check")(check_cmd)
