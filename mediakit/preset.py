"""Presets: TOML spec profiles loaded into frozen dataclasses that drive both rendering and validation."""

from __future__ import annotations

import os
import re
import shlex
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from mediakit.errors import PresetError, UsageError

Severity = Literal["error", "warning"]
SEVERITIES = ("error", "warning")
# The constant frame rates mediakit renders stills and odd-rate footage at (footage at 23.976/29.97 keeps it).
RENDER_RATES = (24, 25, 30)

# Each check kind and its parameters: name -> (type, required). `deep` kinds need decoded frames or audio
# (`validate --deep`); the others read metadata only.
CHECKS: dict[str, tuple[bool, dict[str, tuple[type, bool]]]] = {
    "duration": (
        False,
        {
            "min": (float, False),
            "max": (float, False),
            "min_inclusive": (bool, False),
            "max_inclusive": (bool, False),
        },
    ),
    "aspect": (False, {"ratio": (str, True), "tolerance": (float, True)}),
    "height": (False, {"min": (int, False), "max": (int, False)}),
    "size": (
        False,
        {
            "min_width": (int, False),
            "min_height": (int, False),
            "width": (int, False),
            "height": (int, False),
        },
    ),
    "orientation": (False, {"value": (str, True)}),
    "container": (False, {"allowed": (list, True)}),
    "video-codec": (False, {"codecs": (list, True), "pix_fmts": (list, True)}),
    "audio": (False, {"present": (bool, True)}),
    "frame-rate": (False, {"min": (float, False), "max": (float, False), "constant": (bool, False)}),
    "file-size": (False, {"max_bytes": (int, True)}),
    "color": (
        False,
        {
            "primaries": (list, False),
            "transfers": (list, False),
            "spaces": (list, False),
            "allow_unspecified": (bool, False),
        },
    ),
    "flashing": (
        True,
        {
            "max_flashes_per_second": (int, True),
            "min_area": (float, True),
            "luminance_change": (float, True),
            "dark_threshold": (float, True),
        },
    ),
    "extended-flash": (
        True,
        {
            "min_flashes_per_second": (int, True),
            "max_flashes_per_second": (int, True),
            "seconds": (float, True),
            "window": (float, True),
            "min_area": (float, True),
            "luminance_change": (float, True),
            "dark_threshold": (float, True),
        },
    ),
    "cut-rate": (True, {"max_cuts_per_second": (float, True), "window": (float, True)}),
    "loop-seam": (True, {"max_seam": (float, True)}),
    "blur": (True, {"min_sharpness": (float, True)}),
    "audio-level": (True, {"silence_lufs": (float, True)}),
    "loudness": (True, {"target": (float, True), "tolerance": (float, True), "max_true_peak": (float, True)}),
    "black-frozen": (
        True,
        {"max_seconds": (float, True), "black_level": (float, True), "freeze_level": (float, True)},
    ),
}
_RULE_KEYS = {"id", "check", "severity", "source", "note"}
_TOP_KEYS = {
    "schema",
    "name",
    "kind",
    "aliases",
    "chosen_for",
    "title",
    "description",
    "accepts",
    "render",
    "safe_zone",
    "captions",
    "rule",
}
_RENDER_KEYS: dict[str, tuple[type, bool]] = {
    "width": (int, True),
    "height": (int, True),
    "fps": (int, True),
    "duration": (float, True),
    "crf": (int, True),
    "x264_preset": (str, True),
    "audio": (bool, True),
    "loudness": (float, False),
    "true_peak": (float, False),
    "fits": (list, False),
    "source": (str, False),
}
# What a file is, for choosing a bundled preset when none is named (`validate` without --as).
SITUATIONS = ("image", "silent-video", "video-with-audio")
# A kind, alias or fit is a lowercase name: it becomes a command (`mediakit canvas`) or an option value.
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
_SAFE_KEYS: dict[str, tuple[type, bool]] = {
    "top": (float, True),
    "bottom": (float, True),
    "left": (float, True),
    "right": (float, True),
    "estimate": (bool, True),
    "source": (str, True),
}
_CAPTION_KEYS: dict[str, tuple[type, bool]] = {
    "max_lines": (int, True),
    "max_chars_per_line": (int, True),
    "max_chars_per_second": (float, True),
    "min_duration": (float, True),
    "source": (str, True),
}


