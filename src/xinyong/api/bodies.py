"""The base of every JSON request body: unknown fields are refused, so no one can slip in a `role`,
`scopes`, `status` or `subject` that a route did not ask for (OWASP API3, mass assignment)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictBody(BaseModel):
    """A request body that accepts exactly its declared fields; anything else is a 422 naming the field."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
