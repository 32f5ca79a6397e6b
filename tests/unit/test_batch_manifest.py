"""Batch jobs without ffmpeg: manifests (every problem at once), option checks, folder scans, state, keys."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import time
from pathlib import Path

import pytest

from mediakit.batch import jobs as jobs_module
from mediakit.batch import state as state_module
from mediakit.batch.jobs import (
    Job,
    build_options,
    duplicate_outputs,
    folder_jobs,
    refuse_same_folder,
    scan,
)
from mediakit.batch.manifest import ManifestError, load_manifest
from mediakit.batch.state import STATE_NAME, State, fingerprint, job_key
from mediakit.cli.main import main
from mediakit.errors import UsageError
from mediakit.preset import resolve
from mediakit.rendering.canvas import CanvasOptions
from mediakit.rendering.clip import ClipOptions

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def run_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run the real entry point (errors mapped to exit codes); returns the code and stdout+stderr."""
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out + err


def touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- options ---------------------------------------------------------------------------------------------


def test_options_are_converted_and_unset_ones_keep_each_kinds_defaults(tmp_path):
    canvas, problems = build_options("canvas", {"zoom": 1, "focus": "0.2,0.8", "fps": 25}, tmp_path)
    assert problems == [] and canvas == CanvasOptions(zoom=1.0, focus=(0.2, 0.8), fps=25)
    clip, problems = build_options("clip", {"text": "hi", "at": [2, 6]}, tmp_path)
    assert problems == [] and clip == ClipOptions(text="hi", at=(2.0, 6.0))
    assert clip.zoom == ClipOptions().zoom != CanvasOptions().zoom


def test_every_bad_option_is_named_not_only_the_first(tmp_path):
    options, problems = build_options(
        "canvas",
        {"duration": 9, "zoom": "big", "loop": "spiral", "audio": "x.wav", "durtion": 3, "crf": True},
        tmp_path,
    )
    assert options is None
    by_key = {p.key: p.message for p in problems}
    assert set(by_key) == {"duration", "zoom", "loop", "audio", "durtion", "crf"}
    assert "9 s is outside the Spotify Canvas range 3-8 s" in by_key["duration"]
    assert by_key["zoom"] == "expected a number, got a string"
    assert "unknown loop 'spiral'" in by_key["loop"]
    assert by_key["audio"] == "applies to a clip, not a canvas"
    assert "did you mean 'duration'" in by_key["durtion"]
    assert by_key["crf"] == "expected a whole number, got true/false"


def test_combinations_are_checked_after_single_values(tmp_path):
    _, problems = build_options("clip", {"at": [1, 2]}, tmp_path)
    assert [p.message.split(" (")[0] for p in problems] == ["--at goes with --text"]
    _, problems = build_options("clip", {"text": "a", "captions": str(touch(tmp_path / "c.srt"))}, tmp_path)
    assert problems[0].key is None and "cannot be used together" in problems[0].message


# --- manifests ---------------------------------------------------------------------------------------------


def test_manifest_applies_defaults_per_kind_and_resolves_paths(tmp_path):
    touch(tmp_path / "in" / "cover.png")
    touch(tmp_path / "in" / "live.mp4")
    touch(tmp_path / "song.wav")
    manifest = write(
        tmp_path / "jobs.toml",
        """
out = "renders"
[defaults]
loop = "crossfade"      # canvases only
duration = 6
x264_preset = "veryfast"
[[job]]
input = "in/cover.png"
[[job]]
name = "live clip"
kind = "clip"
input = "in/live.mp4"
output = "clips/live.mp4"
audio = "song.wav"
duration = 12
""",
    )
    loaded = load_manifest(manifest)
    assert loaded.out == tmp_path / "renders"
    first, second = loaded.jobs
    assert (first.index, first.name, first.kind) == (1, "in/cover.png", "canvas")
    assert first.input == tmp_path / "in" / "cover.png"
    assert first.output == tmp_path / "renders" / "cover.canvas.mp4"
    assert first.options == CanvasOptions(loop="crossfade", duration=6.0, x264_preset="veryfast")
    assert (second.name, second.kind, second.output) == ("live clip", "clip", tmp_path / "clips" / "live.mp4")
    assert second.options == ClipOptions(
        duration=12.0, x264_preset="veryfast", audio=str(tmp_path / "song.wav")
    )
    assert load_manifest(manifest, tmp_path / "elsewhere").out == tmp_path / "elsewhere"


