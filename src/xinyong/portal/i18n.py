"""The portal's languages: Chinese by default, English on request (`?lang=en`, then remembered in a cookie).

Messages are Babel catalogs under `portal/locale/<lang>/LC_MESSAGES/messages.po`, written in English
msgids; they are compiled in memory on first use, so the repository holds only the `.po` text. Catalog
entries (lists, measures, record types) carry their own `label_zh` / `label_en` and need no message.
"""

from __future__ import annotations

import threading
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Final, Literal, get_args

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

Lang = Literal["zh", "en"]
LANGS: Final[tuple[Lang, ...]] = get_args(Lang)
DEFAULT_LANG: Final[Lang] = "zh"
COOKIE: Final = "lang"
#: How long the language choice is remembered, in seconds (a year).
COOKIE_AGE: Final = 365 * 24 * 3600
LOCALE_DIR: Final = Path(__file__).parent / "locale"
#: The value of `<html lang>` for each language.
HTML_LANG: Final[dict[Lang, str]] = {"zh": "zh-Hans", "en": "en"}

_lock = threading.Lock()


def parse_lang(raw: str | None) -> Lang | None:
    """The language a query parameter or cookie names, None when it names none the portal speaks."""
    value = (raw or "").strip().lower()
    for lang in LANGS:
        if value == lang or value.startswith((f"{lang}-", f"{lang}_")):
            return lang
    return None


def po_path(lang: Lang) -> Path:
    """The message catalog of a language."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"


@cache
def _compiled(lang: Lang) -> Translations:
    with po_path(lang).open("rb") as source:
        catalog = read_po(source, locale=lang)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def translations(lang: Lang) -> Translations:
    """The compiled messages of a language (compiled once per process)."""
    with _lock:  # `cache` may run the compile twice under contention; the lock keeps it to once
        return _compiled(lang)
