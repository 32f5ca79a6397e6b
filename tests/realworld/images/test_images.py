"""Images nobody here made: what the probe and `validate` must say of them (expectations in README.md)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from mediakit.cli.main import cli
from mediakit.errors import InputError
from mediakit.probe import probe
from mediakit.rendering.still import load_rgb

HERE = Path(__file__).resolve().parent
SKIMAGE = "scikit-image/skimage/data"


def validate_json(*paths: Path) -> tuple[int, dict]:
    result = CliRunner().invoke(cli, ["validate", "--json", *map(str, paths)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, json.loads(result.stdout)


# --- vendored (Pillow's test images) ---------------------------------------------------------------------


@pytest.mark.realworld
def test_a_multipage_tiff_is_a_still_of_its_first_page() -> None:
    info = probe(HERE / "multipage.tiff")
    assert info.still is not None
    assert (info.still.width, info.still.height, info.still.frames) == (10, 10, 3)
    rgb = load_rgb(HERE / "multipage.tiff", (10, 10))
    assert rgb.shape == (10, 10, 3) and tuple(rgb[0, 0]) == (0, 128, 0)  # page 1 is green


@pytest.mark.realworld
def test_a_tiff_whose_pages_loop_is_probed_without_a_hang() -> None:
    info = probe(HERE / "multipage_multiple_frame_loop.tiff")
    assert info.still is not None and info.still.frames == 2


@pytest.mark.realworld
@pytest.mark.parametrize(
    ("name", "fmt", "frames"), [("dispose_bgnd.gif", "GIF", 5), ("apng_single_frame_default.png", "PNG", 2)]
)
def test_animated_images_are_refused_not_frozen(name: str, fmt: str, frames: int) -> None:
    with pytest.raises(InputError) as caught:
        probe(HERE / name)
    assert f"an animated {fmt} ({frames} frames)" in caught.value.message
    assert "MP4" in (caught.value.hint or "")


@pytest.mark.realworld
def test_a_single_frame_apng_is_a_still() -> None:
    info = probe(HERE / "apng_single_frame.png")
    assert info.kind == "image" and info.still is not None and info.still.frames == 1
    assert tuple(load_rgb(HERE / "apng_single_frame.png", (1, 1))[0, 0]) == (0, 255, 0)


@pytest.mark.realworld
def test_a_cmyk_jpeg_is_read_and_converted() -> None:
    info = probe(HERE / "pil_sample_cmyk.jpg")
    assert info.still is not None and info.still.mode == "CMYK" and info.container == "jpeg"
    r, g, b = (int(c) for c in load_rgb(HERE / "pil_sample_cmyk.jpg", (100, 100))[2, 2])
    assert r > 150 and g < 100 and b < 100  # "red pixels in the upper left corner"


@pytest.mark.realworld
def test_exif_orientation_is_read() -> None:
    info = probe(HERE / "hopper_orientation_6.jpg")
    assert info.still is not None and info.still.orientation == 6


@pytest.mark.realworld
def test_validate_reports_every_vendored_image(tmp_path: Path) -> None:
    for f in HERE.iterdir():
        if f.suffix in (".tiff", ".gif", ".png", ".jpg"):
            shutil.copy(f, tmp_path / f.name)
    code, report = validate_json(tmp_path)
    assert code == 1
    by_name = {Path(f["path"]).name: f for f in report["files"]}
    assert len(by_name) == 7
    for refused in ("dispose_bgnd.gif", "apng_single_frame_default.png"):
        (finding,) = by_name[refused]["findings"]
        assert finding["rule"] == "readable" and "animated" in finding["message"]
    # Every other file was checked against the canvas profile.
    assert sum(f["profile"] == "spotify-canvas" for f in report["files"]) == 5


# --- fetched (scikit-image's data) ------------------------------------------------------------------------


@pytest.mark.fetched
def test_skimage_multipage_tif_is_its_first_page(fetched: Callable[[str], Path]) -> None:
    info = probe(fetched(f"{SKIMAGE}/multipage.tif"))
    assert info.still is not None
    assert (info.still.width, info.still.height, info.still.frames) == (10, 15, 2)  # shape (2, 15, 10)


@pytest.mark.fetched
def test_skimage_float_tiff_is_refused_in_one_line(fetched: Callable[[str], Path]) -> None:
    with pytest.raises(InputError) as caught:
        probe(fetched(f"{SKIMAGE}/multipage_rgb.tif"))
    assert "TIFF image in a variant mediakit cannot decode" in caught.value.message
    assert "\n" not in caught.value.message


@pytest.mark.fetched
def test_skimage_animated_gif_is_refused(fetched: Callable[[str], Path]) -> None:
    with pytest.raises(InputError) as caught:
        probe(fetched(f"{SKIMAGE}/no_time_for_that_tiny.gif"))
    assert "an animated GIF (24 frames)" in caught.value.message


@pytest.mark.fetched
def test_validate_reports_the_whole_skimage_folder(fetched: Callable[[str], Path]) -> None:
    folder = fetched(f"{SKIMAGE}/multipage_rgb.tif").parent
    code, report = validate_json(folder)
    assert code == 1
    names = {Path(f["path"]).name: f for f in report["files"]}
    assert len(names) == 14 and report["summary"]["fail"] + report["summary"]["warn"] <= 14
    assert not any(f["rule"] == "internal" for r in report["files"] for f in r["findings"])
    assert names["multipage_rgb.tif"]["findings"][0]["rule"] == "readable"
    assert "animated GIF" in names["no_time_for_that_tiny.gif"]["findings"][0]["message"]
    assert names["multipage.tif"]["media"]["width"] == 10 and names["multipage.tif"]["media"]["height"] == 15
    assert names["coffee.png"]["media"]["width"] == 600  # coffee: (400, 600, 3) per skimage.data.coffee
