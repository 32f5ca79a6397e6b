"""Rule logic of `mediakit.validate` on synthetic MediaInfo objects: boundaries, suppression, verdicts."""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mediakit.preset import Preset, builtin_names, load, resolve
from mediakit.probe import AudioInfo, MediaInfo, StillInfo, VideoInfo, container_name
from mediakit.validate import FileReport, Finding, check, choose_profile, known_checks

CANVAS = resolve("canvas")
CLIP = resolve("clip")


def video(width: int = 1080, height: int = 1920, **overrides: object) -> VideoInfo:
    fields: dict[str, object] = dict(
        index=0,
        codec="h264",
        profile="High",
        pix_fmt="yuv420p",
        bit_depth=8,
        chroma="4:2:0",
        coded_width=width,
        coded_height=height,
        sar=Fraction(1),
        rotation=0,
        display_width=width,
        display_height=height,
        avg_rate=Fraction(30),
        real_rate=Fraction(30),
        constant_rate=True,
        frames=150,
        declared_frames=150,
        duration=Fraction(5),
        color_primaries="bt709",
        color_transfer="bt709",
        color_space="bt709",
        color_range="tv",
        interlaced=False,
    )
    fields.update(overrides)
    return VideoInfo(**fields)  # type: ignore[arg-type]


AAC = AudioInfo(index=1, codec="aac", channels=2, sample_rate=48000, layout="stereo", duration=Fraction(5))


def media(
    duration: Fraction | float | None = Fraction(5),
    *,
    container: str = "mp4",
    audio: bool = False,
    size_bytes: int = 1_000_000,
    **video_overrides: object,
) -> MediaInfo:
    return MediaInfo(
        path=Path("/tmp/x.mp4"),
        size_bytes=size_bytes,
        kind="video",
        container=container,
        demuxer="mov,mp4",
        duration=None if duration is None else Fraction(duration),
        video=(video(**video_overrides),),
        audio=(AAC,) if audio else (),
    )


def still(width: int, height: int, fmt: str = "JPEG", size_bytes: int = 500_000) -> MediaInfo:
    info = StillInfo(
        format=fmt,
        width=width,
        height=height,
        orientation=1,
        mode="RGB",
        bit_depth=8,
        has_alpha=False,
        frames=1,
    )
    return MediaInfo(
        path=Path("/tmp/x.jpg"),
        size_bytes=size_bytes,
        kind="image",
        container=fmt.lower(),
        demuxer=fmt.lower(),
        duration=None,
        still=info,
    )


def rule_ids(info: MediaInfo, preset: Preset) -> set[str]:
    return {f.rule for f in check(info, preset)}


# --- the bundled profiles on known-good input ---------------------------------------------------------------


def test_a_spec_canvas_and_clip_break_no_rule() -> None:
    assert check(media(), CANVAS) == ()
    assert check(media(audio=True), CLIP) == ()
    assert check(still(1080, 1920), CANVAS) == ()


def test_every_check_kind_in_the_presets_has_an_implementation() -> None:
    for preset in (resolve(name) for name in builtin_names()):
        for rule in preset.rules:
            assert rule.deep or rule.check in known_checks(), rule.id


def test_deep_rules_are_not_run_by_the_metadata_check() -> None:
    # A file that would trip every deep rule (it cannot, it has no frames here) reports none of them.
    deep_ids = {r.id for p in (CANVAS, CLIP) for r in p.rules if r.deep}
    assert deep_ids >= {"flashing", "rapid-cuts", "loop-seam", "audio-silent", "loudness", "blur"}
    found = rule_ids(media(Fraction(20), width=500, height=500, audio=True), CANVAS)
    found |= rule_ids(media(Fraction(40), width=500, height=500), CLIP)
    assert not found & deep_ids


