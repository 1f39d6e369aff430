"""`xinyong catalog`: the loaded legal catalog, as one JSON document or as summary tables."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from xinyong.catalog import Catalog, load_catalog
from xinyong.cli.output import emit_json, stdout
from xinyong.settings import load_settings

# The catalog's parts in the order the contract lists them.
SECTIONS = ("agencies", "legal_bases", "record_types", "lists", "measures", "actions", "sources", "rating_models")


def catalog_document(catalog: Catalog) -> dict[str, list[dict[str, Any]]]:
    """Every part of the catalog as a list of plain entries, ready for JSON."""
    parts: dict[str, Any] = {name: getattr(catalog, name) for name in SECTIONS}
    return {name: [entry.model_dump(mode="json") for entry in parts[name].values()] for name in SECTIONS}


def _summary(catalog: Catalog) -> Table:
    table = Table(title="xinyong catalog")
    table.add_column("part")
    table.add_column("count", justify="right")
    table.add_column("codes")
    for name in SECTIONS:
        codes = list(getattr(catalog, name))
        table.add_row(name, str(len(codes)), ", ".join(codes))
    return table


def _lists(catalog: Catalog) -> Table:
    table = Table(title="lists and their measures")
    for column in ("list", "legal basis", "months", "deny", "review", "expedite"):
        table.add_column(column, overflow="fold")
    for code, entry in catalog.lists.items():
        by_effect: dict[str, list[str]] = {"deny": [], "review": [], "expedite": []}
        for measure in catalog.measures_for_list(code):
            by_effect[measure.effect].extend(a for a in measure.actions if a not in by_effect[measure.effect])
        months = "until removed" if entry.default_months is None else str(entry.default_months)
        table.add_row(code, entry.legal_basis, months, *(", ".join(by_effect[e]) for e in by_effect))
    return table


def register(app: typer.Typer) -> None:
    """Add the `catalog` command."""

    @app.command("catalog")
    def catalog_command(
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    ) -> None:
        """Show the loaded catalog: agencies, legal bases, record types, lists, measures, actions, sources."""
        catalog = load_catalog(load_settings().catalog_extra)
        if as_json:
            emit_json(catalog_document(catalog))
            return
        stdout.print(_summary(catalog))
        stdout.print(_lists(catalog))
