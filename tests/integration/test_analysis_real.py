"""The analysis metrics on real ffmpeg renders: they must pass good output and fail known-bad output."""

from __future__ import annotations

import dataclasses
import subprocess
import tracemalloc
from fractions import Fraction
from functools import cache
from pathlib import Path

import av
import cv2
import imageio_ffmpeg
import numpy as np
import pytest

from mediakit.analysis import video as video_module
from mediakit.analysis.frames import decode_reduced
from mediakit.analysis.loop import measure_loop
from mediakit.analysis.motion import estimate_windows, jitter
from mediakit.analysis.video import VideoNeeds, measure_video
from mediakit.probe import MediaInfo, probe

pytestmark = pytest.mark.integration

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
OUT_W, OUT_H = 360, 640  # portrait, like the Canvas output, at a quarter of 1440x2560
FPS = 25
PUSH_FRAMES = 75  # 3 s
PUSH_DEPTH = 0.05  # zoom 1 -> 1.1 -> 1: z = 1 + PUSH_DEPTH * (1 - cos(2 pi k / (n - 1)))
X264 = ["-c:v", "libx264", "-crf", "16", "-pix_fmt", "yuv420p"]


def ffmpeg(*args: str) -> None:
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-y", *args], check=True, timeout=60)


def decode_gray(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="gray") for frame in container.decode(video=0)]


def zoom_expr(frame_var: str) -> str:
    return f"(1+{PUSH_DEPTH}*(1-cos(2*PI*({frame_var})/{PUSH_FRAMES - 1})))"


def nominal_windows() -> np.ndarray:
    """The push-in's intended windows, centred, in output pixel edges (frame 0 is zoom 1)."""
    k = np.arange(PUSH_FRAMES)
    zoom = 1 + PUSH_DEPTH * (1 - np.cos(2 * np.pi * k / (PUSH_FRAMES - 1)))
    half_w, half_h = OUT_W / 2 / zoom, OUT_H / 2 / zoom
    return np.stack([OUT_W / 2 - half_w, OUT_H / 2 - half_h, OUT_W / 2 + half_w, OUT_H / 2 + half_h], axis=1)


@cache
def texture(width: int, height: int) -> np.ndarray:
    """A seeded multi-scale texture: detail everywhere, so the alignment is constrained everywhere."""
    rng = np.random.default_rng(5)
    img = np.zeros((height, width), np.float32)
    for sigma in (2.0, 5.0, 12.0, 30.0):
        noise = rng.standard_normal((height, width)).astype(np.float32)
        img += cv2.GaussianBlur(noise, (0, 0), sigma) * np.float32(sigma**0.5)
    img = (img - img.mean()) / img.std() * 45 + 128
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("analysis_real")


@pytest.fixture(scope="module")
def still(media: Path) -> Path:
    path = media / "still_1440x2560.png"
    cv2.imwrite(str(path), texture(1440, 2560))
    return path


@pytest.fixture(scope="module")
def zoompan_windows(media: Path, still: Path) -> np.ndarray:
    out = media / "zoompan.mp4"
    z = zoom_expr("on")
    vf = f"zoompan=z='{z}':x='iw/2-iw/zoom/2':y='ih/2-ih/zoom/2':d={PUSH_FRAMES}:s={OUT_W}x{OUT_H}:fps={FPS}"
    ffmpeg("-i", str(still), "-vf", vf, *X264, str(out))
    frames = decode_gray(out)
    assert len(frames) == PUSH_FRAMES
    return estimate_windows(frames)


@pytest.fixture(scope="module")
def subpixel_windows(media: Path) -> np.ndarray:
    # The same push-in rendered with subpixel precision: `perspective` maps the crop's corners to the
    # frame's with cubic interpolation (its `in` counts frames from 1). A 2x still keeps it quick.
    small = media / "still_720x1280.png"
    cv2.imwrite(str(small), cv2.resize(texture(1440, 2560), (720, 1280), interpolation=cv2.INTER_AREA))
    out = media / "subpixel.mp4"
    z = zoom_expr("in-1")
    left, right, top, bottom = f"(W/2-W/2/{z})", f"(W/2+W/2/{z})", f"(H/2-H/2/{z})", f"(H/2+H/2/{z})"
    corners = f"x0='{left}':y0='{top}':x1='{right}':y1='{top}':x2='{left}':y2='{bottom}'"
    corners += f":x3='{right}':y3='{bottom}'"
    vf = f"perspective={corners}:eval=frame:interpolation=cubic,scale={OUT_W}:{OUT_H}:flags=area"
    looped_still = ["-loop", "1", "-framerate", str(FPS), "-i", str(small), "-frames:v", str(PUSH_FRAMES)]
    ffmpeg(*looped_still, "-vf", vf, *X264, str(out))
    frames = decode_gray(out)
    assert len(frames) == PUSH_FRAMES
    return estimate_windows(frames)


def test_zoompan_push_in_fails_the_jitter_limit(zoompan_windows: np.ndarray) -> None:
    # zoompan crops whole input pixels: 1/4 output px stair-steps on this 4x still.
    assert np.abs(zoompan_windows - nominal_windows()).max() < 0.5  # the estimator follows the real path
    report = jitter(zoompan_windows)
    assert report.mean > 0.1  # limit 0.03
    assert report.hf_mean > 0.1  # not the ease's own acceleration: removing that leaves the stairs
    assert not report.ok()
    assert not report.ok(highpass=True)


