"""Consoles and small printing helpers shared by the commands."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

# Results go to stdout; logs, progress and errors to stderr, so `--json` output stays one clean document.
# No emoji codes: a file name or an ffmpeg map like `0:v:0` would otherwise print as a picture.
stdout = Console(highlight=False, soft_wrap=True, emoji=False)
stderr = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


def emit_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def escape(text: str) -> str:
    """User text for a rich console: markup escaped, and control characters shown as escapes (one line stays
    one line, and a file name cannot send terminal escape sequences)."""
    from rich.markup import escape as _escape

    from mediakit.inputs import printable

    return _escape(printable(text))


def say_error(message: str, hint: str | None) -> None:
    """The one format every error is printed in: `mediakit: error: …` and `  hint: …`, each one line."""
    import click

    from mediakit.inputs import printable

    click.echo(f"mediakit: error: {printable(message)}", err=True)
    if hint:
        click.echo(f"  hint: {printable(hint)}", err=True)
