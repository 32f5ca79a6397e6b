"""CJK, emoji and right-to-left captions drawn by the real libass from the bundled fonts: no boxes."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image, ImageDraw

from mediakit.captions import Cue, Word, layout, to_ass
from mediakit.captions.glyphs import font_runs
from mediakit.captions.layout import _pillow_font
from mediakit.fonts import CAPTION_FONT, FALLBACK_FONTS, FONT_DIR
from mediakit.preset import SafeZone, resolve
from mediakit.rendering.clip import ClipOptions, _prepare_captions
from tests.media import FFMPEG

pytestmark = pytest.mark.integration

W, H, FPS = 720, 1280, 30
ZONE: SafeZone = resolve("clip").safe_zone  # type: ignore[assignment]
SAFE = (round(ZONE.left * W), round(W - ZONE.right * W), round(ZONE.top * H), round(H - ZONE.bottom * H))
MIXED = "Night 夜に駆ける 밤하늘 你好 🔥🎧❤️ שלום"
NOWHERE = "𓀀"  # in none of the fonts: libass draws its box


def render(
    tmp_path: Path,
    ass: str,
    frames: list[int],
    colour: str = "black",
    seconds: float = 3.2,
    fonts: Path = FONT_DIR,
) -> list:
    """The chosen frames of a W x H clip of one colour with `ass` burned in, as RGB arrays."""
    (tmp_path / "captions.ass").write_text(ass, encoding="utf-8")
    (tmp_path / "fontsdir").symlink_to(fonts, target_is_directory=True)
    select = "select='" + "+".join(f"eq(n,{i})" for i in frames) + "'"
    source = f"color={colour}:s={W}x{H}:r={FPS}:d={seconds}"
    argv = [FFMPEG, "-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i", source,
            "-vf", f"ass=filename=captions.ass:fontsdir=fontsdir,{select}", "-fps_mode", "passthrough",
            "-c:v", "rawvideo", "-pix_fmt", "rgb24", "frames.nut"]  # fmt: skip
    run = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and not run.stderr.strip(), run.stderr
    with av.open(str(tmp_path / "frames.nut")) as container:
        out = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    assert len(out) == len(frames)
    return out


def crop(mask: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(mask)
    return mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def pillow_mask(text: str, size: int) -> np.ndarray:
    """`text` as Pillow draws it, each run in the font mediakit picks for it: the letters only."""
    paths = [str(CAPTION_FONT), *(str(f.path) for f in FALLBACK_FONTS)]
    image = Image.new("L", (3 * size * (len(text) + 2), 3 * size))
    draw, x = ImageDraw.Draw(image), float(size)
    for k, run in font_runs(text, CAPTION_FONT):
        font = _pillow_font(paths[k], size)
        draw.text((x, size), run, font=font, fill=255)
        x += font.getlength(run)
    return crop(np.asarray(image) > 128)


def likeness(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two ink masks laid on each other, the best within 2 px of their corners
    (libass and Pillow place glyphs on the pixel grid a little differently)."""
    return _best_offset(a, b, lambda pa, pb: (pa & pb).sum() / (pa | pb).sum())


def _best_offset(a: np.ndarray, b: np.ndarray, score: Callable[[np.ndarray, np.ndarray], float]) -> float:
    """The best score of two masks laid on each other with `a` moved up to 2 px either way."""
    h, w = max(a.shape[0], b.shape[0]) + 4, max(a.shape[1], b.shape[1]) + 4
    best = 0.0
    for dy in range(5):
        for dx in range(5):
            pa, pb = np.zeros((h, w), bool), np.zeros((h, w), bool)
            pa[dy : dy + a.shape[0], dx : dx + a.shape[1]], pb[2 : 2 + b.shape[0], 2 : 2 + b.shape[1]] = a, b
            best = max(best, float(score(pa, pb)))
    return best


