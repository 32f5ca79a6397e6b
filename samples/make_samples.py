"""Generate the bundled sample inputs (nothing large is committed; see samples/README.md).

Usage: python samples/make_samples.py [OUT_DIR]   (default: samples/generated)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import imageio_ffmpeg
import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def cover(path: Path, size: int = 3000, seed: int = 7) -> None:
    """A square cover-art still: soft colour fields, rings and fine grain (texture keeps motion visible)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    r = 0.55 + 0.45 * np.sin(6.0 * x + 2.0 * y)
    g = 0.35 + 0.35 * np.sin(5.0 * y - 3.0 * x + 1.0)
    b = 0.60 + 0.40 * np.cos(4.0 * (x - 0.5) ** 2 * 9 + 3.0 * y)
    rgb = np.stack([r, g, b], axis=-1) * 215
    im = Image.fromarray(rgb.clip(0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(im)
    for _ in range(40):
        cx, cy = rng.uniform(0, size, 2)
        rad = rng.uniform(size * 0.02, size * 0.16)
        colour = tuple(int(c) for c in rng.integers(40, 255, 3))
        draw.ellipse((cx - rad, cy - rad, cx + rad, cy + rad), outline=colour, width=int(rng.integers(6, 30)))
    im = im.filter(ImageFilter.GaussianBlur(1.2))
    grain = rng.normal(0, 6, (size, size, 1))
    out = (np.asarray(im, dtype=np.float32) + grain).clip(0, 255).astype(np.uint8)
    Image.fromarray(out).save(path, optimize=False, compress_level=3)


def _ffmpeg(*args: str) -> None:
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-nostdin", "-y", *args], check=True)


def footage(path: Path, seconds: int = 10) -> None:
    """Landscape 1080p footage with motion everywhere (moving gradients over a test pattern)."""
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        f"gradients=s=960x540:r=30:d={seconds}:speed=0.03:n=5:seed=3",
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=s=960x540:r=30:d={seconds}",
        "-filter_complex",
        "[0][1]blend=all_mode=softlight,scale=1920:1080,format=yuv420p",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        "23",
        str(path),
    )


def ready_canvas(path: Path) -> None:
    """A small canvas that already meets the spec (720x1280, 4 s, 30 fps, H.264, no audio)."""
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=720x1280:r=30:d=4",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-pix_fmt",
        "yuv420p",
        "-movflags",
        "+faststart",
        str(path),
    )


def song(path: Path, seconds: int = 40) -> None:
    """A 40 s stereo "song": two detuned chords that pulse twice a second over pink noise (loudness like
    music, so a clip normalizes it rather than refusing it as too quiet)."""
    tones = "+".join(
        f"{a}*sin(2*PI*{f}*t)" for a, f in ((0.25, 220), (0.18, 277.2), (0.15, 329.6), (0.1, 440))
    )
    pulse = "(0.65+0.35*{}(2*PI*2*t))"
    left, right = f"({tones})*{pulse.format('sin')}", f"({tones})*{pulse.format('cos')}"
    _ffmpeg(
        "-f", "lavfi", "-i", f"aevalsrc='{left}|{right}':s=48000:d={seconds}",
        "-f", "lavfi", "-i", f"anoisesrc=d={seconds}:c=pink:a=0.05:r=48000",
        "-filter_complex", "[0:a][1:a]amix=inputs=2:normalize=0", "-c:a", "pcm_s16le", str(path),
    )  # fmt: skip


LYRICS = """1
00:00:10,000 --> 00:00:13,000
Lights down low on the avenue

2
00:00:13,200 --> 00:00:16,500
every window singing back to you

3
00:00:16,800 --> 00:00:20,000
Hold the night, don't let it go

4
00:00:20,200 --> 00:00:24,000
out now, everywhere
"""


def lyrics(path: Path) -> None:
    """Lyrics timed in the song's time (the hook is at 0:10)."""
    path.write_text(LYRICS, encoding="utf-8")


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "samples/generated")
    out.mkdir(parents=True, exist_ok=True)
    jobs = {
        "cover.png": cover,
        "footage.mp4": footage,
        "ready.canvas.mp4": ready_canvas,
        "song.wav": song,
        "lyrics.srt": lyrics,
    }
    for name, make in jobs.items():
        target = out / name
        if not target.exists():
            tmp = target.with_name(f".tmp-{name}")
            make(tmp)
            tmp.replace(target)
        print(target)


if __name__ == "__main__":
    main()
