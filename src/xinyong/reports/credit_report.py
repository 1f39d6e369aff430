"""The credit report: one subject's file as a PDF — identity, listings, measures, records, grade and reasons —
with the time it was made and the signed audit checkpoint it can be verified against.

The report renders a file it is given (cut to a view by due process) and never reads the store itself, so
what it shows is exactly what that view allows. Chinese text is embedded with a font a Debian package ships.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from fpdf import FPDF, FontFace
from fpdf.enums import WrapMode, XPos, YPos

from xinyong.audit import Checkpoint
from xinyong.catalog.model import Catalog
from xinyong.clock import CST
from xinyong.reports.fonts import CjkFont, find_cjk_font

Lang = Literal["zh", "en"]
FAMILY = "cjk"
MARGIN_MM = 15
INK = (20, 33, 61)
MUTED = (85, 85, 85)
RULE = (180, 186, 198)
HEADING_FILL = (232, 236, 243)

#: The report's own words; catalog entries carry their labels in both languages.
WORDS: dict[str, dict[Lang, str]] = {
    "title": {"zh": "信用报告", "en": "Credit report"},
    "view.public": {"zh": "公开信息版", "en": "Public information"},
    "view.shared": {"zh": "共享信息版", "en": "Shared information"},
    "view.full": {"zh": "完整版（本人或运营方）", "en": "Full file (the subject or the operator)"},
    "identity": {"zh": "主体信息", "en": "Subject"},
    "name": {"zh": "名称", "en": "Name"},
    "kind": {"zh": "主体类型", "en": "Kind"},
    "kind.org": {"zh": "法人和非法人组织", "en": "Organisation"},
    "kind.person": {"zh": "自然人", "en": "Natural person"},
    "identifier": {"zh": "证照号码", "en": "Identifier"},
    "key": {"zh": "登记编号", "en": "Registry key"},
    "as_of": {"zh": "信息截至", "en": "As of"},
    "listings": {"zh": "名单", "en": "Lists"},
    "measures": {"zh": "正在实施的措施", "en": "Measures in force"},
    "records": {"zh": "信用记录", "en": "Records"},
    "rating": {"zh": "信用评价", "en": "Rating"},
    "due_process": {"zh": "异议与信用修复", "en": "Objections and repairs"},
    "audit": {"zh": "审计日志参照", "en": "Audit-log reference"},
    "none": {"zh": "无", "en": "None"},
    "list": {"zh": "名单", "en": "List"},
    "decision_no": {"zh": "文书号", "en": "Decision no."},
    "agency": {"zh": "提供单位", "en": "Agency"},
    "from": {"zh": "起", "en": "From"},
    "until": {"zh": "止", "en": "Until"},
    "open_ended": {"zh": "至移出", "en": "until removed"},
    "state": {"zh": "状态", "en": "State"},
    "measure": {"zh": "措施", "en": "Measure"},
    "effect": {"zh": "效果", "en": "Effect"},
    "via": {"zh": "关联", "en": "Via"},
    "type": {"zh": "类别", "en": "Type"},
    "decided_on": {"zh": "决定日期", "en": "Decided on"},
    "legal_basis": {"zh": "法律依据", "en": "Legal basis"},
    "status": {"zh": "状态", "en": "Status"},
    "grade": {"zh": "等级", "en": "Grade"},
    "model": {"zh": "评价模型", "en": "Model"},
    "reasons": {"zh": "主要原因", "en": "Main reasons"},
    "contested": {"zh": "（异议处理中）", "en": " (contested)"},
    "objection": {"zh": "异议", "en": "Objection"},
    "repair": {"zh": "信用修复申请", "en": "Repair application"},
    "deadline": {"zh": "处理期限", "en": "Deadline"},
    "generated": {"zh": "生成时间", "en": "Generated at"},
    "log_size": {"zh": "已签名检查点的条目数", "en": "Entries in the signed checkpoint"},
    "root": {"zh": "Merkle 根哈希", "en": "Merkle root hash"},
    "signed_at": {"zh": "检查点签名时间", "en": "Checkpoint signed at"},
    "key_id": {"zh": "签名密钥", "en": "Signing key"},
    "read_entry": {"zh": "本次查阅的审计条目序号", "en": "Audit entry of this read"},
    "digest": {"zh": "报告内容摘要 (SHA-256)", "en": "Content digest (SHA-256)"},
    "verify": {
        "zh": "核验方法：向登记系统请求 GET /v1/audit/consistency?old={size}&new=<最新条目数>，"
        "或运行 xinyong audit verify，确认此检查点（条目数与根哈希）包含在此后的每一个已签名检查点中。",
        "en": "To verify: ask the registry for GET /v1/audit/consistency?old={size}&new=<latest size>, or run "
        "xinyong audit verify, and check that this checkpoint (size and root) is extended by every later one.",
    },
    "page": {"zh": "第 {n} 页", "en": "Page {n}"},
    "state.noticed": {"zh": "已告知待列入", "en": "noticed"},
    "state.listed": {"zh": "在列", "en": "listed"},
    "state.extended": {"zh": "在列（已延长）", "en": "listed (extended)"},
    "state.removed": {"zh": "已移出", "en": "removed"},
    "effect.deny": {"zh": "禁止", "en": "deny"},
    "effect.review": {"zh": "人工审核", "en": "review"},
    "effect.expedite": {"zh": "便利", "en": "expedite"},
    "status.in_force": {"zh": "有效", "en": "in force"},
    "status.fulfilled": {"zh": "已履行", "en": "fulfilled"},
    "status.revoked": {"zh": "已撤销", "en": "revoked"},
    "status.repaired": {"zh": "已修复", "en": "repaired"},
    "status.open": {"zh": "待处理", "en": "open"},
    "status.escalated": {"zh": "已逾期督办", "en": "escalated"},
    "status.upheld": {"zh": "成立", "en": "upheld"},
    "status.rejected": {"zh": "不成立", "en": "rejected"},
    "status.pending": {"zh": "审核中", "en": "pending"},
    "status.granted": {"zh": "已准予", "en": "granted"},
    "status.refused": {"zh": "不予受理", "en": "refused"},
    "status.refused_after_review": {"zh": "审核未通过", "en": "refused after review"},
}


@dataclass(frozen=True, slots=True)
class AuditReference:
    """The audit log as it stood when the report was made: its signed head, and the entry logging this read."""

    checkpoint: Checkpoint
    read_seq: int | None = None


def word(key: str, lang: Lang) -> str:
    """One of the report's words in the report's language."""
    return WORDS[key][lang]


def content_digest(file: Mapping[str, Any]) -> str:
    """SHA-256 of the file as canonical JSON, so a reader holding the same file can recompute it."""
    text = json.dumps(file, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _Report(FPDF):
    """A4 pages with the registry's running footer."""

    def __init__(self, lang: Lang, subject_key: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.lang: Lang = lang
        self.subject_key = subject_key
        #: The style headings use: "B" when the font has a bold face, else the regular face.
        self.strong = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, size=8)
        self.set_text_color(*MUTED)
        text = f"xinyong · {word('title', self.lang)} · {self.subject_key} · " + word("page", self.lang).format(
            n=self.page_no()
        )
        self.cell(0, 6, text, align="C")