def test_every_manifest_problem_is_reported_at_once(tmp_path):
    touch(tmp_path / "a.png")
    manifest = write(
        tmp_path / "jobs.toml",
        """
out = "renders"
colour = "red"
[defaults]
zoom = "strong"
input = "a.png"
[[job]]
name = "too long"
input = "a.png"
duration = 9
[[job]]
input = "missing.png"
motion = "spin"
[[job]]
name = "typo"
input = "a.png"
durtion = 5
[[job]]
name = "no input"
[[job]]
name = "clip with a loop"
kind = "clip"
input = "a.png"
loop = "cut"
crf = 20.5
[[job]]
name = "fine"
input = "a.png"
duration = 5
[[job]]
name = "bad kind"
input = "a.png"
kind = "gif"
""",
    )
    with pytest.raises(ManifestError) as caught:
        load_manifest(manifest)
    lines = caught.value.problems
    expected = [
        "top level colour: unknown key 'colour'",
        "[defaults] zoom: expected a number, got a string",
        "[defaults] input: belongs in each [[job]]",
        "job 1 (too long) duration: 9 s is outside the Spotify Canvas range 3-8 s",
        "job 2 (missing.png) input:",
        "job 2 (missing.png) motion: unknown motion 'spin'",
        "job 3 (typo) durtion: unknown key 'durtion' (did you mean 'duration'?)",
        "job 4 (no input) input: missing",
        "job 5 (clip with a loop) loop: applies to a canvas, not a clip",
        "job 5 (clip with a loop) crf: expected a whole number",
        "job 7 (bad kind) kind: unknown kind 'gif'",
    ]
    for start in expected:
        assert sum(line.startswith(start) for line in lines) == 1, (start, lines)
    assert "no such file" in next(line for line in lines if line.startswith("job 2 (missing.png) input:"))
    assert len(lines) == len(expected)  # a bad default is reported once, not once per job
    assert caught.value.exit_code == 2 and "11 problems" in caught.value.message


def test_duplicate_outputs_and_syntax_errors_are_manifest_errors(tmp_path):
    touch(tmp_path / "a.png")
    dup = write(tmp_path / "dup.toml", 'out = "r"\n[[job]]\ninput = "a.png"\n[[job]]\ninput = "a.png"\n')
    with pytest.raises(ManifestError, match="1 problem") as caught:
        load_manifest(dup)
    assert caught.value.problems[0].startswith("job 2 (a.png) output:")
    assert "also the output of job 1 (a.png)" in caught.value.problems[0]
    broken = write(tmp_path / "broken.toml", "[[job]\ninput = 'a.png'\n")
    with pytest.raises(ManifestError, match="1 problem") as caught:
        load_manifest(broken)
    assert caught.value.problems[0].startswith("not valid TOML")
    with pytest.raises(ManifestError) as caught:
        load_manifest(write(tmp_path / "empty.toml", "[defaults]\nzoom = 1.1\n"), tmp_path / "out")
    assert caught.value.problems == ["top level: no [[job]] tables: add one per asset to render"]


def test_the_sample_manifest_is_valid(tmp_path):
    shutil.copy(SAMPLES / "jobs.toml", tmp_path / "jobs.toml")
    touch(tmp_path / "generated" / "cover.png")
    touch(tmp_path / "generated" / "footage.mp4")
    loaded = load_manifest(tmp_path / "jobs.toml")
    outputs = [job.output.relative_to(tmp_path).as_posix() for job in loaded.jobs]
    assert outputs == [
        "generated/renders/cover.canvas.mp4",
        "generated/renders/cover-drift.canvas.mp4",
        "generated/renders/cover.canvas.jpg",
        "generated/renders/footage.canvas.mp4",
        "generated/renders/footage-crossfade.canvas.mp4",
    ]


