"""Caption reading as the formats are specified: every cue of the source is read, or reported by its line."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from mediakit.captions import (
    MAX_FILE_BYTES,
    CaptionError,
    Cue,
    lint,
    parse_caption_file,
    parse_captions,
    read_captions,
    retime,
)
from mediakit.cli.captions import captions as captions_cli
from mediakit.preset import CaptionRules, resolve

RULES: CaptionRules = resolve("clip").captions  # type: ignore[assignment]


def texts(cues):
    return [c.text for c in cues]


def not_shown(result):
    return [(i.line, i.rule) for i in result.issues]


# ------------------------------------------------------------------------------------------------ WebVTT


def test_webvtt_identifiers_are_labels_not_text_and_no_cue_is_lost():
    # The defect: the identifier line of each cue popped the last text line of the cue before it.
    vtt = "WEBVTT\n\n1\n00:01.000 --> 00:02.000\none\n\nintro\n00:03.000 --> 00:04.000\ntwo\n\n" + "".join(
        f"c{i}\n00:{i + 10:02d}.000 --> 00:{i + 11:02d}.000\nline {i}\n\n" for i in range(4)
    )
    result = parse_caption_file(vtt)
    assert texts(result.cues) == ["one", "two", "line 0", "line 1", "line 2", "line 3"]
    assert [c.label for c in result.cues] == ["1", "intro", "c0", "c1", "c2", "c3"]
    assert [c.line for c in result.cues] == [4, 8, 12, 16, 20, 24] and result.issues == ()


def test_webvtt_spec_features():
    vtt = (
        "\ufeffWEBVTT\tKind: captions\r\nLanguage: en\r\n\r\nREGION\r\nid:fred width:40%\r\n\r\n"
        "STYLE\r\n::cue { color: red }\r\n\r\nNOTE this is\r\na comment\r\n\r\n"
        "00:01.000 --> 00:02.500 region:fred align:start line:0%\r\n<v.loud Bob>Hi</v> &amp; <i>bye</i>\r\n"
        "second &lt;line&gt;&nbsp;x\r\n\r\n\r\n\r\n01:02:03.004 --> 01:02:04.000\r\n<c.yellow>Two</c>\r\n"
    )
    cues = parse_captions(vtt)
    assert cues == (Cue(1.0, 2.5, "Hi & bye\nsecond <line>\u00a0x"), Cue(3723.004, 3724.0, "Two"))


def test_webvtt_blocks_that_are_not_shown_are_reported_by_line():
    vtt = (
        "WEBVTT\n\n00:01.000 --> 00:02.000\none\n\nlost text, no timing\n\n"  # block with no timing: line 6
        "00:03.000 --> 00:04.000\n\n"  # a cue without text: line 8
        "00:05.000 --> 00:06.000\nfive\nlove --> hate\nand more\n\n"  # "-->" ends the cue (spec): line 12
        "00:08.000 --> 00:07.000\nbackwards\n\n"  # line 15
        "00:09.000 --> 00:10.000\nlast\n"
    )
    result = parse_caption_file(vtt, "song.vtt")
    assert texts(result.cues) == ["one", "five", "last"]
    assert not_shown(result) == [(6, "not-shown"), (8, "not-shown"), (12, "not-shown"), (15, "not-shown")]
    assert all(i.message.startswith(f"song.vtt, line {i.line}: ") and i.hint for i in result.issues)


def test_webvtt_after_blank_lines_keeps_its_line_numbers():
    result = parse_caption_file("\n\nWEBVTT\n\n00:01.000 --> 00:02.000\none\n\nstray\n")
    assert result.format == "vtt" and [c.line for c in result.cues] == [5] and result.issues[0].line == 8


def test_webvtt_timing_on_the_line_after_two_text_lines_starts_a_new_block():
    # No blank line between cues: the W3C parser takes a "-->" line after line 2 of a block as a new block.
    result = parse_caption_file("WEBVTT\n\n00:01.000 --> 00:02.000\na\nb\n00:03.000 --> 00:04.000\nc\n")
    assert texts(result.cues) == ["a\nb", "c"] and result.issues == ()


# --------------------------------------------------------------------------------------------------- SRT


def test_srt_indices_missing_or_out_of_order_are_labels():
    srt = "7\n00:00:01,000 --> 00:00:02,000\nseven\n\n00:00:03,000 --> 00:00:04,000\nno number\n\n" + (
        "2\n00:00:05,000 --> 00:00:06,000\n1999\nyear line\n"
    )
    result = parse_caption_file(srt)
    assert texts(result.cues) == ["seven", "no number", "1999\nyear line"]
    assert [c.label for c in result.cues] == ["7", "", "2"] and result.issues == ()


def test_srt_cue_without_timing_is_reported_not_merged():
    srt = "1\n00:00:01,000 --> 00:00:02,000\none\n\n2\nno timing here\n\n"
    srt += "3\n00:00:03,000 --> 00:00:04,000\nthree\n"
    result = parse_caption_file(srt, "a.srt")
    assert texts(result.cues) == ["one", "three"]
    [issue] = result.issues
    assert issue.line == 5 and "cue 2 has no timing line" in issue.message


def test_srt_text_after_a_blank_line_is_kept_and_reported_and_stray_text_too():
    srt = "intro words\n\n1\n00:00:01,000 --> 00:00:02,000\nfirst\n\nstill first\n\n\n"
    srt += "2\n00:00:03,000 --> 00:00:04,000\n"
    result = parse_caption_file(srt, "a.srt")
    assert texts(result.cues) == ["first\nstill first"]
    assert [i.line for i in result.issues] == [1, 7, 11]  # before the first cue; the blank; cue 2's no text
    assert "cue 2 has no text" in result.issues[2].message


def test_lint_names_cues_by_their_source_number_and_line():
    srt = "10\n00:00:01,000 --> 00:00:01,200\nhi\n\n11\n00:00:01,100 --> 00:00:03,000\nover\n"
    cues = parse_captions(srt)
    messages = [i.message for i in lint(cues, RULES)]
    assert messages[0].startswith("cue 10 (line 2) at 0:01.00: on screen for 0.20 s")
    assert messages[1].startswith("cue 11 (line 6) at 0:01.10: overlaps cue 10 (line 2)")
    assert [i.line for i in lint(cues, RULES)] == [2, 6]
    assert [c.label for c in retime(cues, 1.0, 5.0)] == ["10", "11"]  # still named so after retiming


# ------------------------------------------------------------------------------------- other formats


def test_sbv_is_read():
    sbv = "0:00:01.000,0:00:02.500\nHello\nthere\n\n0:00:03.000,0:00:04.000\nworld\n"
    result = parse_caption_file(sbv)
    assert result.format == "sbv" and result.cues == (Cue(1.0, 2.5, "Hello\nthere"), Cue(3.0, 4.0, "world"))


def test_formats_pysubs2_reads_are_accepted():
    sami = (
        "<SAMI><BODY><SYNC Start=1000><P Class=ENCC>Hello<br>world</P>"
        "<SYNC Start=2500><P Class=ENCC>&nbsp;</P><SYNC Start=3000><P Class=ENCC>Bye</P>"
        "<SYNC Start=4000><P Class=ENCC>&nbsp;</P></BODY></SAMI>"
    )
    result = parse_caption_file(sami)
    assert result.format == "sami" and texts(result.cues)[:1] == ["Hello\nworld"]
    mpl2 = "[10][25]first|second\n[30][40]third\n"
    assert parse_caption_file(mpl2).cues == (Cue(1.0, 2.5, "first\nsecond"), Cue(3.0, 4.0, "third"))


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ("[00:12.00]Line one\n[00:17.20]Line two\n", "is LRC lyrics"),
        ("Scenarist_SCC V1.0\n\n00:00:00:22\t9420 9420\n", "is Scenarist SCC"),
        ("just words\n", "is not SRT, WebVTT, SBV or ASS captions"),
    ],
)
def test_other_formats_are_refused_by_name(data, named):
    with pytest.raises(CaptionError, match=named) as info:
        parse_captions(data, "x")
    assert "\n" not in info.value.message and info.value.hint


def test_ebu_stl_is_refused_by_name(tmp_path):
    path = tmp_path / "news.stl"
    path.write_bytes(b"850STL25.01" + bytes(1024 - 11))
    with pytest.raises(CaptionError, match="is EBU STL"):
        read_captions(path)


# --------------------------------------------------------------------------------------------------- CLI


def test_check_reports_every_file_even_when_one_is_junk(tmp_path):
    good = tmp_path / "good.srt"
    good.write_text("1\n00:00:01,000 --> 00:00:03,000\nAll good\n", encoding="utf-8")
    junk = tmp_path / "junk.srt"
    junk.write_bytes(bytes(range(256)) * 64)
    utf16 = tmp_path / "utf16.srt"
    utf16.write_bytes("1\n00:00:01,000 --> 00:00:03,000\nBonjour café\n".encode("utf-16-le"))  # no BOM
    lost = tmp_path / "lost.vtt"
    lost.write_text("WEBVTT\n\n00:01.000 --> 00:03.000\nok\n\nno timing\n", encoding="utf-8")
    huge = tmp_path / "huge.srt"
    with huge.open("wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)
    files = [str(p) for p in (junk, good, utf16, lost, huge, tmp_path, tmp_path / "missing.srt")]
    result = CliRunner().invoke(captions_cli, ["check", *files])
    assert result.exit_code == 1 and "too big" in result.output and "not a regular file" in result.output
    assert "good.srt: 1 cue(s)" in result.output and "utf16.srt: 1 cue(s)" in result.output
    assert "lost.vtt, line 6: 'no timing' has no cue timing" in result.output
    result = CliRunner().invoke(captions_cli, ["check", *files, "--json"])
    document = json.loads(result.stdout)
    assert [f["cues"] for f in document["files"]] == [0, 1, 1, 1, 0, 0, 0] and "error" in document["files"][0]
    assert document["files"][3]["issues"][0]["line"] == 6


def test_a_flood_of_broken_blocks_is_counted_not_listed():
    vtt = "WEBVTT\n\n00:01.000 --> 00:02.000\nok\n\n" + "".join(f"stray {i}\n\n" for i in range(500))
    result = parse_caption_file(vtt)
    assert len(result.cues) == 1 and len(result.issues) == 101
    assert result.issues[-1].message.startswith("<captions>, line 1004: 400 more part(s) not shown, the last")


WESTERN = ["Naïve café", "Déjà vu — “quotes” €", "Ça va bien", "Über alles für Grüße"]


@pytest.mark.parametrize(
    ("encoding", "lines"),
    [
        ("utf-16-le", ["plain ascii", "no BOM"]),  # was read as UTF-8 with NULs: "not a text file"
        ("utf-16-be", ["plain", "Привет"]),
        ("utf-32-le", ["x", "y"]),
        ("utf-32-be", ["宇宙", "z"]),
        ("cp1252", WESTERN),  # was read as cp1257: "Naļve"
        ("cp1252", WESTERN[:1]),
        ("cp1250", ["Zażółć gęślą jaźń", "Příliš žluťoučký kůň", "úpěl ďábelské ódy", "Łódź Kraków"]),
        ("cp1251", ["Привет мир", "Как дела у тебя сегодня", "Я иду домой", "Это очень хорошо"]),
        ("gb2312", ["宇宙守护神", "保护我们远离邪恶", "他能徒手抓住子弹", "轻轻一跳就能飞跃高楼"]),
    ],
)
def test_encodings_without_a_bom(encoding, lines):
    from mediakit.captions.read import _decode

    srt = "".join(f"{i + 1}\n00:00:0{i},000 --> 00:00:0{i},900\n{line}\n\n" for i, line in enumerate(lines))
    assert _decode(srt.encode(encoding), "f") == srt
