"""Turn a simulated event into the canonical row an agency would write: ids, document numbers, wording."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any, Final

from xinyong.synth.events import AGENCIES, COURT, MEE, PROCUREMENT, SAMR, TAX, Event, World
from xinyong.synth.geography import DISTRICTS

Row = dict[str, Any]  # canonical field → str, date (rendered in the agency's style) or None

# Record-number prefixes: each agency numbers its own records per year.
_PREFIX: Final = ("FY0105", "SJ", "SW", "HB", "CG")

# Document-number templates by (record type, agency); {a} is the district's one-character abbreviation.
_DOC: Final[dict[tuple[str, int], str]] = {
    ("admin.penalty", SAMR): "京{a}市监罚〔{y}〕{n}号",
    ("admin.license", SAMR): "京{a}市监许〔{y}〕{n}号",
    ("market.abnormal_operations", SAMR): "京{a}市监异〔{y}〕{n}号",
    ("market.serious_illegal", SAMR): "京市监严〔{y}〕{n}号",
    ("inspection.result", SAMR): "京{a}市监检〔{y}〕{n}号",
    ("admin.penalty", TAX): "京{a}税罚〔{y}〕{n}号",
    ("tax.major_violation", TAX): "京税稽罚〔{y}〕{n}号",
    ("admin.penalty", MEE): "京环{a}罚字〔{y}〕{n}号",
    ("admin.license", MEE): "京环许〔{y}〕{n}号",
    ("inspection.result", MEE): "京环{a}检〔{y}〕{n}号",
    ("procurement.debarment", PROCUREMENT): "京财采处〔{y}〕{n}号",
    ("inspection.result", PROCUREMENT): "京财采检〔{y}〕{n}号",
    ("admin.penalty", PROCUREMENT): "京财采罚〔{y}〕{n}号",
}

# What each kind of record says, by (record type, agency, severity); "" matches any severity.
_SUMMARY: Final[dict[tuple[str, int, str], tuple[str, ...]]] = {
    ("court.consumption_restriction", COURT, ""): (
        "未按执行通知书指定的期间履行生效法律文书确定的给付义务",
        "被执行人未履行金钱给付义务，依法限制高消费",
    ),
    ("court.defaulter", COURT, ""): (
        "有履行能力而拒不履行生效法律文书确定义务",
        "违反财产报告制度",
        "违反限制消费令",
        "无正当理由拒不履行执行和解协议",
    ),
    ("admin.penalty", SAMR, "minor"): ("未按规定公示年度报告", "未按规定亮照经营", "价格标示不规范"),
    ("admin.penalty", SAMR, "general"): (
        "销售不符合食品安全标准的食品",
        "虚假宣传",
        "产品质量不合格",
        "无照经营",
    ),
    ("admin.penalty", SAMR, "serious"): (
        "生产销售伪劣产品",
        "严重虚假宣传造成恶劣影响",
        "销售过期食品造成食品安全事故",
    ),
    ("admin.penalty", MEE, "minor"): ("未按规定公开环境信息", "环境管理台账记录不规范"),
    ("admin.penalty", MEE, "general"): ("超标排放大气污染物", "未按规定设置排污口"),
    ("admin.penalty", MEE, "serious"): ("非法倾倒危险废物", "通过暗管逃避监管排放水污染物"),
    ("admin.penalty", TAX, ""): ("逾期未申报", "未按规定开具发票", "未按规定保管发票", "少缴税款"),
    ("admin.penalty", PROCUREMENT, ""): ("未按规定签订政府采购合同", "拒绝履行政府采购合同"),
    ("procurement.debarment", PROCUREMENT, ""): (
        "提供虚假材料谋取中标、成交",
        "与其他供应商恶意串通",
        "向采购人行贿",
    ),
    ("admin.license", SAMR, ""): ("食品经营许可", "工业产品生产许可", "医疗器械经营许可", "特种设备使用登记"),
    ("admin.license", MEE, ""): ("排污许可证核发", "建设项目环境影响评价批复"),
    ("market.abnormal_operations", SAMR, ""): (
        "未按规定报送年度报告",
        "通过登记的住所或者经营场所无法联系",
        "未按规定公示即时信息",
    ),
    ("market.serious_illegal", SAMR, ""): (
        "被列入经营异常名录届满3年仍未履行相关义务",
        "提交虚假材料或者采取其他欺诈手段隐瞒重要事实取得公司登记",
        "因严重违法行为被处以较重行政处罚",
    ),
    ("inspection.result", SAMR, ""): ("年度报告公示信息抽查", "登记事项检查", "产品质量监督抽查"),
    ("inspection.result", MEE, ""): ("污染源排放检查", "危险废物规范化管理检查"),
    ("inspection.result", PROCUREMENT, ""): ("政府采购合同履约检查", "供应商资格条件核查"),
    ("tax.major_violation", TAX, ""): ("偷税", "逃避追缴欠税", "虚开增值税专用发票", "骗取出口退税"),
}


class RecordFactory:
    """Numbers records and documents in the order agencies decide them, and fills in what each row says."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._record_no: defaultdict[tuple[int, int], int] = defaultdict(int)
        self._doc_no: defaultdict[tuple[str, str, int], int] = defaultdict(int)

    def row(self, event: Event) -> tuple[str, Row, str]:
        """The agency code, the canonical row, and the true identifier of the record's subject."""
        people, companies = self.world.people, self.world.companies
        decided = date.fromordinal(event.day)
        year = decided.year
        self._record_no[(event.agency, year)] += 1
        i = event.subject
        if event.person:
            true_id, name = people.ids[i], people.names[i]
            district = DISTRICTS[int(people.home[i])]
            rep_name = rep_id = None
            address, phone = people.addresses[i], people.phones[i]
            birth: date | None = date.fromordinal(int(people.birth[i]))
        else:
            true_id, name = companies.ids[i], companies.names[i]
            district = DISTRICTS[int(companies.district[i])]
            rep = int(companies.rep[i])
            rep_name, rep_id = people.names[rep], people.ids[rep]
            address, phone = companies.addresses[i], companies.phones[i]
            birth = None
        row: Row = {
            "record_id": f"{_PREFIX[event.agency]}{year}{self._record_no[(event.agency, year)]:07d}",
            "record_type": event.rtype,
            "subject_kind": "person" if event.person else "org",
            "subject_name": name,
            "subject_id": true_id,
            "decided_on": decided,
            "valid_from": None,
            "valid_to": None,
            "decision_no": self._decision_no(event, year, district.abbr),
            "legal_basis": None,
            "severity": event.severity or None,
            "status": "in_force",
            "amount": f"{event.amount:.2f}" if event.amount else None,
            "legal_rep_name": rep_name,
            "legal_rep_id": rep_id,
            "address": address,
            "phone": phone,
            "birth_date": birth,
            "summary": self._summary(event, year),
            "grade": event.grade or None,
            "result": event.result or None,
        }
        return AGENCIES[event.agency], row, true_id

    def _decision_no(self, event: Event, year: int, abbr: str) -> str | None:
        if event.agency == COURT:
            return f"({year})京0105执{event.case}号"
        template = _DOC.get((event.rtype, event.agency))
        if template is None:
            return None
        key = (template, abbr if "{a}" in template else "", year)
        self._doc_no[key] += 1
        return template.format(a=abbr, y=year, n=self._doc_no[key])

    def _summary(self, event: Event, year: int) -> str:
        if event.rtype == "tax.rating":
            return f"{year - 1}年度纳税信用评价结果"
        texts = _SUMMARY.get((event.rtype, event.agency, event.severity)) or _SUMMARY[(event.rtype, event.agency, "")]
        return texts[event.topic % len(texts)]
