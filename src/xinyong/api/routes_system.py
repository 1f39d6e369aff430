"""Liveness, Prometheus metrics, and the audit log's signed head with proofs that it only ever grew."""

from __future__ import annotations

import threading
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from pydantic import BaseModel, Field

from xinyong import auditing
from xinyong.access import Principal
from xinyong.api.auth import require, services_of
from xinyong.api.metrics import metrics_of
from xinyong.api.middleware import ApiLimits
from xinyong.api.problems import problem_responses
from xinyong.audit import Checkpoint, public_key_to_pem
from xinyong.bootstrap import Services

router = APIRouter()

#: The largest tree size a proof may be asked for (JSON numbers stay exact below 2**53).
MAX_TREE_SIZE = 2**53 - 1


class Health(BaseModel):
    """The service is up and its database answers."""

    status: str = Field(examples=["ok"])
    audit_entries: int


class SignedCheckpoint(BaseModel):
    """A signed head of the audit log (C2SP checkpoint body) and the key to check it with."""

    origin: str
    size: int
    root_hex: str
    at: str
    key_id: str
    signature_hex: str
    signed_text: str
    public_key_pem: str


class ConsistencyProof(BaseModel):
    """RFC 9162 proof that the log of `new.size` entries extends its first `old` entries."""

    old: int
    new: SignedCheckpoint
    proof: list[str]


@router.get("/healthz", tags=["system"], response_model=Health, responses=problem_responses(429, 503))
def healthz(request: Request) -> Health:
    """Liveness and readiness: 200 when the database answers, 503 `store-error` when it does not."""
    return Health(status="ok", audit_entries=auditing.log_size(services_of(request).store))


@router.get(
    "/metrics",
    tags=["system"],
    response_class=Response,
    responses={
        200: {"description": "Prometheus text format", "content": {"text/plain": {"schema": {"type": "string"}}}},
        **problem_responses(401, 403, 429),
    },
)
def metrics(request: Request, principal: Annotated[Principal, Depends(require(roles={"operator"}))]) -> Response:
    """Request counts and latencies per route, checks per action, ingested rows (operators only)."""
    collected = metrics_of(request)
    return Response(collected.render(), media_type=collected.content_type)


@router.get(
    "/v1/audit/checkpoint",
    tags=["audit"],
    response_model=SignedCheckpoint,
    responses=problem_responses(429, 503),
)
def audit_checkpoint(request: Request) -> SignedCheckpoint:
    """The latest signed head of the audit log; keep it, and later ask for proof that the log extends it."""
    services = services_of(request)
    return _published(_fresh_checkpoint(request.app, services), services)


@router.get(
    "/v1/audit/consistency",
    tags=["audit"],
    response_model=ConsistencyProof,
    responses=problem_responses(404, 422, 429, 503),
)
def audit_consistency(
    request: Request,
    old: Annotated[int, Query(ge=0, le=MAX_TREE_SIZE, description="Size of the checkpoint you hold.")],
    new: Annotated[int, Query(ge=0, le=MAX_TREE_SIZE, description="Size of a later signed checkpoint.")],
) -> ConsistencyProof:
    """Proof that the signed checkpoint of `new` entries extends the log's first `old` entries."""
    services = services_of(request)
    signed, proof = auditing.consistency(services.store, old, new)
    return ConsistencyProof(old=old, new=_published(signed, services), proof=[p.hex() for p in proof])


def _fresh_checkpoint(app: FastAPI, services: Services) -> Checkpoint:
    # Signing writes to the store, so anonymous callers may cause at most one signature per interval.
    limits: ApiLimits = app.state.limits
    lock: threading.Lock = app.state.checkpoint_lock
    with lock:
        latest = auditing.latest_checkpoint(services.store)
        last_signed: float | None = getattr(app.state, "checkpoint_signed_at", None)
        now = time.monotonic()
        if latest is None or last_signed is None or now - last_signed >= limits.checkpoint_every_s:
            latest = auditing.checkpoint(services.store, services.audit_key, services.clock)
            app.state.checkpoint_signed_at = now
        return latest


def _published(checkpoint: Checkpoint, services: Services) -> SignedCheckpoint:
    document: dict[str, Any] = checkpoint.to_dict()
    document["public_key_pem"] = public_key_to_pem(services.audit_key.public_key()).decode("ascii")
    return SignedCheckpoint(**document)
