"""The batch's `fix` jobs: `mediakit fix` run on each file of a folder or manifest, instead of a render.

Fix is not a render kind (mediakit.kinds): it takes any preset (or chooses one per file, as validate
does), reads a finished file and writes the least changed file that passes. Batch runs it through the
same job model, state and report as a render; only the options, the output name and the work differ.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediakit.kinds import common
from mediakit.options import check_fields, option

NAME = "fix"
TITLE = "repair a finished file that fails its preset, with the least destructive change (mediakit fix)"
# Stills are repaired as JPEG, everything else as MP4 (the container every bundled preset wants). A GIF
# is a still to mediakit (an animated one is refused when probed, with the reason), so it is one here too.
STILL_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".gif", ".tif", ".tiff", ".bmp"})


def _suffix_option() -> Any:
    return option(".fixed", "Added to the name of each repaired file.", type="str")


@dataclass(frozen=True)
class FixOptions:
    """What a batch `fix` job may set: the name suffix, the trim start and the framing of a re-render."""

    suffix: str = _suffix_option()
    start: float = common.start()  # where a trimmed file starts (0: the beginning, as `fix` without it)
    fit: str = common.fit()
    focus: tuple[float, float] = common.focus()


def check(options: FixOptions) -> None:
    """Refuse options `mediakit fix` would refuse (bounds, choices, a suffix that is not a name part)."""
    check_fields(options)
    from mediakit.fix.run import check_suffix

    check_suffix(options.suffix)


def output_format(source: Path) -> str:
    """The format fix writes for `source`: "jpg" for a still, "mp4" for a video."""
    return "jpg" if source.suffix.lower() in STILL_SUFFIXES else "mp4"


def output_name(source: Path, options: FixOptions) -> str:
    """`<stem>.fixed.mp4` or `<stem>.fixed.jpg`, as `mediakit fix -o FOLDER` names its outputs (the
    batch names a job before probing it, so a still is known by its extension here)."""
    from mediakit.fix.run import output_name as fixed_name

    return fixed_name(source, "jpeg" if output_format(source) == "jpg" else "mp4", options.suffix)


@dataclass(frozen=True)
class FixRun:
    """One file's fix as the batch reports it: the batch status, the reason and fix's own summary."""

    status: str  # a batch status: ok (fixed or already passing), failed (unfixable or failed)
    reason: str
    wrote: bool
    verdict: str | None
    duration: float | None
    detail: dict[str, Any]


def run(
    source: Path,
    output: Path,
    options: FixOptions,
    preset: str | None,
    ffmpeg_bin: str | None,
    on_step: Callable[[str], None] | None = None,
    threads: int | None = None,
) -> FixRun:
    """Fix `source` into `output` (replacing an older output: the batch state says it is out of date)."""
    from mediakit.fix.run import fix_file

    result = fix_file(
        source,
        preset,
        output=output,
        suffix=options.suffix,
        start=options.start,
        fit=options.fit,
        focus=options.focus,
        overwrite=True,
        ffmpeg_bin=ffmpeg_bin,
        threads=threads,
        on_event=on_step,
    )
    detail = result.as_dict()
    detail.pop("commands", None)  # long; `mediakit fix --dry-run` shows them for one file
    info = result.after.media if result.after is not None else None
    length = round(float(info.duration), 3) if info is not None and info.duration else None
    if result.status == "fixed":
        before_mb, after_mb = result.bytes_in / 1e6, (result.bytes_out or 0) / 1e6
        reason = f"fixed by {detail['class']} ({before_mb:.1f} MB -> {after_mb:.1f} MB), validation"
        verdict = result.after.verdict() if result.after else None
        return FixRun("ok", f"{reason} {verdict}", True, verdict, length, detail)
    if result.status == "passes":
        verdict = result.before.verdict() if result.before else None
        return FixRun("ok", f"{result.message}: nothing to do", False, verdict, None, detail)
    hint = f" (hint: {result.hint})" if result.hint else ""
    # unfixable: "cannot be made to pass RULE: why"; failed: the error that stopped the repair
    what = "" if result.status == "unfixable" else "fix failed: "
    return FixRun("failed", f"{what}{result.message}{hint}", False, None, None, detail)
