"""x264's rc-lookahead: its memory, and what it does to size and quality (the basis of mediakit's 30).

Usage: python benchmarks/lookahead.py [--values 50 40 30 20] [--work DIR]

Encodes the same 7 s of noisy, moving 1080x1920 frames (raw, generated once with lavfi) with mediakit's
canvas settings (x264 slow, CRF 20, the 8 MB cap) at each rc-lookahead, and prints for each: the peak RSS
of the encoding ffmpeg (its VmHWM), the file size and the PSNR against the raw frames. A longer lookahead
that only moves along the rate-distortion curve (more bytes, more dB, in the usual ~6 dB per doubling of
bytes) is not a better encoder setting, only a different quality target; what it always costs is memory.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import imageio_ffmpeg

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
ROOT = Path(__file__).resolve().parent.parent
SIZE, FPS, FRAMES = "1080x1920", 30, 210
SOURCE = (
    f"testsrc2=s={SIZE}:r={FPS}:d=7,noise=alls=12:allf=t,boxblur=2:1,format=yuv420p[a];"
    f"cellauto=s={SIZE}:r={FPS}:rule=110,format=yuv420p[b];[a][b]blend=all_mode=average,format=yuv420p"
)


def peak_rss(argv: list[str]) -> int:
    """Run argv; its VmHWM in bytes (read from /proc just before it exits, polled every 20 ms)."""
    proc = subprocess.Popen(argv, stderr=subprocess.DEVNULL)
    peak = 0

    def poll() -> None:
        nonlocal peak
        while proc.poll() is None:
            try:
                status = Path(f"/proc/{proc.pid}/status").read_text()
                peak = max(peak, int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) * 1024)  # type: ignore[union-attr]
            except (OSError, AttributeError):
                pass
            time.sleep(0.02)

    thread = threading.Thread(target=poll)
    thread.start()
    if proc.wait() != 0:
        sys.exit(f"failed: {' '.join(argv)}")
    thread.join()
    return peak


def psnr(encoded: Path, raw: Path) -> float:
    done = subprocess.run(
        [FFMPEG, "-i", str(encoded), "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", SIZE, "-r", str(FPS),
         "-i", str(raw), "-lavfi", "[0][1]psnr", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(re.search(r"average:([\d.]+)", done.stderr).group(1))  # type: ignore[union-attr]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values", type=int, nargs="+", default=[50, 40, 30, 20])
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "results" / "work" / "lookahead")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    raw = args.work / "noisy-1080x1920.yuv"
    if not raw.exists():
        subprocess.run(
            [FFMPEG, "-v", "error", "-y", "-filter_complex", SOURCE, "-frames:v", str(FRAMES),
             "-f", "rawvideo", str(raw)],
            check=True,
        )  # fmt: skip
    print(f"{FRAMES} noisy moving frames, {SIZE}, x264 slow CRF 20 (mediakit's canvas settings)")
    print(f"{'rc-lookahead':>12} {'x264 peak MB':>13} {'bytes':>10} {'PSNR dB':>8}")
    for value in args.values:
        out = args.work / f"la{value}.mp4"
        argv = [
            FFMPEG, "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-video_size", SIZE,
            "-framerate", str(FPS), "-i", str(raw), "-c:v", "libx264", "-profile:v", "high",
            "-preset", "slow", "-crf", "20", "-maxrate", "8228k", "-bufsize", "16456k",
            "-x264-params", f"rc-lookahead={value}", "-f", "mp4", str(out),
        ]  # fmt: skip
        rss = peak_rss(argv)
        print(f"{value:>12} {rss / 1e6:>13.0f} {out.stat().st_size:>10} {psnr(out, raw):>8.2f}")


if __name__ == "__main__":
    main()
