"""mediakit.fix cutting: lossless, smart and re-encode cuts, checked by packet hashes, PSNR and decoding."""

from __future__ import annotations

import hashlib
import math
import subprocess
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from mediakit.fix.cut import MIN_PSNR, cut, keyframes, plan_cut
from mediakit.fix.trim_point import canvas_end, clip_end
from mediakit.probe import probe
from tests.media import FFMPEG, ffmpeg

FPS = 30


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Small H.264 sources (360x640, 30 fps, 9 s) made three ways, plus MPEG-4 Part 2."""
    root = tmp_path_factory.mktemp("cut-sources")
    video = ["-f", "lavfi", "-i", "testsrc2=s=360x640:r=30:d=9"]
    audio = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:d=9"]
    x264 = ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"]
    made = {
        # keyframe every second, 3 B-frames, AAC audio
        "gop30": [*video, *audio, *x264, "-g", "30", "-bf", "3", "-c:a", "aac", "-shortest"],
        # x264's default GOP (250): no keyframe after 0 in 9 s
        "gop250": [*video, *x264, "-x264-params", "scenecut=0"],
        "open": [*video, *x264, "-g", "30", "-bf", "3", "-x264-params", "open-gop=1"],
        "mpeg4": [*video, "-c:v", "mpeg4", "-q:v", "3"],
        "hevc10": [*video, "-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le"],
    }
    out = {}
    for name, args in made.items():
        out[name] = root / f"{name}.mp4"
        ffmpeg(*args, str(out[name]))
    # The same packets in MPEG-TS (Annex B, timestamps from 1.4 s) and tagged as a portrait phone video.
    out["ts"] = root / "gop30.ts"
    ffmpeg("-i", str(out["gop30"]), "-c", "copy", str(out["ts"]))
    out["mkv"] = root / "gop30.mkv"
    ffmpeg("-i", str(out["gop30"]), "-c", "copy", str(out["mkv"]))
    out["rotated"] = root / "rotated.mp4"
    ffmpeg("-display_rotation", "90", "-i", str(out["gop30"]), "-c", "copy", str(out["rotated"]))
    return out


def _packets(path: Path) -> list[tuple[float, str]]:
    """(display time s from the first frame, sha1 of the payload) of each video packet, in display order."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        rows = [(p.pts, hashlib.sha1(bytes(p)).hexdigest()) for p in c.demux(s) if p.size]
        tb = Fraction(s.time_base)
    rows.sort()
    return [(round(float((pts - rows[0][0]) * tb), 4), h) for pts, h in rows]


def _luma(path: Path) -> list[tuple[float, np.ndarray]]:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        tb = Fraction(s.time_base)
        frames = [(float(f.pts * tb), f.to_ndarray(format="gray").astype(np.float32)) for f in c.decode(s)]
    t0 = frames[0][0]
    return [(t - t0, y) for t, y in frames]


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a - b) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


