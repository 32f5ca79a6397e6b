"""Clip audio: mix the sources as stereo, fit them to the video's length, and set their loudness."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ffmpeg

from mediakit.analysis.loudness import Loudness as Loudness
from mediakit.analysis.loudness import OutputLoudness as OutputLoudness
from mediakit.analysis.loudness import measure as measure
from mediakit.analysis.loudness import measure_argv as measure_argv
from mediakit.analysis.loudness import output_loudness as output_loudness

log = logging.getLogger(__name__)

SAMPLE_RATE = 48000
FADE_IN = 0.05  # long enough to avoid a click, short enough to keep the hook's first syllable
FADE_OUT = 0.4
# Below this the mix is noise floor, not a programme: reaching -14 LUFS would take over 46 dB of gain. The
# same floor as the clip preset's `audio-level` (silence) rule; -70 LUFS is BS.1770's absolute gate.
SILENCE_LUFS = -60.0
# Headroom under the true-peak ceiling for a plain gain: AAC's overshoot is measured anyway (see fit_gain).
LINEAR_MARGIN = 0.5
# The limiter works on 4x oversampled audio (so on near-true peaks) and sits under the ceiling: resampling
# back to 48 kHz and AAC both add overshoot to the limited peaks.
LIMITER_MARGIN = 1.0
OVERSAMPLED = SAMPLE_RATE * 4
LEVEL_TOLERANCE = 0.1  # LU: how close the encoded level must come to the target
MAX_PASSES = 5
AAC = {"c:a": "aac", "b:a": "192k", "ar": SAMPLE_RATE, "ac": 2}


@dataclass(frozen=True)
class Gain:
    """What the render applies: a gain in dB, then (if `limit_at` is set) a limiter at that level (dBFS)."""

    db: float
    limit_at: float | None = None


def mixed(sources: list[tuple[Any, float]], seconds: float) -> Any:
    """Sum the (stream, gain) sources as 48 kHz stereo, exactly `seconds` long, with short fades.

    Each source is already seeked at its input; the length is set by padding then trimming, so the audio
    ends with the video whatever the sources' own lengths or frame timing (no drift on VFR footage).
    Mono is upmixed and 5.1 downmixed to stereo here, before anything is measured: loudness is measured
    and set in the layout that is written.
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


def too_quiet(measured: Loudness) -> bool:
    """Whether the mix is too quiet to normalize (ebur128 reads -70 LUFS when everything is gated out)."""
    return not measured.integrated >= SILENCE_LUFS


def first_gain(measured: Loudness, target: float, true_peak: float) -> Gain:
    """The gain the mix's own measure asks for, with the limiter when the peaks have no room for it (a
    draft's whole loudness step; fit_gain's first candidate)."""
    db = target - measured.integrated
    limited = measured.true_peak + db > true_peak - LINEAR_MARGIN
    return Gain(round(db, 2), true_peak - LIMITER_MARGIN if limited else None)


def fit_gain(
    measured: Loudness, target: float, true_peak: float, encoded: Callable[[Gain], Loudness]
) -> Gain:
    """The gain (and limiter, if needed) that brings the mix to `target` LUFS under `true_peak` dBTP.

    `measured` is the mix before any gain; `encoded(gain)` measures the mix with `gain` applied after the
    AAC round trip, i.e. as the file will read: AAC's low-pass takes up to 0.3 LU off bright audio and its
    overshoot adds to the peaks, so both are corrected from what the encoded audio reads. A plain gain is
    used when the peaks have room for it; otherwise the peaks are limited, which takes some loudness away,
    and the gain is raised by what is missing. (loudnorm's linear mode falls back to its dynamic mode in
    that case, and landed up to 1 LU low on clips this short: film sound, a 5.1 mix folded to stereo.)
    """
    gain = first_gain(measured, target, true_peak)
    best: tuple[tuple[bool, float], Gain] | None = None
    for _ in range(MAX_PASSES):
        got = encoded(gain)
        log.debug("%s: %.2f LUFS, %.2f dBTP", gain, got.integrated, got.true_peak)
        missing = target - got.integrated
        over = got.true_peak - true_peak
        if abs(missing) <= LEVEL_TOLERANCE and over <= 0:
            return gain
        # If no pass lands, the render uses the best gain measured (peaks under the ceiling first, then the
        # nearest level), never a correction that was not tried.
        score = (over > 0, abs(missing))
        if best is None or score < best[0]:
            best = (score, gain)
        db = round(gain.db + missing, 2)
        if over > 0 or (gain.limit_at is None and measured.true_peak + db > true_peak - LINEAR_MARGIN):
            # Peaks over the ceiling (or about to be): limit them, lower by what the encoded audio overshot.
            limit_at = true_peak - LIMITER_MARGIN if gain.limit_at is None else gain.limit_at
            gain = Gain(db, round(limit_at - max(over, 0.0) - (0.1 if over > 0 else 0.0), 2))
        else:
            gain = Gain(db, gain.limit_at)
    assert best is not None  # MAX_PASSES >= 1
    return best[1]


def normalized(audio: Any, gain: Gain) -> Any:
    """`gain` applied to the mix: a single linear gain, then a look-ahead limiter if the peaks need one.

    The limiter runs at 192 kHz so that it sees (nearly) the true peaks, with its delay compensated (A/V
    sync) and its auto-level off (it would undo the gain).
    """
    a = audio.volume(volume=f"{gain.db:.2f}dB")
    if gain.limit_at is not None:
        limit = max(0.0625, 10 ** (gain.limit_at / 20))  # alimiter's floor is -24 dBFS
        a = (
            a.aresample(sample_rate=OVERSAMPLED)
            .alimiter(limit=round(limit, 5), attack=2, release=50, level=False, latency=True)
            .aresample(sample_rate=SAMPLE_RATE)
        )
    return a
