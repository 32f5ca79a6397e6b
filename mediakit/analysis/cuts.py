"""Hard cuts: a large picture change that is neither soon undone (a flash) nor spread out (a dissolve)."""

from __future__ import annotations

from collections import deque

import cv2
import numpy as np

__all__ = ["CUT_LEVEL", "CutMeter", "cuts_per_window"]

# Mean absolute Y/U/V difference (0-255 levels, on 45 px wide thumbnails) from which a frame step can be a
# cut. Unrelated shots differ by 20-60 levels; motion inside a shot at 30 fps mostly by under 5. In the
# spirit of PySceneDetect's ContentDetector (threshold 27 on its HSV score), lowered because chroma is
# weighted less here.
CUT_LEVEL = 12.0
# ... and it must stand out from the steps around it (AdaptiveDetector's idea): fast motion or a shaky
# camera makes every step large, a cut makes one step large.
SPIKE_RATIO = 3.0
# Seconds of steps on each side that define "the steps around it".
CONTEXT_SECONDS = 0.5
# A change undone within this many seconds (the picture returns to what it was before) is a flash, a
# blink or a strobe, not a new shot: the flashing check judges those. A 2 Hz strobe returns after 0.25 s.
REVERT_SECONDS = 0.5
# "Returns to what it was": back within this fraction of the jump. A strobe or a flash frame returns to
# the same picture (a fraction of a level after encoding); cutting back to a shot that moved meanwhile
# does not (a quarter or more of the jump on test footage), so quick intercutting still counts as cuts.
REVERT_FRACTION = 0.1
THUMB_SHORT = 45


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(cv2.norm(a, b, cv2.NORM_L1)) / a.size


class CutMeter:
    """Fed one thumbnail (h, w, 3 uint8 Y/U/V) per frame; `cuts()` gives the times of the hard cuts."""

    def __init__(self, fps: float) -> None:
        self._revert = max(2, round(REVERT_SECONDS * fps))
        self._context = max(3, round(CONTEXT_SECONDS * fps))
        self._recent: deque[np.ndarray] = deque(maxlen=self._revert + 1)
        # distances[t][j - 1] = distance from frame t to frame t - j, for j = 1 .. revert + 1
        self._distances: list[np.ndarray] = []
        self._times: list[float] = []

    def add(self, time: float, thumb: np.ndarray) -> None:
        row = np.full(self._revert + 1, np.nan)
        for j, earlier in enumerate(reversed(self._recent), start=1):
            row[j - 1] = _distance(thumb, earlier)
        self._recent.append(thumb)
        self._distances.append(row)
        self._times.append(time)

    def cuts(self) -> list[float]:
        n = len(self._times)
        if n < 2:
            return []
        dist = np.array(self._distances)
        step = dist[:, 0]
        step[0] = 0.0
        found = []
        for t in range(1, n):
            jump = step[t]
            if jump < CUT_LEVEL:
                continue
            before, after = step[max(1, t - self._context) : t], step[t + 1 : t + 1 + self._context]
            around = np.concatenate((before, after))
            if around.size and jump < SPIKE_RATIO * max(float(np.median(around)), 1.0):
                continue
            # Too close to the end to tell a cut from a flash: not counted.
            if t + self._revert >= n:
                break
            # A flash starts (frame t + k returns to frame t - 1, the last one before: distances[t + k][k])
            # or ends (frame t returns to a frame shortly before t - 1: distances[t][1:]).
            later = dist[t + 1 : t + 1 + self._revert, 1:].diagonal()
            if (later < REVERT_FRACTION * jump).any() or (dist[t, 1:] < REVERT_FRACTION * jump).any():
                continue
            found.append(self._times[t])
        return found


def cuts_per_window(cut_times: list[float], starts: np.ndarray, window: float) -> np.ndarray:
    """How many cuts fall in [start, start + window) for each start."""
    cuts = np.sort(np.asarray(cut_times, dtype=np.float64))
    ends = np.searchsorted(cuts, starts + window - 1e-6, side="left")
    return ends - np.searchsorted(cuts, starts, side="left")
