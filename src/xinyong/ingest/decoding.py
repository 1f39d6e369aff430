"""Text feeds as lines of text: the encoding detected (or given), and each line decoded on its own so one
line of bad bytes rejects one row instead of the whole file."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from xinyong.errors import InvalidInput

UTF8_BOM = codecs.BOM_UTF8
#: The longest physical line read; a longer one (a hostile or broken file) is rejected as a row.
MAX_LINE_BYTES = 8 << 20
#: Bytes read and decoded at a time.
BLOCK_BYTES = 1 << 20
#: How many lines with non-ASCII bytes detection looks at before it decides.
DETECT_LINES = 2000


@dataclass(frozen=True, slots=True)
class Line:
    """One physical line, decoded; `fault` says why its bytes could not be decoded (then `text` has U+FFFD)."""

    number: int
    text: str
    fault: str | None = None


def check_encoding(name: str) -> str:
    """The codec's canonical name, or a refusal naming the unknown encoding."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise InvalidInput(f"unknown text encoding {name!r}", field="encoding") from None


def detect_encoding(stream: BinaryIO) -> str:
    """`utf-8-sig` for a byte-order mark; else UTF-8 unless most lines with non-ASCII bytes fail as UTF-8
    (a GB18030 file: its Chinese is almost never valid UTF-8), then `gb18030`. A few bad lines in an
    otherwise UTF-8 file leave it UTF-8, so only those rows are rejected rather than every row garbled."""
    start = stream.tell()
    try:
        if stream.read(len(UTF8_BOM)) == UTF8_BOM:
            return "utf-8-sig"
        stream.seek(start)
        non_ascii = failed = 0
        while non_ascii < DETECT_LINES:
            line = stream.readline(MAX_LINE_BYTES)
            if not line:
                break
            if line.isascii():
                continue
            non_ascii += 1
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                failed += 1
        return "gb18030" if failed * 2 > non_ascii else "utf-8"
    finally:
        stream.seek(start)


@dataclass(frozen=True, slots=True)
class Block:
    """Consecutive lines of a file decoded together: the number of the first, the lines (endings kept) and
    the faults of any that could not be decoded, by line number."""

    first: int
    lines: list[str]
    faults: dict[int, str]


def decode_blocks(stream: BinaryIO, encoding: str) -> Iterator[Block]:
    """The file's lines, a block of about BLOCK_BYTES at a time: a block decodes in one call, and only a
    block that fails is decoded line by line to find its bad lines. A byte-order mark at the start is dropped."""
    codec = _codec(encoding)
    label = _label(encoding)
    number = 1
    pending = b""
    at_start = True
    while True:
        data = stream.read(BLOCK_BYTES)
        if at_start and codec == "utf-8" and data.startswith(UTF8_BOM):
            data = data[len(UTF8_BOM) :]
        at_start = False
        if not data:
            if pending:
                yield _decode(pending, codec, label, number, final=True)
            return
        data = pending + data
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            pending = data
            if len(pending) > MAX_LINE_BYTES:
                # Skip the rest of the overlong line without holding it, and stand an empty line in for it.
                yield Block(number, ["\n"], {number: f"line longer than {MAX_LINE_BYTES:,} bytes"})
                number += 1
                pending = _skip_line(stream)
            continue
        block = _decode(data[:cut], codec, label, number, final=False)
        number += len(block.lines)
        pending = data[cut:]
        yield block


def decode_lines(stream: BinaryIO, encoding: str) -> Iterator[Line]:
    """Every physical line (ending kept) with its number and, when its bytes would not decode, why."""
    for block in decode_blocks(stream, encoding):
        for offset, text in enumerate(block.lines):
            number = block.first + offset
            yield Line(number, text, block.faults.get(number) if block.faults else None)


def _decode(data: bytes, codec: str, label: str, first: int, *, final: bool) -> Block:
    try:
        lines = _split(data.decode(codec), final=final)
        return Block(first, lines, {})
    except UnicodeDecodeError:
        pass
    lines = []
    faults: dict[int, str] = {}
    for offset, raw in enumerate(_split_bytes(data, final=final)):
        try:
            lines.append(raw.decode(codec))
        except UnicodeDecodeError as exc:
            lines.append(raw.decode(codec, "replace"))
            faults[first + offset] = f"bad {label} bytes at byte {exc.start + 1}"
    return Block(first, lines, faults)


def _split(text: str, *, final: bool) -> list[str]:
    # Only a newline ends a line here, as in a file opened with newline="" (str.splitlines would also split
    # at form feeds and separators, which a CSV field may hold).
    parts = text.split("\n")
    last = parts.pop()
    lines = [part + "\n" for part in parts]
    if final and last:
        lines.append(last)
    return lines


def _split_bytes(data: bytes, *, final: bool) -> list[bytes]:
    parts = data.split(b"\n")
    last = parts.pop()
    lines = [part + b"\n" for part in parts]
    if final and last:
        lines.append(last)
    return lines


def _skip_line(stream: BinaryIO) -> bytes:
    # Read on to the end of the overlong line; whatever follows it is the start of the next.
    while data := stream.read(BLOCK_BYTES):
        cut = data.find(b"\n")
        if cut >= 0:
            return data[cut + 1 :]
    return b""


def _codec(encoding: str) -> str:
    # The byte-order mark is dropped once, at the start; a codec that drops it would do so at every block.
    name = codecs.lookup(encoding).name
    return "utf-8" if name in ("utf-8", "utf-8-sig") else name


def _label(encoding: str) -> str:
    name = codecs.lookup(encoding).name
    return {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "gb18030": "GB18030"}.get(name, name)
