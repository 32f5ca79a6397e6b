"""Deep checks on synthetic media: strobes, cuts, loops, blur, loudness, black and frozen stretches."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mediakit.deep import deep_check
from mediakit.preset import resolve
from mediakit.probe import probe
from mediakit.validate import Finding
from tests.media import MediaFactory, ffmpeg

pytestmark = pytest.mark.integration

SMALL = "s=180x320:r=30"
X264 = ("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p")
SPAN = re.compile(r"(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?) s")


def lavfi(media: MediaFactory, name: str, *args: str) -> Path:
    """`name` in the session's media folder, made once with ffmpeg `args` (without the output)."""
    out = media.root / name
    if not out.exists():
        tmp = out.with_name(".tmp-" + out.name)
        ffmpeg(*args, str(tmp))
        tmp.replace(out)
    return out


def strobe(media: MediaFactory, name: str, period: float, colour: str = "white", box: str = "") -> Path:
    """4 s of black with `colour` on for the first half of every `period` seconds (over `box` if given)."""
    # By frame number (30 fps): mod(t, 0.2) in floating point puts some edges a frame early or late, and
    # then some seconds hold 11 transitions of a "5 Hz" strobe.
    frames = period * 30
    draw = f"drawbox={box}t=fill:c={colour}:enable='lt(mod(n,{frames:g}),{frames / 2:g})'"
    return lavfi(media, name, "-f", "lavfi", "-i", f"color=black:{SMALL}:d=4", "-vf", draw, *X264)


def source(media: MediaFactory, name: str, vf: str = "null", size: str = SMALL, seconds: float = 4) -> Path:
    return lavfi(media, name, "-f", "lavfi", "-i", f"testsrc2={size}:d={seconds}", "-vf", vf, *X264)


def with_tone(media: MediaFactory, name: str, audio: str) -> Path:
    """testsrc2 with a stereo 1 kHz tone through `audio` filters (+7.1 dB reads -14 LUFS after AAC)."""
    return lavfi(
        media,
        name,
        "-f",
        "lavfi",
        "-i",
        f"testsrc2={SMALL}:d=4",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=1000:sample_rate=48000:d=4",
        "-af",
        audio,
        "-ac",
        "2",
        *X264,
        "-c:a",
        "aac",
        "-shortest",
    )


def findings(path: Path, preset: str) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for f in deep_check(probe(path), resolve(preset)):
        out.setdefault(f.rule, []).append(f)
    return out


def span(message: str) -> tuple[float, float]:
    match = SPAN.search(message)
    assert match, f"no time range in {message!r}"
    return float(match.group(1)), float(match.group(2))


# --- flashing (WCAG 2.3.1) ----------------------------------------------------------------------------------


def test_a_2_hz_full_screen_strobe_passes(media: MediaFactory) -> None:
    assert "flashing" not in findings(strobe(media, "strobe-2hz.mp4", 0.5), "canvas")


def test_a_5_hz_full_screen_strobe_fails_with_its_time_range(media: MediaFactory) -> None:
    (f,) = findings(strobe(media, "strobe-5hz.mp4", 0.2), "canvas")["flashing"]
    assert f.severity == "error"
    assert f.observed == "5 flashes in 1 s"
    assert "over 100% of the screen" in f.message
    start, end = span(f.message)
    assert start >= 0 and end - start == pytest.approx(1.0, abs=0.05)
    assert "more than 3 a second in 0.0-4.0 s" in f.message
    assert "3 a second or less" in f.hint


def test_a_5_hz_strobe_on_a_tenth_of_the_screen_passes(media: MediaFactory) -> None:
    path = strobe(media, "strobe-5hz-small.mp4", 0.2, box="x=61:y=110:w=57:h=101:")
    assert "flashing" not in findings(path, "canvas")


def test_a_saturated_red_strobe_fails_as_red_flashes(media: MediaFactory) -> None:
    (f,) = findings(strobe(media, "strobe-red-5hz.mp4", 0.2, colour="red"), "clip")["flashing"]
    assert f.observed == "5 red flashes in 1 s"
    assert "avoid saturated red" in f.hint


