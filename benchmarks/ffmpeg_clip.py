"""The clip job's reference: the two hand-written ffmpeg commands a user would run for a Clip.

Usage (run as its own process; both passes are timed together):
    python benchmarks/ffmpeg_clip.py FFMPEG FOOTAGE.mp4 CAPTIONS.ass FONTS_DIR OUT.mp4 --seconds 15 \
        -- VIDEO_OPTIONS...

1. loudnorm measuring pass, audio only: `ffmpeg -t 15 -i FOOTAGE -vn -af loudnorm=print_format=json -f null -`
2. one render: crop to 9:16, scale to 1080x1920, burn CAPTIONS.ass, loudnorm's second pass with the
   measured values (linear, I=-14, TP=-1.5), AAC 192k 48 kHz stereo, VIDEO_OPTIONS (mediakit's x264 options).

Both commands are printed on stdout (one per line, shell-quoted) so the report shows what was run. Only the
standard library is imported: the driver adds an interpreter start-up (~20 ms) and nothing else.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
import sys

SIZE = (1080, 1920)
TARGET_LUFS, TRUE_PEAK = -14.0, -1.5
BT709_TAGS = "setparams=range=tv:color_primaries=bt709:color_trc=bt709:colorspace=bt709"
QUIET = ["-hide_banner", "-nostdin"]


def _filter_path(path: str) -> str:
    """A path inside a filter argument: escape the characters the filter parser treats specially."""
    return path.replace("\\", "\\\\").replace(":", "\\:").replace("'", "\\'").replace(",", "\\,")


def _height(ffmpeg: str, source: str) -> int:
    """The footage's height, from ffmpeg's own stream line (no ffprobe in imageio-ffmpeg)."""
    done = subprocess.run([ffmpeg, *QUIET, "-i", source], capture_output=True, text=True, check=False)
    match = re.search(r"Video: .*?, (\d+)x(\d+)", done.stderr)
    if not match:
        raise SystemExit(f"cannot read the size of {source}")
    return int(match.group(2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("ffmpeg", "source", "ass", "fonts_dir", "output"):
        parser.add_argument(name)
    parser.add_argument("--seconds", type=float, default=15.0)
    argv = sys.argv[1:]
    cut = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:cut])
    video_options = argv[cut + 1 :]
    t = f"{args.seconds:g}"

    measure = [args.ffmpeg, *QUIET, "-t", t, "-i", args.source, "-vn"]
    measure += ["-af", "loudnorm=print_format=json", "-f", "null", "-"]
    print(shlex.join(measure), flush=True)
    stderr = subprocess.run(measure, capture_output=True, text=True, check=True).stderr
    m = json.loads(re.search(r"\{[^{}]*\"input_i\"[^{}]*\}", stderr, re.S).group(0))  # type: ignore[union-attr]
    lra = min(50.0, max(11.0, float(m["input_lra"]) + 1.0))  # below the measured LRA, linear mode is dropped
    loudnorm = (
        f"loudnorm=I={TARGET_LUFS:g}:TP={TRUE_PEAK:g}:LRA={lra:g}:measured_I={m['input_i']}"
        f":measured_TP={m['input_tp']}:measured_LRA={m['input_lra']}:measured_thresh={m['input_thresh']}"
        f":offset={m['target_offset']}:linear=true,aresample=48000"
    )
    h = _height(args.ffmpeg, args.source)
    crop_w = round(h * SIZE[0] / SIZE[1] / 2) * 2
    video = (
        f"crop={crop_w}:{h},scale={SIZE[0]}:{SIZE[1]}:flags=lanczos,"
        f"ass={_filter_path(args.ass)}:fontsdir={_filter_path(args.fonts_dir)},format=yuv420p,{BT709_TAGS}"
    )
    render = [args.ffmpeg, *QUIET, "-loglevel", "error", "-y", "-t", t, "-i", args.source]
    render += ["-vf", video, "-af", loudnorm, *video_options]
    render += ["-c:a", "aac", "-b:a", "192k", "-ar", "48000", "-ac", "2", "-t", t, args.output]
    print(shlex.join(render), flush=True)
    subprocess.run(render, check=True)


if __name__ == "__main__":
    main()
