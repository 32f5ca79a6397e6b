"""`mediakit fix`: repair files that fail a platform's specs with the smallest change, and re-check them."""

from __future__ import annotations

import os
import types
from pathlib import Path
from typing import TYPE_CHECKING

import click

from mediakit import __version__
from mediakit.cli.output import emit_json, escape, say_error, stdout
from mediakit.errors import EXIT_CODE_HELP, ExitCode, UsageError
from mediakit.rendering.framing import FITS

if TYPE_CHECKING:
    from mediakit.fix.run import FixResult

HELP = f"""Repair files that fail a platform's specs, with the least destructive change, and prove it.

Each file is checked (as `validate` checks it, plus its loudness); each finding gets the smallest repair
that fixes it, per stream: keep the packets → rewrap (container, index at the front, dropped audio or
data tracks, colour tags) → lossless trim (a cut that needs no re-encode) → smart cut (only the frames
at the cut re-encoded) → re-encode that stream alone (video for codec, rate or size cap; audio alone
for loudness). Geometry (landscape, square, too small) is re-rendered with --fit/--focus. The result is
checked against the same preset before it is written; a file that cannot be made to pass says which
rule and why, and nothing is written. Inputs are never modified. Without -o the repaired file is
written beside the input as NAME.fixed.mp4 (or .jpg).

\b
Examples:
  mediakit fix canvas.mov                    # -> canvas.fixed.mp4 beside it
  mediakit fix loop.mp4 --as canvas --dry-run  # what it would do, and the commands
  mediakit fix exports/ -o fixed/ --json     # a whole folder, one JSON report
  mediakit fix wide.mp4 --as clip --fit crop --focus 0.3,0.5
  mediakit fix long.mp4 --as canvas --start 2.5  # trim from 2.5 s

{EXIT_CODE_HELP} A file that is not repaired (it cannot pass, or repairing failed) exits 1; files that
already pass are left alone (exit 0).
"""

_MARK = {
    "fixed": "[green]✓ fixed[/]",
    "passes": "[green]✓ passes[/]",
    "planned": "[cyan]• plan[/]",
    "unfixable": "[red]✗ cannot fix[/]",
    "failed": "[red]✗ failed[/]",
}


