"""What analysis.regions finds on generated pictures: the text lines Pillow drew (and nothing on textures),
and where spectral-residual saliency points."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from mediakit.analysis.regions import analyse_still, saliency, text_lines
from tests.integration.test_framing_stills import _background, _text


def _iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


@pytest.mark.parametrize(
    ("size", "lines"),
    [
        ((1000, 1000), [("MIDNIGHT VOYAGE", 0.76, 0.05), ("Coastline Lights", 0.65, 0.87)]),
        ((1000, 1000), [("MIDNIGHT", 0.30, 0.20), ("Lights", 0.22, 0.62)]),
        ((1920, 1080), [("SUMMER TOUR", 0.25, 0.12)]),
        ((1200, 1500), [("The Quiet Hours", 0.5, 0.45)]),
    ],
)
def test_the_text_lines_drawn_are_found_and_nothing_else(size, lines):
    im = _background(size, seed=3)
    draw = ImageDraw.Draw(im)
    drawn = [_text(draw, text, width, top, size) for text, width, top in lines]
    found = [r for r in analyse_still(np.asarray(im)).regions if r.kind == "text"]
    assert len(found) == len(drawn), found
    for box in drawn:
        assert max(_iou(box, r.box) for r in found) >= 0.5, (box, found)


def _bricks() -> np.ndarray:
    b = np.full((800, 800, 3), 180, np.uint8)
    for r in range(0, 800, 40):
        off = 0 if (r // 40) % 2 == 0 else 40
        for c in range(-off, 800, 80):
            b[r + 4 : r + 36, max(0, c + 4) : max(0, c + 76)] = (150 + (r * 7 + c) % 60, 60, 40)
    return b


@pytest.mark.parametrize(
    "picture",
    [
        pytest.param(lambda: np.asarray(_background((1000, 1000), seed=5)), id="smooth"),
        pytest.param(
            lambda: np.random.default_rng(1).integers(0, 255, (900, 900, 3), dtype=np.uint8), id="noise"
        ),
        pytest.param(_bricks, id="bricks"),
        pytest.param(
            lambda: (
                np.kron((np.indices((16, 16)).sum(axis=0) % 2) * 255, np.ones((50, 50)))
                .astype(np.uint8)[..., None]
                .repeat(3, axis=2)
            ),
            id="checkerboard",
        ),
    ],
)
def test_textures_hold_no_text_and_no_face(picture):
    assert analyse_still(picture()).regions == ()


def test_a_line_of_dots_is_not_text():
    """Round blobs in a row (solid: their stroke is their height) are not letters."""
    grey = np.full((400, 800), 200, np.uint8)
    im = Image.fromarray(grey)
    draw = ImageDraw.Draw(im)
    for i in range(10):
        draw.ellipse((50 + i * 70, 180, 90 + i * 70, 220), fill=30)
    assert text_lines(np.asarray(im)) == []


def test_saliency_points_at_the_odd_one_out():
    rng = np.random.default_rng(0)
    x = np.arange(512)[None, :]
    grey = (128 + 40 * np.sin(x / 6.0) + rng.normal(0, 5, (512, 512))).clip(0, 255).astype(np.uint8)
    grey[300:340, 60:100] = 250  # one bright square on a grained grating: the odd one out
    sal = saliency(grey)
    assert sal.shape == (64, 64) and sal.max() == pytest.approx(1.0)
    y, x = np.unravel_index(np.argmax(sal), sal.shape)
    assert abs(x - 80 / 8) <= 3 and abs(y - 320 / 8) <= 3


def test_the_analysis_is_deterministic():
    im = _background((1000, 1000), seed=9)
    _text(ImageDraw.Draw(im), "MIDNIGHT VOYAGE", 0.7, 0.1, (1000, 1000))
    rgb = np.asarray(im)
    a, b = analyse_still(rgb), analyse_still(rgb.copy())
    assert a.regions == b.regions and np.array_equal(a.saliency, b.saliency)


@pytest.mark.parametrize(
    ("seed", "text", "xy", "size"),
    [
        (2, "the quiet hours", (750, 750), 100),
        (2, "ORBIT", (1000, 900), 110),
        (1, "KORA", (300, 120), 150),
    ],
)
def test_a_title_over_shapes_is_found_whole(seed, text, xy, size):
    """Letters over discs of other colours: a region behind the word must not stand for (and hide) the
    letters, which found "ORA" for "KORA" and nothing of "the quiet hours" (review of #14)."""
    import random

    from PIL import ImageFont

    from mediakit.fonts import CAPTION_FONT

    im = Image.new("RGB", (1500, 1500), (40, 30, 120))
    d = ImageDraw.Draw(im)
    rng = random.Random(seed)
    for _ in range(30):
        x, y, r = rng.randrange(1500), rng.randrange(1500), rng.randrange(20, 200)
        d.ellipse((x - r, y - r, x + r, y + r), fill=(rng.randrange(100, 255), 0, rng.randrange(100, 255)))
    font = ImageFont.truetype(str(CAPTION_FONT), size)
    d.text(xy, text, font=font, fill=(0, 255, 0), anchor="mm")
    drawn = d.textbbox(xy, text, font=font, anchor="mm")
    found = [r.box for r in analyse_still(np.asarray(im)).regions if r.kind == "text"]
    assert any(_iou(box, drawn) >= 0.6 for box in found), (drawn, found)
