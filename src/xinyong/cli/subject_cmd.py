"""`xinyong subject ID [--view public|shared|full]`: the subject's file, or what the public portal shows.

The full view (the default at the operator's console) is the subject's own file: every record with its
provenance and disclosure level, listings and measures, the rating, objections, repairs, notices, what the
subject was told and who looked at it. Reading anything but the public view is logged with its purpose.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from xinyong import access
from xinyong.access import Principal
from xinyong.bootstrap import build
from xinyong.cli.output import emit_json
from xinyong.clock import cst_day
from xinyong.due_process import VIEWS, View, objections, subject_files
from xinyong.due_process.lookup import find_subject, subject_object
from xinyong.errors import InvalidInput

#: Who reads at the console: the operator, as the audit log and the subject's access log name it.
CONSOLE = Principal(name="cli", role="operator")


def read_subject(subject_id: str, view: str, history: bool, purpose: str) -> dict[str, Any]:
    """The file as `view` shows it today; a non-public read is logged in the same transaction."""
    if view not in VIEWS:
        raise InvalidInput(f"{view!r} is not a view (one of {', '.join(VIEWS)})", field="view")
    chosen: View = view
    with build() as services:
        now = services.clock.now()
        objections.escalate_due(services.store, now)
        with services.store.unit_of_work() as conn:
            subject = find_subject(conn, subject_id)
            doc = subject_files.read_file(
                conn, services.catalog, subject, view=chosen, today=cst_day(now), history=history
            )
            if chosen == "full":
                doc["notifications"] = subject_files.notifications(conn, subject)
                doc["access_log"] = subject_files.access_log(conn, subject)
            if chosen != "public":
                access.log_read(conn, CONSOLE, subject_object(subject), purpose, at=now, detail={"view": chosen})
    return doc


def subject_cmd(
    subject_id: Annotated[str, typer.Argument(help="USCC, resident ID or subject key (S00000042).")],
    view: Annotated[str, typer.Option("--view", help="public (the portal), shared (agencies) or full.")] = "full",
    history: Annotated[bool, typer.Option("--history", help="Add each record's superseded versions.")] = False,
    purpose: Annotated[
        str, typer.Option("--purpose", help="Why the file is read; logged for every view but public.")
    ] = "operator console",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """The subject's file: identity, records, listings, measures in force, rating, and who looked."""
    doc = read_subject(subject_id, view, history, purpose)
    if as_json:
        emit_json(doc)
    else:
        typer.echo("\n".join(render(doc)))


def render(doc: dict[str, Any]) -> list[str]:
    """The file as lines of text for a person at a terminal."""
    who = doc["subject"]
    lines = [f"{who['name']} ({who['kind']}, {who['id'] or 'no identifier'}) {who['key']}"]
    lines.append(f"view {doc['view']}, as of {doc['as_of']}")
    lines.append(f"records ({len(doc['records'])}):")
    for r in doc["records"]:
        flag = f"  CONTESTED ({r.get('objection')})" if r["contested"] else ""
        link = f"  link {r['link']}" if "link" in r else ""
        if r.get("probability") is not None:
            link += f" p={r['probability']:.3f}"
        lines.append(
            f"  {r['record']}  {r['label_en'] or r['record_type']}  decided {r['decided_on']}  "
            f"{r['decision_no'] or '-'}  {r['legal_basis'] or '-'}  {r['status']}  {r['disclosure']}{link}{flag}"
        )
    if doc["listings"]:
        lines.append("listings:")
        for item in doc["listings"]:
            end = item["end"] or "until removed"
            lines.append(f"  {item['list']}  {item['state']}  {item['start']}..{end}  {item['record']}")
    if doc["measures"]:
        lines.append("measures in force today:")
        for m in doc["measures"]:
            via = f" via {m['via']['role']} of {m['via']['of']}" if m["via"] else ""
            until = m["valid_to"] or "until lifted"
            lines.append(f"  {m['effect']} {m['measure']} [{m['list']}] {', '.join(m['actions'])} until {until}{via}")
    rating = doc.get("rating")
    if rating:
        lines.append(f"rating: {rating['grade']} ({rating['model']} {rating['version']}, as of {rating['as_of']})")
    for title, key, name in (("objections", "objections", "objection"), ("repairs", "repairs", "application")):
        if doc.get(key):
            lines.append(f"{title}:")
            for o in doc[key]:
                lines.append(f"  {o[name]}  {o['record']}  {o['status']}  deadline {o['deadline'] or '-'}")
    if "access_log" in doc:
        lines.append(f"access log ({len(doc['access_log'])}):")
        for e in doc["access_log"]:
            why = e["purpose"] or (f"check {e['checked_action']}" if e["checked_action"] else "-")
            lines.append(f"  {e['at']}  {e['who']} ({e['role']})  {e['action']}  {why}")
    return lines


def register(app: typer.Typer) -> None:
    """Add `subject` to the app."""
    app.command("subject")(subject_cmd)