def test_a_slow_fade_passes(media: MediaFactory) -> None:
    path = lavfi(
        media,
        "fade.mp4",
        "-f",
        "lavfi",
        "-i",
        f"color=white:{SMALL}:d=4",
        "-vf",
        "fade=t=in:st=0:d=1.5,fade=t=out:st=2.2:d=1.5",
        *X264,
    )
    found = findings(path, "canvas")
    assert "flashing" not in found and "rapid-cuts" not in found


# --- rapid cuts ---------------------------------------------------------------------------------------------


def test_hard_cuts_every_0_3_s_warn(media: MediaFactory) -> None:
    sources = ["testsrc2", "smptebars", "rgbtestsrc", "testsrc2"]
    graph = "".join(
        f"{sources[i % 4]}={SMALL}:d=0.3{',negate' if i % 4 == 3 else ''},trim=end_frame=9,"
        f"setpts=PTS-STARTPTS[s{i}];"
        for i in range(13)
    )
    graph += "".join(f"[s{i}]" for i in range(13)) + "concat=n=13:v=1:a=0"
    (f,) = findings(lavfi(media, "cuts-0.3s.mp4", "-filter_complex", graph, *X264), "canvas")["rapid-cuts"]
    assert f.severity == "warning"
    assert f.observed == "3.5 cuts/s"  # 7 cuts in the worst 2 s
    start, end = span(f.message)
    assert end - start == pytest.approx(2.0)


def test_a_crossfade_is_not_a_cut(media: MediaFactory) -> None:
    path = lavfi(
        media,
        "xfade.mp4",
        "-filter_complex",
        f"testsrc2={SMALL}:d=2.5[a];testsrc={SMALL}:d=2.5[b];"
        "[a][b]xfade=transition=fade:duration=1:offset=1.5",
        *X264,
    )
    assert "rapid-cuts" not in findings(path, "canvas")


@pytest.mark.parametrize("period", [0.2, 0.5], ids=["5hz", "2hz"])
def test_a_strobe_is_not_cuts(media: MediaFactory, period: float) -> None:
    assert "rapid-cuts" not in findings(strobe(media, f"strobe-{period}.mp4", period), "canvas")


def test_one_cut_passes(media: MediaFactory) -> None:
    path = lavfi(
        media,
        "one-cut.mp4",
        "-filter_complex",
        f"testsrc2={SMALL}:d=2[a];testsrc={SMALL}:d=2[b];[a][b]concat=n=2:v=1:a=0",
        *X264,
    )
    assert findings(path, "canvas").keys() <= {"loop-seam"}  # it is no loop, but nothing else is wrong


# --- loop seam ----------------------------------------------------------------------------------------------


def ping_pong(media: MediaFactory, name: str, trim: str) -> Path:
    return lavfi(
        media,
        name,
        "-f",
        "lavfi",
        "-i",
        f"testsrc2={SMALL}:d=2",
        "-filter_complex",
        f"[0]split[a][b];[b]reverse{trim},setpts=PTS-STARTPTS[r];[a][r]concat",
        *X264,
    )


def test_a_clean_ping_pong_passes(media: MediaFactory) -> None:
    assert "loop-seam" not in findings(
        ping_pong(media, "pingpong.mp4", ",trim=start_frame=1:end_frame=59"), "canvas"
    )


def test_a_jump_at_the_wrap_warns_with_a_loop_hint(media: MediaFactory) -> None:
    path = lavfi(
        media,
        "moving-box.mp4",
        "-f",
        "lavfi",
        "-i",
        f"testsrc2={SMALL}:d=3",
        "-f",
        "lavfi",
        "-i",
        "color=white:s=40x120:r=30:d=3",
        "-filter_complex",
        "[0][1]overlay=x='t*40':y=100",
        *X264,
    )
    (f,) = findings(path, "canvas")["loop-seam"]
    assert f.severity == "warning"
    assert "from the last frame (2.97 s) back to the first (0.00 s)" in f.message
    assert "mediakit canvas SOURCE --loop pingpong" in f.hint and "--loop crossfade" in f.hint


