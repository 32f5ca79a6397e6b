"""`mediakit validate`: check files and folders against a platform preset (Canvas, Clip, Reels, ...)."""

from __future__ import annotations

import click

from mediakit import __version__
from mediakit.cli.output import emit_json, escape, stdout
from mediakit.errors import EXIT_CODE_HELP, ExitCode

HELP = f"""Check files (or folders, walked recursively) against a platform's specs.

Every broken rule is listed with what was seen, what is expected and how to fix it (--json adds each fix
as data). Without --as the profile is picked from the file by the bundled presets' `chosen_for`: stills and
silent videos are Spotify Canvases, videos with audio Spotify Clips. `mediakit presets list` shows the
others (apple-tall, apple-square, reels, tiktok, shorts).

\b
Examples:
  mediakit validate canvas.mp4
  mediakit validate --as clip renders/
  mediakit validate --as reels hook.mp4
  mediakit validate --as apple-square motion.mp4 --json
  mediakit validate *.mp4 --json > report.json
  mediakit validate --as my-profile.toml video.mp4
  mediakit validate --deep canvas.mp4        # also flashing, cuts, loop seam, blur, loudness

{EXIT_CODE_HELP} With --strict, warnings fail too.
"""

_MARK = {"pass": "[green]✓ pass[/]", "warn": "[yellow]! warn[/]", "fail": "[red]✗ fail[/]"}


@click.command(help=HELP)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option(
    "--as",
    "profile",
    metavar="PRESET|FILE.toml",
    help="Preset to check against: a name, an alias (canvas, clip, reels, ...: mediakit presets list) "
    "or a .toml file (default: chosen per file).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document (schema in the README).")
@click.option("--strict", is_flag=True, help="Treat warnings as failures.")
@click.option(
    "--deep",
    is_flag=True,
    help="Also decode frames and audio: flashing, rapid cuts, loop seam, blur, loudness, black/frozen.",
)
@click.pass_obj
def validate(
    settings: object, paths: tuple[str, ...], profile: str | None, as_json: bool, strict: bool, deep: bool
) -> None:
    from mediakit.preset import resolve
    from mediakit.validate import SCHEMA_VERSION, expand, validate_path

    if profile is not None:
        resolve(profile)  # a bad --as is a usage error before any file is read
    ffmpeg_bin = getattr(settings, "ffmpeg", None)
    reports = [validate_path(p, profile, deep=deep, ffmpeg_bin=ffmpeg_bin) for p in expand(paths)]
    if not reports:
        raise click.UsageError("no media files found in the given folders")
    verdicts = [r.verdict(strict) for r in reports]
    if as_json:
        emit_json(
            {
                "schema_version": SCHEMA_VERSION,
                "mediakit_version": __version__,
                "strict": strict,
                "summary": {v: verdicts.count(v) for v in ("pass", "warn", "fail")},
                "files": [r.as_dict(strict) for r in reports],
            }
        )
    else:
        _print_human(reports, strict)
    raise click.exceptions.Exit(ExitCode.FAILED if "fail" in verdicts else ExitCode.OK)


def _print_human(reports: list, strict: bool) -> None:
    for report in reports:
        verdict = report.verdict(strict)
        profile = f"{report.profile}: {report.profile_reason}" if report.profile else "not checked"
        stdout.print(f"{_MARK[verdict]}  [bold]{escape(report.path)}[/]  [dim]({escape(profile)})[/]")
        for f in report.findings:
            colour = "red" if f.severity == "error" else "yellow"
            stdout.print(
                f"    [{colour}]{f.severity:7}[/] {f.rule:16} {escape(f.message)} [dim]→[/] {escape(f.hint)}"
            )
    counts = [r.verdict(strict) for r in reports]
    stdout.print(
        f"{len(reports)} file(s): {counts.count('pass')} pass, {counts.count('warn')} warn, "
        f"{counts.count('fail')} fail"
    )
