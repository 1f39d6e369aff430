"""What the oversight dashboard counts: the published measure windows, objections, repair applications and
the checks platforms made, read in the few columns the figures need (no personal data beyond identifiers)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Select, func, select

from xinyong.store.schema import audit_log
from xinyong.store.schema_audit import audit_access
from xinyong.store.schema_due_process import objections, repairs
from xinyong.store.schema_screening import measure_targets

#: Rows fetched per round trip when streaming a table.
FETCH = 20_000
#: Audit actions screening writes: one entry per subject found on file, one per request of several.
CHECK_ACTIONS = ("check", "check.request")


@dataclass(frozen=True, slots=True)
class MeasureWindow:
    """One published window in which a list (and so its measures) applies to one subject."""

    list_code: str
    target_pk: int
    target_kind: str
    target_id: str | None
    agency: str
    via_role: str | None
    valid_from: date
    valid_to: date | None


@dataclass(frozen=True, slots=True)
class ObjectionFact:
    """An objection's dates and outcome, without its grounds."""

    agency: str
    filed_at: datetime
    deadline: date
    status: str
    outcome: str | None
    escalated_at: datetime | None
    decided_at: datetime | None


@dataclass(frozen=True, slots=True)
class RepairFact:
    """A repair application's dates and status, without its text."""

    agency: str
    filed_at: datetime
    status: str
    deadline: date | None
    decided_at: datetime | None


@dataclass(frozen=True, slots=True)
class CheckCount:
    """Audit entries of one kind that one caller's checks left in one month (China Standard Time).

    `ids` and `on_file` are summed from the per-request entries; single checks of a subject on file leave
    only a per-subject entry, so IDs checked = `ids` of requests + per-subject entries − `on_file` of requests.
    """

    actor: str
    role: str
    month: str
    action: str
    entries: int
    ids: int
    on_file: int


def measure_windows(conn: Connection) -> Iterator[MeasureWindow]:
    """Every published measure window, in pk order."""
    t = measure_targets.c
    query = select(
        t.list_code, t.target_pk, t.target_kind, t.target_id, t.agency, t.via_role, t.valid_from, t.valid_to
    ).order_by(t.pk)
    for row in _stream(conn, query):
        yield MeasureWindow(*row)


def objection_facts(conn: Connection) -> Iterator[ObjectionFact]:
    """Every objection's agency, dates, status and outcome, in filing order."""
    o = objections.c
    query = select(o.agency, o.filed_at, o.deadline, o.status, o.outcome, o.escalated_at, o.decided_at).order_by(o.pk)
    for row in _stream(conn, query):
        yield ObjectionFact(*row)


def repair_facts(conn: Connection) -> Iterator[RepairFact]:
    """Every repair application's agency, dates and status, in filing order."""
    r = repairs.c
    query = select(r.agency, r.filed_at, r.status, r.deadline, r.decided_at).order_by(r.pk)
    for row in _stream(conn, query):
        yield RepairFact(*row)


def check_counts(conn: Connection) -> list[CheckCount]:
    """Screening's audit entries counted per caller, month and kind, in the database."""
    a = audit_log.c
    month = _cst_month(conn, a.at).label("month")
    query = (
        select(
            a.actor,
            a.role,
            month,
            a.action,
            func.count(),
            func.coalesce(func.sum(a.detail["ids"].as_integer()), 0),
            func.coalesce(func.sum(a.detail["on_file"].as_integer()), 0),
        )
        .where(a.action.in_(CHECK_ACTIONS))
        .group_by(a.actor, a.role, month, a.action)
        .order_by(a.actor, month, a.action)
    )
    counts = [
        CheckCount(str(actor), str(role), str(m), str(action), int(n), int(ids), int(on_file))
        for actor, role, m, action, n, ids, on_file in conn.execute(query)
    ]
    # A request of several IDs is one entry; each subject it found on file has a row in the access index,
    # counted here as the per-subject entry it stands for.
    i = audit_access.c
    shared = (
        select(a.actor, a.role, month, i.action, func.count())
        .select_from(audit_access.join(audit_log, a.seq == i.seq))
        .where(i.action.in_(CHECK_ACTIONS))
        .group_by(a.actor, a.role, month, i.action)
        .order_by(a.actor, month, i.action)
    )
    counts += [
        CheckCount(str(actor), str(role), str(m), str(action), int(n), 0, 0)
        for actor, role, m, action, n in conn.execute(shared)
    ]
    return counts


def _cst_month(conn: Connection, column: Any) -> Any:
    # Months are counted in China Standard Time, as legal days are; instants are stored in UTC.
    if conn.dialect.name == "postgresql":
        return func.to_char(func.timezone("Asia/Shanghai", column), "YYYY-MM")
    return func.strftime("%Y-%m", column, "+8 hours")


def _stream(conn: Connection, query: Select[Any]) -> Iterator[Any]:
    result = conn.execution_options(yield_per=FETCH).execute(query)
    for partition in result.partitions():
        yield from partition
