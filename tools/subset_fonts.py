"""Regenerate mediakit's fallback caption fonts (CJK and emoji) from their published sources.

A developer tool, not part of mediakit: it needs fontTools, which mediakit does not depend on at run time.

    apt-get download fonts-noto-cjk=1:20220127+repack1-1      # Debian bookworm, SIL OFL 1.1
    npm pack @expo-google-fonts/noto-emoji@0.4.7              # Noto Emoji from Google Fonts, SIL OFL 1.1
    python3 -m venv /tmp/ft && /tmp/ft/bin/pip install fonttools==4.68.0
    /tmp/ft/bin/python tools/subset_fonts.py fonts-noto-cjk_*.deb expo-google-fonts-noto-emoji-0.4.7.tgz

Both downloads are checked against the SHA-256 below before anything is read from them. The outputs (and
their licence files) are written to mediakit/fonts/; with the same fontTools version they are byte for
byte the files in the repository. See mediakit/fonts/README.md for why these fonts and these characters.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
import tarfile
import unicodedata
from pathlib import Path

NOTO_CJK_DEB_SHA256 = "4a2515eb6db3978b897fef9709ed0d2b1f4c6c4df4d83d6c4ef65f71f1b1f502"
NOTO_CJK_MEMBER = "./usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
NOTO_CJK_FACE = 0  # Noto Sans CJK JP Bold: the collection's first face (Han in Japanese forms)
NOTO_CJK_COPYRIGHT_MEMBER = "./usr/share/doc/fonts-noto-cjk/copyright"
NOTO_EMOJI_TGZ_SHA256 = "6a25fd5a4da5bb34bbc2d300531bbf32de86afd866e119314d7e358f61a6104d"
NOTO_EMOJI_MEMBER = "package/700Bold/NotoEmoji_700Bold.ttf"
NOTO_EMOJI_LICENSE_MEMBER = "package/LICENSE_FONT"

# The OFL lets a Modified Version keep its name unless the name is reserved; Noto Sans CJK reserves
# "Source" (Adobe), and "Noto" is Google's trademark. A subset is a Modified Version, so both get names of
# their own, which also keeps them apart from a full Noto font installed on the same machine.
CJK_FAMILY, CJK_PS = "mediakit CJK", "mediakitCJK-Bold"
EMOJI_FAMILY, EMOJI_PS = "mediakit Emoji", "mediakitEmoji-Bold"
KEYCAP_BASES = "#*0123456789"
CJK_FILE, EMOJI_FILE = "mediakit-CJK-Bold.otf", "mediakit-Emoji-Bold.ttf"
CJK_LICENSE, EMOJI_LICENSE = "LICENSE-NotoSansCJK.txt", "LICENSE-NotoEmoji.txt"
# Upstream's copyright line (github.com/notofonts/noto-cjk, Sans/LICENSE); Debian's copyright file omits it.
CJK_COPYRIGHT = "Copyright 2014-2021 Adobe (http://www.adobe.com/), with Reserved Font Name 'Source'."


def _double_byte(codec: str, leads: range, trails: list[int]) -> set[int]:
    """Every character a double-byte legacy encoding can write."""
    out = set()
    for lead in leads:
        for trail in trails:
            try:
                text = bytes([lead, trail]).decode(codec)
            except UnicodeDecodeError:
                continue
            if len(text) == 1:
                out.add(ord(text))
    return out


def _han(cp: int) -> bool:
    return 0x3400 <= cp <= 0x9FFF or 0xF900 <= cp <= 0xFAFF or cp >= 0x20000


def cjk_code_points() -> set[int]:
    """The characters of the national standards everyday CJK text is written in.

    GB 2312 (simplified Chinese: 6,763 hanzi), Big5 level 1 (traditional Chinese: the 5,401 common hanzi,
    with Big5's symbols), JIS X 0208 (Japanese: 6,355 kanji, kana), KS X 1001 without its hanja (Korean:
    the 2,350 common hangul syllables, jamo), all kana, CJK punctuation and the full- and halfwidth forms.
    ASCII stays with the primary font.
    """
    high = range(0xA1, 0xFF)
    gb2312 = _double_byte("gb2312", range(0xA1, 0xF8), list(high))
    big5 = _double_byte("big5", range(0xA1, 0xC7), [*range(0x40, 0x7F), *high])
    big5_level1 = {cp for cp in big5 if chr(cp).encode("big5") < b"\xc6\x7f"}  # symbols, then A440..C67E
    jis_x0208 = _double_byte("euc_jp", high, list(high))
    ks_x1001 = {cp for cp in _double_byte("euc_kr", high, list(high)) if not _han(cp)}
    kana = {*range(0x3040, 0x3100), *range(0x31F0, 0x3200), *range(0xFF61, 0xFFA0)}
    punctuation = {*range(0x3000, 0x3040), *range(0xFF00, 0xFF61), *range(0xFFE0, 0xFFEF)}
    every = gb2312 | big5_level1 | jis_x0208 | ks_x1001 | kana | punctuation
    return {cp for cp in every if cp > 0x7F and unicodedata.category(chr(cp)) != "Cn"}


def _sha256(path: Path, expected: str) -> bytes:
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != expected:
        sys.exit(f"{path}: SHA-256 {digest}, expected {expected}: not the documented download")
    return data


def _deb_member(deb: bytes, member: str) -> bytes:
    """A file from a .deb: an `ar` archive whose data.tar.* holds the package's files."""
    if not deb.startswith(b"!<arch>\n"):
        sys.exit("not a .deb (ar) archive")
    pos = 8
    while pos + 60 <= len(deb):
        header = deb[pos : pos + 60]
        name, size = header[:16].decode().strip().rstrip("/"), int(header[48:58])
        body = deb[pos + 60 : pos + 60 + size]
        if name.startswith("data.tar"):
            with tarfile.open(fileobj=io.BytesIO(body)) as tar:
                extracted = tar.extractfile(member)
                if extracted is None:
                    sys.exit(f"{member} is not a file in the .deb")
                return extracted.read()
        pos += 60 + size + size % 2
    sys.exit("no data.tar in the .deb")


