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


@dataclass(frozen=True)
class FontNames:
    """The names a font file gives itself in its 'name' table (first face of a collection), as libass reads
    them: Windows-platform records only.

    libass finds a font in its `fontsdir` by its legacy family (name ID 1) or its full name (4); Pillow,
    through FreeType, reports the typographic family (16) when there is one. They differ for weight, width
    and optical-size cuts ("DejaVu Sans Light" vs "DejaVu Sans"), so the names come from the table itself.
    """

    family: str  # ID 1
    full: str  # ID 4
    postscript: str  # ID 6
    typographic_family: str  # ID 16, "" when absent

    @property
    def for_libass(self) -> str:
        """The name that makes libass pick exactly this face: a full name is one face's own (libass takes a
        full-name match at once, with no style matching), then the family. libass 0.17 does not match the
        PostScript name of a `fontsdir` font (measured), so that one is no use here."""
        return self.full or self.family


def font_names(path: str | Path) -> FontNames | None:
    """The font's names, or None when the file is not an sfnt font (TrueType/OpenType/collection) that
    names itself the way libass reads names (Windows-platform family or full name).

    Parsed here with struct because fontTools is not a dependency and Pillow exposes only FreeType's
    family and style; the 'name' table layout is fixed (OpenType spec, 'name' table, formats 0 and 1).
    """
    import struct

    try:
        with open(path, "rb") as fh:
            data = fh.read(64 * 2**20)
        base = struct.unpack_from(">I", data, 12)[0] if data[:4] == b"ttcf" else 0
        count = struct.unpack_from(">H", data, base + 4)[0]
        tables = {}
        for i in range(count):
            tag, _checksum, offset, _length = struct.unpack_from(">4sIII", data, base + 12 + 16 * i)
            tables[tag] = offset
        at = tables[b"name"]
        _format, records, strings = struct.unpack_from(">HHH", data, at)
        found: dict[int, tuple[bool, str]] = {}  # name ID -> (US English?, text)
        for i in range(records):
            platform, encoding, language, name_id, length, offset = struct.unpack_from(
                ">HHHHHH", data, at + 6 + 12 * i
            )
            if platform != 3 or encoding not in (0, 1, 10) or name_id not in (1, 4, 6, 16):
                continue
            raw = data[at + strings + offset : at + strings + offset + length]
            text = raw.decode("utf-16-be", "replace").replace("\x00", "").strip()
            english = language == 0x409  # libass knows every language's names; English is the one to give
            if text and len(raw) == length and (name_id not in found or (english and not found[name_id][0])):
                found[name_id] = (english, text)
    except (OSError, KeyError, struct.error, IndexError):
        return None
    names = {k: v[1] for k, v in found.items()}
    if not (names.get(1) or names.get(4)):
        return None
    return FontNames(names.get(1, ""), names.get(4, ""), names.get(6, ""), names.get(16, ""))
