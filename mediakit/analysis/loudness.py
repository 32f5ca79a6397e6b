"""The loudness meter: ffmpeg's ebur128 (BS.1770 integrated loudness and true peak) over a graph or a file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg

from mediakit.errors import FFmpegFailed
from mediakit.ffmpeg.runner import run
from mediakit.inputs import SAFE_INPUT_OPTIONS, file_url


@dataclass(frozen=True)
class Loudness:
    """Integrated loudness (LUFS) and true peak (dBTP), as ebur128 measures them."""

    integrated: float
    true_peak: float


def measure_argv(audio: Any, ffmpeg_bin: str) -> tuple[str, ...]:
    """An audio-only pass: ebur128 measures `audio` and prints its summary; nothing is written."""
    # typed-ffmpeg types ebur128 as multi-output (it can draw video too); used as a plain audio filter here.
    out = ffmpeg.afilter(audio, name="ebur128", peak="true").output(
        filename="-", extra_options={"f": "null", "vn": True}
    )
    argv = list(out.compile())
    argv[0] = ffmpeg_bin
    return tuple(argv)


def measure(argv: tuple[str, ...]) -> Loudness:
    return _summary(run(argv).stderr)


def _summary(stderr: str) -> Loudness:
    summary = stderr[stderr.rfind("Summary:") :]
    i = re.search(r"I:\s+(-?[\d.]+|-inf)\s+LUFS", summary)
    tp = re.search(r"Peak:\s+(-?[\d.]+|-inf)\s+dBFS", summary)
    if not i or not tp:
        raise FFmpegFailed("ffmpeg's ebur128 printed no summary")
    return Loudness(float(i.group(1)), float(tp.group(1)))


@dataclass(frozen=True)
class OutputLoudness:
    integrated: float
    true_peak: float


def output_loudness(path: Path, ffmpeg_bin: str) -> OutputLoudness:
    """Integrated loudness and true peak of a finished file, as written (after AAC)."""
    got = measure(file_measure_argv(path, ffmpeg_bin))
    return OutputLoudness(got.integrated, got.true_peak)


def file_measure_argv(path: Path, ffmpeg_bin: str) -> tuple[str, ...]:
    """The ebur128 pass over a file's audio (what output_loudness runs)."""
    src = ffmpeg.input(file_url(path), extra_options=dict(SAFE_INPUT_OPTIONS))
    return measure_argv(src.audio, ffmpeg_bin)
