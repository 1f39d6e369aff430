"""`xinyong synth`: write a synthetic province's agency feeds and the truth behind them."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from xinyong.cli.output import emit_json, progress, stdout
from xinyong.dates import parse_date
from xinyong.synth import PRESETS, SynthParams, SynthSummary, generate, preset, work_units


def build_params(
    size: str,
    orgs: int | None,
    persons: int | None,
    years: int | None,
    seed: int | None,
    as_of: str | None,
) -> SynthParams:
    """The preset's params with the options given on the command line; more companies bring more people."""
    params = preset(size)
    if orgs is not None and persons is None:
        # Keep the preset's ratio of residents to companies, so legal reps are not spread absurdly thin.
        persons = max(1, round(orgs * params.persons / params.orgs))
    params = params.with_sizes(orgs=orgs, persons=persons, years=years, seed=seed)
    if as_of is not None:
        params = replace(params, as_of=parse_date(as_of, "as-of"))
    return params


def _table(summary: SynthSummary, seconds: float) -> Table:
    table = Table(title=f"synthetic province in {summary.out} ({seconds:.1f} s)")
    for column in ("feed", "rows", "accepted", "rejected", "unchanged", "superseded"):
        if column == "feed":
            table.add_column(column, overflow="fold", min_width=len("procurement.110000.parquet"))
        else:
            table.add_column(column, justify="right")
    for feed in summary.feeds:
        counts = (feed.rows, feed.accepted, feed.rejected, feed.unchanged, feed.superseded)
        table.add_row(Path(feed.path).name, *(f"{c:,}" for c in counts))
    return table


def register(app: typer.Typer) -> None:
    """Add the `synth` command."""

    @app.command("synth")
    def synth_command(
        out: Annotated[Path, typer.Option("--out", help="Folder to write feeds/ and truth/ into.")],
        size: Annotated[
            str, typer.Option("--size", help=f"Preset size: {', '.join(PRESETS)}; options below override it.")
        ] = "small",
        orgs: Annotated[int | None, typer.Option("--orgs", help="Organisations (default: the preset's).")] = None,
        persons: Annotated[
            int | None, typer.Option("--persons", help="People (default: the preset's, or 1.5 per organisation).")
        ] = None,
        years: Annotated[int | None, typer.Option("--years", help="Calendar years up to --as-of.")] = None,
        seed: Annotated[
            int | None, typer.Option("--seed", help="Random seed; the same seed gives the same files.")
        ] = None,
        as_of: Annotated[
            str | None,
            typer.Option("--as-of", help="Last simulated day (default 2026-06-30); ingest with XINYONG_NOW >= it."),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    ) -> None:
        """Write one feed per agency to DIR/feeds/ and what really happened to DIR/truth/."""
        params = build_params(size, orgs, persons, years, seed, as_of)
        started = time.perf_counter()
        with progress("synthesising province", total=work_units(params)) as advance:
            summary = generate(out, params, advance=advance)
        if as_json:
            emit_json(summary.as_dict())
            return
        stdout.print(_table(summary, time.perf_counter() - started))
