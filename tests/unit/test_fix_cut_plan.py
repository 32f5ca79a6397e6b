"""Which spans of a B-frame GOP copy cleanly: the decode-order rule of mediakit.fix.cut, on packet tables."""

from __future__ import annotations

from fractions import Fraction

import pytest

from mediakit.fix.cut import _copy_run, _Index, _Packet, _plan


def _index(decode_order: list[tuple[int, str]]) -> _Index:
    """Packets given as (display frame number, type) in decode order; 'I' IDR, 'i' non-IDR I, else P/B."""
    packets = [
        _Packet(pts=n, dts=k - 2, duration=1, key=t in "Ii", idr=t == "I", order=k)
        for k, (n, t) in enumerate(decode_order)
    ]
    return _Index(
        codec="h264",
        profile="High",
        pix_fmt="yuv420p",
        level=30,
        time_base=Fraction(1, 30),
        frame_step=1,
        packets=packets,
        display=sorted(packets, key=lambda p: p.pts),
        origin=0,
        container_start=0.0,
        extradata=b"\x01\x64\x00\x1e\xff\xe0\x00",
    )


# I0 P3 B1 B2 P6 B4 B5 | I9 P12 B10 B11 (closed GOPs of 9 frames, the second cut short)
CLOSED = [(0, "I"), (3, "P"), (1, "B"), (2, "B"), (6, "P"), (4, "B"), (5, "B"), (8, "P"), (7, "B")]
CLOSED += [(9, "I"), (12, "P"), (10, "B"), (11, "B")]


@pytest.mark.parametrize(
    ("last", "clean"), [(1, True), (2, False), (3, False), (4, True), (6, False), (7, True)]
)
def test_a_copy_from_a_keyframe_ends_only_where_no_b_frame_is_left_behind(last: int, clean: bool) -> None:
    # Ending before frame 2 would keep B1 (decoded after P3, which is dropped): B1 has lost a reference.
    idx = _index(CLOSED)
    run = _copy_run(idx, 0, last)
    assert (run is not None) is clean
    if run is not None:
        assert sorted(p.pts for p in run) == list(range(last))


def test_a_copy_must_start_on_a_keyframe() -> None:
    assert _copy_run(_index(CLOSED), 1, 4) is None
    assert [p.pts for p in _copy_run(_index(CLOSED), 9, 13) or []] == [9, 12, 10, 11]


def test_leading_pictures_of_an_open_gop_are_dropped_from_a_copy() -> None:
    # i9 is a non-IDR I-frame; B7 and B8 after it in decode order are shown before it (they lean on the
    # GOP before): a copy from i9 leaves them out and stays whole.
    order = [
        (0, "I"),
        (3, "P"),
        (1, "B"),
        (2, "B"),
        (6, "P"),
        (4, "B"),
        (5, "B"),
        (9, "i"),
        (7, "B"),
        (8, "B"),
    ]
    order += [(12, "P"), (10, "B"), (11, "B")]
    idx = _index(order)
    assert [p.pts for p in _copy_run(idx, 9, 13) or []] == [9, 12, 10, 11]
    # ... but a copy from 0 cannot end at 9: B7 and B8 come after the dropped i9 in decode order.
    assert _copy_run(idx, 0, 9) is None


def test_the_plan_picks_the_least_destructive_method() -> None:
    idx = _index(CLOSED)
    assert _plan(idx, 0.0, 4 / 30).method == "lossless"
    # One frame past a clean end: the end moves a frame earlier rather than re-encoding.
    lossless = _plan(idx, 0.0, 5 / 30)
    assert (lossless.method, lossless.last) == ("lossless", 4)
    # Start at frame 3 (no keyframe within a frame): re-encode 3..9, copy from the IDR at 9.
    smart = _plan(idx, 3 / 30, 13 / 30)
    assert (smart.method, smart.head, smart.tail) == ("smart", (3, 9), None)
    # No IDR frame inside 2..8: nothing to copy.
    assert _plan(idx, 2 / 30, 8 / 30).method == "reencode"
