"""PostgreSQL's layout of the two tables that grow without end: range partitions by time.

`records` is partitioned by year of `recorded_at` (when the registry learned the version) and `audit_log`
by month of `at` (when the entry was made). Both instants are set once at insert and never change, and
they grow with the wall clock, so new rows land in the newest partition and an old one stops changing.
Each table has a default partition, so an insert never fails for want of one; `ensure` creates the
partitions of the coming periods ahead of time and moves any row the default holds into its own.

PostgreSQL needs the partition key in every unique constraint of a partitioned table, so what the
unpartitioned tables guaranteed with their own indexes is kept by other means (migration 0007):
- `record_keys(pk, agency, record_id, version, current)`, an unpartitioned narrow table kept in step with
  `records` by triggers, carries the unique `pk`, `(agency, record_id, version)` and "one current version
  per agency record" constraints, and is what the foreign keys to a record version point at;
- `audit_log`'s primary key is `(seq, at)`, and a statement trigger (under the appenders' advisory lock)
  refuses rows whose seqs would repeat or skip one, so the sequence stays 1, 2, 3... with no gap.

The log's access index, `audit_access`, is partitioned in step with the log (migration 0014): each row
carries its entry's `at`, and every month of the log has its `audit_access_m…` partition, made and
archived with the log's own.

SQLite keeps one table each; every function here is a no-op there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Connection, text

from xinyong.audit import verify_log
from xinyong.errors import Conflict, InvalidInput
from xinyong.store import audit_rows
from xinyong.store.schema_audit import audit_archives

#: The unpartitioned table that holds records' unique keys and is the target of foreign keys to a version.
RECORD_KEYS = "record_keys"

# Any constant works; it only has to be the same in every process that maintains partitions.
_PARTITION_LOCK = 0x7061727469  # "parti"


@dataclass(frozen=True, slots=True)
class Scheme:
    """How one table is partitioned: by which instant column, in periods of a year or a month."""

    table: str
    column: str
    period: Literal["year", "month"]
    #: How many periods after the current one `ensure` creates in advance.
    ahead: int
    #: Tables partitioned in step with this one: each gets its partition of a period when this table does,
    #: and a partition of this table is archived with theirs.
    companions: tuple[Scheme, ...] = ()

    @property
    def default(self) -> str:
        """The default partition's name."""
        return f"{self.table}_default"

    def start(self, instant: datetime) -> datetime:
        """The start (UTC) of the period holding `instant`."""
        utc = instant.astimezone(UTC)
        return datetime(utc.year, 1 if self.period == "year" else utc.month, 1, tzinfo=UTC)

    def after(self, start: datetime) -> datetime:
        """The start of the period after the one starting at `start`."""
        if self.period == "year":
            return start.replace(year=start.year + 1)
        return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)

    def name(self, start: datetime) -> str:
        """The partition's name: `records_y2025`, `audit_log_m202506`."""
        return f"{self.table}_y{start:%Y}" if self.period == "year" else f"{self.table}_m{start:%Y%m}"

    def parse(self, name: str) -> datetime | None:
        """The period start a partition name stands for, None for names this scheme does not make."""
        pattern = (
            rf"{re.escape(self.table)}_y(\d{{4}})" if self.period == "year" else rf"{re.escape(self.table)}_m(\d{{6}})"
        )
        found = re.fullmatch(pattern, name)
        if found is None:
            return None
        digits = found.group(1)
        return datetime(int(digits[:4]), int(digits[4:6] or 1), 1, tzinfo=UTC)


RECORDS = Scheme("records", "recorded_at", "year", ahead=1)
#: The access index: each row carries its log entry's `at`, so it lands in the month its entry does.
AUDIT_ACCESS = Scheme("audit_access", "at", "month", ahead=3)
AUDIT_LOG = Scheme("audit_log", "at", "month", ahead=3, companions=(AUDIT_ACCESS,))
#: The tables whose partitions are made on their own schedule, each with its companions'.
LEADERS = (RECORDS, AUDIT_LOG)
#: Every partitioned table.
SCHEMES = (RECORDS, AUDIT_LOG, AUDIT_ACCESS)


