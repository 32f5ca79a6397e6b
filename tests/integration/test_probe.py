"""`mediakit.probe` on real media made with the bundled ffmpeg and Pillow: every field of MediaInfo."""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from pathlib import Path

import pytest
from PIL import Image

from mediakit.errors import InputError
from mediakit.probe import MediaInfo, VideoInfo, probe
from tests.media import MediaFactory, ffmpeg

pytestmark = pytest.mark.integration

PQ = "setparams=color_primaries=bt2020:color_trc=smpte2084:colorspace=bt2020nc"
HLG = "setparams=color_primaries=bt2020:color_trc=arib-std-b67:colorspace=bt2020nc"
X265 = ("-preset", "ultrafast", "-x265-params", "log-level=error")


def video_of(info: MediaInfo) -> VideoInfo:
    assert info.primary_video is not None
    return info.primary_video


def portrait(media: MediaFactory) -> Path:
    return media.video("pr-portrait.mp4", size="360x640", seconds=2)


def landscape(media: MediaFactory) -> Path:
    return media.video("pr-landscape.mp4", size="640x360", seconds=2)


# --- container, stream and timing facts ---------------------------------------------------------------------


def test_a_plain_h264_mp4(media: MediaFactory) -> None:
    path = portrait(media)
    info = probe(path)
    assert (info.kind, info.container, info.path) == ("video", "mp4", path.resolve())
    assert "mp4" in info.demuxer
    assert info.size_bytes == path.stat().st_size
    assert info.duration == Fraction(2) and isinstance(info.duration, Fraction)
    assert info.audio == () and info.still is None and info.damage == ()
    v = video_of(info)
    assert (v.codec, v.pix_fmt, v.bit_depth, v.chroma) == ("h264", "yuv420p", 8, "4:2:0")
    assert v.profile == "Constrained Baseline"  # what x264 -preset ultrafast writes
    assert (v.coded_width, v.coded_height, v.display_width, v.display_height) == (360, 640, 360, 640)
    assert (v.sar, v.rotation) == (Fraction(1), 0)
    assert v.avg_rate == Fraction(30) and isinstance(v.avg_rate, Fraction)
    assert v.real_rate == Fraction(30) and isinstance(v.real_rate, Fraction)
    assert v.constant_rate is True
    assert (v.frames, v.declared_frames, v.duration) == (60, 60, Fraction(2))
    assert v.interlaced is False and v.hdr is None
    assert info.display_size == (360, 640) and v.display_aspect == Fraction(9, 16)


def test_probe_results_are_frozen(media: MediaFactory) -> None:
    info = probe(portrait(media))
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.duration = Fraction(1)  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        video_of(info).rotation = 90  # type: ignore[misc]


def test_ntsc_rates_are_exact_fractions(media: MediaFactory) -> None:
    path = media.video("pr-ntsc.mp4", size="160x284", seconds=1.001, fps="30000/1001")
    v = video_of(probe(path))
    assert v.avg_rate == Fraction(30000, 1001)
    assert v.real_rate == Fraction(30000, 1001)
    assert v.constant_rate is True and v.frames == 30


def test_high_profile_and_444(media: MediaFactory) -> None:
    path = media.video("pr-444.mp4", size="160x284", seconds=1, pix_fmt="yuv444p")
    v = video_of(probe(path))
    assert (v.pix_fmt, v.chroma, v.bit_depth) == ("yuv444p", "4:4:4", 8)
    assert v.profile is not None and "4:4:4" in v.profile


# --- geometry: rotation matrix and sample aspect ratio ------------------------------------------------------


@pytest.mark.parametrize(
    ("degrees", "display"),
    [("90", (360, 640)), ("-90", (360, 640)), ("180", (640, 360)), ("0", (640, 360))],
)
def test_rotation_matrix_gives_the_display_size(
    media: MediaFactory, degrees: str, display: tuple[int, int]
) -> None:
    path = media.remux(f"pr-rot{degrees}.mp4", landscape(media), "-display_rotation:v:0", degrees)
    v = video_of(probe(path))
    assert (v.coded_width, v.coded_height) == (640, 360)
    assert (v.display_width, v.display_height) == display
    assert v.rotation == int(degrees) % 360


def test_phone_footage_coded_landscape_is_displayed_portrait(media: MediaFactory) -> None:
    src = media.video("pr-phone-src.mp4", size="1920x1080", seconds=1, fps="30", source="color")
    v = video_of(probe(media.remux("pr-phone.mp4", src, "-display_rotation:v:0", "90")))
    assert (v.coded_width, v.coded_height, v.display_width, v.display_height) == (1920, 1080, 1080, 1920)
    assert v.display_aspect == Fraction(9, 16)


