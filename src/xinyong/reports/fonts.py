"""The Chinese font a credit report embeds: one that a Debian package ships, found at its known path.

The package ships no font of its own (a CJK font is megabytes and has its own licence); the machine that
makes reports installs one with apt-get, and the report names the package when none is there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from xinyong.errors import ConfigError


@dataclass(frozen=True, slots=True)
class CjkFont:
    """A font file with Chinese glyphs, the Debian package that ships it, and its face within a collection."""

    path: Path
    package: str
    index: int = 0
    bold: Path | None = None


#: Where Debian's CJK font packages put their files, in order of preference. WenQuanYi Micro Hei comes first:
#: it has TrueType outlines, which subset small, and it is the smallest of these packages.
KNOWN_FONTS: tuple[CjkFont, ...] = (
    CjkFont(Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"), "fonts-wqy-microhei"),
    CjkFont(Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"), "fonts-wqy-zenhei"),
    # Noto Sans CJK collections hold JP, KR, SC, TC and HK faces in that order; index 2 is Simplified Chinese.
    CjkFont(
        Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
        "fonts-noto-cjk",
        index=2,
        bold=Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
    ),
    CjkFont(Path("/usr/share/fonts/truetype/arphic/uming.ttc"), "fonts-arphic-uming"),
    CjkFont(Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"), "fonts-droid-fallback"),
)
#: The package to install when none of the known fonts is present.
SUGGESTED_PACKAGE = "fonts-wqy-microhei"


def find_cjk_font(candidates: Sequence[CjkFont] = KNOWN_FONTS) -> CjkFont:
    """The first known Chinese font present on this machine; a ConfigError naming the package when none is."""
    for font in candidates:
        if font.path.is_file():
            return font
    looked = ", ".join(str(f.path) for f in candidates) or "nowhere"
    raise ConfigError(
        f"no Chinese font for the credit report: install the Debian package {SUGGESTED_PACKAGE} "
        f"(apt-get install {SUGGESTED_PACKAGE}); looked in {looked}"
    )
