"""Captions without ffmpeg: parsing every format and encoding, timing, lint rules, layout and ASS escaping."""

from __future__ import annotations

import json
import os
import re
from itertools import pairwise

import pysubs2
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mediakit.captions import (
    MAX_FILE_BYTES,
    STYLES,
    WORD_JOINER,
    CaptionError,
    Cue,
    Word,
    escape_text,
    layout,
    lint,
    load_captions,
    missing_glyphs,
    parse_at,
    parse_captions,
    retime,
    single_caption,
    to_ass,
)
from mediakit.captions.layout import _LOOKS, _area, _clean, _measure
from mediakit.cli.captions import captions as captions_cli
from mediakit.errors import InputError
from mediakit.fonts import CAPTION_FONT, FALLBACK_FONTS
from mediakit.preset import CaptionRules, SafeZone, resolve

CLIP = resolve("clip")
ZONE: SafeZone = CLIP.safe_zone  # type: ignore[assignment]
RULES: CaptionRules = CLIP.captions  # type: ignore[assignment]
SIZE = (1080, 1920)

SRT = """1
00:00:01,000 --> 00:00:02,500
{\\an8}Hello <i>world</i>
<font color="red">second</font> line {chorus}

2
00:00:03,000 --> 00:00:04,000
Third, cue
"""