def _tgz_member(tgz: bytes, member: str) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(tgz)) as tar:
        extracted = tar.extractfile(member)
        if extracted is None:
            sys.exit(f"{member} is not a file in the npm package")
        return extracted.read()


def _subset(font: object, unicodes: set[int], features: list[str]) -> None:
    from fontTools import subset

    options = subset.Options()
    options.layout_features = features
    options.hinting = False  # captions are drawn at 40-110 px, where hints change nothing
    options.name_IDs = ["*"]
    options.name_languages = [0x409]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)


def _rename(font: object, family: str, ps_name: str, source: str) -> None:
    from fontTools.ttLib import TTFont

    assert isinstance(font, TTFont)
    name = font["name"]
    style = name.getDebugName(2) or "Bold"
    for record_id in (1, 3, 4, 6, 10, 16, 17, 18, 21, 22, 25):
        name.removeNames(nameID=record_id)
    name.setName(family, 1, 3, 1, 0x409)
    name.setName(style, 2, 3, 1, 0x409)
    name.setName(f"{ps_name};{source}", 3, 3, 1, 0x409)
    name.setName(f"{family} {style}", 4, 3, 1, 0x409)
    name.setName(ps_name, 6, 3, 1, 0x409)
    about = f"A subset of {source}, renamed (SIL OFL 1.1); made by mediakit tools/subset_fonts.py"
    name.setName(about, 10, 3, 1, 0x409)
    name.names = [n for n in name.names if n.platformID == 3]
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = [ps_name]
        top = cff.topDictIndex[0]
        top.FullName, top.FamilyName = f"{family} {style}", family


