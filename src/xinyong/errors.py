"""One error tree for the whole system; each class carries a stable type slug, an HTTP status and a CLI exit code."""

from __future__ import annotations


class XinyongError(Exception):
    """A failure that a user, an agency or an operator can act on; never shown with a traceback."""

    slug = "error"
    http_status = 400
    exit_code = 1

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def one_line(self) -> str:
        """The message as one line, naming the field when there is one."""
        text = " ".join(self.message.split())
        return f"{self.field}: {text}" if self.field and not text.startswith(f"{self.field}:") else text


class InvalidInput(XinyongError):
    """A value given by the caller is malformed (a bad identifier, a bad date, an unknown code)."""

    slug = "invalid-input"
    http_status = 422


class NotFound(XinyongError):
    """The thing asked for does not exist."""

    slug = "not-found"
    http_status = 404


class Conflict(XinyongError):
    """The request contradicts the current state (a decided objection decided again, say)."""

    slug = "conflict"
    http_status = 409


class Unauthenticated(XinyongError):
    """No key, an unknown key or a revoked key."""

    slug = "unauthenticated"
    http_status = 401


class Forbidden(XinyongError):
    """The principal's role or scopes do not allow this."""

    slug = "forbidden"
    http_status = 403


class RateLimited(XinyongError):
    """Too many requests from one key or address."""

    slug = "rate-limited"
    http_status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ConfigError(XinyongError):
    """The deployment's settings are wrong."""

    slug = "config-error"
    http_status = 500


class CatalogError(XinyongError):
    """The legal catalog is broken; names the file, the entry and the field."""

    slug = "catalog-error"
    http_status = 500

    def __init__(self, file: str, entry: str, field: str, reason: str) -> None:
        super().__init__(f"catalog {file}: entry {entry!r}, field {field!r}: {reason}")
        self.file = file
        self.entry = entry
        self.catalog_field = field
        self.reason = reason


class StoreError(XinyongError):
    """The database is unreachable or not initialised."""

    slug = "store-error"
    http_status = 503


class AuditBroken(XinyongError):
    """The audit log does not verify."""

    slug = "audit-broken"
    http_status = 500
