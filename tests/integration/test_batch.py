"""`mediakit batch` end to end: layout, report, resume, interruption by signal, manifests, a Dask cluster."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mediakit.batch import load_manifest, run_batch
from mediakit.cli.main import cli
from mediakit.probe import probe
from mediakit.validate import validate_path

pytestmark = pytest.mark.integration
FAST = ["--size", "720x1280", "--duration", "3", "--x264-preset", "veryfast"]
ROOT = Path(__file__).resolve().parents[2]


def batch(*args: Any) -> tuple[int, dict[str, Any], str]:
    """Run `mediakit batch ... --json` in-process: exit code, the report document, stderr."""
    result = CliRunner().invoke(cli, ["batch", *map(str, args), "--json"])
    assert result.stdout, (result.exit_code, result.stderr, result.exception)
    return result.exit_code, json.loads(result.stdout), result.stderr


def statuses(document: dict[str, Any]) -> dict[str, str]:
    return {job["name"]: job["status"] for job in document["jobs"]}


def leftovers(folder: Path) -> list[Path]:
    """Temp files of interrupted renders or state writes."""
    return [p for p in folder.rglob(".*") if ".part." in p.name or p.name.endswith(".tmp")]


def processes_with(marker: str) -> list[str]:
    """Live processes whose environment holds `marker`: the batch, its workers and their ffmpeg children."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in environ:
            found.append(cmdline.replace(b"\0", b" ").decode(errors="replace"))
    return found


def assert_valid_canvas(path: Path, frames: int = 90) -> None:
    info = probe(path)
    assert (info.primary_video.display_width, info.primary_video.display_height) == (720, 1280)
    assert info.primary_video.frames == frames
    assert validate_path(path, "canvas").verdict() == "pass"


@pytest.fixture(scope="module")
def catalogue(media, tmp_path_factory) -> Path:
    """A still, footage in a sub-folder, a hidden folder, a broken file and a non-media file."""
    src = tmp_path_factory.mktemp("catalogue")
    (src / "live").mkdir()
    (src / ".drafts").mkdir()
    shutil.copy(media.still("batch-cover.png", (900, 900), seed=3), src / "cover.png")
    shutil.copy(media.video("batch-take.mp4", size="640x360", seconds=4), src / "live" / "take1.mp4")
    shutil.copy(
        media.video("batch-portrait.mp4", size="360x640", seconds=4, source="smptehdbars"),
        src / "live" / "take2.mp4",
    )
    shutil.copy(src / "cover.png", src / ".drafts" / "draft.png")
    (src / "broken.png").write_text("not a picture")
    (src / "notes.txt").write_text("not media")
    return src


@pytest.fixture(scope="module")
def local_run(catalogue, tmp_path_factory) -> tuple[Path, int, dict[str, Any]]:
    out = tmp_path_factory.mktemp("local") / "out"
    code, document, _ = batch(catalogue, "-o", out, "--jobs", "2", *FAST)
    return out, code, document


def test_folder_batch_renders_every_input_keeping_the_layout(local_run):
    out, code, document = local_run
    assert code == 1  # one input is not media
    assert statuses(document) == {
        "broken.png": "invalid",
        "cover.png": "ok",
        "live/take1.mp4": "ok",
        "live/take2.mp4": "ok",
    }
    broken = next(j for j in document["jobs"] if j["name"] == "broken.png")
    assert "not a media format" in broken["reason"] and broken["verdict"] is None
    for rel in ("cover.canvas.mp4", "live/take1.canvas.mp4", "live/take2.canvas.mp4"):
        assert_valid_canvas(out / rel)
    job = next(j for j in document["jobs"] if j["name"] == "cover.png")
    assert (job["verdict"], job["frames"], job["duration"], job["kind"]) == ("pass", 90, 3.0, "canvas")
    assert job["options"]["size"] == "720x1280" and job["options"]["zoom"] == 1.12 and job["seconds"] > 0
    assert document["totals"] == {
        "jobs": 4,
        "ok": 3,
        "skipped": 0,
        "failed": 0,
        "invalid": 1,
        "interrupted": 0,
    }
    assert document["mediakit_version"] and document["interrupted"] is False
    assert json.loads((out / "report.json").read_text()) == document
    assert sorted(p.name for p in out.iterdir()) == [
        ".mediakit-batch.json",
        "cover.canvas.mp4",
        "live",
        "report.json",
    ]
    assert not leftovers(out)


