"""Captions burned in by the real ffmpeg (libass): timing, safe zone, hostile text, karaoke, in pixels."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image, ImageDraw

from mediakit.captions import Cue, Word, layout, load_captions, missing_glyphs, retime, to_ass
from mediakit.captions.glyphs import font_runs
from mediakit.fonts import CAPTION_FONT, FALLBACK_FONTS, FONT_DIR
from mediakit.preset import SafeZone, resolve
from tests.media import FFMPEG

pytestmark = pytest.mark.integration

W, H, FPS = 1080, 1920, 30
ZONE: SafeZone = resolve("clip").safe_zone  # type: ignore[assignment]
SAFE = (round(ZONE.left * W), round(W - ZONE.right * W), round(ZONE.top * H), round(H - ZONE.bottom * H))
GREY = 128  # a box or a dark outline is invisible on black


def render(tmp_path: Path, ass: str, frames: Iterable[int], grey: bool = False) -> dict[int, np.ndarray]:
    """The chosen frames (by index) of a 4 s 1080x1920 colour clip with `ass` burned in, as RGB arrays."""
    (tmp_path / "captions.ass").write_text(ass, encoding="utf-8")
    if not (tmp_path / "fonts").exists():
        (tmp_path / "fonts").symlink_to(FONT_DIR, target_is_directory=True)
    wanted = sorted(set(frames))
    select = "select='" + "+".join(f"eq(n,{i})" for i in wanted) + "'"
    colour = "0x808080" if grey else "black"
    # Relative names in the working directory: no path inside the filter arguments, so nothing to escape.
    source = f"color={colour}:s={W}x{H}:r={FPS}:d=4"
    argv = [FFMPEG, "-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i", source,
            "-vf", f"ass=filename=captions.ass:fontsdir=fonts,{select}", "-fps_mode", "passthrough",
            "-c:v", "rawvideo", "-pix_fmt", "rgb24", "frames.nut"]  # fmt: skip
    run = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and not run.stderr.strip(), run.stderr
    out = {}
    with av.open(str(tmp_path / "frames.nut")) as container:
        for frame in container.decode(video=0):
            out[round(float(frame.time or 0) * FPS)] = frame.to_ndarray(format="rgb24")
    assert sorted(out) == wanted
    return out


def ink(frame: np.ndarray, grey: bool = False) -> np.ndarray:
    return np.abs(frame.astype(np.int16) - (GREY if grey else 0)).max(axis=2) > (2 if grey else 0)


def bbox(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(xs.max()), int(ys.min()), int(ys.max())


def assert_inside_safe_zone(mask: np.ndarray) -> None:
    x0, x1, y0, y1 = bbox(mask)
    left, right, top, bottom = SAFE
    assert left <= x0 and x1 < right and top <= y0 and y1 < bottom, ((x0, x1, y0, y1), SAFE)


def frame_at(seconds: float) -> int:
    return round(seconds * FPS)


def test_a_caption_shows_during_its_cue_and_not_outside_it(tmp_path):
    cues = retime([Cue(11.0, 12.0, "Hello, world"), Cue(30.0, 31.0, "never")], start=10.0, duration=4.0)
    frames = render(tmp_path, to_ass(cues, size=(W, H), safe_zone=ZONE), [0, 29, 30, 45, 59, 60, 90])
    assert [f for f, image in frames.items() if ink(image).any()] == [30, 45, 59]


@pytest.mark.parametrize("style", ["outline", "box", "karaoke"])
def test_every_caption_pixel_stays_inside_the_safe_zone(tmp_path, style):
    cues = [
        Cue(0.0, 1.0, "Two lines here\nWqjy gÉÅ descenders"),
        Cue(
            1.0, 3.0, "This lyric goes on and on and never seems to stop at all " * 4
        ),  # shrinks, then splits
        Cue(3.0, 4.0, "WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW مرحبا שלום"),
    ]
    events = layout(cues, size=(W, H), safe_zone=ZONE, style=style)
    assert sum(1 for e in events if 1.0 <= e.start < 3.0) > 1 and all(len(e.lines) <= 2 for e in events)
    wanted = [frame_at((e.start + e.end) / 2) for e in events] + [frame_at(e.start) for e in events]
    frames = render(tmp_path, to_ass(cues, size=(W, H), safe_zone=ZONE, style=style), wanted, grey=True)
    for image in frames.values():
        mask = ink(image, grey=True)
        assert mask.any()
        assert_inside_safe_zone(mask)
    two_lines = ink(frames[frame_at(0.5)], grey=True)
    _, _, y0, y1 = bbox(two_lines)
    assert y1 > SAFE[3] - 0.05 * H and y1 - y0 > 1.5 * round(0.055 * H) * 0.7  # at the bottom, two lines tall


HOSTILE = [
    'It\'s "quoted": [x] 100%,,',
    "back\\slash \\N \\h \\{ } {\\an8}{\\b0}",
    "no \\N break",
    "Arabic مرحبا بالعالم",
    "Hebrew שלום עולם",
    "emoji 😀 and 漢字 🦄 Latin",
    "{\\fnArial}漢 {\\fn}x \\fnArial",
]


def test_hostile_text_renders_as_written_at_the_bottom(tmp_path):
    srt = tmp_path / "top.srt"
    srt.write_text("1\n00:00:03,500 --> 00:00:04,000\n{\\an8}Not at the top\n", encoding="utf-8")
    cues = [Cue(0.5 * i, 0.5 * i + 0.5, text) for i, text in enumerate(HOSTILE)] + list(load_captions(srt))
    assert cues[-1].text == "Not at the top"
    assert not missing_glyphs(cues, CAPTION_FONT)  # 漢字 and 🦄 from the fallback fonts
    events = layout(cues, size=(W, H), safe_zone=ZONE)
    assert len(events) == len(cues)
    frames = render(
        tmp_path, to_ass(cues, size=(W, H), safe_zone=ZONE), [frame_at(c.start + 0.25) for c in cues]
    )
    for cue, event, image in zip(cues, events, frames.values(), strict=True):
        mask = ink(image)
        assert mask.any(), cue.text
        assert_inside_safe_zone(mask)
        x0, x1, y0, y1 = bbox(mask)
        assert y0 > H / 2, cue.text  # nothing became an {\an8}
        lines, size = len(event.lines), event.font_size
        assert (lines - 1) * size < y1 - y0 + 1 <= lines * size, cue.text  # no "\N" became a line break
        # Every character drawn, none swallowed as a tag: the white letters (the black outline does not show
        # on black) are as wide as Pillow draws the text, each run in its own font.
        widths = [_ink_width(line, event.font_size) for line in event.lines]
        assert abs((x1 - x0 + 1) - max(widths)) < 0.02 * max(widths), (cue.text, x1 - x0 + 1, widths)


def _ink_width(line: str, size: int) -> int:
    from mediakit.captions.layout import _pillow_font

    paths = [str(CAPTION_FONT), *(str(f.path) for f in FALLBACK_FONTS)]
    image = Image.new("L", (4 * size * (len(line) + 2), 3 * size))
    draw, x = ImageDraw.Draw(image), float(size)
    for k, run in font_runs(line, CAPTION_FONT):
        font = _pillow_font(paths[k], size)
        draw.text((x, size), run, font=font, fill=255)
        x += font.getlength(run)
    box = image.getbbox()
    assert box is not None
    return box[2] - box[0]


def test_karaoke_words_light_up_as_they_are_sung(tmp_path):
    words = (Word("one ", 0.5, 1.0), Word("two ", 1.0, 2.0), Word("three", 2.0, 3.0))
    cue = Cue(0.5, 3.5, "one two three", words)
    frames = render(tmp_path, to_ass([cue], size=(W, H), safe_zone=ZONE, style="karaoke"), [21, 96])

    def colour(image: np.ndarray, part: slice) -> np.ndarray:
        x0, x1, y0, y1 = bbox(ink(image))
        region = image[y0 : y1 + 1, x0 : x1 + 1][:, part].reshape(-1, 3).astype(float)
        return region[region.max(axis=1) > 150].mean(axis=0)  # the letters, not their dark outline

    early, late = frames[21], frames[96]
    first, last = slice(0, 100), slice(-150, None)  # "one" and "three"
    assert colour(early, first)[1] - colour(early, first)[0] > 60  # "one" is being sung: green
    assert colour(early, last).min() > 200  # "three" not yet: white
    assert colour(late, last)[1] - colour(late, last)[0] > 60  # sung: green


REALWORLD = Path(__file__).resolve().parents[1] / "realworld" / "captions" / "files"


@pytest.mark.realworld
def test_every_cue_of_a_real_webvtt_file_with_identifiers_is_burned_in(tmp_path):
    from mediakit.rendering.clip import ClipOptions, _prepare_captions

    # webvtt-py's test file: six cues, two with identifier lines; mediakit used to lose cues 1 and 3.
    path = REALWORLD / "webvtt-py_using_identifiers.vtt"
    size, seconds, fps = (540, 960), 28.0, 2
    caps = _prepare_captions(ClipOptions(captions=str(path)), resolve("clip"), size, seconds, tmp_path)
    assert caps.ass_path is not None and caps.fonts_dir is not None
    cues = load_captions(path)
    assert len(cues) == 6  # as webvtt-py reads it (tests/realworld/captions/expected.json)
    wanted = [round((c.start + c.end) / 2 * fps) for c in cues]
    select = "+".join(f"eq(n,{i})" for i in wanted)
    source = f"color=black:s={size[0]}x{size[1]}:r={fps}:d={seconds}"
    argv = [FFMPEG, "-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i", source,
            "-vf", f"select='{select}',ass=filename=captions.ass:fontsdir={caps.fonts_dir}", "-fps_mode",
            "passthrough", "-c:v", "rawvideo", "-pix_fmt", "rgb24", "frames.nut"]  # fmt: skip
    run = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and not run.stderr.strip(), run.stderr
    with av.open(str(tmp_path / "frames.nut")) as container:
        ink = [int((f.to_ndarray(format="rgb24").min(axis=2) > 128).sum()) for f in container.decode(video=0)]
    assert len(ink) == 6 and min(ink) > 500, ink  # every cue's text is on screen in its own time


@pytest.mark.realworld
def test_a_block_without_timing_reaches_the_clip_result_as_an_issue(tmp_path):
    from mediakit.rendering.clip import ClipOptions, _prepare_captions

    path = REALWORLD / "webvtt-py_missing_timeframe.vtt"
    caps = _prepare_captions(ClipOptions(captions=str(path)), resolve("clip"), (540, 960), 28.0, tmp_path)
    [issue] = [i for i in caps.issues if i.rule == "not-shown"]
    assert issue.line == 6 and "'Caption text #2' has no cue timing" in issue.message
