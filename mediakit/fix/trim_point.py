"""Where to end an over-long canvas or clip: a whole frame under the limit, on the best seam or quiet point.

Only a few seconds near the limit are decoded, at a small size (video) or as audio samples, so choosing
a point in a 4K minute-long file costs about as much as in a small one; keyframes come from packet
headers (no decoding).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from mediakit.analysis.loop import SEAM_LIMIT, measure_loop
from mediakit.errors import ProbeError
from mediakit.fix.cut import _copy_run, _fmt, _Index, _index, _keyframe_before, _passes
from mediakit.inputs import display
from mediakit.probe import MediaInfo, open_container

__all__ = ["canvas_end", "clip_end"]

# How far before the limit a canvas end may move to keep a seamless wrap, and a clip end to find quiet.
SEAM_WINDOW = 2.0
QUIET_WINDOW = 3.0
# Audio energy is measured over windows this long, centred on each candidate end.
RMS_WINDOW = 0.05
# A copy-friendly end counts as "no louder" than the quietest point within this margin (dB), or when
# both are under the floor (digital silence after AAC coding sits far below it).
LOUDER_MARGIN_DB = 1.0
SILENCE_DBFS = -60.0
# Frames for the seam measure: analysis size (short side), and frames taken at each side of the wrap.
ANALYSIS_SHORT = 180
SEAM_FRAMES = 4
_EPS = 1e-6


def _last_fitting(idx: _Index, s: int, limit: float) -> int:
    """The largest frame index e (span [s, e)) whose end is at or before `limit` seconds."""
    e = s + 1
    while e + 1 <= len(idx.display) and idx.end_time(e + 1) <= limit + _EPS:
        e += 1
    return e


def _clean_end(idx: _Index, e: int) -> bool:
    """Whether a copy can end before frame `e` without re-encoding: a run from the keyframe before it."""
    if e >= len(idx.display):
        return True
    k = next((i for i in range(e - 1, -1, -1) if idx.display[i].key), None)
    return k is not None and _copy_run(idx, k, e) is not None


def _keyframe_end(idx: _Index, s: int, e_max: int, e_min: int) -> tuple[int, str]:
    for e in (e_max, e_max - 1):
        if e > s and e >= e_min and _clean_end(idx, e):
            what = "the source's end" if e == len(idx.display) else f"{_fmt(idx.end_time(e))}"
            return e, f"ends at {what}, where the video can be cut without re-encoding"
    return e_max, f"ends at {_fmt(idx.end_time(e_max))}, the last whole frame within the limit"


def _small_luma(frame: Any) -> np.ndarray:
    scale = ANALYSIS_SHORT / min(frame.width, frame.height)
    w = max(2, round(frame.width * scale / 2) * 2)
    h = max(2, round(frame.height * scale / 2) * 2)
    return np.asarray(frame.to_ndarray(width=w, height=h, format="gray"), dtype=np.uint8)


def _decode_frames(path: Path, idx: _Index, indices: set[int]) -> dict[int, np.ndarray]:
    """Small luma frames for display indices `indices`, decoding only from the keyframe before each run."""
    by_pts = {idx.display[i].pts: i for i in indices}
    found: dict[int, np.ndarray] = {}
    runs: list[list[int]] = []
    for i in sorted(indices):
        if runs and i - runs[-1][-1] <= 30:
            runs[-1].append(i)
        else:
            runs.append([i])
    with open_container(path) as c:
        s = next(s for s in c.streams.video if s.codec_context is not None)
        s.thread_type = "AUTO"
        for run in runs:
            last_pts = idx.display[run[-1]].pts
            for _ in _passes(c, s, _keyframe_before(idx, idx.display[run[0]].pts)):
                for frame in c.decode(s):
                    if frame.pts in by_pts and by_pts[frame.pts] not in found:
                        found[by_pts[frame.pts]] = _small_luma(frame)
                    if frame.pts is not None and frame.pts >= last_pts and all(i in found for i in run):
                        break
                if all(i in found for i in run):
                    break
    missing = indices - set(found)
    if missing:
        raise ProbeError(f"{display(path)}: frames near the cut do not decode", "export the file again")
    return found


def canvas_end(
    path: Path, info: MediaInfo, max_seconds: float, min_seconds: float, start: float = 0.0
) -> tuple[float, str]:
    """The end (seconds from the first video frame) for a canvas kept from `start`, and why.

    A whole number of frames at most `max_seconds` long and at least `min_seconds`. If the source's own
    wrap (last frame -> first) is seamless by :func:`measure_loop`, the end is the candidate in the last
    SEAM_WINDOW seconds whose following frame is closest to the first kept frame, so the shorter loop
    wraps as smoothly; otherwise an end the video can be cut at without re-encoding, within a frame of
    the limit, else the last whole frame within it.
    """
    del info  # the packet index says everything needed; kept for the caller's symmetry with clip_end
    idx = _index(path)
    s = idx.frame_at(start)
    limit = idx.seconds(idx.display[s].pts) + max_seconds
    e_max = _last_fitting(idx, s, limit)
    floor_t = idx.seconds(idx.display[s].pts) + min_seconds
    e_min = next((e for e in range(s + 1, e_max + 1) if idx.end_time(e) >= floor_t - _EPS), e_max)
    n = len(idx.display)
    if e_max >= n:
        return idx.end_time(n), "the video already fits"
    lo = max(e_min, _last_fitting(idx, s, limit - SEAM_WINDOW), s + SEAM_FRAMES)
    candidates = list(range(lo, e_max + 1))
    wanted = {s + i for i in range(SEAM_FRAMES)} | {n - 1 - i for i in range(SEAM_FRAMES)}
    wanted |= set(candidates) | {e - 1 - i for e in candidates[:1] for i in range(SEAM_FRAMES)}
    frames = _decode_frames(path, idx, {i for i in wanted if s <= i < n})
    firsts = [frames[s + i] for i in range(SEAM_FRAMES)]
    source = measure_loop([*firsts, *(frames[n - SEAM_FRAMES + i] for i in range(SEAM_FRAMES))])
    if source.seam > SEAM_LIMIT or not candidates:
        e, why = _keyframe_end(idx, s, e_max, e_min)
        return idx.end_time(e), f"{why} (the source's wrap is not seamless: {source.seam:.1f} steps)"
    # The frame that would follow the new last frame should be the first frame itself.
    first = firsts[0].astype(np.float32)
    gaps = [float(np.abs(frames[e].astype(np.float32) - first).mean()) for e in candidates]
    best = min(range(len(candidates)), key=lambda i: (gaps[i], -i))
    e = candidates[best]
    seam = measure_loop([*firsts, *(frames[e - SEAM_FRAMES + i] for i in range(SEAM_FRAMES))]).seam
    if seam > SEAM_LIMIT:
        # Content that only wraps at its own end: moving the end earlier would cost seconds for no seam.
        e, why = _keyframe_end(idx, s, e_max, e_min)
        return idx.end_time(e), (
            f"{why} (the source wrapped seamlessly, but no end in the last {SEAM_WINDOW:.0f} s does: "
            f"the best wraps in {seam:.1f} steps)"
        )
    return idx.end_time(e), (
        f"ends at {_fmt(idx.end_time(e))}, where the loop wraps in {seam:.2f} steps "
        f"(the source wrapped seamlessly, {source.seam:.2f} steps)"
    )


def _audio_rms(path: Path, t0: float, t1: float, origin: float) -> tuple[np.ndarray, float, int] | None:
    """Mono samples of the first audio stream from t0 to t1 (s from the first video frame), the time of
    the first sample, and the sample rate; None without audio."""
    import av

    with open_container(path) as c:
        streams = [s for s in c.streams.audio if s.codec_context is not None]
        if not streams:
            return None
        s = streams[0]
        tb = s.time_base
        rate = s.codec_context.sample_rate
        for _ in _passes(c, s, int(max(0.0, origin + t0 - 0.2) / tb)):
            chunks: list[np.ndarray] = []
            first_t: float | None = None
            resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
            for frame in c.decode(s):
                if frame.pts is None:
                    continue
                at = float(frame.pts * tb) - origin
                if at > t1:
                    break
                for out in resampler.resample(frame):
                    if first_t is None:
                        first_t = at
                    chunks.append(out.to_ndarray().reshape(-1))
            if first_t is not None and first_t <= t0:
                break
        if first_t is None or not chunks:
            return None
        return np.concatenate(chunks), first_t, rate


def clip_end(
    path: Path, info: MediaInfo, max_seconds: float, inclusive: bool, start: float = 0.0
) -> tuple[float, str]:
    """The end (seconds from the first video frame) for a clip kept from `start`, and why.

    Within `max_seconds` (at least one frame under it unless `inclusive`), at the quietest point of the
    last QUIET_WINDOW seconds (RMS over RMS_WINDOW-long windows centred on each frame boundary), or at a
    point the video can be cut without re-encoding when that is no louder.
    """
    idx = _index(path)
    s = idx.frame_at(start)
    t_start = idx.seconds(idx.display[s].pts)
    limit = t_start + max_seconds - (0.0 if inclusive else 1.0 / idx.fps)
    e_max = _last_fitting(idx, s, limit)
    n = len(idx.display)
    if e_max >= n:
        return idx.end_time(n), "the video already fits"
    candidates = [e for e in range(s + 1, e_max + 1) if idx.end_time(e) >= limit - QUIET_WINDOW]
    origin = float(idx.origin * idx.time_base)
    audio = (
        _audio_rms(path, idx.end_time(candidates[0]) - RMS_WINDOW, idx.end_time(e_max) + RMS_WINDOW, origin)
        if info.audio
        else None
    )
    if audio is None:
        e, why = _keyframe_end(idx, s, e_max, s + 1)
        return idx.end_time(e), f"{why} (no audio to find a quiet point in)"
    samples, t_first, rate = audio
    half = int(RMS_WINDOW * rate / 2)

    def level(e: int) -> float:
        centre = round((idx.end_time(e) - t_first) * rate)
        window = samples[max(0, centre - half) : max(0, centre + half)]
        rms = float(np.sqrt(np.mean(window.astype(np.float64) ** 2))) if window.size else 0.0
        return 20 * math.log10(rms) if rms > 0 else -120.0

    levels = {e: level(e) for e in candidates}
    quietest = min(levels.values())
    # Points within a decibel of the quietest (or all under the silence floor) count as equally quiet;
    # among them a cut that needs no re-encode wins, and then the latest, which keeps the most of the clip.
    bar = max(quietest + LOUDER_MARGIN_DB, SILENCE_DBFS)
    quiet = [e for e in candidates if levels[e] <= bar]
    clean = [e for e in quiet if _clean_end(idx, e)]
    e = max(clean) if clean else max(quiet)
    why = f"ends at {_fmt(idx.end_time(e))}"
    if clean:
        why += ", where the video can be cut without re-encoding, and"
    return idx.end_time(e), (
        f"{why} at a quiet point: {levels[e]:.0f} dBFS over {RMS_WINDOW * 1000:.0f} ms, the quietest in "
        f"the last {QUIET_WINDOW:.0f} s being {quietest:.0f} dBFS"
    )
