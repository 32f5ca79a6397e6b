"""`mediakit fix` over every metadata rule of the Spotify Canvas and Clip presets: a file that breaks the
rule, its repair, the repaired file re-checked by an independent reading (PyAV packets, pyloudnorm), and the
repair class being the least destructive one that can fix that rule."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import av
import pytest

from mediakit.fix.run import fix_file
from mediakit.probe import probe
from mediakit.validate import validate_path
from tests.loudness_meter import integrated
from tests.media import FFMPEG, MediaFactory


def packet_hashes(path: Path, kind: str = "video") -> list[str]:
    """The hash of every packet of the file's first `kind` stream, in file order (PyAV, no decoding)."""
    with av.open(str(path)) as c:
        stream = c.streams.video[0] if kind == "video" else c.streams.audio[0]
        return [hashlib.sha1(bytes(p)).hexdigest() for p in c.demux(stream) if p.size]


def frames(path: Path) -> int:
    with av.open(str(path)) as c:
        return sum(1 for _ in c.decode(video=0))


class _Lazy(dict):  # type: ignore[type-arg]
    """Test files made on first use, so a test (or a deselected slow one) makes only what it reads."""

    def __init__(self, builders: dict[str, Callable[[], Path]]) -> None:
        super().__init__()
        self.builders = builders

    def __missing__(self, key: str) -> Path:
        self[key] = self.builders[key]()
        return self[key]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def src(media: MediaFactory) -> dict[str, Path]:
    """One failing file per rule (small, so the table stays quick), each made when a test first asks."""
    v = media.video

    def base() -> Path:
        return v("fix-ok.mp4", size="720x1280", seconds=4)

    def loud() -> Path:
        return v("fix-loud.mp4", size="1080x1920", seconds=4, audio=True, extra=("-af", "volume=17dB"))

    def clip_ok() -> Path:
        # A clip that is only in the wrong container: sound at about -14 LUFS, 1080 wide.
        return v("fix-clip-ok.mp4", size="1080x1920", seconds=4, audio=True, extra=("-af", "volume=7.5dB"))

    def canvas_audio() -> Path:
        return v("fix-canvas-audio.mp4", size="720x1280", seconds=4, audio=True)

    return _Lazy(
        {
            "ok": base,
            "mov": lambda: media.remux("fix-canvas.mov", base()),
            "mkv": lambda: media.remux("fix-clip.mkv", clip_ok()),
            "clip-mov": lambda: media.remux("fix-clip.mov", clip_ok()),
            "canvas-audio": canvas_audio,
            "canvas-audio-mov-timecode": lambda: v(
                "fix-audio-tc.mov", size="720x1280", seconds=4, audio=True, extra=("-timecode", "01:00:00:00")
            ),
            "short": lambda: v("fix-short.mp4", size="720x1280", seconds=2),
            "long": lambda: v("fix-long.mp4", size="720x1280", seconds=9, extra=("-g", "30", "-crf", "28")),
            "clip-long": lambda: v(
                "fix-clip-long.mp4",
                size="1080x1920",
                seconds=31,
                fps="10",
                audio=True,
                extra=("-af", "volume=7.5dB"),
            ),
            "landscape": lambda: v("fix-land.mp4", size="1280x720", seconds=3.2),
            "near-9x16": lambda: v("fix-1278.mp4", size="720x1278", seconds=3.2),
            "small-ok": lambda: v("fix-640.mp4", size="360x640", seconds=3.2),
            "tiny": lambda: v("fix-tiny.mp4", size="270x480", seconds=3.2),
            "tall": lambda: v("fix-tall.mp4", size="1440x2560", seconds=3.2),
            "mpeg4": lambda: v(
                "fix-mpeg4.mp4", size="720x1280", seconds=3.2, codec="mpeg4", extra=("-q:v", "4")
            ),
            "yuv444": lambda: v("fix-444.mp4", size="720x1280", seconds=3.2, pix_fmt="yuv444p"),
            "fps60": lambda: v("fix-60.mp4", size="720x1280", seconds=3.2, fps="60"),
            "big": lambda: v(
                "fix-big.mp4",
                size="720x1280",
                seconds=4,
                vf="noise=alls=40:allf=t",
                extra=("-b:v", "20M", "-maxrate", "20M", "-bufsize", "4M"),
            ),
            "clip-ok-loud": loud,
            "clip-silent-track": lambda: v(
                "fix-clip-silent.mp4", size="1080x1920", seconds=4, audio=True, extra=("-af", "volume=0")
            ),
            "clip-no-audio": lambda: v("fix-clip-mute.mp4", size="1080x1920", seconds=3.2),
            "clip-landscape": lambda: v("fix-clip-land.mp4", size="1920x1080", seconds=3.2, audio=True),
            "clip-720": lambda: v(
                "fix-clip-720.mp4", size="720x1280", seconds=3.2, audio=True, extra=("-af", "volume=7.5dB")
            ),
            "clip-tiny": lambda: v("fix-clip-tiny.mp4", size="360x640", seconds=3.2, audio=True),
            "clip-mpeg4": lambda: v(
                "fix-clip-mpeg4.mp4",
                size="1080x1920",
                seconds=3.2,
                audio=True,
                codec="mpeg4",
                extra=("-q:v", "4", "-af", "volume=7.5dB"),
            ),
        }
    )


