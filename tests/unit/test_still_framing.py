"""--fit auto's still geometry: what a crop keeps inside the safe zone in every frame, else blur (pure)."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mediakit.rendering.framing import (
    Framing,
    Keep,
    blur_layout,
    camera_windows,
    choose_still_framing,
    crop_box,
)

CANVAS_SAFE = (0.08, 0.15, 0.06, 0.06)  # spotify-canvas: top, bottom, left, right
OUT = (1080, 1920)
FRAMES = 60
ALL_FITS = ("auto", "crop", "blur", "pad")
EPS = 1e-6


def _stage_box(box: tuple[float, ...], src: tuple[int, int], framing: Framing) -> tuple[float, ...]:
    """A source box in stage fractions, as still.fit_stage places the picture."""
    if framing.fit == "crop":
        x, y, w, h = crop_box(src, OUT[0] / OUT[1], framing.focus)
        return ((box[0] - x) / w, (box[1] - y) / h, (box[2] - x) / w, (box[3] - y) / h)
    x0, y0, x1, y1 = blur_layout(src, OUT, framing.fg_scale)
    sw, sh = src
    return (
        x0 + box[0] / sw * (x1 - x0),
        y0 + box[1] / sh * (y1 - y0),
        x0 + box[2] / sw * (x1 - x0),
        y0 + box[3] / sh * (y1 - y0),
    )


def _outside(box: tuple[float, ...], motion: str, zoom: float, anchor: tuple[float, float]) -> list[int]:
    """The frames whose window's safe part does not hold `box` (stage fractions)."""
    top, bottom, left, right = CANVAS_SAFE
    bad = []
    for i, (cx, cy, w) in enumerate(camera_windows(motion, FRAMES, zoom, anchor)):
        x0, y0 = cx - w / 2, cy - w / 2
        if not (
            box[0] >= x0 + left * w - EPS
            and box[2] <= x0 + (1 - right) * w + EPS
            and box[1] >= y0 + top * w - EPS
            and box[3] <= y0 + (1 - bottom) * w + EPS
        ):
            bad.append(i)
    return bad


def test_windows_stay_inside_the_stage_for_any_anchor():
    for anchor in [(0.0, 0.0), (1.0, 1.0), (0.2, 0.9), (0.5, 0.5)]:
        for motion in ("push-in", "pull-out", "drift", "static"):
            for cx, cy, w in camera_windows(motion, FRAMES, 1.3, anchor):
                assert cx - w / 2 >= -EPS and cx + w / 2 <= 1 + EPS
                assert cy - w / 2 >= -EPS and cy + w / 2 <= 1 + EPS


def test_a_centred_push_in_is_todays_path():
    """Anchor (0.5, 0.5): the window stays centred, as before anchors existed; the loop closes."""
    windows = camera_windows("push-in", FRAMES, 1.12, (0.5, 0.5))
    assert all(cx == 0.5 and cy == 0.5 for cx, cy, _ in windows)
    assert windows[0][2] == 1.0 and min(w for *_, w in windows) == pytest.approx(1 / 1.12)
    assert windows[1] == windows[-1]  # symmetric: frame i and frames - i share a window


def test_the_anchor_is_the_point_that_stays_put():
    """Zooming towards a point leaves that point where it is on the screen in every frame."""
    anchor = (0.2, 0.7)
    for cx, cy, w in camera_windows("push-in", FRAMES, 1.4, anchor):
        assert (anchor[0] - (cx - w / 2)) / w == pytest.approx(anchor[0])
        assert (anchor[1] - (cy - w / 2)) / w == pytest.approx(anchor[1])


def test_wide_text_on_a_square_cover_is_blurred_with_the_line_named():
    """The issue's cover: the band name across the top and the title across the bottom."""
    keep = (
        Keep((119, 40, 880, 94), "the text line across the top (76% of the width)"),
        Keep((173, 880, 826, 951), "the text line across the bottom (65% of the width)"),
    )
    framing = choose_still_framing((1000, 1000), OUT, keep, CANVAS_SAFE, "push-in", 1.12, ALL_FITS)
    assert framing.fit == "blur"
    assert "the text line across the top (76% of the width) is wider than the safe part" in framing.why
    # The whole picture stays inside the safe zone at the tightest zoom, and in every other frame.
    whole = _stage_box((0, 0, 1000, 1000), (1000, 1000), framing)
    assert not _outside(whole, "push-in", 1.12, framing.anchor)
    assert framing.fg_scale < 1.0  # today's blur fills the width: 5.4 % of each side cut at the peak


def test_a_face_off_centre_is_cropped_and_zoomed_towards():
    face = Keep((100, 300, 300, 520), "the face at the left")
    framing = choose_still_framing((1600, 1200), OUT, (face,), CANVAS_SAFE, "push-in", 1.12, ALL_FITS)
    assert framing.fit == "crop"
    assert framing.focus[0] < 0.2  # the crop slides to the face
    assert not _outside(_stage_box(face.box, (1600, 1200), framing), "push-in", 1.12, framing.anchor)
    assert "the face at the left stays inside the safe zone" in framing.why