def test_subpixel_push_in_is_smooth(subpixel_windows: np.ndarray, zoompan_windows: np.ndarray) -> None:
    assert np.abs(subpixel_windows - nominal_windows()).max() < 0.15
    smooth, stairs = jitter(subpixel_windows), jitter(zoompan_windows)
    assert smooth.backsteps == 0
    # This 3 s, 10 % in-and-out ease accelerates up to ~0.1 px/frame^2 on its own, so the raw mean sits
    # near 0.05; what is left after removing it (~0.03 at CRF 16) is the encoder's and the estimator's noise.
    assert smooth.hf_mean < 0.05
    assert stairs.hf_mean > 3 * smooth.hf_mean


@pytest.fixture(scope="module")
def testsrc_clip(media: Path) -> Path:
    clip = media / "testsrc2_1s.mp4"
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=s={OUT_W}x{OUT_H}:r={FPS}:d=1", *X264, str(clip))
    return clip


def test_cut_clip_has_a_visible_seam(media: Path) -> None:
    clip = media / "testsrc2_cut.mp4"
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=s={OUT_W}x{OUT_H}:r={FPS}:d=1.72", *X264, str(clip))
    report = measure_loop(decode_gray(clip))
    assert report.seam > 1.25
    assert not report.ok()


def test_correct_pingpong_is_seamless(media: Path, testsrc_clip: Path) -> None:
    out = media / "pingpong_good.mp4"
    # 0..24 then 23..1: the reversed copy drops both turnaround frames so neither end is shown twice.
    graph = (
        "[0:v]split[fwd][back];"
        "[back]reverse,trim=start_frame=1:end_frame=24,setpts=PTS-STARTPTS[rev];"
        "[fwd][rev]concat=n=2:v=1:a=0[out]"
    )
    ffmpeg("-i", str(testsrc_clip), "-filter_complex", graph, "-map", "[out]", *X264, str(out))
    frames = decode_gray(out)
    assert len(frames) == 48
    report = measure_loop(frames)
    assert report.seam <= 1.25
    assert report.stalls == ()
    assert report.ok()


def test_naive_pingpong_stalls_at_the_turnarounds(media: Path, testsrc_clip: Path) -> None:
    out = media / "pingpong_naive.mp4"
    graph = "[0:v]split[fwd][back];[back]reverse[rev];[fwd][rev]concat=n=2:v=1:a=0[out]"  # 0..24, 24..0
    ffmpeg("-i", str(testsrc_clip), "-filter_complex", graph, "-map", "[out]", *X264, str(out))
    frames = decode_gray(out)
    assert len(frames) == 50
    report = measure_loop(frames)
    assert report.stalls == (0, 25)
    assert not report.ok()


# --- bounded by what decodes, not by what the header claims ------------------------------------------------


def lying(info: MediaInfo, **video_fields: object) -> MediaInfo:
    """`info` with a header that claims 10 hours (and any other `video_fields`) over the same frames."""
    video = dataclasses.replace(
        info.video[0], duration=Fraction(36000), frames=900_000, declared_frames=900_000, **video_fields
    )
    return dataclasses.replace(info, duration=Fraction(36000), video=(video,))


def test_the_reduced_sizes_follow_the_decoded_frames_not_the_header(testsrc_clip: Path) -> None:
    info = lying(probe(testsrc_clip), coded_width=1, coded_height=100_000)
    frames = list(decode_reduced(info, exact_refs=False))
    assert len(frames) == FPS
    assert frames[0].luma.shape == (480, 270)  # 360x640 at a short side of 270, not a 1:100000 strip
    assert frames[0].y.shape == (160, 90)


def test_deep_measures_cost_what_decodes_whatever_the_header_claims(testsrc_clip: Path) -> None:
    info = lying(probe(testsrc_clip))
    needs = VideoNeeds(flashes=True, cuts=True, loop=True, sharpness=True, stillness=((0.1, 0.001),))
    tracemalloc.start()
    try:
        measures = measure_video(info, needs)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert measures is not None and measures.frames == FPS
    assert peak < 40 * 2**20  # 25 frames of reduced planes: a few MB; 900000 frames or 10 h would be GB


def test_the_deep_pass_stops_at_max_frames(
    testsrc_clip: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Timestamps alone do not bound the pass (a stream may stamp every frame 0): a frame count does."""
    monkeypatch.setattr(video_module, "MAX_FRAMES", 10)
    measures = measure_video(probe(testsrc_clip), VideoNeeds(loop=True))
    assert measures is not None and measures.frames == 10
    assert "deep checks read the first 10 frames only" in caplog.text


def test_the_loop_measure_reads_every_frame_deblocked(media: Path, testsrc_clip: Path) -> None:
    """Skipped deblocking drifts along a chain of predicted frames, and the seam compares the chain's end
    with its start: the loop measure decodes exactly, and a ping-pong's mirror frames decode alike."""
    out = media / "pingpong_bframes.mp4"
    graph = (
        "[0:v]split[fwd][back];"
        "[back]reverse,trim=start_frame=1:end_frame=24,setpts=PTS-STARTPTS[rev];"
        "[fwd][rev]concat=n=2:v=1:a=0[out]"
    )
    ffmpeg("-i", str(testsrc_clip), "-filter_complex", graph, "-map", "[out]", *X264, "-bf", "3", str(out))
    info = probe(out)
    exact = list(decode_reduced(info, exact=True))
    assert all(f.deblocked for f in exact)
    assert not all(f.deblocked for f in decode_reduced(info))  # B-frames skip it by default
    measures = measure_video(info, VideoNeeds(loop=True))
    assert measures is not None and measures.loop is not None
    assert measures.loop.ok()