@dataclass(frozen=True, slots=True)
class Partition:
    """One partition as the catalog describes it."""

    table: str
    name: str
    lower: datetime | None
    upper: datetime | None
    default: bool
    #: The planner's estimate (pg_class.reltuples); exact for default partitions, which should stay empty.
    rows: int
    bytes: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "name": self.name,
            "from": self.lower.isoformat() if self.lower else None,
            "to": self.upper.isoformat() if self.upper else None,
            "default": self.default,
            "rows": self.rows,
            "bytes": self.bytes,
        }


def is_partitioned(conn: Connection, table: str = RECORDS.table) -> bool:
    """Whether `table` is a partitioned table here (PostgreSQL at revision 0007 or later)."""
    if conn.dialect.name != "postgresql":
        return False
    kind = conn.execute(
        text("SELECT c.relkind FROM pg_class c WHERE c.oid = to_regclass(:table)"), {"table": table}
    ).scalar_one_or_none()
    return kind == "p"


def partitions(conn: Connection) -> list[Partition]:
    """Every partition of the partitioned tables, oldest period first, the default partition last."""
    out: list[Partition] = []
    for scheme in SCHEMES:
        if not is_partitioned(conn, scheme.table):
            continue
        rows = conn.execute(
            text(
                "SELECT c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid),"
                " pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT'"
                " FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                " WHERE i.inhparent = to_regclass(:table)"
            ),
            {"table": scheme.table},
        ).all()
        found: list[Partition] = []
        for name, estimate, size, is_default in rows:
            lower = scheme.parse(name)
            count = _exact_rows(conn, name) if is_default else max(int(estimate), 0)
            upper = scheme.after(lower) if lower is not None else None
            found.append(Partition(scheme.table, name, lower, upper, bool(is_default), count, int(size)))
        found.sort(key=lambda p: (p.default, p.lower or datetime.max.replace(tzinfo=UTC), p.name))
        out.extend(found)
    return out


def ensure(conn: Connection, now: datetime) -> list[str]:
    """Create the partitions for the current period and `ahead` more, and for any period whose rows sit in
    the default partition (moving them into it); returns the names created, none on SQLite."""
    created: list[str] = []
    if not is_partitioned(conn):
        return created
    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PARTITION_LOCK})
    for scheme in LEADERS:
        if not is_partitioned(conn, scheme.table):
            continue
        # A period of the log gets its access index partition at the same time, whichever default held rows.
        group = [scheme, *(c for c in scheme.companions if is_partitioned(conn, c.table))]
        wanted = set(_upcoming(scheme, now))
        for member in group:
            wanted |= set(periods_in(conn, member, member.default))
        for start in sorted(wanted):
            for member in group:
                if create(conn, member, start):
                    created.append(member.name(start))
    return created


def _upcoming(scheme: Scheme, now: datetime) -> Iterable[datetime]:
    start = scheme.start(now)
    for _ in range(scheme.ahead + 1):
        yield start
        start = scheme.after(start)


def periods_in(conn: Connection, scheme: Scheme, relation: str) -> list[datetime]:
    """The period starts of the rows `relation` (a table of the scheme's shape) holds, in UTC."""
    query = text(
        f"SELECT DISTINCT date_trunc('{scheme.period}', {scheme.column} AT TIME ZONE 'UTC') AS start"
        f" FROM ONLY {_quoted(conn, relation)} ORDER BY start"
    )
    return [start.replace(tzinfo=UTC) for start in conn.execute(query).scalars()]


