"""Benchmark inputs, generated once into a cache folder (benchmarks/results/media/, gitignored).

File names carry their recipe (size, length, version), so a changed recipe makes a new file instead of
silently reusing an old one. Everything is written to a temp name and renamed, so an interrupted run never
leaves a half-written input in the cache.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "samples"))
import make_samples  # noqa: E402  (samples/ is a folder of scripts, not a package)

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
VALIDATE_COUNT = 100
# Four distinct small canvases (720x1280, 4 s, ultrafast), copied to make the 100-file validation set.
VALIDATE_SOURCES = {
    "testsrc2": "testsrc2=s=720x1280:r=30:d=4",
    "gradients": "gradients=s=720x1280:r=30:d=4:speed=0.05:seed=11",
    "smptehdbars": "smptehdbars=s=720x1280:r=30:d=4",
    "testsrc2-25fps": "testsrc2=s=720x1280:r=25:d=4",
}


@dataclass(frozen=True)
class Inputs:
    cover: Path  # 3000x3000 PNG still
    footage: Path  # 1920x1080, 30 fps, 10 s, H.264
    uhd: Path  # 3840x2160, 30 fps, 10 s, H.264
    validate_dir: Path  # 100 small MP4 canvases
    clip_footage: Path  # 1920x1080, 30 fps, 20 s, H.264 + AAC pink noise (the clip job's source)
    lyrics: Path  # SRT with 4 captions inside the clip job's first 15 s
    song: Path  # 20 s stereo WAV, 48 kHz 16-bit: two tones over pink noise (the clip-still job's track)
    clip_mov: Path  # 1080x1920, 30 fps, 20 s, H.264 + AAC at about -14 LUFS, in a MOV (fix-remux's input)
    fix_dir: Path  # 100 small files that fail their preset in assorted ways (fix-folder's input)


# Four cues inside the first 15 s (the clip job renders 0-15 s), one of them long enough to wrap.
LYRICS = """1
00:00:00,500 --> 00:00:03,500
If this hits you, tap Save

2
00:00:04,000 --> 00:00:07,500
We were dancing on the edge of the night

3
00:00:08,000 --> 00:00:11,000
Hold on, hold on

