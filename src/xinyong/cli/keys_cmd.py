"""`xinyong keys create|list|revoke`: API keys for principals with a role and scopes, shown once, kept hashed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.table import Table

from xinyong import access
from xinyong.bootstrap import Services, build
from xinyong.cli.output import emit_json, stdout

keys_app = typer.Typer(
    name="keys",
    help="Make, list and revoke API keys; a key is printed once and only its hash is stored.",
    no_args_is_help=True,
)


@contextmanager
def _services() -> Iterator[Services]:
    # The command's database connections are closed when it ends, not left to the garbage collector.
    services = build()
    try:
        yield services
    finally:
        if "store" in vars(services):
            services.store.dispose()


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


@keys_app.command("create")
def create(
    role: Annotated[str, typer.Option("--role", help=f"One of: {', '.join(access.ROLES)}.")],
    name: Annotated[str, typer.Option("--name", help="Who holds the key; reuse a name to rotate its key.")],
    agency: Annotated[str | None, typer.Option("--agency", help="Agency code (agency and court keys).")] = None,
    subject: Annotated[str | None, typer.Option("--subject", help="USCC or resident ID (subject keys).")] = None,
    actions: Annotated[str | None, typer.Option("--actions", help="Comma-separated actions the key may check.")] = None,
    record_types: Annotated[
        str | None,
        typer.Option("--record-types", help="Comma-separated record types (default: all the agency may send)."),
    ] = None,
    districts: Annotated[
        str | None, typer.Option("--districts", help="Comma-separated division codes (regulator keys).")
    ] = None,
    grants: Annotated[
        str | None, typer.Option("--grants", help="Comma-separated grants, e.g. feed:clear-ids (platform keys).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Make a key and print it once; store it somewhere safe, it cannot be shown again."""
    with _services() as services:
        spec = access.principal_spec(
            services.catalog,
            name=name,
            role=role,
            agency=agency,
            subject=subject,
            actions=_split(actions),
            record_types=_split(record_types) or None,
            districts=_split(districts),
            grants=_split(grants),
        )
        issued = access.create_key(services.store, services.clock, spec, actor="cli", actor_role="operator")
    if as_json:
        emit_json({"key": issued.key, "prefix": issued.prefix, **issued.principal.to_dict()})
        return
    typer.echo(f"key for {issued.principal.name} ({issued.principal.role}), prefix {issued.prefix}:")
    typer.echo(issued.key)
    typer.echo("This is the only time the key is shown; only its hash is stored.", err=True)


@keys_app.command("list")
def list_keys(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Every key ever made, revoked ones included (never the keys themselves)."""
    with _services() as services:
        keys = access.list_keys(services.store)
    if as_json:
        emit_json({"keys": [key.to_dict() for key in keys]})
        return
    table = Table(title="API keys")
    for column in ("prefix", "name", "role", "agency / subject", "scopes", "created", "revoked", "last used"):
        table.add_column(column, overflow="fold")
    for key in keys:
        p = key.principal
        scopes = "; ".join(f"{k}: {','.join(v)}" for k, v in p.scopes.to_dict().items() if v)
        table.add_row(
            key.prefix,
            p.name,
            p.role,
            p.agency or p.subject or "",
            scopes,
            f"{key.created_at:%Y-%m-%d %H:%M}",
            f"{key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "",
            f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "",
        )
    stdout.print(table)


@keys_app.command("revoke")
def revoke(
    prefix: Annotated[str, typer.Argument(help="The key's prefix, as `keys list` shows it.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Revoke a key from now on; requests with it are refused with 401."""
    with _services() as services:
        info = access.revoke_key(services.store, services.clock, prefix, actor="cli", actor_role="operator")
    if as_json:
        emit_json(info.to_dict())
        return
    typer.echo(f"key {info.prefix} of {info.principal.name} revoked")


def register(app: typer.Typer) -> None:
    """Add the `keys` command group."""
    app.add_typer(keys_app)
