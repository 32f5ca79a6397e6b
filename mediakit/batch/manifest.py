"""Batch manifests (`jobs.toml`): `[defaults]` and `[[job]]` tables; every problem found before any render."""

from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediakit.batch import fixjob
from mediakit.batch.jobs import (
    ALL_OPTION_KEYS,
    KIND_KEYS,
    KINDS,
    Job,
    build_options,
    check_input,
    convert_value,
    duplicate_outputs,
    output_name,
    unknown_key,
)
from mediakit.errors import UsageError
from mediakit.inputs import display
from mediakit.rendering.output import suffix_problem

log = logging.getLogger(__name__)

TOP_KEYS = ("out", "defaults", "job")
JOB_KEYS = ("name", "input", "output", "kind", "preset")


class ManifestError(UsageError):
    """A manifest has problems: `problems` lists every one of them, one line each."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
        super().__init__(
            f"{display(path)}: {count} in the manifest; nothing was rendered",
            "fix them and run the batch again",
        )
        self.problems = problems


@dataclass(frozen=True)
class Manifest:
    path: Path
    out: Path
    jobs: list[Job]


class _Problems:
    """Collects `where key: message` lines, once each (a bad default would otherwise repeat per job)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, where: str, key: str | None, message: str) -> None:
        line = f"{where} {key}: {message}" if key else f"{where}: {message}"
        if line not in self.lines:
            self.lines.append(line)


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{display(path)}: no such manifest", "check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(
            f"{display(path)}: cannot be read ({exc})", "the manifest must be readable UTF-8 TOML"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(path, [f"not valid TOML: {exc}"]) from None


def load_manifest(path: str | os.PathLike[str], out: Path | None = None) -> Manifest:
    """Jobs from a manifest (paths relative to its folder); raises ManifestError listing every problem."""
    path = Path(os.path.abspath(path))
    base = path.parent
    data = _read(path)
    problems = _Problems()
    for key in data:
        if key not in TOP_KEYS:
            problems.add("top level", key, unknown_key(key, TOP_KEYS))
    out = _out_folder(data.get("out"), out, base, problems)
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        problems.add("top level", "defaults", "expected a [defaults] table")
        defaults = {}
    _check_defaults(defaults, base, problems)
    raw_jobs = data.get("job", [])
    if not isinstance(raw_jobs, list) or not all(isinstance(j, dict) for j in raw_jobs):
        problems.add("top level", "job", "expected [[job]] tables")
        raw_jobs = []
    elif not raw_jobs:
        problems.add("top level", None, "no [[job]] tables: add one per asset to render")
    jobs = [job for i, raw in enumerate(raw_jobs, 1) if (job := _job(i, raw, defaults, base, out, problems))]
    by_index = {job.index: job for job in jobs}
    for index, first in duplicate_outputs(jobs).items():
        clash = by_index[index]
        problems.add(
            _label(index, clash.name),
            "output",
            f"{display(clash.output)} is also the output of {_label(first.index, first.name)}",
        )
    if problems.lines:
        raise ManifestError(path, problems.lines)
    log.info("%s: %d jobs", path, len(jobs))
    return Manifest(path, out, jobs)


def _out_folder(value: Any, given: Path | None, base: Path, problems: _Problems) -> Path:
    if value is not None and not isinstance(value, str):
        problems.add("top level", "out", "expected a folder path (string)")
    if given is not None:
        return Path(os.path.abspath(given))
    if isinstance(value, str) and value:
        return Path(os.path.abspath(base / value))
    problems.add("top level", "out", 'no output folder: pass -o OUT, or set out = "renders" at the top')
    return base


def _check_defaults(defaults: dict[str, Any], base: Path, problems: _Problems) -> None:
    for key, value in defaults.items():
        if key in ("name", "input", "output"):
            problems.add("[defaults]", key, "belongs in each [[job]], not in [defaults]")
        elif key == "kind":
            if value not in KINDS:
                problems.add("[defaults]", key, f"unknown kind {value!r} (choose {' or '.join(KINDS)})")
        elif key == "preset":
            if _preset_kind(_preset_path(value, base)) is None:
                problems.add("[defaults]", key, _preset_problem(_preset_path(value, base)))
        elif key not in ALL_OPTION_KEYS:
            problems.add("[defaults]", key, unknown_key(key, (*ALL_OPTION_KEYS, "kind", "preset")))
        else:
            try:
                convert_value(key, value, base)
            except ValueError as exc:
                problems.add("[defaults]", key, str(exc))


def _label(index: int, name: str) -> str:
    return f"job {index} ({name})"


def _job(
    index: int, raw: dict[str, Any], defaults: dict[str, Any], base: Path, out: Path, problems: _Problems
) -> Job | None:
    name = raw.get("name")
    given_input = raw.get("input")
    if name is None or not isinstance(name, str):
        name = given_input if isinstance(given_input, str) and given_input else f"#{index}"
    where = _label(index, name)
    ok = True
    for key in raw:
        if key not in JOB_KEYS and key not in ALL_OPTION_KEYS:
            problems.add(where, key, unknown_key(key, (*JOB_KEYS, *ALL_OPTION_KEYS)))
            ok = False
    for key in ("name", "output"):
        if key in raw and not (isinstance(raw[key], str) and raw[key]):
            problems.add(where, key, "expected a string")
            ok = False
    preset = _preset_path(raw.get("preset", defaults.get("preset")), base)
    preset_kind = _preset_kind(preset) if preset is not None else None
    if preset is not None and preset_kind is None:
        if "preset" in raw:  # a bad default preset is reported once, under [defaults]
            problems.add(where, "preset", _preset_problem(preset))
        return None
    kind = raw.get("kind", defaults.get("kind", preset_kind or "canvas"))
    if kind not in KINDS:
        if "kind" in raw:  # a bad default kind is reported once, under [defaults]
            problems.add(where, "kind", f"unknown kind {kind!r} (choose {' or '.join(KINDS)})")
        return None
    # A fix repairs for any preset, whatever its kind; a render makes its preset's kind.
    if preset_kind is not None and preset_kind != kind and kind != fixjob.NAME:
        problems.add(where, "preset", f"{preset} is a {preset_kind} preset, not a {kind} one")
        return None
    source: Path | None = None
    if not isinstance(given_input, str) or not given_input:
        problems.add(where, "input", 'missing: every [[job]] needs input = "path/to/file"')
        ok = False
    else:
        source = Path(os.path.abspath(base / Path(given_input).expanduser()))
        missing = check_input(source)
        if missing:
            problems.add(where, "input", missing.message)
            ok = False
    # Defaults apply to the jobs of the kinds that have them (e.g. `loop` only to canvases).
    origin = {k: "[defaults]" for k in defaults if k in KIND_KEYS[kind]}
    values = {k: v for k, v in defaults.items() if k in KIND_KEYS[kind]}
    for key, value in raw.items():
        if key in ALL_OPTION_KEYS:
            values[key], origin[key] = value, where
    options, option_problems = build_options(kind, values, base, preset)
    for problem in option_problems:
        problems.add(origin.get(problem.key or "", where), problem.key, problem.message)
    if options is None or source is None or not ok:
        return None
    if isinstance(raw.get("output"), str):
        output = Path(os.path.abspath(base / Path(raw["output"]).expanduser()))
        # Checked here too, so a manifest with a wrong name is refused before any job renders.
        # (named as the manifest names it, so the fitting name is one to write there)
        written = fixjob.output_format(source) if kind == fixjob.NAME else getattr(options, "format", "mp4")
        wrong = suffix_problem(Path(raw["output"]), written)
        if wrong:
            problems.add(where, "output", f"{wrong[0]} (name it {wrong[1]})")
            return None
    else:
        output = out / output_name(kind, source, options, preset)
    return Job(index, name, kind, source, output, options, preset)


def _preset_path(value: Any, base: Path) -> Any:
    """A preset given as a .toml path is relative to the manifest's folder, like every path in it."""
    if isinstance(value, str) and (value.endswith(".toml") or "/" in value or os.sep in value):
        return os.path.abspath(base / Path(value).expanduser())
    return value


def _preset_kind(name: Any) -> str | None:
    """The kind of the preset `name` (a bundled name, an alias or a .toml path), or None if it cannot load."""
    from mediakit.errors import MediakitError
    from mediakit.preset import resolve

    if not isinstance(name, str) or not name:
        return None
    try:
        return resolve(name).kind
    except MediakitError:
        return None


def _preset_problem(name: Any) -> str:
    from mediakit.errors import MediakitError
    from mediakit.preset import resolve

    if not isinstance(name, str) or not name:
        return "expected a preset name or a .toml path (string)"
    try:
        resolve(name)
    except MediakitError as exc:
        return f"{exc.message} ({exc.hint})" if exc.hint else exc.message
    return "cannot be used"
