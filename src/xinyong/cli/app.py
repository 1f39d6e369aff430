"""The `xinyong` command: a Typer app whose commands live one module each; user errors become one line."""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer import _click  # typer vendors click; its Context is the one commands receive
from typer.core import TyperGroup

from xinyong.errors import XinyongError


class _Commands(TyperGroup):
    """The command group: a XinyongError from any command is one line on stderr and its exit code."""

    def invoke(self, ctx: _click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except XinyongError as exc:
            typer.echo(f"error: {exc.one_line()}", err=True)
            ctx.exit(exc.exit_code)


app = typer.Typer(
    cls=_Commands,
    name="xinyong",
    help="xinyong: a public credit information system with due process built in.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

from xinyong.cli import (  # noqa: E402
    audit_cmd,
    catalog_cmd,
    check_cmd,
    demo_cmd,
    ids_cmd,
    ingest_cmd,
    inspect_cmd,
    keys_cmd,
    link_cmd,
    object_cmd,
    rate_cmd,
    records_cmd,
    repair_cmd,
    report_cmd,
    serve_cmd,
    store_cmd,
    subject_cmd,
    synth_cmd,
)

for _module in (
    ids_cmd,
    catalog_cmd,
    store_cmd,
    demo_cmd,
    check_cmd,
    ingest_cmd,
    records_cmd,
    keys_cmd,
    link_cmd,
    audit_cmd,
    serve_cmd,
    rate_cmd,
    inspect_cmd,
    synth_cmd,
    subject_cmd,
    object_cmd,
    repair_cmd,
    report_cmd,
):
    _module.register(app)


def main() -> None:
    """Entry point: a XinyongError is one line on stderr and its exit code, never a traceback."""
    try:
        app()
    except XinyongError as exc:
        sys.stderr.write(f"error: {exc.one_line()}\n")
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
