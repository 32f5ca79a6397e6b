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


def grey_video(tmp_path: Path, name: str, audio: bool) -> Path:
    """A flat mid-grey 9:16 video, so the tint is the only colour in the overlay."""
    out = tmp_path / name
    args = ["-f", "lavfi", "-i", "color=c=0x808080:s=180x320:r=30:d=2"]
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
