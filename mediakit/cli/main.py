"""The `mediakit` command group: global options, logging, and the one place errors become exit codes."""

from __future__ import annotations

import importlib
import logging
import signal
import sys
from typing import Any

import click

from mediakit import __version__
from mediakit.cli.output import say_error
from mediakit.errors import EXIT_CODE_HELP, ExitCode, MediakitError

log = logging.getLogger(__name__)

HELP = f"""Spec-checked vertical video for a release: Spotify Canvas and Clips, Apple Music motion artwork,
Reels, TikTok and Shorts, from stills, footage and songs.

\b
Examples:
  mediakit canvas cover.png                 # push-in Canvas -> cover.canvas.mp4
  mediakit canvas live.mov --start 12 --loop pingpong
  mediakit clip live.mov --captions lyrics.srt  # captioned Clip, audio at -14 LUFS
  mediakit kit cover.png --song track.wav --lyrics lyrics.srt --hook 0:42 -o release/  # every asset
  mediakit validate *.mp4                   # check files before you upload
  mediakit validate renders/ --json         # one JSON report for a folder
  mediakit fix exports/ -o fixed/           # repair what fails, with the smallest change
  mediakit preview out.canvas.mp4           # contact sheet, loop wrap and safe zone as a PNG
  mediakit loops live.mov                   # where footage loops most seamlessly
  mediakit batch covers/ -o canvases/       # a whole catalogue, in parallel and resumable
  mediakit captions check lyrics.srt        # line length, reading speed, overlaps
  mediakit presets show canvas              # the rules and their sources
  mediakit doctor                           # which ffmpeg, and what it supports

{EXIT_CODE_HELP}
"""


class Settings:
    """Options given before the command name, passed down to every command."""

    def __init__(self, ffmpeg: str | None, debug: bool) -> None:
        self.ffmpeg = ffmpeg
        self.debug = debug


# Each command's module is imported only when that command runs (or --help lists them all), so
# `mediakit canvas` does not pay for importing the batch, clip and preview machinery. The command
# object in mediakit/cli/NAME.py is named NAME.
_COMMANDS = (
    "validate",
    "fix",
    "presets",
    "doctor",
    "canvas",
    "clip",
    "kit",
    "batch",
    "captions",
    "preview",
    "loops",
)


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in _COMMANDS:
            return None
        command: click.Command = getattr(importlib.import_module(f"mediakit.cli.{cmd_name}"), cmd_name)
        return command


@click.group(
    cls=_LazyGroup,
    help=HELP,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", "-V", prog_name="mediakit")
@click.option(
    "--ffmpeg",
    "ffmpeg",
    metavar="PATH",
    envvar="MEDIAKIT_FFMPEG",
    help="ffmpeg binary to run (default: the one imageio-ffmpeg ships; env MEDIAKIT_FFMPEG).",
)
@click.option("--debug", is_flag=True, help="Verbose logs (ffmpeg commands and output) and tracebacks.")
@click.option("-v", "--verbose", is_flag=True, help="Informational logs on stderr.")
@click.pass_context
def cli(ctx: click.Context, ffmpeg: str | None, debug: bool, verbose: bool) -> None:
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr, force=True
    )
    ctx.obj = Settings(ffmpeg=ffmpeg, debug=debug)


def _on_sigterm(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _click_error(exc: click.ClickException) -> tuple[str, str]:
    """click's own errors (unknown option, missing argument, bad choice) in mediakit's words and format."""
    # click may wrap a long message; it is one sentence, so its lines are joined.
    text = " ".join(line.strip() for line in exc.format_message().splitlines() if line.strip())
    if text[:1].isupper() and text[1:2].islower():
        text = text[0].lower() + text[1:]
    ctx = getattr(exc, "ctx", None)
    command = ctx.command_path if ctx is not None else "mediakit"
    return text.removesuffix("."), f"see '{command} --help'"


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: runs the CLI and maps every outcome to a documented exit code."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        code = cli.main(args=argv, prog_name="mediakit", standalone_mode=False)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.exceptions.NoArgsIsHelpError as exc:
        exc.show()  # a bare `mediakit` (or `mediakit batch`) asks for the help, not for an error
        code = ExitCode.USAGE
    except click.ClickException as exc:
        say_error(*_click_error(exc))
        code = ExitCode.USAGE
    except click.exceptions.Abort:
        click.echo("mediakit: interrupted", err=True)
        code = ExitCode.INTERRUPTED
    except KeyboardInterrupt:
        click.echo("mediakit: interrupted", err=True)
        code = ExitCode.INTERRUPTED
    except MediakitError as exc:
        if debug:
            raise
        say_error(exc.message, exc.hint)
        code = exc.exit_code
    except Exception as exc:  # a bug: still one line unless --debug
        if debug:
            raise
        say_error(f"internal error: {type(exc).__name__}: {exc}", "run with --debug for details")
        code = ExitCode.FAILED
    sys.exit(int(code or 0))