def _ffmpeg_frames(path: Path, allowed: tuple[str, ...] = ()) -> int:
    """Frames ffmpeg's own CLI decodes, with no error on stderr but `allowed` ones (an independent run)."""
    done = subprocess.run(
        [FFMPEG, "-v", "error", "-nostdin", "-i", str(path), "-map", "0:v:0", "-f", "framemd5", "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    errors = [line for line in done.stderr.splitlines() if not any(a in line for a in allowed)]
    assert errors == []
    return sum(1 for line in done.stdout.splitlines() if line and not line.startswith("#"))


def _check_output(
    src: Path, dst: Path, start: float, frames: int, allowed: tuple[str, ...] = ()
) -> tuple[int, float]:
    """Every output frame is the source frame at the same time: returns (copied packets, min PSNR of
    the others). Also: timestamps rise by one frame each, frame counts agree, probe finds no damage."""
    out = _luma(dst)
    assert len(out) == frames == _ffmpeg_frames(dst, allowed)
    times = [t for t, _ in out]
    assert all(abs(t - i / FPS) < 1e-3 for i, t in enumerate(times)), times[:5]
    source = {round(t, 4): y for t, y in _luma(src)}
    src_packets = dict(_packets(src))
    copied, worst = 0, math.inf
    for (t, y), (pt, digest) in zip(out, _packets(dst), strict=True):
        at = round(start + t, 4)
        assert abs(pt - t) < 1e-3
        if src_packets.get(at) == digest:
            copied += 1
            assert _psnr(y, source[at]) == math.inf
        else:
            worst = min(worst, _psnr(y, source[at]))
    info = probe(dst)
    assert info.damage == ()
    assert info.primary_video is not None and info.primary_video.codec == "h264"
    assert info.duration is not None and abs(float(info.duration) - frames / FPS) < 1e-3
    return copied, worst


def test_keyframes_come_from_packet_headers(sources: dict[str, Path]) -> None:
    assert keyframes(sources["gop30"]) == pytest.approx([float(i) for i in range(9)], abs=1e-6)
    assert keyframes(sources["gop250"]) == pytest.approx([0.0, 250 / FPS])  # keyint 250


def test_lossless_cut_copies_every_packet(sources: dict[str, Path], tmp_path: Path) -> None:
    src, dst = sources["gop30"], tmp_path / "out.mp4"
    assert plan_cut(src, 0.0, 8.0)[0] == "lossless"
    assert not dst.exists()  # planning writes nothing
    result = cut(src, dst, 0.0, 8.0, keep_audio=True, ffmpeg_bin=FFMPEG)
    assert (result.method, result.frames, result.reencoded_frames, result.commands) == (
        "lossless",
        240,
        0,
        (),
    )
    assert (result.start, result.end) == (0.0, 8.0)
    copied, _ = _check_output(src, dst, 0.0, 240)
    assert copied == 240
    info = probe(dst)
    assert info.duration is not None and float(info.duration) <= 8.0
    # AAC frames inside the span only: 1024 samples each at 48 kHz, so at most 21.3 ms short.
    assert info.audio and info.audio[0].duration is not None
    assert 8.0 - 1024 / 48000 <= float(info.audio[0].duration) <= 8.0


def test_lossless_cut_from_a_keyframe_starts_at_zero(sources: dict[str, Path], tmp_path: Path) -> None:
    src, dst = sources["gop30"], tmp_path / "out.mp4"
    # 2.01 s is within a frame of the keyframe at 2 s: the cut moves there rather than re-encoding.
    result = cut(src, dst, 2.01, 9.0, keep_audio=False, ffmpeg_bin=FFMPEG)
    assert result.method == "lossless" and result.start == pytest.approx(2.0)
    assert result.frames == 210
    copied, _ = _check_output(src, dst, 2.0, 210)
    assert copied == 210
    assert not probe(dst).audio


def test_a_cut_never_ends_after_the_time_asked(tmp_path: Path) -> None:
    # At 29.97 fps, 8 s is 239.76 frames: the nearest frame boundary (240 frames, 8.008 s) would break an
    # 8.000 s limit; the span ends at the last boundary within it.
    src, dst = tmp_path / "ntsc.mp4", tmp_path / "out.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=s=180x320:r=30000/1001:d=9",
        "-c:v", "libx264", "-preset", "veryfast", "-g", "30", "-pix_fmt", "yuv420p", str(src),
    )  # fmt: skip
    result = cut(src, dst, 0.0, 8.0, keep_audio=False, ffmpeg_bin=FFMPEG)
    assert result.frames == 239 and result.end <= 8.0
    info = probe(dst)
    assert info.duration is not None and float(info.duration) <= 8.0
    assert info.primary_video is not None and info.primary_video.frames == 239


def test_lossless_cut_of_matroska_without_decode_times(sources: dict[str, Path], tmp_path: Path) -> None:
    # Matroska leaves out the first B-frame-delayed packets' dts; the cut supplies them as x264 would.
    src, dst = sources["mkv"], tmp_path / "out.mp4"
    result = cut(src, dst, 0.0, 8.0, keep_audio=True, ffmpeg_bin=FFMPEG)
    assert result.method == "lossless", result.reason
    assert _check_output(src, dst, 0.0, 240)[0] == 240


def test_lossless_cut_of_open_gops(sources: dict[str, Path], tmp_path: Path) -> None:
    src, dst = sources["open"], tmp_path / "out.mp4"
    result = cut(src, dst, 1.0, 8.0, keep_audio=False, ffmpeg_bin=FFMPEG)
    assert result.method == "lossless"
    # Starting on an open GOP's I-frame, the first P-frames' reference marking names frames of the GOP
    # before, which are gone: ffmpeg says "mmco: unref short failure" (and repeats it) and decodes on.
    # Every frame still matches the source's decode bit for bit, which _check_output asserts.
    noise = ("mmco: unref short failure", "Last message repeated")
    assert _check_output(src, dst, 1.0, 210, noise)[0] == 210


@pytest.mark.parametrize(
    ("name", "start", "end", "head", "tail"),
    [
        ("gop30", 0.5, 7.967, 15, True),  # no keyframe at either end
        ("gop30", 0.0, 7.5, 0, True),
        ("gop250", 0.0, 7.967, 0, True),  # one GOP: the copy runs until B-frames stop it
        ("open", 0.0, 7.967, 0, True),
    ],
)
def test_smart_cut_reencodes_only_the_edges(
    sources: dict[str, Path], tmp_path: Path, name: str, start: float, end: float, head: int, tail: bool
) -> None:
    src, dst = sources[name], tmp_path / "out.mp4"
    frames = round((end - start) * FPS)
    result = cut(src, dst, start, end, keep_audio=name == "gop30", ffmpeg_bin=FFMPEG)
    assert result.method == "smart", result.reason
    assert result.frames == frames
    assert 0 < result.reencoded_frames < frames
    assert len(result.commands) == (1 if head else 0) + (1 if tail else 0)
    copied, worst = _check_output(src, dst, start, frames)
    # Every frame is either a bit-identical source packet or a re-encoded one at >= 45 dB.
    assert copied == frames - result.reencoded_frames
    assert worst >= MIN_PSNR
    if head:
        assert f"re-encoded {head} frames" in result.reason


def test_a_rotated_source_keeps_its_rotation_through_a_smart_cut(
    sources: dict[str, Path], tmp_path: Path
) -> None:
    # ffmpeg turns frames upright when it re-encodes unless told not to; the re-encoded frames must stay
    # in the copied ones' coded orientation, under the source's rotation tag.
    src, dst = sources["rotated"], tmp_path / "out.mp4"
    result = cut(src, dst, 0.5, 7.967, keep_audio=False, ffmpeg_bin=FFMPEG)
    assert result.method == "smart", result.reason
    copied, worst = _check_output(src, dst, 0.5, 224)
    assert copied == 224 - result.reencoded_frames and worst >= MIN_PSNR
    before, after = probe(src).primary_video, probe(dst).primary_video
    assert before is not None and after is not None and before.rotation != 0
    assert (after.rotation, after.display_width, after.display_height) == (
        before.rotation,
        before.display_width,
        before.display_height,
    )


def test_mpeg_ts_sources_are_cut_on_their_own_timestamps(sources: dict[str, Path], tmp_path: Path) -> None:
    # MPEG-TS starts at 1.4 s and ffmpeg's -ss counts from the container's start: frames are picked by
    # their timestamps, so the re-encode starts on the right frame (a one-frame slip scores ~25 dB).
    src, dst = sources["ts"], tmp_path / "out.mp4"
    result = cut(src, dst, 0.5, 7.967, keep_audio=True, ffmpeg_bin=FFMPEG)
    assert result.method == "reencode" and "Annex B" in result.reason
    out, source = _luma(dst), dict((round(t, 4), y) for t, y in _luma(src))
    assert len(out) == 224 == _ffmpeg_frames(dst)
    assert min(_psnr(y, source[round(0.5 + t, 4)]) for t, y in out) > 35
    assert cut(src, tmp_path / "whole.mp4", 0.0, 8.0, keep_audio=True, ffmpeg_bin=FFMPEG).method == "lossless"
    assert len(_luma(tmp_path / "whole.mp4")) == 240 == _ffmpeg_frames(tmp_path / "whole.mp4")


def test_a_splice_that_fails_its_check_is_redone(sources: dict[str, Path], tmp_path: Path) -> None:
    # CRF 51 cannot reach 45 dB: the check refuses it and the cut is redone at a higher quality.
    src, dst = sources["gop30"], tmp_path / "out.mp4"
    result = cut(src, dst, 0.0, 7.5, keep_audio=False, ffmpeg_bin=FFMPEG, crf_for_smart=51)
    assert result.method == "smart"
    assert "failed its check" in result.reason and "dB" in result.reason
    assert len(result.commands) == 2
    assert _check_output(src, dst, 0.0, 225)[1] >= MIN_PSNR


@pytest.mark.parametrize(
    ("name", "codec"), [("mpeg4", "mpeg4"), pytest.param("hevc10", "hevc", marks=pytest.mark.slow)]
)
def test_other_codecs_are_reencoded_with_a_reason(
    sources: dict[str, Path], tmp_path: Path, name: str, codec: str
) -> None:
    src, dst = sources[name], tmp_path / "out.mp4"
    assert plan_cut(src, 0.0, 8.0)[0] == "reencode"
    result = cut(src, dst, 0.0, 8.0, keep_audio=True, ffmpeg_bin=FFMPEG)
    assert result.method == "reencode" and f"{codec}, not H.264" in result.reason
    assert result.reencoded_frames == result.frames == 240
    out = _luma(dst)
    assert len(out) == 240 == _ffmpeg_frames(dst)
    # Both sides decoded to 8-bit gray by swscale (the HEVC source is 10-bit).
    source = _luma(src)
    assert min(_psnr(y, source[i][1]) for i, (_, y) in enumerate(out)) > 35
    info = probe(dst)
    assert info.damage == () and info.primary_video is not None and info.primary_video.codec == "h264"
    assert info.duration is not None and float(info.duration) == pytest.approx(8.0, abs=1e-3)


def test_a_span_with_no_idr_frame_is_reencoded(sources: dict[str, Path], tmp_path: Path) -> None:
    src, dst = sources["gop250"], tmp_path / "out.mp4"
    result = cut(src, dst, 1.0, 3.0, keep_audio=False, ffmpeg_bin=FFMPEG)
    assert result.method == "reencode" and "no IDR keyframe" in result.reason
    assert len(_luma(dst)) == 60


# --- trim points ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seamless_loop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pattern that repeats every 1.5 s exactly, 9 s long: it loops seamlessly at 1.5 s multiples."""
    out = tmp_path_factory.mktemp("loop") / "loop.mp4"
    pattern = "128+90*sin(2*PI*(X/40+T/1.5))*cos(2*PI*(Y/60-T/1.5))"
    ffmpeg(
        "-f", "lavfi", "-i", f"color=s=180x320:r=30:d=9,format=gray,geq=lum='{pattern}'",
        "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", str(out),
    )  # fmt: skip
    return out


def test_a_seamless_loop_is_trimmed_to_a_whole_period(seamless_loop: Path) -> None:
    end, reason = canvas_end(seamless_loop, probe(seamless_loop), 8.0, 5.0)
    assert end == pytest.approx(7.5)
    assert "wraps" in reason


def test_a_seamless_loop_without_a_seam_near_the_limit_is_not_cut_short(tmp_path: Path) -> None:
    # A 9 s ping-pong wraps seamlessly at its own end, but no frame in the 2 s before 8 s looks like its
    # first: the end stays at the limit instead of moving up to 2 s earlier for nothing.
    src = tmp_path / "pingpong.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=s=180x320:r=30:d=4.5",
        "-filter_complex", "[0:v]split[a][b];[b]reverse[r];[a][r]concat=n=2:v=1:a=0",
        "-c:v", "libx264", "-preset", "veryfast", "-g", "30", "-pix_fmt", "yuv420p", str(src),
    )  # fmt: skip
    end, reason = canvas_end(src, probe(src), 8.0, 5.0)
    assert end == pytest.approx(8.0)
    assert "no end in the last 2 s does" in reason


