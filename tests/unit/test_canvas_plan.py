"""Canvas plans are pure: golden argv and filtergraphs from synthetic MediaInfo (no ffmpeg, no files)."""

from __future__ import annotations

import shlex
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mediakit.errors import UsageError
from mediakit.preset import resolve
from mediakit.probe import MediaInfo, StillInfo, VideoInfo
from mediakit.rendering import footage, still
from mediakit.rendering.canvas import CanvasOptions, plan_canvas

PRESET = resolve("canvas")
OUT = Path("/out/x.canvas.mp4")


def video_info(
    w: int = 1920,
    h: int = 1080,
    seconds: float = 10,
    rotation: int = 0,
    hdr: bool = False,
    fps: Fraction = Fraction(30),
    constant: bool = True,
    declared: float | None = None,
) -> MediaInfo:
    dw, dh = (h, w) if rotation in (90, 270) else (w, h)
    v = VideoInfo(
        index=0,
        codec="h264",
        profile="High",
        pix_fmt="yuv420p10le" if hdr else "yuv420p",
        bit_depth=10 if hdr else 8,
        chroma="4:2:0",
        coded_width=w,
        coded_height=h,
        sar=Fraction(1),
        rotation=rotation,
        display_width=dw,
        display_height=dh,
        avg_rate=fps,
        real_rate=fps,
        constant_rate=constant,
        frames=round(seconds * fps),
        declared_frames=round(seconds * fps),
        duration=Fraction(seconds),
        color_primaries="bt2020" if hdr else "bt709",
        color_transfer="smpte2084" if hdr else "bt709",
        color_space="bt709",
        color_range="tv",
        interlaced=False,
    )
    return MediaInfo(
        path=Path("/in/-y:a,b'c.mp4"),
        size_bytes=1000,
        kind="video",
        container="mp4",
        demuxer="mov,mp4,m4a,3gp,3g2,mj2",
        duration=Fraction(declared if declared is not None else seconds),
        video=(v,),
    )


def still_info(w: int = 3000, h: int = 3000) -> MediaInfo:
    return MediaInfo(
        path=Path("/in/cover.png"),
        size_bytes=1000,
        kind="image",
        container="png",
        demuxer="png",
        duration=None,
        still=StillInfo("PNG", w, h, 1, "RGB", 8, False, 1),
    )


def test_still_plan_pipes_raw_frames_to_x264_with_pinned_settings():
    plan, warnings = plan_canvas(still_info(), OUT, CanvasOptions(), PRESET, "ffmpeg")
    argv = list(plan.argv)
    assert argv[:2] == ["ffmpeg", "-y"]
    i = argv.index("-i")
    assert argv[i + 1] == "pipe:0"
    assert argv[argv.index("-video_size") + 1] == "1080x1920" and argv[argv.index("-framerate") + 1] == "30"
    assert "setparams=range=tv:color_primaries=bt709:color_trc=bt709:colorspace=bt709" in plan.command_line()
    for flag, value in [
        ("-c:v", "libx264"),
        ("-profile:v", "high"),
        ("-preset", "slow"),
        ("-crf", "20"),
        ("-pix_fmt", "yuv420p"),
        ("-movflags", "+faststart"),
        ("-frames:v", "210"),
        ("-x264-params", "rc-lookahead=30:fast-pskip=0:mbtree=0"),
    ]:
        assert argv[argv.index(flag) + 1] == value, flag
    assert argv[len(argv) - 1 - argv[::-1].index("-f") + 1] == "mp4"  # the output format (input is rawvideo)
    assert "-an" in argv and argv[-1] == str(OUT)
    assert plan.frames == 210 and plan.seconds == 7.0 and warnings == []


def test_footage_pingpong_is_fed_by_mediakit_with_no_reverse_buffer():
    plan, _ = plan_canvas(video_info(), OUT, CanvasOptions(loop="pingpong", duration=7), PRESET, "ffmpeg")
    feeder, encoder = list(plan.feeder_argv), list(plan.argv)
    # The feeder fits 106 forward frames and writes them raw to mediakit's spool (its fd 0); the encoder
    # reads 210 (106 forwards, 104 backwards) from its stdin; nothing buffers frames in ffmpeg.
    assert feeder[-1] == "pipe:0" and "pipe:1" not in feeder
    assert feeder[feeder.index("-frames:v") + 1] == "106"
    assert feeder[feeder.index("-f") + 1] == "rawvideo" and feeder[feeder.index("-pix_fmt") + 1] == "yuv420p"
    assert encoder[encoder.index("-i") + 1] == "pipe:0" and plan.frames == 210
    assert encoder[encoder.index("-video_size") + 1] == "1080x1920"
    assert not any("reverse" in a or "concat" in a for a in feeder + encoder)
    assert feeder[feeder.index("-i") + 1] == "file:/in/-y:a,b'c.mp4"  # a file: URL: no option, no protocol
    assert feeder[feeder.index("-protocol_whitelist") + 1] == "file"
    assert "concat" not in feeder[feeder.index("-format_whitelist") + 1].split(",")
    assert isinstance(plan.source, footage.PingPong) and plan.source.forward == 106
    assert [pass_.name for pass_ in plan.passes] == ["encoding"] and plan.level is None


