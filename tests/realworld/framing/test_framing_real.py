"""--fit auto on photos nobody here took: a full-bleed crop where there is no face or text, the face kept
inside the safe zone in every frame, and what a text detector for printed letters misses."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from mediakit import CanvasOptions, render_canvas
from mediakit.analysis.regions import analyse_still
from tests.integration.test_framing_stills import FAST, Cover, check_every_frame, full_bleed

IMAGE = "scikit-image/skimage/data/"
# OpenCV 4.14's Haar frontal-face cascade on astronaut.png, (177, 66, 95, 95) as x, y, w, h: an
# independent detector's box (README.md here), as x0, y0, x1, y1.
ASTRONAUT_FACE = (177, 66, 272, 161)


@pytest.mark.realworld
@pytest.mark.fetched
@pytest.mark.parametrize("name", ["coffee.png", "chelsea.png", "logo.png"])
def test_pictures_without_face_or_text_keep_the_full_bleed_crop(fetched, tmp_path, name):
    """A cup, a cat (skimage.data's words), a snake in a disc (the logo, looked at): nothing to keep."""
    src = fetched(IMAGE + name)
    found = analyse_still(np.asarray(Image.open(src).convert("RGB")))
    assert found.regions == (), found.regions
    out = tmp_path / "c.mp4"
    result = render_canvas(src, out, CanvasOptions(**FAST))  # type: ignore[arg-type]
    assert result.options.fit == "crop"
    assert any("no face or text found" in w for w in result.notes), result.notes
    assert full_bleed(out, src) >= 0.9


@pytest.mark.realworld
@pytest.mark.fetched
def test_the_astronauts_face_stays_inside_the_safe_zone_in_every_frame(fetched, tmp_path):
    src = fetched(IMAGE + "astronaut.png")
    out = tmp_path / "a.mp4"
    result = render_canvas(src, out, CanvasOptions(**FAST))  # type: ignore[arg-type]
    assert result.options.fit == "crop"
    assert any(w.startswith("fit auto: crop: the face") for w in result.notes), result.notes
    check_every_frame(out, Cover(src, {"the face": ASTRONAUT_FACE}))


@pytest.mark.realworld
@pytest.mark.fetched
@pytest.mark.xfail(
    strict=True,
    reason="handwritten, slanted, low-contrast maths: regions.text_lines looks for printed letters on a "
    "baseline and finds none there, so --fit auto crops it like a photo",
)
def test_text_edge_to_edge_gets_blur_and_a_warning(fetched, tmp_path):
    """text.png, scikit-image's "text" image: hand-written maths across the whole image (marked by hand)."""
    src = fetched(IMAGE + "text.png")
    result = render_canvas(src, tmp_path / "t.mp4", CanvasOptions(**FAST), dry_run=True)  # type: ignore[arg-type]
    assert result.options.fit == "blur"
    assert any(w.startswith("fit auto: blur") and "text" in w for w in result.warnings), result.warnings
