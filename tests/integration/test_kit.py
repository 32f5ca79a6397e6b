"""`mediakit kit` end to end: kit.json, every output re-probed against its platform's figures, lyrics in
the song's time, the first frame as the cover, skipped assets, --only/--skip and the refusals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from PIL import Image

from mediakit.cli.main import main
from mediakit.errors import ExitCode
from mediakit.kit import ASSET_NAMES, KIT_JSON, KitInputs, make_kit
from tests.media import ffmpeg

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]

# The platforms' own figures, written here from their specifications (see presets/*.toml and
# docs/SPECS.md for the sources), not read from mediakit: picture size, the duration range (exclusive
# bounds for Spotify Clip's "3-30 s"), the frame-rate range, and whether the file carries sound.
FIGURES: dict[str, dict[str, Any]] = {
    # Spotify Canvas: 9:16 1080x1920, 3-8 s, silent (Spotify plays the track).
    "canvas": {"size": (1080, 1920), "seconds": (3.0, 8.0), "fps": (23.976, 30.0), "audio": False},
    # Spotify Clip: 9:16 1080x1920, longer than 3 and shorter than 30 s, with sound.
    "clip": {"size": (1080, 1920), "seconds": (3.0, 30.0), "fps": (23.976, 30.0), "audio": True},
    # Apple Music motion artwork: 3:4 2048x2732 and 1:1 3840x3840, 8-20 s, 23.976-30 fps, no audio.
    "apple-tall": {"size": (2048, 2732), "seconds": (8.0, 20.0), "fps": (23.976, 30.0), "audio": False},
    "apple-square": {"size": (3840, 3840), "seconds": (8.0, 20.0), "fps": (23.976, 30.0), "audio": False},
    # Reels (up to 3 min), TikTok (up to 10 min), Shorts (up to 3 min): 9:16 1080x1920, up to 60 fps, sound.
    "reels": {"size": (1080, 1920), "seconds": (0.0, 180.0), "fps": (23.0, 60.0), "audio": True},
    "tiktok": {"size": (1080, 1920), "seconds": (0.0, 600.0), "fps": (23.0, 60.0), "audio": True},
    "shorts": {"size": (1080, 1920), "seconds": (0.0, 180.0), "fps": (23.0, 60.0), "audio": True},
}
# ultrafast at a CRF that keeps a noisy test still's canvas under Spotify's 8 MB.
FAST = {"x264_preset": "ultrafast", "crf": 28}
HOOK = 10.0
# In the song's time. The second cue is shown 0.5-3.0 s into a clip cut at the hook; the first (3-4 s
# of the song) is before the hook and must not be shown, or the lyrics were not moved to the hook.
LYRICS = """1
00:00:03,000 --> 00:00:04,000
Before the hook

2
00:00:10,500 --> 00:00:13,000
First line at the hook

3
00:00:14,000 --> 00:00:15,000
Second line
"""


@pytest.fixture(scope="module")
def song(media) -> Path:
    """20 s of a tone over pink noise: loud enough to normalize, like music."""
    path = media.root / "kit-song.wav"
    if not path.exists():
        ffmpeg(
            "-f", "lavfi", "-i", "sine=frequency=220:sample_rate=48000:d=20",
            "-f", "lavfi", "-i", "anoisesrc=d=20:c=pink:a=0.1:r=48000",
            "-filter_complex", "amix=inputs=2", "-c:a", "pcm_s16le", str(path),
        )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def lyrics(media) -> Path:
    path = media.root / "kit-lyrics.srt"
    path.write_text(LYRICS, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def cover(media) -> Path:
    return media.still("kit-cover.png", (1200, 1200))


def smooth_cover(path: Path, size: tuple[int, int]) -> Path:
    """Colour fields with edges and no grain: what the encoder keeps, so a PSNR measures the geometry."""
    if not path.exists():
        w, h = size
        y, x = np.mgrid[0:h, 0:w].astype(np.float32) / max(w, h)
        rgb = np.stack([np.sin(x * 9) + np.cos(y * 7), np.sin((x + y) * 5), (x * 4 % 1 > 0.5) * 1.0], axis=-1)
        Image.fromarray(((rgb + 2) / 4 * 230).clip(0, 255).astype(np.uint8)).save(path)
    return path


def independent_probe(path: Path) -> dict[str, Any]:
    """Size, rate, length and sound read with PyAV directly (not mediakit's probe)."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        rate = Fraction(video.average_rate)
        frames = sum(1 for packet in container.demux(video) if packet.size)
        return {
            "size": (video.codec_context.width, video.codec_context.height),
            "fps": float(rate),
            "seconds": float(frames / rate),
            "audio": len(container.streams.audio) > 0,
        }


def assert_meets_figures(asset: str, path: Path, draft: bool = False) -> None:
    got, want = independent_probe(path), FIGURES[asset]
    lo, hi = want["seconds"]
    size = want["size"]
    if draft:  # a --draft is 720 wide, in the platform's shape
        size = (720, round(size[1] * 720 / size[0] / 2) * 2)
    assert got["size"] == size, (asset, got)
    assert lo < got["seconds"] <= hi if asset != "canvas" else lo <= got["seconds"] <= hi, (asset, got)
    assert want["fps"][0] <= got["fps"] <= want["fps"][1], (asset, got)
    assert got["audio"] is want["audio"], (asset, got)


def first_frame(path: Path, at: float = 0.0) -> np.ndarray:
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            if frame.time is not None and frame.time >= at - 1e-3:
                return frame.to_ndarray(format="rgb24")
    raise AssertionError(f"{path} has no frame at {at} s")


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(255**2 / mse)) if mse else float("inf")


def leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.startswith(".")]


@pytest.fixture(scope="module")
def kit_run(tmp_path_factory, cover, song, lyrics) -> tuple[Any, list[Any]]:
    """Canvas and Clip from a still, the song from the hook and its lyrics (fast encodes)."""
    out = tmp_path_factory.mktemp("kit") / "release"  # created by the kit
    finished: list[Any] = []
    result = make_kit(
        KitInputs(cover, song=song, lyrics=lyrics, hook=HOOK),
        out,
        only=["canvas,clip"],
        overrides={"*": FAST, "canvas": {"duration": 3}, "clip": {"duration": 5}},
        on_done=finished.append,
    )
    return result, finished


def test_kit_json_lists_each_asset_with_its_preset_verdict_and_files(kit_run):
    result, finished = kit_run
    document = json.loads((result.out / KIT_JSON).read_text(encoding="utf-8"))
    assert document == json.loads(json.dumps(result.document))  # the file is what the API returned
    assert [a["asset"] for a in document["assets"]] == ["canvas", "clip"]
    assert sorted(e.asset for e in finished) == ["canvas", "clip"]  # each reported as it ended
    for entry in document["assets"]:
        assert entry["status"] == "ok" and entry["verdict"] == "pass", entry
        assert entry["preset"] == {"canvas": "spotify-canvas", "clip": "spotify-clip"}[entry["asset"]]
        assert entry["kind"] == entry["asset"] and entry["findings"] == [] and entry["seconds"] > 0
        assert Path(entry["path"]) == result.out / f"{entry['asset']}.mp4"
        with Image.open(entry["sheet"]) as sheet:
            assert sheet.format == "PNG" and sheet.width > 500
    assert document["totals"] == {"ok": 2, "failed": 0, "skipped": 0}
    assert document["inputs"]["hook"] == HOOK
    # Nothing else in the folder: no temp files, no stray outputs; kit.json readable by anyone who can.
    names = sorted(p.name for p in result.out.iterdir())
    assert names == ["canvas.mp4", "canvas.preview.png", "clip.mp4", "clip.preview.png", "kit.json"]
    umask = os.umask(0)
    os.umask(umask)
    assert (result.out / KIT_JSON).stat().st_mode & 0o777 == 0o666 & ~umask  # as any new file, not 0600


def test_every_output_meets_its_platform_figures(kit_run):
    result, _ = kit_run
    for entry in result.entries:
        assert_meets_figures(entry.asset, Path(entry.path))
    # The overrides reached the renders: 3 s at 30 fps and a 5 s clip.
    assert independent_probe(result.out / "canvas.mp4")["seconds"] == pytest.approx(3.0)
    assert independent_probe(result.out / "clip.mp4")["seconds"] == pytest.approx(5.0, abs=0.04)


@pytest.mark.slow  # heavier: in make test-release (CI), to keep make test under 10 minutes
def test_the_lyrics_follow_the_song_from_the_hook(kit_run, tmp_path, cover, song):
    # The same clip without lyrics: frames differ only where captions are drawn (same motion, CRF encode).
    result, _ = kit_run
    bare = make_kit(
        KitInputs(cover, song=song, hook=HOOK),
        tmp_path / "bare",
        only=["clip"],
        overrides={"*": FAST, "clip": {"duration": 5}},
    )
    assert bare.count("ok") == 1

    def drawn_share(at: float) -> float:
        a = first_frame(result.out / "clip.mp4", at).astype(np.int16)
        b = first_frame(bare.out / "clip.mp4", at).astype(np.int16)
        return float(np.mean(np.abs(a - b).max(axis=2) > 60))

    assert drawn_share(1.0) > 0.002  # song 11.0 s: "First line at the hook"
    assert drawn_share(3.5) < 0.0005  # song 13.5 s: between lines (3.5 s of the song was "Before the hook")
    assert drawn_share(4.5) > 0.002  # song 14.5 s: "Second line"