@pytest.mark.parametrize(("w", "h", "follow"), [(1920, 1080, True), (1080, 1920, True), (3840, 2160, False)])
def test_pingpong_fits_large_footage_before_encoding(w, h, follow):
    """HD frames go to the encoder as they land; 4K is fitted first, so its decoder and x264 never hold
    memory at the same time."""
    plan, _ = plan_canvas(video_info(w, h), OUT, CanvasOptions(loop="pingpong"), PRESET, "ffmpeg")
    assert isinstance(plan.source, footage.PingPong) and plan.source.follow is follow


def test_footage_crop_keeps_the_focus_point():
    plan, _ = plan_canvas(video_info(), OUT, CanvasOptions(loop="cut", focus=(0.0, 0.5)), PRESET, "ffmpeg")
    assert "crop=out_w=608:out_h=1080:x=0:y=0" in plan.command_line()
    plan, _ = plan_canvas(video_info(), OUT, CanvasOptions(loop="cut", focus=(1.0, 0.5)), PRESET, "ffmpeg")
    assert "crop=out_w=608:out_h=1080:x=1312:y=0" in plan.command_line()


def test_hdr_footage_is_tonemapped_by_the_feeder():
    plan, warnings = plan_canvas(video_info(hdr=True), OUT, CanvasOptions(), PRESET, "ffmpeg")
    assert "tonemap=tonemap=mobius" in shlex.join(plan.feeder_argv)  # in the feeder, at 8-bit output size
    assert any("HDR" in w for w in warnings)


def test_crossfade_graph_dissolves_the_end_into_the_start():
    plan, _ = plan_canvas(
        video_info(), OUT, CanvasOptions(loop="crossfade", duration=6, crossfade=1.0), PRESET, "ffmpeg"
    )
    graph = plan.command_line()
    assert "xfade=transition=fade:duration=1.0:offset=5.0" in graph and plan.frames == 180


def test_short_footage_shortens_the_default_loop_and_says_so():
    """3.0 s of footage: the default 7 s ping-pong (needs 3.53 s) becomes the longest the footage gives:
    90 forward frames, 178 in all (5.93 s), with a warning."""
    plan, warnings = plan_canvas(video_info(seconds=3), OUT, CanvasOptions(), PRESET, "ffmpeg")
    assert plan.frames == 178 and plan.seconds == pytest.approx(178 / 30)
    assert shlex.split(shlex.join(plan.feeder_argv))[plan.feeder_argv.index("-frames:v") + 1] == "90"
    assert any("instead of the default 7 s" in w for w in warnings)
    # A cut loop takes every frame there is; the preset's 3 s minimum still holds.
    plan, warnings = plan_canvas(video_info(seconds=3.5), OUT, CanvasOptions(loop="cut"), PRESET, "ffmpeg")
    assert plan.frames == 105 and any("3.50 s" in w for w in warnings)


def test_footage_too_short_for_the_minimum_or_an_explicit_duration_is_refused():
    from mediakit.errors import InputError

    # 1.2 s after --start: even a 3 s ping-pong needs 46 frames (1.53 s).
    with pytest.raises(InputError, match=r"a 3 s pingpong loop needs 1\.53 s"):
        plan_canvas(video_info(seconds=2.2), OUT, CanvasOptions(start=1.0), PRESET, "ffmpeg")
    with pytest.raises(InputError, match=r"needs 3\.53 s") as caught:
        plan_canvas(video_info(seconds=3), OUT, CanvasOptions(start=1.0, duration=7), PRESET, "ffmpeg")
    assert "shorter --duration" in (caught.value.hint or "")


def test_footage_length_is_what_its_frames_hold_not_what_the_header_claims():
    """180 frames in a file whose header claims 10 hours: 6 s of footage (a cut loop of 7 s is refused,
    the default shrinks to 6 s)."""
    from mediakit.errors import InputError

    lying = video_info(seconds=6, declared=36000)
    with pytest.raises(InputError, match=r"6\.00 s of footage"):
        plan_canvas(lying, OUT, CanvasOptions(loop="cut", duration=7), PRESET, "ffmpeg")
    plan, _ = plan_canvas(lying, OUT, CanvasOptions(loop="cut"), PRESET, "ffmpeg")
    assert plan.frames == 180
    argv = list(plan.argv)
    assert float(argv[argv.index("-t") + 1]) < 6.1  # the input is read for the frames it holds only