# --- duration: canvas is closed [3, 8], clip is open (3, 30) ------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "fails"),
    [
        (Fraction(2999, 1000), True),
        (3, False),
        (Fraction(3001, 1000), False),
        (8, False),
        (Fraction(8001, 1000), True),
        (Fraction(201, 25), True),
    ],
)
def test_canvas_duration_is_a_closed_interval(seconds: Fraction, fails: bool) -> None:
    assert ("duration" in rule_ids(media(seconds), CANVAS)) is fails


@pytest.mark.parametrize(
    ("seconds", "fails"),
    [
        (3, True),
        (Fraction(3001, 1000), False),
        (Fraction(29999, 1000), False),
        (30, True),
        (2, True),
        (31, True),
    ],
)
def test_clip_duration_is_an_open_interval(seconds: Fraction, fails: bool) -> None:
    assert ("duration" in rule_ids(media(seconds, audio=True), CLIP)) is fails


def test_duration_finding_says_what_was_seen_expected_and_how_to_fix() -> None:
    (f,) = check(media(Fraction(84, 10)), CANVAS)
    assert (f.rule, f.severity, f.observed, f.expected) == ("duration", "error", "8.4 s", "≥ 3 s and ≤ 8 s")
    assert "--duration 7" in f.hint
    assert f.source.startswith("https://support.spotify.com/")
    (f,) = check(media(3, audio=True), CLIP)
    assert f.expected == "> 3 s and < 30 s"
    assert "shorter" in f.message


@settings(max_examples=300, deadline=None)
@given(st.fractions(min_value=0, max_value=60, max_denominator=10_000))
def test_duration_rules_match_the_spec_for_any_length(seconds: Fraction) -> None:
    assert ("duration" in rule_ids(media(seconds), CANVAS)) is not (3 <= seconds <= 8)
    assert ("duration" in rule_ids(media(seconds, audio=True), CLIP)) is not (3 < seconds < 30)


def test_a_still_has_no_duration_to_check() -> None:
    assert "duration" not in rule_ids(still(1080, 1920), CANVAS)


# --- aspect, size, orientation ------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=16, max_value=8192), st.integers(min_value=16, max_value=8192))
def test_aspect_rules_match_their_tolerances_for_any_size(width: int, height: int) -> None:
    off = abs(Fraction(width, height) / Fraction(9, 16) - 1)
    # SPECS.md: an error when off by more than 1 %, a warning when not exact. Exact is to the nearest whole
    # pixel: the width within half a pixel of height * 9/16, i.e. |16 w - 9 h| <= 8.
    exact = abs(16 * width - 9 * height) <= 8
    found = rule_ids(media(width=width, height=height), CANVAS)
    assert ("aspect" in found) is (off > Fraction(1, 100) and not exact)
    # The stricter warning is only reported when the 1 % error is not (it would repeat the problem).
    assert ("aspect-exact" in found) is (off <= Fraction(1, 100) and not exact)
    assert ("aspect" in rule_ids(media(width=width, height=height, audio=True), CLIP)) is (
        off > Fraction(1, 100) and not exact
    )


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [
        (1080, 1920, set()),
        (720, 1280, set()),
        (563, 1000, set()),  # 562.5 wide is not a whole pixel: 563 is as near as pixels allow
        (1080, 1918, {"aspect-exact"}),  # 0.1 % off: the "not exact" warning SPECS.md promises
        (1080, 1922, {"aspect-exact"}),
        (1081, 1920, {"aspect-exact"}),
        (1080, 1900, {"aspect"}),  # 1.05 % off
    ],
)
def test_aspect_exact_is_to_the_nearest_pixel(width: int, height: int, expected: set[str]) -> None:
    assert rule_ids(media(width=width, height=height), CANVAS) & {"aspect", "aspect-exact"} == expected


