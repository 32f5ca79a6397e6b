"""Progress on stderr: a bar naming the step when stderr is a terminal, else one line per step (for logs
and CI); nothing with --quiet or --json. The library emits events; only this module draws them."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

from mediakit.cli.output import escape, stderr


@contextlib.contextmanager
def step_progress(label: str, enabled: bool) -> Iterator[Callable[[Any], None] | None]:
    """A callback for pipeline events (`.step`, `.fraction`), drawn as `label: step` plus a bar."""
    if not enabled:
        yield None
        return
    if not sys.stderr.isatty():
        last: list[str] = []

        def line(event: Any) -> None:
            if not last or last[-1] != event.step:
                last.append(event.step)
                stderr.print(f"{escape(label)}: {escape(event.step)}", highlight=False)

        yield line
        return
    from rich.progress import BarColumn, TaskProgressColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    with Bar(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
    ) as bar:
        task = bar.add_task(f"{escape(label)}: starting", total=None)

        def update(event: Any) -> None:
            fraction = getattr(event, "fraction", None)
            bar.update(
                task,
                description=f"{escape(label)}: {escape(event.step)}",
                total=100 if fraction is not None else None,
                completed=(fraction or 0) * 100,
            )

        yield update