def write(tmp_path, data: bytes, name: str = "captions.srt"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


# ------------------------------------------------------------------------------------------- parsing


def test_srt_text_is_plain_and_override_tags_do_not_survive():
    cues = parse_captions(SRT)
    assert cues == (
        Cue(1.0, 2.5, "Hello world\nsecond line {chorus}"),  # {\an8} must not move the caption; {text} stays
        Cue(3.0, 4.0, "Third, cue"),
    )


def test_srt_sloppy_layout_crlf_and_missing_blank_lines():
    text = "1\r\n00:00:01,000 --> 00:00:02,000\r\nOne\r\n2\r\n00:00:02,000 --> 00:00:03,5\r\nTwo\r\n\r\n\r\n"
    assert parse_captions(text) == (Cue(1.0, 2.0, "One"), Cue(2.0, 3.5, "Two"))


def test_a_lyric_with_an_arrow_is_text_not_a_timing():
    cues = parse_captions("1\n00:00:01,000 --> 00:00:02,000\nlove --> hate\n")
    assert cues[0].text == "love --> hate"


def test_webvtt_with_header_notes_identifiers_settings_and_markup():
    vtt = (
        "WEBVTT - lyrics\n\nNOTE a comment\nspanning lines\n\nSTYLE\n::cue { color: red }\n\n"
        "intro\n00:01.000 --> 00:02.500 align:start line:0\n<v Bob>Hello</v> <c.yellow>there</c> &amp; "
        "<00:00:01.500>you &lt;3\n\n01:00:03.000 --> 01:00:04.000\nTwo\n"
    )
    assert parse_captions(vtt) == (Cue(1.0, 2.5, "Hello there & you <3"), Cue(3603.0, 3604.0, "Two"))


ASS = """[Script Info]
ScriptType: v4.00+

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, \
Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, \
MarginR, MarginV, Encoding
Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,2,2,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Comment: 0,0:00:00.00,0:00:09.00,Default,,0,0,0,,never shown
Dialogue: 0,0:00:01.00,0:00:03.00,Default,,0,0,0,,{\\k50}Hel{\\kf30}lo, {\\K20}world\\Nnext
Dialogue: 0,0:00:04.00,0:00:05.50,Default,,0,0,0,,{\\an8\\pos(1,1)}a\\hb {\\p1}m 0 0 l 1 1{\\p0}\\{lit\\}, c
"""


def test_ass_keeps_karaoke_syllables_and_reads_text_as_libass_does():
    first, second = parse_captions(ASS)
    assert first.text == "Hello, world\nnext"
    assert first.words == (Word("Hel", 1.0, 1.5), Word("lo, ", 1.5, 1.8), Word("world\nnext", 1.8, 2.0))
    assert second == Cue(4.0, 5.5, "a\u00a0b {lit}, c")  # drawing commands dropped, escapes honoured


def test_ssa_v4_is_read_too():
    ssa = ASS.replace("[V4+ Styles]", "[V4 Styles]").replace("Format: Layer,", "Format: Marked,")
    ssa = ssa.replace("Dialogue: 0,", "Dialogue: Marked=0,")
    assert [c.start for c in parse_captions(ssa)] == [1.0, 4.0]


def test_format_is_told_by_content_not_extension(tmp_path):
    assert load_captions(write(tmp_path, SRT.encode(), "lyrics.vtt"))[1].text == "Third, cue"
    assert load_captions(write(tmp_path, ASS.encode(), "lyrics.txt"))[0].words


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("latin-1", "Un café"),
        ("cp1252", "Naïve façade – “quotes” €"),
        ("utf-8-sig", "Grüße 🎶"),
        ("utf-16", "Привет, café"),  # Python writes a little-endian BOM
        ("utf-16-be-bom", "שלום, café"),
        ("utf-16-le", "Hello, café, naïve"),  # no BOM: charset-normalizer recognises it
    ],
)
def test_encodings(tmp_path, encoding, text):
    srt = f"1\n00:00:01,000 --> 00:00:02,000\n{text}\n"
    data = b"\xfe\xff" + srt.encode("utf-16-be") if encoding == "utf-16-be-bom" else srt.encode(encoding)
    assert load_captions(write(tmp_path, data))[0].text == text


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:03,000 --> 00:0x:04,000\nbroken\n", 6),
        ("1\n00:00:01,000 -> 00:00:02,000\nsingle arrow\n", 2),
        ("1\n00:00:01,000 --> 00:00:72,000\nseconds\n", 2),
        ("1\n00:00:05,000 --> 00:00:02,000\nbackwards\n", 2),  # its only cue: nothing left to show
        ("WEBVTT\n\n00:01.000 --> 00:02.000\nok\n\n00:03.000 --> 00:04.0O0\nbad\n", 6),
        (ASS.replace("0:00:04.00,0:00:05.50", "0:00:0x.00,0:00:05.50"), 12),
        (ASS.replace("Dialogue: 0,0:00:04.00,0:00:05.50,Default,,0,0,0,,", "Dialogue: 0,0:00:04.00,x"), 12),
    ],
)
def test_a_broken_timing_names_its_line(text, line):
    with pytest.raises(CaptionError, match=rf", line {line}: "):
        parse_captions(text, "lyrics.srt")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty"),
        (b"\n \n", "is empty"),
        (b"just some words\n", "not SRT, WebVTT, SBV or ASS"),
        (bytes(range(256)) * 8, "not"),
        (b"WEBVTT\n\nNOTE nothing here\n", "has no captions"),
        (b"1\n00:00:01,000 --> 00:00:02,000\n" + b"x" * 3000 + b"\n", "3000 characters"),
        (b"\xff\xfeA\x00\x00\xd8", "not valid utf-16-le"),
    ],
)
def test_unusable_files_are_one_line_caption_errors(tmp_path, data, message):
    with pytest.raises(CaptionError, match=message) as info:
        load_captions(write(tmp_path, data))
    assert isinstance(info.value, InputError) and "\n" not in info.value.message and info.value.hint


def test_missing_folder_and_huge_files_are_refused(tmp_path):
    with pytest.raises(CaptionError, match="cannot read"):
        load_captions(tmp_path / "nope.srt")
    with pytest.raises(CaptionError, match="not a regular file"):
        load_captions(tmp_path)
    os.mkfifo(tmp_path / "pipe.srt")
    with pytest.raises(CaptionError, match="not a regular file"):  # and no open() that would block
        load_captions(tmp_path / "pipe.srt")
    huge = tmp_path / "huge.srt"
    with huge.open("wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(CaptionError, match="too big"):
        load_captions(huge)


# --------------------------------------------------------------------------------------- times and --at


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2-6", (2, 6)), ("2.5-6", (2.5, 6)), ("0:02-0:06", (2, 6)), (" 1:02.5 – 1:04 ", (62.5, 64)),
     ("1:00:00-1:00:01", (3600, 3601)), (".5-1", (0.5, 1))],
)  # fmt: skip
def test_parse_at(value, expected):
    assert parse_at(value) == expected


