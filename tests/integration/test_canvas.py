"""`mediakit canvas` end to end: outputs re-probed and decoded, inputs of every kind, output safety."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from mediakit import CanvasOptions, render_canvas
from mediakit.cli.main import cli, main
from mediakit.errors import InputError, OutputError, RenderError
from mediakit.probe import probe
from mediakit.rendering.still import load_rgb
from tests.frames import rgb_frame, without_progress

pytestmark = pytest.mark.integration
FAST = {"x264_preset": "veryfast", "size": "720x1280"}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_default_canvas_meets_the_spec(media, tmp_path):
    src = tmp_path / "cover.png"
    shutil.copy(media.still("sq.png", (1400, 1400)), src)
    before = digest(src)
    result = render_canvas(src, options=CanvasOptions(x264_preset="veryfast", duration=3))
    out = tmp_path / "cover.canvas.mp4"
    assert result.output == out and out.is_file()
    assert digest(src) == before  # the input is never modified
    info = probe(out)
    v = info.primary_video
    assert (v.display_width, v.display_height) == (1080, 1920)
    assert (v.codec, v.profile, v.pix_fmt) == ("h264", "High", "yuv420p")
    assert (v.color_primaries, v.color_transfer, v.color_space, v.color_range) == (
        "bt709",
        "bt709",
        "bt709",
        "tv",
    )
    assert (
        v.avg_rate == 30 and v.constant_rate and v.frames == 90 and float(info.duration) == pytest.approx(3.0)
    )
    assert info.audio == () and info.container == "mp4"
    data = out.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # +faststart
    assert result.report is not None and result.report.verdict() == "pass"
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~_umask()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_eight_seconds_is_exactly_240_frames_and_passes(media, tmp_path):
    out = tmp_path / "eight.mp4"
    render_canvas(
        media.still("sq.png", (1400, 1400)), out, CanvasOptions(duration=8, motion="static", **FAST)
    )
    info = probe(out)
    assert info.primary_video.frames == 240 and float(info.duration) <= 8.0


@pytest.fixture(scope="module")
def hdr_pair(media):
    """The same picture as SDR BT.709 and as 10-bit PQ BT.2020 (converted with zimg, tags via setparams)."""
    sdr = media.video("sdr.mp4", size="1280x720", seconds=3)
    hdr = media.video(
        "hdr-pq.mp4",
        size="1280x720",
        seconds=3,
        pix_fmt="yuv420p10le",
        vf="setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv,"
        "zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt2020,"
        "zscale=t=smpte2084:m=bt2020nc:r=tv,format=yuv420p10le,"
        "setparams=color_primaries=bt2020:color_trc=smpte2084:colorspace=bt2020nc",
    )
    return sdr, hdr


def test_hdr_footage_is_tonemapped_not_washed_out(hdr_pair, tmp_path):
    sdr, hdr = hdr_pair
    assert probe(hdr).primary_video.hdr == "PQ"
    out_sdr, out_hdr = tmp_path / "sdr.mp4", tmp_path / "hdr.mp4"
    for src, out in ((sdr, out_sdr), (hdr, out_hdr)):
        result = render_canvas(src, out, CanvasOptions(loop="cut", duration=3, **FAST))
    assert any("HDR" in w for w in result.warnings)
    v = probe(out_hdr).primary_video
    assert (v.pix_fmt, v.color_transfer, v.color_primaries) == ("yuv420p", "bt709", "bt709")
    reference = rgb_frame(out_sdr, 10).astype(np.float32)
    toned = rgb_frame(out_hdr, 10).astype(np.float32)
    # PQ samples shown as if they were BT.709 are grey and flat: what "washed out" looks like in numbers.
    naive = rgb_frame(hdr, 10).astype(np.float32)[:, 280:1000]
    naive_ref = rgb_frame(sdr, 10).astype(np.float32)[:, 280:1000]
    assert naive.std() < 0.4 * naive_ref.std()
    assert toned.std() > 0.7 * reference.std()
    assert np.abs(toned - reference).mean() < 0.5 * np.abs(naive - naive_ref).mean()


def test_phone_footage_rotation_matrix_is_honoured(media, tmp_path):
    coded = media.video("land.mp4", size="1280x720", seconds=3)
    phone = media.remux("phone.mp4", coded, "-display_rotation:v:0", "90")
    assert (probe(phone).primary_video.display_width, probe(phone).primary_video.display_height) == (
        720,
        1280,
    )
    out = tmp_path / "phone.canvas.mp4"
    render_canvas(phone, out, CanvasOptions(loop="cut", duration=3, **FAST))
    frame = rgb_frame(out, 0).astype(np.float32)
    # 90° counter-clockwise, as displayed; the untagged HD source read as BT.709, as players read it.
    upright = np.rot90(rgb_frame(coded, 0, colorspace="ITU709"), 1).astype(np.float32)
    assert upright.shape == frame.shape  # 1280x720 coded -> 720x1280 shown, as the output
    assert np.abs(frame - upright).mean() < 6  # same picture, not squeezed or sideways


def test_variable_frame_rate_becomes_constant(media, tmp_path):
    # Every frame for 2 s, then every other one: steps of 1/30 s, then 2/30 s.
    vfr = media.video(
        "vfr.mp4",
        size="720x1280",
        seconds=5,
        fps="30",
        vf="select='if(lt(t,2),1,not(mod(n,2)))'",
        extra=("-fps_mode", "vfr"),
    )
    assert probe(vfr).primary_video.constant_rate is False
    out = tmp_path / "cfr.mp4"
    result = render_canvas(vfr, out, CanvasOptions(loop="cut", duration=3, **FAST))
    v = probe(out).primary_video
    assert v.constant_rate and v.frames == 90
    assert any("variable frame rate" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("exif6.jpg", {"size": (1280, 720), "fmt": "JPEG", "exif_orientation": 6}),
        ("cmyk.jpg", {"size": (720, 1280), "mode": "CMYK", "fmt": "JPEG"}),
        ("alpha.png", {"size": (720, 1280), "mode": "RGBA"}),
        ("deep.png", {"size": (720, 1280), "mode": "I;16"}),
        ("still.webp", {"size": (720, 1280), "fmt": "WEBP"}),
        ("still.tiff", {"size": (720, 1280), "fmt": "TIFF"}),
    ],
)
def test_still_kinds_render_upright_and_full_frame(name, kwargs, media, tmp_path):
    """Each of these is 9:16 once decoded properly, so --fit pad must leave no bars at all."""
    src = media.still(name, **kwargs)
    out = tmp_path / "still.canvas.jpg"
    render_canvas(src, out, CanvasOptions(format="jpg", fit="pad", color="#ff00ff", size="720x1280"))
    img = rgb_frame(out)
    assert img.shape == (1280, 720, 3)
    magenta = (img[..., 0] > 200) & (img[..., 1] < 60) & (img[..., 2] > 200)
    assert magenta.mean() < 0.01, f"{magenta.mean():.1%} of the frame is padding"
    assert probe(out).container == "jpeg"


def test_alpha_is_flattened_onto_black(media, tmp_path):
    out = tmp_path / "a.jpg"
    render_canvas(
        media.still("alpha.png", (720, 1280), mode="RGBA"), out, CanvasOptions(format="jpg", size="720x1280")
    )
    corner = rgb_frame(out)[:40, :40].astype(np.float32)
    assert corner.mean() < 12  # transparent corner -> black, not garbage


def test_blur_fit_keeps_the_whole_landscape_picture(media, tmp_path):
    out = tmp_path / "blur.mp4"
    result = render_canvas(
        media.video("land.mp4", size="1280x720", seconds=3),
        out,
        CanvasOptions(fit="blur", loop="cut", duration=3, **FAST),
    )
    import cv2

    gray = cv2.cvtColor(rgb_frame(out), cv2.COLOR_RGB2GRAY)
    sharpness = [float(cv2.Laplacian(band, cv2.CV_64F).var()) for band in (gray[500:780], gray[:300])]
    assert sharpness[0] > 10 * sharpness[1]  # the whole picture, sharp, in the middle; a soft fill above
    assert result.report.verdict() == "pass"


def test_small_still_warns_about_upscaling(media, tmp_path):
    result = render_canvas(
        media.still("tiny.png", (400, 400)),
        tmp_path / "t.mp4",
        CanvasOptions(motion="static", duration=3, fit="crop", **FAST),
    )
    assert any("upscaled 3.2x" in w for w in result.warnings), result.warnings  # 1280 / 400
    assert any("cuts off 44% of the source's width" in w for w in result.warnings), result.warnings


def test_huge_jpeg_is_decoded_reduced(media):
    big = media.still("huge.jpg", (8000, 8000), fmt="JPEG")
    rgb = load_rgb(big, (1210, 2150))
    assert 2150 <= rgb.shape[0] <= 4000  # JPEG draft mode: 1/2 scale, not 8000 px


def test_existing_output_and_input_as_output_are_refused(media, tmp_path):
    src = tmp_path / "in.png"
    shutil.copy(media.still("sq.png", (1400, 1400)), src)
    existing = tmp_path / "in.canvas.mp4"
    existing.write_bytes(b"keep me")
    with pytest.raises(OutputError, match="already exists"):
        render_canvas(src, options=CanvasOptions(**FAST))
    assert existing.read_bytes() == b"keep me"
    with pytest.raises(OutputError, match="replace the input"):
        render_canvas(src, src, CanvasOptions(**FAST))
    render_canvas(src, options=CanvasOptions(duration=3, **FAST), overwrite=True)
    assert probe(existing).primary_video.frames == 90


def test_failed_ffmpeg_leaves_no_partial_file(media, tmp_path):
    fake = tmp_path / "ffmpeg"
    fake.write_text(
        '#!/bin/sh\nfor last; do :; done\necho partial > "$last"\n'
        "echo 'Error while encoding: disk on fire' >&2\nexit 1\n"
    )
    fake.chmod(0o755)
    runner = CliRunner()
    src = media.still("sq.png", (1400, 1400))
    out = tmp_path / "out.mp4"
    from mediakit.cli.main import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--ffmpeg", str(fake), "canvas", str(src), "-o", str(out), "--size", "720x1280"])
    assert exit_info.value.code == 3
    assert not out.exists() and os.listdir(tmp_path) == ["ffmpeg"]
    del runner


def test_output_that_fails_its_own_validation_is_not_kept(media, tmp_path):
    strict = tmp_path / "strict.toml"
    text = (Path(__file__).parents[2] / "presets" / "spotify-canvas.toml").read_text()
    # A silent canvas can never pass a rule that wants sound; nothing checks that before the render.
    rule = '\n[[rule]]\nid = "sound"\ncheck = "audio"\npresent = true\nseverity = "error"\nsource = "x"\n'
    strict.write_text(text + rule)
    out = tmp_path / "o.mp4"
    with pytest.raises(RenderError, match="fails its own validation"):
        render_canvas(
            media.still("sq.png", (1400, 1400)), out, CanvasOptions(duration=3, **FAST), preset=str(strict)
        )
    assert not out.exists() and not list(tmp_path.glob(".*"))


def test_damaged_input_is_refused_before_rendering(media, tmp_path):
    broken = media.truncated(
        "half.mp4", media.video("whole.mp4", size="720x1280", seconds=4, extra=("-movflags", "+faststart"))
    )
    with pytest.raises(InputError, match="truncated"):
        render_canvas(broken, tmp_path / "x.mp4", CanvasOptions(**FAST))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
@pytest.mark.parametrize("motion", ["push-in", "drift"])
def test_damaged_still_is_refused_in_one_line_with_nothing_left(media, tmp_path, capsys, fmt, motion):
    # A render decodes a still once, after ffmpeg has started (the probe reads only its header), so the
    # refusal comes from that decode: the same error and exit code, no output, no temp or spool file.
    suffix = ".png" if fmt == "PNG" else ".jpg"
    whole = media.still(f"whole{suffix}", (1400, 1400), fmt=fmt)
    broken = media.truncated(f"half-{motion}{suffix}", whole)
    outdir = tmp_path / "out"
    outdir.mkdir()
    before = digest(broken)
    for dry in ([], ["--dry-run"]):  # a dry run decodes the still to check it
        with pytest.raises(SystemExit) as code:
            main(
                [
                    "canvas",
                    str(broken),
                    "-o",
                    str(outdir / "x.mp4"),
                    "--motion",
                    motion,
                    "--x264-preset",
                    "veryfast",
                    *dry,
                ]
            )
        err = without_progress(capsys.readouterr().err)
        assert code.value.code == InputError.exit_code
        assert err.startswith("mediakit: error: ") and "truncated" in err.splitlines()[0]
        assert "Traceback" not in err and list(outdir.iterdir()) == [] and digest(broken) == before


@pytest.mark.parametrize("name", ["-y.png", "a:b,c'd[1] 100%.png", "café 🎵.png", "concat:x.png"])
def test_hostile_file_names_render(name, media, tmp_path):
    src = tmp_path / name
    shutil.copy(media.still("sq.png", (1400, 1400)), src)
    result = render_canvas(src, options=CanvasOptions(motion="static", duration=3, **FAST))
    assert result.output.name == Path(name).stem + ".canvas.mp4" and result.output.is_file()


def test_cli_json_dry_run_and_progress(media, tmp_path):
    src = media.still("sq.png", (1400, 1400))
    out = tmp_path / "cli.mp4"
    runner = CliRunner()
    dry = runner.invoke(cli, ["canvas", str(src), "-o", str(out), "--dry-run"])
    assert dry.exit_code == 0 and "libx264" in dry.output and not out.exists()
    done = runner.invoke(
        cli,
        [
            "canvas",
            str(src),
            "-o",
            str(out),
            "--json",
            "--duration",
            "3",
            "--size",
            "720x1280",
            "--x264-preset",
            "veryfast",
        ],
    )
    assert done.exit_code == 0, done.output
    doc = json.loads(done.stdout)
    assert doc["output"] == str(out) and doc["frames"] == 90 and doc["validation"]["verdict"] == "pass"
    assert doc["options"]["motion"] == "push-in" and doc["seconds"] > 0 and "libx264" in doc["command"]
    events = []
    render_canvas(src, out, CanvasOptions(duration=3, **FAST), overwrite=True, on_event=events.append)
    encoding = [e.fraction for e in events if e.step == "drawing and encoding frames"]
    # progress moves forwards to the end, and the render ends validating
    assert encoding[0] == 0.0 and encoding[-1] == 1.0 and encoding == sorted(encoding)
    assert events[-1].step == "validating"


def test_a_text_dry_run_prints_the_warnings_the_json_one_lists(media, tmp_path, capsys):
    tiny = media.still("tiny.png", (400, 400))
    with pytest.raises(SystemExit) as code:
        main(["canvas", str(tiny), "--fit", "crop", "--dry-run", "--json"])
    listed = json.loads(capsys.readouterr().out)["warnings"]
    assert code.value.code == 0 and any("upscaled" in w for w in listed), listed
    with pytest.raises(SystemExit) as code:
        main(["canvas", str(tiny), "--fit", "crop", "--dry-run"])
    out, err = capsys.readouterr()
    printed = [line.removeprefix("warning: ") for line in err.splitlines() if line.startswith("warning: ")]
    assert code.value.code == 0 and printed == listed
    assert "warning" not in out  # stdout stays the ffmpeg command line
