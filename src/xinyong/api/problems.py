"""Errors as RFC 9457 problem details: every failure the API reports is `application/problem+json`.

Each `XinyongError` class carries a stable slug; its `type` is `https://xinyong.dev/problems/<slug>`, so
clients branch on the type, never on the wording of `detail`. `field` names the input that was wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from xinyong.errors import RateLimited, Unauthenticated, XinyongError

log = logging.getLogger("xinyong.api")

PROBLEM_BASE = "https://xinyong.dev/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"
#: How many validation errors one 422 lists; the first is also in `field` and `detail`.
MAX_LISTED_ERRORS = 20


class PayloadTooLarge(XinyongError):
    """The request body is larger than this route accepts."""

    slug = "payload-too-large"
    http_status = 413


class Unavailable(XinyongError):
    """A service the request needs is not available (not installed, or still starting)."""

    slug = "unavailable"
    http_status = 503


class TimedOut(XinyongError):
    """The request took longer than the service allows; it may be retried."""

    slug = "timeout"
    http_status = 503


class FieldError(BaseModel):
    """One input that failed validation."""

    field: str
    reason: str


class Problem(BaseModel):
    """An RFC 9457 problem: a stable `type` URI, a short `title`, the HTTP `status` and a one-line `detail`."""

    model_config = ConfigDict(json_schema_extra={"additionalProperties": True})

    type: str = Field(examples=[PROBLEM_BASE + "forbidden"])
    title: str
    status: int
    detail: str
    field: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = None


def problem_type(slug: str) -> str:
    """The stable `type` URI of a problem slug."""
    return PROBLEM_BASE + slug


def problem_response(
    status: int,
    slug: str,
    detail: str,
    *,
    field: str | None = None,
    request_id: str | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> JSONResponse:
    """A problem+json response; `title` is the slug in words, the same for every problem of that type."""
    body: dict[str, Any] = {
        "type": problem_type(slug),
        "title": slug.replace("-", " ").capitalize(),
        "status": status,
        "detail": detail,
    }
    if field is not None:
        body["field"] = field
    if request_id is not None:
        body["request_id"] = request_id
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, headers=dict(headers or {}), media_type=PROBLEM_MEDIA_TYPE)


def response_for(exc: XinyongError, request_id: str | None = None) -> JSONResponse:
    """The problem for a XinyongError, with the headers its status calls for (Retry-After, WWW-Authenticate)."""
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(max(1, exc.retry_after))
    if isinstance(exc, Unauthenticated):
        headers["WWW-Authenticate"] = 'Bearer realm="xinyong"'
    if isinstance(exc, TimedOut | Unavailable):
        headers["Retry-After"] = "1"
    status = exc.http_status
    if status >= 500:
        # Internal detail (a database URL, a catalog path) stays in the log; the client gets the kind.
        log.error("%s: %s", exc.slug, exc.one_line())
    return problem_response(status, exc.slug, exc.one_line(), field=exc.field, request_id=request_id, headers=headers)


def install(app: FastAPI) -> None:
    """Make every error the app raises, including FastAPI's own validation errors, a problem+json response."""
    app.add_exception_handler(XinyongError, _xinyong_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problems a route may answer with (moved to problem+json by `document`)."""
    return {status: {"model": Problem, "description": HTTPStatus(status).phrase} for status in statuses}


def document(schema: dict[str, Any]) -> dict[str, Any]:
    """Move error responses documented with the Problem model from application/json to problem+json."""
    ref = "#/components/schemas/Problem"
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            for code, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if str(code)[0] in "45" and content.get("application/json", {}).get("schema") == {"$ref": ref}:
                    content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
    return schema


def _request_id(request: Request) -> str | None:
    value = getattr(request.state, "request_id", None)
    return value if isinstance(value, str) else None


async def _xinyong_error(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, XinyongError):  # registered for XinyongError only
        raise exc
    return response_for(exc, _request_id(request))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, RequestValidationError):  # registered for RequestValidationError only
        raise exc
    errors = [
        FieldError(field=_field_name(e.get("loc", ())), reason=str(e.get("msg", "invalid"))) for e in exc.errors()
    ]
    first = errors[0] if errors else FieldError(field="request", reason="invalid")
    return problem_response(
        422,
        "invalid-input",
        f"{first.field}: {first.reason}",
        field=first.field,
        request_id=_request_id(request),
        extra={"errors": [e.model_dump() for e in errors[:MAX_LISTED_ERRORS]]},
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, StarletteHTTPException):  # registered for HTTPException only
        raise exc
    slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, f"http-{exc.status_code}")
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    return problem_response(exc.status_code, slug, detail, request_id=_request_id(request), headers=exc.headers or {})


def internal_error(request_id: str | None = None) -> JSONResponse:
    """The answer to a bug: the documented shape, and nothing of the error itself."""
    return problem_response(
        500, "internal-error", "an unexpected error occurred; it has been logged", request_id=request_id
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # The one broad handler the service has: a bug must still answer in the documented shape, and its
    # traceback goes to the log (Starlette re-raises it after this response is sent).
    return internal_error(_request_id(request))


def _field_name(loc: Iterable[Any]) -> str:
    parts = list(loc)
    # The first element says where the input was (query, path, header, body); the rest names it.
    if parts and parts[0] in ("query", "path", "header", "cookie", "body") and len(parts) > 1:
        parts = parts[1:]
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "body"
