"""The portal's small parts on their own: message catalogs, charts, safe redirects, and the oversight
arithmetic (checks counted from screening's audit entries, missed deadlines, months)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from xinyong.portal import catalogs, i18n
from xinyong.portal.charts import Series, bar_chart, column_chart, empty
from xinyong.portal.oversight import _checked, _month_labels, objection_late, repair_late
from xinyong.portal.pages import local_path
from xinyong.store.oversight import CheckCount, ObjectionFact, RepairFact


def _messages() -> set[str]:
    return {str(m.id[0] if isinstance(m.id, tuple) else m.id) for m in catalogs.extracted() if m.id}


def test_every_message_has_a_chinese_translation() -> None:
    messages = _messages()
    assert len(messages) > 200
    zh = i18n.translations("zh")
    untranslated = sorted(m for m in messages if zh.gettext(m) == m)
    assert untranslated == [], "run `python -m xinyong.portal.catalogs` and translate what it lists"
    assert zh.gettext("Search") == "查询"
    assert i18n.translations("en").gettext("Search") == "Search"


def test_plural_messages_work_in_both_languages() -> None:
    assert i18n.translations("zh").ngettext("%(num)d subject found", "%(num)d subjects found", 3) % {"num": 3} == (
        "找到 3 个主体"
    )
    en = i18n.translations("en")
    assert en.ngettext("%(num)d subject found", "%(num)d subjects found", 1) % {"num": 1} == "1 subject found"


@pytest.mark.parametrize(("raw", "lang"), [("en", "en"), ("EN-us", "en"), ("zh_CN", "zh"), ("fr", None), (None, None)])
def test_parse_lang(raw: str | None, lang: str | None) -> None:
    assert i18n.parse_lang(raw) == lang


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/me", "/me"),
        ("/operator/review?x=1", "/operator/review?x=1"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("me", "/"),
        ("/a\nb", "/"),
        (None, "/"),
    ],
)
def test_local_path_never_leaves_the_site(raw: str | None, expected: str) -> None:
    assert local_path(raw) == expected


def test_charts_are_accessible_svg_with_escaped_text() -> None:
    chart = column_chart("检查 <b>", "desc & more", ["2025-01", "2025-02"], [Series("a<b", [3, 7])])
    assert chart.startswith("<svg")
    assert 'role="img"' in chart
    assert "<title id=" in chart
    assert "检查 &lt;b&gt;" in chart
    assert "desc &amp; more" in chart
    assert "<b>" not in chart
    bars = bar_chart("t", "d", ["很长" * 20], [Series("x", [1])])
    assert "…" in bars
    assert empty([Series("x", [0, 0])])
    assert not empty([Series("x", [0, 1])])


def test_checks_are_counted_from_per_request_and_per_subject_entries() -> None:
    single = CheckCount("p", "platform", "2025-05", "check", entries=2, ids=0, on_file=0)
    request = CheckCount("p", "platform", "2025-05", "check.request", entries=1, ids=5, on_file=1)
    # Two entries for subjects on file (one a single check, one from the request), and four more IDs checked
    # in the request that were not on file.
    assert _checked(single) + _checked(request) == 6


def test_deadlines_are_missed_when_escalated_decided_late_or_still_open_past_them() -> None:
    filed = datetime(2025, 5, 1, 2, tzinfo=UTC)
    deadline = date(2025, 5, 16)

    def objection(**kw: object) -> ObjectionFact:
        values: dict[str, object] = {
            "agency": "court.110105",
            "filed_at": filed,
            "deadline": deadline,
            "status": "open",
            "outcome": None,
            "escalated_at": None,
            "decided_at": None,
        }
        values.update(kw)
        return ObjectionFact(**values)  # type: ignore[arg-type]

    today = date(2025, 6, 1)
    assert objection_late(objection(), today)
    assert not objection_late(objection(), date(2025, 5, 16))
    assert objection_late(objection(status="escalated", escalated_at=filed), date(2025, 5, 2))
    # Decided at 16:30 UTC on the 16th is 00:30 on the 17th in China Standard Time: late; 15:30 UTC is not.
    assert objection_late(objection(status="upheld", decided_at=datetime(2025, 5, 16, 16, 30, tzinfo=UTC)), today)
    assert not objection_late(objection(status="upheld", decided_at=datetime(2025, 5, 16, 15, 30, tzinfo=UTC)), today)
    pending = RepairFact("samr.110000", filed, "pending", date(2025, 5, 6), None)
    assert repair_late(pending, today)
    assert not repair_late(RepairFact("samr.110000", filed, "refused", None, None), today)


def test_months_run_back_across_the_new_year() -> None:
    labels = _month_labels(date(2025, 2, 14))
    assert labels[0] == "2024-03"
    assert labels[-2:] == ["2025-01", "2025-02"]
    assert len(labels) == 12
