"""--fit smart end to end: generated landscape footage with a real face that moves, pauses and reverses, and
a hard cut; the face is found in the rendered 9:16 output by template matching."""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from mediakit import CanvasOptions, ClipOptions, render_canvas, render_clip
from mediakit.probe import probe
from tests import reframe_footage as rf

pytestmark = pytest.mark.integration

# The face inside the sprite (x0, y0, x1, y1 of the 170-px head): tests/realworld/framing/README.md, the
# box an independent detector (OpenCV 4.14's Haar cascade) gives.
FACE = (37, 36, 132, 131)
JERK_MEAN, JERK_P95 = 1.0, 3.5  # output px per frame^3


@pytest.fixture(scope="module")
def footage(tmp_path_factory: pytest.TempPathFactory) -> rf.Footage:
    return rf.make(tmp_path_factory.mktemp("reframe") / "walk.mp4", 640, 360, 9.0)


def _decode(path: Path, half: bool = True) -> tuple[list[np.ndarray], list[np.ndarray]]:
    rgb, grey = [], []
    with av.open(str(path)) as c:
        for frame in c.decode(video=0):
            picture = frame.to_ndarray(format="rgb24")
            if half:
                picture = cv2.resize(picture, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
            rgb.append(picture)
            grey.append(cv2.cvtColor(picture, cv2.COLOR_RGB2GRAY))
    return rgb, grey


def _template(made: rf.Footage, out_height: int) -> np.ndarray:
    """The face cut from the generator's own sprite, at the size the render shows it."""
    side = made.sprite.shape[0]
    face = made.sprite[round(FACE[1] * side / 170) : round(FACE[3] * side / 170),
                       round(FACE[0] * side / 170) : round(FACE[2] * side / 170)]  # fmt: skip
    scale = out_height / made.size[1]
    return cv2.resize(face, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)


def _check(made: rf.Footage, out: Path, frames: int, notes: tuple[str, ...], half: bool = True) -> None:
    rgb, grey = _decode(out, half)
    assert len(rgb) == frames
    template = _template(made, rgb[0].shape[0])
    scores = np.array([rf.find_sprite(f, template)[0] for f in rgb])
    # A face cut off by the crop's edge cannot match: matchTemplate only places it fully inside.
    inside = float(np.mean(scores >= 0.8))
    assert inside >= 0.98, (inside, np.flatnonzero(scores < 0.8))
    # The crop's path as the output shows it: the background's sideways step from frame to frame.
    steps = rf.pan_steps(grey) * (2 if half else 1)  # output px
    cut = made.cut
    for a, b in ((0, cut - 1), (cut, frames - 1)):  # steps inside each shot (not the one across the cut)
        shot = steps[a:b]
        assert (
            np.isnan(shot).mean() < 0.02
        )  # ECC may miss a step or two (the encoder's keyframe before a cut)
        jerk = np.abs(np.diff(shot, 2))  # third difference of the path
        jerk = jerk[~np.isnan(jerk)]
        # The crop moves in whole output pixels (see footage._moving_crop): rounding errors of up to half a
        # pixel give third differences of up to 4 px on a perfectly smooth path (measured: mean 0.7, 95th
        # percentile 2-3); per-frame tracking of the same face: mean 7.8, p95 27 (benchmarks/).
        assert jerk.mean() < JERK_MEAN and np.percentile(jerk, 95) <= JERK_P95, (
            jerk.mean(),
            np.percentile(jerk, 95),
        )
    for a, b in made.holds:
        b = min(b, frames - 1)
        if b - a < 25:  # the short pause mid-shot is where the path turns; the long holds must be still
            continue
        held = np.abs(steps[a + 3 : b - 3]) < 0.3
        assert held.mean() >= 0.9, (a, b, steps[a:b].round(2))
    assert any(w.startswith("smart: 2 shots") for w in notes), notes


def test_canvas_smart_keeps_the_moving_face_in_frame(footage: rf.Footage, tmp_path: Path) -> None:
    out = tmp_path / "smart.mp4"
    result = render_canvas(
        footage.path,
        out,
        CanvasOptions(fit="smart", loop="cut", duration=8, size="720x1280", x264_preset="veryfast"),
    )
    assert result.report is not None and result.report.verdict() == "pass"
    _check(footage, out, 240, result.notes)


def test_a_fixed_centre_crop_loses_the_face(footage: rf.Footage, tmp_path: Path) -> None:
    """The same footage with today's --fit crop: the face leaves the frame (what smart is for)."""
    out = tmp_path / "centre.mp4"
    render_canvas(footage.path, out, CanvasOptions(fit="crop", loop="cut", duration=8, size="720x1280",
                                                   x264_preset="ultrafast"))  # fmt: skip
    rgb, _ = _decode(out)
    template = _template(footage, rgb[0].shape[0])
    inside = np.mean([rf.find_sprite(f, template)[0] >= 0.8 for f in rgb])
    assert inside < 0.6


@pytest.mark.slow  # make test-release
def test_clip_smart_reframes_the_same_way(footage: rf.Footage, tmp_path: Path) -> None:
    out = tmp_path / "clip.mp4"
    result = render_clip(footage.path, out, ClipOptions(fit="smart", x264_preset="ultrafast"))
    assert result.report is not None and result.report.verdict() == "pass"
    _check(footage, out, 270, result.notes)


def test_footage_without_a_subject_gets_a_static_centre_crop(media, tmp_path: Path) -> None:
    bars = media.video("bars.mp4", size="640x360", seconds=4, source="smptebars")
    out = tmp_path / "bars.mp4"
    result = render_canvas(bars, out, CanvasOptions(fit="smart", loop="cut", duration=3, size="720x1280",
                                                    x264_preset="ultrafast"))  # fmt: skip
    assert "smart: 1 shot, 1 static" in result.notes
    assert any("static centre crop" in w for w in result.warnings)
    frame = _decode(out, half=False)[0][0]
    centre = cv2.resize(cv2.imread(str(_first_frame(bars, tmp_path)))[:, 220:420], (720, 1280))
    assert np.abs(frame.astype(int) - centre[:, :, ::-1].astype(int)).mean() < 12


def _first_frame(video: Path, tmp_path: Path) -> Path:
    with av.open(str(video)) as c:
        frame = next(c.decode(video=0)).to_image()
    path = tmp_path / "first.png"
    frame.save(path)
    return path


def test_rotated_footage_is_reframed_as_shown(footage: rf.Footage, tmp_path: Path) -> None:
    """Footage stored portrait with a rotation tag that shows it landscape (as phones record): the analysis
    must see the picture as ffmpeg's autorotate shows it, or the crop follows a face that is not there."""
    from tests.media import ffmpeg

    turned = tmp_path / "turned.mp4"
    stored = tmp_path / "stored.mp4"
    ffmpeg("-i", str(footage.path), "-t", "3.5", "-vf", "transpose=clock", "-c:v", "libx264", "-preset",
           "ultrafast", "-crf", "16", "-an", str(stored))  # fmt: skip
    ffmpeg("-display_rotation", "90", "-i", str(stored), "-c", "copy", str(turned))
    v = probe(turned).primary_video
    assert v is not None and (v.coded_width, v.coded_height) == (360, 640)
    assert (v.display_width, v.display_height) == (640, 360)
    out = tmp_path / "t.mp4"
    options = CanvasOptions(fit="smart", loop="cut", duration=3, size="720x1280", x264_preset="ultrafast")
    result = render_canvas(turned, out, options)
    assert result.report is not None and result.report.verdict() == "pass"
    assert any("following a face" in w for w in result.notes), result.notes
    rgb, _ = _decode(out)
    template = _template(footage, rgb[0].shape[0])
    inside = np.mean([rf.find_sprite(f, template)[0] >= 0.8 for f in rgb])
    assert inside >= 0.98, inside


@pytest.mark.slow
def test_full_size_footage(tmp_path: Path) -> None:
    made = rf.make(tmp_path / "walk1080.mp4", 1920, 1080, 9.0)
    out = tmp_path / "smart.mp4"
    result = render_canvas(made.path, out, CanvasOptions(fit="smart", loop="cut", duration=8))
    _check(made, out, 240, result.notes, half=False)


@pytest.mark.slow  # make test-release
def test_hdr_and_variable_rate_footage_keep_working(footage: rf.Footage, tmp_path: Path) -> None:
    """10-bit PQ footage (tone-mapped after the crop) and variable-rate footage (blended to a constant rate):
    both are reframed, and in the variable-rate one the face is still found inside the frames."""
    from tests.media import ffmpeg

    hdr, vfr = tmp_path / "pq.mp4", tmp_path / "vfr.mp4"
    ffmpeg("-i", str(footage.path), "-t", "4", "-vf",
           "setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv,"
           "zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt2020,"
           "zscale=t=smpte2084:m=bt2020nc:r=tv,format=yuv420p10le,"
           "setparams=color_primaries=bt2020:color_trc=smpte2084:colorspace=bt2020nc",
           "-c:v", "libx264", "-preset", "ultrafast", "-an", str(hdr))  # fmt: skip
    # Every frame for the first 2 s, then every third: the cadence changes mid-shot.
    ffmpeg("-i", str(footage.path), "-vf", "select='if(lt(t,2),1,not(mod(n,3)))'", "-fps_mode", "vfr",
           "-c:v", "libx264", "-preset", "ultrafast", "-crf", "16", "-an", str(vfr))  # fmt: skip
    assert probe(hdr).primary_video.hdr == "PQ"  # type: ignore[union-attr]
    assert probe(vfr).primary_video.constant_rate is False  # type: ignore[union-attr]
    options = CanvasOptions(fit="smart", loop="cut", duration=3.5, size="720x1280", x264_preset="ultrafast")
    for src in (hdr, vfr):
        out = tmp_path / f"{src.stem}.out.mp4"
        result = render_canvas(src, out, options)
        assert result.report is not None and result.report.verdict() == "pass"
        assert any("following a face" in w for w in result.notes), result.notes
    rgb, _ = _decode(tmp_path / "vfr.out.mp4")
    template = _template(footage, rgb[0].shape[0])
    inside = np.mean([rf.find_sprite(f, template)[0] >= 0.8 for f in rgb])
    assert inside >= 0.98, inside


def _sprite(path: Path, seconds: float) -> Path:
    """The reviewer's repro, made continuous: an 80-px testsrc2 square sliding over grey in 640x360, from
    x=40 right at 100 px/s, turning at 5 s (its right edge 20 px short of the frame's) and coming back."""
    from tests.media import ffmpeg

    ffmpeg("-f", "lavfi", "-i", f"color=gray:s=640x360:d={seconds}", "-f", "lavfi", "-i",
           f"testsrc2=s=80x80:d={seconds}", "-filter_complex",
           "[0][1]overlay=x='if(lt(t,5),40+100*t,540-100*(t-5))':y=140", "-c:v", "libx264", "-preset",
           "ultrafast", "-crf", "18", "-pix_fmt", "yuv420p", str(path))  # fmt: skip
    return path


@pytest.mark.parametrize("loop", ["cut", pytest.param("pingpong", marks=pytest.mark.slow)])
def test_a_moving_subject_without_a_face_stays_whole(tmp_path: Path, loop: str) -> None:
    """No face: the crop follows the motion. The square must be whole in every output frame (before: 28 of
    210 frames cut by 12-18 % at the start and at the turn, up to 35 % on the last frame of a cut loop)."""
    src = _sprite(tmp_path / "sprite.mp4", 10)
    out = tmp_path / "out.mp4"
    options = CanvasOptions(fit="smart", loop=loop, duration=7, size="720x1280", x264_preset="ultrafast")
    result = render_canvas(src, out, options)
    assert result.report is not None and result.report.verdict() == "pass"
    assert any("following the motion" in n for n in result.notes), result.notes
    rgb, _ = _decode(out, half=False)
    assert abs(len(rgb) - 7 * 25) <= 1  # lavfi makes 25 fps, which the render keeps
    cut = []
    for i, frame in enumerate(rgb):
        # The square is what differs from the grey; whole means it touches neither side and is as wide
        # as it is (80 source px at the render's 1280/360 scale).
        picture = frame.astype(int)
        columns = np.flatnonzero((np.abs(picture - 128).sum(axis=2) > 40).sum(axis=0) > 4)
        touching = not columns.size or columns[0] <= 1 or columns[-1] >= frame.shape[1] - 2
        if touching or columns[-1] - columns[0] + 1 < 80 * 1280 / 360 - 6:
            cut.append(i)
    assert not cut, cut


def test_a_decode_failure_in_the_analysis_is_a_warning_of_the_render(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Footage that stops decoding part-way (zeros over a fifth of its middle): the render goes on, says so
    in its warnings (not in a log line on stderr), and the note describing the crop says it was framed from
    what decoded."""
    from tests.media import ffmpeg

    good = tmp_path / "good.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x180:d=6", "-c:v", "libx264", "-preset", "ultrafast",
           "-pix_fmt", "yuv420p", "-g", "30", str(good))  # fmt: skip
    data = bytearray(good.read_bytes())
    a = len(data) // 2
    data[a : a + len(data) // 5] = bytes(len(data) // 5)
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(bytes(data))
    out = tmp_path / "out.mp4"
    caplog.set_level("WARNING", logger="mediakit")
    result = render_canvas(bad, out, CanvasOptions(fit="smart", loop="cut", start=1, duration=4,
                                                   size="720x1280", x264_preset="ultrafast"))  # fmt: skip
    assert not [r for r in caplog.records if r.name.startswith("mediakit.analysis")], caplog.text
    stopped = [w for w in result.warnings if "stopped decoding" in w]
    assert len(stopped) == 1 and "bad.mp4" in stopped[0], result.warnings
    described = [n for n in result.notes if n.startswith("smart:")]
    assert described and "decoding stopped" in described[0], result.notes
