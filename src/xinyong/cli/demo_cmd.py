"""`xinyong demo`: a synthetic province end to end — feeds, ingestion, linkage, lists, ratings — then the
portal and API, with one key per role and a ready curl line for each."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from xinyong import access
from xinyong.bootstrap import Services, build
from xinyong.cli.output import emit_json, progress, stderr, stdout
from xinyong.clock import today
from xinyong.ids import load_from_home
from xinyong.ingest import ingest_paths
from xinyong.link import link_pending
from xinyong.rating.rate import rate_all
from xinyong.screening import ScreeningIndex, publish
from xinyong.store import records
from xinyong.synth import generate, preset

#: One demo key per role: (role, scopes).
DEMO_KEYS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("platform", {"actions": ["air_ticket", "rail_g_train", "star_hotel"]}),
    ("court", {"agency": "court.110105"}),
    ("agency", {"agency": "samr.110000"}),
    ("regulator", {"districts": ["110000"]}),
    ("operator", {}),
    ("public", {}),
)


def _province(services: Services, size: str) -> Path:
    """Write the synthetic province (once per size and day) under the home folder."""
    day = today(services.clock)
    out = services.settings.home / "demo" / f"{size}-{day.isoformat()}"
    if not (out / "truth" / "feeds.json").exists():
        # The province's history ends yesterday, so nothing in it lies in the future today.
        params = replace(preset(size), as_of=day - timedelta(days=1))
        with progress("synthetic province") as advance:
            generate(out, params, advance)
    return out


def _ingest(services: Services, province: Path) -> list[dict[str, Any]]:
    feeds = json.loads((province / "truth" / "feeds.json").read_text(encoding="utf-8"))["feeds"]
    allow = load_from_home(services.settings.home)
    done = []
    for feed in feeds:
        summary = ingest_paths(
            services.store,
            services.catalog,
            services.clock,
            [province / feed["path"]],
            feed["agency"],
            home=services.settings.home,
            allow_list=allow,
        )
        done.append({"agency": feed["agency"], **summary.as_dict()})
    return done


def _keys(services: Services) -> list[dict[str, str]]:
    issued = []
    for role, scopes in DEMO_KEYS:
        if role == "public":
            continue
        spec = access.principal_spec(services.catalog, name=f"demo-{role}", role=role, **scopes)
        key = access.create_key(services.store, services.clock, spec).key
        issued.append({"role": role, "key": key})
    return issued


def _sample_denial(services: Services) -> dict[str, Any] | None:
    index = ScreeningIndex.build(services.store, services.catalog)
    day = today(services.clock)
    found = None
    for code in list(index._files)[:5000]:  # the demo shows one real denial, a person's if there is one
        decision = index.check(code, "air_ticket", day)
        if not decision.allowed and decision.subject is not None:
            if decision.subject["kind"] == "person":
                return decision.as_dict()
            found = found or decision.as_dict()
    return found


def _curl_lines(keys: list[dict[str, str]], port: int, denied: dict[str, Any] | None) -> list[str]:
    base = f"http://127.0.0.1:{port}"
    some_id = denied["subject"]["id"] if denied and denied["subject"] else "11010519491231002X"
    examples = {
        "platform": f"{base}/v1/check?id={some_id}&action=air_ticket",
        "court": f"{base}/v1/feeds/court.110105' -F 'file=@feed.csv",
        "agency": f"{base}/v1/feeds/samr.110000' -F 'file=@feed.xlsx",
        "regulator": f"{base}/v1/ratings/{some_id}",
        "operator": f"{base}/metrics",
    }
    lines = [f"curl -H 'Authorization: Bearer {k['key']}' '{examples[k['role']]}'" for k in keys]
    lines.append(f"curl '{base}/v1/audit/checkpoint'   # anyone: the signed audit-log head")
    return lines


def demo(
    size: Annotated[str, typer.Option("--size", help="small, medium or large.")] = "small",
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Stop after the summary.")] = False,
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8000,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON document.")] = False,
) -> None:
    """Build a synthetic province, run every stage on it, print a summary, then serve the portal and API."""
    with build() as services:
        services.store.init()
        province = _province(services, size)
        feeds = _ingest(services, province)
        linked = link_pending(services.store, services.catalog, services.clock, services.settings)
        events = publish(services.store, services.catalog, services.clock)
        rated = rate_all(services.store, services.catalog, services.clock)
        with services.store.connect() as conn:
            stored = records.count(conn, current_only=True)
        denied = _sample_denial(services)
        keys = _keys(services)
    summary = {
        "province": str(province),
        "feeds": feeds,
        "records": stored,
        "linkage": linked.as_dict(),
        "measure_events": events,
        "ratings": rated.as_dict(),
        "sample_denial": denied,
        "keys": keys,
        "curl": _curl_lines(keys, port, denied),
    }
    if as_json:
        emit_json(summary)
    else:
        _print(summary)
    if not no_serve:
        from xinyong.cli.serve_cmd import serve

        stderr.print(f"serving the portal and API on http://127.0.0.1:{port}/ (Ctrl-C to stop)")
        serve(host="127.0.0.1", port=port)


def _print(summary: dict[str, Any]) -> None:
    table = Table(title="ingestion")
    for column in ("agency", "rows", "accepted", "rejected", "unchanged", "superseded"):
        table.add_column(column)
    for feed in summary["feeds"]:
        table.add_row(*(str(feed[c]) for c in ("agency", "rows", "accepted", "rejected", "unchanged", "superseded")))
    stdout.print(table)
    link = summary["linkage"]
    stdout.print(
        f"linkage: {link['linked_by_model']} by model, {link['sent_to_review']} to review, "
        f"{link['new_subject']} new subjects"
    )
    grades = ", ".join(f"{g['grade']} {g['count']}" for g in summary["ratings"]["grades"])
    stdout.print(f"records on file: {summary['records']}; ratings: {grades}")
    if summary["sample_denial"]:
        d = summary["sample_denial"]
        r = d["reasons"][0]
        stdout.print(
            f"a check: {d['subject']['name']} may not buy an air ticket on {d['at']}: {r['measure']} "
            f"({r['list']}, {r['decision_no']}, {r['legal_basis']}, until {r['valid_to'] or 'lifted'})"
        )
    stdout.print("API keys (shown once):")
    for line in summary["curl"]:
        stdout.print(f"  {line}", soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add `demo` to the app."""
    app.command("demo")(demo)