4
00:00:11,500 --> 00:00:14,500
New single out Friday
"""


def ffmpeg(*args: str) -> None:
    subprocess.run([FFMPEG, "-v", "error", "-nostdin", "-y", *args], check=True, timeout=900)


def _cached(path: Path, make: Callable[[Path], None], log: Callable[[str], None]) -> Path:
    if not path.exists():
        log(f"generating {path.name}")
        tmp = path.with_name(f".tmp-{path.name}")
        make(tmp)
        tmp.replace(path)
    return path


def _uhd(path: Path) -> None:
    # Moving gradients over a test pattern, as samples/make_samples.py makes its footage, at 3840x2160.
    # x264 veryfast has B-frames, like camera footage; the decoder's memory is part of what is measured.
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "gradients=s=1920x1080:r=30:d=10:speed=0.03:n=5:seed=3",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=1920x1080:r=30:d=10",
        "-filter_complex",
        "[0][1]blend=all_mode=softlight,scale=3840:2160:flags=bicubic,format=yuv420p",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        "23",
        "-f",
        "mp4",
        str(path),
    )


def _footage_with_audio(path: Path) -> None:
    # samples/make_samples.py's footage recipe, 20 s long, plus a stereo pink-noise track (AAC 192k,
    # 48 kHz) at about -20 LUFS, so the clip job's loudnorm has a real gain to apply.
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "gradients=s=960x540:r=30:d=20:speed=0.03:n=5:seed=3",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=960x540:r=30:d=20",
        "-f",
        "lavfi",
        "-i",
        "anoisesrc=color=pink:sample_rate=48000:amplitude=0.3:duration=20:seed=5",
        "-filter_complex",
        "[0][1]blend=all_mode=softlight,scale=1920:1080,format=yuv420p[v];[2]aformat=channel_layouts=stereo[a]",
        "-map",
        "[v]",
        "-map",
        "[a]",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        "23",
        "-c:a",
        "aac",
        "-b:a",
        "192k",
        "-f",
        "mp4",
        str(path),
    )


def _song(path: Path) -> None:
    # A stand-in for a mastered track: two tones (A3 and E4, pulsing at 2 Hz) over pink noise, about
    # -21 LUFS, so the loudness step has a real gain to find. WAV, as a song comes from a DAW.
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=220:sample_rate=48000:duration=20",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=330:sample_rate=48000:duration=20",
        "-f",
        "lavfi",
        "-i",
        "anoisesrc=color=pink:sample_rate=48000:amplitude=0.15:duration=20:seed=7",
        "-filter_complex",
        "[0][1][2]amix=inputs=3:normalize=0,tremolo=f=2:d=0.5,aformat=channel_layouts=stereo",
        "-c:a",
        "pcm_s16le",
        "-f",
        "wav",
        str(path),
    )


def _small_canvas(source: str) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        ffmpeg(
            "-f",
            "lavfi",
            "-i",
            source,
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-movflags",
            "+faststart",
            "-f",
            "mp4",
            str(path),
        )

    return make


def _validate_set(folder: Path, log: Callable[[str], None]) -> Path:
    if folder.is_dir() and len(list(folder.glob("*.mp4"))) == VALIDATE_COUNT:
        return folder
    log(f"generating {VALIDATE_COUNT} files in {folder.name}/")
    tmp = folder.with_name(f".tmp-{folder.name}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    distinct = [
        _cached(tmp / f"src-{name}.mp4", _small_canvas(spec), lambda _: None)
        for name, spec in VALIDATE_SOURCES.items()
    ]
    for i in range(VALIDATE_COUNT):
        src = distinct[i % len(distinct)]
        shutil.copyfile(src, tmp / f"{i:03d}-{src.stem.removeprefix('src-')}.mp4")
    for src in distinct:
        src.unlink()
    shutil.rmtree(folder, ignore_errors=True)
    tmp.replace(folder)
    return folder


# The sound of fix's inputs: a stereo 220 Hz tone at about -14 LUFS (a clip's target, within its 2 LU;
# measured -13.8), peaks near -10 dBFS. (Pink noise would need clipping to get there.)
TONE_14 = "sine=frequency=220:sample_rate=48000,volume=8dB,aformat=channel_layouts=stereo"
# A clip mastered far too loud: a 440 Hz tone at about -6 LUFS.
LOUD = "sine=frequency=440:sample_rate=48000,volume=15dB,aformat=channel_layouts=stereo"


def _media_file(
    video: str, seconds: float, *, audio: str | None = None, codec: tuple[str, ...] = (), fmt: str = "mp4"
) -> Callable[[Path], None]:
    """A lavfi picture (and sound), `seconds` long, encoded with `codec` (default: x264 ultrafast)."""

    def make(path: Path) -> None:
        args = ["-f", "lavfi", "-t", str(seconds), "-i", video]
        if audio:
            args += ["-f", "lavfi", "-t", str(seconds), "-i", audio]
        args += list(codec or ("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"))
        if audio:
            args += ["-c:a", "aac", "-b:a", "192k"]
        ffmpeg(*args, "-movflags", "+faststart", "-f", fmt, str(path))

    return make


def _clip_mov(path: Path) -> None:
    # The footage recipe drawn at 540x960 and scaled to a 1080x1920 picture, 20 s, x264 veryfast (B-frames,
    # like an editor's export), with sound at the clip preset's loudness: only the container is wrong
    # (Spotify Clips take MOV, but recommend MP4), so `mediakit fix` rewraps it.
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "gradients=s=540x960:r=30:d=20:speed=0.03:n=5:seed=3",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=540x960:r=30:d=20",
        "-f",
        "lavfi",
        "-t",
        "20",
        "-i",
        TONE_14,
        "-filter_complex",
        "[0][1]blend=all_mode=softlight,scale=1080:1920,format=yuv420p[v]",
        "-map",
        "[v]",
        "-map",
        "2:a",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        "23",
        "-c:a",
        "aac",
        "-b:a",
        "192k",
        "-f",
        "mov",
        str(path),
    )


def _lavfi(source: str, size: str, fps: int = 30) -> str:
    return f"{source}=s={size}:r={fps}"


PORTRAIT = "720x1280"
MPEG4 = ("-c:v", "mpeg4", "-q:v", "4")
# fix-folder: distinct failing (or passing) files, each copied COUNT times. Silent files are checked as
# Spotify Canvases, files with sound as Spotify Clips (how `mediakit fix` chooses without --as).
FIX_SOURCES: dict[str, tuple[int, Callable[[Path], None]]] = {
    # container: a MOV canvas -> rewrapped as MP4
    "mov-a.mov": (7, _media_file(_lavfi("testsrc2", PORTRAIT), 4, fmt="mov")),
    "mov-b.mov": (7, _media_file(_lavfi("gradients", PORTRAIT) + ":speed=0.05:seed=11", 6, fmt="mov")),
    "mov-c.mov": (6, _media_file(_lavfi("smptehdbars", PORTRAIT), 7, fmt="mov")),
    # codec: MPEG-4 Part 2 -> the video re-encoded as H.264
    "mpeg4-a.mp4": (5, _media_file(_lavfi("testsrc2", PORTRAIT), 3, codec=MPEG4)),
    "mpeg4-b.mp4": (5, _media_file(_lavfi("gradients", "576x1024") + ":speed=0.05:seed=4", 4, codec=MPEG4)),
    # 60 fps -> re-encoded at 30
    "60fps.mp4": (8, _media_file(_lavfi("testsrc2", PORTRAIT, 60), 3)),
    # landscape and too small: re-rendered with the framing options
    "landscape.mp4": (8, _media_file(_lavfi("testsrc2", "1280x720"), 3)),
    "small.mp4": (4, _media_file(_lavfi("testsrc2", "360x640"), 3)),
    # too short to be a canvas: nothing can fix it
    "short.mp4": (10, _media_file(_lavfi("testsrc2", PORTRAIT), 1.5)),
    # passing canvases
    "ok-a.mp4": (10, _media_file(_lavfi("testsrc2", PORTRAIT), 5)),
    "ok-b.mp4": (10, _media_file(_lavfi("smptehdbars", "1080x1920"), 4)),
    # clips: far too loud -> the audio alone levelled; a MOV -> rewrapped; one that passes
    "loud.mp4": (8, _media_file(_lavfi("testsrc2", "1080x1920"), 4, audio=LOUD)),
    "clip-mov.mov": (6, _media_file(_lavfi("testsrc2", "1080x1920"), 5, audio=TONE_14, fmt="mov")),
    "clip-ok.mp4": (6, _media_file(_lavfi("testsrc2", "1080x1920"), 4, audio=TONE_14)),
}
FIX_COUNT = sum(count for count, _ in FIX_SOURCES.values())


def _fix_set(folder: Path, log: Callable[[str], None]) -> Path:
    if folder.is_dir() and len([p for p in folder.iterdir() if p.is_file()]) == FIX_COUNT:
        return folder
    log(f"generating {FIX_COUNT} files in {folder.name}/")
    tmp = folder.with_name(f".tmp-{folder.name}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    index = 0
    for name, (count, make) in FIX_SOURCES.items():
        src = _cached(tmp / f"src-{name}", make, lambda _: None)
        for _ in range(count):
            shutil.copyfile(src, tmp / f"{index:03d}-{name}")
            index += 1
        src.unlink()
    shutil.rmtree(folder, ignore_errors=True)
    tmp.replace(folder)
    return folder


def prepare(cache: Path, log: Callable[[str], None] = print) -> Inputs:
    """Every input the jobs need, generated on first use."""
    cache.mkdir(parents=True, exist_ok=True)
    return Inputs(
        cover=_cached(cache / "cover-3000-v1.png", lambda p: make_samples.cover(p, size=3000), log),
        footage=_cached(
            cache / "footage-1080p-10s-v1.mp4", lambda p: make_samples.footage(p, seconds=10), log
        ),
        uhd=_cached(cache / "uhd-2160p-10s-v1.mp4", _uhd, log),
        validate_dir=_validate_set(cache / f"validate-{VALIDATE_COUNT}-v1", log),
        clip_footage=_cached(cache / "footage-av-1080p-20s-v1.mp4", _footage_with_audio, log),
        lyrics=_cached(cache / "lyrics-4-v1.srt", lambda p: p.write_text(LYRICS, encoding="utf-8"), log),
        song=_cached(cache / "song-20s-v1.wav", _song, log),
        clip_mov=_cached(cache / "clip-1080x1920-20s-v1.mov", _clip_mov, log),
        fix_dir=_fix_set(cache / f"fix-{FIX_COUNT}-v1", log),
    )