def test_a_repeated_turnaround_frame_is_a_stall(media: MediaFactory) -> None:
    (f,) = findings(ping_pong(media, "pingpong-naive.mp4", ""), "canvas")["loop-seam"]
    assert f.severity == "warning"
    assert f.message == (
        "the motion stalls on a repeated frame at the wrap, 2.00 s, which may be the footage's own "
        "repeat (the file cannot show whether)"
    )
    # The hint names the footage to render from, not the file checked (which has the repeats).
    assert "mediakit canvas SOURCE --loop pingpong" in f.hint and "pingpong-naive" not in f.hint


def test_a_duplicated_frame_in_moving_footage_is_a_stall(media: MediaFactory) -> None:
    path = source(media, "one-repeat.mp4", "split[a][b];[a][b]freezeframes=first=45:last=45:replace=44")
    seam, f = findings(path, "canvas")["loop-seam"]  # testsrc2 is no loop: it also has a seam
    assert seam.observed.startswith("seam ")
    assert f.observed == "1 stall(s)" and "at 1.50 s" in f.message


def test_25_fps_footage_raised_to_30_by_repeats_judders_in_a_cadence(media: MediaFactory) -> None:
    path = lavfi(
        media, "25-to-30.mp4", "-f", "lavfi", "-i", "testsrc2=s=180x320:r=25:d=4", "-vf", "fps=30", *X264
    )
    _seam, f = findings(path, "canvas")["loop-seam"]
    assert f.message.startswith("a frame repeats every 6 frames (at ")
    assert "footage of about 25 fps was raised to 30 fps by repeating frames" in f.message
    assert "--fps 25" in f.hint


def test_a_still_video_with_noise_and_a_keyframe_refresh_has_no_seam(media: MediaFactory) -> None:
    """Mostly static: faint noise on a still, and the wrap lands on a fresh keyframe. Its ordinary step is
    noise (median 0.005 levels), which the old 0.05 floor turned into a 2.03x seam; against STEP_FLOOR the
    wrap's 0.1-level refresh reads 0.41."""
    path = lavfi(
        media,
        "still-noise-3.mp4",
        "-f",
        "lavfi",
        "-i",
        f"smptebars={SMALL}:d=4",
        "-vf",
        "noise=alls=3:allf=t",
        *X264,
        "-g",
        "60",
    )
    assert "loop-seam" not in findings(path, "canvas")


def test_a_jump_in_a_still_video_is_a_seam_told_in_levels(media: MediaFactory) -> None:
    path = source(
        media,
        "still-then-jump.mp4",
        # one testsrc2 frame held for 3 s, with a white box from 2 s on: still but for one change
        "trim=end_frame=1,loop=loop=89:size=1,setpts=N/30/TB,"
        "drawbox=x=20:y=40:w=120:h=200:c=white:t=fill:enable='gte(n,60)'",
    )
    (f,) = findings(path, "canvas")["loop-seam"]
    assert f.message.startswith(
        "the picture barely moves (frame steps under 0.25 of 255 levels), but the loop"
    )
    assert "from the last frame (2.97 s) back to the first (0.00 s): a change of" in f.message


# --- blur ---------------------------------------------------------------------------------------------------


def test_a_sharp_picture_passes_and_a_blurred_one_warns(media: MediaFactory) -> None:
    big = "s=540x960:r=30"
    sharp = source(media, "sharp.mp4", size=big, seconds=2)
    assert "blur" not in findings(sharp, "clip")
    (f,) = findings(source(media, "blurred.mp4", "gblur=sigma=8", size=big, seconds=2), "clip")["blur"]
    assert f.severity == "warning"
    score = float(f.observed.split()[1])
    assert score < 0.25  # measured 0.12
    assert span(f.message) == (0.0, 2.0)


