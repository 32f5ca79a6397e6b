"""`mediakit validate` and `mediakit presets` in-process: a passing and a failing real file for every rule."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from mediakit.cli.main import cli, main
from mediakit.errors import ExitCode
from mediakit.preset import presets_dir, resolve
from tests.media import MediaFactory, ffmpeg

pytestmark = pytest.mark.integration

COLOR = {"source": "color"}  # flat frames encode in no time; content does not matter to metadata rules
X265 = ("-preset", "ultrafast", "-x265-params", "log-level=error")
VP9 = ("-deadline", "realtime", "-cpu-used", "8")
PQ = "setparams=color_primaries=bt2020:color_trc=smpte2084:colorspace=bt2020nc"
HLG = "setparams=color_primaries=bt2020:color_trc=arib-std-b67:colorspace=bt2020nc"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    # The CLI configures the root logger onto the stream CliRunner swaps in; put it back afterwards.
    handlers, level = logging.root.handlers[:], logging.root.level
    yield
    logging.root.handlers[:] = handlers
    logging.root.setLevel(level)


def run_json(*args: str | Path) -> tuple[int, dict]:
    result = CliRunner().invoke(cli, ["validate", "--json", *map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, json.loads(result.stdout)


def exit_code(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


# --- media for each rule ------------------------------------------------------------------------------------


def canvas_base(m: MediaFactory) -> Path:
    return m.video("va-canvas.mp4", size="720x1280", seconds=4)


def clip_base(m: MediaFactory) -> Path:
    return m.video("va-clip.mp4", size="1080x1920", seconds=4, fps="24", audio=True, **COLOR)


def canvas(name: str, **kw: object) -> Callable[[MediaFactory], Path]:
    opts: dict = {"size": "720x1280", "seconds": 3.5, "fps": "30", **COLOR, **kw}
    return lambda m: m.video(f"va-{name}", **opts)


def clip(name: str, **kw: object) -> Callable[[MediaFactory], Path]:
    opts: dict = {"size": "1080x1920", "seconds": 3.5, "fps": "10", "audio": True, **COLOR, **kw}
    return lambda m: m.video(f"va-{name}", **opts)


def rotated(name: str, source: Callable[[MediaFactory], Path]) -> Callable[[MediaFactory], Path]:
    return lambda m: m.remux(f"va-{name}", source(m), "-display_rotation:v:0", "90")


def still(name: str, size: tuple[int, int], **kw: object) -> Callable[[MediaFactory], Path]:
    return lambda m: m.still(f"va-{name}", size=size, **kw)  # type: ignore[arg-type]


def audio_outlasts_video(ext: str) -> Callable[[MediaFactory], Path]:
    def make(m: MediaFactory) -> Path:
        out = m.root / f"va-long-audio.{ext}"
        if not out.exists():
            audio = ("-c:a", "aac") if ext == "mp4" else ("-c:a", "libopus")
            ffmpeg(
                "-f",
                "lavfi",
                "-i",
                "color=s=1080x1920:r=10:d=4",
                "-f",
                "lavfi",
                "-i",
                "sine=d=6",
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-pix_fmt",
                "yuv420p",
                *audio,
                str(out),
            )
        return out

    return make


@dataclass(frozen=True)
class Case:
    id: str
    make: Callable[[MediaFactory], Path]
    profile: str  # the preset the file must be checked against
    rules: frozenset[str]  # exactly the rule ids reported
    verdict: str
    as_: str | None = None  # --as; None = let validate choose

    @property
    def preset(self) -> str:
        return "spotify-canvas" if self.profile == "canvas" else "spotify-clip"


def case(
    id: str,
    make: Callable[[MediaFactory], Path],
    profile: str,
    rules: set[str],
    verdict: str,
    as_: str | None = None,
) -> Case:
    return Case(id, make, profile, frozenset(rules), verdict, as_)


CASES = [
    # Canvas ----------------------------------------------------------------------------------------------
    case("canvas-pass", canvas_base, "canvas", set(), "pass"),
    case("canvas-3s-exactly", canvas("3s.mp4", seconds=3), "canvas", set(), "pass"),
    case("canvas-8s-exactly-24fps", canvas("8s.mp4", seconds=8, fps="24"), "canvas", set(), "pass"),
    case("canvas-2.9s", canvas("2.9s.mp4", seconds=2.9), "canvas", {"duration"}, "fail"),
    case("canvas-8.04s", canvas("8.04s.mp4", seconds=8.04, fps="25"), "canvas", {"duration"}, "fail"),
    case("canvas-aspect-1.5%-off", canvas("720x1300.mp4", size="720x1300"), "canvas", {"aspect"}, "fail"),
    case(
        "canvas-aspect-0.6%-off", canvas("724x1280.mp4", size="724x1280"), "canvas", {"aspect-exact"}, "warn"
    ),
    case("canvas-height-640", canvas("360x640.mp4", size="360x640"), "canvas", {"height-min"}, "fail"),
    case("canvas-height-1920", canvas("1080x1920.mp4", size="1080x1920", seconds=3), "canvas", set(), "pass"),
    case(
        "canvas-height-2560",
        canvas("1440x2560.mp4", size="1440x2560", seconds=3),
        "canvas",
        {"height-max"},
        "warn",
    ),
    case("canvas-mov", canvas("canvas.mov"), "canvas", {"format"}, "fail"),
    case("canvas-mkv", canvas("canvas.mkv"), "canvas", {"format"}, "fail"),
    case(
        "canvas-webm",
        canvas("canvas.webm", codec="libvpx-vp9", extra=VP9, fps="24", seconds=3),
        "canvas",
        {"format", "video-codec"},
        "fail",
    ),
    case("canvas-jpeg", still("canvas.jpg", (720, 1280), fmt="JPEG"), "canvas", set(), "pass"),
    case("canvas-png", still("canvas.png", (720, 1280), fmt="PNG"), "canvas", {"format"}, "fail"),
    case(
        "canvas-rgba-png",
        still("rgba.png", (720, 1280), fmt="PNG", mode="RGBA"),
        "canvas",
        {"format"},
        "fail",
    ),
    case(
        "canvas-16bit-png",
        still("grey16.png", (720, 1280), fmt="PNG", mode="I;16"),
        "canvas",
        {"format"},
        "fail",
    ),
    case(
        "canvas-cmyk-jpeg", still("cmyk.jpg", (720, 1280), fmt="JPEG", mode="CMYK"), "canvas", set(), "pass"
    ),
    case(
        "canvas-exif6-jpeg",
        still("exif6.jpg", (1280, 720), fmt="JPEG", exif_orientation=6),
        "canvas",
        set(),
        "pass",
    ),
    case("canvas-landscape-jpeg", still("land.jpg", (1280, 720), fmt="JPEG"), "canvas", {"aspect"}, "fail"),
    case(
        "canvas-hevc",
        canvas("hevc.mp4", codec="libx265", extra=X265, seconds=3, fps="24"),
        "canvas",
        {"video-codec"},
        "warn",
    ),
    case(
        "canvas-10bit-pq",
        canvas("pq.mp4", codec="libx265", pix_fmt="yuv420p10le", vf=PQ, extra=X265),
        "canvas",
        {"video-codec"},
        "warn",
    ),
    case(
        "canvas-10bit-hlg",
        canvas("hlg.mp4", pix_fmt="yuv420p10le", vf=HLG),
        "canvas",
        {"video-codec"},
        "warn",
    ),
    case("canvas-444", canvas("444.mp4", pix_fmt="yuv444p"), "canvas", {"video-codec"}, "warn"),
    case("canvas-with-audio", canvas("audio.mp4", audio=True), "canvas", {"audio"}, "warn", as_="canvas"),
    case("canvas-20fps", canvas("20fps.mp4", fps="20"), "canvas", {"frame-rate"}, "warn"),
    case("canvas-60fps", canvas("60fps.mp4", fps="60"), "canvas", {"frame-rate"}, "warn"),
    case(
        "canvas-vfr",
        canvas(
            "vfr.mp4",
            vf="setpts=N/30/TB+0.008*sin(N)/TB",
            extra=("-fps_mode", "passthrough", "-enc_time_base", "1/1000"),
        ),
        "canvas",
        {"frame-rate"},
        "warn",
    ),
    case(
        "canvas-8.1MB",
        canvas("big.mp4", seconds=3, extra=("-moov_size", "8100000")),
        "canvas",
        {"file-size"},
        "warn",
    ),
    case(
        "canvas-phone-rotated-portrait",
        rotated("phone.mp4", canvas("1920x1080.mp4", size="1920x1080")),
        "canvas",
        set(),
        "pass",
    ),
    case(
        "canvas-portrait-rotated-landscape",
        rotated("portrait-rot.mp4", canvas_base),
        "canvas",
        {"aspect"},
        "fail",
    ),
    case("canvas-sar-9:8", canvas("sar98.mp4", size="640x1280", vf="setsar=9/8"), "canvas", set(), "pass"),
    case("canvas-sar-4:3", canvas("sar43.mp4", vf="setsar=4/3"), "canvas", {"aspect"}, "fail"),
    # Clip --------------------------------------------------------------------------------------------------
    case("clip-pass", clip_base, "clip", set(), "pass"),
    case("clip-3s-exactly", clip("clip-3s.mp4", seconds=3), "clip", {"duration"}, "fail"),
    case("clip-3.1s", clip("clip-3.1s.mp4", seconds=3.1), "clip", set(), "pass"),
    case("clip-29.5s", clip("clip-29.5s.mp4", seconds=29.5, fps="2"), "clip", set(), "pass"),
    case("clip-30s-exactly", clip("clip-30s.mp4", seconds=30, fps="2"), "clip", {"duration"}, "fail"),
    case(
        "clip-landscape",
        clip("clip-land.mp4", size="1920x1080"),
        "clip",
        {"orientation", "aspect", "size-min"},
        "fail",
    ),
    case(
        "clip-phone-rotated-portrait",
        rotated("clip-phone.mp4", clip("clip-land.mp4", size="1920x1080")),
        "clip",
        set(),
        "pass",
    ),
    case(
        "clip-portrait-rotated-landscape",
        rotated("clip-rot.mp4", clip_base),
        "clip",
        {"orientation", "aspect", "size-min"},
        "fail",
    ),
    case("clip-aspect", clip("clip-1080x1280.mp4", size="1080x1280"), "clip", {"aspect"}, "warn"),
    case("clip-size-min", clip("clip-540x960.mp4", size="540x960"), "clip", {"size-min"}, "fail"),
    case(
        "clip-size-recommended",
        clip("clip-720x1280.mp4", size="720x1280"),
        "clip",
        {"size-recommended"},
        "warn",
    ),
    case("clip-no-audio", clip("clip-silent.mp4", audio=False), "clip", {"audio"}, "fail", as_="clip"),
    case("clip-mov", clip("clip.mov"), "clip", {"format-mp4"}, "warn"),
    case("clip-mkv", clip("clip.mkv"), "clip", {"format"}, "fail"),
    case(
        "clip-webm",
        clip("clip.webm", codec="libvpx-vp9", extra=(*VP9, "-c:a", "libopus"), fps="5"),
        "clip",
        {"format", "video-codec"},
        "fail",
    ),
    case("clip-hevc", clip("clip-hevc.mp4", codec="libx265", extra=X265), "clip", {"video-codec"}, "warn"),
    # A song that runs on after the picture ends is not a truncated file.
    case("clip-audio-outlasts-video", audio_outlasts_video("mp4"), "clip", set(), "pass"),
    case("clip-mkv-audio-outlasts-video", audio_outlasts_video("mkv"), "clip", {"format"}, "fail"),
    case("clip-still", still("clip.jpg", (1080, 1920), fmt="JPEG"), "clip", {"kind"}, "fail", as_="clip"),
]


def test_every_metadata_rule_has_a_failing_and_a_passing_file() -> None:
    for profile in ("canvas", "clip"):
        preset = resolve(profile)
        metadata_rules = {r.id for r in preset.rules if not r.deep}
        cases = [c for c in CASES if c.profile == profile]
        failed = set().union(*(c.rules for c in cases))
        assert metadata_rules <= failed, f"{profile}: no failing file for {metadata_rules - failed}"
        assert any(not c.rules for c in cases), f"{profile}: no passing file"
        # Nothing outside the profile (and the built-in kind rule) is ever reported.
        assert all(c.rules <= metadata_rules | {"kind"} for c in cases)


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_rule_matrix(media: MediaFactory, c: Case) -> None:
    path = c.make(media)
    before = path.read_bytes()
    code, doc = run_json(*(["--as", c.as_] if c.as_ else []), path)
    (report,) = doc["files"]
    assert report["path"] == str(path)
    assert report["profile"] == c.preset
    assert {f["rule"] for f in report["findings"]} == c.rules, report["findings"]
    assert report["verdict"] == c.verdict
    assert code == (ExitCode.FAILED if c.verdict == "fail" else ExitCode.OK)
    preset = resolve(c.preset)
    for f in report["findings"]:
        rule = preset.rule(f["rule"])
        assert f["severity"] == (rule.severity if rule else "error")
        assert f["observed"] and f["expected"] and f["message"] and f["hint"]
        if rule:
            assert f["source"] == rule.source
    assert path.read_bytes() == before


# --- what the report says -----------------------------------------------------------------------------------


def test_json_is_one_document_with_the_documented_fields(media: MediaFactory) -> None:
    good, phone = canvas_base(media), rotated("phone.mp4", canvas("1920x1080.mp4", size="1920x1080"))(media)
    bad = canvas("2.9s.mp4", seconds=2.9)(media)
    result = CliRunner().invoke(cli, ["validate", "--json", str(good), str(bad), str(phone)])
    doc = json.loads(result.stdout)  # the whole of stdout is one JSON document
    assert result.exit_code == 1
    assert doc["schema_version"] == 1 and doc["strict"] is False
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", doc["mediakit_version"])
    assert doc["summary"] == {"pass": 2, "warn": 0, "fail": 1}
    assert [f["path"] for f in doc["files"]] == [str(good), str(bad), str(phone)]
    for f in doc["files"]:
        assert set(f) == {"path", "profile", "profile_reason", "verdict", "findings", "media"}
    (finding,) = doc["files"][1]["findings"]
    assert set(finding) == {"rule", "severity", "observed", "expected", "message", "hint", "source", "fix"}
    assert (finding["rule"], finding["observed"], finding["expected"]) == (
        "duration",
        "2.9 s",
        "≥ 3 s and ≤ 8 s",
    )
    m = doc["files"][2]["media"]
    assert (m["kind"], m["container"], m["width"], m["height"], m["rotation"]) == (
        "video",
        "mp4",
        1080,
        1920,
        90,
    )
    assert (m["video_codec"], m["pix_fmt"], m["fps"], m["constant_rate"], m["hdr"], m["audio_streams"]) == (
        "h264",
        "yuv420p",
        30.0,
        True,
        None,
        0,
    )
    assert m["duration"] == 3.5 and m["size_bytes"] == phone.stat().st_size


def test_media_summary_reports_hdr(media: MediaFactory) -> None:
    _, doc = run_json(
        canvas("pq.mp4", codec="libx265", pix_fmt="yuv420p10le", vf=PQ, extra=X265)(media),
        canvas("hlg.mp4", pix_fmt="yuv420p10le", vf=HLG)(media),
    )
    assert [f["media"]["hdr"] for f in doc["files"]] == ["PQ", "HLG"]
    assert [f["media"]["pix_fmt"] for f in doc["files"]] == ["yuv420p10le", "yuv420p10le"]


def test_profile_is_chosen_per_file_and_explained(media: MediaFactory) -> None:
    jpeg = still("canvas.jpg", (720, 1280), fmt="JPEG")(media)
    _, doc = run_json(canvas_base(media), clip_base(media), jpeg)
    got = [(f["profile"], f["profile_reason"]) for f in doc["files"]]
    assert got == [
        ("spotify-canvas", "chosen for a video without an audio stream (--as names another preset)"),
        ("spotify-clip", "chosen for a video with an audio stream (--as names another preset)"),
        ("spotify-canvas", "chosen for a still image (--as names another preset)"),
    ]
    _, doc = run_json("--as", "spotify-clip", canvas_base(media))
    assert (doc["files"][0]["profile"], doc["files"][0]["profile_reason"]) == (
        "spotify-clip",
        "chosen with --as",
    )
    assert {f["rule"] for f in doc["files"][0]["findings"]} == {"audio", "size-recommended"}


def test_every_violation_is_reported_at_once(media: MediaFactory) -> None:
    path = media.video(
        "va-everything.mkv",
        size="640x360",
        seconds=2,
        fps="60",
        audio=True,
        codec="libx265",
        extra=X265,
        **COLOR,
    )
    code, doc = run_json("--as", "canvas", path)
    rules = {f["rule"] for f in doc["files"][0]["findings"]}
    assert rules == {"duration", "aspect", "height-min", "format", "video-codec", "audio", "frame-rate"}
    assert code == 1


def test_human_output_names_file_rule_and_fix(
    media: MediaFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = canvas("2.9s.mp4", seconds=2.9)(media)
    code, out, err = exit_code(["validate", str(canvas_base(media)), str(bad)], capsys)
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("✓ pass") and str(canvas_base(media)) in lines[0]
    assert lines[1].startswith("✗ fail") and str(bad) in lines[1] and "spotify-canvas" in lines[1]
    assert re.search(r"error\s+duration\s+2\.9 s is shorter than 3 s → .*--duration 4", lines[2])
    assert lines[-1] == "2 file(s): 1 pass, 0 warn, 1 fail"
    assert err == ""


# --- exit codes ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "strict", "verdict", "code"),
    [
        (canvas_base, False, "pass", 0),
        (canvas("724x1280.mp4", size="724x1280"), False, "warn", 0),
        (canvas("724x1280.mp4", size="724x1280"), True, "fail", 1),
        (canvas("2.9s.mp4", seconds=2.9), False, "fail", 1),
        (lambda m: m.raw("va-garbage.mp4", b"\x00garbage" * 100), False, "fail", 1),
    ],
    ids=["pass", "warn", "warn-strict", "fail", "unreadable"],
)
def test_exit_codes(
    media: MediaFactory,
    capsys: pytest.CaptureFixture[str],
    make: Callable[[MediaFactory], Path],
    strict: bool,
    verdict: str,
    code: int,
) -> None:
    argv = ["validate", "--json", str(make(media))] + (["--strict"] if strict else [])
    got, out, _ = exit_code(argv, capsys)
    assert got == code
    doc = json.loads(out)
    assert doc["strict"] is strict
    assert doc["files"][0]["verdict"] == verdict


def test_strict_turns_warnings_into_failures_in_json(media: MediaFactory) -> None:
    warn = canvas("1440x2560.mp4", size="1440x2560", seconds=3)(media)
    assert run_json(warn)[0] == 0
    code, doc = run_json("--strict", warn)
    assert code == 1
    assert doc["summary"] == {"pass": 0, "warn": 0, "fail": 1}
    assert doc["files"][0]["verdict"] == "fail"
    assert doc["files"][0]["findings"][0]["severity"] == "warning"


@pytest.mark.parametrize(
    "argv",
    [
        ["validate"],
        ["validate", "--bogus", "x.mp4"],
        ["validate", "--as", "vine", "x.mp4"],
        ["validate", "--as", "missing.toml", "x.mp4"],
        ["presets", "show", "vine"],
        ["nonsense"],
    ],
    ids=[
        "no-paths",
        "bad-option",
        "unknown-preset",
        "missing-preset-file",
        "show-unknown",
        "unknown-command",
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = exit_code(argv, capsys)
    assert code == ExitCode.USAGE
    assert out == "" and err
    assert "Traceback" not in err


def test_malformed_preset_file_exits_2_naming_file_and_key(
    tmp_path: Path, media: MediaFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "mine.toml"
    bad.write_text(_readme_example().replace("max = 60", "max = 60\nmaxx = 1"), encoding="utf-8")
    code, out, err = exit_code(["validate", "--as", str(bad), str(canvas_base(media))], capsys)
    assert code == ExitCode.USAGE and out == ""
    assert f"{bad}: unknown key rule[0].maxx" in err


def test_empty_directory_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("no media here")
    code, _, err = exit_code(["validate", str(tmp_path)], capsys)
    assert code == ExitCode.USAGE and "no media files" in err


# --- directories --------------------------------------------------------------------------------------------


def test_directories_are_walked(tmp_path: Path, media: MediaFactory) -> None:
    (tmp_path / "a" / "deep").mkdir(parents=True)
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "z.mp4").write_bytes(canvas_base(media).read_bytes())
    (tmp_path / "a" / "deep" / "clip.MP4").write_bytes(clip_base(media).read_bytes())
    (tmp_path / "a" / "still.jpg").write_bytes(
        still("canvas.jpg", (720, 1280), fmt="JPEG")(media).read_bytes()
    )
    (tmp_path / "a" / "broken.mov").write_bytes(b"not a movie")
    (tmp_path / "a" / "notes.txt").write_text("skipped: not a media name")
    (tmp_path / ".hidden" / "x.mp4").write_bytes(b"skipped: hidden")
    (tmp_path / "a" / ".x.mp4").write_bytes(b"skipped: hidden")
    extra = canvas("2.9s.mp4", seconds=2.9)(media)
    code, doc = run_json(tmp_path, extra)
    paths = [f["path"] for f in doc["files"]]
    # Top-down: each folder's files (sorted) before its subfolders; then the next argument.
    walked = ["z.mp4", "a/broken.mov", "a/still.jpg", "a/deep/clip.MP4"]
    assert paths == [str(tmp_path / p) for p in walked] + [str(extra)]
    assert [f["verdict"] for f in doc["files"]] == ["pass", "fail", "pass", "pass", "fail"]
    assert doc["files"][1]["profile"] is None and doc["files"][1]["findings"][0]["rule"] == "readable"
    assert doc["files"][3]["profile"] == "spotify-clip"
    assert code == 1


# --- presets ------------------------------------------------------------------------------------------------


def _readme_example() -> str:
    text = (presets_dir() / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- example: minimal -->\s*```toml\n(.*?)```", text, re.S)
    assert match
    return match.group(1)


def test_validate_with_a_users_own_profile(tmp_path: Path, media: MediaFactory) -> None:
    mine = tmp_path / "my-profile.toml"
    mine.write_text(_readme_example(), encoding="utf-8")
    long_clip = clip("clip-29.5s.mp4", seconds=29.5, fps="2")(media)
    code, doc = run_json("--as", mine, long_clip, clip_base(media), canvas_base(media))
    got = [
        (f["profile"], f["profile_reason"], f["verdict"], [x["rule"] for x in f["findings"]])
        for f in doc["files"]
    ]
    assert got == [
        ("my-vertical", "chosen with --as", "pass", []),
        ("my-vertical", "chosen with --as", "fail", ["duration"]),  # 4 s, the profile wants 5-60 s
        ("my-vertical", "chosen with --as", "fail", ["duration", "has-audio"]),
    ]
    assert doc["files"][2]["findings"][1]["severity"] == "warning"
    assert doc["files"][2]["findings"][1]["source"] == "our delivery spec, v2"
    assert code == 1


def test_presets_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = exit_code(["presets", "list", "--json"], capsys)
    assert code == 0
    listed = json.loads(out)
    assert [(p["name"], p["aliases"], p["kind"], p["width"], p["height"], p["audio"]) for p in listed] == [
        ("apple-motion-square", ["apple-square"], "canvas", 3840, 3840, "forbidden"),
        ("apple-motion-tall", ["apple-tall"], "canvas", 2048, 2732, "forbidden"),
        ("instagram-reels", ["reels"], "clip", 1080, 1920, "required"),
        ("spotify-canvas", ["canvas"], "canvas", 1080, 1920, "forbidden"),
        ("spotify-clip", ["clip"], "clip", 1080, 1920, "required"),
        ("tiktok", [], "clip", 1080, 1920, "required"),
        ("youtube-shorts", ["shorts"], "clip", 1080, 1920, "required"),
    ]
    by_name = {p["name"]: p for p in listed}
    assert by_name["spotify-clip"]["duration"] == {
        "min": 3.0,
        "max": 30.0,
        "min_inclusive": False,
        "max_inclusive": False,
    }
    assert by_name["tiktok"]["duration"]["max"] == 600.0 and by_name["tiktok"]["duration"]["min"] == 0.0
    assert all(p["rules"] == len(resolve(p["name"]).rules) and p["title"] for p in listed)
    result = CliRunner().invoke(cli, ["presets", "list"])
    assert result.exit_code == 0
    # Every name and alias is shown whole (a user types them), on a 80-column console too.
    rows = result.stdout.splitlines()
    for p in listed:
        (row,) = [r for r in rows if r.startswith(p["name"] + " ")]
        assert all(alias in row.split() for alias in p["aliases"]) and p["kind"] in row.split()
        assert f"{p['width']}x{p['height']}" in row
    assert "3 < d < 30 s" in result.stdout and "≤ 180 s" in result.stdout and "8-20 s" in result.stdout


@pytest.mark.parametrize(
    "name", ["canvas", "spotify-clip", "apple-tall", "reels", "tiktok", "youtube-shorts"]
)
def test_presets_show(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    preset = resolve(name)
    code, out, _ = exit_code(["presets", "show", name, "--json"], capsys)
    assert code == 0
    doc = json.loads(out)
    assert doc["name"] == preset.name
    assert (doc["aliases"], doc["chosen_for"]) == (list(preset.aliases), list(preset.chosen_for))
    assert doc["render"]["fits"] == list(preset.render.fits)
    assert [r["id"] for r in doc["rules"]] == [r.id for r in preset.rules]
    assert all(r["source"] and "params" in r for r in doc["rules"])
    result = CliRunner().invoke(cli, ["presets", "show", name])
    assert result.exit_code == 0
    assert preset.title in result.stdout
    for rule in preset.rules:
        assert rule.id in result.stdout
    assert "(deep)" in result.stdout
    if preset.aliases:
        assert f"aliases: {preset.aliases[0]}" in result.stdout
    if preset.render.fits:
        assert "fit: crop" in result.stdout


def test_presets_show_a_users_file(tmp_path: Path) -> None:
    mine = tmp_path / "my-profile.toml"
    mine.write_text(_readme_example(), encoding="utf-8")
    result = CliRunner().invoke(cli, ["presets", "show", str(mine), "--json"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert (doc["name"], doc["path"]) == ("my-vertical", str(mine))
    assert doc["rules"][0]["params"] == {"min": 5.0, "max": 60.0}


def test_two_frame_rates_concatenated_are_flagged_variable(media: MediaFactory) -> None:
    out = media.root / "va-two-rates.mp4"
    if not out.exists():
        ffmpeg(
            "-f",
            "lavfi",
            "-i",
            "color=s=720x1280:r=30:d=2",
            "-f",
            "lavfi",
            "-i",
            "color=s=720x1280:r=24:d=2",
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
    _, doc = run_json(out)
    (finding,) = doc["files"][0]["findings"]
    assert finding["rule"] == "frame-rate" and finding["observed"].startswith("variable")
    assert doc["files"][0]["media"]["constant_rate"] is False


# --- one file never hides the others; messages in one format ---------------------------------------------


def test_an_unexpected_error_in_one_file_is_that_files_finding(
    tmp_path: Path, media: MediaFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever a file makes the probe do (a multi-page TIFF once raised ZeroDivisionError in a rule), the
    folder's other files are still checked and reported. The failure is forced here (error path only)."""
    import mediakit.validate as validate_module

    good = tmp_path / "good.mp4"
    good.write_bytes(canvas_base(media).read_bytes())
    odd = tmp_path / "odd.tif"
    Image.new("RGB", (10, 15)).save(odd)
    real_probe = validate_module.probe

    def probe_with_a_bug(path: object, **kwargs: object) -> object:
        if str(path).endswith("odd.tif"):
            raise ZeroDivisionError("Fraction(0, 0)")
        return real_probe(path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(validate_module, "probe", probe_with_a_bug)
    code, doc = run_json(tmp_path)
    assert code == ExitCode.FAILED
    reports = {Path(r["path"]).name: r for r in doc["files"]}
    assert set(reports) == {"good.mp4", "odd.tif"}
    (finding,) = reports["odd.tif"]["findings"]
    assert finding["rule"] == "internal" and "ZeroDivisionError" in finding["message"]
    assert "report this as a bug" in finding["hint"]
    assert reports["good.mp4"]["profile"] == "spotify-canvas" and "media" in reports["good.mp4"]


def test_a_multipage_tiff_and_an_animated_gif_do_not_cost_a_folder_its_report(tmp_path: Path) -> None:
    Image.new("RGB", (1080, 1920), "red").save(tmp_path / "a.png")
    pages = [Image.new("RGB", (1080, 1920), c) for c in ("red", "blue")]
    pages[0].save(tmp_path / "b.tif", save_all=True, append_images=pages[1:])
    frames = [Image.new("RGB", (14, 25), c) for c in ("red", "green", "blue")]
    frames[0].save(tmp_path / "c.gif", save_all=True, append_images=frames[1:], duration=100)
    code, doc = run_json(tmp_path)
    assert code == ExitCode.FAILED
    reports = {Path(r["path"]).name: r for r in doc["files"]}
    assert reports["a.png"]["media"]["width"] == 1080
    assert reports["b.tif"]["media"]["width"] == 1080  # its first page
    (gif,) = reports["c.gif"]["findings"]
    assert gif["rule"] == "readable" and "animated GIF (3 frames)" in gif["message"]


def test_1080x1918_is_not_exactly_9_16(tmp_path: Path) -> None:
    # SPECS.md: "error if off by > 1 %, warning if not exact"; 1080x1918 is 0.1 % off.
    still = tmp_path / "almost.jpg"
    Image.new("RGB", (1080, 1918), "gray").save(still)
    code, doc = run_json(still)
    (report,) = doc["files"]
    assert {f["rule"] for f in report["findings"]} == {"aspect-exact"}
    assert report["verdict"] == "warn" and code == ExitCode.OK


@pytest.mark.parametrize(
    ("argv", "says", "hint"),
    [
        (["--bogus"], "mediakit: error: no such option '--bogus'", "see 'mediakit --help'"),
        (["validate"], "mediakit: error: missing argument 'PATHS...'", "see 'mediakit validate --help'"),
        (
            ["canvas", "x.png", "--fit", "weird"],
            "mediakit: error: invalid value for '--fit'",
            "canvas --help",
        ),
        (["nosuch"], "mediakit: error: no such command 'nosuch'", "see 'mediakit --help'"),
    ],
)
def test_usage_errors_print_in_the_one_format(
    argv: list[str], says: str, hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = exit_code(argv, capsys)
    assert code == ExitCode.USAGE and out == ""
    first, second = err.splitlines()
    assert first.startswith(says) and second.startswith("  hint: ") and hint in second
    assert "Usage:" not in err and "Error:" not in err


def test_help_still_works(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = exit_code(["validate", "--help"], capsys)
    assert code == ExitCode.OK and "Usage: mediakit validate" in out


def test_a_file_name_with_a_newline_stays_on_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = tmp_path / "two\nlines\x1b[31m.jpg"
    code, _, err = exit_code(["canvas", str(name), "--dry-run"], capsys)
    assert code == ExitCode.FAILED
    first, second = err.splitlines()
    assert first.endswith("two\\nlines\\x1b[31m.jpg: no such file") and second.startswith("  hint:")
    Image.new("RGB", (1080, 1920)).save(name)
    code, out, _ = exit_code(["validate", str(name)], capsys)
    assert code == ExitCode.OK and "two\\nlines\\x1b[31m.jpg" in out and "\x1b" not in out


@pytest.mark.parametrize(
    ("argv", "fitting"),
    [
        (["canvas", "{still}", "-o", "{out}/cover.gif", "--dry-run"], "-o {out}/cover.mp4"),
        (
            ["canvas", "{still}", "--format", "jpg", "-o", "{out}/cover.mp4", "--dry-run"],
            "-o {out}/cover.jpg",
        ),
        (["clip", "{still}", "--audio", "{audio}", "-o", "{out}/clip.mov", "--dry-run"], "-o {out}/clip.mp4"),
        (["preview", "{still}", "-o", "{out}/sheet.jpg"], "-o {out}/sheet.png"),
    ],
)
def test_the_output_extension_must_match_the_format_written(
    argv: list[str], fitting: str, tmp_path: Path, media: MediaFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    still = tmp_path / "cover.png"
    Image.new("RGB", (1080, 1920), "red").save(still)
    args = [a.format(still=still, out=tmp_path, audio=clip_base(media)) for a in argv]
    code, _, err = exit_code(args, capsys)
    assert code == ExitCode.USAGE, err
    first, second = err.splitlines()
    # the fitting name keeps the folder the user gave
    assert "but the file written is" in first and fitting.format(out=tmp_path) in second
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cover.png"]  # nothing written


def test_a_tracker_module_as_audio_gets_an_audio_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    still = tmp_path / "cover.png"
    Image.new("RGB", (1080, 1920), "red").save(still)
    module = tmp_path / "song.xm"
    module.write_bytes(b"Extended Module: song" + bytes(400))  # an XM header: FastTracker 2's format
    code, _, err = exit_code(["clip", str(still), "--audio", str(module), "--dry-run"], capsys)
    assert code == ExitCode.FAILED
    assert "tracker module (.xm)" in err and "WAV" in err and "MP4, MOV" not in err
    noise = tmp_path / "noise.bin"
    noise.write_bytes(bytes(range(256)) * 8)
    code, _, err = exit_code(["clip", str(still), "--audio", str(noise), "--dry-run"], capsys)
    assert code == ExitCode.FAILED and "--audio takes WAV, FLAC" in err


def test_a_batch_manifest_output_must_fit_its_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Image.new("RGB", (1080, 1920), "red").save(tmp_path / "cover.png")
    manifest = tmp_path / "jobs.toml"
    manifest.write_text(
        'out = "renders"\n[[job]]\ninput = "cover.png"\noutput = "renders/cover.gif"\n'
        '[[job]]\ninput = "cover.png"\nformat = "jpg"\noutput = "renders/still.jpg"\n'
    )
    code, _, err = exit_code(["batch", str(manifest)], capsys)
    assert code == ExitCode.USAGE
    wrong = "renders/cover.gif ends in .gif, but the file written is an MP4 video"
    assert f"{wrong} (name it renders/cover.mp4)" in err
    assert "still.jpg" not in err  # a JPEG canvas named .jpg is right
    assert not (tmp_path / "renders").exists() or not any((tmp_path / "renders").iterdir())


@pytest.mark.parametrize(
    ("argv", "says", "hint"),
    [
        (["canvas", "{still}", "--crossfade", "0", "--dry-run"], "--crossfade 0 must be more than 0 s", "1"),
        (["canvas", "{still}", "--start", "-1", "--dry-run"], "--start -1 is negative", "0 (the default)"),
        (["canvas", "{still}", "--start", "0", "--dry-run"], None, None),
        (
            ["clip", "{still}", "--captions", "{vtt}", "--text", "hi", "--dry-run"],
            "--captions and --text cannot be used together",
            "--captions FILE",
        ),
        (["validate", "--as", "{toml}", "{still}"], "notes.toml: not valid TOML", "fix the line"),
        (
            ["validate", "--as", "{bad_kind}", "{still}"],
            "kind: expected a render kind's name",
            "presets show",
        ),
    ],
)
def test_every_refusal_has_a_hint_line(
    argv: list[str], says: str | None, hint: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    still = tmp_path / "s.png"
    Image.new("RGB", (1080, 1920), "gray").save(still)
    (tmp_path / "x.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:01.000\nhi\n")
    (tmp_path / "notes.toml").write_text("hello = \n")
    (tmp_path / "kind.toml").write_text('schema = 1\nkind = "Poster Art"\n')
    files = {"still": still, "vtt": tmp_path / "x.vtt", "toml": tmp_path / "notes.toml"}
    files["bad_kind"] = tmp_path / "kind.toml"
    code, out, err = exit_code([a.format(**files) for a in argv], capsys)
    if says is None:  # --start 0 is the default and must stay accepted
        assert code == ExitCode.OK, err
        return
    assert code == ExitCode.USAGE and out == ""
    first, second = err.splitlines()
    assert first.startswith(f"mediakit: error: {says}") or says in first, first
    assert second.startswith("  hint: ") and hint in second


@pytest.mark.parametrize(
    ("argv", "missing"),
    [
        (["clip", "{footage}", "--text", "hi", "--font", "{gone}", "--dry-run"], "gone.ttf"),
        (["clip", "{footage}", "--audio", "{gone}", "--dry-run"], "gone.ttf"),
        (["clip", "{footage}", "--captions", "{gone}", "--dry-run"], "gone.ttf"),
        (["canvas", "{gone}", "--dry-run"], "gone.ttf"),
        (["batch", "{gone}", "-o", "{out}"], "gone.ttf"),
    ],
)
def test_a_missing_input_file_is_exit_1_in_one_wording(
    argv: list[str], missing: str, media: MediaFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    footage = media.video("va-sound.mp4", size="720x1280", seconds=4, audio=True)
    files = {"footage": footage, "gone": tmp_path / missing}
    files["out"] = tmp_path / "out"
    code, out, err = exit_code([a.format(**files) for a in argv], capsys)
    first, second = err.splitlines()
    assert code == ExitCode.FAILED and out == ""
    assert first.startswith("mediakit: error: ") and first.endswith(f"{tmp_path / missing}: no such file")
    assert second == "  hint: check the path"
