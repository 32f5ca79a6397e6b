"""Caption font fallback without ffmpeg: which font draws each character, `\\fn` runs, CJK line breaking."""

from __future__ import annotations

import re
import shutil

import pysubs2
import pytest

from mediakit.captions import Cue, Word, layout, to_ass
from mediakit.captions.glyphs import coverage, font_runs, has_glyph
from mediakit.captions.layout import _LOOKS, _NO_BREAK_AFTER, _NO_BREAK_BEFORE, _area, _measure, _pillow_font
from mediakit.fonts import CAPTION_FONT, CJK_FONT, EMOJI_FONT, FALLBACK_FONTS, FONT_DIR
from mediakit.preset import SafeZone, resolve

ZONE: SafeZone = resolve("clip").safe_zone  # type: ignore[assignment]
SIZE = (1080, 1920)
CJK, EMOJI = "{\\fnmediakit CJK}", "{\\fnmediakit Emoji}"
BACK = "{\\fn}"


def runs(text: str) -> list[tuple[str, str]]:
    names = ["primary", "cjk", "emoji"]
    return [(names[k], run) for k, run in font_runs(text, CAPTION_FONT)]


def test_the_fonts_ship_with_their_licences_and_cover_what_they_promise():
    for name in ("LICENSE-DejaVu.txt", "LICENSE-NotoSansCJK.txt", "LICENSE-NotoEmoji.txt"):
        assert "Font" in (FONT_DIR / name).read_text(encoding="utf-8")
    assert "SIL Open Font License" in (FONT_DIR / "LICENSE-NotoSansCJK.txt").read_text(encoding="utf-8")
    cjk, emoji = coverage(str(CJK_FONT.path)), coverage(str(EMOJI_FONT.path))
    assert cjk is not None and emoji is not None
    # GB 2312 and JIS X 0208 entire, the 2,350 KS X 1001 hangul, kana; no ASCII (DejaVu draws it).
    assert all(ord(ch) in cjk for ch in bytes(range(0xB0, 0xF8)).decode("gb2312", "ignore"))
    assert sum(0xAC00 <= cp <= 0xD7A3 for cp in cjk) == 2350 and {*range(0x3041, 0x3097)} <= cjk
    assert not any(cp < 0x80 for cp in cjk)
    assert all(ord(ch) in emoji for ch in "🔥🎧❤🥰🥺🫶✨😀🦄")
    assert (FONT_DIR / "mediakit-CJK-Bold.otf").stat().st_size + EMOJI_FONT.path.stat().st_size < 4_000_000


def test_each_character_goes_to_the_first_font_that_has_it():
    assert runs("Hi 夜に駆ける 밤하늘 你好 🔥🎧❤️ שלום") == [
        ("primary", "Hi "),
        ("cjk", "夜に駆ける"),
        ("primary", " "),
        ("cjk", "밤하늘"),
        ("primary", " "),
        ("cjk", "你好"),
        ("primary", " "),
        ("emoji", "🔥🎧❤️"),
        ("primary", " שלום"),
    ]
    # Marks stay with their letter; Arabic, Cyrillic, Greek and symbols DejaVu has stay in DejaVu.
    assert runs("café Привет Ωμέγα مرحبا ★ →") == [("primary", "café Привет Ωμέγα مرحبا ★ →")]
    # Kana with a combining voiced mark, fullwidth punctuation.
    assert runs("「か\u3099」！") == [("cjk", "「か\u3099」！")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("👨\u200d👩\u200d👧", [("emoji", "👨\u200d👩\u200d👧")]),  # a ZWJ family: one run, one glyph
        ("👍🏽", [("emoji", "👍🏽")]),  # with its skin tone
        ("🇯🇵", [("emoji", "🇯🇵")]),  # a flag
        ("1️⃣ 1", [("emoji", "1️⃣"), ("primary", " 1")]),  # a keycap; a plain digit stays in DejaVu
        ("❤ ❤️ ❤︎", [("primary", "❤ "), ("emoji", "❤️"), ("primary", " ❤︎")]),  # text, emoji, text style
        ("✨ ★", [("emoji", "✨"), ("primary", " ★")]),  # ✨ is an emoji by default, ★ is not
        ("😀", [("emoji", "😀")]),  # DejaVu has U+1F600 too, but emoji look like emoji
    ],
)
def test_emoji_sequences_stay_whole_in_the_emoji_font(text, expected):
    assert runs(text) == expected


