"""Decoding helpers for tests: frames of a rendered file as numpy arrays."""

from __future__ import annotations

import re
from pathlib import Path

import av
import cv2
import numpy as np


def gray_frames(path: Path, width: int | None = None) -> list[np.ndarray]:
    """Every frame's luma as float32, optionally downscaled to `width` (area averaging)."""
    out = []
    with av.open(str(path)) as c:
        for frame in c.decode(video=0):
            a = frame.to_ndarray(format="gray")
            if width and a.shape[1] != width:
                height = round(a.shape[0] * width / a.shape[1])
                a = cv2.resize(a, (width, height), interpolation=cv2.INTER_AREA)
            out.append(a.astype(np.float32))
    return out


def rgb_frame(path: Path, index: int = 0, colorspace: str | None = None) -> np.ndarray:
    """One frame as RGB; `colorspace` ("ITU709") overrides how an untagged source's YUV is read."""
    with av.open(str(path)) as c:
        for i, frame in enumerate(c.decode(video=0)):
            if i == index:
                if colorspace:
                    return frame.reformat(format="rgb24", src_colorspace=colorspace).to_ndarray()
                return frame.to_ndarray(format="rgb24")
    raise IndexError(index)


def yuv_planes(path: Path, index: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with av.open(str(path)) as c:
        for i, frame in enumerate(c.decode(video=0)):
            if i == index:
                return tuple(
                    np.frombuffer(p, np.uint8).reshape(-1, p.line_size)[:, : p.width].copy()  # type: ignore[return-value]
                    for p in frame.planes
                )
    raise IndexError(index)


def without_progress(err: str) -> str:
    """stderr without the step lines a render prints when stderr is not a terminal (`canvas: probing`)."""
    return "".join(
        line
        for line in err.splitlines(keepends=True)
        if not re.match(r"^(canvas|clip): [a-z ]+$", line.strip())
    )
