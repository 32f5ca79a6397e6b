"""The one line mediakit shows for a failed ffmpeg run: the cause, not the threads winding down after it."""

from __future__ import annotations

import itertools

from mediakit.ffmpeg.runner import _summary

CAUSE = [
    "x264 [error]: baseline profile doesn't support 4:4:4",
    "[libx264 @ 0x55bf] Error setting profile baseline.",
    "[libx264 @ 0x55bf] Possible profiles: baseline main high high10 high422 high444",
    "[vost#0:0/libx264 @ 0x55bf] [enc:libx264 @ 0x55bf] Error while opening encoder - maybe incorrect "
    "parameters such as bit_rate, rate, width or height.",
]
# ffmpeg 9 logs these from two threads after the cause, interleaved differently from run to run.
FILTER_THREAD = [
    "[vf#0:0 @ 0x55bf] Error sending frames to consumers: Invalid argument",
    "[vf#0:0 @ 0x55bf] Task finished with error code: -22 (Invalid argument)",
    "[vf#0:0 @ 0x55bf] Terminating thread with return code -22 (Invalid argument)",
]
ENCODER_THREAD = [
    "[vost#0:0/libx264 @ 0x55bf] [enc:libx264 @ 0x55bf] Could not open encoder before EOF",
    "[vost#0:0/libx264 @ 0x55bf] Task finished with error code: -22 (Invalid argument)",
    "[vost#0:0/libx264 @ 0x55bf] Terminating thread with return code -22 (Invalid argument)",
]
TAIL = [
    "[out#0/mp4 @ 0x55bf] Nothing was written into output file, because at least one of its streams "
    "received no packets.",
    "Conversion failed!",
]


def _interleavings(a: list[str], b: list[str]) -> list[list[str]]:
    out = []
    for picks in itertools.combinations(range(len(a) + len(b)), len(a)):
        ia, ib, merged = iter(a), iter(b), []
        for k in range(len(a) + len(b)):
            merged.append(next(ia) if k in picks else next(ib))
        out.append(merged)
    return out


def test_the_cause_is_reported_whatever_order_the_threads_log_in():
    for middle in _interleavings(FILTER_THREAD, ENCODER_THREAD):
        stderr = "\n".join([*CAUSE, *middle, *TAIL])
        assert _summary(stderr) == CAUSE[-1]


def test_a_plain_error_is_still_found():
    assert (
        _summary("Input #0\nfile:x.mp4: No such file or directory\n")
        == "file:x.mp4: No such file or directory"
    )
    assert _summary("") == "no message"
