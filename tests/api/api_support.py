"""Small helpers the API tests share: the Authorization header, and the checks every problem must pass."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from xinyong.api.middleware import ApiLimits
from xinyong.api.problems import PROBLEM_BASE, PROBLEM_MEDIA_TYPE

#: Limits high enough that no test meets them by accident; the limit tests set their own.
ROOMY = ApiLimits(
    key_rate=10_000,
    key_burst=10_000,
    address_rate=10_000,
    address_burst=10_000,
    auth_failure_rate=10_000,
    auth_failure_burst=10_000,
    checkpoint_every_s=0,
    key_cache_s=0,
)

#: `make_key(role, **scopes)` returns a fresh API key; `make_client(limits)` a started test client.
MakeKey = Callable[..., str]
MakeClient = Callable[..., Any]


def bearer(key: str) -> dict[str, str]:
    """The Authorization header for a key."""
    return {"Authorization": f"Bearer {key}"}


def problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    """Assert the response is an RFC 9457 problem of this status and type, and return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    assert body["type"] == PROBLEM_BASE + slug
    assert body["status"] == status
    assert isinstance(body["title"], str)
    assert body["title"]
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body
