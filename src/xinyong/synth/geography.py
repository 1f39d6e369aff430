"""Beijing's sixteen districts and where migrants' resident IDs come from, with their drawing weights."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class District:
    """A Beijing district: GB/T 2260 code, name, the one-character abbreviation in document numbers."""

    code: str
    name: str
    abbr: str
    people: float  # resident population, 10,000s (2020 census, rounded)
    firms: float  # relative weight among registered market entities (a rough reading of district yearbooks)


DISTRICTS: Final[tuple[District, ...]] = (
    District("110101", "东城区", "东", 70.9, 4.0),
    District("110102", "西城区", "西", 110.6, 5.0),
    District("110105", "朝阳区", "朝", 345.2, 22.0),
    District("110106", "丰台区", "丰", 201.9, 8.0),
    District("110107", "石景山区", "石", 56.8, 2.5),
    District("110108", "海淀区", "海", 313.3, 17.0),
    District("110109", "门头沟区", "门", 39.3, 1.5),
    District("110111", "房山区", "房", 131.3, 4.0),
    District("110112", "通州区", "通", 184.0, 7.0),
    District("110113", "顺义区", "顺", 132.4, 6.0),
    District("110114", "昌平区", "昌", 226.9, 7.0),
    District("110115", "大兴区", "兴", 199.4, 7.0),
    District("110116", "怀柔区", "怀", 44.1, 3.0),
    District("110117", "平谷区", "平", 45.7, 2.0),
    District("110118", "密云区", "密", 52.8, 3.0),
    District("110119", "延庆区", "延", 34.6, 1.5),
)

# County-level divisions (GB/T 2260) that people born elsewhere carry in their resident ID, weighted
# towards the provinces that send most migrants to Beijing (Hebei, Henan, Shandong, the north-east).
ORIGINS: Final[tuple[tuple[str, float], ...]] = (
    ("130102", 6.0),  # 石家庄市长安区
    ("130104", 5.0),  # 石家庄市桥西区
    ("131002", 5.0),  # 廊坊市安次区
    ("130203", 3.0),  # 唐山市路北区
    ("120101", 3.0),  # 天津市和平区
    ("140105", 3.0),  # 太原市小店区
    ("370102", 4.0),  # 济南市历下区
    ("370202", 2.0),  # 青岛市市南区
    ("410105", 5.0),  # 郑州市金水区
    ("411302", 3.0),  # 南阳市宛城区
    ("420106", 2.0),  # 武汉市武昌区
    ("430102", 2.0),  # 长沙市芙蓉区
    ("340104", 2.0),  # 合肥市蜀山区
    ("320102", 1.5),  # 南京市玄武区
    ("230102", 3.0),  # 哈尔滨市道里区
    ("220102", 2.5),  # 长春市南关区
    ("210102", 2.5),  # 沈阳市和平区
    ("150102", 2.0),  # 呼和浩特市新城区
    ("510104", 2.0),  # 成都市锦江区
    ("500103", 1.5),  # 重庆市渝中区
    ("610103", 1.5),  # 西安市碑林区
    ("360102", 1.0),  # 南昌市东湖区
    ("440106", 1.0),  # 广州市天河区
)
