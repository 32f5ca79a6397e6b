"""The batch job model: one input -> one asset, its render options checked key by key, and folder scans."""

from __future__ import annotations

import dataclasses
import difflib
import fnmatch
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediakit.errors import MediakitError, UsageError
from mediakit.inputs import display, local_file
from mediakit.render.canvas import CanvasOptions
from mediakit.render.clip import ClipOptions
from mediakit.validate import MEDIA_SUFFIXES

KINDS = ("canvas", "clip")
Options = CanvasOptions | ClipOptions
_OPTION_CLASSES: dict[str, type[Any]] = {"canvas": CanvasOptions, "clip": ClipOptions}

# What every render option is, as the manifest and the command line spell it. `threads` is not here: the
# batch sets it from the core count so that parallel jobs do not fight over the cores.
OPTION_TYPES: dict[str, str] = {
    "motion": "str",
    "zoom": "number",
    "fit": "str",
    "focus": "pair",
    "color": "str",
    "loop": "str",
    "crossfade": "number",
    "start": "number",
    "duration": "number",
    "fps": "int",
    "size": "str",
    "crf": "int",
    "x264_preset": "str",
    "format": "str",
    "audio": "path",
    "audio_start": "number",
    "mix": "number",
    "captions": "path",
    "text": "str",
    "at": "pair",
    "caption_style": "str",
    "font": "path",
}
KIND_KEYS: dict[str, frozenset[str]] = {
    kind: frozenset(f.name for f in dataclasses.fields(cls) if f.name != "threads")
    for kind, cls in _OPTION_CLASSES.items()
}
ALL_OPTION_KEYS = KIND_KEYS["canvas"] | KIND_KEYS["clip"]
_AUDIO_SUFFIXES = {".wav", ".mp3", ".m4a", ".aac", ".flac", ".ogg"}
INPUT_SUFFIXES = frozenset(MEDIA_SUFFIXES - _AUDIO_SUFFIXES)
_PAIR_TEXT = re.compile(r"^\s*(-?[\d.]+)\s*[,-]\s*(-?[\d.]+)\s*$")


@dataclass(frozen=True)
class Job:
    """One asset to make; `name` is what reports call it (the relative path, or the manifest's name)."""

    index: int
    name: str
    kind: str
    input: Path
    output: Path
    options: Options

    def files(self) -> dict[str, Path]:
        """Every file the asset is made from, by role: the input plus a clip's track, captions and font."""
        found = {"input": self.input}
        for role in ("audio", "captions", "font"):
            value = getattr(self.options, role, None)
            if value:
                found[role] = Path(value)
        return found

    def options_dict(self) -> dict[str, Any]:
        """The options as plain JSON values (tuples become lists), without the runtime-only `threads`."""
        values = dataclasses.asdict(self.options)
        values.pop("threads", None)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


@dataclass(frozen=True)
class Problem:
    """One reason a job cannot run: which option (None: the job as a whole) and a one-line message."""

    key: str | None
    message: str


def output_suffix(kind: str, options: Options) -> str:
    """`.canvas.mp4`, `.canvas.jpg` or `.clip.mp4`, as `mediakit canvas` / `mediakit clip` name outputs."""
    if kind == "canvas" and getattr(options, "format", "mp4") == "jpg":
        return ".canvas.jpg"
    return f".{kind}.mp4"


