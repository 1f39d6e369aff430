"""`xinyong link` (resolve pending records to subjects), `xinyong link audit` (how many links are
wrong) and `xinyong review list|confirm|reject|assign` (people decide what the model was unsure of)."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from xinyong.bootstrap import build
from xinyong.cli.output import emit_json, progress
from xinyong.link import LinkSummary, link_pending
from xinyong.link.audit_estimate import WrongfulMatchReport, wrongful_match_report
from xinyong.link.resolve import PHASES
from xinyong.link.review import ReviewOutcome, ReviewView, assign, confirm, list_items, reject

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why (kept in the audit log).")]
ByOption = Annotated[str | None, typer.Option("--by", help="Who decides (default: the login name).")]

link_app = typer.Typer(
    name="link",
    help="Resolve records without a valid identifier to subjects.",
    invoke_without_command=True,
    no_args_is_help=False,
)
review_app = typer.Typer(name="review", help="The linkage review queue.", no_args_is_help=True)


@link_app.callback()
def link_cmd(
    ctx: typer.Context,
    backend: Annotated[
        str | None, typer.Option("--backend", help="duckdb (default) or spark (pip install 'xinyong[spark]').")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random sampling of pairs.")] = 1,
    reuse: Annotated[
        str | None, typer.Option("--model", help="Reuse the model of an earlier run (its name, or latest).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Link pending records: by identifier, by model (above link_upper), to review, or to a new subject."""
    if ctx.invoked_subcommand is not None:
        return
    with build() as services:
        engine = backend or services.settings.engine
        with progress("linking", total=PHASES) as advance:
            summary = link_pending(
                services.store,
                services.catalog,
                services.clock,
                services.settings,
                engine,
                seed=seed,
                reuse=reuse,
                advance=advance,
            )
    if as_json:
        emit_json(summary.as_dict())
    else:
        typer.echo(_describe_run(summary))


def _describe_run(summary: LinkSummary) -> str:
    if summary.run is None:
        return "nothing to link: no pending records"
    lines = [
        f"run {summary.run} ({summary.backend}): {summary.pending:,} pending records",
        f"  linked by id     {summary.linked_by_id:>10,}",
        f"  linked by model  {summary.linked_by_model:>10,}",
        f"  sent to review   {summary.sent_to_review:>10,}",
        f"  new subject      {summary.new_subject:>10,}  ({summary.subjects_created:,} subjects created)",
        f"expected false links among this run's model links: {summary.expected_false_links:.3f}",
        "records now: " + ", ".join(f"{link} {n:,}" for link, n in sorted(summary.totals.items())),
    ]
    return "\n".join(lines)


