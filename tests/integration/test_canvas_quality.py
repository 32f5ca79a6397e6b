"""Canvas outputs measured: seamless loops, no stalls, subpixel-smooth motion (real renders, decoded)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediakit import CanvasOptions, render_canvas
from mediakit.analysis.loop import SEAM_LIMIT, measure_loop
from mediakit.analysis.motion import estimate_windows, jitter
from tests.frames import gray_frames
from tests.media import ffmpeg

pytestmark = pytest.mark.integration

# What users get by default (x264 preset slow), at 720x1280 to keep the suite quick.
QUALITY = {"size": "720x1280", "x264_preset": "slow"}


@pytest.fixture(scope="module")
def still(media):
    return media.still("quality-still.png", (1600, 1600))


@pytest.fixture(scope="module")
def push_in(still, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("q") / "push.mp4"
    # Cropped: the whole frame is the textured picture, which the window estimate locks onto.
    render_canvas(still, out, CanvasOptions(motion="push-in", fit="crop", **QUALITY))
    return out


@pytest.mark.slow
def test_push_in_on_a_blur_fit_still_is_smooth_and_loops(still, tmp_path):
    """A square still with --fit blur: the picture moves as smoothly as a cropped one. (--fit auto crops
    this texture, having found no face or text in it, so the fit is asked for.)

    Measured on the band where the picture sits (rows 280-1000 of 1280): over the blurred fill the
    estimate itself wanders (0.059 px/frame^2 on the unencoded frames, which are exact affine warps of
    one stage, against 0.016 for a crop), so the whole frame would measure the estimator, not the render.
    Measured here: 0.030 on the band (x264 slow).
    """
    out = tmp_path / "blur.mp4"
    result = render_canvas(still, out, CanvasOptions(motion="push-in", fit="blur", **QUALITY))
    assert result.options.fit == "blur"
    frames = gray_frames(out, width=360)
    windows = estimate_windows([f[140:500] for f in frames]) * 2.0
    report = jitter(windows)
    assert report.mean <= 0.04 and report.backsteps == 0, report
    width = windows[:, 2] - windows[:, 0]
    assert width.min() == pytest.approx(720 / 1.12, rel=0.02)
    loop = measure_loop(gray_frames(out, width=270))
    assert loop.seam <= 1.25 and loop.stalls == (), loop


def test_push_in_is_subpixel_smooth(push_in):
    frames = gray_frames(push_in, width=360)
    windows = estimate_windows(frames) * 2.0  # analysed at half size; edges in output pixels
    report = jitter(windows)
    assert report.mean <= 0.03, report
    assert report.backsteps == 0, report
    # It really zooms: the window shrinks to about 1/1.12 of the frame at the peak, then comes back.
    width = windows[:, 2] - windows[:, 0]
    assert width.min() == pytest.approx(720 / 1.12, rel=0.02)
    assert width[0] == pytest.approx(720, abs=0.5) and width[-1] == pytest.approx(720, rel=0.002)


@pytest.mark.slow
def test_zoompan_fails_the_same_jitter_measure(still, tmp_path):
    """The measure can fail: ffmpeg's zoompan (whole-pixel crop windows) shakes on the same job."""
    out = tmp_path / "zoompan.mp4"
    ffmpeg(
        "-i",
        str(still),
        "-vf",
        "crop=900:1600,zoompan=z='1+0.12*(1-cos(2*PI*on/210))/2':d=210:s=720x1280:fps=30"
        ":x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)'",
        "-frames:v",
        "210",
        "-c:v",
        "libx264",
        "-preset",
        "slow",
        "-crf",
        "20",
        "-pix_fmt",
        "yuv420p",
        str(out),
    )
    report = jitter(estimate_windows(gray_frames(out, width=360)) * 2.0)
    assert report.mean > 0.06, report


# push-in shares its render with the sub-pixel test; the other motions' renders run in make test-release.
@pytest.mark.parametrize(
    "motion",
    [
        "push-in",
        pytest.param("pull-out", marks=pytest.mark.slow),
        pytest.param("drift", marks=pytest.mark.slow),
    ],
)
def test_still_motions_loop_without_seam_or_stall(motion, still, push_in, tmp_path):
    out = push_in
    if motion != "push-in":
        out = tmp_path / f"{motion}.mp4"
        render_canvas(still, out, CanvasOptions(motion=motion, **QUALITY))
    report = measure_loop(gray_frames(out, width=270))
    assert report.ok(), report  # the loop-seam rule's definitions (README, "Deep checks")


@pytest.fixture(scope="module")
def moving_footage(media) -> Path:
    return media.video("quality-footage.mp4", size="1280x720", seconds=5)


@pytest.mark.parametrize("loop", ["pingpong", "crossfade"])
def test_footage_loops_without_seam_or_stall(loop, moving_footage, tmp_path):
    out = tmp_path / f"{loop}.mp4"
    render_canvas(
        moving_footage, out, CanvasOptions(loop=loop, duration=4, size="720x1280", x264_preset="veryfast")
    )
    report = measure_loop(gray_frames(out, width=270))
    assert report.ok(), report  # the loop-seam rule's definitions (README, "Deep checks")


def test_hard_cut_loop_shows_its_seam(moving_footage, tmp_path):
    """The seam measure sees a hard cut, so the tests above could fail."""
    out = tmp_path / "cut.mp4"
    render_canvas(
        moving_footage, out, CanvasOptions(loop="cut", duration=3, size="720x1280", x264_preset="veryfast")
    )
    assert measure_loop(gray_frames(out, width=270)).seam > SEAM_LIMIT


def test_pingpong_turnarounds_do_not_repeat_frames(moving_footage, tmp_path):
    """Frames 0..F-1 then F-2..1: the output mirrors itself around frame F-1, with no frame shown twice."""
    out = tmp_path / "pp.mp4"
    render_canvas(
        moving_footage,
        out,
        CanvasOptions(loop="pingpong", duration=3, size="720x1280", x264_preset="veryfast", crf=12),
    )
    frames = gray_frames(out, width=180)
    n = len(frames)
    assert n == 90
    forward = n // 2 + 1
    for k in range(1, forward - 1):  # frame F-1-k == frame F-1+k (the same source frame)
        assert abs(frames[forward - 1 - k] - frames[forward - 1 + k]).mean() < 1.5
    assert abs(frames[forward - 1] - frames[forward]).mean() > 1.5  # turnaround is not repeated
    assert abs(frames[-1] - frames[0]).mean() > 1.5  # nor is the wrap
