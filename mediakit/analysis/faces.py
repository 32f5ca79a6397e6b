"""Faces in a picture, found by YuNet (OpenCV's `FaceDetectorYN`, with the model in mediakit.models)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import cv2
import numpy as np

from mediakit.models import YUNET

# YuNet finds faces of about 10 to 300 px in its input. A picture is searched at up to 640 px on its long
# side (15 ms; 60-86 ms at 1280 px), and again at 320 px when that finds nothing, for a close-up whose face
# is too big at 640.
SIZES = (640, 320)
# The model's own default. Footage asks for more (a cartoon head scored 0.70-0.83 on Big Buck Bunny).
MIN_SCORE = 0.7
# A "face" under 1.5 % of the picture's short side is noise at this size, not a subject.
MIN_SIDE = 0.015

_local = threading.local()  # a detector holds its input size: one per thread


@dataclass(frozen=True)
class Face:
    """A face's box in the picture's pixels (x0, y0, x1, y1), the detector's confidence (0-1), and its five
    landmarks (right eye, left eye, nose tip, right and left mouth corner) as (x, y) in the same pixels."""

    box: tuple[float, float, float, float]
    score: float
    landmarks: tuple[tuple[float, float], ...] = ()


def detect_faces(rgb: np.ndarray, min_score: float = MIN_SCORE) -> list[Face]:
    """The faces in an RGB (or grey) picture, largest first; deterministic (the same picture, the same
    boxes), so a render planned twice frames the same way."""
    if rgb.ndim == 2:
        rgb = cv2.cvtColor(rgb, cv2.COLOR_GRAY2RGB)
    h, w = rgb.shape[:2]
    if min(h, w) < 16:
        return []
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    for size in SIZES:
        scale = min(1.0, size / max(w, h))
        small = bgr if scale == 1.0 else cv2.resize(bgr, (max(1, round(w * scale)), max(1, round(h * scale))),
                                                     interpolation=cv2.INTER_AREA)  # fmt: skip
        found = _detect(small, min_score)
        faces = [
            Face(
                _clip((x / scale, y / scale, (x + fw) / scale, (y + fh) / scale), w, h),
                score,
                tuple((px / scale, py / scale) for px, py in marks),
            )
            for x, y, fw, fh, score, marks in found
            if min(fw, fh) / scale >= MIN_SIDE * min(w, h)
        ]
        if faces or scale == 1.0:
            return sorted(faces, key=lambda f: -(f.box[2] - f.box[0]) * (f.box[3] - f.box[1]))
    return []


Row = tuple[float, float, float, float, float, tuple[tuple[float, float], ...]]


def _detect(bgr: np.ndarray, min_score: float) -> list[Row]:
    detector = getattr(_local, "detector", None)
    if detector is None:
        log = cv2.utils.logging
        level = log.getLogLevel()
        log.setLogLevel(log.LOG_LEVEL_ERROR)  # OpenCV 5 warns on stderr that its new engine ignores targets
        try:
            detector = cv2.FaceDetectorYN.create(str(YUNET), "", (320, 320), MIN_SCORE, 0.3, 50)
        finally:
            log.setLogLevel(level)
        _local.detector = detector
    detector.setScoreThreshold(min_score)
    detector.setInputSize((bgr.shape[1], bgr.shape[0]))  # boxes are wrong unless it matches the input
    _, rows = detector.detect(bgr)
    if rows is None:
        return []
    # A row: x, y, w, h, five landmark (x, y) pairs, score.
    return [
        (float(r[0]), float(r[1]), float(r[2]), float(r[3]), float(r[-1]),
         tuple((float(r[4 + 2 * k]), float(r[5 + 2 * k])) for k in range(5)))
        for r in rows
    ]  # fmt: skip


def _clip(box: tuple[float, float, float, float], w: int, h: int) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = box
    return max(0.0, x0), max(0.0, y0), min(float(w), x1), min(float(h), y1)
