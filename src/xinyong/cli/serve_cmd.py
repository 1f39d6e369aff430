"""`xinyong serve`: the HTTP API on one uvicorn worker, with JSON logs on stderr."""

from __future__ import annotations

from typing import Annotated

import typer

from xinyong.bootstrap import build

#: The app factory uvicorn loads; named, not imported, since entry points do not import each other.
APP_FACTORY = "xinyong.api.app:serve_app"


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8000,
) -> None:
    """Serve the HTTP API (and the portal, when installed) until interrupted."""
    import uvicorn

    # Fail with one line now, not inside uvicorn's start-up, when the database is missing or behind.
    store = build().store
    try:
        store.check()
    finally:
        store.dispose()
    uvicorn.run(APP_FACTORY, factory=True, host=host, port=port, log_config=None, access_log=False)


def register(app: typer.Typer) -> None:
    """Add the `serve` command."""
    app.command("serve")(serve)
