"""Black and frozen stretches: runs of frames that are black, or that repeat the frame that began the run."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["BLACK_PICTURE_SHARE", "StillnessMeter", "Stretch"]

# A frame is black when at most this share of its pixels is above the black level: FFmpeg blackdetect's
# picture_black_ratio_th default (0.98), so a small logo or caption on black still counts as black.
BLACK_PICTURE_SHARE = 0.02
# A frozen run may drift this many freeze levels from its first frame (each step staying within one): an
# encoder refines a static picture over its first P-frames (x264 ultrafast drifted 0.43 levels, 1.7 freeze
# levels, in 8 frames on testsrc2), while a slow move soon leaves the band and ends the run.
ANCHOR_SLACK = 4.0


@dataclass(frozen=True)
class Stretch:
    start: float
    end: float
    first: int  # frame index
    last: int

    @property
    def seconds(self) -> float:
        return self.end - self.start


class StillnessMeter:
    """Fed one luma plane (uint8) per frame; finds black runs and frozen runs.

    Black: at most BLACK_PICTURE_SHARE of the pixels above `black_level` of the luma range (0-1; FFmpeg
    blackdetect's pixel threshold is 0.10). Frozen: each frame within `freeze_level` (mean absolute
    difference as a fraction of full scale; freezedetect's -60 dB is 0.001) of the one before, and within
    ANCHOR_SLACK times that of the run's first frame, so a slow move cannot hide in small steps. Black frames
    are never frozen ones.
    """

    def __init__(self, black_level: float, freeze_level: float, full_range: bool) -> None:
        lo, hi = (0.0, 255.0) if full_range else (16.0, 235.0)
        self._black_code = lo + black_level * (hi - lo)
        self._freeze = freeze_level * 255.0
        self._times: list[float] = []
        self._black: list[bool] = []
        self._frozen_runs: list[tuple[int, int]] = []
        self._anchor: np.ndarray | None = None
        self._previous: np.ndarray | None = None
        self._anchor_index = 0

    def add(self, time: float, luma: np.ndarray) -> None:
        index = len(self._times)
        self._times.append(time)
        bright = int(np.count_nonzero(luma > self._black_code))
        black = bright <= BLACK_PICTURE_SHARE * luma.size
        self._black.append(black)
        if black:
            self._close(index)
            self._anchor = self._previous = None
            return
        previous, self._previous = self._previous, luma.copy()
        anchor = self._anchor
        still = anchor is not None and previous is not None and self._same(luma, previous, 1.0)
        if still and anchor is not None and self._same(luma, anchor, ANCHOR_SLACK):
            return
        self._close(index)
        self._anchor = self._previous
        self._anchor_index = index

    def _same(self, a: np.ndarray, b: np.ndarray, slack: float) -> bool:
        return float(cv2.norm(a, b, cv2.NORM_L1)) / a.size <= self._freeze * slack

    def _close(self, index: int) -> None:
        if self._anchor is not None and index - 1 > self._anchor_index:
            self._frozen_runs.append((self._anchor_index, index - 1))

    def finish(self, end: float) -> tuple[list[Stretch], list[Stretch]]:
        """(black stretches, frozen stretches); `end` is when the last frame stops showing."""
        self._close(len(self._times))
        self._anchor = None
        times = [*self._times, end]
        frozen = [Stretch(times[a], times[b + 1], a, b) for a, b in self._frozen_runs]
        black: list[Stretch] = []
        start: int | None = None
        for i, is_black in enumerate([*self._black, False]):
            if is_black and start is None:
                start = i
            elif not is_black and start is not None:
                black.append(Stretch(times[start], times[i], start, i - 1))
                start = None
        return black, frozen