def test_a_loop_that_is_not_seamless_ends_on_a_clean_cut(sources: dict[str, Path]) -> None:
    src = sources["gop30"]
    end, reason = canvas_end(src, probe(src), 8.0, 5.0)
    assert end == pytest.approx(8.0)
    assert "without re-encoding" in reason and "not seamless" in reason
    # From a later start the limit moves with it.
    end, _ = canvas_end(src, probe(src), 6.0, 5.0, start=2.0)
    assert end == pytest.approx(8.0)


@pytest.fixture(scope="module")
def gapped_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """31 s with a tone that stops from 28.6 to 28.8 s."""
    out = tmp_path_factory.mktemp("gap") / "gap.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=s=180x320:r=30:d=31",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:d=31",
        "-af", "volume='if(between(t,28.6,28.8),0,1)':eval=frame",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-shortest", str(out),
    )  # fmt: skip
    return out


def test_a_clip_ends_in_its_quiet_gap(gapped_clip: Path, tmp_path: Path) -> None:
    end, reason = clip_end(gapped_clip, probe(gapped_clip), 30.0, inclusive=False)
    assert 28.6 < end < 28.8
    assert "quiet" in reason
    # And the cut there is what the clip rule reads.
    dst = tmp_path / "out.mp4"
    result = cut(gapped_clip, dst, 0.0, end, keep_audio=True, ffmpeg_bin=FFMPEG)
    info = probe(dst)
    assert info.duration is not None and float(info.duration) < 30.0
    assert result.end == pytest.approx(end)


def test_a_clip_without_a_quiet_point_stays_a_frame_under(sources: dict[str, Path]) -> None:
    # A steady tone: every point is as loud, so a cut that needs no re-encode wins, under the limit.
    src = sources["gop30"]
    end, reason = clip_end(src, probe(src), 7.0, inclusive=False)
    assert end <= 7.0 - 1 / FPS + 1e-6
    end_inclusive, _ = clip_end(src, probe(src), 7.0, inclusive=True)
    assert end_inclusive == pytest.approx(7.0)
    assert "without re-encoding" in reason
