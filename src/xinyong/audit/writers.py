"""What both bulk audit writers (`auditing.AuditWriter`, a thread; `audit_worker.ProcessAuditWriter`, a child
process) check and say the same way: their settings, and a flush that ran out of time."""

from __future__ import annotations

from xinyong.errors import InvalidInput, StoreError


def check_writer_settings(flush_ms: int, batch_size: int) -> None:
    """Refuse a flush interval or a batch size below one."""
    if flush_ms < 1:
        raise InvalidInput(f"{flush_ms} is not a positive number of milliseconds", field="audit_flush_ms")
    if batch_size < 1:
        raise InvalidInput(f"{batch_size} is not a positive batch size", field="batch_size")


def not_written(timeout: float | None, waiting: int, last_error: str | None) -> StoreError:
    """The error of a flush that did not see everything written within its timeout."""
    reason = f": {last_error}" if last_error else ""
    return StoreError(f"audit events not written within {timeout} s ({waiting} waiting){reason}")
