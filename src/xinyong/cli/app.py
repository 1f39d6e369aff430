"""The `xinyong` command: a Typer app whose commands live one module each; user errors become one line."""

from __future__ import annotations

import sys

import typer

from xinyong.errors import XinyongError

app = typer.Typer(
    name="xinyong",
    help="xinyong: a public credit information system with due process built in.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

from xinyong.cli import catalog_cmd, demo_cmd, ids_cmd, store_cmd  # noqa: E402

for _module in (ids_cmd, catalog_cmd, store_cmd, demo_cmd):
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