def test_cjk_emoji_and_hebrew_are_drawn_with_real_glyphs(tmp_path):
    # One glyph (or word) per cue, white on black: the white fill is the glyph, the black outline invisible.
    texts = ["夜", "駆", "け", "밤", "늘", "你", "好", "🔥", "🎧", "❤️", "שלום", NOWHERE]
    cues = [Cue(0.25 * i, 0.25 * (i + 1), t) for i, t in enumerate(texts)]
    events = layout(cues, size=(W, H), safe_zone=ZONE)
    frames = render(
        tmp_path,
        to_ass(cues, size=(W, H), safe_zone=ZONE),
        [round((0.25 * i + 0.1) * FPS) for i in range(len(texts))],
    )
    drawn = {t: crop(frame.min(axis=2) > 128) for t, frame in zip(texts, frames, strict=True)}
    box = drawn[NOWHERE]
    for text, event in zip(texts[:-1], events, strict=False):
        expected = pillow_mask(text, event.font_size)
        # The same shape Pillow draws from the bundled font, within a pixel or two...
        assert (
            abs(drawn[text].shape[0] - expected.shape[0]) <= 3
            and abs(drawn[text].shape[1] - expected.shape[1]) <= 3
        ), text
        assert likeness(drawn[text], expected) > 0.75, (text, likeness(drawn[text], expected))
        # ...and not the box libass draws for a character it has no glyph for.
        assert likeness(drawn[text], box) < 0.5, (text, likeness(drawn[text], box))
    # Right to left: the Hebrew word reversed would not match.
    assert likeness(drawn["שלום"], pillow_mask("שלום"[::-1], events[10].font_size)) < 0.6


@pytest.mark.parametrize("style", ["outline", "box", "karaoke"])
def test_mixed_scripts_stay_inside_the_safe_zone(tmp_path, style):
    cues = [Cue(0.0, 1.5, MIXED), Cue(1.5, 3.0, "「夜に駆ける」は、二〇一九年に公開された楽曲です。🌙")]
    events = layout(cues, size=(W, H), safe_zone=ZONE, style=style)
    assert [len(e.lines) for e in events] == [2, 2]
    frames = render(tmp_path, to_ass(cues, size=(W, H), safe_zone=ZONE, style=style), [2, 22, 44, 47, 88],
                    colour="0x808080")  # fmt: skip
    for image, event in zip(frames, [*events[:1] * 3, *events[1:] * 2], strict=True):
        mask = np.abs(image.astype(np.int16) - 128).max(axis=2) > 2
        ys, xs = np.nonzero(mask)
        left, right, top, bottom = SAFE
        assert left <= xs.min() and xs.max() < right and top <= ys.min() and ys.max() < bottom, style
        assert ys.max() - ys.min() + 1 <= 2 * event.font_size + 2 * 0.18 * event.font_size + 4  # two lines


def test_karaoke_lights_each_word_in_time_whatever_its_font(tmp_path):
    # libass starts a karaoke word at every font change: the 🔥 gets a share of its syllable (1.75-2.0 s)
    # instead of lighting up a whole syllable late, and the words after it keep their times.
    words = (Word("夜に ", 0.0, 1.0), Word("駆ける 🔥 ", 1.0, 2.0), Word("go", 2.0, 3.0))
    cue = Cue(0.0, 3.0, "夜に 駆ける 🔥 go", words)
    times = [0.5, 1.2, 1.9, 2.5]
    ass = to_ass([cue], size=(W, H), safe_zone=ZONE, style="karaoke")
    frames = render(tmp_path, ass, [round(t * FPS) for t in times], colour="0x808080")
    fill = [frame.max(axis=2) > 150 for frame in frames]  # the letters, white or green, not their outline
    cols = np.nonzero(fill[-1].any(axis=0))[0]
    edges = [cols[0], *(b for a, b in pairwise(cols) if b - a > 20), cols[-1] + 1]  # gaps between words
    assert len(edges) == 5
    lit = []
    for frame, letters in zip(frames, fill, strict=True):
        green = letters & (frame[:, :, 1].astype(int) - frame[:, :, 0] > 60)
        lit.append([int(green[:, a:b].sum() > letters[:, a:b].sum() / 2) for a, b in pairwise(edges)])
    assert lit == [[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]]