def create(conn: Connection, scheme: Scheme, start: datetime, *, parent: str | None = None) -> bool:
    """Create the partition for the period starting at `start` unless it exists; rows of that period in the
    default partition move into it. `parent` names the partitioned table when it is not yet renamed
    (migration 0007 builds `records` under another name). Returns whether a partition was made."""
    name = scheme.name(start)
    if conn.execute(text("SELECT to_regclass(:name)"), {"name": name}).scalar_one_or_none() is not None:
        return False
    table = _quoted(conn, parent or scheme.table)
    bounds = f"FOR VALUES FROM ('{start.isoformat()}') TO ('{scheme.after(start).isoformat()}')"
    default = scheme.default
    within = f"{scheme.column} >= '{start.isoformat()}' AND {scheme.column} < '{scheme.after(start).isoformat()}'"
    stray = conn.execute(text(f"SELECT EXISTS (SELECT 1 FROM {_quoted(conn, default)} WHERE {within})")).scalar()
    if not stray:
        conn.execute(text(f"CREATE TABLE {_quoted(conn, name)} PARTITION OF {table} {bounds}"))
        return True
    # The default partition may not hold rows of a partition being created: move them out first. Statement
    # triggers on the parent do not fire for statements naming a partition, so record_keys is untouched.
    new = _quoted(conn, name)
    conn.execute(text(f"CREATE TABLE {new} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"))
    conn.execute(
        text(
            f"WITH moved AS (DELETE FROM {_quoted(conn, default)} WHERE {within} RETURNING *)"
            f" INSERT INTO {new} SELECT * FROM moved"
        )
    )
    conn.execute(text(f"ALTER TABLE {table} ATTACH PARTITION {new} {bounds}"))
    return True


def detach(conn: Connection, name: str, *, at: datetime, actor: str = "cli") -> Partition:
    """Detach a partition for archiving: it stays a plain table the operator may dump and drop.

    A records partition is detached when every version in it is superseded (the registry's present word
    must stay answerable); the versions' keys stay in `record_keys`, so an archived version is never stored
    again as new. An audit log partition is detached when its month is over, its entries are the oldest the
    log still holds (archives are a prefix of the log) and the newest entry is not among them; first its
    entries are checked, from seq 1, against their hashes and the chain, and their leaf and chain hashes are
    kept in `audit_leaves`, so verification, signed checkpoints and proofs still cover the whole log. The
    month's partition of the access index (`audit_access_m…`) is detached with it, to be archived and
    dropped with it; it is never detached on its own. Default partitions are never detached. Either way
    the detachment is itself an audit entry (`store.detach`).
    """
    if not is_partitioned(conn):
        raise Conflict(
            "the database is not partitioned (SQLite keeps single tables): nothing to detach", field="partition"
        )
    found = {p.name: p for p in partitions(conn)}
    partition = found.get(name)
    if partition is None:
        raise InvalidInput(f"{name!r} is not a partition of records or audit_log", field="partition")
    if partition.default:
        raise Conflict(f"{name} is a default partition; it is never detached", field="partition")
    if partition.table == AUDIT_ACCESS.table:
        month = AUDIT_LOG.name(partition.lower) if partition.lower is not None else "its month of the audit log"
        raise Conflict(f"{name} is detached with its month of the audit log: detach {month}", field="partition")
    records_table = partition.table == RECORDS.table
    detail = _release_records(conn, name) if records_table else _release_audit(conn, partition, at)
    _detach(conn, partition.table, name)
    with_it = []
    for companion, start in companions(partition):
        twin = companion.name(start)
        # Made first if it is missing (its period's rows moving out of the default partition into it), so
        # that the month's rows always leave together.
        create(conn, companion, start)
        _detach(conn, companion.table, twin)
        with_it.append(twin)
    if with_it:
        detail["detached_with"] = with_it
    event = audit_rows.Event(at, actor, "operator", "store.detach", f"partition:{name}", detail=detail)
    audit_rows.record(conn, [event])
    return partition


def companions(partition: Partition) -> list[tuple[Scheme, datetime]]:
    """The tables whose partition of the same period `detach` takes out with this one (the access index's
    month with the audit log's), each with the period's start."""
    scheme = next((s for s in LEADERS if s.table == partition.table), None)
    if scheme is None or partition.lower is None:
        return []
    return [(companion, partition.lower) for companion in scheme.companions]


def _detach(conn: Connection, table: str, name: str) -> None:
    conn.execute(text(f"ALTER TABLE {_quoted(conn, table)} DETACH PARTITION {_quoted(conn, name)}"))