def test_sample_aspect_ratio_stretches_the_width(media: MediaFactory) -> None:
    v = video_of(probe(media.video("pr-sar.mp4", size="320x640", seconds=1, vf="setsar=9/8")))
    assert (v.coded_width, v.coded_height, v.sar) == (320, 640, Fraction(9, 8))
    assert (v.display_width, v.display_height) == (360, 640)


def test_sar_is_applied_before_the_rotation(media: MediaFactory) -> None:
    src = media.video("pr-sar-land.mp4", size="640x320", seconds=1, vf="setsar=9/8")
    v = video_of(probe(media.remux("pr-sar-rot.mp4", src, "-display_rotation:v:0", "90")))
    assert (v.sar, v.rotation) == (Fraction(9, 8), 90)
    assert (v.display_width, v.display_height) == (320, 720)


# --- colour, bit depth, scan, frame-rate mode ---------------------------------------------------------------


def test_hdr10_pq_in_hevc(media: MediaFactory) -> None:
    path = media.video(
        "pr-pq.mp4", size="160x284", seconds=0.5, codec="libx265", pix_fmt="yuv420p10le", vf=PQ, extra=X265
    )
    v = video_of(probe(path))
    assert (v.codec, v.profile, v.pix_fmt, v.bit_depth) == ("hevc", "Main 10", "yuv420p10le", 10)
    assert (v.color_primaries, v.color_transfer, v.color_space) == ("bt2020", "smpte2084", "bt2020nc")
    assert v.hdr == "PQ"


def test_hlg_in_10_bit_h264(media: MediaFactory) -> None:
    path = media.video("pr-hlg.mp4", size="160x284", seconds=0.5, pix_fmt="yuv420p10le", vf=HLG)
    v = video_of(probe(path))
    assert (v.codec, v.profile, v.bit_depth) == ("h264", "High 10", 10)
    assert (v.color_primaries, v.color_transfer) == ("bt2020", "arib-std-b67")
    assert v.hdr == "HLG"


def test_bt709_tags_are_not_hdr(media: MediaFactory) -> None:
    vf = "setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv"
    v = video_of(probe(media.video("pr-709.mp4", size="160x284", seconds=0.5, vf=vf)))
    assert (v.color_primaries, v.color_transfer, v.color_space, v.color_range) == (
        "bt709",
        "bt709",
        "bt709",
        "tv",
    )
    assert v.hdr is None


def variable_rate(media: MediaFactory) -> Path:
    # Timestamps jitter by up to 8 ms around a 30 fps grid; a 1 ms encoder time base keeps them.
    return media.video(
        "pr-vfr.mp4",
        size="160x284",
        seconds=2,
        vf="setpts=N/30/TB+0.008*sin(N)/TB",
        extra=("-fps_mode", "passthrough", "-enc_time_base", "1/1000"),
    )


def test_variable_frame_rate_is_detected(media: MediaFactory) -> None:
    v = video_of(probe(variable_rate(media)))
    assert v.constant_rate is False
    assert v.frames == 60
    assert v.avg_rate is not None and abs(float(v.avg_rate) - 30) < 1


def test_two_rates_concatenated_are_variable(media: MediaFactory) -> None:
    out = media.root / "pr-vfr-concat.mp4"
    if not out.exists():
        ffmpeg(
            "-f",
            "lavfi",
            "-i",
            "testsrc2=s=160x284:r=30:d=1",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=s=160x284:r=15:d=1",
            "-filter_complex",
            "[0:v][1:v]concat=n=2:v=1[v]",
            "-map",
            "[v]",
            "-fps_mode",
            "vfr",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            str(out),
        )
    v = video_of(probe(out))
    assert v.constant_rate is False and v.frames == 45


def test_interlaced_video(media: MediaFactory) -> None:
    path = media.video(
        "pr-interlaced.mp4",
        size="320x240",
        seconds=1,
        vf="tinterlace=interleave_top",
        extra=("-flags", "+ilme+ildct"),
    )
    v = video_of(probe(path))
    assert v.interlaced is True
    assert v.avg_rate == Fraction(15)  # tinterlace weaves two frames into one


# --- audio --------------------------------------------------------------------------------------------------


def test_audio_stream_facts(media: MediaFactory) -> None:
    path = media.video("pr-av.mp4", size="160x284", seconds=1, audio=True, extra=("-ac", "2", "-ar", "44100"))
    info = probe(path)
    assert info.kind == "video"
    (a,) = info.audio
    assert (a.codec, a.channels, a.sample_rate, a.layout) == ("aac", 2, 44100, "stereo")
    assert a.duration is not None and abs(a.duration - 1) < Fraction(1, 10)


