"""Clip audio: choose and mix the sources, fit them to the video's length, and normalize loudness."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg

from mediakit.errors import FFmpegFailed, InputError
from mediakit.ffmpeg.runner import run
from mediakit.inputs import SAFE_INPUT_OPTIONS, file_url

log = logging.getLogger(__name__)

SAMPLE_RATE = 48000
FADE_IN = 0.05  # long enough to avoid a click, short enough to keep the hook's first syllable
FADE_OUT = 0.4
SILENCE_LUFS = -60.0


@dataclass(frozen=True)
class Loudness:
    """loudnorm's first-pass measurement (the `measured_*` inputs of its second pass)."""

    integrated: float
    true_peak: float
    lra: float
    threshold: float
    offset: float


def mixed(sources: list[tuple[Any, float]], seconds: float) -> Any:
    """Sum the (stream, gain) sources as 48 kHz stereo, exactly `seconds` long, with short fades.

    Each source is already seeked at its input; the length is set by padding then trimming, so the audio
    ends with the video whatever the sources' own lengths or frame timing (no drift on VFR footage).
    """
    streams = []
    for stream, gain in sources:
        a = (
            stream.aresample(sample_rate=SAMPLE_RATE)
            .aformat(sample_fmts="fltp", channel_layouts="stereo")
            .asetpts(expr="PTS-STARTPTS")
        )
        if gain != 1.0:
            a = a.volume(volume=round(gain, 4))
        streams.append(a)
    a = (
        streams[0]
        if len(streams) == 1
        else ffmpeg.filters.amix(*streams, inputs=len(streams), duration="longest", normalize=False)
    )
    a = a.apad(whole_dur=round(seconds, 4)).atrim(end=round(seconds, 4)).asetpts(expr="PTS-STARTPTS")
    return a.afade(type="in", duration=FADE_IN).afade(
        type="out", start_time=round(max(0.0, seconds - FADE_OUT), 4), duration=FADE_OUT
    )


def measure_argv(audio: Any, ffmpeg_bin: str) -> tuple[str, ...]:
    """First pass: loudnorm measures the mixed audio and prints JSON; nothing is written."""
    out = audio.loudnorm(print_format="json").output(filename="-", extra_options={"f": "null", "vn": True})
    argv = list(out.compile())
    argv[0] = ffmpeg_bin
    return tuple(argv)


def measure(argv: tuple[str, ...]) -> Loudness:
    stderr = run(argv).stderr
    match = re.search(r"\{[^{}]*\"input_i\"[^{}]*\}", stderr, re.S)
    if not match:
        raise FFmpegFailed("ffmpeg's loudness measurement printed no result")
    data = json.loads(match.group(0))
    try:
        return Loudness(
            integrated=float(data["input_i"]),
            true_peak=float(data["input_tp"]),
            lra=float(data["input_lra"]),
            threshold=float(data["input_thresh"]),
            offset=float(data["target_offset"]),
        )
    except (KeyError, ValueError):
        # "-inf" for digital silence parses as a float; anything else unexpected is ffmpeg's fault.
        raise FFmpegFailed(f"unexpected loudness measurement: {data}") from None


def normalized(audio: Any, measured: Loudness, target: float, true_peak: float) -> Any:
    """Second pass: linear gain to `target` LUFS with a true-peak ceiling, back at 48 kHz.

    Linear mode keeps the mix's dynamics (a single gain); loudnorm falls back to its dynamic mode only when
    the gain would push peaks over the ceiling. Its target LRA must not be below the measured range, or it
    also leaves linear mode. The ceiling is set 0.5 dB under the spec so AAC's overshoot stays under it.
    """
    if measured.integrated < SILENCE_LUFS:
        raise InputError(
            f"the audio is silent ({measured.integrated:.0f} LUFS)",
            "add a track: --audio song.wav (or raise the footage's level)",
        )
    lra = min(50.0, max(11.0, measured.lra + 1.0))
    return audio.loudnorm(
        I=target,
        TP=true_peak - 0.5,
        LRA=lra,
        measured_I=measured.integrated,
        measured_TP=measured.true_peak,
        measured_LRA=measured.lra,
        measured_thresh=measured.threshold,
        offset=measured.offset,
        linear=True,
    ).aresample(sample_rate=SAMPLE_RATE)


@dataclass(frozen=True)
class OutputLoudness:
    integrated: float
    true_peak: float


def output_loudness(path: Path, ffmpeg_bin: str) -> OutputLoudness:
    """Integrated loudness and true peak of a finished file (ebur128: a different meter from loudnorm)."""
    src = ffmpeg.input(file_url(path), extra_options=dict(SAFE_INPUT_OPTIONS))
    # typed-ffmpeg types ebur128 as multi-output (it can draw video too); used as a plain audio filter here.
    out = ffmpeg.afilter(src.audio, name="ebur128", peak="true").output(
        filename="-", extra_options={"f": "null", "vn": True}
    )
    argv = list(out.compile())
    argv[0] = ffmpeg_bin
    stderr = run(argv).stderr
    summary = stderr[stderr.rfind("Summary:") :]
    i = re.search(r"I:\s+(-?[\d.]+|-inf)\s+LUFS", summary)
    tp = re.search(r"Peak:\s+(-?[\d.]+|-inf)\s+dBFS", summary)
    if not i or not tp:
        raise FFmpegFailed("ffmpeg's ebur128 printed no summary")
    return OutputLoudness(float(i.group(1)), float(tp.group(1)))
