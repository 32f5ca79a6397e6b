"""Fuzzing the caption readers over mutated real caption files: a result or a one-line CaptionError, never a
crash, and every timing line in an SRT or WebVTT either read as a cue or reported by its line."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mediakit.captions import CaptionError, lint, missing_glyphs, retime, to_ass
from mediakit.captions.read import _TIMING, _decode, _refuse_binary_formats, parse_caption_file
from mediakit.fonts import CAPTION_FONT
from mediakit.preset import resolve

CLIP = resolve("clip")
FILES = Path(__file__).resolve().parents[1] / "realworld" / "captions" / "files"
SEEDS = [p.read_bytes() for p in sorted(FILES.iterdir()) if p.stat().st_size < 20_000]
SEEDS += [
    b"[Script Info]\n[Events]\n"
    b"Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
    b"Dialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,{\\k20}Hi {\\p1}m 0 0{\\p0}there\n",
    b"<SAMI><BODY><SYNC Start=1000><P>Hi</P></BODY></SAMI>",
    b"{10}{20}hello|world\n{30}{40}bye\n",
    b"[10][25]first\n",
]
PIECES = [b"-->", b"\n", b"\r", b"\n\n", b"\x00", b"WEBVTT\n", b"NOTE ", b"{", b"}", b"\\", b"<", b">", b"&",
          b":",
          b"99:99:99,999", b"\xef\xbb\xbf", b"\xff\xfe", b"[Events]\n", b"Dialogue: ", b"{\\k", b"{\\p1}",
          b"0:00:01.000,0:00:02.000\n", b"00:00:01,000 --> 00:00:00,500\n"]  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 6))):
        if not data:
            data += draw(st.binary(max_size=20))
            continue
        i = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["flip", "insert", "delete", "repeat", "line", "encode"]))
        if op == "flip":
            data[i] = draw(st.integers(0, 255))
        elif op == "insert":
            data[i:i] = draw(st.sampled_from(PIECES))
        elif op == "delete":
            del data[i : draw(st.integers(i, min(len(data), i + 40)))]
        elif op == "repeat":
            data[i:i] = data[i : draw(st.integers(i, min(len(data), i + 200)))] * draw(st.integers(1, 5))
        elif op == "line":
            lines = bytes(data).split(b"\n")
            lines.insert(draw(st.integers(0, len(lines))), lines[draw(st.integers(0, len(lines) - 1))])
            data = bytearray(b"\n".join(lines))
        else:
            try:
                text = bytes(data).decode("utf-8")
                data = bytearray(
                    text.encode(draw(st.sampled_from(["utf-16-le", "utf-32", "cp1252", "utf-16"])))
                )
            except (UnicodeError, ValueError):
                pass
    return bytes(data)


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(mutated())
@example(b"WEBVTT\n\n1\n00:01.000 --> 00:02.000\none\n\n2\n00:03.000 --> 00:04.000\ntwo\n")  # identifiers
@example("1\n00:00:01,000 --> 00:00:02,000\nBonjour café\n".encode("utf-16-le"))  # UTF-16, no BOM
@example(b"1\n00:00:01,000 --> 00:00:02,000\none\n\n2\nno timing\n\n3\n00:00:03,000 --> 00:00:04,000\nx\n")
@example(b"WEBVTT\n\nNOTE\n00:01.000 --> 00:02.000\nA cue whose identifier is NOTE\n")
@example(b"WEBVTT\n\n00:01.000 --> 00:02.000\n\n-->\n")
def test_mutated_caption_files(data: bytes) -> None:
    try:
        _refuse_binary_formats(data, "f")
        result = parse_caption_file(_decode(data, "f"), "f")
    except CaptionError as exc:
        assert "\n" not in exc.message and exc.hint
        return
    assert all(c.end >= c.start and c.text.strip() for c in result.cues)
    if result.format in ("srt", "vtt") and len(result.issues) <= 100:
        text = _decode(data, "f").removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
        timings = [n for n, line in enumerate(text.split("\n"), 1) if _TIMING.match(line)]
        accounted = {c.line for c in result.cues} | {i.line for i in result.issues}
        assert [n for n in timings if n not in accounted] == []  # read, or reported by its line
    # And what the render does with them next.
    cues = retime(result.cues[:40], 0.0, 20.0)
    lint(result.cues[:40], CLIP.captions, (0.0, 20.0))  # type: ignore[arg-type]
    missing_glyphs(cues, CAPTION_FONT)
    to_ass(cues, size=(540, 960), safe_zone=CLIP.safe_zone, style="karaoke")  # type: ignore[arg-type]