def test_a_user_font_falls_back_to_the_bundled_cjk_and_emoji_fonts(tmp_path):
    mine = tmp_path / "my font.ttf"
    shutil.copyfile(CAPTION_FONT, mine)  # the same outlines as the default, under the user's name
    drawn = []
    for name, font in (("default", None), ("user", str(mine))):
        work = tmp_path / name
        work.mkdir()
        # What render_clip burns in: the ASS and the fonts folder it hands libass.
        caps = _prepare_captions(ClipOptions(text=MIXED, font=font), resolve("clip"), (W, H), 3.2, work)
        assert caps.ass_path is not None and caps.fonts_dir is not None and not caps.warnings
        [frame] = render(work, caps.ass_path.read_text(encoding="utf-8"), [45], fonts=caps.fonts_dir)
        drawn.append(frame.astype(np.int16))
    assert (drawn[0].max(axis=2) > 128).sum() > 5000  # the caption is there...
    assert np.array_equal(drawn[0], drawn[1])  # ...drawn the same from the user's font folder


USER_FONTS = Path(__file__).resolve().parents[1] / "realworld" / "captions" / "fonts"
SAMPLE = "Hamburgefo"


def pillow_mask_from(path: Path, text: str, size: int) -> np.ndarray:
    """`text` as Pillow draws it from the font file `path`, at the size libass gives `size`."""
    font = _pillow_font(str(path), size)
    image = Image.new("L", (2 * size * (len(text) + 2), 3 * size))
    ImageDraw.Draw(image).text((size, size), text, font=font, fill=255)
    return crop(np.asarray(image) > 128)


def _grow(mask: np.ndarray) -> np.ndarray:
    padded = np.pad(mask, 1)
    h, w = mask.shape
    return np.logical_or.reduce([padded[dy : dy + h, dx : dx + w] for dy in range(3) for dx in range(3)])


def same_letters(a: np.ndarray, b: np.ndarray) -> float:
    """How much of each ink mask lies within a pixel of the other's, the worse of the two, at the best
    offset within 2 px: thin strokes (a Thin or ExtraLight cut) fail intersection over union on a one-pixel
    difference in rasterising, but a different font leaves whole strokes far from the other's."""
    return _best_offset(
        a, b, lambda pa, pb: min((pa & _grow(pb)).sum() / pa.sum(), (pb & _grow(pa)).sum() / pb.sum())
    )


def burn_in(work: Path, font: Path | None, font_name: str | None = None) -> tuple[np.ndarray, int]:
    """The white fill of SAMPLE as render_clip burns it in with --font `font` (and its event's font size);
    `font_name` overrides the name the ASS gives libass, to show what naming the font wrongly does."""
    work.mkdir()
    opts = ClipOptions(text=SAMPLE, font=str(font) if font else None)
    caps = _prepare_captions(opts, resolve("clip"), (W, H), 3.2, work, FFMPEG)  # libass asked too
    assert caps.ass_path is not None and caps.fonts_dir is not None and not caps.warnings
    ass = caps.ass_path.read_text(encoding="utf-8")
    if font_name is not None:
        ass = re.sub(r"^Style: Caption,[^,]*,", f"Style: Caption,{font_name},", ass, flags=re.M)
    event = re.search(r"^Dialogue: .*?\\fs(\d+)", ass, re.M) or re.search(
        r"^Style: Caption,[^,]*,(\d+),", ass, re.M
    )
    assert event is not None and ass.count("\\N") == 0  # one line, at the size it was laid out at
    size = int(event[1])
    [frame] = render(work, ass, [45], fonts=caps.fonts_dir)
    return crop(frame.min(axis=2) > 128), size


