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


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "samples/generated")
    out.mkdir(parents=True, exist_ok=True)
    jobs = {"cover.png": cover, "footage.mp4": footage, "ready.canvas.mp4": ready_canvas}
    for name, make in jobs.items():
        target = out / name
        if not target.exists():
            tmp = target.with_name(f".tmp-{name}")
            make(tmp)
            tmp.replace(target)
        print(target)


if __name__ == "__main__":
    main()
