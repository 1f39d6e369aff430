"""Feed uploads: an agency or court posts a file for itself and gets the same counts as `xinyong ingest`.

Scope enforcement: the key must belong to the agency in the path (403 otherwise), and the catalog
rejects, row by row, any record type the agency's kind may not send. A key may be scoped to fewer
record types than the catalog allows its agency; those narrower scopes are enforced row by row only
when the ingest service takes a `record_types` argument. Until it does, an upload with such a key is
refused as a whole (403), never ingested with the wider catalog rule.
"""

from __future__ import annotations

import hashlib
import inspect
import re
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi import Path as PathParam
from pydantic import BaseModel

from xinyong import auditing, ingest
from xinyong.access import Principal
from xinyong.api.auth import ensure_agency, require, services_of
from xinyong.api.metrics import metrics_of
from xinyong.api.problems import Unavailable, problem_responses
from xinyong.catalog.model import CODE_PATTERN
from xinyong.errors import Forbidden, NotFound
from xinyong.ids.allowlist import load_from_home
from xinyong.ingest import BatchSummary

router = APIRouter()

#: Where uploads wait (under XINYONG_HOME) while they are ingested; each gets a folder of its own.
UPLOADS = "uploads"
_SAFE_NAME = re.compile(r"[^\w.\-]+")


class FeedResult(BaseModel):
    """What became of the uploaded feed's rows, as `xinyong ingest` prints it."""

    batch: int
    accepted: int
    rejected: int
    unchanged: int
    superseded: int


@router.post(
    "/v1/feeds/{agency}",
    tags=["feeds"],
    response_model=FeedResult,
    responses=problem_responses(401, 403, 404, 413, 422, 429, 503),
)
def submit_feed(
    request: Request,
    agency: Annotated[str, PathParam(pattern=CODE_PATTERN, max_length=64, description="The agency's code.")],
    principal: Annotated[Principal, Depends(require(roles={"agency", "court"}))],
    file: Annotated[UploadFile, File(description="The feed: CSV, JSON Lines, Parquet or XLSX.")],
    format: Annotated[
        Literal["csv", "jsonl", "parquet", "xlsx"] | None,
        Form(description="The file's format when its name does not say."),
    ] = None,
    encoding: Annotated[
        str | None, Form(max_length=32, pattern=r"^[A-Za-z0-9_\-]+$", description="A CSV's text encoding.")
    ] = None,
) -> FeedResult:
    """Validate and store one feed file for the agency the key belongs to."""
    ensure_agency(principal, agency)
    services = services_of(request)
    if agency not in services.catalog.agencies:
        raise NotFound(f"{agency!r} is not an agency in the catalog", field="agency")
    ingest_paths = _ingest_service()
    allowed = {rt.code for rt in services.catalog.record_types_for(agency)}
    extra: dict[str, Any] = {}
    if not allowed <= principal.scopes.record_types:
        if "record_types" not in inspect.signature(ingest_paths).parameters:
            narrowed = ", ".join(sorted(principal.scopes.record_types)) or "none"
            raise Forbidden(
                f"this key may submit only {narrowed}; such keys cannot upload until row-level "
                "scope checks are available",
                field="record_type",
            )
        extra["record_types"] = frozenset(principal.scopes.record_types)
    home = Path(services.settings.home)
    folder = home / UPLOADS / uuid.uuid4().hex
    try:
        folder.mkdir(parents=True)
        path = folder / _safe_name(file.filename)
        digest = hashlib.sha256()
        size = 0
        with path.open("wb") as out:
            while chunk := file.file.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        summary = ingest_paths(
            services.store,
            services.catalog,
            services.clock,
            [path],
            agency,
            fmt=format,
            encoding=encoding,
            home=home,
            allow_list=load_from_home(home),
            **extra,
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result = FeedResult(
        batch=summary.batch,
        accepted=summary.accepted,
        rejected=summary.rejected,
        unchanged=summary.unchanged,
        superseded=summary.superseded,
    )
    auditing.record(
        services.store,
        [
            auditing.Event(
                services.clock.now(),
                principal.name,
                principal.role,
                "feed.upload",
                f"batch:{result.batch}",
                detail={
                    "key": principal.key_prefix,
                    "agency": agency,
                    "file": path.name,
                    "bytes": size,
                    "sha256": digest.hexdigest(),
                },
            )
        ],
    )
    metrics_of(request).count_ingest(
        agency,
        accepted=result.accepted,
        rejected=result.rejected,
        unchanged=result.unchanged,
        superseded=result.superseded,
    )
    return result


def _ingest_service() -> Callable[..., BatchSummary]:
    # Read from the module when called, so a deployment (or a test) can wrap the service.
    service: Callable[..., BatchSummary] | None = getattr(ingest, "ingest_paths", None)
    if service is None:
        raise Unavailable("feed ingestion is not available in this build")
    return service


def _safe_name(filename: str | None) -> str:
    # Keep the agency's file name for provenance, but never a path or a character a shell would mind.
    name = _SAFE_NAME.sub("_", Path(filename or "feed").name).strip("._") or "feed"
    return name[-120:]