def test_cli_manifest_errors_exit_2_listing_all_and_render_nothing(tmp_path, capsys):
    touch(tmp_path / "a.png")
    manifest = write(
        tmp_path / "jobs.toml",
        'out = "r"\n[[job]]\ninput = "a.png"\nduration = 9\nzoom = 3\n[[job]]\ninput = "b.png"\n',
    )
    code, output = run_main(["batch", str(manifest)], capsys)
    assert code == 2, output
    for fragment in ("job 1 (a.png) duration:", "job 1 (a.png) zoom:", "job 2 (b.png) input:", "3 problems"):
        assert fragment in output
    assert not (tmp_path / "r").exists()


def test_cli_usage_errors_exit_2_before_anything_runs(tmp_path, capsys):
    touch(tmp_path / "src" / "a.png")
    manifest = write(tmp_path / "jobs.toml", '[[job]]\ninput = "src/a.png"\n')
    for args in (
        [str(manifest), "--zoom", "1.2"],
        [str(tmp_path / "src")],
        [str(tmp_path / "src"), "-o", str(tmp_path / "src")],
        [str(tmp_path / "src"), "-o", str(tmp_path / "o"), "--duration", "9"],
        [str(tmp_path / "src"), "-o", str(tmp_path / "o"), "--kind", "clip", "--loop", "cut"],
        [str(tmp_path / "src"), "-o", str(tmp_path / "o"), "--include", "*.mov"],
    ):
        code, output = run_main(["batch", *args], capsys)
        assert code == 2, (args, output)
    assert not (tmp_path / "o").exists()


# --- folders -----------------------------------------------------------------------------------------------


def test_scan_is_recursive_sorted_filtered_and_skips_hidden_and_out(tmp_path):
    src = tmp_path / "src"
    for rel in (
        "b.png",
        "a/z.mp4",
        "a/b/c.JPG",
        ".hidden.png",
        ".git/x.png",
        "notes.txt",
        "song.wav",
        "renders/old.canvas.mp4",
        "drafts/d.png",
    ):
        touch(src / rel)
    names = [p.relative_to(src).as_posix() for p in scan(src, src / "renders")]
    assert names == ["a/b/c.JPG", "a/z.mp4", "b.png", "drafts/d.png"]
    names = [
        p.relative_to(src).as_posix() for p in scan(src, tmp_path / "o", ["*.png", "*.mp4"], ["drafts/*"])
    ]
    assert names == ["a/z.mp4", "b.png", "renders/old.canvas.mp4"]


