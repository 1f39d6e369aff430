"""`xinyong inspect commit|draw`: the "double random, one public" draw, committed to before it is made.

`commit` publishes the SHA-256 of a fresh seed and shows the seed to the operator, who keeps it secret
until the draw. `draw --seed S` reveals it: the seed must match the open commitment, if there is one;
without one the draw commits and reveals in one step, printing the hash first and marking the draw as
not committed in advance. Inspectors come from `--roster FILE`, else `<XINYONG_HOME>/inspectors.csv`,
else a demo roster of twelve placeholder inspectors (columns: regulator, code, name, resident_id,
conflicts).
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from xinyong.bootstrap import build
from xinyong.cli.output import emit_json, stdout
from xinyong.inspection import MIN_INSPECTORS, commit, draw, load_roster

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
RegulatorOption = Annotated[str, typer.Option("--regulator", help="The regulating agency's catalog code.")]

inspect_app = typer.Typer(name="inspect", help='"Double random" inspection draws.', no_args_is_help=True)


@inspect_app.command("commit")
def commit_cmd(regulator: RegulatorOption, as_json: JsonOption = False) -> None:
    """Generate a seed and publish its SHA-256 hash; the seed is shown once, to keep until the draw."""
    with build() as services:
        made = commit(services.store, services.catalog, services.clock, regulator=regulator, actor=_actor())
    if as_json:
        emit_json(made.as_dict())
        return
    typer.echo(f"commitment {made.draw} for {made.regulator} at {made.committed_at.isoformat()}")
    typer.echo(f"seed hash (publish now): {made.seed_hash}")
    typer.echo(f"seed (keep secret until the draw): {made.seed}")


@inspect_app.command("draw")
def draw_cmd(
    regulator: RegulatorOption,
    n: Annotated[int, typer.Option("--n", help="How many targets to draw.")],
    seed: Annotated[str, typer.Option("--seed", help="The committed seed (a non-negative whole number).")],
    roster: Annotated[
        Path | None, typer.Option("--roster", help="Inspector roster CSV (default: <XINYONG_HOME>/inspectors.csv).")
    ] = None,
    per_target: Annotated[
        int, typer.Option("--per-target", help=f"Inspectors sent to each target (at least {MIN_INSPECTORS}).")
    ] = MIN_INSPECTORS,
    as_json: JsonOption = False,
) -> None:
    """Reveal the seed and draw targets (weighted by grade) and inspectors (at random, no conflicts)."""
    with build() as services:
        staff = load_roster(regulator, path=roster, home=services.settings.home)
        result = draw(
            services.store,
            services.catalog,
            services.clock,
            regulator=regulator,
            n=n,
            seed=seed,
            roster=staff,
            per_target=per_target,
            actor=_actor(),
        )
    doc = result.as_dict()
    if as_json:
        emit_json(doc)
        return
    if result.precommitted:
        typer.echo(f"seed hash (committed {doc['committed_at']}): {doc['seed_hash']}")
    else:
        typer.echo(f"seed hash (no prior commitment: committed and revealed now): {doc['seed_hash']}")
    typer.echo(f"seed: {doc['seed']}")
    params = doc["params"]
    table = Table(
        title=f"draw {doc['draw']} for {doc['regulator']}: {doc['n']} of {params['population']} organisations"
    )
    for column in ("#", "uscc", "name", "grade", "inspectors", "record id"):
        table.add_column(column)
    for t in doc["targets"]:
        table.add_row(
            str(t["rank"]), t["uscc"], t["name"], t["grade"] or "-", ", ".join(t["inspectors"]), t["record_id"]
        )
    stdout.print(table)
    if params["roster"] == "demo":
        typer.echo("inspectors: the demo roster (no inspectors.csv in XINYONG_HOME and no --roster given)")


def _actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"


def register(app: typer.Typer) -> None:
    """Add `inspect commit|draw` to the app."""
    app.add_typer(inspect_app)