def test_aspect_uses_the_display_size_not_the_coded_size() -> None:
    # Phone footage: coded 1920x1080, shown 1080x1920 after its rotation matrix.
    rotated = media(coded_width=1920, coded_height=1080, rotation=90, width=1080, height=1920)
    assert check(rotated, CANVAS) == ()
    sideways = media(coded_width=1080, coded_height=1920, rotation=90, width=1920, height=1080)
    assert rule_ids(sideways, CANVAS) == {"aspect"}


@pytest.mark.parametrize(
    ("height", "expected"), [(719, {"height-min"}), (720, set()), (1920, set()), (1921, {"height-max"})]
)
def test_canvas_height_bounds(height: int, expected: set[str]) -> None:
    # A still, so only the height and aspect rules can apply; keep the picture 9:16 within rounding.
    assert rule_ids(still(round(height * 9 / 16), height), CANVAS) - {"aspect-exact"} == expected


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [
        (1080, 1920, set()),
        (1080, 1280, {"aspect"}),
        (720, 1280, {"size-recommended"}),
        (719, 1280, {"size-min"}),
        (720, 1279, {"size-min"}),
        (1920, 1080, {"orientation", "aspect", "size-min"}),
        (2560, 1440, {"orientation", "aspect"}),
        (1500, 1500, {"orientation", "aspect"}),
    ],
)
def test_clip_size_and_orientation(width: int, height: int, expected: set[str]) -> None:
    assert rule_ids(media(width=width, height=height, audio=True), CLIP) == expected


def test_orientation_names_the_shape() -> None:
    (f,) = [f for f in check(media(width=1500, height=1500, audio=True), CLIP) if f.rule == "orientation"]
    assert f.observed == "square 1500x1500"
    (f,) = [f for f in check(media(width=1920, height=1080, audio=True), CLIP) if f.rule == "orientation"]
    assert f.observed == "landscape 1920x1080"


# --- format, codec, audio, frame rate, file size ------------------------------------------------------------


@pytest.mark.parametrize(
    ("container", "canvas", "clip"),
    [
        ("mp4", set(), set()),
        ("mov", {"format"}, {"format-mp4"}),
        ("mkv", {"format"}, {"format"}),
        ("webm", {"format"}, {"format"}),
    ],
)
def test_container_rules(container: str, canvas: set[str], clip: set[str]) -> None:
    assert rule_ids(media(container=container), CANVAS) == canvas
    assert rule_ids(media(container=container, audio=True), CLIP) == clip


def test_mov_is_only_a_warning_for_a_clip() -> None:
    (f,) = check(media(container="mov", audio=True), CLIP)
    assert (f.rule, f.severity, f.observed) == ("format-mp4", "warning", "MOV")


def test_canvas_stills_must_be_jpeg() -> None:
    assert check(still(1080, 1920, "JPEG"), CANVAS) == ()
    assert rule_ids(still(1080, 1920, "PNG"), CANVAS) == {"format"}


def test_stills_and_audio_only_files_are_the_wrong_kind_for_a_clip() -> None:
    (f,) = check(still(1080, 1920), CLIP)
    assert (f.rule, f.severity, f.observed) == ("kind", "error", "image")
    audio_only = dataclasses.replace(media(audio=True), kind="audio", video=())
    (f,) = check(audio_only, CLIP)
    assert (f.rule, f.observed) == ("kind", "audio only")
    assert rule_ids(audio_only, CANVAS) == {"kind"}


@pytest.mark.parametrize(
    ("codec", "pix_fmt", "fails"),
    [
        ("h264", "yuv420p", False),
        ("hevc", "yuv420p", True),
        ("h264", "yuv420p10le", True),
        ("h264", "yuv444p", True),
        ("vp9", "yuv420p", True),
    ],
)
def test_video_codec_rule(codec: str, pix_fmt: str, fails: bool) -> None:
    expected = {"video-codec"} if fails else set()
    assert rule_ids(media(codec=codec, pix_fmt=pix_fmt), CANVAS) == expected
    assert rule_ids(media(codec=codec, pix_fmt=pix_fmt, audio=True), CLIP) == expected