@pytest.mark.slow  # heavier: in make test-release (CI), to keep make test under 10 minutes
def test_from_footage_the_loop_and_the_clip_use_it_and_the_lyrics_still_follow_the_hook(
    media, tmp_path, cover, song, lyrics
):
    # 9:16 footage at the output size: the clip's frames are the footage's, but where captions are drawn.
    footage = media.video("kit-footage-916.mp4", size="1080x1920", seconds=4, fps="30")
    result = make_kit(
        KitInputs(cover, footage=footage, song=song, lyrics=lyrics, hook=HOOK),
        tmp_path / "out",
        only=["canvas", "clip"],
        overrides={"*": FAST, "canvas": {"duration": 3}, "clip": {"duration": 3.5}},
    )
    assert [(e.asset, e.status) for e in result.entries] == [("canvas", "ok"), ("clip", "ok")]
    for entry in result.entries:
        assert_meets_figures(entry.asset, Path(entry.path))

    def drawn_share(at: float) -> float:
        a = first_frame(result.out / "clip.mp4", at).astype(np.int16)
        b = first_frame(footage, at).astype(np.int16)
        return float(np.mean(np.abs(a - b).max(axis=2) > 60))

    assert drawn_share(1.0) > 0.002  # song 11.0 s: "First line at the hook"
    assert drawn_share(3.2) < 0.0005  # song 13.2 s: no line (3.2 s of the song was "Before the hook")


def test_the_first_frame_of_a_push_in_is_the_cover(media, tmp_path):
    cover = smooth_cover(media.root / "kit-cover-916.png", (1080, 1920))
    result = make_kit(
        KitInputs(cover),
        tmp_path / "out",
        only=["canvas"],
        overrides={"canvas": {"duration": 3, "x264_preset": "ultrafast"}},
    )
    assert result.count("ok") == 1
    with Image.open(cover) as im:
        expected = np.asarray(im.convert("RGB"))
    assert psnr(first_frame(result.out / "canvas.mp4"), expected) > 30.0
    # The measure tells the cover from a zoomed frame: mid-loop, the push-in is at its closest.
    assert psnr(first_frame(result.out / "canvas.mp4", at=1.5), expected) < 30.0


@pytest.mark.slow  # heavier: in make test-release (CI), to keep make test under 10 minutes
def test_one_failed_asset_does_not_hide_the_others(tmp_path, cover, song):
    # A clip option the renderer refuses makes that asset fail; the canvas still renders and is reported.
    result = make_kit(
        KitInputs(cover, song=song),
        tmp_path / "out",
        only=["canvas", "clip"],
        overrides={"*": FAST, "canvas": {"duration": 3}, "clip": {"caption_style": "neon"}},
    )
    by_name = {e.asset: e for e in result.entries}
    assert by_name["canvas"].status == "ok" and (tmp_path / "out" / "canvas.mp4").is_file()
    assert by_name["clip"].status == "failed" and "caption style" in (by_name["clip"].reason or "")
    assert not (tmp_path / "out" / "clip.mp4").exists() and not leftovers(tmp_path / "out")
    assert result.document["totals"] == {"ok": 1, "failed": 1, "skipped": 0}


