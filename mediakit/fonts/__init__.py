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


def libass_choice(ffmpeg: str, fonts_dir: Path, name: str) -> str | None:
    """The PostScript name of the face libass draws for the font name `name`, with `fonts_dir` as its
    fontsdir: one frame through ffmpeg's `ass` filter, read from libass's "fontselect" debug line.

    None when that cannot be told (the line missing from this libass's log, or ffmpeg failing): then the
    render itself will say what is wrong. It costs one short ffmpeg run (about 0.1 s).
    """
    import re
    import subprocess
    import tempfile

    family = re.sub(r"[,\x00-\x1f]", "", name)  # as the caption style line writes it
    ass = (
        "[Script Info]\nScriptType: v4.00+\nPlayResX: 64\nPlayResY: 64\n\n[V4+ Styles]\n"
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, "
        "Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, "
        "Alignment, MarginL, MarginR, MarginV, Encoding\n"
        f"Style: Probe,{family},20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,0,0,2,"
        "0,0,0,1\n\n[Events]\n"
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
        "Dialogue: 0,0:00:00.00,0:00:01.00,Probe,,0,0,0,,Hg\n"
    )
    with tempfile.TemporaryDirectory(prefix="mediakit-font-") as tmp:
        (Path(tmp) / "probe.ass").write_text(ass, encoding="utf-8")
        try:
            (Path(tmp) / "fonts").symlink_to(Path(fonts_dir).resolve(), target_is_directory=True)
        except OSError:  # no symbolic links here: the check cannot run, and the pixel tests hold the naming
            return None
        # Relative names in the working directory: nothing inside the filter argument needs escaping.
        argv = [ffmpeg, "-hide_banner", "-nostdin", "-v", "debug", "-f", "lavfi",
                "-i", "color=s=64x64:r=25:d=0.04", "-vf", "ass=filename=probe.ass:fontsdir=fonts",
                "-frames:v", "1", "-f", "null", "-"]  # fmt: skip
        try:
            done = subprocess.run(argv, cwd=tmp, capture_output=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
    log = done.stderr.decode("utf-8", "replace")
    # libass: "fontselect: (family, bold, italic) -> path or name, face index, PostScript name"
    match = re.search(r"fontselect: \((.*), \d+, \d+\) -> .*, \d+, (\S*)\s*$", log, re.M)
    return match[2] if match and match[1] == family else None
