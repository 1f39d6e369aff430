"""`xinyong init`: create or migrate the database at XINYONG_DATABASE_URL; running it again is a no-op.
`xinyong store partitions`: list PostgreSQL's time partitions, create the coming ones, detach old ones."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from xinyong.cli.output import emit_json, stdout
from xinyong.clock import clock_from
from xinyong.settings import load_settings
from xinyong.store import Store, partitions

store_app = typer.Typer(
    name="store",
    help="Look after the database: PostgreSQL's time partitions of records and the audit log.",
    no_args_is_help=True,
)


def init_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Create or migrate the database (idempotent), create the coming partitions on PostgreSQL, and print
    the schema revision."""
    settings = load_settings()
    store = Store(settings.database_url)
    try:
        previous = store.revision()
        revision = store.init()
        with store.unit_of_work() as conn:
            created = partitions.ensure(conn, clock_from(settings.now).now())
    finally:
        store.dispose()
    if as_json:
        emit_json({"database": store.display_url, "revision": revision, "previous": previous})
        return
    if previous is None:
        typer.echo(f"database {store.display_url} created at schema revision {revision}")
    elif previous == revision:
        typer.echo(f"database {store.display_url} already at schema revision {revision}")
    else:
        typer.echo(f"database {store.display_url} migrated from schema revision {previous} to {revision}")
    if created and previous is not None:
        typer.echo(f"partitions created: {', '.join(created)}")


@store_app.command("partitions")
def partitions_cmd(
    ensure: Annotated[
        bool,
        typer.Option("--ensure", help="Create the partitions of this period and the coming ones (run monthly)."),
    ] = False,
    detach: Annotated[
        str | None,
        typer.Option(
            "--detach",
            metavar="NAME",
            help="Detach a partition to archive: records holding no current version, or a past audit month"
            " (with its month of the access index).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """List the partitions of records, the audit log and its access index with their periods, rows and sizes
    (PostgreSQL)."""
    settings = load_settings()
    store = Store(settings.database_url)
    try:
        with store.unit_of_work() as conn:
            partitioned = partitions.is_partitioned(conn)
            now = clock_from(settings.now).now()
            created = partitions.ensure(conn, now) if ensure else []
            gone = partitions.detach(conn, detach, at=now) if detach is not None else None
            found = partitions.partitions(conn)
    finally:
        store.dispose()
    # An audit month's access index partition is detached with it.
    detached = [gone.name, *(s.name(start) for s, start in partitions.companions(gone))] if gone is not None else []
    if as_json:
        emit_json(
            {
                "database": store.display_url,
                "partitioned": partitioned,
                "created": created,
                "detached": detached[0] if detached else None,
                "detached_with": detached[1:],
                "partitions": [p.as_dict() for p in found],
            }
        )
        return
    if not partitioned:
        typer.echo(f"{store.display_url} is not PostgreSQL: records and the audit log are single tables")
        return
    for name in created:
        typer.echo(f"created {name}")
    for name in detached:
        typer.echo(f"detached {name}: now a table of its own, to archive and drop")
    table = Table("table", "partition", "from", "to", "rows", "MB")
    for p in found:
        bounds = ("default", "") if p.default else (_day(p.lower), _day(p.upper))
        table.add_row(p.table, p.name, *bounds, str(p.rows), f"{p.bytes / 2**20:.1f}")
    stdout.print(table)


def _day(instant: datetime | None) -> str:
    return f"{instant:%Y-%m-%d}" if instant is not None else "?"


def register(app: typer.Typer) -> None:
    """Add `init` and the `store` group to the app."""
    app.command("init")(init_cmd)
    app.add_typer(store_app)
