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

from mediakit import kinds
from mediakit.batch import fixjob
from mediakit.errors import MediakitError, UsageError
from mediakit.inputs import display, local_file
from mediakit.options import Spec, convert, specs
from mediakit.validate import MEDIA_SUFFIXES

# The render kinds, and `fix` (mediakit fix on each file: see fixjob).
KINDS = (*kinds.names(), fixjob.NAME)
Options = Any  # an options dataclass of one of the kinds


def options_class(kind: str) -> type[Any]:
    """The options dataclass of a batch kind."""
    return fixjob.FixOptions if kind == fixjob.NAME else kinds.get(kind).options


def default_preset(kind: str) -> str | None:
    """The preset a job of `kind` uses when none is given (None: fix chooses one per file)."""
    return None if kind == fixjob.NAME else kinds.get(kind).default_preset


# Every option a manifest may set, by kind, from the kinds' options dataclasses. `threads` is not one: the
# batch sets it from the core count so that parallel jobs do not fight over the cores.
KIND_SPECS: dict[str, dict[str, Spec]] = {
    name: {s.name: s for s in specs(options_class(name)) if s.batch} for name in KINDS
}
KIND_KEYS: dict[str, frozenset[str]] = {kind: frozenset(found) for kind, found in KIND_SPECS.items()}
ALL_OPTION_KEYS = frozenset().union(*KIND_KEYS.values())
_AUDIO_SUFFIXES = {".wav", ".mp3", ".m4a", ".aac", ".flac", ".ogg"}
INPUT_SUFFIXES = frozenset(MEDIA_SUFFIXES - _AUDIO_SUFFIXES)


def option_spec(key: str) -> Spec:
    """The one declaration of an option key (the same in every kind that has it)."""
    return next(found[key] for found in KIND_SPECS.values() if key in found)


@dataclass(frozen=True)
class Job:
    """One asset to make; `name` is what reports call it (the relative path, or the manifest's name)."""

    index: int
    name: str
    kind: str
    input: Path
    output: Path
    options: Options
    preset: str | None = None  # None: the kind's own preset

    def files(self) -> dict[str, Path]:
        """Every file the asset is made from, by role: the input plus a clip's track, captions and font."""
        found = {"input": self.input}
        if self.kind == fixjob.NAME:
            return found
        for role, value in kinds.get(self.kind).impl().files(self.options).items():
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


def output_suffix(kind: str, options: Options, preset: str | None = None) -> str:
    """`.canvas.mp4`, `.canvas.jpg`, `.clip.mp4` or `.PRESET.mp4`, as the render commands name outputs."""
    from mediakit.preset import resolve

    k = kinds.get(kind)
    # The preset's own name (a user's file is named by its `name`, never by its path).
    return k.suffix(options, resolve(preset).name if preset else k.default_preset)


def convert_value(key: str, value: Any, base: Path) -> Any:
    """A TOML or command-line value as the options dataclass wants it; raises ValueError with the reason."""
    return convert(option_spec(key), value, base)


def unknown_key(key: str, allowed: Iterable[str]) -> str:
    """`unknown key 'durtion' (did you mean 'duration'?)`."""
    close = difflib.get_close_matches(key, sorted(allowed), n=1)
    return f"unknown key {key!r}" + (f" (did you mean {close[0]!r}?)" if close else "")


def _checker(kind: str, preset: str | None) -> Any:
    # The renderers' own checks, so a batch refuses exactly what `mediakit canvas` / `clip` would refuse.
    from mediakit.preset import resolve

    if kind == fixjob.NAME:
        if preset is not None:
            resolve(preset)  # any kind's preset: fix repairs for it; a bad one is refused here
        return fixjob.check
    k = kinds.get(kind)
    profile = resolve(preset or k.default_preset)
    impl = k.impl()

    def check(opts: Any) -> None:
        impl.check_options(opts, profile)

    return check


def _message(key: str, exc: MediakitError) -> str:
    # "--duration 9 s is outside ..." reads as "duration: 9 s is outside ..." once the key is in front.
    text = re.sub(rf"^--{re.escape(key.replace('_', '-'))} (?=[-\d])", "", exc.message)
    return f"{text} ({exc.hint})" if exc.hint else text


def build_options(
    kind: str, values: Mapping[str, Any], base: Path, preset: str | None = None
) -> tuple[Options | None, list[Problem]]:
    """Options for `kind` from raw values (paths relative to `base`), with every problem found, key by key."""
    if kind not in KINDS:
        return None, [Problem("kind", f"unknown kind {kind!r} (choose {' or '.join(KINDS)})")]
    problems: list[Problem] = []
    converted: dict[str, Any] = {}
    for key, value in values.items():
        if key not in ALL_OPTION_KEYS:
            problems.append(Problem(key, unknown_key(key, ALL_OPTION_KEYS)))
        elif key not in KIND_KEYS[kind]:
            others = " or ".join(k for k in KINDS if key in KIND_KEYS[k])
            problems.append(Problem(key, f"applies to a {others}, not a {kind}"))
        else:
            try:
                converted[key] = convert_value(key, value, base)
            except ValueError as exc:
                problems.append(Problem(key, str(exc)))
    default = options_class(kind)()
    try:
        check = _checker(kind, preset)
    except MediakitError as exc:
        return None, [Problem("preset", _message("preset", exc))]
    # `at` is only allowed with `text`, so `text` is part of the ground every single value is checked on.
    ground = dataclasses.replace(default, **{k: v for k, v in converted.items() if k == "text"})
    for key, value in list(converted.items()):
        # Each value alone on top of the defaults, so every bad value is named, not just the first.
        try:
            if KIND_SPECS[kind][key].type == "path":
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


def output_name(kind: str, source: Path, options: Options, preset: str | None = None) -> str:
    """The output's file name: `b.canvas.mp4` for a render of b.png, `b.fixed.mp4` for a fix of b.mov."""
    if kind == fixjob.NAME:
        return fixjob.output_name(source, options)
    return source.stem + output_suffix(kind, options, preset)


def folder_jobs(
    src: Path, out: Path, kind: str, options: Options, inputs: Iterable[Path], preset: str | None = None
) -> list[Job]:
    """One job per input: SRC/a/b.png -> OUT/a/b.canvas.mp4 (the relative layout is kept)."""
    jobs = []
    for index, path in enumerate(inputs, start=1):
        rel = path.relative_to(src)
        output = out / rel.parent / output_name(kind, rel, options, preset)
        jobs.append(Job(index, rel.as_posix(), kind, path.absolute(), output.absolute(), options, preset))
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
