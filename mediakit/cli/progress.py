"""A progress bar on stderr for ffmpeg runs (only when stderr is a terminal and output is not quiet/JSON)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

from mediakit.ffmpeg.runner import Progress


@contextlib.contextmanager
def progress_bar(
    label: str, total_seconds: float | None, enabled: bool
) -> Iterator[Callable[[Progress], None] | None]:
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, TaskProgressColumn, TextColumn, TimeRemainingColumn
    from rich.progress import Progress as Bar

    from mediakit.cli.output import stderr

    with Bar(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        console=stderr,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total_seconds or None)

        def update(p: Progress) -> None:
            bar.update(task, completed=total_seconds if p.done else min(p.out_seconds, total_seconds or 0))

        yield update
