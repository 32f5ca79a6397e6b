"""`mediakit doctor`: which ffmpeg and PyAV mediakit uses, and whether they have what it needs."""

from __future__ import annotations

import click

from mediakit.cli.output import emit_json, escape, stdout
from mediakit.errors import ExitCode


@click.command(
    help="Show the ffmpeg binary and PyAV libraries in use and check every encoder and filter "
    "mediakit needs.\n\n\b\nExamples:\n  mediakit doctor\n  mediakit --ffmpeg /usr/bin/ffmpeg doctor --json"
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def doctor(settings: object, as_json: bool) -> None:
    import av

    from mediakit.ffmpeg.binary import REQUIREMENTS, capabilities, ffmpeg_path

    path = ffmpeg_path(getattr(settings, "ffmpeg", None))
    caps = capabilities(path)
    checks = [
        {"kind": kind, "name": name, "for": purpose, "present": caps.has(kind, name)}
        for kind, name, purpose in REQUIREMENTS
    ]
    checks.append(
        {
            "kind": "model",
            "name": "YuNet",
            "for": "faces kept in frame by --fit auto",
            "present": _faces_load(),
        }
    )
    libs = {name: ".".join(map(str, version)) for name, version in av.library_versions.items()}
    missing = [c for c in checks if not c["present"]]
    if as_json:
        emit_json(
            {
                "ffmpeg": {"path": path, "version": caps.version},
                "pyav": {"version": av.__version__, "libraries": libs},
                "requirements": checks,
                "ok": not missing,
            }
        )
    else:
        stdout.print(f"ffmpeg  {escape(path)}\n        version {caps.version}")
        stdout.print(f"PyAV    {av.__version__} (" + ", ".join(f"{k} {v}" for k, v in libs.items()) + ")")
        for c in checks:
            mark = "[green]✓[/]" if c["present"] else "[red]✗ missing[/]"
            stdout.print(f"  {mark} {c['kind']:7} {c['name']:12} {c['for']}")
        stdout.print("[green]all set[/]" if not missing else f"[red]{len(missing)} missing[/]")
    raise click.exceptions.Exit(ExitCode.FFMPEG if missing else ExitCode.OK)


def _faces_load() -> bool:
    """Whether OpenCV can load the shipped face model and run it (cv2.FaceDetectorYN: OpenCV 4.8 and up)."""
    try:
        import numpy as np

        from mediakit.analysis.faces import detect_faces

        detect_faces(np.zeros((64, 64, 3), dtype=np.uint8))
    except Exception:  # whatever stops it (no FaceDetectorYN, a damaged model) stops --fit auto on stills
        return False
    return True
