"""How every command prints: one JSON document on stdout with --json, Rich tables otherwise, errors on stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress

stdout = Console(soft_wrap=True)
stderr = Console(stderr=True)


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def to_json(obj: Any, *, indent: int | None = 2) -> str:
    """JSON with Chinese kept readable and dates as ISO strings."""
    return json.dumps(obj, ensure_ascii=False, indent=indent, default=_default)


def emit_json(obj: Any) -> None:
    """Write exactly one JSON document to stdout."""
    sys.stdout.write(to_json(obj) + "\n")
    sys.stdout.flush()


def emit_jsonl(obj: Any) -> None:
    """Write one JSON object as one line."""
    sys.stdout.write(to_json(obj, indent=None) + "\n")


@contextmanager
def progress(description: str, total: int | None = None) -> Iterator[Any]:
    """A Rich progress bar on stderr, shown only when stderr is a terminal; yields an advance(n) callable."""
    if not sys.stderr.isatty():
        yield lambda n=1: None
        return
    with Progress(console=stderr, transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n=1: bar.advance(task, n)