@link_app.command("audit")
def audit_cmd(
    truth: Annotated[
        Path | None, typer.Option("--truth", help="A synthetic province's folder: count false links exactly.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Expected false links among model links (sum of 1 - p), review rejection rate, and truth counts."""
    with build() as services:
        report = wrongful_match_report(services.store, truth)
    if as_json:
        emit_json(report.as_dict())
    else:
        typer.echo(_describe_audit(report))


def _describe_audit(report: WrongfulMatchReport) -> str:
    doc = report.as_dict()
    lines = [
        f"model links: {report.model_links:,}; expected false: {report.expected_false_links:.3f}"
        f" ({doc['expected_false_rate']:.4%})",
    ]
    lines += [
        f"  p in [{b['from']}, {b['to']}{']' if b['to'] == 1.0 else ')'}: {b['links']:,} links,"
        f" {b['expected_false']:.3f} expected false"
        for b in report.bands
        if b["links"]
    ]
    rate = report.rejection_rate
    review = ", ".join(f"{status} {n:,}" for status, n in report.review.items())
    lines.append(f"review: {review}; rejection rate {'n/a' if rate is None else f'{rate:.2%}'}")
    if report.truth is not None:
        t = report.truth.as_dict()
        lines.append(
            f"against truth: {t['records']:,} records, precision {t['precision']:.4f}, recall {t['recall']:.4f}; "
            f"false model links {t['false_model_links']:,} of {t['model_links']:,}; "
            f"wrong id/confirmed links {t['wrong_id_or_confirmed']:,}"
        )
    if report.restrictions is not None:
        r = report.restrictions
        lines.append(
            f"published restrictions against truth: {r.judged:,} of {r.targets:,} judged"
            f" ({r.direct:,} direct, {r.via_role:,} through a role); wrongful {r.wrongful:,}"
        )
        lines += [
            f"  {e['record']} ({e['list']}) reached {e['reached']}; truth: {e['true_subject']}"
            + (f", legal representative {e['true_legal_rep']}" if e["via_role"] else "")
            for e in r.examples
        ]
    lines += report.notes
    return "\n".join(lines)


@review_app.command("list")
def review_list_cmd(
    status: Annotated[str, typer.Option("--status", help="open, confirmed, rejected, reassigned or all.")] = "open",
    limit: Annotated[int | None, typer.Option("--limit", help="At most this many items.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Review items with the record and the proposed subjects."""
    with build() as services:
        views = list_items(services.store, status=None if status == "all" else status, limit=limit)
    if as_json:
        emit_json([v.as_dict() for v in views])
        return
    if not views:
        typer.echo(f"no {status} review items" if status != "all" else "no review items")
    for view in views:
        typer.echo(_describe_item(view))


def _describe_item(view: ReviewView) -> str:
    head = (
        f"#{view.item} [{view.status}] {view.record} {view.kind} {view.name!r}"
        f" id as written {view.id_as_written or '-'} ({view.source}, run {view.run})"
    )
    rows = [
        f"    {c['subject']} {c['name'] or ''} p={c['probability']:.4f} weight={c['match_weight']:.2f}"
        for c in view.candidates
    ]
    return "\n".join([head, *rows])


def _who(by: str | None) -> str:
    if by:
        return by
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"


def _emit_outcome(outcome: ReviewOutcome, as_json: bool) -> None:
    if as_json:
        emit_json(outcome.as_dict())
    else:
        typer.echo(f"#{outcome.item} {outcome.decision}: {outcome.record} is {outcome.link} to {outcome.subject}")


@review_app.command("confirm")
def review_confirm_cmd(
    item: Annotated[int, typer.Argument(help="Review item number.")],
    reason: ReasonOption,
    by: ByOption = None,
    as_json: JsonOption = False,
) -> None:
    """Attach the record to the proposed subject (link `confirmed`)."""
    with build() as services:
        outcome = confirm(services.store, services.clock, item, by=_who(by), reason=reason)
    _emit_outcome(outcome, as_json)


@review_app.command("reject")
def review_reject_cmd(
    item: Annotated[int, typer.Argument(help="Review item number.")],
    reason: ReasonOption,
    by: ByOption = None,
    as_json: JsonOption = False,
) -> None:
    """Refuse the proposed subjects: the record gets a new subject of its own (link `new`)."""
    with build() as services:
        outcome = reject(services.store, services.clock, item, by=_who(by), reason=reason)
    _emit_outcome(outcome, as_json)


@review_app.command("assign")
def review_assign_cmd(
    item: Annotated[int, typer.Argument(help="Review item number.")],
    subject: Annotated[str, typer.Option("--subject", help="The subject's key (S…), USCC or resident ID.")],
    reason: ReasonOption,
    by: ByOption = None,
    as_json: JsonOption = False,
) -> None:
    """Attach the record to another subject (link `confirmed`)."""
    with build() as services:
        outcome = assign(services.store, services.clock, item, subject, by=_who(by), reason=reason)
    _emit_outcome(outcome, as_json)


def register(app: typer.Typer) -> None:
    """Add `link` and `review` to the app."""
    app.add_typer(link_app)
    app.add_typer(review_app)