def _rate_filter(plan) -> str:
    graph = plan.command_line() + " " + shlex.join(plan.feeder_argv)
    return " ".join(part for part in graph.replace(";", " ").split() if "fps=" in part or "select=" in part)


@pytest.mark.parametrize(
    ("fps", "constant", "r", "graph"),
    [
        (Fraction(25), True, "25", "fps=fps=25"),
        (Fraction(24), True, "24", "fps=fps=24"),
        (Fraction(24000, 1001), True, "24000/1001", "fps=fps=24000/1001"),
        (Fraction(30000, 1001), True, "30000/1001", "fps=fps=30000/1001"),
        (Fraction(30), True, "30", "fps=fps=30"),
        (Fraction(50), True, "25", "every 2nd"),
        (Fraction(60), True, "30", "every 2nd"),
        (Fraction(60000, 1001), True, "30000/1001", "every 2nd"),
        (Fraction(120), True, "30", "every 4nd"),
        (Fraction(15), True, "30", "framerate=fps=30"),
        (Fraction(20), True, "30", "framerate=fps=30"),
        (Fraction(30), False, "30", "framerate=fps=30"),  # variable rate: blended, never repeated
    ],
)
def test_footage_keeps_its_rate_halves_50_60_and_blends_the_rest(fps, constant, r, graph):
    for loop in ("pingpong", "cut"):
        plan, _ = plan_canvas(
            video_info(fps=fps, constant=constant), OUT, CanvasOptions(loop=loop), PRESET, "ffmpeg"
        )
        argv = list(plan.argv)
        assert argv[argv.index("-r") + 1] == r
        text = plan.command_line() + " " + shlex.join(plan.feeder_argv)
        if graph.startswith("every"):  # exactly every n-th source frame, then a rate that repeats none
            graph = f"select=expr=not(mod(n\\,{graph.split()[1][0]}))"
            text = plan.command_line() + " " + " ".join(plan.feeder_argv)
            assert f"fps=fps={r}" in text
        assert graph in text, _rate_filter(plan)
        assert plan.seconds == pytest.approx(7.0, abs=0.05)


def test_explicit_fps_wins_and_blends_what_is_not_a_whole_step():
    plan, _ = plan_canvas(video_info(fps=Fraction(25)), OUT, CanvasOptions(fps=30), PRESET, "ffmpeg")
    assert "framerate=fps=30" in shlex.join(plan.feeder_argv)
    plan, _ = plan_canvas(video_info(fps=Fraction(50)), OUT, CanvasOptions(fps=25), PRESET, "ffmpeg")
    assert "select=" in shlex.join(plan.feeder_argv) and "fps=fps=25" in shlex.join(plan.feeder_argv)
    plan, _ = plan_canvas(still_info(), OUT, CanvasOptions(fps=24), PRESET, "ffmpeg")
    assert plan.frames == 168


@pytest.mark.parametrize(
    ("size", "fit"),
    [
        ((3000, 3000), "blur"),
        ((1600, 1200), "blur"),
        ((1200, 1600), "blur"),
        ((1080, 1920), "crop"),
        ((1080, 1800), "crop"),
        ((1080, 2340), "blur"),
    ],
)
def test_auto_fit_shows_a_still_far_from_9_16_whole(size, fit):
    """1080x1800 (3:5) loses 6.25 % of its height to a crop: kept cropped. 1080x2340 loses 18 %: blur."""
    from mediakit.rendering.canvas import resolve_fit

    opts = resolve_fit(CanvasOptions(), still_info(*size), (1080, 1920))
    assert opts.fit == fit
    _, warnings = plan_canvas(still_info(*size), OUT, CanvasOptions(), PRESET, "ffmpeg")
    assert not any("cuts off" in w for w in warnings)


