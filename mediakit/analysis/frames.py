"""One reduced-size decode pass over a video: per-frame luma and colour planes for the deep checks."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import cv2
import numpy as np

from mediakit.probe import MediaInfo, open_container

log = logging.getLogger(__name__)

# Short side of the luma the loop-seam, black and freeze measures read: measure_loop is tuned for ~270 px
# wide frames (its blur is a fraction of the short side).
LUMA_SHORT = 270
# Short side of the colour planes the flash and cut measures read: 18 blocks of 5 px (60 px blocks at
# 1080 wide), fine enough to tell 10 % of the screen from 25 %, coarse enough that motion averages out.
COLOUR_SHORT = 90
# Short side the sharpness measure reads: a fixed size, so the same picture scores the same at any resolution.
DETAIL_SHORT = 540
_FAST_FORMATS = {"yuv420p": False, "yuvj420p": True}  # pix_fmt -> full range
# Colour-matrix codes as FFmpeg numbers them (AVColorSpace); anything else is read as BT.709.
_BT601 = {5, 6}
# FFmpeg's AV_PICTURE_TYPE_B.
_B_FRAME = 3


def scaled(width: int, height: int, short: int, multiple: int = 1) -> tuple[int, int]:
    """(w, h) with the short side `short` and the aspect kept, each side a multiple of `multiple`."""
    lo, hi = min(width, height), max(width, height)
    long_side = max(multiple, round(hi * short / max(1, lo) / multiple) * multiple)
    return (short, long_side) if width <= height else (long_side, short)


@dataclass(frozen=True)
class ReducedFrame:
    """One decoded frame, reduced. `time` is seconds from the first frame; planes are uint8 arrays."""

    index: int
    time: float
    luma: np.ndarray  # LUMA_SHORT
    y: np.ndarray  # COLOUR_SHORT, with u and v (chroma upsampled to the same size)
    u: np.ndarray
    v: np.ndarray
    full_range: bool
    bt601: bool
    deblocked: bool  # not a B-frame, so decoded exactly (see decode_reduced)
    full_y: np.ndarray  # the decoded luma plane (a view): valid only until the next frame is decoded

    @property
    def colour(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return (self.y, self.u, self.v)

    def detail(self) -> np.ndarray:
        """The luma at DETAIL_SHORT (area-averaged), for the sharpness measure."""
        h, w = self.full_y.shape
        size = scaled(w, h, DETAIL_SHORT)
        return cv2.resize(self.full_y, size, interpolation=cv2.INTER_AREA)


def _planes(frame: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    name = frame.format.name
    full = _FAST_FORMATS.get(name)
    if full is None:
        # Rare formats (10-bit, 4:2:2, RGB, ...) take the slow road through swscale once per frame.
        full = name.startswith("yuvj") or int(getattr(frame, "color_range", 0) or 0) == 2
        frame = frame.reformat(format="yuvj420p" if full else "yuv420p")
    elif int(getattr(frame, "color_range", 0) or 0) == 2:
        full = True
    out = []
    for plane in frame.planes[:3]:
        arr = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)
        out.append(arr[: plane.height, : plane.width])
    return out[0], out[1], out[2], full


def decode_reduced(info: MediaInfo, exact_refs: bool = True, exact: bool = False) -> Iterator[ReducedFrame]:
    """Decode the first video stream once, yielding reduced frames; stops quietly at damaged data.

    Damage is validate's business (it reports a `readable` finding); the deep checks measure what decodes.
    With `exact_refs`, frames other than B-frames are deblocked (`deblocked` is true for them); without,
    no frame is, which is faster still. With `exact`, every frame is (the loop measure compares the last
    frame of a long predicted chain with the first: skipped deblocking drifts along the chain, and read a
    ping-pong's last frame 0.74 levels off its second where they decode 0.17 apart).
    """
    import av

    video = info.primary_video
    if video is None:
        return
    # The reduced sizes follow the frames that decode, never the header: a header may claim any size, and a
    # claimed 1:10000 aspect would make every "reduced" plane hundreds of megabytes.
    # Fixed by the first frame: a stream whose picture size changes midway (a screen recording, a broadcast
    # capture) still gives planes of one size, which the loop, flash and cut measures compare frame to frame.
    sizes: tuple[tuple[int, int], tuple[int, int]] | None = None
    step = float(1 / video.avg_rate) if video.avg_rate else 1 / 30
    with open_container(info.path) as container:
        stream = container.streams[video.index]
        # Decoding is most of the deep check's time. Frame threads on top of slice threads; and no deblocking
        # of B-frames: 11 % less decoder CPU on x264 footage (of any frame: 18 %), for changes of a fifth of
        # a level on average, which the block and thumbnail averages here do not see. The sharpness measure
        # would see blocking: it reads only the frames that are still deblocked.
        stream.codec_context.thread_type = "AUTO"
        skip = "none" if exact else "bidir" if exact_refs else "all"
        stream.codec_context.options = {"skip_loop_filter": skip}
        start: float | None = None
        index = 0
        try:
            for frame in container.decode(stream):
                t = _seconds(frame, index, step)
                start = t if start is None else start
                y_full, u_full, v_full, full = _planes(frame)
                if sizes is None:
                    h, w = y_full.shape
                    sizes = (scaled(w, h, LUMA_SHORT), scaled(w, h, COLOUR_SHORT, multiple=5))
                luma_size, colour_size = sizes
                # Point and linear taps read a quarter and a third of the rows: the planes come fresh from the
                # decoder, so memory traffic is the cost (an area resize of the 1080x1920 luma took 5x as
                # long). What reads these averages them again: measure_loop blurs, the flash and cut
                # measures average blocks of the area-reduced colour planes.
                luma = cv2.resize(y_full, luma_size, interpolation=cv2.INTER_NEAREST)
                y = cv2.resize(luma, colour_size, interpolation=cv2.INTER_AREA)
                u = cv2.resize(u_full, colour_size, interpolation=cv2.INTER_LINEAR)
                v = cv2.resize(v_full, colour_size, interpolation=cv2.INTER_LINEAR)
                space = int(getattr(frame, "colorspace", 2) or 2)
                # Untagged video: players assume BT.601 below HD and BT.709 from 720 lines up.
                bt601 = space in _BT601 or (space == 2 and min(y_full.shape) < 720)
                deblocked = exact or (exact_refs and int(getattr(frame, "pict_type", 0) or 0) != _B_FRAME)
                yield ReducedFrame(index, t - start, luma, y, u, v, full, bt601, deblocked, y_full)
                index += 1
        except av.error.FFmpegError as exc:
            reason = exc.strerror or exc
            log.warning(
                "%s: decoding stopped at frame %d (%s); measuring what decoded", info.path.name, index, reason
            )


def _seconds(frame: Any, index: int, step: float) -> float:
    if frame.pts is not None and frame.time_base is not None:
        return float(Fraction(frame.pts) * Fraction(frame.time_base))
    return index * step