@pytest.mark.parametrize("value", ["", "2", "6-2", "2-2", "a-b", "1-2-3", "0:75-0:80", "-1-2", "2:3-4"])
def test_parse_at_rejects(value):
    with pytest.raises(CaptionError, match="--at"):
        parse_at(value)


def test_single_caption():
    assert single_caption("  Hello\\nworld ", None, 15.0) == (Cue(0.0, 15.0, "Hello\nworld"),)
    assert single_caption("Hi", (2, 20), 15.0) == (Cue(2.0, 15.0, "Hi"),)
    for text, at in [(" ", None), ("Hi", (16, 18)), ("Hi", (3, 2)), ("x" * 3000, None)]:
        with pytest.raises(CaptionError):
            single_caption(text, at, 15.0)


def test_retime_follows_start_and_clips_to_the_clip():
    cues = (
        Cue(1.0, 4.0, "before", (Word("be", 1.0, 2.0), Word("fore", 2.0, 4.0))),
        Cue(10.0, 12.0, "inside"),
        Cue(14.0, 30.0, "cut"),
        Cue(30.0, 31.0, "after"),
        Cue(0.0, 5.0, "ends at start"),
    )
    assert retime(cues, 5.0, 20.0) == (Cue(5.0, 7.0, "inside"), Cue(9.0, 20.0, "cut"))
    first = retime(cues, 2.0, 20.0)[0]
    assert first == Cue(0.0, 2.0, "before", (Word("be", 0.0, 0.0), Word("fore", 0.0, 2.0)))


# -------------------------------------------------------------------------------------------------- lint


def rules_of(issues):
    return sorted({i.rule for i in issues})


@pytest.mark.parametrize(
    ("cues", "window", "rule"),
    [
        ([Cue(0, 3, "x" * 43)], None, "line-length"),
        ([Cue(0, 9, "word " * 30)], None, "line-count"),
        ([Cue(0, 1, "abcdefghij klmnopqrstu")], None, "reading-speed"),
        ([Cue(0, 0.5, "Hi")], None, "min-duration"),
        ([Cue(0, 2, "One"), Cue(1.5, 3, "Two")], None, "overlap"),
        ([Cue(0, 2, "One"), Cue(20, 22, "Two")], (0, 15), "outside-window"),
        ([Cue(14, 16, "Edge")], (0, 15), "outside-window"),
    ],
)
def test_each_lint_rule_fires(cues, window, rule):
    issues = lint(cues, RULES, window)
    assert rule in rules_of(issues)
    issue = next(i for i in issues if i.rule == rule)
    assert issue.severity == "warning" and issue.hint
    assert re.match(rf"cue {issue.cue} at \d+:\d\d\.\d\d: ", issue.message)


def test_lint_is_quiet_on_good_cues_and_at_the_limits():
    cues = [
        Cue(0.0, 2.1, "x" * 42),  # exactly 42 characters at exactly 20 a second
        Cue(2.1, 2.9, "Hi there"),  # exactly 0.8 s, touching the previous cue
        Cue(3.0, 6.0, "two lines of text\nthat fit"),
    ]
    assert lint(cues, RULES, (0.0, 6.0)) == []


def test_reading_speed_ignores_spaces_and_line_breaks():
    assert lint([Cue(0, 1, "a b c d e f g h i j\nk l m n o p q r s t")], RULES) == []
    assert rules_of(lint([Cue(0, 1, "abcdefghijklmnopqrstu")], RULES)) == ["reading-speed"]


def test_overlap_names_both_cues():
    issues = lint([Cue(0, 5, "long"), Cue(1, 2, "inside"), Cue(3, 4, "also inside")], RULES)
    overlaps = [i for i in issues if i.rule == "overlap"]
    assert [i.cue for i in overlaps] == [2, 3] and all("overlaps cue 1" in i.message for i in overlaps)


