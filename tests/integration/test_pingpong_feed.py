"""The ping-pong feed: a real ffmpeg feeder, frames spooled beside the output and replayed backwards."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mediakit.errors import FFmpegFailed, InputError
from mediakit.render import footage
from mediakit.render.canvas import CanvasOptions, render_canvas
from tests.frames import gray_frames
from tests.media import FFMPEG

pytestmark = pytest.mark.integration

SIZE = 16 * 16 * 3 // 2  # one 16x16 yuv420p frame


def numbered(frames: int) -> list[str]:
    """A feeder whose frame i is a flat grey of luma 2*i: its order can be read back from the bytes."""
    source = "color=c=black:s=16x16:r=30,format=yuv420p,geq=lum=2*N:cb=128:cr=128"
    return [FFMPEG, "-f", "lavfi", "-i", source, "-frames:v", str(frames), "-f", "rawvideo", "pipe:1"]


def lumas(frames) -> list[int]:
    return [frame[0] // 2 for frame in frames]


@pytest.mark.parametrize("overlap", [True, False])
def test_frames_go_forwards_then_backwards_without_turnaround_repeats(tmp_path, overlap):
    got = lumas(footage.pingpong_frames(numbered(40), SIZE, 10, tmp_path, overlap))
    assert got == [*range(10), *range(8, 0, -1)]  # 0..9 then 8..1: 18 frames, each turnaround once
    assert os.listdir(tmp_path) == []  # the spool has no name, and is gone


def test_the_feeder_stops_when_the_encoder_stops_reading(tmp_path):
    frames = footage.pingpong_frames(numbered(100000), SIZE, 50000, tmp_path, True)
    assert lumas([next(frames) for _ in range(3)]) == [0, 1, 2]
    frames.close()  # the encoder died: the feeder ffmpeg is killed, not left running
    assert not [p for p in Path("/proc").glob("[0-9]*") if _runs_feeder(p)]
    assert os.listdir(tmp_path) == []


def _runs_feeder(proc: Path) -> bool:
    try:
        return b"50000" in (proc / "cmdline").read_bytes() or b"100000" in (proc / "cmdline").read_bytes()
    except OSError:
        return False


def test_too_few_frames_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="gave 6 frames where the loop needs 10"):
        list(footage.pingpong_frames(numbered(6), SIZE, 10, tmp_path, False))


def test_a_failing_feeder_is_a_one_line_ffmpeg_error(tmp_path):
    broken = [FFMPEG, "-f", "lavfi", "-i", "nosuchsource", "-f", "rawvideo", "pipe:1"]
    with pytest.raises(FFmpegFailed, match="ffmpeg failed"):
        list(footage.pingpong_frames(broken, SIZE, 10, tmp_path, True))
    assert os.listdir(tmp_path) == []


def test_large_footage_pingpong_renders_the_same_loop(media, tmp_path, monkeypatch):
    """The decode-first path (used for 4K) gives the same mirrored loop as the overlapped one."""
    clip = media.video("pp-feed.mp4", size="640x360", seconds=3)
    options = CanvasOptions(loop="pingpong", duration=3, size="720x1280", x264_preset="ultrafast", crf=12)
    render_canvas(clip, tmp_path / "overlap.mp4", options)
    monkeypatch.setattr(footage, "OVERLAP_MAX_PIXELS", 0)
    render_canvas(clip, tmp_path / "first.mp4", options)
    a, b = gray_frames(tmp_path / "overlap.mp4", width=90), gray_frames(tmp_path / "first.mp4", width=90)
    assert len(a) == len(b) == 90
    assert max(abs(x - y).mean() for x, y in zip(a, b, strict=True)) < 0.5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first.mp4", "overlap.mp4"]  # no spool left