# (source, preset, rule it breaks, the status, the repair class expected for that rule)
TABLE = [
    ("ok", "canvas", None, "passes", None),
    ("mov", "canvas", "format", "fixed", "remux"),
    ("canvas-audio", "canvas", "audio", "fixed", "remux"),
    ("canvas-audio-mov-timecode", "canvas", "audio", "fixed", "remux"),
    ("short", "canvas", "duration", "unfixable", None),
    ("long", "canvas", "duration", "fixed", "trim"),
    ("clip-long", "clip", "duration", "fixed", "trim"),
    ("landscape", "canvas", "aspect", "fixed", "re-encode"),
    ("near-9x16", "canvas", "aspect-exact", "fixed", "re-encode"),
    ("small-ok", "canvas", "height-min", "fixed", "re-encode"),
    ("tiny", "canvas", "height-min", "unfixable", None),
    ("tall", "canvas", "height-max", "fixed", "re-encode"),
    ("mpeg4", "canvas", "video-codec", "fixed", "re-encode"),
    ("yuv444", "canvas", "video-codec", "fixed", "re-encode"),
    ("fps60", "canvas", "frame-rate", "fixed", "re-encode"),
    ("big", "canvas", "file-size", "fixed", "re-encode"),
    ("mkv", "clip", "format", "fixed", "remux"),
    ("clip-mov", "clip", "format-mp4", "fixed", "remux"),
    ("clip-ok-loud", "clip", "loudness", "fixed", "re-encode"),
    ("clip-silent-track", "clip", "audio-silent", "unfixable", None),
    ("clip-no-audio", "clip", "audio", "unfixable", None),
    ("clip-landscape", "clip", "orientation", "fixed", "re-encode"),
    # A warning that only an enlargement would fix (720 wide, 1080 recommended) is left alone.
    ("clip-720", "clip", "size-recommended", "passes", None),
    ("clip-tiny", "clip", "size-min", "unfixable", None),
    ("clip-mpeg4", "clip", "video-codec", "fixed", "re-encode"),
]


# The heavier rows (1080x1920 re-encodes, a 31 s clip, 10 MB of noise) run in make test-release.
SLOW_ROWS = {"big", "clip-mpeg4", "tall", "clip-long", "clip-landscape"}


@pytest.mark.parametrize(
    ("name", "preset", "rule", "status", "klass"),
    [pytest.param(*t, id=t[0], marks=[pytest.mark.slow] if t[0] in SLOW_ROWS else []) for t in TABLE],
)
def test_fix_table(
    src: dict[str, Path],
    tmp_path: Path,
    name: str,
    preset: str,
    rule: str | None,
    status: str,
    klass: str | None,
) -> None:
    source = src[name]
    before = source.read_bytes()
    before_report = validate_path(source, preset, deep=preset == "clip")
    if rule is not None:
        assert rule in {f.rule for f in before_report.findings}, before_report.findings
    out = tmp_path / "out.mp4"
    result = fix_file(source, preset, output=out)
    assert result.status == status, (result.message, [a.as_dict() for a in result.actions])
    assert source.read_bytes() == before  # the input is never modified
    if status != "fixed":
        assert not out.exists() and not list(tmp_path.iterdir())  # nothing written, no temp left
        if status == "unfixable":
            assert rule in result.message and result.hint
        return
    by_rule = {a.finding.rule: a for a in result.actions}
    assert by_rule[rule].repair == klass
    # The repaired file passes the same preset when read afresh (the loudness too, for a clip).
    after = validate_path(out, preset, deep=preset == "clip")
    assert after.verdict() != "fail", after.findings
    assert rule not in {f.rule for f in after.findings}
    assert not probe(out).damage
    assert [p.name for p in tmp_path.iterdir()] == ["out.mp4"]  # no temp files left beside it