def test_audio_only_file(media: MediaFactory) -> None:
    out = media.root / "pr-audio.m4a"
    if not out.exists():
        ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:d=1", "-c:a", "aac", str(out))
    info = probe(out)
    assert (info.kind, info.container, info.video, info.display_size) == ("audio", "m4a", (), None)
    assert (info.audio[0].codec, info.audio[0].channels, info.audio[0].sample_rate) == ("aac", 1, 48000)


@pytest.mark.parametrize("ext", ["mp4", "mkv"])
def test_audio_running_on_after_the_picture_is_not_damage(media: MediaFactory, ext: str) -> None:
    out = media.root / f"pr-long-audio.{ext}"
    if not out.exists():
        ffmpeg(
            "-f",
            "lavfi",
            "-i",
            "testsrc2=s=160x284:r=30:d=2",
            "-f",
            "lavfi",
            "-i",
            "sine=d=3",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-c:a",
            "aac" if ext == "mp4" else "libopus",
            str(out),
        )
    info = probe(out)
    assert info.damage == ()
    assert info.duration is not None and abs(info.duration - 3) < Fraction(1, 10)
    assert video_of(info).frames == 60


# --- the container is read from the bytes, never the name ---------------------------------------------------


@pytest.mark.parametrize(
    ("made_as", "named", "container"),
    [("mkv", "mp4", "mkv"), ("mp4", "mov", "mp4"), ("mov", "mp4", "mov"), ("webm", "mp4", "webm")],
)
def test_video_container_is_sniffed_from_content(
    media: MediaFactory, made_as: str, named: str, container: str
) -> None:
    codec = (
        ("libvpx-vp9", ("-deadline", "realtime", "-cpu-used", "8")) if made_as == "webm" else ("libx264", ())
    )
    src = media.video(f"pr-real.{made_as}", size="160x284", seconds=0.5, codec=codec[0], extra=codec[1])
    disguised = media.raw(f"pr-{made_as}-as.{named}", src.read_bytes())
    assert probe(disguised).container == container


# --- stills -------------------------------------------------------------------------------------------------


def test_exif_orientation_is_applied(media: MediaFactory) -> None:
    path = media.still("pr-exif6.jpg", size=(640, 360), fmt="JPEG", exif_orientation=6)
    with Image.open(path) as im:
        assert im.size == (640, 360)  # stored landscape
    info = probe(path)
    assert info.kind == "image" and info.still is not None
    assert (info.still.width, info.still.height, info.still.orientation) == (360, 640, 6)
    assert info.display_size == (360, 640)
    assert info.duration is None and info.primary_video is None


@pytest.mark.parametrize("orientation", [3, 8])
def test_other_exif_orientations(media: MediaFactory, orientation: int) -> None:
    path = media.still(f"pr-exif{orientation}.jpg", size=(640, 360), fmt="JPEG", exif_orientation=orientation)
    info = probe(path)
    assert info.still is not None and info.still.orientation == orientation
    assert info.display_size == ((640, 360) if orientation == 3 else (360, 640))


def test_cmyk_jpeg(media: MediaFactory) -> None:
    info = probe(media.still("pr-cmyk.jpg", size=(360, 640), mode="CMYK", fmt="JPEG"))
    assert info.still is not None
    assert (info.container, info.still.format, info.still.mode, info.still.bit_depth) == (
        "jpeg",
        "JPEG",
        "CMYK",
        8,
    )
    assert info.still.has_alpha is False


def test_rgba_png(media: MediaFactory) -> None:
    info = probe(media.still("pr-rgba.png", size=(360, 640), mode="RGBA", fmt="PNG"))
    assert info.still is not None
    assert (info.container, info.still.mode, info.still.has_alpha, info.still.bit_depth) == (
        "png",
        "RGBA",
        True,
        8,
    )


def test_palette_png_with_transparency_has_alpha(media: MediaFactory) -> None:
    out = media.root / "pr-palette.png"
    if not out.exists():
        Image.new("P", (36, 64), 3).save(out, transparency=3)
    info = probe(out)
    assert info.still is not None and (info.still.mode, info.still.has_alpha) == ("P", True)


def test_16_bit_grey_png(media: MediaFactory) -> None:
    info = probe(media.still("pr-grey16.png", size=(360, 640), mode="I;16", fmt="PNG"))
    assert info.still is not None
    assert (info.still.mode, info.still.bit_depth) == ("I;16", 16)


def test_16_bit_rgb_png_reports_its_real_depth(media: MediaFactory) -> None:
    # Pillow opens 48-bit RGB PNGs as 8-bit "RGB"; the depth must come from the file.
    out = media.root / "pr-rgb48.png"
    if not out.exists():
        ffmpeg("-f", "lavfi", "-i", "testsrc2=s=36x64", "-frames:v", "1", "-pix_fmt", "rgb48be", str(out))
    info = probe(out)
    assert info.still is not None
    assert (info.still.mode, info.still.bit_depth, info.still.width, info.still.height) == ("RGB", 16, 36, 64)