# --- audio --------------------------------------------------------------------------------------------------


def test_silent_audio_fails(media: MediaFactory) -> None:
    path = lavfi(
        media,
        "silent.mp4",
        "-f",
        "lavfi",
        "-i",
        f"testsrc2={SMALL}:d=4",
        "-f",
        "lavfi",
        "-i",
        "anullsrc=r=48000:cl=stereo",
        *X264,
        "-c:a",
        "aac",
        "-t",
        "4",
    )
    found = findings(path, "clip")
    (f,) = found["audio-silent"]
    assert f.severity == "error"
    assert f.message == "the audio is silent: -70.0 LUFS integrated over 0.0-4.0 s"
    assert "loudness" not in found  # the silence is the one problem


def test_a_minus_14_lufs_clip_passes_every_deep_rule(media: MediaFactory) -> None:
    assert findings(with_tone(media, "tone-14.mp4", "volume=7.1dB"), "clip") == {}


def test_a_minus_30_lufs_tone_warns(media: MediaFactory) -> None:
    (f,) = findings(with_tone(media, "tone-30.mp4", "volume=-8.9dB"), "clip")["loudness"]
    assert f.severity == "warning"
    integrated = float(f.observed.split()[0])
    assert integrated == pytest.approx(-30, abs=1)
    assert "LU below the -14 LUFS target" in f.message and span(f.message) == (0.0, 4.0)
    assert "-af loudnorm=I=-14:TP=-1" in f.hint


# --- black and frozen ---------------------------------------------------------------------------------------


def test_two_seconds_of_black_warn(media: MediaFactory) -> None:
    path = source(media, "black-2s.mp4", "drawbox=t=fill:c=black:enable='between(t,1,3)'")
    (f,) = findings(path, "clip")["black-frozen"]
    assert f.severity == "warning"
    start, end = span(f.message)
    assert start == pytest.approx(1.0, abs=0.05) and end == pytest.approx(3.03, abs=0.05)
    assert f.message.startswith("2.0 s of black at")


def test_a_frozen_stretch_warns(media: MediaFactory) -> None:
    path = source(media, "frozen-2s.mp4", "split[a][b];[a][b]freezeframes=first=30:last=90:replace=30")
    (f,) = findings(path, "clip")["black-frozen"]
    start, end = span(f.message)
    assert start == pytest.approx(1.0, abs=0.15) and end == pytest.approx(3.03, abs=0.05)
    assert "freezes" in f.message and "moving footage" in f.hint


def test_normal_footage_and_a_still_video_pass(media: MediaFactory) -> None:
    assert "black-frozen" not in findings(source(media, "normal.mp4"), "clip")
    still = lavfi(media, "still-video.mp4", "-f", "lavfi", "-i", f"smptebars={SMALL}:d=4", *X264)
    assert "black-frozen" not in findings(still, "canvas")  # a still picture throughout is on purpose


# --- stills -------------------------------------------------------------------------------------------------


def test_a_jpeg_canvas_has_nothing_to_decode(media: MediaFactory) -> None:
    jpg = media.still("deep-canvas.jpg", (1080, 1920), fmt="JPEG")
    assert deep_check(probe(jpg), resolve("canvas")) == ()


def test_a_stream_whose_picture_size_changes_midway_is_measured(media: MediaFactory) -> None:
    # MPEG-TS segments join by concatenation, and a broadcast capture or a screen recording may change its
    # picture size between them: the reduced planes must keep one size (a ragged set was an internal error).
    parts = [
        lavfi(media, f"resize-{size}.ts", "-f", "lavfi", "-i", f"testsrc2=s={size}:r=30:d=2", *X264)
        for size in ("180x320", "320x180")
    ]
    joined = media.root / "resize-midway.ts"
    joined.write_bytes(b"".join(p.read_bytes() for p in parts))
    found = findings(joined, "canvas")
    assert "internal" not in found
    assert {f.rule for fs in found.values() for f in fs} <= {"loop-seam", "rapid-cuts"}, found
