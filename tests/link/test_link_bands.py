"""The three bands on a tiny registry (too small to estimate, so the priors decide): variants that
normalisation reconciles link by model, a doubtful one waits for review, strangers get new subjects."""

from __future__ import annotations

import pytest
from link_samples import CLOCK, Registry

from xinyong.catalog import default_catalog
from xinyong.errors import ConfigError
from xinyong.link import link_pending
from xinyong.settings import Settings
from xinyong.store import linkage, subjects

pytestmark = pytest.mark.integration
CAT = default_catalog()


def _province(registry: Registry) -> dict[str, int]:
    star, _ = registry.org(
        "北京星辰科技有限公司", address="北京市朝阳区建国路88号", phone="010-65001234", legal_rep_name="王建国"
    )
    moon, _ = registry.org("北京海淀月光贸易有限公司", address="北京市海淀区中关村大街1号", phone="13900001111")
    sky, _ = registry.org("天津蓝天物流有限公司", address="天津市和平区南京路5号", phone="022-23456789")
    return {"star": star, "moon": moon, "sky": sky}


def test_normalised_variants_link_by_model(registry: Registry) -> None:
    known = _province(registry)
    suffix = registry.pending("北京星辰科技有限责任公司", address="北京市朝阳区建国路88号", phone="01065001234")
    brackets = registry.pending("（北京）海淀月光贸易有限公司", address="北京市海淀区中关村大街1号")
    traditional = registry.pending("天津藍天物流有限公司", phone="022-2345 6789")
    summary = link_pending(registry.store, CAT, CLOCK, Settings())
    assert (summary.linked_by_model, summary.sent_to_review, summary.new_subject) == (3, 0, 0)
    for pk, subject in ((suffix, "star"), (brackets, "moon"), (traditional, "sky")):
        row = registry.record(pk)
        assert (row.link, row.subject_pk, row.link_run) == ("model", known[subject], summary.run)
        assert row.link_probability is not None
        assert row.link_probability >= 0.95


def test_three_bands_and_what_each_leaves_behind(registry: Registry) -> None:
    known = _province(registry)
    sure = registry.pending("北京星辰科技有限责任公司", address="北京市朝阳区建国路88号", phone="01065001234")
    doubtful = registry.pending("北京星辰科枝有限公司", address="北京市朝阳区光华路1号")  # one character off
    stranger = registry.pending("上海完全不同实业有限公司", address="上海市浦东新区世纪大道100号")
    summary = link_pending(registry.store, CAT, CLOCK, Settings())
    assert summary.as_dict()["by_kind"]["org"] == {
        "id": 0,
        "model": 1,
        "review": 1,
        "new": 1,
        "subjects_created": 1,
    }
    assert registry.record(sure).link == "model"

    waiting = registry.record(doubtful)
    assert waiting.link == "review"
    assert waiting.subject_pk is None
    assert waiting.link_probability is not None
    assert 0.5 <= waiting.link_probability < 0.95
    with registry.store.connect() as conn:
        (item,) = linkage.review_list(conn)
        assert (item.record_pk, item.subject_pk, item.source) == (doubtful, known["star"], "model")
        why = linkage.explanations_for(conn, doubtful)
        new_row = registry.record(stranger)
        created = subjects.get(conn, new_row.subject_pk or 0)
    assert why[0].levels["name"]["label"] == "core names alike (Jaro-Winkler >= 0.8)"
    assert why[0].levels["district"]["label"] == "same district"
    assert why[0].levels["street"]["label"] == "anything else"
    assert why[0].levels["phone"]["gamma"] == -1  # missing on the record's side
    assert new_row.link == "new"
    assert created is not None
    assert (created.name, created.id_value) == ("上海完全不同实业有限公司", None)


def test_thresholds_come_from_the_settings(registry: Registry) -> None:
    _province(registry)
    doubtful = registry.pending("北京星辰科枝有限公司", address="北京市朝阳区光华路1号")
    summary = link_pending(registry.store, CAT, CLOCK, Settings(link_upper=0.6, link_lower=0.5))
    assert summary.linked_by_model == 1
    assert registry.record(doubtful).link == "model"


def test_a_high_lower_threshold_sends_the_doubtful_to_a_new_subject(registry: Registry) -> None:
    _province(registry)
    doubtful = registry.pending("北京星辰科枝有限公司", address="北京市朝阳区光华路1号")
    link_pending(registry.store, CAT, CLOCK, Settings(link_upper=0.99, link_lower=0.9))
    assert registry.record(doubtful).link == "new"


def test_records_about_one_unknown_company_share_one_new_subject(registry: Registry) -> None:
    _province(registry)
    first = registry.pending("上海完全不同实业有限公司", address="上海市浦东新区世纪大道100号", phone="021-5555 0000")
    second = registry.pending("上海完全不同实业有限责任公司", address="上海市浦东新区世纪大道100号")
    other = registry.pending("广州另一家餐饮有限公司", address="广州市天河区体育西路1号")
    summary = link_pending(registry.store, CAT, CLOCK, Settings())
    assert (summary.new_subject, summary.subjects_created) == (3, 2)
    a, b, c = (registry.record(pk) for pk in (first, second, other))
    assert a.subject_pk == b.subject_pk != c.subject_pk
    with registry.store.connect() as conn:
        grouped = [e for e in linkage.explanations_for(conn, first) if e.other_record_pk is not None]
    assert [e.other_record_pk for e in grouped] == [second]


def test_a_valid_code_left_pending_links_by_id(registry: Registry) -> None:
    known = _province(registry)
    with registry.store.connect() as conn:
        code = subjects.get(conn, known["moon"])
    assert code is not None
    assert code.id_value is not None
    pk = registry.pending("月光贸易", subject_id=code.id_value, subject_id_raw=code.id_value)
    summary = link_pending(registry.store, CAT, CLOCK, Settings())
    assert summary.linked_by_id == 1
    row = registry.record(pk)
    assert (row.link, row.subject_pk, row.link_probability) == ("id", known["moon"], None)


def test_nothing_pending_writes_nothing(registry: Registry) -> None:
    _province(registry)
    summary = link_pending(registry.store, CAT, CLOCK, Settings())
    assert summary.run is None
    assert summary.pending == 0
    assert summary.totals == {"id": 3}
    with registry.store.connect() as conn:
        assert linkage.runs(conn) == []


def test_thresholds_out_of_order_are_a_configuration_error(registry: Registry) -> None:
    with pytest.raises(ConfigError, match="XINYONG_LINK_LOWER"):
        link_pending(registry.store, CAT, CLOCK, Settings(link_upper=0.5, link_lower=0.9))