def test_a_character_no_font_has_stays_with_the_caption_font():
    assert not any(has_glyph(str(p), "𓀀") for p in (CAPTION_FONT, CJK_FONT.path, EMOJI_FONT.path))
    assert runs("a𓀀漢") == [("primary", "a𓀀"), ("cjk", "漢")]


def test_fallback_runs_are_named_with_fn_and_the_style_font_comes_back():
    [event] = layout([Cue(0, 2, "Hi 夜に 🔥 שלום")], size=SIZE, safe_zone=ZONE)
    assert event.text == f"Hi {CJK}夜に{BACK} {EMOJI}🔥{BACK} שלום"
    [event] = layout([Cue(0, 2, "夜に駆ける")], size=SIZE, safe_zone=ZONE, fallbacks=())
    assert event.text == "夜に駆ける"  # no fallback fonts, no tags (and boxes, as before)
    # The font state carries over a line break; a shrunk event keeps its size block first.
    [event] = layout([Cue(0, 4, "夜に駆ける夜に駆ける夜に駆ける" * 2)], size=SIZE, safe_zone=ZONE)
    assert event.text.startswith("{\\fs") and event.text.index(CJK) == event.text.index("}") + 1
    assert event.text.count(CJK) == 1 and "\\N" in event.text and BACK not in event.text


def test_override_tags_in_the_text_stay_literal_next_to_ours():
    text = "{\\fnArial}漢 {\\fn}\\{x}🔥\\"
    [event] = layout([Cue(0, 2, text)], size=SIZE, safe_zone=ZONE)
    blocks = re.findall(r"(?<!\\)\{([^}]*)\}", event.text)
    assert blocks == ["\\fnmediakit CJK", "\\fn", "\\fnmediakit Emoji", "\\fn"], event.text
    doc = pysubs2.SSAFile.from_string(to_ass([Cue(0, 2, text)], size=SIZE, safe_zone=ZONE))
    assert doc.events[0].text == event.text and " ".join(event.lines) == text
    # The text's own "{\fnArial}" is escaped (braces as \{ \}, a word joiner after each backslash).
    assert event.text.startswith("\\{\\\u2060fnArial\\}")


def test_text_widths_are_measured_in_the_font_that_draws_each_run():
    size = 106
    width = _measure(CAPTION_FONT, FALLBACK_FONTS, size)
    cjk = _pillow_font(str(CJK_FONT.path), size).getlength("夜に駆ける")
    latin = _pillow_font(str(CAPTION_FONT), size).getlength("Hi ")
    assert width("Hi 夜に駆ける") == pytest.approx(latin + cjk)
    boxes = _pillow_font(str(CAPTION_FONT), size).getlength("夜に駆ける")
    assert abs(cjk - boxes) > 0.05 * cjk  # measuring boxes would wrap somewhere else


def test_cjk_wraps_between_characters_balanced_and_never_before_closing_punctuation():
    text = "「夜に駆ける」は、二〇一九年に公開された楽曲です。本当に。"
    area = _area(SIZE, ZONE, _LOOKS["outline"], round(0.055 * SIZE[1]))
    [event] = layout([Cue(0, 6, text)], size=SIZE, safe_zone=ZONE)
    width = _measure(CAPTION_FONT, FALLBACK_FONTS, event.font_size)
    assert len(event.lines) == 2 and "".join(event.lines) == text
    assert all(width(line) <= area.width for line in event.lines)
    assert abs(width(event.lines[0]) - width(event.lines[1])) < 3 * event.font_size  # balanced
    for line in event.lines:
        assert line[0] not in _NO_BREAK_BEFORE and line[-1] not in _NO_BREAK_AFTER, event.lines
    # A cue too long for two lines splits into events the same way.
    events = layout([Cue(0, 8, text * 4)], size=SIZE, safe_zone=ZONE)
    assert len(events) > 1 and "".join("".join(e.lines) for e in events) == text * 4
    for event in events:
        assert all(line[0] not in _NO_BREAK_BEFORE for line in event.lines)