def test_audio_rules_point_opposite_ways() -> None:
    (f,) = check(media(audio=True), CANVAS)
    assert (f.rule, f.severity) == ("audio", "warning")
    (f,) = check(media(), CLIP)
    assert (f.rule, f.severity, f.observed) == ("audio", "error", "no audio stream")


@pytest.mark.parametrize(
    ("rate", "constant", "fails"),
    [
        (Fraction(24), True, False),
        (Fraction(30), True, False),
        (Fraction(30000, 1001), True, False),
        (Fraction(23), True, True),
        (Fraction(60), True, True),
        (Fraction(25), False, True),
        (Fraction(25), None, False),
    ],
)
def test_canvas_frame_rate(rate: Fraction, constant: bool | None, fails: bool) -> None:
    info = media(avg_rate=rate, real_rate=rate, constant_rate=constant)
    assert rule_ids(info, CANVAS) == ({"frame-rate"} if fails else set())


def test_variable_frame_rate_is_named() -> None:
    (f,) = check(media(constant_rate=False), CANVAS)
    assert f.observed.startswith("variable")


@pytest.mark.parametrize(("size", "fails"), [(8_000_000, False), (8_000_001, True)])
def test_canvas_file_size(size: int, fails: bool) -> None:
    assert rule_ids(media(size_bytes=size), CANVAS) == ({"file-size"} if fails else set())
    assert rule_ids(still(1080, 1920, size_bytes=size), CANVAS) == ({"file-size"} if fails else set())


def test_every_violation_is_reported_with_a_fix() -> None:
    bad = media(
        Fraction(9),
        container="mkv",
        audio=True,
        codec="hevc",
        width=1920,
        height=1080,
        avg_rate=Fraction(60),
        size_bytes=9_000_000,
    )
    findings = check(bad, CANVAS)
    assert {f.rule for f in findings} == {
        "duration",
        "aspect",
        "format",
        "video-codec",
        "audio",
        "frame-rate",
        "file-size",
    }
    for f in findings:
        assert f.observed and f.expected and f.message and f.hint and f.source
        assert "\n" not in f.message + f.hint
    # Errors come before warnings.
    severities = [f.severity for f in findings]
    assert severities == sorted(severities, key=lambda s: s != "error")


def test_damage_is_reported_as_an_error_with_the_other_findings() -> None:
    damaged = dataclasses.replace(media(), damage=("only 38 of 120 video frames are present (truncated)",))
    (f,) = check(damaged, CANVAS)
    assert (f.rule, f.severity) == ("readable", "error")
    assert "38 of 120" in f.message


# --- verdicts and profile choice ----------------------------------------------------------------------------


def _finding(severity: str) -> Finding:
    return Finding("x", severity, "o", "e", "m", "h")


@pytest.mark.parametrize(
    ("severities", "normal", "strict"),
    [
        ((), "pass", "pass"),
        (("warning",), "warn", "fail"),
        (("error",), "fail", "fail"),
        (("warning", "error"), "fail", "fail"),
    ],
)
def test_verdicts(severities: tuple[str, ...], normal: str, strict: str) -> None:
    report = FileReport("x.mp4", "spotify-canvas", "", tuple(_finding(s) for s in severities))
    assert report.verdict() == normal
    assert report.verdict(strict=True) == strict
    assert report.as_dict(strict=True)["verdict"] == strict


def test_profile_is_chosen_from_the_file_and_says_why() -> None:
    name, reason = choose_profile(media())
    assert name == "spotify-canvas" and "without an audio stream" in reason
    name, reason = choose_profile(media(audio=True))
    assert name == "spotify-clip" and "audio stream" in reason
    name, reason = choose_profile(still(1080, 1920))
    assert name == "spotify-canvas" and "still" in reason


# --- user presets with partial parameters -------------------------------------------------------------------