def test_a_crop_that_cuts_more_than_ten_percent_says_so():
    _, warnings = plan_canvas(still_info(), OUT, CanvasOptions(fit="crop"), PRESET, "ffmpeg")
    assert any("cuts off 44% of the source's width (3000x3000)" in w for w in warnings)
    _, warnings = plan_canvas(video_info(), OUT, CanvasOptions(), PRESET, "ffmpeg")  # footage: crop
    assert any("cuts off 68% of the source's width" in w for w in warnings)
    _, warnings = plan_canvas(video_info(1080, 1920), OUT, CanvasOptions(), PRESET, "ffmpeg")
    assert not any("cuts off" in w for w in warnings)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        (CanvasOptions(duration=8.5), "outside the Spotify Canvas range"),
        (CanvasOptions(duration=2.9), "outside the Spotify Canvas range"),
        (CanvasOptions(fps=60), "unknown fps"),
        (CanvasOptions(zoom=2.0), "outside 1.0-1.5"),
        (CanvasOptions(motion="spin"), "unknown motion"),
        (CanvasOptions(x264_preset="warp9"), "unknown x264 preset"),
        (CanvasOptions(color="not-a-colour", fit="pad"), "unknown colour"),
    ],
)
def test_bad_options_are_usage_errors(options, match):
    with pytest.raises(UsageError, match=match):
        plan_canvas(still_info(), OUT, options, PRESET, "ffmpeg")


@given(st.floats(min_value=3.0, max_value=8.0), st.sampled_from([24, 25, 30]))
def test_duration_is_whole_frames_never_over_eight_seconds(duration, fps):
    plan, _ = plan_canvas(still_info(), OUT, CanvasOptions(duration=duration, fps=fps), PRESET, "ffmpeg")
    assert plan.frames / fps <= 8.0
    assert abs(plan.frames / fps - duration) <= 1 / fps


@given(st.integers(4, 2000), st.sampled_from(footage.LOOPS))
def test_loop_shapes_fit_the_frame_budget(frames, loop):
    shape = footage.loop_shape(loop, frames, 30, 1.0)
    assert shape.out_frames <= frames and frames - shape.out_frames <= 1
    if loop == "pingpong":
        assert shape.out_frames == 2 * shape.source_frames - 2


@given(st.integers(100, 9000), st.integers(100, 9000), st.floats(0, 1), st.floats(0, 1))
def test_crop_box_is_inside_the_source_with_the_right_aspect(w, h, fx, fy):
    x, y, cw, ch = still.crop_box((w, h), 9 / 16, (fx, fy))
    assert x >= 0 and y >= 0 and x + cw <= w + 1e-6 and y + ch <= h + 1e-6
    assert cw / ch == pytest.approx(9 / 16)
    assert cw == pytest.approx(w) or ch == pytest.approx(h)


@given(st.sampled_from(still.MOTIONS), st.integers(72, 240), st.floats(1.01, 1.5))
def test_camera_windows_stay_inside_the_stage_and_loop(motion, frames, zoom):
    stage = still.stage_size((1080, 1920), motion, zoom)
    path = still.camera_path(motion, frames, zoom, stage)
    for w in path:
        h = w.width * stage[1] / stage[0]
        assert w.cx - w.width / 2 >= -1e-6 and w.cx + w.width / 2 <= stage[0] + 1e-6
        assert w.cy - h / 2 >= -1e-6 and w.cy + h / 2 <= stage[1] + 1e-6
        assert w.width >= 1080 - 1e-6  # never zoomed past 1:1 (no upscaling of the stage)
    assert len(path) == frames  # frame `frames` would repeat frame 0, so it is not rendered


@pytest.mark.parametrize(
    ("space", "height", "expected"),
    [
        ("bt709", 1080, "bt709"),
        (None, 1080, "bt709"),
        (None, 480, "bt601"),
        ("smpte170m", 1080, "bt601"),
    ],
)
def test_source_matrix_is_read_as_players_read_it(space, height, expected):
    import dataclasses

    info = video_info(w=height * 16 // 9, h=height)
    video = dataclasses.replace(info.video[0], color_space=space)
    plan, _ = plan_canvas(
        dataclasses.replace(info, video=(video,)), OUT, CanvasOptions(loop="cut"), PRESET, "ffmpeg"
    )
    assert f"in_color_matrix={expected}:out_color_matrix=bt709" in plan.command_line()


@pytest.mark.parametrize(
    ("name", "fmt", "fitting"),
    [
        ("out.mp4.gif", "mp4", "out.mp4"),  # a wrong suffix added after the right one: drop it only
        ("out.M4V.webm", "mp4", "out.M4V"),
        ("out.gif", "mp4", "out.mp4"),
        ("cover.canvas", "mp4", "cover.canvas.mp4"),
        ("still.jpg.png", "jpg", "still.jpg"),
        ("out.png.gif", "mp4", "out.png.mp4"),  # .png is wrong for an MP4 too: only the last suffix goes
    ],
)
def test_a_wrong_suffix_gets_a_fitting_name(name: str, fmt: str, fitting: str) -> None:
    from mediakit.rendering.output import suffix_problem

    problem = suffix_problem(Path(name), fmt)
    assert problem is not None and problem[1] == fitting
    assert suffix_problem(Path(fitting), fmt) is None  # the name suggested is itself accepted
