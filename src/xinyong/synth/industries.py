"""Organisation types and industries of the province, with their shares, risk effects and name words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class OrgType:
    """A kind of registered organisation: the USCC authority and type characters and how common it is."""

    code: str  # USCC positions 1-2
    label: str
    share: float
    risk: float  # logit effect on the latent risk


# Enterprises dominate the register, individual businesses follow; cooperatives and civil-affairs
# organisations are a few percent each.
ORG_TYPES: Final[tuple[OrgType, ...]] = (
    OrgType("91", "enterprise", 0.70, 0.0),
    OrgType("92", "individual_business", 0.22, -0.3),
    OrgType("93", "farmers_cooperative", 0.03, 0.2),
    OrgType("51", "social_organisation", 0.025, -0.8),
    OrgType("52", "private_non_enterprise", 0.025, -0.6),
)
ENTERPRISE, INDIVIDUAL, COOPERATIVE, SOCIAL, NON_ENTERPRISE = range(5)


@dataclass(frozen=True)
class Industry:
    """A GB/T 4754-2017 section, how it is regulated and how its companies name themselves."""

    code: str
    name: str
    weight: float  # share among enterprises
    risk: float  # logit effect on the latent risk
    licence: float  # multiplier of the licence rate (food, medical, school and building permits)
    polluting: bool  # the environment bureau regulates it
    bids: bool  # sells to government, so procurement rules reach it
    words: tuple[str, ...]


INDUSTRIES: Final[tuple[Industry, ...]] = (
    Industry("A", "农林牧渔业", 1.5, 0.0, 1.0, True, False, ("农业科技", "生态农业", "园林绿化")),
    Industry("C", "制造业", 7.0, 0.1, 1.5, True, True, ("机械制造", "电子设备", "印刷", "食品加工", "服装")),
    Industry("E", "建筑业", 6.0, 0.5, 2.0, True, True, ("建筑工程", "建设", "装饰工程", "市政工程")),
    Industry("F", "批发和零售业", 22.0, 0.2, 1.0, False, True, ("商贸", "贸易", "商业", "食品")),
    Industry("G", "交通运输、仓储和邮政业", 4.0, 0.2, 1.5, True, False, ("物流", "运输", "货运代理")),
    Industry("H", "住宿和餐饮业", 5.0, 0.3, 3.0, True, False, ("餐饮管理", "酒店管理", "餐饮")),
    Industry(
        "I",
        "信息传输、软件和信息技术服务业",
        15.0,
        -0.2,
        0.7,
        False,
        True,
        ("科技", "网络科技", "信息技术", "软件"),
    ),
    Industry("J", "金融业", 2.0, 0.3, 1.0, False, False, ("投资管理", "资产管理", "融资担保")),
    Industry("K", "房地产业", 3.0, 0.4, 1.5, False, False, ("房地产开发", "置业", "物业管理")),
    Industry("L", "租赁和商务服务业", 12.0, 0.3, 0.5, False, True, ("商务咨询", "企业管理", "广告")),
    Industry(
        "M",
        "科学研究和技术服务业",
        12.0,
        -0.3,
        0.7,
        False,
        True,
        ("技术开发", "生物科技", "工程设计", "检测技术"),
    ),
    Industry("O", "居民服务、修理和其他服务业", 4.0, 0.1, 1.0, False, False, ("家政服务", "汽车维修", "美容美发")),
    Industry("P", "教育", 3.0, 0.0, 2.0, False, False, ("教育科技", "培训")),
    Industry("Q", "卫生和社会工作", 1.5, 0.0, 2.5, False, False, ("医疗器械", "健康管理", "医院管理")),
    Industry("R", "文化、体育和娱乐业", 3.0, 0.0, 1.0, False, True, ("文化传媒", "影视", "体育文化")),
    Industry("S", "公共管理、社会保障和社会组织", 0.0, 0.0, 0.0, False, False, ("协会",)),
)
INDUSTRY_INDEX: Final = {ind.code: i for i, ind in enumerate(INDUSTRIES)}

# Individual businesses keep shops and stalls: trade, catering, household services and transport.
SHOP_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "F": ("便利店", "水果店", "五金店", "服装店", "烟酒店"),
    "H": ("小吃店", "餐馆", "面馆", "早点铺"),
    "O": ("美发店", "家电维修部", "洗衣店", "家政服务部"),
    "G": ("货运部", "搬家服务部"),
}
COOP_WORDS: Final = ("蔬菜", "果品", "养殖", "农机", "中药材", "食用菌")
SOCIAL_WORDS: Final = ("协会", "商会", "促进会", "研究会", "联合会")
NON_ENTERPRISE_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "P": ("培训学校", "职业技能培训学校"),
    "Q": ("康复中心", "养老院"),
    "O": ("社会工作事务所", "社区服务中心"),
}

# Ownership of enterprises (share); individual businesses are private, cooperatives collective and
# civil-affairs organisations non-profit.
OWNERSHIPS: Final[tuple[tuple[str, float, float], ...]] = (
    ("private", 0.90, 0.0),
    ("state", 0.04, -0.6),
    ("foreign", 0.04, -0.4),
    ("collective", 0.02, 0.0),
    ("nonprofit", 0.0, -0.5),
)
PRIVATE, STATE, FOREIGN, COLLECTIVE, NONPROFIT = range(5)
