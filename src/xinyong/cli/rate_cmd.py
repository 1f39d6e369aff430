"""`xinyong rate` (rate every legal entity now) and `xinyong model train|report` (fit and report models).

A company register (CSV: uscc, registered_on, capital, industry, ownership, district) sharpens age and
size and lets the fairness report compare industries and ownership types: pass `--register FILE`, or
keep it at `<XINYONG_HOME>/register.csv`. Without one, age counts from an entity's earliest record.
`xinyong rate` computes on XINYONG_ENGINE (DuckDB, or Spark on XINYONG_SPARK_MASTER) unless `--engine` says.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from xinyong.bootstrap import Services, build
from xinyong.cli.output import emit_json, stdout
from xinyong.rating import ENGINES, HISTORIES, History, declared, evaluate_model, rate_all, train, write_report

REGISTER_FILE = "register.csv"

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
ModelOption = Annotated[
    str | None,
    typer.Option("--model", help="Rating model code (default: the trained statistical model, else the rule model)."),
]
RegisterOption = Annotated[
    Path | None,
    typer.Option("--register", help=f"Company register CSV (default: <XINYONG_HOME>/{REGISTER_FILE} if present)."),
]
HistoryOption = Annotated[
    str,
    typer.Option(
        "--history",
        help="system: snapshots see what the registry had recorded by then; legal: today's records by legal "
        "date (for a registry whose history was loaded after the fact).",
    ),
]

model_app = typer.Typer(name="model", help="Train rating models and write their reports.", no_args_is_help=True)


def rate_cmd(
    model: ModelOption = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write one JSON object a line per rated entity.")] = None,
    register: RegisterOption = None,
    engine: Annotated[
        str | None,
        typer.Option("--engine", help="duckdb or spark (pip install 'xinyong[spark]'); default: XINYONG_ENGINE."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Rate every legal entity as of now, store the ratings with reasons, print the grade distribution."""
    if engine is not None and engine not in ENGINES:
        raise typer.BadParameter(f"must be one of {', '.join(ENGINES)}", param_hint="--engine")
    with build() as services:
        run = rate_all(
            services.store,
            services.catalog,
            services.clock,
            code=model,
            register=_register(services, register),
            out=out,
            actor=_actor(),
            engine=engine or services.settings.engine,
            spark_master=services.settings.spark_master,
        )
    if as_json:
        emit_json(run.as_dict())
        return
    table = Table(title=f"{run.model} {run.version} as of {run.as_of} ({run.rated} entities, run {run.run})")
    for column in ("grade", "entities", "share"):
        table.add_column(column, justify="right")
    for g in run.distribution:
        table.add_row(g.grade, str(g.count), f"{g.share:.1%}")
    stdout.print(table)
    if out is not None:
        typer.echo(f"ratings written to {out}")


@model_app.command("train")
def train_cmd(
    model: Annotated[
        str | None, typer.Option("--model", help="Statistical model code (default: the first declared).")
    ] = None,
    history: HistoryOption = "system",
    register: RegisterOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fit a statistical model (time-based split), store it as a new version and write its report."""
    with build() as services:
        result = train(
            services.store,
            services.catalog,
            services.clock,
            code=model,
            history=_history(history),
            register=_register(services, register),
            actor=_actor(),
        )
        files = write_report(services.settings.home, result.metrics, declared(services.catalog, result.code))
    summary = {**_headline(result.metrics), "report": files.as_dict()}
    if as_json:
        emit_json(summary)
        return
    _print_headline(summary)


@model_app.command("report")
def report_cmd(
    model: ModelOption = None,
    version: Annotated[str | None, typer.Option("--version", help="A stored version (default: the latest).")] = None,
    history: HistoryOption = "system",
    register: RegisterOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write a model's report (HTML, JSON, PNG plots) under <XINYONG_HOME>/reports/ and print its headline."""
    with build() as services:
        metrics = evaluate_model(
            services.store,
            services.catalog,
            services.clock,
            code=model,
            version=version,
            history=_history(history),
            register=_register(services, register),
        )
        files = write_report(services.settings.home, metrics, declared(services.catalog, str(metrics.get("model"))))
    summary = {**_headline(metrics), "report": files.as_dict()}
    if as_json:
        emit_json(summary)
        return
    _print_headline(summary)


def _headline(metrics: dict[str, Any]) -> dict[str, Any]:
    test = metrics.get("test", {})
    return {
        "model": metrics.get("model"),
        "version": metrics.get("version"),
        "kind": metrics.get("kind"),
        "test": {k: test.get(k) for k in ("day", "entities", "bad", "auc", "ks", "gini", "brier")},
        "psi": metrics.get("psi", []),
        "grades": test.get("grades", []),
        "excluded": metrics.get("excluded", {}),
        "all_monotonic": all(metrics.get("monotonic", {}).values()),
        "fairness_flags": {
            dim: part.get("flagged", [])
            for dim, part in metrics.get("fairness", {}).items()
            if isinstance(part, dict) and part.get("available")
        },
    }


def _print_headline(summary: dict[str, Any]) -> None:
    test = summary["test"]
    typer.echo(f"model {summary['model']} version {summary['version']} ({summary['kind']})")
    typer.echo(
        f"test {test['day']}: {test['entities']} entities, {test['bad']} bad; "
        + ", ".join(f"{k.upper()} {test[k]:.4f}" for k in ("auc", "ks", "gini", "brier") if test.get(k) is not None)
    )
    for p in summary["psi"]:
        typer.echo(f"PSI {p['from']} -> {p['to']}: {p['psi']}")
    for dim, flagged in summary["fairness_flags"].items():
        if flagged:
            typer.echo(f"fairness: {dim} groups below 0.8: {', '.join(flagged)}")
    typer.echo(f"report: {summary['report']['html']}")


def _register(services: Services, given: Path | None) -> Path | None:
    if given is not None:
        return given
    default = services.settings.home / REGISTER_FILE
    return default if default.is_file() else None


def _history(value: str) -> History:
    for h in HISTORIES:
        if h == value:
            return h
    raise typer.BadParameter(f"must be one of {', '.join(HISTORIES)}", param_hint="--history")


def _actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"


def register(app: typer.Typer) -> None:
    """Add `rate` and `model train|report` to the app."""
    app.command("rate")(rate_cmd)
    app.add_typer(model_app)