def render_credit_report(
    file: Mapping[str, Any],
    catalog: Catalog,
    reference: AuditReference,
    *,
    generated_at: datetime,
    lang: Lang = "zh",
    font: CjkFont | None = None,
) -> bytes:
    """The PDF of a subject's file (as `due_process.subject_files.read_file` gives it) and its audit reference."""
    cjk = font or find_cjk_font()
    subject = file["subject"]
    pdf = _Report(lang, str(subject["key"]))
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_font(FAMILY, "", str(cjk.path), collection_font_number=cjk.index)
    # Reading a CJK font costs a quarter of a second; without a bold face, headings use the regular one.
    if cjk.bold is not None and cjk.bold.is_file():
        pdf.add_font(FAMILY, "B", str(cjk.bold), collection_font_number=cjk.index)
        pdf.strong = "B"
    pdf.set_title(f"{word('title', lang)} {subject['name']}")
    pdf.set_author("xinyong")
    pdf.set_creator("xinyong")
    pdf.set_creation_date(generated_at)
    pdf.add_page()
    _title(pdf, file, lang, generated_at)
    _identity(pdf, file, lang)
    _listings(pdf, file, catalog, lang)
    _measures(pdf, file, lang)
    _records(pdf, file, catalog, lang)
    if "rating" in file:
        _rating(pdf, file["rating"], lang)
    if "objections" in file or "repairs" in file:
        _due_process(pdf, file, lang)
    _audit(pdf, file, reference, lang, generated_at)
    return bytes(pdf.output())