def test_a_batch_out_folder_validates_as_one_document(local_run):
    out, _, _ = local_run
    result = CliRunner().invoke(cli, ["validate", str(out), "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert sorted(Path(f["path"]).relative_to(out).as_posix() for f in document["files"]) == [
        "cover.canvas.mp4",
        "live/take1.canvas.mp4",
        "live/take2.canvas.mp4",
    ]
    assert document["summary"] == {"pass": 3, "warn": 0, "fail": 0}


def test_rerun_skips_up_to_date_outputs_and_redoes_changed_ones(local_run, catalogue, media, tmp_path):
    out = tmp_path / "out"
    src = tmp_path / "src"
    shutil.copytree(local_run[0], out)  # copy2 keeps mtimes, so the recorded outputs stay untouched
    shutil.copytree(catalogue, src)  # a moved tree: same content, so still up to date
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*.mp4")}
    code, document, _ = batch(src, "-o", out, *FAST)
    assert code == 1 and statuses(document) == {
        "broken.png": "invalid",
        "cover.png": "skipped",
        "live/take1.mp4": "skipped",
        "live/take2.mp4": "skipped",
    }
    skipped = next(j for j in document["jobs"] if j["name"] == "cover.png")
    assert (skipped["verdict"], skipped["frames"]) == ("pass", 90)  # carried over from the state
    first = {j["name"]: j["warnings"] for j in local_run[2]["jobs"] if j["status"] == "ok"}
    again = {j["name"]: j["warnings"] for j in document["jobs"] if j["status"] == "skipped"}
    assert again == first and any(first.values()), first  # a skip still says what the render warned
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.mp4")} == mtimes
    shutil.copy(media.still("batch-cover-2.png", (900, 900), seed=4), src / "cover.png")
    (out / "live" / "take2.canvas.mp4").unlink()
    code, document, _ = batch(src, "-o", out, "--exclude", "broken.png", *FAST)
    assert code == 0 and statuses(document) == {
        "cover.png": "ok",
        "live/take1.mp4": "skipped",
        "live/take2.mp4": "ok",
    }
    assert_valid_canvas(out / "live" / "take2.canvas.mp4")
    code, document, _ = batch(src, "-o", out, "--include", "live/take1.mp4", "--force", *FAST)
    assert code == 0 and statuses(document) == {"live/take1.mp4": "ok"}


def test_a_failing_ffmpeg_fails_every_job_and_leaves_nothing(catalogue, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli,
        [
            "--ffmpeg",
            shutil.which("false") or "/bin/false",
            "batch",
            str(catalogue),
            "-o",
            str(out),
            "--exclude",
            "broken.png",
            *FAST,
        ],
    )
    assert result.exit_code == 1, result.output
    report = json.loads((out / "report.json").read_text())
    assert set(statuses(report).values()) == {"failed"}
    assert all(j["reason"].startswith("ffmpeg failed") for j in report["jobs"])
    assert not list(out.rglob("*.mp4")) and not leftovers(out)
    assert "3 failed" in result.stderr


def test_the_sample_manifest_renders(media, tmp_path):
    shutil.copy(ROOT / "samples" / "jobs.toml", tmp_path / "jobs.toml")
    (tmp_path / "generated").mkdir()
    shutil.copy(media.still("batch-cover.png", (900, 900), seed=3), tmp_path / "generated" / "cover.png")
    shutil.copy(
        media.video("batch-footage.mp4", size="640x360", seconds=10), tmp_path / "generated" / "footage.mp4"
    )
    manifest = load_manifest(tmp_path / "jobs.toml")
    # The sample's own settings, made lighter for the test suite.
    quick = [
        dataclasses.replace(j, options=dataclasses.replace(j.options, duration=3.0, x264_preset="veryfast"))
        for j in manifest.jobs
    ]
    result = run_batch(quick, manifest.out, workers=2, source=str(manifest.path))
    assert [result.outcomes[j.index].status for j in quick] == ["ok"] * 5, result.document
    renders = tmp_path / "generated" / "renders"
    assert sorted(p.name for p in renders.iterdir() if not p.name.startswith(".")) == [
        "cover-drift.canvas.mp4",
        "cover.canvas.jpg",
        "cover.canvas.mp4",
        "footage-crossfade.canvas.mp4",
        "footage.canvas.mp4",
        "report.json",
    ]
    assert probe(renders / "cover.canvas.jpg").kind == "image"
    assert validate_path(renders / "footage-crossfade.canvas.mp4", "canvas").verdict() == "pass"


def test_a_manifest_with_a_clip_and_a_canvas(media, tmp_path):
    shutil.copy(media.video("batch-sound.mp4", size="640x360", seconds=5, audio=True), tmp_path / "live.mp4")
    manifest = tmp_path / "jobs.toml"
    manifest.write_text(
        'out = "renders"\n[defaults]\nduration = 4\nx264_preset = "veryfast"\nsize = "720x1280"\n'
        '[[job]]\nname = "clip"\nkind = "clip"\ninput = "live.mp4"\nfocus = [0.4, 0.5]\n'
        '[[job]]\nname = "loop"\ninput = "live.mp4"\nloop = "crossfade"\ncrossfade = 0.5\n'
    )
    code, document, _ = batch(manifest)
    assert code == 0, document
    assert statuses(document) == {"clip": "ok", "loop": "ok"}
    clip = probe(tmp_path / "renders" / "live.clip.mp4")
    assert clip.audio and clip.primary_video.display_height == 1920  # size is a canvas-only default
    assert validate_path(tmp_path / "renders" / "live.clip.mp4", "clip").verdict() in ("pass", "warn")
    assert_valid_canvas(tmp_path / "renders" / "live.canvas.mp4", frames=120)


def _interrupt_inputs(media, src: Path) -> None:
    src.mkdir()
    # Footage renders fast (ffmpeg alone); the stills keep a render with piped frames running at the signal.
    for name in ("a-take.mp4", "c-take.mp4", "d-take.mp4", "f-take.mp4"):
        shutil.copy(media.video("batch-take.mp4", size="640x360", seconds=4), src / name)
    for i, name in enumerate(("b-cover.png", "e-cover.png")):
        shutil.copy(media.still(f"batch-int-{i}.png", (900, 900), seed=10 + i), src / name)


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_an_interrupted_batch_stops_cleanly_and_the_next_run_carries_on(media, tmp_path, how):
    src, out = tmp_path / "src", tmp_path / "out"
    _interrupt_inputs(media, src)
    if how == "ctrl-c":  # a folder batch, and Ctrl-C: SIGINT to the whole process group, ffmpeg included
        argv = [str(src), "-o", str(out), *FAST]
    else:  # a manifest batch, and `kill PID`: SIGTERM to mediakit alone
        manifest = tmp_path / "jobs.toml"
        manifest.write_text(
            'out = "out"\n[defaults]\nsize = "720x1280"\nduration = 3\nx264_preset = "veryfast"\n'
            + "".join(f'[[job]]\ninput = "src/{p.name}"\n' for p in sorted(src.iterdir()))
        )
        argv = [str(manifest)]
    marker = uuid.uuid4().hex
    proc = subprocess.Popen(
        [sys.executable, "-m", "mediakit", "batch", *argv, "--jobs", "1"],
        env={**os.environ, "MEDIAKIT_BATCH_TEST": marker},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
        # A test run started in the background of a script inherits SIGINT ignored, and so would the
        # batch (like any program): give it the Ctrl-C a terminal user's batch has.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 120
        # The state file is written once the first finished output is recorded.
        while (
            proc.poll() is None
            and time.monotonic() < deadline
            and not (list(out.glob("*.canvas.mp4")) and (out / ".mediakit-batch.json").exists())
        ):
            time.sleep(0.02)
        assert proc.poll() is None, "the batch ended before it could be interrupted"
        assert len(processes_with(marker)) >= 2  # the batch and its worker (the check below can see them)
        if how == "ctrl-c":
            os.killpg(proc.pid, signal.SIGINT)
        else:
            proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    assert code == 130, stderr
    assert "interrupted" in stderr
    assert not leftovers(out) and not processes_with(marker)  # no worker or ffmpeg outlives the batch
    report = json.loads((out / "report.json").read_text())
    assert report["interrupted"] is True
    finished = {Path(j["output"]).name for j in report["jobs"] if j["status"] == "ok"}
    assert finished and len(finished) < 6
    assert {j["status"] for j in report["jobs"]} <= {"ok", "interrupted"}
    for name in finished:
        assert_valid_canvas(out / name)
    code, document, _ = batch(*argv, "--jobs", "2")
    assert code == 0
    again = {Path(j["output"]).name: j["status"] for j in document["jobs"]}
    assert again == {name: "skipped" if name in finished else "ok" for name in again} and len(again) == 6
    for name in again:
        assert_valid_canvas(out / name)


def test_a_dask_cluster_makes_what_a_local_run_makes(catalogue, local_run, tmp_path):
    distributed = pytest.importorskip("distributed")
    out = tmp_path / "out"
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        code, document, _ = batch(catalogue, "-o", out, "--cluster", cluster.scheduler_address, *FAST)
    local_out, local_code, local_doc = local_run
    assert code == local_code == 1
    assert document["backend"].startswith("dask tcp://127.0.0.1:")

    def essentials(doc: dict[str, Any], root: Path) -> list[tuple[Any, ...]]:
        return [
            (
                j["name"],
                j["status"],
                j["verdict"],
                j["frames"],
                j["duration"],
                Path(j["output"]).relative_to(root).as_posix(),
            )
            for j in doc["jobs"]
        ]

    assert essentials(document, out) == essentials(local_doc, local_out)
    for rel in ("cover.canvas.mp4", "live/take1.canvas.mp4", "live/take2.canvas.mp4"):
        assert probe(out / rel).primary_video.frames == probe(local_out / rel).primary_video.frames == 90
    assert not leftovers(out)
