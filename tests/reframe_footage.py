"""Generated landscape footage for the reframe tests and benchmark: a real face (the astronaut head) that
holds, moves, pauses and reverses over a textured background, with a hard cut halfway; its path is known."""

from __future__ import annotations

import itertools
import subprocess
from dataclasses import dataclass
from pathlib import Path

import cv2
import imageio_ffmpeg
import numpy as np

HEAD = Path(__file__).parent / "realworld" / "framing" / "astronaut_head.png"
FPS = 30


@dataclass(frozen=True)
class Footage:
    path: Path
    size: tuple[int, int]
    sprite: np.ndarray  # RGB, as drawn into every frame
    positions: np.ndarray  # (frames, 2): the sprite's top-left corner in each frame
    cut: int  # first frame of the second shot
    holds: tuple[tuple[int, int], ...]  # [a, b) frame ranges where the sprite does not move


def _keys(seconds: float) -> list[tuple[float, float]]:
    """(time, x as a share of the width) keyframes: shot 1 holds, moves right, holds, reverses; shot 2
    (after the cut at half time) holds on the right, moves left, holds."""
    half = seconds / 2
    return [
        (0.0, 0.15), (1.0, 0.15), (2.5, 0.62), (3.3, 0.62), (half, 0.40),  # shot 1
        (half, 0.70), (half + 1.5, 0.70), (half + 3.2, 0.20), (seconds, 0.20),  # shot 2
    ]  # fmt: skip


def _background(width: int, height: int, seed: int, tint: tuple[float, float, float]) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = rng.random((height // 8 + 1, width // 8 + 1, 3)).astype(np.float32)
    big = cv2.resize(noise, (width, height), interpolation=cv2.INTER_CUBIC)
    fine = rng.random((height, width, 1)).astype(np.float32) * 0.25
    ramp = np.linspace(0.6, 1.0, width, dtype=np.float32)[None, :, None]
    picture = (0.55 * big + fine) * ramp * np.array(tint, np.float32)
    return np.clip(picture * 255, 0, 255).astype(np.uint8)


def make(
    path: Path, width: int = 960, height: int = 540, seconds: float = 9.0, audio: bool = True
) -> Footage:
    """Write the footage (H.264 CRF 16, with a tone when `audio`) and return what is in it."""
    frames = round(seconds * FPS)
    head = cv2.cvtColor(cv2.imread(str(HEAD)), cv2.COLOR_BGR2RGB)
    side = round(height * 0.30) // 2 * 2
    sprite = cv2.resize(head, (side, side), interpolation=cv2.INTER_AREA)
    keys = _keys(seconds)
    cut = frames // 2
    backgrounds = (
        _background(width, height, 1, (1.0, 0.9, 0.7)),
        _background(width, height, 2, (0.6, 0.8, 1.0)),
    )
    positions = np.zeros((frames, 2), dtype=np.int64)
    for i in range(frames):
        t = i / FPS
        shot = keys[:5] if i < cut else keys[5:]
        times = np.array([k[0] for k in shot])
        xs = np.array([k[1] for k in shot])
        x = float(np.interp(t, times, xs)) * width - side / 2
        y = (0.30 if i < cut else 0.45) * height - side / 2
        positions[i] = (round(min(max(x, 0), width - side)), round(y))
    holds = (
        (1, round(1.0 * FPS)),
        (round(2.5 * FPS) + 1, round(3.3 * FPS)),
        (cut + 1, cut + round(1.5 * FPS)),
        (cut + round(3.2 * FPS) + 1, frames),
    )
    argv = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-nostdin", "-y", "-f", "rawvideo",
            "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", str(FPS), "-i", "pipe:0"]  # fmt: skip
    if audio:
        argv += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:d={seconds}"]
    argv += ["-c:v", "libx264", "-preset", "veryfast", "-crf", "16", "-pix_fmt", "yuv420p", "-g", "60",
             "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
             "-shortest", str(path)]  # fmt: skip
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE)
    assert proc.stdin is not None
    for i in range(frames):
        frame = backgrounds[0 if i < cut else 1].copy()
        x, y = positions[i]
        frame[y : y + side, x : x + side] = sprite
        proc.stdin.write(frame.tobytes())
    proc.stdin.close()
    assert proc.wait(timeout=300) == 0
    return Footage(path, (width, height), sprite, positions, cut, holds)


def find_sprite(frame_rgb: np.ndarray, template: np.ndarray) -> tuple[float, tuple[int, int]]:
    """The best normalised-correlation match of `template` fully inside `frame_rgb`: (score, top-left)."""
    grey = cv2.cvtColor(frame_rgb, cv2.COLOR_RGB2GRAY)
    tgrey = cv2.cvtColor(template, cv2.COLOR_RGB2GRAY)
    if tgrey.shape[0] > grey.shape[0] or tgrey.shape[1] > grey.shape[1]:
        return 0.0, (0, 0)
    scores = cv2.matchTemplate(grey, tgrey, cv2.TM_CCOEFF_NORMED)
    _, best, _, where = cv2.minMaxLoc(scores)
    return float(best), (int(where[0]), int(where[1]))


def pan_steps(frames_grey: list[np.ndarray], rows: tuple[float, float] = (0.72, 0.98)) -> np.ndarray:
    """How far the picture moved sideways from each frame to the next (output px, subpixel; positive: the
    crop moved right), measured by ECC (translation) on a band of rows the subject never enters."""
    steps = []
    criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 100, 1e-5)
    for a, b in itertools.pairwise(frames_grey):
        h = a.shape[0]
        band_a = a[int(h * rows[0]) : int(h * rows[1])].astype(np.float32)
        band_b = b[int(h * rows[0]) : int(h * rows[1])].astype(np.float32)
        # Phase correlation finds a large step (a fast pan) that ECC alone would not converge from.
        (dx, dy), _ = cv2.phaseCorrelate(band_a, band_b)
        warp = np.array([[1, 0, dx], [0, 1, dy]], dtype=np.float32)
        try:
            _, warp = cv2.findTransformECC(band_a, band_b, warp, cv2.MOTION_TRANSLATION, criteria, None, 5)  # type: ignore[call-overload]
        except cv2.error:
            steps.append(np.nan)
            continue
        steps.append(-float(warp[0, 2]))  # the picture moves left when the crop moves right
    return np.array(steps)
