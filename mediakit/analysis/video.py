"""The deep checks' video pass: one reduced decode, feeding only the measures that some rule needs."""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field

import cv2
import numpy as np

from mediakit.analysis import flash
from mediakit.analysis.blur import sharpness
from mediakit.analysis.cuts import THUMB_SHORT, CutMeter
from mediakit.analysis.frames import decode_reduced, scaled
from mediakit.analysis.loop import LoopReport, measure_loop
from mediakit.analysis.stillness import StillnessMeter, Stretch
from mediakit.inputs import display
from mediakit.probe import MediaInfo

log = logging.getLogger(__name__)

# At most this much of a video is measured (ten times the longest Clip): the arrays kept grow with its
# length, and a longer file fails the duration rule of every bundled preset anyway.
MAX_SECONDS = 300.0
# At most this many frames are measured (MAX_SECONDS at 120 fps): timestamps alone do not bound the work,
# since a stream may stamp every frame 0 or run at any rate, and what the pass keeps grows per frame.
MAX_FRAMES = 36_000
# Frames kept for the loop measure: all of any Canvas; the first and last half of this for longer input.
MAX_LOOP_FRAMES = 600
# Sharpness is sampled, not measured on every frame: about a dozen frames, at most one every 0.25 s.
BLUR_SAMPLES = 12


@dataclass(frozen=True)
class VideoNeeds:
    """Which measures to take; `stillness` lists (black_level, freeze_level) pairs, one meter each."""

    flashes: bool = False
    cuts: bool = False
    loop: bool = False
    sharpness: bool = False
    stillness: tuple[tuple[float, float], ...] = ()


@dataclass
class VideoMeasures:
    """What the pass measured (times in seconds from the first frame); unrequested parts stay empty."""

    times: np.ndarray
    end: float  # when the last frame stops showing
    frames: int
    blocks: tuple[np.ndarray, np.ndarray, np.ndarray] | None = (
        None  # (frames, blocks): luminance, red, saturated
    )
    cuts: list[float] | None = None
    stillness: dict[tuple[float, float], tuple[list[Stretch], list[Stretch]]] = field(default_factory=dict)
    loop: LoopReport | None = None
    loop_times: list[float] = field(default_factory=list)
    sharpness: list[tuple[float, float]] = field(default_factory=list)  # (time, score) of non-flat samples


def measure_video(info: MediaInfo, needs: VideoNeeds) -> VideoMeasures | None:
    """Decode `info`'s first video stream once and take the `needs`; None when no frame decodes."""
    video = info.primary_video
    if video is None:
        return None
    fps = float(video.avg_rate) if video.avg_rate else 30.0
    duration = min(float(info.duration or video.duration or MAX_SECONDS), MAX_SECONDS)
    blur_every = max(0.25, duration / BLUR_SAMPLES)
    times: list[float] = []
    blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    cut_meter = CutMeter(fps) if needs.cuts else None
    meters: dict[tuple[float, float], StillnessMeter] = {}
    head: list[np.ndarray] = []
    tail: deque[tuple[float, np.ndarray]] = deque(maxlen=MAX_LOOP_FRAMES // 2)
    samples: list[tuple[float, float]] = []
    next_sample = 0.0
    thumb_size: tuple[int, int] | None = None
    for frame in decode_reduced(info, exact_refs=needs.sharpness, exact=needs.loop):
        if frame.time > MAX_SECONDS:
            log.warning("%s: deep checks read the first %.0f s only", display(info.path.name), MAX_SECONDS)
            break
        if frame.index >= MAX_FRAMES:
            log.warning("%s: deep checks read the first %d frames only", display(info.path.name), MAX_FRAMES)
            break
        times.append(frame.time)
        if needs.flashes:
            blocks.append(flash.block_stats(frame.y, frame.u, frame.v, frame.full_range, frame.bt601))
        if cut_meter is not None:
            if thumb_size is None:
                thumb_size = scaled(frame.y.shape[1], frame.y.shape[0], THUMB_SHORT)
            planes = [cv2.resize(p, thumb_size, interpolation=cv2.INTER_AREA) for p in frame.colour]
            cut_meter.add(frame.time, np.dstack(planes))
        for levels in needs.stillness:
            meter = meters.get(levels)
            if meter is None:
                meter = meters[levels] = StillnessMeter(*levels, full_range=frame.full_range)
            meter.add(frame.time, frame.luma)
        if needs.loop:
            if len(head) < MAX_LOOP_FRAMES // 2:
                head.append(frame.luma)
            else:
                tail.append((frame.time, frame.luma))
        if needs.sharpness and frame.time >= next_sample and frame.deblocked:
            next_sample = frame.time + blur_every
            score = sharpness(frame.detail())
            if score is not None:
                samples.append((frame.time, score))
    if not times:
        return None
    steps = np.diff(times)
    end = times[-1] + (float(np.median(steps)) if steps.size else 1.0 / fps)
    out = VideoMeasures(np.asarray(times), end, len(times), sharpness=samples)
    if blocks:
        luminance, red, saturated = (np.array([b[i] for b in blocks]) for i in range(3))
        out.blocks = (luminance, red, saturated)
    if cut_meter is not None:
        out.cuts = cut_meter.cuts()
    out.stillness = {levels: meter.finish(end) for levels, meter in meters.items()}
    loop_frames = head + [f for _, f in tail]
    if len(loop_frames) >= 3:
        out.loop = measure_loop(loop_frames)
        out.loop_times = times[: len(head)] + [t for t, _ in tail]
    return out
