"""Keeping the message catalogs in step with the pages: extract every message the templates and the
portal's Python mark, merge them into `locale/<lang>/LC_MESSAGES/messages.po` keeping what is translated,
and name what is not. Run `python -m xinyong.portal.catalogs` after changing a page's words, then translate
the messages it lists in the Chinese catalog (the English catalog repeats each message id)."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from xinyong.portal.i18n import LANGS, po_path

PORTAL: Final = Path(__file__).parent
#: Where messages are marked, and how.
METHOD_MAP: Final = [("templates/**.html", "jinja2"), ("words.py", "python"), ("dashboard.py", "python")]
KEYWORDS: Final = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "_t": None}


def extracted() -> Catalog:
    """Every message the portal marks, with where it is used."""
    catalog = Catalog(project="xinyong", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(PORTAL, METHOD_MAP, keywords=KEYWORDS):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def update() -> dict[str, list[str]]:
    """Merge the extracted messages into each language's catalog; returns each language's untranslated ids."""
    template = extracted()
    missing: dict[str, list[str]] = {}
    for lang in LANGS:
        path = po_path(lang)
        with path.open("rb") as source:
            catalog = read_po(source, locale=lang)
        catalog.update(template, no_fuzzy_matching=True)
        for message in catalog:
            if message.id and lang == "en" and not message.string:
                message.string = message.id  # English pages use the message ids as written
        catalog.fuzzy = False
        with path.open("wb") as out:
            write_po(out, catalog, width=120, include_previous=False, ignore_obsolete=True)
        missing[lang] = [str(m.id) for m in catalog if m.id and not m.string]
    return missing


if __name__ == "__main__":
    for lang, ids in update().items():
        print(f"{lang}: {len(ids)} untranslated")
        for message_id in ids:
            print(f"  {message_id}")
