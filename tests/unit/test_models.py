"""The shipped YuNet model is the published file, and OpenCV here can run it."""

from __future__ import annotations

import hashlib

import numpy as np

from mediakit.analysis.faces import detect_faces
from mediakit.models import YUNET, YUNET_SHA256


def test_the_model_is_the_published_file() -> None:
    assert hashlib.sha256(YUNET.read_bytes()).hexdigest() == YUNET_SHA256


def test_a_flat_picture_has_no_face() -> None:
    assert detect_faces(np.full((360, 640, 3), 128, np.uint8)) == []
    assert detect_faces(np.zeros((8, 8), np.uint8)) == []
