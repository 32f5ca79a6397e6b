"""The ping-pong feed: a real ffmpeg feeder, frames spooled beside the output and replayed backwards."""

from __future__ import annotations

import functools
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from mediakit import CanvasOptions, render_canvas
from mediakit.errors import FFmpegFailed, FFmpegTimeout, InputError
from mediakit.ffmpeg.runner import FEEDER_NICE, feeder, run
from mediakit.rendering import footage
from tests.frames import gray_frames
from tests.media import FFMPEG

pytestmark = pytest.mark.integration

SIZE = 16 * 16 * 3 // 2  # one 16x16 yuv420p frame


def numbered(frames: int) -> list[str]:
    """A feeder whose frame i is a flat grey of luma 2*i (its order can be read back from the bytes),
    written like the real feeder: raw, to its fd 0 (the spool)."""
    source = "color=c=black:s=16x16:r=30,format=yuv420p,geq=lum=2*N:cb=128:cr=128"
    return [FFMPEG, "-f", "lavfi", "-i", source, "-frames:v", str(frames), "-f", "rawvideo", "pipe:0"]


def fed(feeder: list[str], forward: int, spool_dir: Path, follow: bool = True) -> list[int]:
    """Run pingpong_feed into a pipe, as the encoder's stdin; the frame numbers that came out."""
    read_end, write_end = os.pipe()
    got = bytearray()
    reader = threading.Thread(target=lambda: got.extend(_read_all(read_end)))
    reader.start()
    try:
        with os.fdopen(write_end, "wb") as stdin:
            footage.pingpong_feed(feeder, SIZE, forward, spool_dir, follow, stdin)
    finally:
        reader.join()
    return [got[i] // 2 for i in range(0, len(got), SIZE)]


def _read_all(fd: int) -> bytes:
    with os.fdopen(fd, "rb") as pipe:
        return pipe.read()


@pytest.mark.parametrize("follow", [True, False])
def test_frames_go_forwards_then_backwards_without_turnaround_repeats(tmp_path, follow):
    got = fed(numbered(10), 10, tmp_path, follow)
    assert got == [*range(10), *range(8, 0, -1)]  # 0..9 then 8..1: 18 frames, each turnaround once
    assert os.listdir(tmp_path) == []  # the spool has no name, and is gone


def test_too_few_frames_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="gave 6 frames where the loop needs 10"):
        fed(numbered(6), 10, tmp_path)


def test_a_failing_feeder_is_a_one_line_ffmpeg_error(tmp_path):
    broken = [FFMPEG, "-f", "lavfi", "-i", "nosuchsource", "-f", "rawvideo", "pipe:0"]
    with pytest.raises(FFmpegFailed, match="ffmpeg failed"):
        fed(broken, 10, tmp_path)
    assert os.listdir(tmp_path) == []


def test_an_encoder_that_dies_is_reported_and_stops_the_feeder(tmp_path):
    """The encoder fails on its first frame: its own error is reported, and the feeder does not hang."""
    encoder = [FFMPEG, "-f", "rawvideo", "-pix_fmt", "yuv420p", "-video_size", "16x16", "-i", "pipe:0",
               "-c:v", "libx264", "-profile:v", "baseline", "-pix_fmt", "yuv444p", "-f", "mp4",
               str(tmp_path / "out.mp4")]  # fmt: skip
    feed = functools.partial(footage.pingpong_feed, numbered(300), SIZE, 300, tmp_path, True)
    with pytest.raises(FFmpegFailed) as failed:
        run(encoder, feed=feed, timeout=60)
    assert "libx264" in str(failed.value) and "pipe" not in str(failed.value).lower(), failed.value
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("out")] == []


@pytest.mark.parametrize("follow_max", [footage.FOLLOW_MAX_PIXELS, 0])
def test_pingpong_render_mirrors_and_leaves_no_spool(media, tmp_path, monkeypatch, follow_max):
    """Both ways of feeding (as frames land, for HD; after the fitting, for 4K) make the same mirror."""
    monkeypatch.setattr(footage, "FOLLOW_MAX_PIXELS", follow_max)
    clip = media.video("pp-feed.mp4", size="640x360", seconds=3)
    options = CanvasOptions(loop="pingpong", duration=3, size="720x1280", x264_preset="ultrafast", crf=12)
    render_canvas(clip, tmp_path / "pp.mp4", options)
    frames = gray_frames(tmp_path / "pp.mp4", width=90)
    assert len(frames) == 90
    for k in range(1, 45):  # frames 0..45 then 44..1: frame 45-k shows what frame 45+k shows
        assert abs(frames[45 - k] - frames[45 + k]).mean() < 1.0
    assert [p.name for p in tmp_path.iterdir()] == ["pp.mp4"]  # no spool, no temp output left


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="POSIX priorities")
def test_the_feeder_and_all_its_threads_run_nicer_than_mediakit(tmp_path):
    # A feeder that takes a while (a 2 s lavfi source paced by -re), so its threads are up when they are
    # read from /proc.
    slow = [FFMPEG, "-re", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=2", "-f", "rawvideo", "pipe:0"]
    with (
        open(tmp_path / "spool", "wb") as spool,
        feeder(slow, stdin=spool, stdout=subprocess.DEVNULL) as proc,
    ):
        expected = min(19, os.getpriority(os.PRIO_PROCESS, 0) + FEEDER_NICE)
        time.sleep(0.8)
        tasks = list(Path(f"/proc/{proc.pid}/task").iterdir()) if Path("/proc").is_dir() else []
        nices = {os.getpriority(os.PRIO_PROCESS, int(t.name)) for t in tasks} or {
            os.getpriority(os.PRIO_PROCESS, proc.pid)
        }
    assert FEEDER_NICE > 0 and nices == {expected}, (nices, len(tasks))
    assert len(tasks) > 1 or not Path("/proc").is_dir()  # ffmpeg's threads were there to be checked


def test_run_and_feeder_stop_ffmpeg_at_their_timeout(tmp_path):
    slow = [FFMPEG, "-re", "-f", "lavfi", "-i", "testsrc2=s=64x64:d=10"]
    started = time.monotonic()
    with pytest.raises(FFmpegTimeout, match="within 1 s"):
        run([*slow, "-f", "null", "-"], timeout=1)
    feed = [*slow, "-f", "rawvideo", "pipe:0"]
    with (
        pytest.raises(FFmpegTimeout, match="within 1 s"),
        open(tmp_path / "spool", "wb") as spool,
        feeder(feed, stdin=spool, stdout=subprocess.DEVNULL, timeout=1),
    ):
        pass
    assert time.monotonic() - started < 6
