"""Reading pages the way the tests need: the document title (not the charts' SVG titles), the h1s, labels
and the visible text. A plain module (conftest files are not for importing)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Page:
    """What a test asserts about one HTML page."""

    lang: str | None = None
    titles: list[str] = field(default_factory=list)
    h1: list[str] = field(default_factory=list)
    headings: list[int] = field(default_factory=list)
    labels_for: set[str] = field(default_factory=set)
    controls: dict[str, str] = field(default_factory=dict)
    text: str = ""
    links: list[str] = field(default_factory=list)


#: HTML elements without an end tag (SVG's self-closing ones arrive as a start and an end).
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"})


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._stack: list[str] = []
        self._chunks: list[str] = []
        self._capture: str | None = None
        self._buffer: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.page.lang = a.get("lang")
        if tag == "title" and "svg" not in self._stack:
            self._capture, self._buffer = "title", []
        if tag == "h1":
            self._capture, self._buffer = "h1", []
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.page.headings.append(int(tag[1]))
        if tag == "label" and a.get("for"):
            self.page.labels_for.add(str(a["for"]))
        visible = a.get("type") not in ("hidden", "submit", "radio")
        if tag in ("input", "select", "textarea") and visible and a.get("id"):
            self.page.controls[str(a["id"])] = str(a.get("name"))
        if tag == "a" and a.get("href"):
            self.page.links.append(str(a["href"]))
        if tag not in _VOID:
            self._stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        if self._capture == tag:
            text = " ".join("".join(self._buffer).split())
            (self.page.titles if tag == "title" else self.page.h1).append(text)
            self._capture = None
        while self._stack and self._stack[-1] != tag:
            self._stack.pop()
        if self._stack:
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        if self._capture is not None:
            self._buffer.append(data)
        if "svg" not in self._stack and "title" not in self._stack[-1:]:
            self._chunks.append(data)

    def close(self) -> None:
        super().close()
        self.page.text = " ".join(" ".join(self._chunks).split())


def read(html: str) -> Page:
    """The parts of a page the tests look at."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.page
