"""Routes that exist only in the tests, to exercise the auth helpers the area routes will use:
a role- and action-scoped check, a subject's own file (BOLA and stated purpose), a strict JSON body,
a slow route, a body echo and a bug."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from xinyong import access
from xinyong.access import Principal
from xinyong.api.auth import AnyPrincipal, Purpose, ensure_subject, require, services_of
from xinyong.api.bodies import StrictBody
from xinyong.api.problems import problem_responses

router = APIRouter(prefix="/v1/_test", responses=problem_responses(401, 403, 422))


class Objection(StrictBody):
    """A body with two declared fields; anything else must be refused."""

    record: str
    grounds: str


@router.get("/whoami")
async def whoami(principal: AnyPrincipal) -> dict[str, Any]:
    return principal.to_dict()


@router.get("/check")
async def check(
    principal: Annotated[Principal, Depends(require(roles={"platform", "agency", "court"}, action_scope=True))],
    action: Annotated[str, Query(max_length=64)],
    id: Annotated[str, Query(max_length=64)],
) -> dict[str, Any]:
    return {"action": action, "id": id, "by": principal.name}


@router.get("/subjects/{subject_id}")
def subject_file(
    request: Request,
    subject_id: str,
    purpose: Purpose,
    principal: Annotated[Principal, Depends(require(roles={"subject", "regulator", "operator"}))],
) -> dict[str, Any]:
    ensure_subject(principal, subject_id)
    services = services_of(request)
    with services.store.unit_of_work() as conn:
        access.log_read(conn, principal, f"subject:{subject_id}", purpose, at=services.clock.now())
    return {"subject": subject_id, "purpose": purpose}


@router.post("/objections")
async def object_to(
    body: Objection, principal: Annotated[Principal, Depends(require(roles={"subject"}))]
) -> dict[str, Any]:
    return {"record": body.record, "by": principal.name, "role": principal.role}


@router.post("/echo")
async def echo(request: Request) -> dict[str, int]:
    return {"bytes": len(await request.body())}


@router.get("/slow")
async def slow() -> dict[str, str]:
    await asyncio.sleep(2)
    return {"status": "late"}


@router.get("/boom")
async def boom() -> dict[str, str]:
    raise RuntimeError("a bug")