def test_folder_jobs_keep_the_layout_and_clashing_outputs_are_found(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    inputs = [touch(src / "a" / "b.png"), touch(src / "a" / "b.jpg"), touch(src / "c.mov")]
    made = folder_jobs(src, out, "canvas", CanvasOptions(), inputs)
    assert [j.output for j in made] == [out / "a" / "b.canvas.mp4"] * 2 + [out / "c.canvas.mp4"]
    assert [j.name for j in made] == ["a/b.png", "a/b.jpg", "c.mov"]
    assert duplicate_outputs(made) == {2: made[0]}
    jpg = folder_jobs(src, out, "canvas", CanvasOptions(format="jpg"), inputs[2:])
    assert jpg[0].output == out / "c.canvas.jpg"
    assert folder_jobs(src, out, "clip", ClipOptions(), inputs[2:])[0].output == out / "c.clip.mp4"
    with pytest.raises(UsageError):
        refuse_same_folder(src, Path(str(src) + "/"))


# --- state -------------------------------------------------------------------------------------------------


def _job(tmp_path: Path, **options) -> Job:
    return Job(
        1, "a.png", "canvas", tmp_path / "a.png", tmp_path / "out" / "a.canvas.mp4", CanvasOptions(**options)
    )


def test_fingerprints_are_cached_by_size_and_mtime_unless_racy(tmp_path, monkeypatch):
    path = touch(tmp_path / "a.png", b"one")
    old = time.time_ns() - 60 * 10**9
    os.utime(path, ns=(old, old))
    first = fingerprint(path)
    calls = []
    real = state_module.hashlib.file_digest
    monkeypatch.setattr(state_module.hashlib, "file_digest", lambda *a: calls.append(1) or real(*a))
    assert fingerprint(path, first) is first and calls == []  # unchanged: not read again
    path.write_bytes(b"two")
    os.utime(path, ns=(old, old + 1))
    assert fingerprint(path, first).sha256 != first.sha256 and calls == [1]
    fresh = touch(tmp_path / "b.png", b"new")  # modified just now: a same-tick rewrite could hide
    racy = fingerprint(fresh)
    assert fingerprint(fresh, racy) is not racy and len(calls) == 3


def test_job_key_follows_content_options_and_version(tmp_path, monkeypatch):
    job = _job(tmp_path)
    key = job_key(job, {"input": "aa"})
    assert key == job_key(_job(tmp_path, threads=4), {"input": "aa"})  # threads never change the asset
    assert key != job_key(job, {"input": "bb"})
    assert key != job_key(_job(tmp_path, zoom=1.2), {"input": "aa"})
    monkeypatch.setattr(state_module, "__version__", "9.9.9")
    assert key != job_key(job, {"input": "aa"})


def test_state_entry_is_current_only_while_input_options_and_output_are_unchanged(tmp_path, caplog):
    job = _job(tmp_path)
    touch(job.input, b"pixels")
    touch(job.output, b"video")
    state = State.load(tmp_path / "out")
    key = job_key(job, {"input": fingerprint(job.input).sha256})
    state.record(job, key, {str(job.input): fingerprint(job.input)}, {"verdict": "pass", "frames": 90})
    state.save()
    again = State.load(tmp_path / "out")
    assert again.entry(job)["frames"] == 90
    assert again.entry(_job(tmp_path, zoom=1.3)) is None
    job.output.write_bytes(b"edited video")
    assert again.entry(job) is None
    data = json.loads((tmp_path / "out" / STATE_NAME).read_text())
    assert (
        set(data) == {"schema", "mediakit_version", "outputs", "files"} and "a.canvas.mp4" in data["outputs"]
    )
    (tmp_path / "out" / STATE_NAME).write_text("{not json")
    assert State.load(tmp_path / "out").outputs == {}
    assert "unreadable" in caplog.text
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.endswith(".tmp")]


def test_input_suffixes_are_media_but_not_audio():
    assert {".png", ".jpg", ".mp4", ".mov", ".webm"} <= jobs_module.INPUT_SUFFIXES
    assert not {".wav", ".mp3", ".txt"} & jobs_module.INPUT_SUFFIXES


def test_a_manifests_preset_chooses_the_kind_names_outputs_and_is_part_of_the_job_key(tmp_path):
    for name in ("in/cover.png", "mine/my.toml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / "in/cover.png").write_bytes(b"x")
    bundled = resolve("tiktok").path.read_text(encoding="utf-8")
    (tmp_path / "mine/my.toml").write_text(bundled.replace('name = "tiktok"', 'name = "my-tok"'), "utf-8")
    manifest = write(
        tmp_path / "jobs.toml",
        """
out = "renders"
[[job]]
input = "in/cover.png"
preset = "reels"
audio = "in/cover.png"
[[job]]
name = "mine"
input = "in/cover.png"
preset = "mine/my.toml"    # relative to the manifest, like every path in it
audio = "in/cover.png"
""",
    )
    reels, mine = load_manifest(manifest).jobs
    assert (reels.kind, reels.preset, reels.output.name) == ("clip", "reels", "cover.instagram-reels.mp4")
    assert mine.preset == str(tmp_path / "mine" / "my.toml") and mine.output.name == "cover.my-tok.mp4"
    hashes = {"input": "0" * 64}
    assert job_key(reels, hashes) != job_key(dataclasses.replace(reels, preset="tiktok"), hashes)
    before = job_key(mine, hashes)
    (tmp_path / "mine/my.toml").write_text(bundled.replace('name = "tiktok"', 'name = "my-tok"') + "\n# v2\n")
    assert job_key(mine, hashes) != before  # the user's preset changed: the output is not up to date
