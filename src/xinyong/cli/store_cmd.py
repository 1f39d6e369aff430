"""`xinyong init`: create or migrate the database at XINYONG_DATABASE_URL; running it again is a no-op."""

from __future__ import annotations

from typing import Annotated

import typer

from xinyong.cli.output import emit_json
from xinyong.settings import load_settings
from xinyong.store import Store


def init_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Create or migrate the database (idempotent) and print its schema revision."""
    store = Store(load_settings().database_url)
    try:
        previous = store.revision()
        revision = store.init()
    finally:
        store.dispose()
    if as_json:
        emit_json({"database": store.display_url, "revision": revision, "previous": previous})
    elif previous is None:
        typer.echo(f"database {store.display_url} created at schema revision {revision}")
    elif previous == revision:
        typer.echo(f"database {store.display_url} already at schema revision {revision}")
    else:
        typer.echo(f"database {store.display_url} migrated from schema revision {previous} to {revision}")


def register(app: typer.Typer) -> None:
    """Add `init` to the app."""
    app.command("init")(init_cmd)