# ------------------------------------------------------------------------------------------------ to_ass


def test_ass_header_and_style():
    doc = pysubs2.SSAFile.from_string(to_ass([Cue(1, 2, "Hi, there")], size=SIZE, safe_zone=ZONE))
    assert doc.info["PlayResX"] == "1080" and doc.info["PlayResY"] == "1920"
    assert doc.info["WrapStyle"] == "2" and doc.info["ScaledBorderAndShadow"] == "yes"
    style = doc.styles["Caption"]
    assert style.fontname == "DejaVu Sans" and style.fontsize == round(0.055 * 1920) and style.bold
    assert style.alignment == 2 and style.outline >= 0.08 * style.fontsize
    assert style.marginv >= ZONE.bottom * 1920 + style.outline + style.shadow
    assert (
        style.marginl >= ZONE.left * 1080 + style.outline
        and style.marginr >= ZONE.right * 1080 + style.outline
    )
    [event] = doc.events
    assert (event.start, event.end, event.text) == (1000, 2000, "Hi, there")


def test_box_style_is_one_box_and_karaoke_has_two_colours():
    box = pysubs2.SSAFile.from_string(to_ass([Cue(0, 1, "x")], size=SIZE, safe_zone=ZONE, style="box"))
    assert box.styles["Caption"].borderstyle == 4
    karaoke = pysubs2.SSAFile.from_string(
        to_ass([Cue(0, 1, "x")], size=SIZE, safe_zone=ZONE, style="karaoke")
    )
    assert karaoke.styles["Caption"].primarycolor != karaoke.styles["Caption"].secondarycolor
    with pytest.raises(CaptionError, match="style"):
        to_ass([Cue(0, 1, "x")], size=SIZE, safe_zone=ZONE, style="neon")


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("a{b}c", "a\\{b\\}c"),
        ("{\\an8}x", "\\{\\" + WORD_JOINER + "an8\\}x"),
        ("a\\Nb \\h \\", "a\\" + WORD_JOINER + "Nb \\" + WORD_JOINER + "h \\" + WORD_JOINER),
        ("one\ntwo\r\nthree\u2028four", "one\\Ntwo\\N\\Nthree\\Nfour"),
        ("tab\tnul\x00bell\x07", "tab nulbell"),
        ("'quotes\" , : [x] 100%", "'quotes\" , : [x] 100%"),
    ],
)
def test_escape_text(text, escaped):
    assert escape_text(text) == escaped


def test_explicit_breaks_are_kept_and_long_lines_wrap_balanced():
    [event] = layout([Cue(0, 2, "Hi\nthere")], size=SIZE, safe_zone=ZONE)
    assert event.lines == ("Hi", "there") and event.text == "Hi\\Nthere"
    [event] = layout([Cue(0, 2, "the quick brown fox jumps over")], size=SIZE, safe_zone=ZONE)
    assert len(event.lines) == 2 and abs(len(event.lines[0]) - len(event.lines[1])) <= 6


def test_long_cues_shrink_then_split_into_consecutive_events():
    long = Cue(2.0, 8.0, "These words go on and on for far too long to fit " * 4)
    events = layout([long], size=SIZE, safe_zone=ZONE)
    assert len(events) > 1 and all(len(e.lines) <= 2 for e in events)
    assert all(e.font_size == round(0.04 * 1920) for e in events) and "\\fs77" in events[0].text
    assert events[0].start == 2.0 and events[-1].end == 8.0
    assert all(a.end == b.start for a, b in pairwise(events))
    assert " ".join(" ".join(e.lines) for e in events) == long.text.strip()
    medium = layout([Cue(0, 4, "A lyric line of about forty-two characters")], size=SIZE, safe_zone=ZONE)
    assert len(medium) == 1 and 0.04 * 1920 <= medium[0].font_size < round(0.055 * 1920)


