"""`mediakit preview`: the PNG's layout, the safe-zone tint at the preset's rows, and a safe output path."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from mediakit.cli.preview import preview
from mediakit.errors import InputError, OutputError
from mediakit.preset import resolve
from mediakit.preview import BACKGROUND, TINT, TINT_ALPHA, Box, layout, render_preview
from tests.media import MediaFactory, ffmpeg

pytestmark = pytest.mark.integration

GREY = 128
X264 = ("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p")


def grey_video(tmp_path: Path, name: str, audio: bool, size: str = "180x320") -> Path:
    """A flat mid-grey video (9:16 unless told), so the tint is the only colour in the overlay."""
    out = tmp_path / name
    args = ["-f", "lavfi", "-i", f"color=c=0x808080:s={size}:r=30:d=2"]
    if audio:
        args += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:d=2", "-c:a", "aac", "-shortest"]
    ffmpeg(*args, *X264, str(out))
    return out


def grey_jpeg(tmp_path: Path) -> Path:
    out = tmp_path / "cover.jpg"
    Image.new("RGB", (180, 320), (GREY, GREY, GREY)).save(out, quality=95)
    return out


def tinted() -> np.ndarray:
    return np.array([GREY * (1 - TINT_ALPHA) + c * TINT_ALPHA for c in TINT])


def pixel(png: np.ndarray, x: int, y: int) -> np.ndarray:
    return png[y, x].astype(float)


def assert_safe_zone(png: np.ndarray, panel: Box, preset: str) -> None:
    """Down a column clear of the labels and the side bands: tint, picture, tint, at the preset's rows."""
    zone = resolve(preset).safe_zone
    assert zone is not None
    top, bottom = round(panel.height * zone.top), round(panel.height * zone.bottom)
    x = panel.left + 40  # right of the left band, left of the centred labels
    for row in (2, top - 2):
        assert np.abs(pixel(png, x, panel.top + row) - tinted()).max() < 8, row
    for row in (top + 3, panel.height // 2, panel.height - bottom - 3):
        assert np.abs(pixel(png, x, panel.top + row) - GREY).max() < 8, row
    for row in (panel.height - bottom + 2, panel.height - 2):
        assert np.abs(pixel(png, x, panel.top + row) - tinted()).max() < 8, row
    middle = panel.top + panel.height // 2
    for side_x in (panel.left + 3, panel.right - 3):  # the side bands
        assert np.abs(pixel(png, side_x, middle) - tinted()).max() < 8


def test_a_canvas_preview_has_the_contact_sheet_loop_wrap_and_safe_zone(tmp_path: Path) -> None:
    video = grey_video(tmp_path, "loop.mp4", audio=False)
    out = render_preview(video)
    assert out == tmp_path / "loop.preview.png"
    geometry = layout("video")
    with Image.open(out) as im:
        assert im.format == "PNG" and im.size == geometry.size
        png = np.asarray(im.convert("RGB"))
    boxes = [*geometry.contact, geometry.last, geometry.first]
    assert len(geometry.contact) == 8
    for box in boxes:
        assert box is not None
        assert np.abs(pixel(png, box.left + box.width // 2, box.top + box.height // 2) - GREY).max() < 8
    assert (png[geometry.size[1] - 2, geometry.size[0] // 2] == BACKGROUND).all()
    assert_safe_zone(png, geometry.safe, "canvas")


def test_a_clip_preview_uses_the_clip_safe_zone(tmp_path: Path) -> None:
    video = grey_video(tmp_path, "clip.mp4", audio=True)
    out = render_preview(video, tmp_path / "review.png")
    with Image.open(out) as im:
        assert_safe_zone(np.asarray(im.convert("RGB")), layout("video").safe, "clip")


def test_a_jpeg_canvas_preview_is_the_picture_and_its_safe_zone(tmp_path: Path) -> None:
    out = render_preview(grey_jpeg(tmp_path))
    geometry = layout("image")
    with Image.open(out) as im:
        assert im.size == geometry.size
        png = np.asarray(im.convert("RGB"))
    assert geometry.plain is not None
    plain = geometry.plain
    assert np.abs(pixel(png, plain.left + 3, plain.top + 3) - GREY).max() < 8  # no overlay on this one
    assert_safe_zone(png, geometry.safe, "canvas")


def test_the_input_is_never_replaced(tmp_path: Path) -> None:
    jpg = grey_jpeg(tmp_path)
    before = jpg.read_bytes()
    with pytest.raises(OutputError, match="would replace the input"):
        render_preview(jpg, jpg)
    with pytest.raises(OutputError, match="would replace the input"):
        render_preview(jpg, Path(str(tmp_path / "x" / ".." / "cover.jpg")))
    assert jpg.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cover.jpg"]  # no temp file left behind


def test_an_older_preview_is_replaced_but_no_other_file(tmp_path: Path) -> None:
    jpg = grey_jpeg(tmp_path)
    old = tmp_path / "cover.preview.png"
    Image.new("RGB", (8, 8)).save(old)
    assert render_preview(jpg) == old
    with Image.open(old) as im:
        assert im.size == layout("image").size
    notes = tmp_path / "notes.txt"
    notes.write_text("keep me")
    with pytest.raises(OutputError, match="is not a PNG"):
        render_preview(jpg, notes)
    assert notes.read_text() == "keep me"


def test_the_cli_writes_the_png_and_reports_it_as_json(tmp_path: Path) -> None:
    jpg = grey_jpeg(tmp_path)
    target = tmp_path / "sheet.png"
    result = CliRunner().invoke(preview, [str(jpg), "-o", str(target), "--as", "canvas", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"input": str(jpg), "output": str(target)}
    assert target.is_file()


def test_the_cli_refuses_to_overwrite_the_input(tmp_path: Path) -> None:
    jpg = grey_jpeg(tmp_path)
    result = CliRunner().invoke(preview, [str(jpg), "-o", str(jpg)])
    assert isinstance(result.exception, OutputError)
    assert jpg.read_bytes()[:2] == b"\xff\xd8"


def test_a_rotated_phone_video_is_shown_upright(media: MediaFactory) -> None:
    landscape = media.video("preview-land.mp4", size="320x180", seconds=1)
    rotated = media.remux("preview-rot90.mp4", landscape, "-display_rotation", "90")
    out = render_preview(rotated, media.root / "rot.png", preset="canvas")
    geometry = layout("video")
    with Image.open(out) as im:
        png = np.asarray(im.convert("RGB"))
    first = geometry.first
    assert first is not None
    # Displayed 180x320 fills the whole 9:16 panel: its corners are picture, not background.
    assert not (png[first.top + 1, first.left + 1] == BACKGROUND).all()
    assert not (png[first.bottom - 2, first.right - 2] == BACKGROUND).all()


def test_audio_alone_has_nothing_to_preview(tmp_path: Path) -> None:
    wav = tmp_path / "song.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:d=1", str(wav))
    with pytest.raises(InputError, match="no picture to preview"):
        render_preview(wav)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["song.wav"]


@pytest.mark.parametrize("name", ["reels", "tiktok", "shorts"])
def test_the_overlay_follows_the_preset_given(tmp_path: Path, name: str) -> None:
    video = grey_video(tmp_path, "hook.mp4", audio=True)
    out = render_preview(video, tmp_path / f"{name}.png", preset=name)
    with Image.open(out) as im:
        png = np.asarray(im.convert("RGB"))
    panel = layout("video").safe
    zone = resolve(name).safe_zone
    assert zone is not None
    # Each band ends at the preset's own fraction of the panel (the figures in docs/SPECS.md).
    x = panel.left + panel.width // 3
    top, bottom = round(panel.height * zone.top), round(panel.height * zone.bottom)
    assert np.abs(pixel(png, x, panel.top + top - 2) - tinted()).max() < 8
    assert np.abs(pixel(png, x, panel.top + top + 3) - GREY).max() < 8
    assert np.abs(pixel(png, x, panel.bottom - bottom - 3) - GREY).max() < 8
    assert np.abs(pixel(png, x, panel.bottom - bottom + 2) - tinted()).max() < 8
    right = round(panel.width * zone.right)
    middle = panel.top + panel.height // 2
    assert np.abs(pixel(png, panel.right - right + 2, middle) - tinted()).max() < 8
    assert np.abs(pixel(png, panel.right - right - 3, middle) - GREY).max() < 8


def test_the_cli_takes_as_for_the_overlay(tmp_path: Path) -> None:
    video = grey_video(tmp_path, "hook.mp4", audio=True)
    result = CliRunner().invoke(preview, [str(video), "--as", "shorts", "--json"])
    assert result.exit_code == 0, result.output
    with Image.open(json.loads(result.output)["output"]) as im:
        png = np.asarray(im.convert("RGB"))
    panel, zone = layout("video").safe, resolve("shorts").safe_zone
    assert zone is not None
    # Shorts' right-hand button column (192 px of 1080) is wider than any Spotify band.
    x = panel.right - round(panel.width * zone.right) + 2
    assert np.abs(pixel(png, x, panel.top + panel.height // 2) - tinted()).max() < 8


@pytest.mark.parametrize(("size", "aspect"), [("240x320", (3, 4)), ("256x256", (1, 1)), ("320x180", (16, 9))])
def test_the_sheet_takes_the_pictures_shape(tmp_path: Path, size: str, aspect: tuple[int, int]) -> None:
    """A 3:4 or 1:1 Apple motion artwork (or a landscape video) fills its cells and panels: no bars."""
    video = grey_video(tmp_path, "motion.mp4", audio=False, size=size)
    w, h = map(int, size.split("x"))
    out = render_preview(video, tmp_path / "motion.png", preset="apple-square" if w == h else "apple-tall")
    geometry = layout("video", (w, h))
    with Image.open(out) as im:
        assert im.size == geometry.size
        png = np.asarray(im.convert("RGB"))
    for box in (*geometry.contact, geometry.last, geometry.first, geometry.safe):
        assert box is not None
        assert abs(box.width / box.height - aspect[0] / aspect[1]) < 0.01
        for x, y in ((box.left + 1, box.top + 1), (box.right - 2, box.bottom - 2)):  # corners: picture
            assert np.abs(pixel(png, x, y) - GREY).max() < 8, (box, x, y)
    assert geometry.legend.width >= 200
    # The Apple presets publish no safe zone: nothing is tinted.
    assert np.abs(pixel(png, geometry.safe.left + 3, geometry.safe.top + 3) - GREY).max() < 8


def test_a_square_still_preview(tmp_path: Path) -> None:
    jpg = tmp_path / "cover.jpg"
    Image.new("RGB", (300, 300), (GREY, GREY, GREY)).save(jpg, quality=95)
    out = render_preview(jpg, preset="canvas")
    geometry = layout("image", (300, 300))
    with Image.open(out) as im:
        assert im.size == geometry.size
        png = np.asarray(im.convert("RGB"))
    assert geometry.plain is not None and geometry.plain.width == geometry.plain.height
    assert np.abs(pixel(png, geometry.plain.right - 2, geometry.plain.bottom - 2) - GREY).max() < 8