def run_cli(capsys, *args: Any) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as code:
        main(["kit", *map(str, args)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return int(code.value.code or 0), captured.out, captured.err


def test_without_a_song_the_clip_assets_are_skipped_with_the_reason(capsys, tmp_path, cover):
    code, out, err = run_cli(
        capsys, cover, "-o", tmp_path / "out", "--only", "clip,reels", "--skip", "canvas", "--json"
    )
    assert code == ExitCode.OK
    document = json.loads(out)
    assert [(a["asset"], a["status"], a["reason"]) for a in document["assets"]] == [
        ("clip", "skipped", "needs --song"),
        ("reels", "skipped", "needs --song"),
    ]
    assert document == json.loads((tmp_path / "out" / KIT_JSON).read_text(encoding="utf-8"))
    assert "clip (spotify-clip) skipped: needs --song" in err  # one line per asset on stderr


def test_the_cli_renders_and_reports_each_asset_on_stderr(capsys, tmp_path, cover, song):
    # The hook 4 s before the song's end: a short clip (its length, from the song, is said in a warning).
    code, out, err = run_cli(
        capsys, cover, "--song", song, "--hook", "0:16", "-o", tmp_path / "out", "--only", "clip", "--draft"
    )
    assert code == ExitCode.OK and out == ""
    lines = err.splitlines()
    assert any(line.startswith("✓ clip (spotify-clip)") and "validation pass" in line for line in lines), err
    assert any("warning:" in line and "4.00 s" in line for line in lines), err  # its warnings, under it
    assert lines[-1].startswith("kit: 1 ok in ")
    assert_meets_figures("clip", tmp_path / "out" / "clip.mp4", draft=True)
    assert independent_probe(tmp_path / "out" / "clip.mp4")["seconds"] == pytest.approx(4.0, abs=0.04)
    document = json.loads((tmp_path / "out" / KIT_JSON).read_text(encoding="utf-8"))
    assert document["draft"] is True and document["inputs"]["hook"] == 16.0


def test_an_asset_the_inputs_cannot_make_fails_alone_and_the_exit_code_says_so(capsys, tmp_path, cover, song):
    # 2 s of footage: enough for a canvas loop (with a warning), not for a Clip (more than 3 s).
    footage = _short_footage(tmp_path)
    code, out, err = run_cli(
        capsys, cover, "--footage", footage, "--song", song, "-o", tmp_path / "out", "--only", "canvas,clip",
        "--draft", "--json",
    )  # fmt: skip
    assert code == ExitCode.FAILED, err
    statuses = {a["asset"]: (a["status"], a["reason"]) for a in json.loads(out)["assets"]}
    assert statuses["canvas"] == ("ok", None)
    assert statuses["clip"][0] == "failed" and "a clip needs more than 3 s" in statuses["clip"][1]
    assert any(line.startswith("✗ clip (spotify-clip) failed: ") for line in err.splitlines()), err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "canvas.mp4",
        "canvas.preview.png",
        "kit.json",
    ]
    assert_meets_figures("canvas", tmp_path / "out" / "canvas.mp4", draft=True)


def _short_footage(folder: Path) -> Path:
    path = folder / "short.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=360x640:r=30:d=2", "-c:v", "libx264", "-preset", "ultrafast",
           "-pix_fmt", "yuv420p", str(path))  # fmt: skip
    return path


@pytest.mark.parametrize(
    "args, words",
    [
        (["--only", "canvas,spotify"], "--only: unknown asset 'spotify'"),
        (["--skip", "reel"], "--skip: unknown asset 'reel'"),
        (["--only", "clip", "--skip", "clip"], "leave no asset"),
        (["--hook", "1:75"], "is not a time"),
        (["--lyrics", "{lyrics}"], "--lyrics goes with --song"),
        (["--song", "{song}", "--hook", "5:00"], "past the end"),
    ],
)
def test_usage_errors_exit_2_and_write_nothing(capsys, tmp_path, cover, song, lyrics, args, words):
    args = [a.format(lyrics=lyrics, song=song) for a in args]
    code, out, err = run_cli(capsys, cover, "-o", tmp_path / "out", *args)
    assert code == ExitCode.USAGE and out == ""
    assert err.startswith("mediakit: error: ") and words in err.splitlines()[0], err
    if "unknown asset" in words:
        assert ", ".join(ASSET_NAMES) in err  # the hint lists the names
    assert not (tmp_path / "out").exists()


def test_bad_inputs_exit_1_in_one_line(capsys, tmp_path, media, cover):
    video = media.video("kit-footage.mp4", size="320x568", seconds=2)
    for args, words in (
        ([tmp_path / "missing.png"], "no such file"),
        ([video], "the cover must be a still image"),
        ([cover, "--footage", cover], "--footage takes a video"),
        ([cover, "--song", cover], "has no audio"),
    ):
        code, _, err = run_cli(capsys, *args, "-o", tmp_path / "out")
        assert code == ExitCode.FAILED, err
        assert err.startswith("mediakit: error: ") and words in err.splitlines()[0], err
        assert len(err.splitlines()) <= 2 and not (tmp_path / "out").exists()


