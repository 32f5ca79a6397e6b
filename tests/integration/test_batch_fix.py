"""`mediakit batch --kind fix`: a folder of failing files repaired, checked again, and resumed by a rerun."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mediakit.batch import ManifestError, load_manifest
from mediakit.cli.main import cli
from mediakit.probe import probe
from mediakit.validate import validate_path

pytestmark = pytest.mark.integration
PORTRAIT = "720x1280"
ROOT = Path(__file__).resolve().parents[2]


def batch(*args: Any) -> tuple[int, dict[str, Any], str]:
    """Run `mediakit batch ... --json` in-process: exit code, the report document, stderr."""
    result = CliRunner().invoke(cli, ["batch", *map(str, args), "--json"])
    assert result.stdout, (result.exit_code, result.stderr, result.exception)
    return result.exit_code, json.loads(result.stdout), result.stderr


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def failing(media, tmp_path_factory) -> Path:
    """Canvases made elsewhere: a MOV, one with sound, an MPEG-4 Part 2 one, a landscape one, one too short
    to be a canvas (nothing can fix that), one that passes already, and PNG and GIF stills (canvases take
    JPEG)."""
    src = tmp_path_factory.mktemp("exports")
    (src / "more").mkdir()
    made = {
        "mov.mov": media.video("bf-mov.mov", size=PORTRAIT, seconds=3.5),
        "with-audio.mp4": media.video("bf-audio.mp4", size=PORTRAIT, seconds=3.5, audio=True),
        "more/mpeg4.mp4": media.video(
            "bf-mpeg4.mp4", size=PORTRAIT, seconds=3.5, codec="mpeg4", extra=("-q:v", "4")
        ),
        "landscape.mp4": media.video("bf-wide.mp4", size="1280x720", seconds=3.5),
        "short.mp4": media.video("bf-short.mp4", size=PORTRAIT, seconds=1.5),
        "passes.mp4": media.video(
            "bf-passes.mp4", size=PORTRAIT, seconds=3.5, extra=("-movflags", "+faststart")
        ),
        "still.png": media.still("bf-still.png", (720, 1280)),
        "cover.gif": media.still("bf-still.gif", (720, 1280), mode="P", fmt="GIF"),  # a still, as JPEG
    }
    for name, path in made.items():
        shutil.copy(path, src / name)
    return src


def test_a_folder_of_failing_canvases_is_fixed_checked_and_resumed(failing: Path, tmp_path: Path) -> None:
    out = tmp_path / "fixed"
    inputs = {p: digest(p) for p in failing.rglob("*") if p.is_file()}
    assert validate_path(failing / "passes.mp4", "canvas").verdict() == "pass"
    failing_names = ("mov.mov", "with-audio.mp4", "more/mpeg4.mp4", "landscape.mp4", "short.mp4")
    for name in (*failing_names, "still.png", "cover.gif"):
        assert validate_path(failing / name, "canvas").verdict() != "pass", name  # audio: a warning

    code, doc, err = batch(failing, "-o", out, "--kind", "fix", "--preset", "canvas", "--jobs", "2")

    assert code == 1, err  # the one file that cannot be fixed fails the batch ...
    rows = {row["name"]: row for row in doc["jobs"]}
    assert {n: r["status"] for n, r in rows.items()} == {
        "cover.gif": "ok",
        "landscape.mp4": "ok",
        "more/mpeg4.mp4": "ok",
        "mov.mov": "ok",
        "passes.mp4": "ok",
        "short.mp4": "failed",
        "still.png": "ok",
        "with-audio.mp4": "ok",
    }
    # ... and says which rule and why, without hiding the others' results.
    assert rows["short.mp4"]["reason"].startswith("cannot be made to pass duration:"), rows["short.mp4"]
    assert rows["short.mp4"]["fix"]["status"] == "unfixable"
    # The least destructive class for each: a rewrap for the container and the extra audio track, a
    # re-encode for the codec, a re-render for the shape, a re-save for the still's format.
    classes = {n: r["fix"]["class"] for n, r in rows.items()}
    assert classes["mov.mov"] == "remux"
    assert classes["with-audio.mp4"] == "remux"
    assert classes["more/mpeg4.mp4"] == "re-encode"
    assert classes["landscape.mp4"] == "re-encode"
    assert classes["still.png"] == classes["cover.gif"] == "re-encode"
    assert rows["passes.mp4"]["fix"]["status"] == "passes"
    assert rows["passes.mp4"]["output"] is None and "nothing to do" in rows["passes.mp4"]["reason"]
    assert all(r["preset"] == "spotify-canvas" for r in rows.values())

    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == [
        ".mediakit-batch.json",
        "cover.fixed.jpg",
        "landscape.fixed.mp4",
        "more/mpeg4.fixed.mp4",
        "mov.fixed.mp4",
        "report.json",
        "still.fixed.jpg",
        "with-audio.fixed.mp4",
    ]  # nothing for the file that passes, nor for the one that cannot pass; no temp files
    for name in ("mov.mov", "with-audio.mp4", "more/mpeg4.mp4", "landscape.mp4"):
        fixed = out / (name.rsplit(".", 1)[0] + ".fixed.mp4")
        assert rows[name]["output"] == str(fixed)
        assert validate_path(fixed, "canvas").verdict() == "pass", name
    assert validate_path(out / "still.fixed.jpg", "canvas").verdict() == "pass"
    assert validate_path(out / "cover.fixed.jpg", "canvas").verdict() == "pass"
    assert not probe(out / "with-audio.fixed.mp4").audio  # a canvas is silent
    assert inputs == {p: digest(p) for p in failing.rglob("*") if p.is_file()}  # inputs untouched

    # A rerun skips what is fixed and what passes; the unfixable file is tried (and reported) again.
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*.fixed.*")}
    code, again, err = batch(failing, "-o", out, "--kind", "fix", "--preset", "canvas")
    assert code == 1, err
    status = {row["name"]: (row["status"], row["reason"]) for row in again["jobs"]}
    assert status.pop("short.mp4")[0] == "failed"
    skipped, reason = status.pop("passes.mp4")
    assert skipped == "skipped" and reason.startswith("already passes"), reason
    assert {s for s, _ in status.values()} == {"skipped"}, status
    assert stamps == {p: p.stat().st_mtime_ns for p in out.rglob("*.fixed.*")}
    # A skipped fix still reports what was done to the file.
    assert {r["name"]: r["fix"]["class"] for r in again["jobs"]} == classes

    # An output edited since it was written is made again; nothing else is.
    edited = out / "mov.fixed.mp4"
    edited.write_bytes(b"not a video")
    code, third, err = batch(failing, "-o", out, "--kind", "fix", "--preset", "canvas")
    ran = {row["name"] for row in third["jobs"] if row["status"] == "ok"}
    assert ran == {"mov.mov"}, third["jobs"]
    assert validate_path(edited, "canvas").verdict() == "pass"


def test_a_manifest_runs_fix_jobs_for_any_preset_with_their_own_options(tmp_path: Path, media) -> None:
    shutil.copy(media.video("bf-mov.mov", size=PORTRAIT, seconds=3.5), tmp_path / "take.mov")
    song = media.video("bf-clip.mp4", size="1080x1920", seconds=3.5, audio=True)  # a sine: far too loud
    shutil.copy(song, tmp_path / "song.mp4")
    (tmp_path / "jobs.toml").write_text(
        'out = "done"\n'
        '[defaults]\nkind = "fix"\npreset = "canvas"\nsuffix = ".ok"\n'
        '[[job]]\ninput = "take.mov"\n'
        # a clip preset for a fix job is fine: fix repairs for any preset (a render would refuse it)
        '[[job]]\ninput = "song.mp4"\npreset = "clip"\noutput = "done/song.clip.mp4"\nfit = "crop"\n'
    )
    manifest = load_manifest(tmp_path / "jobs.toml")
    first, second = manifest.jobs
    assert (first.kind, first.preset, first.output.name) == ("fix", "canvas", "take.ok.mp4")
    assert (second.preset, second.options.fit, second.options.suffix) == ("clip", "crop", ".ok")
    code, doc, err = batch(tmp_path / "jobs.toml")
    assert code == 0, (err, doc)
    canvas, clip = doc["jobs"]
    assert (canvas["preset"], canvas["fix"]["class"]) == ("spotify-canvas", "remux")
    # only the loudness was wrong: the audio alone is levelled (re-encoded), the video copied
    assert (clip["preset"], clip["fix"]["class"]) == ("spotify-clip", "re-encode")
    assert [(a["rule"], a["stream"]) for a in clip["fix"]["actions"]] == [("loudness", "audio")]
    assert validate_path(tmp_path / "done" / "take.ok.mp4", "canvas").verdict() == "pass"
    assert validate_path(tmp_path / "done" / "song.clip.mp4", "clip").verdict() == "pass"


@pytest.mark.parametrize(
    ("job", "problem"),
    [
        ('motion = "drift"', "motion: applies to a canvas or clip, not a fix"),
        ('suffix = "x/y"', "suffix 'x/y' is not a name part"),
        ('output = "a.fixed.mov"', "(name it a.fixed.mp4)"),
        ("start = -1", "start: -1 is negative"),
        ('preset = "no-such-preset"', "preset: "),
    ],
)
def test_a_fix_manifest_is_refused_key_by_key(tmp_path: Path, job: str, problem: str) -> None:
    (tmp_path / "a.mp4").write_bytes(b"\0" * 16)  # never read: the manifest is refused first
    (tmp_path / "jobs.toml").write_text(f'out = "done"\n[[job]]\ninput = "a.mp4"\nkind = "fix"\n{job}\n')
    with pytest.raises(ManifestError) as caught:
        load_manifest(tmp_path / "jobs.toml")
    assert caught.value.exit_code == 2
    assert len(caught.value.problems) == 1 and problem in caught.value.problems[0], caught.value.problems


def test_fix_options_are_refused_on_the_command_line_before_any_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.mp4").write_bytes(b"\0" * 16)
    args = ["batch", str(tmp_path / "src"), "-o", str(tmp_path / "out"), "--kind", "fix", "--zoom", "1.2"]
    done = subprocess.run(
        [sys.executable, "-m", "mediakit", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 2
    refusal = "mediakit: error: --zoom: applies to a canvas or clip, not a fix"
    assert done.stderr.startswith(refusal), done.stderr
    assert not (tmp_path / "out").exists()
