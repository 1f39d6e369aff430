"""`xinyong report ID --out FILE.pdf`: a credit report for one subject, as a PDF.

The report shows the file in a view (the full file by default, at the operator's console; `--view public`
for what the portal shows). Reading anything but the public view is logged with its purpose first, then
the audit log's head is signed, so the report names both the entry that logged it and a checkpoint that
contains it: a reader can ask the registry for proof that the log still extends that checkpoint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from xinyong import access, auditing
from xinyong.access import Principal
from xinyong.bootstrap import build
from xinyong.cli.output import emit_json
from xinyong.clock import cst_day
from xinyong.due_process import VIEWS, View, objections, subject_files
from xinyong.due_process.lookup import find_subject, subject_object
from xinyong.errors import InvalidInput
from xinyong.reports.credit_report import AuditReference, render_credit_report
from xinyong.store import audit_rows

#: Who reads at the console: the operator, as the audit log and the subject's access log name it.
CONSOLE = Principal(name="cli", role="operator")
LANGS = ("zh", "en")


def make_report(subject_id: str, out: Path, *, view: str, lang: str, purpose: str) -> dict[str, Any]:
    """Write the report of one subject to `out` and say what it holds and which checkpoint it cites."""
    if view not in VIEWS:
        raise InvalidInput(f"{view!r} is not a view (one of {', '.join(VIEWS)})", field="view")
    if lang not in LANGS:
        raise InvalidInput(f"{lang!r} is not a report language (one of {', '.join(LANGS)})", field="lang")
    if out.suffix.lower() != ".pdf":
        raise InvalidInput(f"{out} must end in .pdf", field="out")
    if not out.parent.is_dir():
        raise InvalidInput(f"folder {out.parent} does not exist", field="out")
    chosen: View = view
    language: Literal["zh", "en"] = "zh" if lang == "zh" else "en"
    with build() as services:
        now = services.clock.now()
        objections.escalate_due(services.store, now)
        read_seq: int | None = None
        with services.store.unit_of_work() as conn:
            subject = find_subject(conn, subject_id)
            file = subject_files.read_file(conn, services.catalog, subject, view=chosen, today=cst_day(now))
            if chosen != "public":
                detail = {"view": chosen, "report": True}
                access.log_read(conn, CONSOLE, subject_object(subject), purpose, at=now, detail=detail)
                last = audit_rows.tail(conn)
                read_seq = last.seq if last is not None else None
        checkpoint = auditing.checkpoint(services.store, services.audit_key, services.clock)
        pdf = render_credit_report(
            file,
            services.catalog,
            AuditReference(checkpoint, read_seq),
            generated_at=services.clock.now(),
            lang=language,
        )
    try:
        out.write_bytes(pdf)
    except OSError as exc:
        raise InvalidInput(f"cannot write {out}: {exc.strerror or exc}", field="out") from None
    return {
        "subject": subject.key,
        "view": chosen,
        "out": str(out),
        "bytes": len(pdf),
        "records": len(file["records"]),
        "checkpoint": {"size": checkpoint.size, "root_hex": checkpoint.root_hex},
        "read_entry": read_seq,
    }


def report_cmd(
    subject_id: Annotated[str, typer.Argument(help="USCC, resident ID or subject key (S00000042).")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the PDF (FILE.pdf).")],
    view: Annotated[str, typer.Option("--view", help="public (the portal), shared (agencies) or full.")] = "full",
    lang: Annotated[str, typer.Option("--lang", help="Language of the report: zh or en.")] = "zh",
    purpose: Annotated[
        str, typer.Option("--purpose", help="Why the file is read; logged for every view but public.")
    ] = "credit report",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Write a credit report PDF: identity, records, listings, measures, grade and reasons, audit reference."""
    summary = make_report(subject_id, out, view=view, lang=lang, purpose=purpose)
    if as_json:
        emit_json(summary)
        return
    cp = summary["checkpoint"]
    typer.echo(f"credit report of {summary['subject']} written to {summary['out']} ({summary['bytes']} bytes)")
    typer.echo(f"audit checkpoint: size {cp['size']}, root {cp['root_hex']}")


def register(app: typer.Typer) -> None:
    """Add the `report` command."""
    app.command("report")(report_cmd)