def test_existing_outputs_are_refused_before_anything_renders(capsys, tmp_path, cover):
    out = tmp_path / "out"
    out.mkdir()
    (out / "canvas.preview.png").write_bytes(b"mine")
    code, _, err = run_cli(capsys, cover, "-o", out, "--only", "canvas")
    assert code == ExitCode.OUTPUT and "canvas.preview.png already exist" in err and "--overwrite" in err
    assert sorted(p.name for p in out.iterdir()) == ["canvas.preview.png"]
    assert (out / "canvas.preview.png").read_bytes() == b"mine"
    (out / "canvas.preview.png").unlink()
    (out / KIT_JSON).write_text("{}")
    code, _, err = run_cli(capsys, cover, "-o", out, "--only", "clip")  # skipped, but kit.json is an output
    assert code == ExitCode.OUTPUT and "kit.json already exist" in err
    code, _, _ = run_cli(capsys, cover, "-o", out, "--only", "clip", "--overwrite", "-q")
    assert (
        code == ExitCode.OK and json.loads((out / KIT_JSON).read_text())["assets"][0]["status"] == "skipped"
    )


def test_an_output_folder_that_is_a_file_is_refused(capsys, tmp_path, cover):
    (tmp_path / "out").write_text("a file")
    code, _, err = run_cli(capsys, cover, "-o", tmp_path / "out", "--only", "canvas")
    assert code == ExitCode.OUTPUT and "not a folder" in err


def test_kit_help_imports_no_renderer():
    code = (
        "import sys\nfrom mediakit.cli.main import main\n"
        "try:\n    main(['kit', '--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in sys.modules\n"
        "         if m in ('numpy', 'av', 'cv2') or m.startswith('mediakit.rendering')]\n"
        "print(sorted(heavy))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert "Assets: canvas, clip, apple-tall" in done.stdout and done.stdout.rstrip().endswith("[]"), (
        done.stdout
    )


def processes_with(marker: str) -> list[str]:
    """Live processes whose environment holds `marker`: the kit and its ffmpeg children."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if marker.encode() in Path(f"/proc/{pid}/environ").read_bytes():
                found.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue
    return found


@pytest.mark.slow  # heavier: in make test-release (CI), to keep make test under 10 minutes
@pytest.mark.parametrize("delay", [0.0, 1.0])  # 0: the clip is likely between two ffmpeg runs (loudness)
def test_sigterm_stops_every_render_and_leaves_no_partial_file(tmp_path, cover, song, delay):
    marker = f"mediakit-kit-test-{uuid.uuid4()}"
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KIT_TEST_MARKER": marker}
    argv = [sys.executable, "-m", "mediakit", "kit", str(cover), "--song", str(song), "-o", str(out)]
    proc = subprocess.Popen(
        [*argv, "--only", "canvas,clip", "--jobs", "2"], env=env, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while not (out.is_dir() and any(".part." in p.name for p in out.iterdir())):  # both are rendering
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr and proc.stderr.read()
        time.sleep(0.1)
    time.sleep(delay)
    proc.send_signal(signal.SIGTERM)  # to mediakit alone, not to its ffmpeg children
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == ExitCode.INTERRUPTED, err
    assert "Traceback" not in err and err.rstrip().endswith("mediakit: interrupted")
    assert processes_with(marker) == []  # no ffmpeg outlives the kit
    assert sorted(p.name for p in out.iterdir()) == ["kit.json"]  # no temp file, no half output
    document = json.loads((out / KIT_JSON).read_text(encoding="utf-8"))
    assert document["interrupted"] is True
    assert {(a["asset"], a["status"]) for a in document["assets"]} == {
        ("canvas", "failed"),
        ("clip", "failed"),
    }


@pytest.mark.slow
def test_the_whole_kit_from_a_still_song_and_lyrics_passes_every_preset(
    capsys, tmp_path, song, lyrics, media
):
    """Every asset, default options (the 3840x3840 asset is heavy): all made, all passing their preset."""
    cover = smooth_cover(media.root / "kit-cover-3000.png", (3000, 3000))
    out = tmp_path / "release"
    code, stdout, err = run_cli(
        capsys, cover, "--song", song, "--lyrics", lyrics, "--hook", "0:10", "-o", out, "--json"
    )
    document = json.loads(stdout)
    assert code == ExitCode.OK, err
    assert [a["asset"] for a in document["assets"]] == list(ASSET_NAMES)
    for entry in document["assets"]:
        assert entry["status"] == "ok" and entry["verdict"] in ("pass", "warn"), entry
        assert not [f for f in entry["findings"] if f["severity"] == "error"], entry
        assert_meets_figures(entry["asset"], Path(entry["path"]))
        assert Path(entry["sheet"]).is_file()
    # Apple: the first frame is the static cover (a distributor requires it), fitted by a crop.
    with Image.open(cover) as im:
        expected = np.asarray(im.convert("RGB").resize((3840, 3840), Image.Resampling.LANCZOS))
    assert psnr(first_frame(out / "apple-square.mp4"), expected) > 30.0