def test_a_word_wider_than_the_frame_is_cut_and_cjk_wraps():
    events = layout([Cue(0, 4, "漢" * 60), Cue(4, 8, "https://" + "x" * 120)], size=SIZE, safe_zone=ZONE)
    area = _area(SIZE, ZONE, _LOOKS["outline"], round(0.055 * 1920))
    for event in events:
        width = _measure(CAPTION_FONT, FALLBACK_FONTS, event.font_size)
        assert all(width(line) <= area.width for line in event.lines)


def karaoke_durations(text: str) -> list[int]:
    return [int(k) for k in re.findall(r"\{\\k(\d+)\}", text)]


def test_karaoke_uses_word_timings_with_pauses():
    cue = Cue(
        1.0, 4.0, "one two three", (Word("one ", 1.0, 1.5), Word("two ", 2.0, 2.5), Word("three", 2.5, 4.0))
    )
    [event] = layout([cue], size=SIZE, safe_zone=ZONE, style="karaoke")
    assert event.text == "{\\k50}one {\\k50}{\\k50}two {\\k150}three"
    assert sum(karaoke_durations(event.text)) == 300


def test_a_long_karaoke_cue_splits_where_its_words_are_sung():
    words = tuple(Word(f"word{i:02d} ", 10 + i * 0.25, 10 + i * 0.25 + 0.2) for i in range(40))
    cue = parse_captions(
        "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
        "Dialogue: 0,0:00:10.00,0:00:20.00,Default,,0,0,0,,"
        + "".join(f"{{\\k20}}{w.text}{{\\k5}}" for w in words)
    )[0]
    assert cue.words == words
    events = layout([cue], size=SIZE, safe_zone=ZONE, style="karaoke")
    assert len(events) > 1 and events[0].start == 10.0 and events[-1].end == 20.0
    for event in events:
        first = int(event.lines[0][4:6])
        assert event.start == pytest.approx(words[first].start)  # each part starts as its first word is sung
        assert event.text.startswith("{\\fs") and karaoke_durations(event.text)[0] == 20


def test_karaoke_without_timings_spreads_words_over_the_cue():
    [event] = layout([Cue(0, 2, "aa bb cccc")], size=SIZE, safe_zone=ZONE, style="karaoke")
    assert karaoke_durations(event.text) == [50, 50, 100]


def test_font_names_cannot_break_the_style_line():
    doc = to_ass([Cue(0, 1, "x")], size=SIZE, safe_zone=ZONE, font_name="Evil, 1\nDialogue: x")
    assert pysubs2.SSAFile.from_string(doc).styles["Caption"].fontname == "Evil 1Dialogue: x"


def test_missing_glyphs():
    cues = [Cue(0, 1, "Hello café Привет שלום مرحبا ★ 😀"), Cue(1, 2, "漢字 and 🦄\u200d\ufe0f\u2060 \u00a0")]
    assert missing_glyphs(cues, CAPTION_FONT, fallbacks=()) == {"漢", "字", "🦄"}  # DejaVu alone
    assert missing_glyphs(cues, CAPTION_FONT) == set()  # the CJK and emoji fonts have them
    # An Egyptian hieroglyph and a rare ideograph (CJK extension B) are in none of the fonts.
    assert missing_glyphs([*cues, Cue(2, 3, "𓀀 and 𠀀 夜")], CAPTION_FONT) == {"𓀀", "𠀀"}


# ----------------------------------------------------------------------------------- property: escaping

OUR_BLOCK = re.compile(r"\\fs\d+\\bord[\d.]+\\shad[\d.]+|\\k\d+|\\fn(mediakit CJK|mediakit Emoji)?")


def shown_text(ass_text: str) -> str:
    """What libass draws for a Dialogue text (WrapStyle 2), read as libass reads it; only our tags allowed."""
    out, i = [], 0
    while i < len(ass_text):
        if ass_text[i] == "{" and "}" in ass_text[i:]:
            end = ass_text.index("}", i)
            assert OUR_BLOCK.fullmatch(ass_text[i + 1 : end]), f"override block in {ass_text!r}"
            i = end + 1
        elif ass_text[i] == "\\" and ass_text[i + 1 : i + 2] in tuple("Nnh{}"):
            out.append({"N": "\n", "n": "\n", "h": "\u00a0"}.get(ass_text[i + 1], ass_text[i + 1]))
            i += 2
        else:
            out.append(ass_text[i])
            i += 1
    return "".join(out).replace(WORD_JOINER, "")