@dataclass(frozen=True)
class Rule:
    id: str
    check: str
    severity: Severity
    source: str
    note: str
    params: Mapping[str, Any]
    deep: bool


@dataclass(frozen=True)
class RenderSpec:
    width: int
    height: int
    fps: int
    duration: float
    crf: int
    x264_preset: str
    audio: bool
    loudness: float | None = None
    true_peak: float | None = None
    # The fit modes a render may use (empty: all); Apple's motion art must fill the frame, so only "crop".
    fits: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class SafeZone:
    """Fractions of the frame to keep clear of key content, per side."""

    top: float
    bottom: float
    left: float
    right: float
    estimate: bool
    source: str


@dataclass(frozen=True)
class CaptionRules:
    max_lines: int
    max_chars_per_line: int
    max_chars_per_second: float
    min_duration: float
    source: str


@dataclass(frozen=True)
class Preset:
    name: str
    # A render kind's name; the render side checks it against its registry (a preset file is data).
    kind: str
    title: str
    description: str
    accepts: tuple[str, ...]
    render: RenderSpec
    rules: tuple[Rule, ...]
    safe_zone: SafeZone | None
    captions: CaptionRules | None
    path: Path
    aliases: tuple[str, ...] = ()
    chosen_for: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        """How a command names this preset: its name when bundled, else its file's path."""
        return self.name if self.path.parent == presets_dir() else str(self.path)

    def command(self, source: str, *args: str) -> str:
        """The render command a hint shows for this preset: `mediakit clip SOURCE ARGS --preset NAME`."""
        return " ".join(("mediakit", self.kind, source, *args, "--preset", shlex.quote(self.ref)))

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def duration_limits(self) -> tuple[float, float, bool, bool]:
        """(min, max, min_inclusive, max_inclusive) from the first duration rule."""
        rule = next((r for r in self.rules if r.check == "duration"), None)
        if rule is None:
            return (0.0, float("inf"), True, True)
        p = rule.params
        return (
            float(p.get("min", 0.0)),
            float(p.get("max", float("inf"))),
            bool(p.get("min_inclusive", True)),
            bool(p.get("max_inclusive", True)),
        )


def presets_dir() -> Path:
    """Where the bundled presets are: inside the installed wheel, or at the top of a source checkout."""
    bundled = resources.files("mediakit") / "_presets"
    if bundled.is_dir():
        return Path(str(bundled))
    return Path(__file__).resolve().parent.parent / "presets"


def builtin_names() -> list[str]:
    return sorted(p.stem for p in presets_dir().glob("*.toml"))


@dataclass(frozen=True)
class Index:
    """The presets of one folder by name and alias, and which one is chosen for each kind of file."""

    files: Mapping[str, Path]
    aliases: Mapping[str, str]
    chosen: Mapping[str, str]


@cache
def index(folder: Path | None = None) -> Index:
    """Load every preset in `folder` (default: the bundled ones); a clash of names is a PresetError."""
    folder = folder or presets_dir()
    files: dict[str, Path] = {}
    aliases: dict[str, str] = {}
    chosen: dict[str, str] = {}
    for path in sorted(folder.glob("*.toml")):
        p = _load_cached(path)
        if p.name != path.stem:
            raise PresetError(f"{path}: name: {p.name!r} differs from the file name", _SCHEMA_HINT)
        files[p.name] = path
    for name, path in files.items():
        p = _load_cached(path)
        for alias in p.aliases:
            if alias in files or alias in aliases:
                owner = files[alias] if alias in files else files[aliases[alias]]
                what = "the name" if alias in files else "an alias"
                raise PresetError(
                    f"{path}: aliases: {alias!r} is already {what} of {owner}",
                    "give each bundled preset its own aliases",
                )
            aliases[alias] = name
        for situation in p.chosen_for:
            if situation in chosen:
                raise PresetError(
                    f"{path}: chosen_for: {situation!r} is already chosen by {files[chosen[situation]]}",
                    "one bundled preset per kind of file",
                )
            chosen[situation] = name
    return Index(MappingProxyType(files), MappingProxyType(aliases), MappingProxyType(chosen))


