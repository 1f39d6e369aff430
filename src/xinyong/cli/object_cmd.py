"""`xinyong object file|decide|list`: objections to records, the agency's decision, and the deadlines.

After a decision the screening targets are republished, so platforms' change feed carries a withdrawal.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from xinyong.bootstrap import build
from xinyong.cli.output import emit_json
from xinyong.clock import today
from xinyong.due_process import Actor, objections, subject_files
from xinyong.due_process.corrections import load_corrections
from xinyong.errors import InvalidInput
from xinyong.screening import publish

#: The console acts as the operator, on behalf of whoever brought the matter to it.
CONSOLE = Actor("cli", "operator")

object_app = typer.Typer(
    name="object",
    help="Objections: file one against a record, decide it for the agency, list the open ones and deadlines.",
    no_args_is_help=True,
)


@object_app.command("file")
def file_cmd(
    subject_id: Annotated[str, typer.Argument(help="USCC, resident ID or subject key of the objector.")],
    record: Annotated[str, typer.Option("--record", help="The record objected to, AGENCY:RECORD_ID.")],
    grounds: Annotated[str, typer.Option("--grounds", help="Why the record is wrong.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """File an objection; the record is contested at once and the agency gets the catalog's deadline."""
    with build() as services:
        filed = objections.file(
            services.store,
            services.catalog,
            services.clock,
            subject=subject_id,
            record=record,
            grounds=grounds,
            by=CONSOLE,
        )
    doc = {"objection": filed.key, "status": filed.status, "deadline": filed.deadline}
    if as_json:
        emit_json(doc)
    else:
        typer.echo(
            f"objection {filed.key} filed against {filed.record_key}: {filed.agency} must decide by "
            f"{filed.deadline} ({filed.deadline_kind} days)"
        )


@object_app.command("decide")
def decide_cmd(
    key: Annotated[str, typer.Argument(help="The objection's key, e.g. O00000001.")],
    reason: Annotated[str, typer.Option("--reason", help="The agency's reason, told to the subject.")],
    uphold: Annotated[bool, typer.Option("--uphold", help="The objection is well founded.")] = False,
    reject: Annotated[bool, typer.Option("--reject", help="The objection is rejected; the record stands.")] = False,
    withdraw: Annotated[bool, typer.Option("--withdraw", help="With --uphold: withdraw the record.")] = False,
    correct: Annotated[
        Path | None, typer.Option("--correct", help="With --uphold: JSON or YAML file of corrected fields.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Decide an objection: --uphold with --withdraw or --correct FILE, or --reject; always --reason."""
    if uphold == reject:
        raise InvalidInput("give exactly one of --uphold or --reject", field="decision")
    if reject and (withdraw or correct is not None):
        raise InvalidInput("--withdraw and --correct go with --uphold, not --reject", field="decision")
    if uphold and withdraw == (correct is not None):
        raise InvalidInput("--uphold needs exactly one of --withdraw or --correct FILE", field="decision")
    changes = load_corrections(correct) if correct is not None else None
    decision: objections.Decision = "reject" if reject else ("withdraw" if withdraw else "correct")
    with build() as services:
        decided = objections.decide(
            services.store,
            services.catalog,
            services.clock,
            key,
            decision=decision,
            reason=reason,
            by=CONSOLE,
            corrections=changes,
        )
        if decided.version is not None:
            publish(services.store, services.catalog, services.clock)
    doc = decided.as_dict()
    if as_json:
        emit_json(doc)
    else:
        o = decided.objection
        made = f"; {o.record_key} is now version {doc['version']}" if doc["version"] is not None else ""
        typer.echo(f"objection {o.key} {o.status}{' (' + o.outcome + ')' if o.outcome else ''}{made}")


@object_app.command("list")
def list_cmd(
    overdue: Annotated[bool, typer.Option("--overdue", help="Only those past their deadline (escalated).")] = False,
    agency: Annotated[str | None, typer.Option("--agency", help="Only objections routed to this agency.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Objections waiting for a decision, earliest deadline first; a missed deadline escalates to the operator."""
    with build() as services:
        if agency is not None and agency not in services.catalog.agencies:
            raise InvalidInput(f"unknown agency {agency!r}; `xinyong catalog` lists them", field="agency")
        rows = objections.undecided(services.store, services.clock, overdue_only=overdue, agency=agency)
        day = today(services.clock)
    items = [subject_files.objection_item(row) | {"overdue": row.deadline < day} for row in rows]
    if as_json:
        emit_json(items)
        return
    if not items:
        typer.echo("no objections waiting" + (" past their deadline" if overdue else ""))
    for item in items:
        late = "  OVERDUE" if item["overdue"] else ""
        typer.echo(f"{item['objection']}  {item['record']}  {item['status']}  deadline {item['deadline']}{late}")


def register(app: typer.Typer) -> None:
    """Add the `object` command group."""
    app.add_typer(object_app)
