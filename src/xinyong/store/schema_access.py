"""Tables for API principals and their keys (on the shared metadata).

A principal is who acts (an agency's feed robot, an airline, a regulator, a subject); a key is one
credential for it, stored only as a SHA-256 hash behind a short public prefix, so the database never
holds a usable key. Keys are revoked, never deleted, so the audit log's references stay resolvable.
"""

from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, String, Table

from xinyong.store.schema import PrimaryKey, UTCDateTime, metadata

#: Every role a principal may hold (CONTRACT §6).
ROLES = ("public", "subject", "agency", "court", "platform", "regulator", "operator")

principals = Table(
    "principals",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("agency", String(64)),
    # The identifier (USCC or resident ID) of the subject a `subject` principal is; null for other roles.
    Column("subject", String(64)),
    # {"record_types": [...], "actions": [...], "districts": [...]}
    Column("scopes", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    CheckConstraint("role IN ({})".format(", ".join(f"'{r}'" for r in ROLES)), name="role"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("principal_pk", PrimaryKey, ForeignKey("principals.pk"), nullable=False),
    Column("prefix", String(16), nullable=False, unique=True),
    Column("sha256", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Column("last_used_at", UTCDateTime),
    Index(None, "principal_pk"),
)

__all__ = ["ROLES", "api_keys", "metadata", "principals"]
