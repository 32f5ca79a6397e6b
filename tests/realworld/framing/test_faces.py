"""YuNet on photos nobody here took: the faces they show, and none where there is none."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mediakit.analysis.faces import detect_faces

HERE = Path(__file__).parent


def _rgb(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def _iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


@pytest.mark.realworld
def test_the_vendored_head_has_one_face_where_it_is() -> None:
    faces = detect_faces(_rgb(HERE / "astronaut_head.png"))
    assert len(faces) == 1
    assert _iou(faces[0].box, (37, 36, 132, 131)) >= 0.5  # README: the Haar cascade's box


@pytest.mark.realworld
def test_a_face_scaled_up_is_still_found() -> None:
    """A close-up face too large for YuNet's 640-px search is found by the 320-px one."""
    big = np.asarray(Image.open(HERE / "astronaut_head.png").convert("RGB").resize((1400, 1400)))
    faces = detect_faces(big)
    assert len(faces) == 1
    assert _iou(faces[0].box, tuple(v * 1400 / 170 for v in (37, 36, 132, 131))) >= 0.5


@pytest.mark.fetched
def test_scikit_image_photos(fetched) -> None:
    data = "scikit-image/skimage/data/"
    faces = detect_faces(_rgb(fetched(data + "astronaut.png")))
    assert len(faces) == 1 and _iou(faces[0].box, (177, 66, 272, 161)) >= 0.5  # OpenCV 4.14's Haar box
    assert len(detect_faces(_rgb(fetched(data + "camera.png")))) == 1
    for name in ("coffee.png", "chelsea.png", "logo.png", "motorcycle_left.png", "rocket.jpg"):
        assert detect_faces(_rgb(fetched(data + name))) == [], name