@pytest.mark.parametrize("name", ["mov", "canvas-audio", "canvas-audio-mov-timecode", "mkv", "clip-mov"])
def test_container_and_stream_repairs_copy_every_video_packet(
    src: dict[str, Path], tmp_path: Path, name: str
) -> None:
    """Only the container or an extra stream is wrong: the video is the same bytes, packet for packet."""
    preset = "clip" if name in ("mkv", "clip-mov") else "canvas"
    out = tmp_path / "out.mp4"
    result = fix_file(src[name], preset, output=out)
    assert result.status == "fixed" and result.repair is not None and result.repair.strongest == "remux"
    assert packet_hashes(out) == packet_hashes(src[name])
    with av.open(str(out)) as c:
        kinds = [s.type for s in c.streams]
        assert c.format.name.startswith("mov,mp4")
    assert kinds == (["video", "audio"] if preset == "clip" else ["video"])  # no audio, data or timecode
    if preset == "clip" and name != "clip-ok-loud":
        assert packet_hashes(out, "audio") == packet_hashes(src[name], "audio")
    # faststart: the index (moov) comes before the media data (mdat).
    head = out.read_bytes()[:4096]
    assert head.find(b"moov") != -1 and (head.find(b"mdat") == -1 or head.find(b"moov") < head.find(b"mdat"))