def _title(pdf: _Report, file: Mapping[str, Any], lang: Lang, generated_at: datetime) -> None:
    pdf.set_text_color(*INK)
    pdf.set_font(FAMILY, pdf.strong, 20)
    pdf.cell(0, 11, word("title", lang), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, size=10)
    pdf.set_text_color(*MUTED)
    view = word(f"view.{file.get('view', 'public')}", lang)
    pdf.cell(0, 6, f"{view} · {word('generated', lang)} {_instant(generated_at)}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(*RULE)
    pdf.line(MARGIN_MM, pdf.get_y() + 2, pdf.w - MARGIN_MM, pdf.get_y() + 2)
    pdf.ln(5)


def _heading(pdf: _Report, key: str) -> None:
    pdf.ln(3)
    pdf.set_text_color(*INK)
    pdf.set_font(FAMILY, pdf.strong, 13)
    pdf.cell(0, 8, word(key, pdf.lang), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, size=9)
    pdf.set_text_color(0, 0, 0)


def _none(pdf: _Report) -> None:
    pdf.set_text_color(*MUTED)
    pdf.cell(0, 6, word("none", pdf.lang), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)


def _table(pdf: _Report, header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]) -> None:
    if not rows:
        _none(pdf)
        return
    style = FontFace(emphasis="BOLD" if pdf.strong else None, fill_color=HEADING_FILL, color=INK)
    with pdf.table(
        col_widths=tuple(widths),
        headings_style=style,
        line_height=5,
        text_align="LEFT",
        wrapmode=WrapMode.CHAR,
        padding=1.2,
        borders_layout="HORIZONTAL_LINES",
    ) as table:
        for cells in (header, *rows):
            row = table.row()
            for text in cells:
                row.cell(text)


