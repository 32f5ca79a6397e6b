"""The caption fonts shipped with mediakit: DejaVu Sans Bold, and the CJK and emoji fonts it falls back to.

Licences: LICENSE-DejaVu.txt, LICENSE-NotoSansCJK.txt, LICENSE-NotoEmoji.txt; sources and how the fallback
fonts are made from them: README.md here and tools/subset_fonts.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

FONT_DIR = Path(__file__).resolve().parent
CAPTION_FONT = FONT_DIR / "DejaVuSans-Bold.ttf"
CAPTION_FONT_NAME = "DejaVu Sans"


@dataclass(frozen=True)
class FallbackFont:
    """A font for the characters the caption font lacks, named in the ASS text by `family`."""

    path: Path
    family: str
    emoji: bool = False  # drawn in preference to the caption font for emoji-style characters


CJK_FONT = FallbackFont(FONT_DIR / "mediakit-CJK-Bold.otf", "mediakit CJK")
EMOJI_FONT = FallbackFont(FONT_DIR / "mediakit-Emoji-Bold.ttf", "mediakit Emoji", emoji=True)
FALLBACK_FONTS = (CJK_FONT, EMOJI_FONT)
