"""`xinyong ingest`: validate and store one agency's feed files as one batch, rejected rows quarantined."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from xinyong.bootstrap import build
from xinyong.cli.output import emit_json, progress
from xinyong.ids import load_from_home
from xinyong.ingest import ingest_paths
from xinyong.sparkengine import ENGINES


def ingest_cmd(
    paths: Annotated[list[Path], typer.Argument(metavar="PATH", help="Feed files of one agency, one batch.")],
    agency: Annotated[str, typer.Option("--agency", help="The sending agency's catalog code.")],
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="csv, jsonl, parquet or xlsx; by default from the file name."),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option("--encoding", help="Text encoding of CSV / JSON Lines; detected by default."),
    ] = None,
    engine: Annotated[
        str | None,
        typer.Option("--engine", help="What reads Parquet: duckdb (pyarrow here) or spark; default: XINYONG_ENGINE."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Validate and store a batch; prints accepted, rejected, unchanged and superseded counts.

    Rejected rows go to XINYONG_HOME/quarantine/BATCH.csv with row, field and reason. Interrupted, run the
    same command again: rows the first run stored count as unchanged, the rest are stored.
    """
    if engine is not None and engine not in ENGINES:
        raise typer.BadParameter(f"must be one of {', '.join(ENGINES)}", param_hint="--engine")
    with build() as services, progress(f"ingest {agency}") as advance:
        summary = ingest_paths(
            services.store,
            services.catalog,
            services.clock,
            paths,
            agency,
            fmt=fmt,
            encoding=encoding,
            home=services.settings.home,
            allow_list=load_from_home(services.settings.home),
            advance=advance,
            engine=engine,
        )
    if as_json:
        emit_json(summary.as_dict())
        return
    typer.echo(
        f"batch {summary.batch}: {summary.rows} rows, {summary.accepted} accepted, "
        f"{summary.superseded} superseded, {summary.unchanged} unchanged, {summary.rejected} rejected"
    )
    if summary.quarantine is not None:
        typer.echo(f"rejected rows: {summary.quarantine}")


def register(app: typer.Typer) -> None:
    """Add `ingest` to the app."""
    app.command("ingest")(ingest_cmd)
