"""Output paths and atomic writes: a temp file beside the destination, renamed only on success."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from mediakit.errors import OutputError, UsageError
from mediakit.inputs import display


def default_output(source: Path, suffix: str) -> Path:
    """`<stem><suffix>` next to the input, e.g. cover.png -> cover.canvas.mp4."""
    return source.with_name(source.stem + suffix)


# The names each written format may have: a player or uploader goes by the name, so an MP4 named out.gif is
# a broken file to them.
SUFFIXES = {"mp4": (".mp4", ".m4v"), "jpg": (".jpg", ".jpeg"), "png": (".png",)}
_WRITTEN = {"mp4": "an MP4 video", "jpg": "a JPEG still", "png": "a PNG image"}
# Extensions a corrected name replaces; any other ending (cover.canvas) keeps its part and gets one added.
_MEDIA_SUFFIXES = {".gif", ".webp", ".webm", ".mov", ".mkv", ".avi", ".apng", ".tif", ".tiff", ".bmp"}


def suffix_problem(output: Path, fmt: str) -> tuple[str, str] | None:
    """(message, a fitting name) when `output` is a wrong name for a `fmt` file ("mp4", "jpg", "png")."""
    allowed = SUFFIXES[fmt]
    suffix = output.suffix.lower()
    if suffix in allowed:
        return None
    known = suffix in _MEDIA_SUFFIXES or any(suffix in names for names in SUFFIXES.values())
    fixed = output.with_suffix(allowed[0]) if known else output.with_name(output.name + allowed[0])
    if known and output.with_suffix("").suffix.lower() in allowed:  # out.mp4.gif: out.mp4, not out.mp4.mp4
        fixed = output.with_suffix("")
    what = f"ends in {output.suffix}" if output.suffix else "has no extension"
    return (
        f"{display(output)} {what}, but the file written is {_WRITTEN[fmt]}",
        display(fixed),
    )


def check_output(output: Path, source: Path, overwrite: bool, fmt: str | None = None) -> Path:
    """The absolute output path, refused if it is the input, exists without `overwrite`, or (given the
    format written, "mp4", "jpg" or "png") has another format's extension."""
    out = Path(os.path.abspath(output))
    if out == source or (out.exists() and source.exists() and os.path.samefile(out, source)):
        raise OutputError(f"{display(out)}: the output would replace the input", "choose another -o path")
    if out.exists() and not overwrite:
        raise OutputError(f"{display(out)} already exists", "pass --overwrite to replace it")
    if out.exists() and not out.is_file():
        raise OutputError(f"{display(out)} exists and is not a file", "choose another -o path")
    if not out.parent.is_dir():
        raise OutputError(f"{display(out.parent)}: no such folder", "create it first")
    if not os.access(out.parent, os.W_OK):
        raise OutputError(f"{display(out.parent)}: not writable", "choose a folder you can write to")
    if fmt is not None:  # after the refusals that protect files: "would replace the input" says more
        check_suffix(out, fmt)
    return out


def check_suffix(output: Path, fmt: str) -> None:
    """Raise a UsageError naming the fitting name when `output` is a wrong name for a `fmt` file."""
    problem = suffix_problem(output, fmt)
    if problem:
        raise UsageError(problem[0], f"name it {SUFFIXES[fmt][0]}: -o {problem[1]}")


def make_folder(out: Path) -> None:
    """Create an output folder (and its parents), refused in one line when that cannot be done."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{display(out)}: exists and is not a folder", "choose another -o folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"{display(out)}: cannot create the output folder ({exc.strerror})", "choose another -o folder"
        ) from None


def part_path(output: Path) -> Path:
    """The temp name a render writes before it is validated and renamed: `.cover.canvas.part.mp4`."""
    return output.with_name(f".{output.stem[:60]}.part{output.suffix}")


@contextlib.contextmanager
def atomic_output(output: Path) -> Iterator[Path]:
    """Yield a temp path in the destination folder; on success it replaces `output`, on failure it goes.

    The temp path is `part_path(output)` (what --dry-run shows) unless that name is taken (a render of the
    same output running, or one killed outright); then a unique name beside it.
    """
    tmp = part_path(output)
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
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