def _focus(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[float, float] | None:
    if value is None:
        return None
    try:
        x_text, y_text = value.split(",")
        x, y = float(x_text), float(y_text)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not X,Y (e.g. 0.5,0.3)") from None
    if not (0 <= x <= 1 and 0 <= y <= 1):
        raise click.BadParameter(f"{value!r}: X and Y go from 0 to 1 (e.g. 0.5,0.3)")
    return x, y


@click.command(help=HELP)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option(
    "--as",
    "profile",
    metavar="PRESET|FILE.toml",
    help="Preset to repair for: a name, an alias or a .toml (default: chosen per file, as validate does).",
)
@click.option(
    "-o",
    "--output",
    metavar="PATH",
    help="Output file for one input; a folder (created if missing) for several inputs, a folder input, "
    "an existing folder or a path ending in /.",
)
@click.option(
    "--suffix", default=".fixed", show_default=True, help="Added to the name of each repaired file."
)
@click.option(
    "--start",
    type=click.FloatRange(min=0.0),
    default=None,
    metavar="SECONDS",
    help="Where a trimmed file starts (default: 0; the end is chosen by the content).",
)
@click.option(
    "--fit",
    type=click.Choice(FITS),
    default="auto",
    show_default=True,
    help="How a picture of the wrong shape is re-framed (as for canvas and clip; smart: footage is cropped "
    "on a path that follows its subject).",
)
@click.option(
    "--focus", callback=_focus, metavar="X,Y", help="Point kept in frame when cropping (default 0.5,0.5)."
)
@click.option(
    "--deep", is_flag=True, help="Also run every deep check (flashing, cuts, blur, ...) before and after."
)
@click.option("--dry-run", is_flag=True, help="Print the plan and the commands; write nothing.")
@click.option("--overwrite", "-y", is_flag=True, help="Replace outputs that exist.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
@click.pass_obj
def fix(
    settings: object,
    paths: tuple[str, ...],
    profile: str | None,
    output: str | None,
    suffix: str,
    start: float | None,
    fit: str,
    focus: tuple[float, float] | None,
    deep: bool,
    dry_run: bool,
    overwrite: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    from mediakit.cli.progress import step_progress
    from mediakit.fix.run import FixResult as FixResultType
    from mediakit.fix.run import check_suffix, fix_file, output_for
    from mediakit.inputs import display
    from mediakit.preset import resolve
    from mediakit.validate import SCHEMA_VERSION, expand

    preset = resolve(profile) if profile is not None else None  # a bad --as fails before any file is read
    try:
        check_suffix(suffix)
    except UsageError as exc:
        raise click.BadParameter(exc.message, param_hint="--suffix") from None
    out_path = Path(output).absolute() if output else None
    many = len(paths) > 1 or any(Path(p).is_dir() for p in paths)
    # -o names a folder with several inputs, or when it is one already (or is written as one: `out/`).
    to_folder = out_path is not None and (many or out_path.is_dir() or (output or "").endswith(("/", os.sep)))
    if to_folder and out_path is not None and out_path.exists() and not out_path.is_dir():
        raise click.BadParameter("with several files -o names a folder", param_hint="-o")
    files = [f for f in expand(paths) if not _own_output(f, suffix, out_path if to_folder else None)]
    if not files:
        raise click.UsageError("no media files found in the given folders")
    root = Path(paths[0]).absolute() if len(paths) == 1 and Path(paths[0]).is_dir() else None
    ffmpeg_bin = getattr(settings, "ffmpeg", None)
    # Two inputs that would write one output (song.mkv and song.mov): the second is refused, as batch does.
    claimed: dict[Path, Path] = {}
    clashes: dict[Path, Path] = {}
    for path in files:
        name = output_for(
            path.absolute(),
            "mp4",
            output=None if to_folder else out_path,
            out_dir=out_path if to_folder else None,
            suffix=suffix,
            root=root,
        ).with_suffix("")
        if name in claimed:
            clashes[path] = claimed[name]
        claimed.setdefault(name, path)
    results = []
    for path in files:
        if path in clashes:
            result = FixResultType(
                display(path.absolute()),
                "failed",
                preset.name if preset else None,
                None,
                message=f"would write the same output as {display(clashes[path])}",
                hint="rename one of them, or fix them one at a time with -o",
                exit_code=1,
            )
            results.append(result)
            if not as_json:
                _print(result)
            continue
        with step_progress(f"fix {path.name}", not (quiet or as_json)) as progress:

            def event(step: str, progress: object = progress) -> None:
                if progress is not None:
                    progress(types.SimpleNamespace(step=step, fraction=None))  # type: ignore[operator]

            result = fix_file(
                path,
                preset,
                output=None if to_folder else out_path,
                out_dir=out_path if to_folder else None,
                root=root,
                suffix=suffix,
                start=start,
                fit=fit,
                focus=focus or (0.5, 0.5),
                deep=deep,
                dry_run=dry_run,
                overwrite=overwrite,
                ffmpeg_bin=ffmpeg_bin,
                on_event=event,
            )
        results.append(result)
        if not as_json:
            _print(result)
    statuses = [r.status for r in results]
    if as_json:
        emit_json(
            {
                "schema_version": SCHEMA_VERSION,
                "mediakit_version": __version__,
                "dry_run": dry_run,
                "summary": {
                    s: statuses.count(s) for s in ("fixed", "passes", "planned", "unfixable", "failed")
                },
                "files": [r.as_dict() for r in results],
            }
        )
    else:
        counts = ", ".join(f"{statuses.count(s)} {s}" for s in _MARK if statuses.count(s))
        stdout.print(f"{len(results)} file(s): {counts}")
    failed = [r for r in results if r.status in ("unfixable", "failed")]
    codes = {r.exit_code for r in failed}
    if not failed:
        code = ExitCode.OK
    elif len(codes) == 1 and len(results) == 1:
        code = ExitCode(next(iter(codes)) or ExitCode.FAILED)
    else:
        code = ExitCode.FAILED
    raise click.exceptions.Exit(code)


def _own_output(path: Path, suffix: str, out_dir: Path | None) -> bool:
    """A file an earlier `mediakit fix` wrote (inside the -o folder, or named `*<suffix>.*`): a rerun leaves
    it alone instead of repairing the repair."""
    if out_dir is not None and path.absolute().is_relative_to(out_dir):
        return True
    return path.stem.endswith(suffix)


def _print(r: FixResult) -> None:
    stdout.print(f"{_MARK[r.status]}  [bold]{escape(r.path)}[/]  [dim]({escape(r.preset or 'no preset')})[/]")
    for a in r.actions:
        f = a.finding
        colour = "red" if f.severity == "error" else "yellow"
        if a.repair is not None:
            what = f"[cyan]{a.repair}[/]: {escape(a.does)}"
        else:
            what = f"[red]no repair[/]: {escape(a.why_not)}"
        stdout.print(f"    [{colour}]{f.rule:16}[/] {escape(f.message)} [dim]→[/] {what}")
    for note in r.notes:
        stdout.print(f"    [dim]note: {escape(note)}[/]")
    if r.status == "planned":
        stdout.print(f"    [dim]would write[/] {escape(str(r.output))}")
        for command in r.commands:
            stdout.print(f"    [dim]$[/] {escape(command)}")
    elif r.status == "fixed":
        after = r.after.verdict() if r.after else "?"
        change = f"{r.bytes_in / 1e6:.1f} MB → {(r.bytes_out or 0) / 1e6:.1f} MB"
        stdout.print(
            f"    [dim]wrote[/] {escape(str(r.output))} [dim]({change}, {r.seconds:.1f} s; after: {after})[/]"
        )
        for f in r.after.findings if r.after else ():
            stdout.print(f"    [yellow]still {f.severity}[/] {f.rule}: {escape(f.message)}")
    elif r.status == "passes":
        stdout.print(f"    [dim]{escape(r.message)}[/]")
    else:
        say_error(f"{r.path}: {r.message}", r.hint)
