"""How each agency writes its feed: file format, encoding, column names, value words and date style.

The shapes are those of docs/design.md §Agency feeds; the catalog's `sources` map them back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Final, Literal

from xinyong.catalog.fields import CANONICAL_FIELDS
from xinyong.synth.records import Row

Format = Literal["csv", "jsonl", "parquet", "xlsx"]
DATE_FIELDS: Final = frozenset({"decided_on", "valid_from", "valid_to", "birth_date"})
Cell = str | None


@dataclass(frozen=True)
class FeedShape:
    """One agency's feed: its columns in order (header, canonical field), its value words and date style."""

    agency: str
    format: Format
    encoding: str | None
    columns: tuple[tuple[str, str], ...]
    date_style: Callable[[date], str]
    bad_dates: Callable[[date], tuple[str, ...]]
    unknown_types: tuple[str, ...]
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    numeric: frozenset[str] = frozenset()  # canonical fields written as numbers, where the format has them

    @property
    def filename(self) -> str:
        """`<agency code>.<format>`."""
        return f"{self.agency}.{self.format}"

    @property
    def headers(self) -> list[str]:
        """Column headers in file order."""
        return [header for header, _ in self.columns]

    def cells(self, row: Row) -> list[Cell]:
        """The row in this agency's words: mapped values, dates in its style, None for blank."""
        out: list[Cell] = []
        for _, name in self.columns:
            value = row[name]
            if value is None or value == "":
                out.append(None)
            elif isinstance(value, date):
                out.append(self.date_style(value))
            else:
                text = str(value)
                out.append(self.values.get(name, {}).get(text, text))
        return out


def _zh(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _slash(d: date) -> str:
    return f"{d.year}/{d.month}/{d.day}"


def _compact(d: date) -> str:
    return f"{d:%Y%m%d}"


def _iso(d: date) -> str:
    return d.isoformat()


# Unreadable dates in each style: 30 February, a thirteenth month, and the clerk's placeholder.
def _bad_zh(d: date) -> tuple[str, ...]:
    return (f"{d.year}年2月30日", f"{d.year}年13月{d.day}日", "待定")


def _bad_slash(d: date) -> tuple[str, ...]:
    return (f"{d.year}/2/30", f"{d.year}/13/{d.day}", "待定")


def _bad_compact(d: date) -> tuple[str, ...]:
    return (f"{d.year}0230", f"{d.year}13{d.day:02d}", "00000000")


def _bad_iso(d: date) -> tuple[str, ...]:
    return (f"{d.year}-02-30", f"{d.year}-13-{d.day:02d}", "unknown")


_STATUS_ZH: Final = {"in_force": "生效", "fulfilled": "已履行", "revoked": "已撤销"}

COURT: Final = FeedShape(
    agency="court.110105",
    format="csv",
    encoding="gb18030",
    columns=(
        ("案号", "decision_no"),
        ("记录编号", "record_id"),
        ("类型", "record_type"),
        ("主体类型", "subject_kind"),
        ("被执行人", "subject_name"),
        ("证件号码", "subject_id"),
        ("决定日期", "decided_on"),
        ("截止日期", "valid_to"),
        ("状态", "status"),
        ("执行标的", "amount"),
        ("法定代表人", "legal_rep_name"),
        ("法定代表人证件号", "legal_rep_id"),
        ("住所", "address"),
        ("出生日期", "birth_date"),
        ("事由", "summary"),
    ),
    values={
        "record_type": {"court.defaulter": "失信被执行人", "court.consumption_restriction": "限制消费"},
        "subject_kind": {"org": "单位", "person": "个人"},
        "status": _STATUS_ZH,
    },
    date_style=_zh,
    bad_dates=_bad_zh,
    unknown_types=("终结本次执行", "财产保全"),
)

SAMR: Final = FeedShape(
    agency="samr.110000",
    format="xlsx",
    encoding=None,
    columns=(
        ("记录号", "record_id"),
        ("信息类别", "record_type"),
        ("企业名称", "subject_name"),
        ("统一社会信用代码", "subject_id"),
        ("决定日期", "decided_on"),
        ("有效期至", "valid_to"),
        ("决定书文号", "decision_no"),
        ("严重程度", "severity"),
        ("状态", "status"),
        ("罚没金额", "amount"),
        ("法定代表人", "legal_rep_name"),
        ("法定代表人证件号", "legal_rep_id"),
        ("住所", "address"),
        ("联系电话", "phone"),
        ("检查结果", "result"),
        ("内容", "summary"),
    ),
    values={
        "record_type": {
            "admin.penalty": "行政处罚",
            "admin.license": "行政许可",
            "market.abnormal_operations": "经营异常",
            "market.serious_illegal": "严重违法失信",
            "inspection.result": "抽查结果",
        },
        "severity": {"minor": "轻微", "general": "一般", "serious": "严重"},
        "status": _STATUS_ZH,
        "result": {"compliant": "合格", "non_compliant": "不合格", "not_located": "未发现"},
    },
    date_style=_slash,
    bad_dates=_bad_slash,
    unknown_types=("荣誉表彰", "其他"),
    numeric=frozenset({"amount"}),
)

TAX: Final = FeedShape(
    agency="tax.110000",
    format="jsonl",
    encoding="utf-8",
    columns=(
        ("rec_no", "record_id"),
        ("category", "record_type"),
        ("taxpayer_type", "subject_kind"),
        ("taxpayer_name", "subject_name"),
        ("taxpayer_id", "subject_id"),
        ("decision_date", "decided_on"),
        ("expires", "valid_to"),
        ("doc_no", "decision_no"),
        ("level", "grade"),
        ("severity", "severity"),
        ("state", "status"),
        ("amount_cny", "amount"),
        ("legal_rep", "legal_rep_name"),
        ("legal_rep_id", "legal_rep_id"),
        ("addr", "address"),
        ("tel", "phone"),
        ("note", "summary"),
    ),
    values={
        "record_type": {
            "tax.rating": "credit_rating",
            "tax.major_violation": "major_case",
            "admin.penalty": "penalty",
        },
        "subject_kind": {"org": "enterprise", "person": "individual"},
    },
    date_style=_compact,
    bad_dates=_bad_compact,
    unknown_types=("invoice_check", "refund_review"),
    numeric=frozenset({"amount"}),
)

_CANONICAL: Final = tuple((name, name) for name in CANONICAL_FIELDS)

MEE: Final = FeedShape(
    agency="mee.110000",
    format="csv",
    encoding="utf-8-sig",
    columns=_CANONICAL,
    date_style=_iso,
    bad_dates=_bad_iso,
    unknown_types=("env.credit_evaluation",),
)

PROCUREMENT: Final = FeedShape(
    agency="procurement.110000",
    format="parquet",
    encoding=None,
    columns=_CANONICAL,
    date_style=_iso,
    bad_dates=_bad_iso,
    unknown_types=("procurement.complaint",),
)

# In the order events.AGENCIES numbers them, which is also the order truth/feeds.json lists them.
SHAPES: Final[tuple[FeedShape, ...]] = (COURT, SAMR, TAX, MEE, PROCUREMENT)