def _identity(pdf: _Report, file: Mapping[str, Any], lang: Lang) -> None:
    subject = file["subject"]
    _heading(pdf, "identity")
    rows = [
        (word("name", lang), str(subject["name"])),
        (word("kind", lang), word(f"kind.{subject['kind']}", lang)),
        (word("identifier", lang), str(subject.get("id") or "—")),
        (word("key", lang), str(subject["key"])),
        (word("as_of", lang), _day(file.get("as_of"))),
    ]
    for label, value in rows:
        pdf.set_text_color(*MUTED)
        pdf.cell(38, 6, label)
        pdf.set_text_color(0, 0, 0)
        pdf.multi_cell(0, 6, value, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _listings(pdf: _Report, file: Mapping[str, Any], catalog: Catalog, lang: Lang) -> None:
    _heading(pdf, "listings")
    rows = [
        (
            _label(item, lang) + (word("contested", lang) if item.get("contested") else ""),
            str(item.get("decision_no") or "—"),
            _agency(catalog, str(item.get("agency")), lang),
            _day(item.get("start")),
            _day(item.get("end")) if item.get("end") else word("open_ended", lang),
            _code("state", item.get("state"), lang),
        )
        for item in file.get("listings", ())
    ]
    header = [word(k, lang) for k in ("list", "decision_no", "agency", "from", "until", "state")]
    _table(pdf, header, rows, (34, 38, 44, 22, 22, 20))


def _measures(pdf: _Report, file: Mapping[str, Any], lang: Lang) -> None:
    _heading(pdf, "measures")
    rows = []
    for item in file.get("measures", ()):
        via = item.get("via")
        rows.append(
            (
                _label(item, lang),
                _code("effect", item.get("effect"), lang),
                str(item.get("list") or ""),
                _day(item.get("valid_to")) if item.get("valid_to") else word("open_ended", lang),
                f"{via.get('role')} · {via.get('of')}" if isinstance(via, Mapping) else "—",
            )
        )
    header = [word(k, lang) for k in ("measure", "effect", "list", "until", "via")]
    _table(pdf, header, rows, (58, 18, 40, 24, 40))


def _records(pdf: _Report, file: Mapping[str, Any], catalog: Catalog, lang: Lang) -> None:
    _heading(pdf, "records")
    rows = [
        (
            _label(item, lang) + (word("contested", lang) if item.get("contested") else ""),
            _agency(catalog, str(item.get("agency")), lang),
            _day(item.get("decided_on")),
            str(item.get("decision_no") or "—"),
            _basis(catalog, item.get("legal_basis"), lang),
            _code("status", item.get("status"), lang),
        )
        for item in file.get("records", ())
    ]
    header = [word(k, lang) for k in ("type", "agency", "decided_on", "decision_no", "legal_basis", "status")]
    _table(pdf, header, rows, (30, 36, 20, 36, 42, 16))


def _rating(pdf: _Report, rating: Mapping[str, Any], lang: Lang) -> None:
    _heading(pdf, "rating")
    label = rating.get(f"grade_label_{lang}") or ""
    pdf.set_font(FAMILY, pdf.strong, 12)
    pdf.cell(0, 7, f"{word('grade', lang)}: {rating.get('grade')} {label}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, size=9)
    model = f"{word('model', lang)}: {rating.get('model')} {rating.get('version')} · {word('as_of', lang)} "
    pdf.cell(0, 6, model + _day(rating.get("as_of")), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    reasons = [str(r.get(f"label_{lang}") or r.get("code") or "") for r in rating.get("reasons", ())]
    if reasons:
        pdf.cell(0, 6, word("reasons", lang) + ":", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for n, text in enumerate(reasons, start=1):
            pdf.multi_cell(0, 5, f"  {n}. {text}", wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _due_process(pdf: _Report, file: Mapping[str, Any], lang: Lang) -> None:
    _heading(pdf, "due_process")
    rows = [
        (
            word("objection", lang),
            str(o.get("objection")),
            str(o.get("record")),
            _code("status", o.get("status"), lang),
            _day(o.get("deadline")),
        )
        for o in file.get("objections", ())
    ]
    rows += [
        (
            word("repair", lang),
            str(r.get("application")),
            str(r.get("record")),
            _code("status", r.get("status"), lang),
            _day(r.get("deadline")),
        )
        for r in file.get("repairs", ())
    ]
    header = [
        word("type", lang),
        word("key", lang),
        word("records", lang),
        word("status", lang),
        word("deadline", lang),
    ]
    _table(pdf, header, rows, (30, 28, 68, 28, 26))


def _audit(
    pdf: _Report, file: Mapping[str, Any], reference: AuditReference, lang: Lang, generated_at: datetime
) -> None:
    _heading(pdf, "audit")
    cp = reference.checkpoint
    rows = [
        (word("generated", lang), _instant(generated_at)),
        (word("log_size", lang), str(cp.size)),
        (word("root", lang), cp.root_hex),
        (word("signed_at", lang), _instant(cp.at)),
        (word("key_id", lang), cp.key_id),
    ]
    if reference.read_seq is not None:
        rows.append((word("read_entry", lang), str(reference.read_seq)))
    rows.append((word("digest", lang), content_digest(file)))
    for label, value in rows:
        pdf.set_text_color(*MUTED)
        pdf.cell(62, 6, label)
        pdf.set_text_color(0, 0, 0)
        pdf.multi_cell(0, 6, value, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_text_color(*MUTED)
    pdf.set_font(FAMILY, size=8)
    text = word("verify", lang).format(size=cp.size)
    pdf.multi_cell(0, 4.5, text, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _code(kind: str, value: object, lang: Lang) -> str:
    """A status, state or effect code in words, or the code itself when the report has no words for it."""
    words = WORDS.get(f"{kind}.{value}")
    return words[lang] if words is not None else str(value or "")


def _label(item: Mapping[str, Any], lang: Lang) -> str:
    return str(item.get(f"label_{lang}") or item.get("label_zh") or item.get("list") or item.get("record_type") or "")


def _agency(catalog: Catalog, code: str, lang: Lang) -> str:
    agency = catalog.agencies.get(code)
    if agency is None:
        return code
    return agency.name_zh if lang == "zh" else agency.name_en


def _basis(catalog: Catalog, code: object, lang: Lang) -> str:
    if not isinstance(code, str):
        return "—"
    basis = catalog.legal_bases.get(code)
    if basis is None:
        return code
    title = basis.title_zh if lang == "zh" else basis.title_en
    article = (basis.article_zh if lang == "zh" and basis.article_zh else basis.article) or ""
    return f"{title} {article}".strip()


def _day(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(CST).date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value) if value else "—"


def _instant(value: datetime) -> str:
    return value.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S CST")
