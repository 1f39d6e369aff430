"""The README keeps up with the code: every setting and every command is documented there."""

from __future__ import annotations

from pathlib import Path

import typer

from xinyong.cli.app import app
from xinyong.settings import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def settings_table() -> str:
    """The configuration table the README must contain, generated from the settings' own documentation."""
    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        default = "unset" if field.default is None else f"`{field.default}`"
        rows.append(f"| `XINYONG_{name.upper()}` | {default} | {field.description} |")
    return "\n".join(rows)


def command_paths() -> list[str]:
    """`xinyong <command>` for every top-level command and command group."""
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    return [f"xinyong {name}" for name in group.list_commands(typer.Context(group))]


def test_every_setting_is_in_the_readme_table() -> None:
    assert settings_table() in README


def test_every_command_is_in_the_readme() -> None:
    missing = [path for path in command_paths() if f"`{path}" not in README]
    assert missing == []
