"""--start on containers whose demuxer cannot seek to a frame (MPEG-TS): the render starts where asked."""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from mediakit import CanvasOptions, ClipOptions, render_canvas, render_clip
from tests.media import ffmpeg

pytestmark = pytest.mark.integration


def _long_gop_ts(tmp_path: Path) -> Path:
    """12 s of testsrc2 (its frame counter makes every frame distinct) with one keyframe every 8 s, as
    broadcast and camera TS files often have, and a tone."""
    path = tmp_path / "long gop.ts"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=s=640x360:r=30:d=12",
        "-f", "lavfi", "-i", "sine=f=440:d=12",
        "-c:v", "libx264", "-preset", "ultrafast", "-g", "240", "-keyint_min", "240", "-sc_threshold", "0",
        "-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "mpegts", str(path),
    )  # fmt: skip
    return path


def _source_frame(path: Path, seconds: float) -> np.ndarray:
    """The source's frame shown at `seconds`, decoded by PyAV from the start (no seek involved)."""
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        first = None
        for frame in c.decode(stream):
            t = float(frame.pts * frame.time_base)
            first = t if first is None else first
            if t - first >= seconds - 1e-3:
                return frame.to_ndarray(format="gray")
    raise AssertionError("source too short")


def _first_frame(path: Path) -> np.ndarray:
    with av.open(str(path)) as c:
        return next(c.decode(video=0)).to_ndarray(format="gray")


def _distance(out: np.ndarray, src: np.ndarray) -> float:
    """Mean luma difference (0-255) between the output and the source's centre cropped to the output's
    shape, both reduced to 54 px wide (the crop's rounding then moves nothing by a visible amount)."""
    h, w = src.shape
    cw = h * out.shape[1] / out.shape[0]
    x = round((w - cw) / 2)
    crop = src[:, x : x + round(cw)]
    size = (54, round(54 * out.shape[0] / out.shape[1]))
    a = cv2.resize(out, size, interpolation=cv2.INTER_AREA).astype(np.float32)
    b = cv2.resize(crop, size, interpolation=cv2.INTER_AREA).astype(np.float32)
    return float(np.abs(a - b).mean())


def test_a_canvas_from_a_long_gop_ts_starts_where_asked(tmp_path):
    src = _long_gop_ts(tmp_path)
    out = tmp_path / "c.mp4"
    result = render_canvas(
        src, out, CanvasOptions(start=3.0, duration=4.0, loop="cut", size="540x960", x264_preset="ultrafast")
    )
    assert result.report.verdict() != "fail"
    assert result.report.media.primary_video.frames == 120  # the input seek gave 110 (began at 3.33 s)
    first = _first_frame(out)
    at = _distance(first, _source_frame(src, 3.0))
    late = _distance(first, _source_frame(src, 3 + 10 / 30))
    assert at < 4.0 and late > 3 * at, (at, late)  # measured 2.8 and 13.7


def test_a_clip_from_a_long_gop_ts_keeps_sound_and_picture_together(tmp_path):
    src = _long_gop_ts(tmp_path)
    out = tmp_path / "clip.mp4"
    result = render_clip(src, out, ClipOptions(start=3.0, duration=5.0, x264_preset="ultrafast"))
    assert result.report.verdict() != "fail"
    media = result.report.media
    assert abs(float(media.duration) - 5.0) < 0.1
    assert media.audio and abs(float(media.audio[0].duration) - 5.0) < 0.1
    at = _distance(_first_frame(out), _source_frame(src, 3.0))
    assert at < 4.0, at
