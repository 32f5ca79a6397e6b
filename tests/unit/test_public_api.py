"""The public API: what `import mediakit` offers is the documented set, and loading it stays light."""

from __future__ import annotations

import subprocess
import sys

import mediakit


def test_the_documented_names_are_importable_from_mediakit() -> None:
    from mediakit import CanvasOptions, ClipOptions, Result, render, render_canvas, render_clip, validate_path

    assert callable(render) and render.__module__ == "mediakit.pipeline"  # a function, not a package
    assert render_canvas.__module__ == render_clip.__module__ == "mediakit.pipeline"
    assert CanvasOptions().motion == "push-in" and ClipOptions().caption_style == "outline"
    assert Result.__name__ == "Result" and callable(validate_path)
    for name in mediakit.__all__:
        assert getattr(mediakit, name) is not None, name


def test_importing_mediakit_loads_no_media_library() -> None:
    code = "import sys, mediakit, mediakit.kinds; print(sorted({m.split('.')[0] for m in sys.modules}))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    for heavy in ("av", "cv2", "numpy", "ffmpeg", "PIL"):
        assert f"'{heavy}'" not in loaded, heavy
