"""`xinyong ids check`: whether a code is a valid USCC or resident ID and why not; "no" is still success."""

from __future__ import annotations

from typing import Annotated

import typer

from xinyong.cli.output import emit_json
from xinyong.clock import clock_from, today
from xinyong.ids import IdCheck, check, load_from_home
from xinyong.settings import load_settings

ids_app = typer.Typer(help="Validate and normalise identifiers (USCC, resident ID).", no_args_is_help=True)

_KIND_LABEL = {"uscc": "USCC", "resident_id": "resident ID"}


def _line(result: IdCheck, raw: str) -> str:
    label = _KIND_LABEL.get(result.kind or "", "identifier")
    shown = result.normalized if result.normalized is not None else repr(raw)
    if result.allowlisted:
        return f"valid {label} {shown} (admitted by the operator allow-list)"
    if result.valid:
        return f"valid {label} {shown}"
    return f"invalid {label} {shown}: {result.reason}"


@ids_app.command("check")
def check_cmd(
    code: Annotated[str, typer.Argument(help="The code as written; spaces, dashes and full-width forms are folded.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Check one code; prints valid, kind, normalised form and the reason it is not valid."""
    settings = load_settings()
    result = check(code, load_from_home(settings.home), today=today(clock_from(settings.now)))
    if as_json:
        emit_json(result.as_dict())
    else:
        typer.echo(_line(result, code))


def register(app: typer.Typer) -> None:
    """Add the `ids` command group to the app."""
    app.add_typer(ids_app, name="ids")