def resolve(name_or_path: str) -> Preset:
    """A preset by name (`spotify-canvas`), alias (`canvas`) or path to a `.toml` file."""
    if name_or_path.endswith(".toml") or os.sep in name_or_path:
        return load(Path(name_or_path))
    bundled = index()
    name = bundled.aliases.get(name_or_path, name_or_path)
    if name not in bundled.files:
        known = ", ".join(sorted(bundled.aliases) + sorted(bundled.files))
        raise UsageError(
            f"unknown preset {name_or_path!r}", f"choose one of: {known}, or a path to a .toml file"
        )
    return _load_cached(bundled.files[name])


def chosen_for(situation: str) -> Preset:
    """The bundled preset whose `chosen_for` names `situation` (see SITUATIONS)."""
    bundled = index()
    if situation not in bundled.chosen:
        raise UsageError(
            f"no bundled preset is chosen for {situation.replace('-', ' ')} files",
            "name one with --as (mediakit presets list)",
        )
    return _load_cached(bundled.files[bundled.chosen[situation]])


@cache
def _load_cached(path: Path) -> Preset:
    return load(path)


# A schema refusal names the key; a valid preset shows the expected shape beside it.
_SCHEMA_HINT = "compare with a bundled preset: mediakit presets show canvas"


def load(path: Path) -> Preset:
    """Load and check one preset file; every problem names the file and the key path."""
    where = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PresetError(
            f"preset file not found: {where}", "check the path, or name a built-in preset"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PresetError(
            f"{where}: cannot be read ({exc})", "check the file's permissions; it must be UTF-8 text"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise PresetError(
            f"{where}: not valid TOML ({exc})",
            "fix the line it names; --as takes a preset name or a preset .toml file",
        ) from None
    _no_unknown(data, _TOP_KEYS, where, "")
    if data.get("schema") != 1:
        raise PresetError(f"{where}: schema: expected 1, got {data.get('schema')!r}", _SCHEMA_HINT)
    kind = _get(data, "kind", str, True, where, "")
    if not _NAME.match(kind):
        raise PresetError(
            f"{where}: kind: expected a render kind's name (lowercase, e.g. 'canvas'), got {kind!r}",
            _SCHEMA_HINT,
        )
    aliases = _names(data, "aliases", where)
    chosen = _names(data, "chosen_for", where)
    if not set(chosen) <= set(SITUATIONS):
        raise PresetError(
            f"{where}: chosen_for: expected items from {list(SITUATIONS)}, got {list(chosen)!r}", _SCHEMA_HINT
        )
    accepts = _get(data, "accepts", list, True, where, "")
    if not all(a in ("video", "image") for a in accepts):
        raise PresetError(
            f"{where}: accepts: expected items from ['video', 'image'], got {accepts!r}", _SCHEMA_HINT
        )
    render_table = _table(data, "render", _RENDER_KEYS, where, required=True) or {}
    if "fits" in render_table:
        render_table["fits"] = _names(render_table, "fits", where, "render.")
    render = RenderSpec(**render_table)
    safe = _table(data, "safe_zone", _SAFE_KEYS, where, required=False)
    captions = _table(data, "captions", _CAPTION_KEYS, where, required=False)
    raw_rules = data.get("rule", [])
    if not isinstance(raw_rules, list):
        raise PresetError(f"{where}: rule: expected an array of tables ([[rule]])", _SCHEMA_HINT)
    rules = tuple(_rule(raw, where, f"rule[{i}]") for i, raw in enumerate(raw_rules))
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise PresetError(f"{where}: rule id {rule.id!r} is used twice", _SCHEMA_HINT)
        seen.add(rule.id)
    return Preset(
        name=_get(data, "name", str, True, where, ""),
        kind=kind,
        title=_get(data, "title", str, True, where, ""),
        description=_get(data, "description", str, False, where, "") or "",
        accepts=tuple(accepts),
        render=render,
        rules=rules,
        safe_zone=SafeZone(**safe) if safe else None,
        captions=CaptionRules(**captions) if captions else None,
        path=path,
        aliases=aliases,
        chosen_for=chosen,
    )


def _names(table: Mapping[str, Any], key: str, where: str, prefix: str = "") -> tuple[str, ...]:
    """An optional list of lowercase names (aliases, situations, fit modes), each once."""
    names = _get(table, key, list, False, where, prefix) or []
    for name in names:
        if not isinstance(name, str) or not _NAME.match(name):
            raise PresetError(
                f"{where}: {prefix}{key}: expected lowercase names (e.g. 'reels'), got {name!r}", _SCHEMA_HINT
            )
    if len(set(names)) != len(names):
        raise PresetError(f"{where}: {prefix}{key}: a name is listed twice", _SCHEMA_HINT)
    return tuple(names)


def _no_unknown(table: Mapping[str, Any], allowed: set[str], where: str, prefix: str) -> None:
    for key in table:
        if key not in allowed:
            raise PresetError(
                f"{where}: unknown key {prefix}{key}",
                f"allowed here: {', '.join(sorted(allowed))}",
            )


def _get(table: Mapping[str, Any], key: str, typ: type, required: bool, where: str, prefix: str) -> Any:
    if key not in table:
        if required:
            raise PresetError(f"{where}: missing key {prefix}{key}", _SCHEMA_HINT)
        return None
    value = table[key]
    if typ is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, typ) or (typ is int and isinstance(value, bool)):
        raise PresetError(
            f"{where}: {prefix}{key}: expected {typ.__name__}, got {type(value).__name__}", _SCHEMA_HINT
        )
    return value


def _table(
    data: Mapping[str, Any], name: str, keys: dict[str, tuple[type, bool]], where: str, required: bool
) -> dict[str, Any] | None:
    raw = data.get(name)
    if raw is None:
        if required:
            raise PresetError(f"{where}: missing table [{name}]", _SCHEMA_HINT)
        return None
    if not isinstance(raw, dict):
        raise PresetError(f"{where}: {name}: expected a table", _SCHEMA_HINT)
    _no_unknown(raw, set(keys), where, f"{name}.")
    out = {k: _get(raw, k, typ, req, where, f"{name}.") for k, (typ, req) in keys.items()}
    return {k: v for k, v in out.items() if v is not None}


def _rule(raw: Any, where: str, prefix: str) -> Rule:
    if not isinstance(raw, dict):
        raise PresetError(f"{where}: {prefix}: expected a table", _SCHEMA_HINT)
    check = _get(raw, "check", str, True, where, f"{prefix}.")
    if check not in CHECKS:
        raise PresetError(
            f"{where}: {prefix}.check: unknown check {check!r}", f"known checks: {', '.join(sorted(CHECKS))}"
        )
    deep, params_schema = CHECKS[check]
    _no_unknown(raw, _RULE_KEYS | set(params_schema), where, f"{prefix}.")
    severity = _get(raw, "severity", str, True, where, f"{prefix}.")
    if severity not in SEVERITIES:
        raise PresetError(
            f"{where}: {prefix}.severity: expected 'error' or 'warning', got {severity!r}", _SCHEMA_HINT
        )
    params = {}
    for key, (typ, req) in params_schema.items():
        value = _get(raw, key, typ, req, where, f"{prefix}.")
        if value is not None:
            params[key] = tuple(value) if isinstance(value, list) else value
    _check_values(check, params, where, prefix)
    return Rule(
        id=_get(raw, "id", str, True, where, f"{prefix}."),
        check=check,
        severity=severity,
        source=_get(raw, "source", str, True, where, f"{prefix}."),
        note=_get(raw, "note", str, False, where, f"{prefix}.") or "",
        params=MappingProxyType(params),
        deep=deep,
    )


_RATIO = re.compile(r"^\s*([1-9][0-9]*)\s*:\s*([1-9][0-9]*)\s*$")
ORIENTATIONS = ("vertical", "square-or-vertical")


def _check_values(check: str, params: Mapping[str, Any], where: str, prefix: str) -> None:
    """Values the validator would otherwise trip over at check time, long after the preset was loaded."""
    if check == "aspect" and not _RATIO.match(params["ratio"]):
        raise PresetError(
            f"{where}: {prefix}.ratio: expected 'W:H' with whole numbers (e.g. '9:16'), "
            f"got {params['ratio']!r}",
            _SCHEMA_HINT,
        )
    if check == "color" and not any(k in params for k in ("primaries", "transfers", "spaces")):
        raise PresetError(
            f"{where}: {prefix}: a color rule needs primaries, transfers or spaces", _SCHEMA_HINT
        )
    if check == "size" and not params:
        raise PresetError(
            f"{where}: {prefix}: a size rule needs min_width, min_height, width or height", _SCHEMA_HINT
        )
    if check == "orientation" and params["value"] not in ORIENTATIONS:
        raise PresetError(
            f"{where}: {prefix}.value: expected one of {list(ORIENTATIONS)}, got {params['value']!r}",
            _SCHEMA_HINT,
        )
