"""`xinyong repair apply|decide`: credit repair, checked against the catalog's rules at once and decided by
the agency; a grant ends publication, the listing and its measures, and the change feed carries the end."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from xinyong.bootstrap import build
from xinyong.cli.output import emit_json
from xinyong.due_process import Actor, repairs
from xinyong.errors import InvalidInput
from xinyong.screening import publish

CONSOLE = Actor("cli", "operator")

repair_app = typer.Typer(
    name="repair",
    help="Credit repair: apply for a record's early end, and decide applications for the agency.",
    no_args_is_help=True,
)


def _letter(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {path}: {exc}", field="commitment") from None


@repair_app.command("apply")
def apply_cmd(
    subject_id: Annotated[str, typer.Argument(help="USCC, resident ID or subject key of the applicant.")],
    record: Annotated[str, typer.Option("--record", help="The record to repair, AGENCY:RECORD_ID.")],
    commitment: Annotated[
        Path | None, typer.Option("--commitment", help="The credit-repair commitment letter (UTF-8 text).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Apply for repair: refused at once with the rule and the earliest date, or pending with the agency."""
    letter = _letter(commitment)
    with build() as services:
        filed = repairs.apply(
            services.store,
            services.catalog,
            services.clock,
            subject=subject_id,
            record=record,
            commitment=letter,
            by=CONSOLE,
        )
    doc = {"application": filed.key, "status": filed.status, "reason": filed.reason, "earliest": filed.earliest}
    if as_json:
        emit_json(doc)
    else:
        earliest = f" (earliest {filed.earliest})" if filed.status == "refused" and filed.earliest else ""
        typer.echo(f"application {filed.key} {filed.status}{earliest}: {filed.reason}")


@repair_app.command("decide")
def decide_cmd(
    key: Annotated[str, typer.Argument(help="The application's key, e.g. R00000001.")],
    reason: Annotated[str, typer.Option("--reason", help="The agency's reason, told to the subject.")],
    grant: Annotated[bool, typer.Option("--grant", help="Grant: end publication, listing and measures.")] = False,
    refuse: Annotated[bool, typer.Option("--refuse", help="Refuse after review.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Decide a pending application with --grant or --refuse, and a --reason."""
    if grant == refuse:
        raise InvalidInput("give exactly one of --grant or --refuse", field="decision")
    with build() as services:
        decided = repairs.decide(services.store, services.clock, key, grant=grant, reason=reason, by=CONSOLE)
        if decided.version is not None:
            publish(services.store, services.catalog, services.clock)
    doc = decided.as_dict()
    if as_json:
        emit_json(doc)
    else:
        a = decided.application
        made = f"; {a.record_key} is now version {doc['version']} (repaired)" if doc["version"] is not None else ""
        typer.echo(f"application {a.key} {a.status}{made}")


def register(app: typer.Typer) -> None:
    """Add the `repair` command group."""
    app.add_typer(repair_app)
