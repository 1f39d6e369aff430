"""Pages as HTML: the Jinja2 templates in the reader's language, with the headers every page carries.

Templates get `_()` bound to the reader's language, `L(entry)` for a catalog entry's label in that
language, and helpers for dates, legal bases and agencies; autoescaping is on for everything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from xinyong.access import Principal
from xinyong.catalog.model import Catalog
from xinyong.clock import CST
from xinyong.errors import XinyongError
from xinyong.ids import registry
from xinyong.portal.i18n import COOKIE, COOKIE_AGE, DEFAULT_LANG, HTML_LANG, Lang, parse_lang, translations
from xinyong.portal.identity import csrf_token
from xinyong.portal.state import services_of
from xinyong.portal.words import coder

TEMPLATES: Final = Path(__file__).parent / "templates"
#: Sent with every page: nothing from elsewhere, no framing, no inline script (there is none).
SECURITY_HEADERS: Final[dict[str, str]] = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


@cache
def environment() -> Environment:
    """The template environment (built once): autoescaped, strict about undefined names."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "svg"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["day"] = day_text
    env.filters["instant"] = instant_text
    env.filters["number"] = lambda n: f"{n:,}" if isinstance(n, int) else str(n)
    return env


def day_text(value: object) -> str:
    """A date as ISO, a datetime as its China Standard Time date, nothing as a dash."""
    if isinstance(value, datetime):
        return value.astimezone(CST).date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value) if value else "—"


def instant_text(value: object) -> str:
    """An instant in China Standard Time to the minute."""
    if isinstance(value, datetime):
        return value.astimezone(CST).strftime("%Y-%m-%d %H:%M")
    return day_text(value)


def masked(value: object) -> str:
    """An identifier as pages may show it: a person's number masked, an organisation's code as is."""
    if not value:
        return "—"
    return registry.mask(registry.check(str(value))) or "—"


def language(request: Request) -> tuple[Lang, bool]:
    """The reader's language and whether it was just chosen (and so must be remembered)."""
    asked = parse_lang(request.query_params.get("lang"))
    if asked is not None:
        return asked, request.cookies.get(COOKIE) != asked
    return parse_lang(request.cookies.get(COOKIE)) or DEFAULT_LANG, False


def switch_link(request: Request, lang: Lang) -> str:
    """This page's address in another language; a page answering a form goes back to the form's page."""
    if request.method == "GET":
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
        path = request.url.path
    else:
        params = []
        referer = urlsplit(request.headers.get("referer", ""))
        same_site = referer.netloc in ("", request.url.netloc) and referer.path.startswith("/")
        path = referer.path if same_site and not referer.path.startswith("//") else "/"
    params.append(("lang", lang))
    return f"{path}?{urlencode(params)}"


def labeller(lang: Lang) -> Callable[..., str]:
    """`L(entry, "label")`: an entry's `label_zh` or `label_en` (dicts and catalog models alike)."""

    def label(entry: Any, stem: str = "label") -> str:
        if entry is None:
            return ""
        get = entry.get if isinstance(entry, Mapping) else lambda name, default=None: getattr(entry, name, default)
        text = get(f"{stem}_{lang}") or get(f"{stem}_zh") or get("code") or ""
        return str(text)

    return label


def catalog_helpers(catalog: Catalog, lang: Lang) -> dict[str, Callable[..., str]]:
    """Names of agencies, legal bases, lists and actions in the reader's language, for templates."""

    def agency(code: object) -> str:
        found = catalog.agencies.get(str(code))
        if found is None:
            return str(code or "—")
        return found.name_zh if lang == "zh" else found.name_en

    def basis(code: object) -> str:
        found = catalog.legal_bases.get(str(code))
        if found is None:
            return str(code or "—")
        title = found.title_zh if lang == "zh" else found.title_en
        article = (found.article_zh if lang == "zh" and found.article_zh else found.article) or ""
        return f"{title} {article}".strip()

    def list_label(code: object) -> str:
        found = catalog.lists.get(str(code))
        if found is None:
            return str(code or "")
        return found.label_zh if lang == "zh" else found.label_en

    def action_label(code: object) -> str:
        found = catalog.actions.get(str(code))
        if found is None:
            return str(code or "")
        return found.label_zh if lang == "zh" else found.label_en

    def record_type_label(code: object) -> str:
        found = catalog.record_types.get(str(code))
        if found is None:
            return str(code or "")
        return found.label_zh if lang == "zh" else found.label_en

    return {
        "agency": agency,
        "basis": basis,
        "list_label": list_label,
        "action_label": action_label,
        "record_type_label": record_type_label,
    }


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
    principal: Principal | None = None,
    private: bool = False,
) -> HTMLResponse:
    """A page in the reader's language; `private` pages (signed in) are never stored by caches."""
    lang, remember = language(request)
    messages = translations(lang)
    services = services_of(request)
    values: dict[str, Any] = {
        "lang": lang,
        "html_lang": HTML_LANG[lang],
        "_": messages.gettext,
        "ngettext": messages.ngettext,
        "L": labeller(lang),
        "code": coder(messages.gettext),
        "mask": masked,
        "path": request.url.path,
        "switch": {other: switch_link(request, other) for other in HTML_LANG},
        "principal": principal,
        "csrf": csrf_token(request),
        **catalog_helpers(services.catalog, lang),
        **(context or {}),
    }
    html = environment().get_template(template).render(values)
    response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
    response.headers["Cache-Control"] = "no-store" if private else "no-cache"
    response.headers["Vary"] = "Cookie"
    if remember:
        response.set_cookie(COOKIE, lang, max_age=COOKIE_AGE, samesite="lax", path="/")
    return response


def error_page(request: Request, exc: XinyongError, *, principal: Principal | None = None) -> HTMLResponse:
    """A XinyongError as a page with its status: what went wrong, in one line, and where to go next."""
    return render(
        request,
        "error.html",
        {"status": exc.http_status, "slug": exc.slug, "message": exc.one_line()},
        status=exc.http_status,
        principal=principal,
        private=True,
    )
