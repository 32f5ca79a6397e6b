"""Preset loading: the bundled profiles, the schema README and its example, and every malformed-file error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mediakit import preset as preset_mod
from mediakit.errors import ExitCode, PresetError, UsageError
from mediakit.preset import CHECKS, builtin_names, load, presets_dir, resolve

README = presets_dir() / "README.md"


def readme_example() -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"<!-- example: minimal -->\s*```toml\n(.*?)```", text, re.S)
    assert match, "presets/README.md has lost its minimal example"
    return match.group(1)


# --- the bundled presets ------------------------------------------------------------------------------------


BUNDLED = [
    "apple-motion-square",
    "apple-motion-tall",
    "instagram-reels",
    "spotify-canvas",
    "spotify-clip",
    "tiktok",
    "youtube-shorts",
]
ALIASES = {
    "canvas": "spotify-canvas",
    "clip": "spotify-clip",
    "reels": "instagram-reels",
    "shorts": "youtube-shorts",
    "apple-tall": "apple-motion-tall",
    "apple-square": "apple-motion-square",
}


def test_bundled_presets_and_aliases() -> None:
    assert builtin_names() == BUNDLED
    for alias, name in ALIASES.items():
        assert resolve(alias) is resolve(name), alias
    assert dict(preset_mod.index().aliases) == ALIASES
    assert resolve("canvas") is resolve("spotify-canvas")
    assert resolve("clip").name == "spotify-clip"
    assert resolve("canvas").kind == "canvas" and resolve("clip").kind == "clip"
    assert resolve("canvas").accepts == ("video", "image")
    assert resolve("clip").accepts == ("video",)


@pytest.mark.parametrize("name", BUNDLED)
def test_every_bundled_rule_has_a_source_and_known_check(name: str) -> None:
    p = resolve(name)
    assert p.name == name and p.path.stem == name
    assert p.rules and p.render.source
    if p.safe_zone is not None:
        assert p.safe_zone.source
    lo, hi, _, _ = p.duration_limits()
    assert lo <= p.render.duration <= hi, "the default render length breaks the preset's own duration rule"
    # A whole number of frames at the preset's rate: a render lands exactly on its default duration.
    assert (p.render.duration * p.render.fps).is_integer()
    for rule in p.rules:
        assert rule.source, rule.id
        assert rule.check in CHECKS
        assert rule.deep is CHECKS[rule.check][0]
        assert rule.severity in ("error", "warning")
    assert len({r.id for r in p.rules}) == len(p.rules)


def test_bundled_figures_match_the_specs() -> None:
    canvas, clip = resolve("canvas"), resolve("clip")
    assert canvas.duration_limits() == (3.0, 8.0, True, True)
    assert clip.duration_limits() == (3.0, 30.0, False, False)
    assert dict(canvas.rule("aspect").params) == {"ratio": "9:16", "tolerance": 0.01}
    assert canvas.rule("aspect").severity == "error" and canvas.rule("aspect-exact").severity == "warning"
    assert canvas.rule("format").params["allowed"] == ("mp4", "jpeg")
    assert clip.rule("format").params["allowed"] == ("mp4", "mov")
    assert clip.rule("format-mp4").severity == "warning"
    assert dict(clip.rule("size-min").params) == {"min_width": 720, "min_height": 1280}
    assert canvas.rule("file-size").params["max_bytes"] == 8_000_000
    assert (canvas.render.width, canvas.render.height) == (1080, 1920)


def test_preset_objects_are_frozen() -> None:
    p = resolve("canvas")
    with pytest.raises(AttributeError):
        p.name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        p.rules[0].params["min"] = 1.0  # type: ignore[index]


def test_unknown_preset_name_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as exc:
        resolve("vine")
    assert exc.value.exit_code == ExitCode.USAGE
    hint = exc.value.hint or ""
    assert all(name in hint for name in [*BUNDLED, *ALIASES])


# The platform figures, as docs/SPECS.md gives them with their sources (not as mediakit reports them).


def test_apple_motion_presets_match_the_specs() -> None:
    for name, size, ratio in (("apple-tall", (2048, 2732), "3:4"), ("apple-square", (3840, 3840), "1:1")):
        p = resolve(name)
        assert p.kind == "canvas" and p.accepts == ("video",)
        assert (p.render.width, p.render.height) == size
        assert p.duration_limits() == (8.0, 20.0, True, True)
        assert p.render.audio is False and p.render.fits == ("crop",)
        assert (p.render.duration, p.render.fps, p.render.crf, p.render.x264_preset) == (10.0, 30, 20, "slow")
        assert dict(p.rule("aspect").params) == {"ratio": ratio, "tolerance": 0.01}
        assert p.rule("audio").params["present"] is False and p.rule("audio").severity == "error"
        assert dict(p.rule("size-min").params) == {"min_width": size[0], "min_height": size[1]}
        assert dict(p.rule("size-exact").params) == {"width": size[0], "height": size[1]}
        assert (p.rule("size-min").severity, p.rule("size-exact").severity) == ("error", "warning")
        assert p.rule("file-size").params["max_bytes"] == 400_000_000
        rate = p.rule("frame-rate").params
        assert (rate["min"], rate["max"]) == (23.976, 30.0)
        assert p.rule("color").params["primaries"] == ("bt709",)
        assert "35 s" in p.rule("duration").note


@pytest.mark.parametrize(
    ("name", "longest", "zone"),
    [
        ("reels", 180.0, (0.14, 0.35, 0.06, 0.06)),
        ("tiktok", 600.0, (100 / 1920, 300 / 1920, 0.0, 150 / 1080)),
        ("shorts", 180.0, (288 / 1920, 672 / 1920, 48 / 1080, 192 / 1080)),
    ],
)
def test_vertical_social_presets_match_the_specs(
    name: str, longest: float, zone: tuple[float, float, float, float]
) -> None:
    p = resolve(name)
    assert p.kind == "clip" and (p.render.width, p.render.height) == (1080, 1920)
    assert p.duration_limits()[1] == longest
    assert p.render.audio and p.rule("audio").params["present"] and p.rule("audio").severity == "error"
    assert (p.render.loudness, p.render.true_peak) == (-14.0, -1.0)
    loud = p.rule("loudness").params
    assert (loud["target"], loud["max_true_peak"]) == (-14.0, -1.0)
    assert p.render.duration == 15.0 and p.captions is not None
    z = p.safe_zone
    assert z is not None and z.estimate
    assert (z.top, z.bottom, z.left, z.right) == pytest.approx(zone, abs=0.001)


def test_files_are_chosen_by_the_bundled_presets_chosen_for() -> None:
    assert dict(preset_mod.index().chosen) == {
        "image": "spotify-canvas",
        "silent-video": "spotify-canvas",
        "video-with-audio": "spotify-clip",
    }
    assert preset_mod.chosen_for("image") is resolve("canvas")


def _folder(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "presets"
    folder.mkdir()
    for stem, extra in files.items():
        text = readme_example().replace('name = "my-vertical"', f'name = "{stem}"\n{extra}')
        (folder / f"{stem}.toml").write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("files", "needle"),
    [
        ({"one": 'aliases = ["v"]', "two": 'aliases = ["v"]'}, "aliases: 'v' is already an alias of"),
        ({"one": 'aliases = ["two"]', "two": ""}, "aliases: 'two' is already the name of"),
        (
            {"one": 'chosen_for = ["image"]', "two": 'chosen_for = ["image"]'},
            "chosen_for: 'image' is already chosen by",
        ),
    ],
)
def test_a_clash_between_bundled_presets_is_a_load_error(
    tmp_path: Path, files: dict[str, str], needle: str
) -> None:
    folder = _folder(tmp_path, **files)
    with pytest.raises(PresetError) as exc:
        preset_mod.index(folder)
    assert needle in exc.value.message and str(folder / "two.toml") in exc.value.message
    assert exc.value.exit_code == ExitCode.USAGE


def test_a_folder_without_clashes_indexes_names_aliases_and_choices(tmp_path: Path) -> None:
    folder = _folder(tmp_path, one='aliases = ["o", "uno"]\nchosen_for = ["image"]', two='aliases = ["t"]')
    found = preset_mod.index(folder)
    assert dict(found.aliases) == {"o": "one", "uno": "one", "t": "two"}
    assert dict(found.chosen) == {"image": "one"} and sorted(found.files) == ["one", "two"]


def test_any_lowercase_kind_name_loads(tmp_path: Path) -> None:
    # The render side, not the loader, knows which kinds exist: a preset file is data.
    path = tmp_path / "p.toml"
    path.write_text(readme_example().replace('kind = "clip"', 'kind = "motion-art"'), encoding="utf-8")
    assert load(path).kind == "motion-art"


# --- the schema README --------------------------------------------------------------------------------------


def test_the_readme_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "my-profile.toml"
    path.write_text(readme_example(), encoding="utf-8")
    p = resolve(str(path))
    assert (p.name, p.kind, p.accepts) == ("my-vertical", "clip", ("video",))
    assert [r.id for r in p.rules] == ["duration", "vertical", "has-audio"]
    assert p.duration_limits() == (5.0, 60.0, True, True)
    assert p.rule("has-audio").note
    assert p.safe_zone is None and p.captions is None


def test_the_readme_documents_every_key_and_check() -> None:
    text = README.read_text(encoding="utf-8")
    keys = (
        set(preset_mod._TOP_KEYS)
        | set(preset_mod._RENDER_KEYS)
        | set(preset_mod._SAFE_KEYS)
        | set(preset_mod._CAPTION_KEYS)
        | set(preset_mod._RULE_KEYS)
    )
    for check, (_, params) in CHECKS.items():
        keys |= {check, *params}
    missing = sorted(k for k in keys if not any(f in text for f in (f"`{k}`", f"`[{k}]`", f"`[[{k}]]`")))
    assert not missing, f"presets/README.md does not mention {missing}"
    for check, (deep, _) in CHECKS.items():
        table = text.partition("## Checks and their parameters")[2]
        row = next(line for line in table.splitlines() if line.startswith(f"| `{check}`"))
        assert ("(deep)" in row) is deep, check


# --- malformed files: each error names the file and the key path --------------------------------------------

RULE0 = 'id = "duration"\ncheck = "duration"\n'


def _variants() -> list[tuple[str, str, str]]:
    """(test id, how to change the README example, the text the error must contain)."""
    return [
        ("top-level", "replace:schema = 1|schema = 1\ncolour = 1", "unknown key colour"),
        ("render", "replace:audio = true|audio = true\nbitrate = 5", "unknown key render.bitrate"),
        (
            "safe-zone",
            "append:[safe_zone]\ntop = 0.1\nbottom = 0.1\nleft = 0.1\nright = 0.1\nestimate = true\n"
            'source = "x"\nmiddle = 0.1\n',
            "unknown key safe_zone.middle",
        ),
        ("captions", "append:[captions]\nfont = 'x'\n", "unknown key captions.font"),
        ("rule-key", f"replace:{RULE0}|{RULE0}maximum = 60\n", "unknown key rule[0].maximum"),
        ("param-of-other-check", f"replace:{RULE0}|{RULE0}ratio = '9:16'\n", "unknown key rule[0].ratio"),
        ("unknown-check", 'replace:check = "orientation"|check = "sideways"', "rule[1].check: unknown check"),
        ("severity", 'replace:severity = "warning"|severity = "fatal"', "rule[2].severity"),
        ("type", "replace:min = 5|min = '5'", "rule[0].min: expected float, got str"),
        ("bool-as-int", "replace:width = 1080|width = true", "render.width: expected int, got bool"),
        ("missing-param", 'replace:value = "vertical"\n|', "missing key rule[1].value"),
        ("missing-id", 'replace:id = "has-audio"\n|', "missing key rule[2].id"),
        (
            "missing-source",
            'replace:source = "our delivery spec, v2"\nnote|note',
            "missing key rule[2].source",
        ),
        ("duplicate-id", 'replace:id = "vertical"|id = "duration"', "rule id 'duration' is used twice"),
        ("schema", "replace:schema = 1|schema = 2", "schema: expected 1"),
        ("kind", 'replace:kind = "clip"|kind = "Reel Video"', "kind: expected a render kind's name"),
        (
            "aliases",
            'replace:kind = "clip"|kind = "clip"\naliases = "reels"',
            "aliases: expected list, got str",
        ),
        (
            "alias-name",
            'replace:kind = "clip"|kind = "clip"\naliases = ["My Reels"]',
            "aliases: expected lowercase",
        ),
        (
            "alias-twice",
            'replace:kind = "clip"|kind = "clip"\naliases = ["a", "a"]',
            "aliases: a name is listed twice",
        ),
        (
            "chosen-for",
            'replace:kind = "clip"|kind = "clip"\nchosen_for = ["audio"]',
            "chosen_for: expected items",
        ),
        ("fits", "replace:audio = true|audio = true\nfits = [1]", "render.fits: expected lowercase names"),
        (
            "color-empty",
            "append:[[rule]]\nid = 'c'\ncheck = 'color'\nseverity = 'error'\nsource = 'x'\n",
            "rule[3]: a color rule needs primaries",
        ),
        (
            "size-empty",
            "append:[[rule]]\nid = 's'\ncheck = 'size'\nseverity = 'error'\nsource = 'x'\n",
            "rule[3]: a size rule needs",
        ),
        ("accepts", 'replace:accepts = ["video"]|accepts = ["audio"]', "accepts: expected items"),
        ("render-missing", "replace:[render]|[rendering]", "unknown key rendering"),
        ("render-key-missing", "replace:crf = 20\n|", "missing key render.crf"),
        (
            "ratio",
            "append:[[rule]]\nid = 'a'\ncheck = 'aspect'\nratio = '9x16'\ntolerance = 0.01\n"
            "severity = 'error'\nsource = 'x'\n",
            "rule[3].ratio: expected 'W:H'",
        ),
        ("orientation", 'replace:value = "vertical"|value = "diagonal"', "rule[1].value: expected one of"),
        ("invalid-toml", "append:[[rule]\n", "not valid TOML"),
    ]


@pytest.mark.parametrize(("change", "needle"), [v[1:] for v in _variants()], ids=[v[0] for v in _variants()])
def test_malformed_presets_name_the_file_and_key(tmp_path: Path, change: str, needle: str) -> None:
    text = readme_example()
    how, _, arg = change.partition(":")
    if how == "append":
        text += "\n" + arg
    else:
        old, _, new = arg.partition("|")
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "broken profile.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PresetError) as exc:
        resolve(str(path))
    message = str(exc.value)
    assert message.startswith(f"{path}: ") or f"{path}" in message
    assert needle in message
    assert "\n" not in exc.value.message
    assert exc.value.exit_code == ExitCode.USAGE


def test_a_single_rule_table_is_refused(tmp_path: Path) -> None:
    # `[rule]` instead of `[[rule]]`: a table, not an array of tables.
    text = readme_example().split("[[rule]]")[0] + "[rule]\nid = 'x'\n"
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PresetError, match=r"rule: expected an array of tables"):
        load(path)


def test_a_missing_render_table_is_refused(tmp_path: Path) -> None:
    head, _, rest = readme_example().partition("[render]")
    path = tmp_path / "p.toml"
    path.write_text(head + "[[rule]]" + rest.partition("[[rule]]")[2], encoding="utf-8")
    with pytest.raises(PresetError, match=r"missing table \[render\]"):
        load(path)


def test_unknown_key_error_lists_what_is_allowed(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(readme_example().replace("max = 60", "max = 60\nmaximum = 61"), encoding="utf-8")
    with pytest.raises(PresetError) as exc:
        load(path)
    assert exc.value.message == f"{path}: unknown key rule[0].maximum"
    assert exc.value.hint is not None and "max_inclusive" in exc.value.hint


@pytest.mark.parametrize(
    ("content", "needle"),
    [(None, "preset file not found"), (b"schema = 1\nname = 'caf\xe9'\n", "cannot be read")],
)
def test_unreadable_preset_files(tmp_path: Path, content: bytes | None, needle: str) -> None:
    path = tmp_path / "p.toml"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(PresetError) as exc:
        resolve(str(path))
    assert needle in exc.value.message and str(path) in exc.value.message