@pytest.mark.parametrize(("fmt", "named", "container"), [("PNG", "jpg", "png"), ("JPEG", "png", "jpeg")])
def test_still_format_is_sniffed_from_content(
    media: MediaFactory, fmt: str, named: str, container: str
) -> None:
    info = probe(media.still(f"pr-{fmt}-as.{named}", size=(72, 128), fmt=fmt))
    assert info.still is not None
    assert (info.container, info.still.format) == (container, fmt)


def test_non_media_raises_input_error(media: MediaFactory) -> None:
    with pytest.raises(InputError) as exc:
        probe(media.raw("pr-text.png", b"not a picture\n" * 20))
    assert "pr-text.png" in exc.value.message


# --- odd files the probe met in the world (regressions; see also test_hostile_inputs' fuzzing) ------------


def test_an_exif_rotated_tiff_probes_as_it_renders(tmp_path: Path) -> None:
    """Pillow turns a TIFF's size when it opens it (the probe swapped it back), and loading an L/P/CMYK page
    from a path scrambled it; the probe, the render's probe and load_rgb must all show it upright."""
    from mediakit.rendering.still import load_rgb

    for mode in ("L", "P", "CMYK", "RGB"):
        picture = Image.new("L", (30, 20), 0)
        picture.putpixel((0, 0), 255)  # the stored top-left corner
        exif = Image.Exif()
        exif[0x0112] = 6  # shown turned 90 degrees clockwise: 20 wide, 30 tall, that corner top right
        path = tmp_path / f"rotated-{mode}.tif"
        picture.convert(mode).save(path, exif=exif.tobytes())
        for decode in (True, False):
            info = probe(path, decode=decode)
            assert info.display_size == (20, 30) and info.still is not None and info.still.orientation == 6
        rgb = load_rgb(path, (20, 30))
        assert rgb.shape == (30, 20, 3), mode
        bright = [(int(x), int(y)) for y, x in zip(*(rgb[:, :, 0] > 128).nonzero(), strict=True)]
        assert bright == [(19, 0)], mode


def test_a_truncated_multipage_tiff_is_refused_as_damaged(tmp_path: Path) -> None:
    # Found by fuzzing: Pillow raised KeyError/TypeError counting the pages of a cut TIFF.
    source = Path(__file__).resolve().parents[1] / "realworld" / "images" / "multipage.tiff"
    cut = tmp_path / "cut.tiff"
    cut.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    with pytest.raises(InputError, match="damaged"):
        probe(cut)


def test_an_image_pillow_cannot_decode_is_refused_not_probed_as_0x0(tmp_path: Path) -> None:
    # A TIFF signature over data no decoder here reads (as scikit-image's float64 multipage_rgb.tif, which
    # FFmpeg's tiff demuxer used to "probe" as a 0x0 video, and validate then divided by zero).
    odd = tmp_path / "odd.tif"
    odd.write_bytes(b"II*\x00" + bytes(range(256)) * 4)
    with pytest.raises(InputError) as caught:
        probe(odd)
    assert "TIFF image in a variant mediakit cannot decode" in caught.value.message


def test_a_header_claiming_hours_costs_what_its_packets_cost(media: MediaFactory, tmp_path: Path) -> None:
    """Issue #11 point 9: 180 frames whose header claims 10 hours. The probe reads the packets (6 s) and
    stays under 150 MB of memory (measured: 39 MB, the same as for the honest file)."""
    import struct
    import subprocess
    import sys

    honest = media.remux("pr-6s.mkv", media.video("pr-6s.mp4", size="160x284", seconds=6, source="color"))
    data = bytearray(honest.read_bytes())
    at = data.index(b"\x44\x89\x88")  # Segment Info Duration, an 8-byte float in milliseconds
    assert struct.unpack(">d", data[at + 3 : at + 11]) == (6000.0,)
    data[at + 3 : at + 11] = struct.pack(">d", 10 * 3600 * 1000.0)
    liar = tmp_path / "ten-hours.mkv"
    liar.write_bytes(bytes(data))
    # VmHWM, the process's own peak: ru_maxrss would include the forking pytest's size (kept across exec).
    script = (
        "import re, sys\n"
        "from mediakit.probe import probe\n"
        "info = probe(sys.argv[1])\n"
        "peak = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())[1]\n"
        "print(float(info.duration), info.primary_video.frames, int(peak) // 1024)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(liar)], capture_output=True, text=True, timeout=120, check=True
    )
    seconds, frames, peak_mb = done.stdout.split()
    assert (float(seconds), int(frames)) == (6.0, 180)
    assert int(peak_mb) < 150