def _preset(tmp_path: Path, rule: str) -> Preset:
    path = tmp_path / "mine.toml"
    path.write_text(
        'schema = 1\nname = "mine"\nkind = "canvas"\ntitle = "Mine"\naccepts = ["video"]\n'
        '[render]\nwidth = 720\nheight = 1280\nfps = 30\nduration = 5.0\ncrf = 20\nx264_preset = "fast"\n'
        f'audio = false\n\n[[rule]]\nsource = "me"\nseverity = "error"\n{rule}\n',
        encoding="utf-8",
    )
    return load(path)


@pytest.mark.parametrize(
    ("rule", "info", "expected"),
    [
        ('id = "long"\ncheck = "duration"\nmax = 10.0', media(Fraction(12)), "≤ 10 s"),
        ('id = "short"\ncheck = "duration"\nmin = 2.0\nmin_inclusive = false', media(Fraction(2)), "> 2 s"),
        (
            'id = "cfr"\ncheck = "frame-rate"\nconstant = true',
            media(constant_rate=False),
            "any rate, constant",
        ),
        ('id = "slow"\ncheck = "frame-rate"\nmax = 25.0', media(), "≤ 25 fps"),
        ('id = "fast"\ncheck = "frame-rate"\nmin = 50.0', media(), "≥ 50 fps"),
    ],
)
def test_rules_with_one_bound_report_without_crashing(
    tmp_path: Path, rule: str, info: MediaInfo, expected: str
) -> None:
    (f,) = check(info, _preset(tmp_path, rule))
    assert f.expected == expected


# --- container names from untrusted headers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("demuxer", "head", "name"),
    [
        ("mov,mp4,m4a,3gp,3g2,mj2", b"\0\0\0\x20ftypisom\0\0\2\0", "mp4"),
        ("mov,mp4,m4a,3gp,3g2,mj2", b"\0\0\0\x14ftypqt  \0\0\2\0", "mov"),
        ("mov,mp4,m4a,3gp,3g2,mj2", b"\0\0\0\x14ftyp3gp4\0\0\2\0", "3gp"),
        ("mov,mp4,m4a,3gp,3g2,mj2", b"\0\0\0\x14ftypM4A \0\0\2\0", "m4a"),
        ("mov,mp4,m4a,3gp,3g2,mj2", b"\0\0\0\x08wide", "mp4"),
        ("matroska,webm", b"\x1aE\xdf\xa3\x9fB\x86\x81\x01B\x82\x84webm", "webm"),
        ("matroska,webm", b"\x1aE\xdf\xa3\xa3B\x86\x81\x01B\x82\x88matroska", "mkv"),
        ("mpegts", b"G@", "mpegts"),
    ],
)
def test_container_name(demuxer: str, head: bytes, name: str) -> None:
    assert container_name(demuxer, head) == name


@settings(max_examples=500, deadline=None)
@given(
    st.sampled_from(["mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", "avi", "mpegts", ""]), st.binary(max_size=64)
)
def test_container_name_never_crashes_on_random_headers(demuxer: str, head: bytes) -> None:
    name = container_name(demuxer, head)
    assert isinstance(name, str)
    if demuxer.startswith("mov,"):
        assert name in {"mp4", "mov", "3gp", "m4a"}
    elif demuxer.startswith("matroska"):
        assert name in {"mkv", "webm"}


# --- every bundled preset: a file made to its figures passes, one off them fails; fixes and hints -----------

APPLE_TALL = resolve("apple-tall")
APPLE_SQUARE = resolve("apple-square")
SOCIAL = [resolve(n) for n in ("reels", "tiktok", "shorts")]


