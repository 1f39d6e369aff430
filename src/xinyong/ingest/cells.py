"""Cell values as text: what a reader hands over (a number from XLSX, a date from Parquet, a string from
CSV) becomes the text an agency would have written, the form every check and the row hash work on."""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime, time
from decimal import Decimal

# C0 and C1 control characters other than tab and newline; a carriage return only when it does not end a line
# (CSV fields typed in Windows carry CR LF). The same set as text.strip_control removes.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)")
#: What a decoder puts where bytes could not be read.
REPLACEMENT = "\ufffd"
# Either of the two, so a whole row can be screened with one search.
_SUSPECT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]|\r(?!\n)")
#: Invisible characters pasted along with a value; text.clean_field strips them at the edges too.
INVISIBLE_EDGES = "\ufeff\u200b\u200c\u200d\u2060"


def as_text(value: object) -> str:
    """The cell as text: whole numbers without `.0`, dates in ISO form, nested JSON as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        if value.tzinfo is None and value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, list | dict | tuple):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def has_control(text: str) -> bool:
    """Whether the text holds a control character other than tab, newline or a line-ending CR."""
    return _CONTROL.search(text) is not None


def suspect(texts: Sequence[str | None]) -> bool:
    """Whether any of the values holds a control character or undecodable bytes (one search for a row)."""
    return _SUSPECT.search("\t".join([text for text in texts if text])) is not None


def clean(text: str) -> str:
    """The value as stored: what text.clean_field makes of text already checked free of control characters
    (only a line-ending CR can remain, and it goes), without clean_field's character-by-character scan."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        text = text.strip()
        if text and (text[0] in INVISIBLE_EDGES or text[-1] in INVISIBLE_EDGES):
            text = text.strip(INVISIBLE_EDGES).strip()
        return text
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    return text.strip()
