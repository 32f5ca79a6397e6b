"""Output paths and atomic writes: a temp file beside the destination, renamed only on success."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from mediakit.errors import OutputError
from mediakit.inputs import display


def default_output(source: Path, suffix: str) -> Path:
    """`<stem><suffix>` next to the input, e.g. cover.png -> cover.canvas.mp4."""
    return source.with_name(source.stem + suffix)


def check_output(output: Path, source: Path, overwrite: bool) -> Path:
    """The absolute output path, refused if it is the input or exists without `overwrite`."""
    out = Path(os.path.abspath(output))
    if out == source or (out.exists() and source.exists() and os.path.samefile(out, source)):
        raise OutputError(f"{display(out)}: the output would replace the input", "choose another -o path")
    if out.exists() and not overwrite:
        raise OutputError(f"{display(out)} already exists", "pass --overwrite to replace it")
    if out.exists() and not out.is_file():
        raise OutputError(f"{display(out)} exists and is not a file")
    if not out.parent.is_dir():
        raise OutputError(f"{display(out.parent)}: no such folder", "create it first")
    if not os.access(out.parent, os.W_OK):
        raise OutputError(f"{display(out.parent)}: not writable")
    return out


@contextlib.contextmanager
def atomic_output(output: Path) -> Iterator[Path]:
    """Yield a temp path in the destination folder; on success it replaces `output`, on failure it goes."""
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{output.stem[:40]}.", suffix=f".part{output.suffix}", dir=output.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # mkstemp makes the file private (0600); give the output the mode any new file would get.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, output)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