@pytest.mark.parametrize("preset", [APPLE_TALL, APPLE_SQUARE])
def test_apple_motion_figures(preset: Preset) -> None:
    w, h = preset.render.width, preset.render.height
    assert check(media(Fraction(10), width=w, height=h), preset) == ()
    assert check(media(Fraction(8), width=w, height=h, avg_rate=Fraction(24000, 1001)), preset) == ()
    assert check(media(Fraction(20), width=w, height=h, avg_rate=Fraction(25)), preset) == ()
    # Each figure of the guide broken alone, with the rule it must raise (and its severity).
    cases = [
        (media(Fraction(7.9), width=w, height=h), "duration", "error"),
        (media(Fraction(21), width=w, height=h), "duration", "error"),
        (media(Fraction(10), width=w, height=h, audio=True), "audio", "error"),
        (media(Fraction(10), width=w // 2, height=h // 2), "size-min", "error"),
        (media(Fraction(10), width=w + 4, height=h + 4), "size-exact", "warning"),
        (media(Fraction(10), width=w, height=w * 16 // 9), "aspect", "error"),  # and not exactly the size
        (media(Fraction(10), width=w, height=h, avg_rate=Fraction(60)), "frame-rate", "error"),
        (media(Fraction(10), width=w, height=h, avg_rate=Fraction(15)), "frame-rate", "error"),
        (media(Fraction(10), width=w, height=h, size_bytes=400_000_001), "file-size", "error"),
        (media(Fraction(10), width=w, height=h, codec="vp9"), "video-codec", "error"),
        (
            media(Fraction(10), width=w, height=h, codec="prores", pix_fmt="yuva444p10le"),
            "video-codec-h264",
            "warning",
        ),
        (media(Fraction(10), width=w, height=h, container="webm"), "format", "error"),
        (media(Fraction(10), width=w, height=h, color_primaries="bt2020"), "color", "error"),
        (media(Fraction(10), width=w, height=h, color_transfer="smpte2084"), "color", "error"),
        (media(Fraction(10), width=w, height=h, color_primaries=None), "color-tagged", "warning"),
    ]
    for info, rule, severity in cases:
        found = {f.rule: f.severity for f in check(info, preset)}
        extra = {"size-exact": "warning"} if rule == "aspect" else {}
        assert found == {rule: severity, **extra}, (rule, found)


@pytest.mark.parametrize("preset", SOCIAL, ids=lambda p: p.name)
def test_vertical_social_figures(preset: Preset) -> None:
    longest = preset.duration_limits()[1]
    assert check(media(Fraction(15), audio=True), preset) == ()
    assert check(media(Fraction(longest), audio=True, avg_rate=Fraction(60)), preset) in (
        (),
        # Shorts: over a minute is allowed, but blocked with a Content ID claim (a warning).
        tuple(
            f for f in check(media(Fraction(longest), audio=True), preset) if f.rule == "duration-content-id"
        ),
    )
    assert {f.rule for f in check(media(Fraction(longest + 1), audio=True), preset)} == {"duration"}
    assert {f.rule for f in check(media(Fraction(15)), preset)} == {"audio"}
    assert check(media(Fraction(15)), preset)[0].severity == "error"
    landscape = {f.rule for f in check(media(Fraction(15), width=1920, height=1080, audio=True), preset)}
    assert "aspect" in landscape or "orientation" in landscape


def test_shorts_take_square_but_not_landscape_video() -> None:
    shorts = resolve("shorts")
    square = check(media(Fraction(15), width=1080, height=1080, audio=True), shorts)
    assert {f.rule: f.severity for f in square} == {"aspect": "warning", "size-recommended": "warning"}
    wide = {
        f.rule: f.severity for f in check(media(Fraction(15), width=1920, height=1080, audio=True), shorts)
    }
    assert wide["orientation"] == "error"
    # Over a minute: allowed (up to 3), but a Content ID claim blocks it: a warning.
    (f,) = check(media(Fraction(90), audio=True), shorts)
    assert (f.rule, f.severity) == ("duration-content-id", "warning")


def test_tiktok_size_floor_is_the_ads_minimum() -> None:
    tiktok = resolve("tiktok")
    assert {
        f.rule: f.severity for f in check(media(Fraction(15), width=540, height=960, audio=True), tiktok)
    } == {"size-recommended": "warning"}
    small = {
        f.rule: f.severity for f in check(media(Fraction(15), width=360, height=640, audio=True), tiktok)
    }
    assert small == {"size-min": "error"}


@pytest.mark.parametrize(
    ("preset", "info", "rule", "fix"),
    [
        (
            CANVAS,
            media(Fraction(84, 10)),
            "duration",
            {"action": "trim", "max_seconds": 8.0, "max_inclusive": True},
        ),
        (
            CLIP,
            media(Fraction(2), audio=True),
            "duration",
            {"action": "lengthen", "min_seconds": 3.0, "min_inclusive": False},
        ),
        (
            CANVAS,
            media(width=1080, height=1080),
            "aspect",
            {"action": "reframe", "width": 1080, "height": 1920},
        ),
        (
            APPLE_TALL,
            media(Fraction(10), width=1536, height=2048),
            "size-min",
            {"action": "reframe", "width": 2048, "height": 2732, "upscale": True},
        ),
        (
            APPLE_SQUARE,
            media(Fraction(10), width=4096, height=4096),
            "size-exact",
            {"action": "reframe", "width": 3840, "height": 3840},
        ),
        (
            CLIP,
            media(audio=True, codec="hevc", pix_fmt="yuv420p10le"),
            "video-codec",
            {"action": "reencode", "codec": "h264", "pix_fmt": "yuv420p"},
        ),
        (CANVAS, media(audio=True), "audio", {"action": "drop-audio"}),
        (resolve("reels"), media(Fraction(15)), "audio", {"action": "add-audio"}),
        (CANVAS, media(avg_rate=Fraction(60)), "frame-rate", {"action": "resample", "fps": 30}),
        (CANVAS, media(size_bytes=9_000_000), "file-size", {"action": "shrink", "max_bytes": 8_000_000}),
        (CLIP, media(audio=True, container="mkv"), "format", {"action": "remux", "container": "mp4"}),
        (CANVAS, still(1080, 1920, fmt="PNG"), "format", {"action": "remux", "container": "jpeg"}),
        (
            APPLE_TALL,
            media(
                Fraction(10),
                width=2048,
                height=2732,
                color_primaries=None,
                color_transfer=None,
                color_space=None,
            ),
            "color-tagged",
            {"action": "retag-color", "primaries": "bt709", "transfer": "bt709", "space": "bt709"},
        ),
        (
            APPLE_TALL,
            media(
                Fraction(10), width=2048, height=2732, color_primaries="bt2020", color_transfer="arib-std-b67"
            ),
            "color",
            {"action": "convert-color", "primaries": "bt709", "transfer": "bt709", "space": "bt709"},
        ),
    ],
)
def test_findings_carry_a_structured_fix(preset: Preset, info: MediaInfo, rule: str, fix: dict) -> None:
    (f,) = [f for f in check(info, preset) if f.rule == rule]
    assert f.fix == fix
    assert f.as_dict()["fix"] == fix


def test_findings_without_a_mechanical_fix_say_none() -> None:
    (f,) = check(dataclasses.replace(media(), kind="audio", video=()), CANVAS)
    assert f.rule == "kind" and f.fix is None and f.as_dict()["fix"] is None


@pytest.mark.parametrize("preset", [resolve(n) for n in builtin_names()], ids=lambda p: p.name)
def test_hints_follow_the_preset(preset: Preset) -> None:
    """Every hint names the preset's render kind and itself, and its own render size, never another's."""
    size = f"{preset.render.width}x{preset.render.height}"
    broken = [
        media(Fraction(1000), width=200, height=300, avg_rate=Fraction(90), codec="vp9", container="webm",
              size_bytes=10**10, audio=not preset.render.audio, color_primaries="bt2020"),
        media(Fraction(1, 2), width=4000, height=1000),
    ]  # fmt: skip
    hints = [f.hint for info in broken for f in check(info, preset)]
    assert hints
    for hint in hints:
        if "mediakit " in hint:
            assert f"mediakit {preset.kind} " in hint, hint
            assert hint.endswith(f"--preset {preset.name}") or f"--preset {preset.name} " in hint, hint
        other_sizes = {"1080x1920", "2048x2732", "3840x3840"} - {size}
        assert not any(s in hint for s in other_sizes), hint
    assert any(size in h for h in hints)


def test_a_user_preset_is_named_by_its_path_in_hints(tmp_path: Path) -> None:
    mine = _preset(tmp_path, 'id = "long"\ncheck = "duration"\nmax = 10.0')
    (f,) = check(media(Fraction(12)), mine)
    assert f.hint == f"trim it: mediakit canvas x.mp4 --duration 9 --preset {tmp_path / 'mine.toml'}"


@pytest.mark.parametrize(
    ("rule", "overrides", "fails"),
    [
        ('primaries = ["bt709"]', {}, False),
        ('primaries = ["bt709"]', {"color_primaries": None}, True),
        ('primaries = ["bt709"]\nallow_unspecified = true', {"color_primaries": None}, False),
        ('primaries = ["bt709"]\nallow_unspecified = true', {"color_primaries": "bt2020"}, True),
        ('transfers = ["bt709", "iec61966-2-1"]', {"color_transfer": "iec61966-2-1"}, False),
        ('transfers = ["bt709"]', {"color_transfer": "smpte2084"}, True),
        ('spaces = ["bt709"]', {"color_space": "smpte170m"}, True),
        # Only the tags the rule names are read.
        ('spaces = ["bt709"]', {"color_primaries": "bt2020"}, False),
    ],
)
def test_color_check(tmp_path: Path, rule: str, overrides: dict, fails: bool) -> None:
    preset = _preset(tmp_path, f'id = "color"\ncheck = "color"\n{rule}')
    found = check(media(**overrides), preset)
    assert bool(found) is fails
    if fails:
        assert found[0].rule == "color" and found[0].fix is not None


def test_color_finding_words_missing_and_wrong_tags() -> None:
    untagged = media(
        Fraction(10), width=2048, height=2732, color_primaries=None, color_transfer=None, color_space=None
    )
    (f,) = check(untagged, APPLE_TALL)
    assert f.observed == "primaries unspecified, transfer unspecified, matrix unspecified"
    assert "not tagged" in f.message and f.severity == "warning"
    (f,) = check(media(Fraction(10), width=2048, height=2732, color_transfer="smpte2084"), APPLE_TALL)
    assert f.expected == "primaries bt709, transfer bt709/iec61966-2-1, matrix bt709"
    assert "smpte2084" in f.message and f.severity == "error"


@pytest.mark.parametrize(
    ("size", "fails"),
    [((1080, 1920), False), ((1080, 1080), False), ((1920, 1080), True), ((1081, 1080), True)],
)
def test_square_or_vertical_orientation(tmp_path: Path, size: tuple[int, int], fails: bool) -> None:
    preset = _preset(tmp_path, 'id = "o"\ncheck = "orientation"\nvalue = "square-or-vertical"')
    assert bool(check(media(width=size[0], height=size[1]), preset)) is fails


@pytest.mark.parametrize(
    ("size", "found"), [((100, 200), None), ((100, 201), "exactly 100x200"), ((99, 200), "exactly 100x200")]
)
def test_exact_size_rule(tmp_path: Path, size: tuple[int, int], found: str | None) -> None:
    preset = _preset(tmp_path, 'id = "s"\ncheck = "size"\nwidth = 100\nheight = 200')
    got = check(media(width=size[0], height=size[1]), preset)
    assert (got[0].expected if got else None) == found