def _release_records(conn: Connection, name: str) -> dict[str, Any]:
    current = conn.execute(text(f"SELECT count(*) FROM {_quoted(conn, name)} WHERE superseded_at IS NULL")).scalar_one()
    if current:
        raise Conflict(
            f"{name} holds {current} current record versions; only superseded ones are archived", field="partition"
        )
    versions = conn.execute(text(f"SELECT count(*) FROM {_quoted(conn, name)}")).scalar_one()
    return {"table": RECORDS.table, "versions": int(versions)}


def _release_audit(conn: Connection, partition: Partition, at: datetime) -> dict[str, Any]:
    name = partition.name
    audit_rows.tail(conn, lock=True)  # nobody appends while the month is taken out
    if partition.upper is None or partition.upper > at:
        raise Conflict(f"{name}: its month is not over; entries may still be written to it", field="partition")
    table = _quoted(conn, name)
    low, high, entries = conn.execute(text(f"SELECT min(seq), max(seq), count(*) FROM ONLY {table}")).one()
    through = audit_rows.archived_through(conn)
    if entries:
        earlier = conn.execute(
            text("SELECT count(*) FROM audit_log WHERE seq <= :high AND tableoid <> CAST(:name AS regclass)"),
            {"high": high, "name": name},
        ).scalar_one()
        if low != through + 1 or earlier:
            first = through + 1
            raise Conflict(
                f"{name}: entries {low} to {high} are not the oldest the log holds (entry {first} is next to "
                "archive); archive the months before it first",
                field="partition",
            )
        if high >= audit_rows.size(conn):
            raise Conflict(f"{name} holds the newest entry of the log ({high}); it stays", field="partition")
        checked = verify_log(audit_rows.iter_log(conn, 1, high))
        if not checked.ok:
            problem = f"{name}: the log does not verify, nothing is archived: {checked.problem}"
            raise Conflict(problem, field="partition")
        conn.execute(
            text(
                "INSERT INTO audit_leaves (seq, leaf_hash, chain_hash)"
                f" SELECT seq, leaf_hash, chain_hash FROM ONLY {table}"
            )
        )
    conn.execute(
        audit_archives.insert().values(
            partition=name, first_seq=low, last_seq=high, entries=int(entries), archived_at=at
        )
    )
    return {"table": AUDIT_LOG.table, "first_seq": low, "last_seq": high, "entries": int(entries)}


def layout_tables(conn: Connection) -> set[str]:
    """Tables that exist only because of this layout (partitions and `record_keys`), for schema comparisons."""
    if not is_partitioned(conn):
        return set()
    names = {p.name for p in partitions(conn)}
    return names | {RECORD_KEYS}


#: Constraints and indexes of the schema that the PostgreSQL layout replaces (see the module docstring).
REPLACED = {
    ("records", "uq_records_agency_record_id_version"),
    ("records", "uq_records_current"),
    ("records", "ix_records_agency_record_id_version"),
    ("records", "ix_records_current"),
}
#: Columns that only PostgreSQL's store has: the access index's partition key (migration 0014), which SQLite's
#: single table does without.
POSTGRESQL_ONLY = {("audit_access", "at")}


def include_object(layout: set[str]) -> Any:
    """An Alembic `include_object` hook that leaves out what the PostgreSQL layout changes on purpose, so
    that migrations = metadata can still be checked for everything else. `layout` is `layout_tables()`."""

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        table = getattr(getattr(obj, "table", None), "name", None)
        if not layout:
            return True
        if type_ == "table":
            return name not in layout
        if type_ == "column" and (table, name) in POSTGRESQL_ONLY:
            return False
        if type_ in ("index", "unique_constraint") and (table, name) in REPLACED:
            return False
        if type_ == "foreign_key_constraint":
            referred = getattr(obj, "referred_table", None)
            return getattr(referred, "name", None) not in (RECORDS.table, RECORD_KEYS)
        return True

    return include


def _exact_rows(conn: Connection, name: str) -> int:
    return int(conn.execute(text(f"SELECT count(*) FROM ONLY {_quoted(conn, name)}")).scalar_one())


def _quoted(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)