@pytest.mark.realworld
@pytest.mark.parametrize(
    "name",
    [
        "DejaVuSans.ttf",  # regular: one family name
        "DejaVuSansCondensed-Bold.ttf",  # bold width cut: legacy family "DejaVu Sans Condensed"
        "DejaVuSans-ExtraLight.ttf",  # weight cut: legacy "DejaVu Sans Light", typographic "DejaVu Sans"
        "EBGaramond08-Regular.ttf",  # optical-size cut: "EB Garamond 08" vs "EB Garamond"
        "Cantarell-Thin.otf",  # weight cuts of a variable family's static instances (CFF outlines)
        "Cantarell-ExtraBold.otf",
    ],
)
def test_the_font_named_by_font_is_the_font_drawn(tmp_path, name):
    from PIL import ImageFont

    from mediakit.fonts import font_names

    path = USER_FONTS / name
    drawn, size = burn_in(tmp_path / "mine", path)
    expected = pillow_mask_from(path, SAMPLE, size)
    assert same_letters(drawn, expected) > 0.95, (name, same_letters(drawn, expected))
    # Not the default caption font, whose letters would pass for any sans-serif.
    default, _ = burn_in(tmp_path / "default", None)
    assert same_letters(default, expected) < 0.85, (name, same_letters(default, expected))
    names = font_names(path)
    assert names is not None
    pillow_family = ImageFont.truetype(str(path), 20).getname()[0]
    if pillow_family != names.family:
        # The defect this holds: named by Pillow's (typographic) family, libass draws another font.
        before, _ = burn_in(tmp_path / "before", path, font_name=pillow_family)
        assert same_letters(before, expected) < 0.85, (name, same_letters(before, expected))


@pytest.mark.realworld
def test_libass_says_which_face_it_draws_for_a_name(tmp_path):
    from mediakit.fonts import libass_choice

    fonts = tmp_path / "fonts"
    fonts.mkdir()
    shutil.copyfile(USER_FONTS / "EBGaramond08-Regular.ttf", fonts / "font.ttf")
    # Its full name picks it; its typographic family, the name Pillow gives, picks some other font.
    assert libass_choice(FFMPEG, fonts, "EB Garamond 08 Regular") == "EBGaramond08-Regular"
    assert libass_choice(FFMPEG, fonts, "EB Garamond") not in (None, "EBGaramond08-Regular")


@pytest.mark.realworld
def test_a_variable_font_is_drawn_at_its_default_instance(tmp_path):
    # A variable font (fvar: weight 200-900, default 389.3, not one of its named instances) is one face to
    # libass, which picks it by its name and never sets variation coordinates, so FreeType gives it the
    # default instance; Pillow, the independent reader, draws the same instance from the file by default.
    from PIL import ImageFont

    from mediakit.captions.layout import _font_metrics

    path = USER_FONTS / "AdobeVFPrototype.ttf"
    axes = ImageFont.truetype(str(path), 20).get_variation_axes()  # OSError for a font without fvar
    weight = axes[0]  # the first axis, wght
    assert (weight["minimum"], weight["default"], weight["maximum"]) == (200, 389, 900)
    drawn, size = burn_in(tmp_path / "mine", path)
    expected = pillow_mask_from(path, SAMPLE, size)
    assert same_letters(drawn, expected) > 0.95, same_letters(drawn, expected)
    # Ink is the measure of weight that letter shapes are not: within 3% of the default instance's.
    assert abs(drawn.sum() / expected.sum() - 1) < 0.03, drawn.sum() / expected.sum()
    default, _ = burn_in(tmp_path / "default", None)
    assert same_letters(default, expected) < 0.85, same_letters(default, expected)
    # The font's named instances a step or more from the default fail one measure or the other (Regular,
    # wght 400, is 11 units from the default: at caption size the two are the same pixels, give or take one).
    for name in (b"ExtraLight", b"Light", b"Semibold", b"Bold", b"Black"):
        font = ImageFont.truetype(str(path), size / _font_metrics(str(path))[0])  # not the cached default
        font.set_variation_by_name(name)
        image = Image.new("L", (2 * size * (len(SAMPLE) + 2), 3 * size))
        ImageDraw.Draw(image).text((size, size), SAMPLE, font=font, fill=255)
        other = crop(np.asarray(image) > 128)
        assert same_letters(drawn, other) < 0.95 or abs(drawn.sum() / other.sum() - 1) > 0.2, name