def _ofl_from_debian(copyright_text: str) -> str:
    """The OFL text of a Debian copyright file (its `License: SIL-1.1` paragraph, unindented)."""
    lines = copyright_text.splitlines()
    start = lines.index("License: SIL-1.1", lines.index("License: SIL-1.1") + 1) + 1
    body = []
    for line in lines[start:]:
        if not line.startswith(" "):
            break
        body.append("" if line.strip() == "." else line[1:])
    return "\n".join(body).strip() + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("noto_cjk_deb", type=Path)
    parser.add_argument("noto_emoji_tgz", type=Path)
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent.parent / "mediakit" / "fonts"
    )
    args = parser.parse_args()
    try:
        import fontTools
        from fontTools.ttLib import TTFont
    except ImportError:
        sys.exit("needs fontTools: python3 -m venv /tmp/ft && /tmp/ft/bin/pip install fonttools==4.68.0")
    if fontTools.version != "4.68.0":
        print(f"note: fontTools {fontTools.version}; mediakit's fonts were made with 4.68.0", file=sys.stderr)

    deb = _sha256(args.noto_cjk_deb, NOTO_CJK_DEB_SHA256)
    tgz = _sha256(args.noto_emoji_tgz, NOTO_EMOJI_TGZ_SHA256)

    cjk = TTFont(
        io.BytesIO(_deb_member(deb, NOTO_CJK_MEMBER)), fontNumber=NOTO_CJK_FACE, recalcTimestamp=False
    )
    source = f"{cjk['name'].getDebugName(4)} {cjk['name'].getDebugName(5).split(';')[0]}"
    wanted = cjk_code_points() & set(cjk.getBestCmap())
    # Horizontal text only, no locale-dependent forms (`locl`): the same glyphs on every machine.
    _subset(cjk, wanted, ["ccmp", "kern", "mark", "mkmk"])
    _rename(cjk, CJK_FAMILY, CJK_PS, f"{source} (Debian fonts-noto-cjk 1:20220127+repack1-1)")
    cjk.save(args.out / CJK_FILE)
    ofl = _ofl_from_debian(_deb_member(deb, NOTO_CJK_COPYRIGHT_MEMBER).decode())
    notice = (
        f"{CJK_FILE} ({CJK_FAMILY}) is a subset of {source} from the Debian package\n"
        "fonts-noto-cjk 1:20220127+repack1-1 (https://github.com/notofonts/noto-cjk), renamed as the OFL\n"
        "asks of a Modified Version; made by tools/subset_fonts.py.\n\n"
        f"{CJK_COPYRIGHT}\nNoto is a trademark of Google Inc.\n\n"
        "This Font Software is licensed under the SIL Open Font License, Version 1.1.\n\n"
    )
    (args.out / CJK_LICENSE).write_text(notice + ofl, encoding="utf-8")

    emoji = TTFont(io.BytesIO(_tgz_member(tgz, NOTO_EMOJI_MEMBER)), recalcTimestamp=False)
    source = f"{emoji['name'].getDebugName(4)} {emoji['name'].getDebugName(5)}"
    # All of it but ASCII, except the bases of keycap sequences (1️⃣ is "1", U+FE0F, U+20E3): mediakit draws
    # a digit with the emoji font only inside such a sequence.
    _subset(emoji, {cp for cp in emoji.getBestCmap() if cp > 0x7F or chr(cp) in KEYCAP_BASES}, ["ccmp"])
    _rename(emoji, EMOJI_FAMILY, EMOJI_PS, f"{source} (npm @expo-google-fonts/noto-emoji 0.4.7)")
    emoji.save(args.out / EMOJI_FILE)
    notice = (
        f"{EMOJI_FILE} ({EMOJI_FAMILY}) is a subset of {source}, the monochrome Noto Emoji of Google Fonts\n"
        "(https://github.com/googlefonts/noto-emoji), taken from the npm package\n"
        "@expo-google-fonts/noto-emoji 0.4.7 and renamed as the OFL asks of a Modified Version; made by\n"
        "tools/subset_fonts.py.\n\n"
    )
    licence = _tgz_member(tgz, NOTO_EMOJI_LICENSE_MEMBER).decode()
    (args.out / EMOJI_LICENSE).write_text(notice + licence, encoding="utf-8")

    for name in (CJK_FILE, EMOJI_FILE):
        data = (args.out / name).read_bytes()
        print(f"{name}: {len(data):,} bytes, sha256 {hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    main()