def test_no_regions_is_a_full_bleed_crop_near_the_centre():
    framing = choose_still_framing((1000, 1000), OUT, (), CANVAS_SAFE, "push-in", 1.12, ALL_FITS)
    assert framing == Framing(fit="crop", focus=(0.5, 0.5), why=framing.why)
    # Saliency pulls the crop towards the salient side, never past SALIENT_PULL from the centre.
    right = (tuple([0.0] * 48 + [1.0] * 16), tuple([1.0] * 64))
    framing = choose_still_framing((1000, 1000), OUT, (), CANVAS_SAFE, "push-in", 1.12, ALL_FITS, right)
    assert framing.fit == "crop" and framing.focus[0] == pytest.approx(0.75)


def test_a_preset_without_blur_gets_the_crop_and_the_warning():
    keep = (Keep((50, 400, 950, 480), "the text line across the middle (90% of the width)"),)
    framing = choose_still_framing((1000, 1000), OUT, keep, CANVAS_SAFE, "push-in", 1.12, ("crop",))
    assert framing.fit == "crop" and "the text line across the middle" in framing.why


def test_text_in_the_bottom_margin_of_a_tall_picture_is_not_cropped_into_it():
    """A 9:16 picture whose title sits in the bottom 10 %: under the player controls if cropped."""
    keep = (Keep((300, 1750, 780, 1850), "the text at the bottom"),)
    framing = choose_still_framing((1080, 1920), OUT, keep, CANVAS_SAFE, "push-in", 1.12, ALL_FITS)
    assert framing.fit == "blur" and "too near the top or bottom edge" in framing.why
    assert not _outside(_stage_box(keep[0].box, (1080, 1920), framing), "push-in", 1.12, framing.anchor)


boxes = st.tuples(st.floats(0.0, 0.95), st.floats(0.0, 0.95), st.floats(0.01, 0.6), st.floats(0.01, 0.6)).map(
    lambda t: (t[0], t[1], min(1.0, t[0] + t[2]), min(1.0, t[1] + t[3]))
)


@settings(max_examples=300, deadline=None)
@given(
    size=st.sampled_from([(1000, 1000), (1920, 1080), (1200, 1500), (1080, 2400), (800, 1422)]),
    fractions=st.lists(boxes, min_size=0, max_size=4),
    motion=st.sampled_from(["push-in", "pull-out", "drift", "static"]),
    zoom=st.floats(1.01, 1.5),
)
def test_every_region_stays_in_the_safe_zone_in_every_frame_or_the_picture_is_blurred(
    size, fractions, motion, zoom
):
    sw, sh = size
    keep = tuple(
        Keep((a * sw, b * sh, c * sw, d * sh), f"region {i}") for i, (a, b, c, d) in enumerate(fractions)
    )
    assume(all(k.box[2] > k.box[0] and k.box[3] > k.box[1] for k in keep))
    framing = choose_still_framing(size, OUT, keep, CANVAS_SAFE, motion, zoom, ALL_FITS)
    if framing.fit == "crop":
        for k in keep:
            assert not _outside(_stage_box(k.box, size, framing), motion, zoom, framing.anchor), (k, framing)
    else:
        assert framing.fit == "blur" and keep
        # Every region of the shown picture, and the picture itself, is inside the safe zone.
        whole = _stage_box((0, 0, sw, sh), size, framing)
        assert not _outside(whole, motion, zoom, framing.anchor), framing
        # The warning names what a crop would lose: each region that fits no crop, or all of them together.
        assert any(k.name in framing.why for k in keep)


def test_the_push_in_leans_towards_a_region_only_as_far_as_it_must():
    """A 9:16 picture (no crop slack) with a face near its left edge: a centred push-in would cut it at
    the peak, so the zoom leans left; a face in the middle keeps the centred move."""
    edge = (Keep((90, 700, 220, 860), "the face at the left"),)
    framing = choose_still_framing((1080, 1920), OUT, edge, CANVAS_SAFE, "push-in", 1.12, ALL_FITS)
    assert framing.fit == "crop" and framing.anchor[0] < 0.5 and framing.anchor[1] == 0.5
    assert _outside(_stage_box(edge[0].box, (1080, 1920), Framing("crop")), "push-in", 1.12, (0.5, 0.5))
    assert not _outside(_stage_box(edge[0].box, (1080, 1920), framing), "push-in", 1.12, framing.anchor)
    middle = (Keep((440, 700, 640, 900), "the face in the middle"),)
    framing = choose_still_framing((1080, 1920), OUT, middle, CANVAS_SAFE, "push-in", 1.12, ALL_FITS)
    assert framing.fit == "crop" and framing.anchor == (0.5, 0.5)