# Escaping hazards, line breaks, wide letters, CJK, combining and spacing marks, no-break spaces, anything.
SPECIAL = "{}\\\n\r Nnhk,:;'\"[]%&<>\t\u2028\u2060\u00a0WM漢か한。「\u0301\u093f\u200d🔥\ufe0f\U0001f3fd"
hostile = st.text(st.one_of(st.sampled_from(list(SPECIAL)), st.characters()), max_size=200)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    texts=st.lists(hostile, min_size=1, max_size=3),
    style=st.sampled_from(STYLES),
    size=st.sampled_from([(1080, 1920), (720, 1280)]),
)
def test_any_text_stays_inside_its_lines_and_shows_as_written(texts, style, size):
    cues = [Cue(2.0 * i, 2.0 * i + 1.5, text) for i, text in enumerate(texts)]
    events = layout(cues, size=size, safe_zone=ZONE, style=style)
    doc = pysubs2.SSAFile.from_string(to_ass(cues, size=size, safe_zone=ZONE, style=style))
    assert len(doc.events) == len(events)
    area = _area(size, ZONE, _LOOKS[style], round(0.055 * size[1]))
    for parsed, event in zip(doc.events, events, strict=True):
        assert parsed.text == event.text  # nothing leaked out of the Dialogue line, commas included
        assert 1 <= len(event.lines) <= 2 and parsed.text.count("\\N") == len(event.lines) - 1
        assert shown_text(parsed.text) == "\n".join(event.lines).replace(WORD_JOINER, "")
        width = _measure(CAPTION_FONT, FALLBACK_FONTS, event.font_size)
        assert all(width(line) <= area.width for line in event.lines)
        assert area.width <= size[0] * (1 - ZONE.left - ZONE.right)
    shown = "".join(ch for e in events for line in e.lines for ch in line if not ch.isspace())
    assert shown == "".join(ch for t in texts for ch in map(_clean, t) if ch and not ch.isspace())


# ------------------------------------------------------------------------------------------------- CLI


def test_check_command(tmp_path):
    srt = "1\n00:00:01,000 --> 00:00:01,300\nHi 漢 𓀀\n\n2\n00:00:05,000 --> 00:00:07,000\nFine\n"
    path = write(tmp_path, srt.encode())
    result = CliRunner().invoke(captions_cli, ["check", str(path), "--duration", "4"])
    assert result.exit_code == 0, result.output
    assert all(rule in result.output for rule in ("min-duration", "outside-window", "missing-glyphs"))
    args = ["check", str(path), "--json", "--start", "1", "--duration", "10"]
    result = CliRunner().invoke(captions_cli, args)
    document = json.loads(result.output)
    assert result.exit_code == 0 and document["schema_version"] == 1 and document["cues"] == 2
    assert {i["rule"] for i in document["issues"]} == {"min-duration", "missing-glyphs"}
    clean = write(tmp_path, b"1\n00:00:01,000 --> 00:00:03,000\nAll good\n", "clean.srt")
    result = CliRunner().invoke(captions_cli, ["check", str(clean)])
    assert result.exit_code == 0 and "ok" in result.output


def test_check_command_on_a_broken_file(tmp_path):
    path = write(tmp_path, b"1\n00:00:01,000 --> 00:0x:02,000\nbroken\n")
    result = CliRunner().invoke(captions_cli, ["check", str(path)])
    assert result.exit_code == 1 and isinstance(result.exception, CaptionError)
    assert "line 2" in result.exception.message
    result = CliRunner().invoke(captions_cli, ["check", str(path), "--json"])
    document = json.loads(result.output)
    assert result.exit_code == 1 and "line 2" in document["error"]["message"] and document["issues"] == []
