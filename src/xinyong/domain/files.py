"""A subject's file as the rules see it: who, their listings, and the organisations they represent."""

from __future__ import annotations

from dataclasses import dataclass, field

from xinyong.domain.listings import Listing
from xinyong.domain.subjects import Role, SubjectRef


@dataclass(frozen=True, slots=True)
class RoleFile:
    """A role a person holds and the listings of the organisation it is held in."""

    role: Role
    org_listings: tuple[Listing, ...]


@dataclass(frozen=True, slots=True)
class SubjectFile:
    """Everything `decide` needs about one subject; built by the store or the screening index."""

    subject: SubjectRef
    listings: tuple[Listing, ...] = field(default=())
    roles: tuple[RoleFile, ...] = field(default=())
