"""`xinyong audit verify|checkpoint`: check the whole audit log, and sign its current head."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from xinyong import auditing
from xinyong.audit import public_key_id, public_key_to_pem
from xinyong.bootstrap import Services, build
from xinyong.cli.output import emit_json

audit_app = typer.Typer(
    name="audit",
    help="Verify the tamper-evident audit log and sign checkpoints of it.",
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


@audit_app.command("verify")
def verify(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Recompute every entry's hashes and the Merkle root at every signed checkpoint; exit 1 when broken."""
    with _services() as services:
        public_key = auditing.public_key_of(services.settings.home)
        result = auditing.verify(services.store, public_key)
    if as_json:
        emit_json(
            {
                "ok": result.ok,
                "checked": result.checked,
                "first_bad_seq": result.first_bad_seq,
                "problem": result.problem,
                "root_hex": result.root_hex,
                "checkpoints_checked": result.checkpoints_checked,
                "key_id": public_key_id(public_key) if public_key is not None else None,
            }
        )
    elif result.ok:
        typer.echo(
            f"audit log ok: {result.checked} entries, root {result.root_hex}, "
            f"{result.checkpoints_checked} signed checkpoints match"
        )
    if not result.ok:
        sys.stderr.write(f"error: {result.problem}\n")
        raise typer.Exit(1)


@audit_app.command("checkpoint")
def checkpoint(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Sign the log's current head (kept in the database) and print it with the public key."""
    with _services() as services:
        signed = auditing.checkpoint(services.store, services.audit_key, services.clock)
        public_pem = public_key_to_pem(services.audit_key.public_key()).decode("ascii")
    if as_json:
        emit_json({**signed.to_dict(), "public_key_pem": public_pem})
        return
    typer.echo(signed.signed_text(), nl=False)
    typer.echo(f"key {signed.key_id} signature {signed.signature_hex}")


def register(app: typer.Typer) -> None:
    """Add the `audit` command group."""
    app.add_typer(audit_app)