def test_korean_breaks_between_words_and_mixed_text_between_scripts():
    text = "밤하늘의 별을 따서 너에게 줄래 너는 내가 사랑하는 사람이니까"
    [event] = layout([Cue(0, 6, text)], size=SIZE, safe_zone=ZONE)
    assert len(event.lines) == 2 and " ".join(event.lines) == text  # the break is one of the spaces
    [event] = layout(
        [Cue(0, 6, "夜に駆ける YOASOBI 夜に駆ける YOASOBI 夜に駆ける")], size=SIZE, safe_zone=ZONE
    )
    assert len(event.lines) == 2 and all("YOASOB" not in line or "YOASOBI" in line for line in event.lines)


def test_karaoke_timing_and_fonts_together():
    # Without timings each CJK character lights up in turn, like each word of spaced text.
    [event] = layout([Cue(0, 2, "夜に 駆ける🔥 go")], size=SIZE, safe_zone=ZONE, style="karaoke")
    assert event.text == (
        f"{{\\k25}}{CJK}夜{{\\k25}}に{{\\k0}}{BACK} {{\\k25}}{CJK}駆{{\\k25}}け{{\\k25}}る"
        f"{{\\k25}}{EMOJI}🔥{{\\k50}}{BACK} go"
    )
    # libass starts a new karaoke word at every font change, timed from the end of the one before: a
    # syllable in two fonts gets one \k per font, its time shared by their letters, and still adds up.
    words = (Word("fire🔥 ", 1.0, 2.0), Word("go", 2.5, 3.0))
    [event] = layout([Cue(1.0, 3.0, "fire🔥 go", words)], size=SIZE, safe_zone=ZONE, style="karaoke")
    assert event.text == f"{{\\k80}}fire{{\\k20}}{EMOJI}🔥{{\\k0}}{BACK} {{\\k50}}{{\\k50}}go"
    assert sum(int(k) for k in re.findall(r"\{\\k(\d+)\}", event.text)) == 200


def test_a_user_font_gets_the_fallbacks_beside_it(tmp_path):
    from mediakit.rendering.clip import _user_font

    mine = tmp_path / "My Font.ttf"
    shutil.copyfile(CAPTION_FONT, mine)
    path, family, folder = _user_font(mine, tmp_path)
    assert family == "DejaVu Sans Bold" and path.parent == folder  # its full name (ID 4): this face alone
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [path.name, *(f.path.name for f in FALLBACK_FONTS)]
    )
    assert all((folder / f.path.name).read_bytes() == f.path.read_bytes() for f in FALLBACK_FONTS)


def test_font_names_are_read_from_the_name_table(tmp_path):
    from mediakit.fonts import CJK_FONT, font_names

    names = font_names(CAPTION_FONT)
    assert names is not None
    assert (names.family, names.full, names.postscript) == (
        "DejaVu Sans",
        "DejaVu Sans Bold",
        "DejaVuSans-Bold",
    )
    assert font_names(CJK_FONT.path).for_libass == "mediakit CJK Bold"  # type: ignore[union-attr]
    junk = tmp_path / "junk.ttf"
    junk.write_bytes(b"\x00\x01\x00\x00" + bytes(200))
    assert font_names(junk) is None and font_names(tmp_path / "missing.ttf") is None
    truncated = tmp_path / "cut.ttf"
    truncated.write_bytes(CAPTION_FONT.read_bytes()[:300])
    assert font_names(truncated) is None


def test_a_font_libass_cannot_name_is_refused(tmp_path):
    from mediakit.errors import InputError
    from mediakit.rendering.clip import _user_font

    data = bytearray(CAPTION_FONT.read_bytes())
    at = data.index(b"name")  # the table directory entry: rename the tag, so the font has no name table
    data[at : at + 4] = b"nam_"
    mine = tmp_path / "nameless.ttf"
    mine.write_bytes(bytes(data))
    with pytest.raises(InputError, match="without a name table libass can match"):
        _user_font(mine, tmp_path)