def test_loudness_alone_copies_the_video_and_lands_on_target(src: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    source = src["clip-ok-loud"]
    assert integrated(source) > -6.0, integrated(source)  # the independent meter sees the problem first
    result = fix_file(source, "clip", output=out)
    assert result.status == "fixed"
    assert packet_hashes(out) == packet_hashes(source)
    assert abs(integrated(out) + 14.0) <= 0.5  # pyloudnorm, not mediakit's meter


@pytest.mark.slow
def test_video_reencode_keeps_the_audio_packets(src: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    result = fix_file(src["clip-mpeg4"], "clip", output=out)
    assert result.status == "fixed"
    assert packet_hashes(out, "audio") == packet_hashes(src["clip-mpeg4"], "audio")
    assert probe(out).primary_video.codec == "h264"  # type: ignore[union-attr]
    assert frames(out) == frames(src["clip-mpeg4"])


def test_upscaling_past_the_limit_is_refused_with_the_reason(src: dict[str, Path], tmp_path: Path) -> None:
    result = fix_file(src["tiny"], "canvas", output=tmp_path / "out.mp4")
    assert result.status == "unfixable"
    assert "enlarged 2.67x" in result.hint and "larger source" in result.hint


def test_dry_run_plans_and_writes_nothing(src: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    result = fix_file(src["canvas-audio-mov-timecode"], "canvas", output=out, dry_run=True)
    assert result.status == "planned" and not out.exists() and not list(tmp_path.iterdir())
    assert any("-c:v copy" in c for c in result.commands)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mediakit", *args], capture_output=True, text=True, timeout=300, check=False
    )


def test_cli_folder_json_and_exit_codes(src: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    for name, target in (("mov", "a.mov"), ("short", "sub/b.mp4"), ("ok", "c.mp4")):
        (folder / target).write_bytes(src[name].read_bytes())
    out = tmp_path / "out"
    done = _cli("fix", str(folder), "--as", "canvas", "-o", str(out), "--json")
    assert done.returncode == 1, done.stderr  # one file cannot be fixed: its failure shows, the others stand
    doc = json.loads(done.stdout)
    by_name = {Path(f["path"]).name: f for f in doc["files"]}
    assert by_name["a.mov"]["status"] == "fixed" and by_name["a.mov"]["class"] == "remux"
    assert by_name["b.mp4"]["status"] == "unfixable" and "duration" in by_name["b.mp4"]["message"]
    assert by_name["b.mp4"]["class"] is None and by_name["c.mp4"]["class"] == "keep"
    assert by_name["c.mp4"]["status"] == "passes"
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == ["a.fixed.mp4"]
    planned = _cli("fix", str(folder), "--as", "canvas", "-o", str(tmp_path / "new"), "--dry-run", "--json")
    plan = {Path(f["path"]).name: f for f in json.loads(planned.stdout)["files"]}
    assert plan["a.mov"]["status"] == "planned" and plan["a.mov"]["output"].endswith("new/a.fixed.mp4")
    assert not (tmp_path / "new").exists()
    again = _cli("fix", str(folder / "a.mov"), "--as", "canvas", "-o", str(out / "a.fixed.mp4"))
    assert again.returncode == 4 and "already exists" in again.stderr and "Traceback" not in again.stderr


def test_cli_usage_errors_are_one_line(tmp_path: Path, src: dict[str, Path]) -> None:
    bad = _cli("fix", str(src["mov"]), "--as", "no-such-preset")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    missing = _cli("fix", str(tmp_path / "nope.mp4"))
    assert missing.returncode == 1 and "no such file" in missing.stderr and "Traceback" not in missing.stderr


def test_a_flashing_canvas_cannot_be_fixed_with_deep(media: MediaFactory, tmp_path: Path) -> None:
    flashing = media.video(
        "fix-flash.mp4",
        size="720x1280",
        seconds=3.2,
        source="color",
        vf="format=yuv420p,geq=lum='255*mod(floor(T*10),2)':cb=128:cr=128",
    )
    result = fix_file(flashing, "canvas", output=tmp_path / "out.mp4", deep=True)
    assert result.status == "unfixable" and "flashing" in result.message
    assert not (tmp_path / "out.mp4").exists()


# A small profile with Apple's colour rules (tagged BT.709 wanted; BT.2020/HDR refused), so the colour
# repairs are tested without Apple's 2048x2732 frames.
COLOR_PROFILE = """
schema = 1
name = "small-color"
kind = "canvas"
title = "Colour-checked loop"
description = "3-8 s H.264 MP4, tagged BT.709."
accepts = ["video"]

[render]
width = 720
height = 1280
fps = 30
duration = 4.0
crf = 20
x264_preset = "medium"
audio = false

[[rule]]
id = "video-codec"
check = "video-codec"
codecs = ["h264"]
pix_fmts = ["yuv420p"]
severity = "error"
source = "test profile"

[[rule]]
id = "color"
check = "color"
primaries = ["bt709"]
transfers = ["bt709"]
spaces = ["bt709"]
allow_unspecified = true
severity = "error"
source = "test profile"

[[rule]]
id = "color-tagged"
check = "color"
primaries = ["bt709"]
transfers = ["bt709"]
spaces = ["bt709"]
allow_unspecified = false
severity = "warning"
source = "test profile"
"""


def ffmpeg_stream_line(path: Path) -> str:
    """The video stream line as the ffmpeg binary prints it (its own reading of the colour tags)."""
    err = subprocess.run([FFMPEG, "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    return next(line for line in err.splitlines() if "Video:" in line)


def test_missing_colour_tags_are_written_without_touching_a_packet(
    media: MediaFactory, tmp_path: Path
) -> None:
    profile = tmp_path / "small-color.toml"
    profile.write_text(COLOR_PROFILE)
    source = media.video("fix-untagged.mp4", size="720x1280", seconds=3.2)
    assert "bt709" not in ffmpeg_stream_line(source)
    out = tmp_path / "out.mp4"
    result = fix_file(source, str(profile), output=out)
    assert result.status == "fixed" and result.repair is not None and result.repair.strongest == "remux"
    assert "bt709" in ffmpeg_stream_line(out)
    assert packet_hashes(out) == packet_hashes(source)
    assert validate_path(out, str(profile)).verdict() == "pass"


def test_hdr_is_converted_to_tagged_bt709(media: MediaFactory, tmp_path: Path) -> None:
    profile = tmp_path / "small-color.toml"
    profile.write_text(COLOR_PROFILE)
    source = media.video(
        "fix-hdr.mp4",
        size="720x1280",
        seconds=3.2,
        pix_fmt="yuv420p10le",
        # Tags as output options do not reach libx264 (PITFALLS); setparams does.
        vf="setparams=color_primaries=bt2020:color_trc=smpte2084:colorspace=bt2020nc",
    )
    assert "smpte2084" in ffmpeg_stream_line(source)
    out = tmp_path / "out.mp4"
    result = fix_file(source, str(profile), output=out)
    assert result.status == "fixed", result.message
    by_rule = {a.finding.rule: a.repair for a in result.actions}
    assert by_rule["color"] == "re-encode"
    line = ffmpeg_stream_line(out)
    assert "yuv420p(" in line and "bt709" in line and "smpte2084" not in line


@pytest.mark.slow
def test_hevc_larger_than_needed_is_rerendered_at_the_canvas_size(
    media: MediaFactory, tmp_path: Path
) -> None:
    """A phone's HEVC export, taller than 1920: the canvas is re-rendered as H.264 1080x1920."""
    source = media.video(
        "fix-hevc.mp4",
        size="1440x2560",
        seconds=3.2,
        codec="libx265",
        extra=("-preset", "ultrafast", "-tag:v", "hvc1", "-x265-params", "log-level=error"),
    )
    assert "hevc" in ffmpeg_stream_line(source)
    out = tmp_path / "out.mp4"
    result = fix_file(source, "canvas", output=out)
    assert result.status == "fixed", result.message
    line = ffmpeg_stream_line(out)
    assert "h264" in line and "1080x1920" in line
    assert validate_path(out, "canvas").verdict() == "pass"


def test_unreadable_files_fail_alone_with_one_line(src: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "notes.mp4").write_text("not a video\n")
    data = src["mov"].read_bytes()
    (folder / "cut-short.mov").write_bytes(data[: len(data) // 2])
    (folder / "good.mov").write_bytes(data)
    out = tmp_path / "out"
    done = _cli("fix", str(folder), "--as", "canvas", "-o", str(out), "--json")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    by_name = {Path(f["path"]).name: f for f in json.loads(done.stdout)["files"]}
    assert by_name["good.mov"]["status"] == "fixed"
    assert by_name["notes.mp4"]["status"] in ("failed", "unfixable") and by_name["notes.mp4"]["message"]
    assert by_name["cut-short.mov"]["status"] in ("failed", "unfixable")
    assert [p.name for p in out.iterdir()] == ["good.fixed.mp4"]
    human = _cli("fix", str(folder / "notes.mp4"), "--as", "canvas", "-o", str(tmp_path / "n.mp4"))
    errors = [line for line in human.stderr.splitlines() if line.startswith("mediakit: error:")]
    assert human.returncode == 1 and len(errors) == 1 and "Traceback" not in human.stderr


def test_dry_run_prints_the_commands_as_they_run(src: dict[str, Path], tmp_path: Path) -> None:
    """Rich would turn `:v:` (a stream map) or `:fire:` (in a file name) into pictures: both print as text."""
    named = tmp_path / "take:fire:.mov"
    named.write_bytes(src["mov"].read_bytes())
    done = _cli("fix", str(named), "--as", "canvas", "--dry-run", "-q")
    assert done.returncode == 0, done.stderr
    assert "-map 0:V:0" in done.stdout and "take:fire:.mov" in done.stdout
    assert not list(tmp_path.glob("*.fixed.*"))


def test_a_phone_video_keeps_its_rotation_when_rewrapped(media: MediaFactory, tmp_path: Path) -> None:
    """Coded 1280x720 with a 90° display matrix (a phone held upright): shown 720x1280 before and after."""
    coded = media.video("fix-coded-landscape.mp4", size="1280x720", seconds=3.2)
    rotated = media.remux("fix-rotated.mov", coded, "-display_rotation", "90")
    assert probe(rotated).display_size == (720, 1280)
    out = tmp_path / "out.mp4"
    result = fix_file(rotated, "canvas", output=out)
    assert result.status == "fixed" and result.repair is not None and result.repair.strongest == "remux"
    assert probe(out).display_size == (720, 1280)
    assert packet_hashes(out) == packet_hashes(rotated)


@pytest.mark.slow
def test_an_odd_sized_export_is_reencoded_with_even_sizes(media: MediaFactory, tmp_path: Path) -> None:
    """719x1279 is 9:16 to the pixel, so only the codec is wrong; x264's 4:2:0 needs even sizes."""
    odd = media.video(
        "fix-odd.mkv", size="720x1280", seconds=3.2, codec="ffv1", pix_fmt="yuv444p", vf="scale=719:1279"
    )
    assert probe(odd).display_size == (719, 1279)
    out = tmp_path / "out.mp4"
    result = fix_file(odd, "canvas", output=out)
    assert result.status == "fixed", result.message
    assert probe(out).display_size == (718, 1278)
    assert validate_path(out, "canvas").verdict() != "fail"


def test_a_cover_picture_stored_first_is_not_taken_for_the_video(
    media: MediaFactory, tmp_path: Path, src: dict[str, Path]
) -> None:
    cover = media.still("fix-cover.jpg", size=(300, 300), fmt="JPEG")
    video = src["canvas-audio"]
    with_cover = tmp_path / "with-cover.mp4"
    subprocess.run(
        [
            FFMPEG,
            "-v",
            "error",
            "-i",
            str(cover),
            "-i",
            str(video),
            "-map",
            "0",
            "-map",
            "1",
            "-c",
            "copy",
            "-disposition:v:0",
            "attached_pic",
            str(with_cover),
        ],
        check=True,
    )
    out = tmp_path / "out.mp4"
    result = fix_file(with_cover, "canvas", output=out)
    assert result.status == "fixed", result.message
    assert probe(out).display_size == (720, 1280)
    assert packet_hashes(out) == packet_hashes(video)


def test_a_start_between_keyframes_is_a_smart_cut(src: dict[str, Path], tmp_path: Path) -> None:
    """From 0.5 s in a file with a keyframe every second: only the frames up to the keyframe at 1 s are
    re-encoded; everything after is the source's packets."""
    out = tmp_path / "out.mp4"
    result = fix_file(src["long"], "canvas", output=out, start=0.5)
    assert result.status == "fixed", result.message
    by_rule = {a.finding.rule: a.repair for a in result.actions}
    assert by_rule["duration"] == "smart-cut" and result.cut.method == "smart"
    assert result.cut.reencoded_frames == 15
    kept, source = packet_hashes(out), packet_hashes(src["long"])
    assert kept[15:] == source[30 : 30 + len(kept) - 15]
    assert float(probe(out).duration) <= 8.0


def test_o_names_a_folder_for_listed_files_and_reruns_skip_own_outputs(
    src: dict[str, Path], tmp_path: Path
) -> None:
    a, b = tmp_path / "a.mov", tmp_path / "b.mov"
    a.write_bytes(src["mov"].read_bytes())
    b.write_bytes(src["mov"].read_bytes())
    listed = _cli("fix", str(a), str(b), "--as", "canvas", "-o", str(tmp_path / "new"), "-q")
    assert listed.returncode == 0, listed.stderr
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == ["a.fixed.mp4", "b.fixed.mp4"]
    (tmp_path / "one").mkdir()
    single = _cli("fix", str(a), "--as", "canvas", "-o", str(tmp_path / "one"), "-q")
    assert single.returncode == 0 and (tmp_path / "one" / "a.fixed.mp4").is_file(), single.stderr
    # In place, twice: the second run leaves the first run's outputs alone and only finds them existing.
    first = _cli("fix", str(tmp_path), "--as", "canvas", "--json")
    names = sorted(Path(f["path"]).name for f in json.loads(first.stdout)["files"])
    assert names == ["a.mov", "b.mov"]  # not new/a.fixed.mp4 nor one/a.fixed.mp4
    again = _cli("fix", str(a), "--as", "canvas", "-q")
    assert again.returncode == 4 and "already exists" in again.stderr


def test_two_inputs_that_would_write_one_output_are_refused(src: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "song.mov").write_bytes(src["mov"].read_bytes())
    (tmp_path / "song.mkv").write_bytes(src["mov"].read_bytes())
    done = _cli("fix", str(tmp_path), "--as", "canvas", "-o", str(tmp_path / "out"), "--json")
    by_name = {Path(f["path"]).name: f for f in json.loads(done.stdout)["files"]}
    assert done.returncode == 1
    statuses = sorted(f["status"] for f in by_name.values())
    assert statuses == ["failed", "fixed"]
    refused = next(f for f in by_name.values() if f["status"] == "failed")
    assert "same output" in refused["message"]


def test_an_impossible_start_fails_that_file_alone(src: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "long.mp4").write_bytes(src["long"].read_bytes())  # 9 s
    (tmp_path / "short.mov").write_bytes(src["mov"].read_bytes())  # 4 s
    done = _cli("fix", str(tmp_path), "--as", "canvas", "--start", "5", "--json")
    by_name = {Path(f["path"]).name: f for f in json.loads(done.stdout)["files"]}
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert by_name["short.mov"]["status"] == "unfixable" and "past the end" in by_name["short.mov"]["message"]
    assert by_name["long.mp4"]["status"] == "fixed"  # 5-9 s: 4 s kept
    late = _cli(
        "fix", str(tmp_path / "long.mp4"), "--as", "canvas", "--start", "7.5", "-o", str(tmp_path / "x.mp4")
    )
    assert late.returncode == 1 and "leaves 1.50 s, under the 3 s minimum" in late.stderr
    assert not (tmp_path / "x.mp4").exists()


def test_hdr_footage_for_a_canvas_comes_out_sdr(media: MediaFactory, tmp_path: Path) -> None:
    """The Spotify presets check no colour, but an 8-bit file still tagged PQ would show wrong colours."""
    hdr = media.video(
        "fix-hdr-hevc.mp4",
        size="720x1280",
        seconds=3.2,
        codec="libx265",
        pix_fmt="yuv420p10le",
        extra=("-x265-params", "colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc:log-level=error"),
    )
    assert probe(hdr).primary_video.hdr == "PQ"  # type: ignore[union-attr]
    out = tmp_path / "out.mp4"
    result = fix_file(hdr, "canvas", output=out)
    assert result.status == "fixed", result.message
    line = ffmpeg_stream_line(out)
    assert "bt709" in line and "smpte2084" not in line and probe(out).primary_video.hdr is None  # type: ignore[union-attr]


def test_a_video_that_starts_after_its_audio_is_trimmed_from_its_first_frame(
    media: MediaFactory, tmp_path: Path
) -> None:
    late = tmp_path / "late.mp4"
    ffmpeg_args = [
        FFMPEG,
        "-v",
        "error",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=720x1280:r=60:d=9",
        "-f",
        "lavfi",
        "-i",
        "sine=d=9.5",
        "-c:v",
        "mpeg4",
        "-q:v",
        "5",
        "-c:a",
        "aac",
        "-output_ts_offset",
        "0",
        "-map",
        "0:v",
        "-map",
        "1:a",
        str(tmp_path / "raw.mkv"),
    ]
    subprocess.run(ffmpeg_args, check=True)
    subprocess.run(
        [
            FFMPEG,
            "-v",
            "error",
            "-itsoffset",
            "0.5",
            "-i",
            str(tmp_path / "raw.mkv"),
            "-i",
            str(tmp_path / "raw.mkv"),
            "-map",
            "0:v",
            "-map",
            "1:a",
            "-c",
            "copy",
            str(late),
        ],
        check=True,
    )
    out = tmp_path / "out.mp4"
    result = fix_file(late, "canvas", output=out)
    assert result.status == "fixed", result.message
    assert float(probe(out).duration) <= 8.0  # type: ignore[arg-type]


def test_pad_and_blur_do_not_count_as_enlarging(media: MediaFactory, tmp_path: Path) -> None:
    """854x480 shown whole in 720x1280 is shrunk (720/854); cropped it would be enlarged 2.67x."""
    wide = media.video("fix-854.mp4", size="854x480", seconds=3.2)
    assert fix_file(wide, "canvas", output=tmp_path / "crop.mp4", fit="crop").status == "unfixable"
    padded = fix_file(wide, "canvas", output=tmp_path / "pad.mp4", fit="pad")
    assert padded.status == "fixed", padded.hint
    assert probe(tmp_path / "pad.mp4").display_size == (720, 1280)


def test_a_cut_that_would_reencode_most_frames_is_a_reencode_at_the_presets_settings(
    media: MediaFactory, tmp_path: Path
) -> None:
    """One GOP of 250 frames: cutting from 0.5 s leaves nothing to copy, so it is a plain re-encode at the
    preset's quality, not a splice at the cut's near-lossless settings (which would triple the bytes)."""
    long_gop = media.video("fix-long-gop.mp4", size="720x1280", seconds=9, extra=("-g", "250", "-crf", "28"))
    out = tmp_path / "out.mp4"
    result = fix_file(long_gop, "canvas", output=out, start=0.5)
    assert result.status == "fixed", result.message
    assert {a.finding.rule: a.repair for a in result.actions}["duration"] == "re-encode"
    assert result.cut is None  # not made by the cutting engine
    assert validate_path(out, "canvas").verdict() == "pass"
