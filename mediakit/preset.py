"""Presets: TOML spec profiles loaded into frozen dataclasses that drive both rendering and validation."""

from __future__ import annotations

import os
import re
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
    "size": (False, {"min_width": (int, False), "min_height": (int, False)}),
    "orientation": (False, {"value": (str, True)}),
    "container": (False, {"allowed": (list, True)}),
    "video-codec": (False, {"codecs": (list, True), "pix_fmts": (list, True)}),
    "audio": (False, {"present": (bool, True)}),
    "frame-rate": (False, {"min": (float, False), "max": (float, False), "constant": (bool, False)}),
    "file-size": (False, {"max_bytes": (int, True)}),
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
    "source": (str, False),
}
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
    kind: Literal["canvas", "clip"]
    title: str
    description: str
    accepts: tuple[str, ...]
    render: RenderSpec
    rules: tuple[Rule, ...]
    safe_zone: SafeZone | None
    captions: CaptionRules | None
    path: Path

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


ALIASES = {"canvas": "spotify-canvas", "clip": "spotify-clip"}


def resolve(name_or_path: str) -> Preset:
    """A preset by name (`spotify-canvas`), alias (`canvas`) or path to a `.toml` file."""
    name = ALIASES.get(name_or_path, name_or_path)
    if name.endswith(".toml") or os.sep in name:
        return load(Path(name))
    candidate = presets_dir() / f"{name}.toml"
    if not candidate.is_file():
        known = ", ".join(sorted(ALIASES) + builtin_names())
        raise UsageError(
            f"unknown preset {name_or_path!r}", f"choose one of: {known}, or a path to a .toml file"
        )
    return _load_cached(candidate)


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
    if kind not in ("canvas", "clip"):
        raise PresetError(f"{where}: kind: expected 'canvas' or 'clip', got {kind!r}", _SCHEMA_HINT)
    accepts = _get(data, "accepts", list, True, where, "")
    if not all(a in ("video", "image") for a in accepts):
        raise PresetError(
            f"{where}: accepts: expected items from ['video', 'image'], got {accepts!r}", _SCHEMA_HINT
        )
    render = RenderSpec(**(_table(data, "render", _RENDER_KEYS, where, required=True) or {}))
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
    )


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
ORIENTATIONS = ("vertical",)


def _check_values(check: str, params: Mapping[str, Any], where: str, prefix: str) -> None:
    """Values the validator would otherwise trip over at check time, long after the preset was loaded."""
    if check == "aspect" and not _RATIO.match(params["ratio"]):
        raise PresetError(
            f"{where}: {prefix}.ratio: expected 'W:H' with whole numbers (e.g. '9:16'), "
            f"got {params['ratio']!r}",
            _SCHEMA_HINT,
        )
    if check == "orientation" and params["value"] not in ORIENTATIONS:
        raise PresetError(
            f"{where}: {prefix}.value: expected one of {list(ORIENTATIONS)}, got {params['value']!r}",
            _SCHEMA_HINT,
        )