def convert_value(key: str, value: Any, base: Path) -> Any:
    """A TOML or command-line value as the options dataclass wants it; raises ValueError with the reason."""
    kind = OPTION_TYPES[key]
    if kind == "str":
        if not isinstance(value, str):
            raise ValueError(f"expected a string, got {_type_name(value)}")
        return value
    if kind == "path":
        if not isinstance(value, str) or not value:
            raise ValueError(f"expected a file path (string), got {_type_name(value)}")
        return os.path.abspath(base / Path(value).expanduser())
    if kind == "int":
        # bool is an int subclass in Python, but `crf = true` is a mistake, not 1.
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected a whole number, got {_type_name(value)}")
        return value
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"expected a number, got {_type_name(value)}")
        return float(value)
    # pair: focus "0.5,0.4" / at "2-6", or a two-number array
    if isinstance(value, str):
        match = _PAIR_TEXT.match(value)
        if not match:
            raise ValueError(
                f"expected two numbers such as {'2-6' if key == 'at' else '0.5,0.4'}, got {value!r}"
            )
        return (float(match[1]), float(match[2]))
    if (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        return (float(value[0]), float(value[1]))
    raise ValueError(f"expected two numbers, got {_type_name(value)}")


def _type_name(value: Any) -> str:
    names = {
        bool: "true/false",
        int: "a whole number",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "a table",
    }
    return next((n for t, n in names.items() if type(value) is t), type(value).__name__)


def unknown_key(key: str, allowed: Iterable[str]) -> str:
    """`unknown key 'durtion' (did you mean 'duration'?)`."""
    close = difflib.get_close_matches(key, sorted(allowed), n=1)
    return f"unknown key {key!r}" + (f" (did you mean {close[0]!r}?)" if close else "")


def _checker(kind: str) -> Any:
    # The renderers' own checks, so a batch refuses exactly what `mediakit canvas` / `clip` would refuse.
    from mediakit.preset import resolve
    from mediakit.render import canvas, clip

    if kind == "canvas":
        profile = resolve("spotify-canvas")

        def check_canvas(opts: Any) -> None:
            canvas.check_options(opts, profile)
            canvas.parse_color(opts.color)

        return check_canvas
    profile = resolve("spotify-clip")

    def check_clip(opts: Any) -> None:
        clip.check_options(opts, profile)
        canvas.parse_color(opts.color)

    return check_clip


def _message(key: str, exc: MediakitError) -> str:
    # "--duration 9 s is outside ..." reads as "duration: 9 s is outside ..." once the key is in front.
    text = re.sub(rf"^--{re.escape(key.replace('_', '-'))} (?=[-\d])", "", exc.message)
    return f"{text} ({exc.hint})" if exc.hint else text


def build_options(kind: str, values: Mapping[str, Any], base: Path) -> tuple[Options | None, list[Problem]]:
    """Options for `kind` from raw values (paths relative to `base`), with every problem found, key by key."""
    if kind not in KINDS:
        return None, [Problem("kind", f"unknown kind {kind!r} (choose canvas or clip)")]
    problems: list[Problem] = []
    converted: dict[str, Any] = {}
    for key, value in values.items():
        if key not in ALL_OPTION_KEYS:
            problems.append(Problem(key, unknown_key(key, ALL_OPTION_KEYS)))
        elif key not in KIND_KEYS[kind]:
            other = next(k for k in KINDS if k != kind)
            problems.append(Problem(key, f"applies to a {other}, not a {kind}"))
        else:
            try:
                converted[key] = convert_value(key, value, base)
            except ValueError as exc:
                problems.append(Problem(key, str(exc)))
    default = _OPTION_CLASSES[kind]()
    check = _checker(kind)
    # `at` is only allowed with `text`, so `text` is part of the ground every single value is checked on.
    ground = dataclasses.replace(default, **{k: v for k, v in converted.items() if k == "text"})
    for key, value in list(converted.items()):
        # Each value alone on top of the defaults, so every bad value is named, not just the first.
        try:
            if OPTION_TYPES[key] == "path":
                local_file(value)
            else:
                check(dataclasses.replace(ground, **{key: value}))
        except MediakitError as exc:
            problems.append(Problem(key, _message(key, exc)))
            del converted[key]
    options = dataclasses.replace(default, **converted)
    if not problems:
        try:  # combinations: --captions with --text, --at without --text, ...
            check(options)
        except MediakitError as exc:
            problems.append(Problem(None, _message("", exc)))
    return (None if problems else options), problems


def check_input(path: Path) -> Problem | None:
    """Whether the input exists and is a readable regular file (its content is checked when it renders)."""
    try:
        local_file(path)
    except MediakitError as exc:
        return Problem("input", exc.message)
    return None


def _matches(rel: str, patterns: Iterable[str]) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(name, p) for p in patterns)


def scan(src: Path, out: Path, include: Iterable[str] = (), exclude: Iterable[str] = ()) -> list[Path]:
    """Images and videos under `src` (recursive, sorted, hidden ones and the `out` tree skipped), filtered.

    A glob matches the path relative to `src` (`*` also crosses `/`) or the file name alone.
    """
    include, exclude = tuple(include), tuple(exclude)
    skip = os.path.realpath(out)
    found: list[Path] = []
    for root, dirs, files in os.walk(src):
        dirs[:] = sorted(
            d for d in dirs if not d.startswith(".") and os.path.realpath(os.path.join(root, d)) != skip
        )
        for name in sorted(files):
            path = Path(root) / name
            rel = path.relative_to(src).as_posix()
            if name.startswith(".") or path.suffix.lower() not in INPUT_SUFFIXES:
                continue
            if (include and not _matches(rel, include)) or _matches(rel, exclude):
                continue
            found.append(path)
    return sorted(found, key=lambda p: p.relative_to(src).as_posix())


def folder_jobs(src: Path, out: Path, kind: str, options: Options, inputs: Iterable[Path]) -> list[Job]:
    """One job per input: SRC/a/b.png -> OUT/a/b.canvas.mp4 (the relative layout is kept)."""
    jobs = []
    for index, path in enumerate(inputs, start=1):
        rel = path.relative_to(src)
        output = out / rel.parent / (rel.stem + output_suffix(kind, options))
        jobs.append(Job(index, rel.as_posix(), kind, path.absolute(), output.absolute(), options))
    return jobs


def duplicate_outputs(jobs: Iterable[Job]) -> dict[int, Job]:
    """Jobs whose output an earlier job already makes (index -> the earlier job)."""
    first: dict[Path, Job] = {}
    clashes: dict[int, Job] = {}
    for job in jobs:
        if job.output in first:
            clashes[job.index] = first[job.output]
        else:
            first[job.output] = job
    return clashes


def refuse_same_folder(src: Path, out: Path) -> None:
    """OUT may sit inside SRC (it is skipped when scanning) but must not be SRC itself."""
    if os.path.realpath(src) == os.path.realpath(out):
        raise UsageError(
            f"{display(out)}: the output folder is the source folder",
            "choose another -o folder (it may be inside the source folder)",
        )
