"""Cut a span out of a video with the least re-encoding: packet copy, smart cut, or a full re-encode.

A cut keeps the source frames whose times fall in [start, end), times counted from the first video
frame. It is *lossless* when the kept frames are a run of whole packets that decodes on its own: it
starts on a keyframe and, in decode order, no kept frame comes after a dropped one (so B-frames that
lean on a frame past the end cannot be orphaned). Otherwise a *smart* cut re-encodes only the frames
before the first IDR frame in the span and after the last point where the copied run can end, and
joins them with the copied packets in one H.264 stream: each re-encoded segment carries its own
SPS/PPS under ids the source does not use, and all of them go into the MP4's avcC, so copied packets
stay bit-identical and no parameter set changes except at an IDR frame. Every cut is decoded back and
checked (frame count, timestamps, PSNR against the source around each splice); a failed check falls
back to the next method, and `Cut.reason` says why.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import shlex
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from mediakit.errors import FFmpegError, ProbeError, UsageError
from mediakit.ffmpeg import runner
from mediakit.inputs import SAFE_INPUT_OPTIONS, display, file_url
from mediakit.probe import open_container

__all__ = ["MIN_PSNR", "Cut", "cut", "keyframes", "plan_cut"]

# Re-encoded frames must come this close to the source's (PSNR on luma, dB): the bar.
MIN_PSNR = 45.0
# libx264 CRF for smart-cut segments. On testsrc2 (sharp edges, noise patch) CRF 10 measured 47.9-49 dB
# at 360x640 and 1080x1920 (preset fast); one retry at CRF_RETRY covers harder content before giving up.
SMART_CRF = 10
CRF_RETRY = 4
# Full re-encodes: visually transparent, the same rate and size as the source. Their check only needs
# to catch a slipped or repeated frame (consecutive testsrc2 frames measure 24.6-25.8 dB), not judge
# quality: grainy footage at CRF 16 can fall under 45 dB.
REENCODE_CRF = 16
REENCODE_MIN_PSNR = 35.0
_SMART_PROFILES = {"baseline": "baseline", "constrained baseline": "baseline", "main": "main", "high": "high"}


@dataclass(frozen=True)
class Cut:
    """What `cut` wrote and how."""

    method: str  # "lossless" | "smart" | "reencode"
    start: float  # seconds actually kept, from the source's first video frame
    end: float
    frames: int  # video frames in the output
    reencoded_frames: int  # 0 for lossless
    reason: str  # one plain sentence: why this method
    commands: tuple[str, ...] = ()  # every ffmpeg command run, shell-quoted


@dataclass
class _Packet:
    pts: int
    dts: int
    duration: int
    key: bool
    idr: bool
    order: int  # position in decode order


@dataclass
class _Index:
    """The primary video stream's packets (headers only) and what a cut needs to know about it."""

    codec: str
    profile: str | None
    pix_fmt: str | None
    level: int | None
    time_base: Fraction
    frame_step: int  # the usual pts step, in time_base units
    packets: list[_Packet]  # decode order
    display: list[_Packet]  # the same packets in display order
    origin: int  # pts of the first displayed frame
    container_start: float  # the container's start time, s (what ffmpeg's -ss counts from)
    extradata: bytes | None
    colors: dict[str, str] = field(default_factory=dict)

    @property
    def fps(self) -> float:
        return float(1 / (self.frame_step * self.time_base))

    def seconds(self, pts: int) -> float:
        return float((pts - self.origin) * self.time_base)

    def frame_at(self, t: float) -> int:
        """Index (display order) of the frame nearest `t`; on a tie the later one (a shorter span)."""
        half = 0.5 / self.fps
        for i, p in enumerate(self.display):
            if self.seconds(p.pts) > t - half + 1e-9:
                return i
        return len(self.display)

    def frame_end(self, t: float) -> int:
        """The span end (an index: the first frame left out) at or before `t`: a span never ends after
        the time asked, so an 8.000 s limit is never exceeded (1% of a frame absorbs rounding in `t`)."""
        slack = 0.01 / self.fps
        for i in range(1, len(self.display) + 1):
            if self.end_time(i) > t + slack:
                return i - 1
        return len(self.display)

    def end_time(self, index: int) -> float:
        """The time a span ending before frame `index` ends."""
        if index < len(self.display):
            return self.seconds(self.display[index].pts)
        last = self.display[-1]
        return self.seconds(last.pts + (last.duration or self.frame_step))


# --- reading the source ---------------------------------------------------------------------------------


def _nal_units(data: bytes, length_size: int) -> Iterator[bytes]:
    pos = 0
    while pos + length_size <= len(data):
        size = int.from_bytes(data[pos : pos + length_size], "big")
        pos += length_size
        yield data[pos : pos + size]
        pos += size


def _length_size(extradata: bytes | None) -> int:
    return (extradata[4] & 3) + 1 if extradata and len(extradata) > 5 and extradata[0] == 1 else 4


def _open(path: Path) -> contextlib.AbstractContextManager[Any]:
    return open_container(path)


def _index(path: Path) -> _Index:
    import av

    with _open(path) as c:
        streams = [s for s in c.streams.video if s.codec_context is not None]
        if not streams:
            raise ProbeError(f"{display(path)}: has no video stream to cut", "pass a video file")
        s = streams[0]
        cc = s.codec_context
        extradata = bytes(cc.extradata) if cc.extradata else None
        avcc = cc.name == "h264" and extradata is not None and extradata[:1] == b"\x01"
        length_size = _length_size(extradata)
        packets: list[_Packet] = []
        try:
            for packet in c.demux(s):
                if packet.size == 0 or packet.pts is None:
                    continue
                idr = False
                if packet.is_keyframe and avcc:
                    idr = any(n and n[0] & 0x1F == 5 for n in _nal_units(bytes(packet), length_size))
                packets.append(
                    _Packet(
                        pts=packet.pts,
                        dts=packet.dts if packet.dts is not None else _NO_DTS,
                        duration=packet.duration or 0,
                        key=bool(packet.is_keyframe),
                        idr=idr,
                        order=len(packets),
                    )
                )
        except av.error.FFmpegError as exc:
            raise ProbeError(f"{display(path)}: the video data is damaged ({exc.strerror})") from None
        if not packets:
            raise ProbeError(f"{display(path)}: no video frames", "export the file again")
        ordered = sorted(packets, key=lambda p: p.pts)
        _fill_dts(packets, ordered)
        steps = [b.pts - a.pts for a, b in itertools.pairwise(ordered)]
        step = int(np.median(steps)) if steps else (ordered[0].duration or 1)
        colors = {
            key: str(value)
            for key, value in (
                ("color_primaries", getattr(cc, "color_primaries", None)),
                ("color_trc", getattr(cc, "color_trc", None)),
                ("colorspace", getattr(cc, "colorspace", None)),
                ("range", getattr(cc, "color_range", None)),
            )
            if value not in (None, 2, 0)  # unspecified / reserved
        }
        return _Index(
            codec=cc.name,
            profile=s.profile,
            pix_fmt=cc.format.name if cc.format else None,
            level=getattr(cc, "level", None),
            time_base=Fraction(s.time_base),
            frame_step=max(step, 1),
            packets=packets,
            display=ordered,
            origin=ordered[0].pts,
            container_start=float(c.start_time or 0) / 1_000_000,
            extradata=extradata,
            colors=colors,
        )


_NO_DTS = -(2**62)


def _fill_dts(packets: list[_Packet], ordered: list[_Packet]) -> None:
    """Give every packet a decode time when the container left some out or out of order (Matroska
    omits them for the first B-frame-delayed packets): the display times in order, shifted back by the
    smallest delay that keeps each packet's dts <= its pts, as an encoder would have set them."""
    dts = [p.dts for p in packets]
    if all(d != _NO_DTS for d in dts) and all(b > a for a, b in itertools.pairwise(dts)):
        return
    times = [p.pts for p in ordered]
    delay = max(t - p.pts for t, p in zip(times, packets, strict=True))
    for t, p in zip(times, packets, strict=True):
        p.dts = t - delay


def keyframes(path: Path) -> list[float]:
    """Video keyframe times (s, from the first video frame), read from packet headers (no decoding)."""
    idx = _index(path)
    return [idx.seconds(p.pts) for p in idx.display if p.key]


# --- planning -------------------------------------------------------------------------------------------


def _copy_run(idx: _Index, first: int, last: int) -> list[_Packet] | None:
    """The packets that show frames [first, last) (display order) when copied, in decode order, or None.

    They must be a run in decode order from the frame `first`'s packet (a keyframe): every packet in that
    run is kept, except leading pictures of an open GOP (shown before `first`, dropped). A kept frame after
    a dropped later one would reference it; one shown at or past `last` breaks the run.
    """
    head = idx.display[first]
    if not head.key or last <= first:
        return None
    lo, hi = head.pts, idx.display[last].pts if last < len(idx.display) else None
    wanted = last - first
    run: list[_Packet] = []
    for p in idx.packets[head.order :]:
        if len(run) == wanted:
            break
        if p.pts < lo:
            continue
        if hi is not None and p.pts >= hi:
            return None
        run.append(p)
    return run if len(run) == wanted else None


def _lossless_span(idx: _Index, s0: int, e0: int) -> tuple[int, int, list[_Packet]] | None:
    """Frame bounds within a frame of (s0, e0), never longer, that copy losslessly; s0 first."""
    n = len(idx.display)
    candidates = [(s0, e0), (s0, e0 - 1), (s0 + 1, e0), (s0 + 1, e0 - 1), (s0 - 1, e0 - 1), (s0 - 1, e0 - 2)]
    for s, e in candidates:
        if 0 <= s < e <= n and (s == s0 or idx.display[s].key):
            run = _copy_run(idx, s, e)
            if run is not None:
                return s, e, run
    return None


@dataclass
class _Plan:
    method: str
    reason: str
    first: int
    last: int
    copy: list[_Packet] = field(default_factory=list)
    head: tuple[int, int] | None = None  # re-encoded frames [a, b), display order
    tail: tuple[int, int] | None = None

    @property
    def reencoded(self) -> int:
        return sum(r[1] - r[0] for r in (self.head, self.tail) if r)


def _reencode_plan(reason: str, s0: int, e0: int) -> _Plan:
    return _Plan("reencode", reason, s0, e0, head=(s0, e0))


def _smart_refusal(idx: _Index) -> str | None:
    if idx.codec != "h264":
        return f"the video is {idx.codec}, not H.264"
    if idx.extradata is None or idx.extradata[:1] != b"\x01":
        return "the H.264 stream has no avcC header (Annex B)"
    if (idx.profile or "").lower() not in _SMART_PROFILES:
        return f"the H.264 profile {idx.profile} is one libx264 cannot match for a splice"
    if idx.pix_fmt != "yuv420p":
        return f"the pixel format {idx.pix_fmt} is not yuv420p"
    return None


def _fmt(t: float) -> str:
    return f"{t:.3f}".rstrip("0").rstrip(".") + " s" if t else "0 s"


def _n(frames: int) -> str:
    return f"{frames} frame" if frames == 1 else f"{frames} frames"


def _plan(idx: _Index, start: float, end: float) -> _Plan:
    s0, e0 = idx.frame_at(start), idx.frame_end(end)
    if e0 <= s0:
        raise UsageError(
            f"nothing to keep between {_fmt(start)} and {_fmt(end)}",
            "the end must come at least a frame after the start",
        )
    if idx.codec != "h264":
        return _reencode_plan(f"the video is {idx.codec}, not H.264: re-encoded the whole span", s0, e0)
    found = _lossless_span(idx, s0, e0)
    if found is not None:
        s, e, run = found
        at = idx.seconds(idx.display[s].pts)
        where = "start" if s == 0 else f"a keyframe at {_fmt(at)}"
        ends = "the source's end" if e == len(idx.display) else f"{_fmt(idx.end_time(e))}"
        return _Plan("lossless", f"copied packets from {where} to {ends}", s, e, copy=run)
    refusal = _smart_refusal(idx)
    if refusal:
        return _reencode_plan(f"no lossless cut and {refusal}: re-encoded the whole span", s0, e0)
    # The copied run must start on an IDR frame: an SPS can only change there.
    k1 = next((i for i in range(s0, e0) if idx.display[i].idr), None)
    if k1 is None:
        return _reencode_plan(
            f"no IDR keyframe between {_fmt(start)} and {_fmt(end)}: re-encoded the whole span", s0, e0
        )
    # The copied run from k1 ends at the latest frame p <= e0 where it is whole in decode order.
    p = next((q for q in range(e0, k1, -1) if _copy_run(idx, k1, q) is not None), None)
    if p is None:
        return _reencode_plan("no frame run after the keyframe copies cleanly: re-encoded the span", s0, e0)
    middle = _copy_run(idx, k1, p)
    assert middle is not None
    plan = _Plan(
        "smart", "", s0, e0, copy=middle, head=(s0, k1) if k1 > s0 else None, tail=(p, e0) if p < e0 else None
    )
    parts = []
    if plan.head:
        parts.append(
            f"no keyframe within a frame of {_fmt(start)}: re-encoded {_n(k1 - s0)} up to the keyframe at "
            f"{_fmt(idx.seconds(idx.display[k1].pts))}"
        )
    if plan.tail:
        parts.append(
            f"the copy cannot end at {_fmt(end)}: re-encoded {_n(e0 - p)} from "
            f"{_fmt(idx.seconds(idx.display[p].pts))}"
        )
    plan.reason = "; ".join(parts)
    return plan


def plan_cut(path: Path, start: float, end: float) -> tuple[str, str]:
    """(method, reason) that `cut` would try first, without writing anything (for --dry-run)."""
    method, reason, _ = assess(path, start, end)
    return method, reason


def assess(path: Path, start: float, end: float) -> tuple[str, str, float]:
    """(method, reason, share of the span's frames it re-encodes) of the cut `cut` would try first."""
    plan = _plan(_index(path), start, end)
    frames = max(1, plan.last - plan.first)
    return plan.method, plan.reason, plan.reencoded / frames


def video_offset(path: Path) -> float:
    """Seconds from the container's start (where ffmpeg's input -ss counts from) to the first video frame:
    an edit list, or a video that starts after its audio, puts it past 0."""
    idx = _index(path)
    return max(0.0, float(idx.origin * idx.time_base) - idx.container_start)


# --- avcC -----------------------------------------------------------------------------------------------


def _rbsp(nal: bytes) -> bytes:
    return nal.replace(b"\x00\x00\x03", b"\x00\x00")


def _ue(bits: str, pos: int) -> tuple[int, int]:
    zeros = 0
    while bits[pos + zeros] == "0":
        zeros += 1
    value = int(bits[pos + zeros : pos + 2 * zeros + 1], 2) - 1
    return value, pos + 2 * zeros + 1


def _bits(data: bytes) -> str:
    return "".join(f"{b:08b}" for b in data)


def _sps_id(sps: bytes) -> int:
    return _ue(_bits(_rbsp(sps[4:12])), 0)[0]


def _pps_id(pps: bytes) -> int:
    return _ue(_bits(_rbsp(pps[1:9])), 0)[0]


def _parse_avcc(data: bytes) -> tuple[bytes, list[bytes], list[bytes], bytes]:
    """(first 5 bytes, SPS list, PPS list, trailing bytes) of an avcC record."""
    pos = 6
    sps: list[bytes] = []
    for _ in range(data[5] & 0x1F):
        n = int.from_bytes(data[pos : pos + 2], "big")
        sps.append(data[pos + 2 : pos + 2 + n])
        pos += 2 + n
    pps: list[bytes] = []
    count = data[pos]
    pos += 1
    for _ in range(count):
        n = int.from_bytes(data[pos : pos + 2], "big")
        pps.append(data[pos + 2 : pos + 2 + n])
        pos += 2 + n
    return data[:5], sps, pps, data[pos:]


def _build_avcc(head: bytes, sps: Sequence[bytes], pps: Sequence[bytes], tail: bytes) -> bytes:
    out = bytearray(head)
    out.append(0xE0 | len(sps))
    for s in sps:
        out += len(s).to_bytes(2, "big") + s
    out.append(len(pps))
    for p in pps:
        out += len(p).to_bytes(2, "big") + p
    return bytes(out + tail)


# --- encoding segments ----------------------------------------------------------------------------------


@dataclass
class _Segment:
    """Encoded packets for source frames [a, b): payloads in decode order with their display rank."""

    a: int
    b: int
    payloads: list[tuple[bytes, int, bool]]  # (data, display rank, keyframe)
    extradata: bytes | None
    path: Path


def _shown(argv: Sequence[str]) -> str:
    return shlex.join(runner.full_argv(argv, fed=False))


def _encode(
    src: Path,
    idx: _Index,
    a: int,
    b: int,
    work: Path,
    ffmpeg_bin: str,
    commands: list[str],
    *,
    smart: bool,
    crf: int,
    sps_id: int = 0,
) -> _Segment:
    """Encode source frames [a, b) with libx264 into a temp MP4 and read its packets back."""
    # Frames are picked by their own timestamps (-copyts keeps them as the source has them, and `select`
    # compares them half a frame away from each edge), not by where -ss lands: -ss counts from the
    # container's start, which MPEG-TS and files with edit lists place differently. -ss only skips ahead,
    # to a second before the keyframe the frames decode from.
    tb = idx.time_base
    lo = float(idx.display[a].pts * tb) - 0.5 / idx.fps
    hi = float(idx.display[b - 1].pts * tb) + 0.5 / idx.fps
    seek = max(0.0, float(_keyframe_before(idx, idx.display[a].pts) * tb) - idx.container_start - 1.0)
    out = work / f"seg-{a}-{b}-crf{crf}.mp4"
    filters = [f"select='between(t,{lo:.6f},{hi:.6f})'", "format=yuv420p"]
    tags = {k: v for k, v in idx.colors.items()}
    if tags:
        filters.append("setparams=" + ":".join(f"{k}={v}" for k, v in tags.items()))
    # -noautorotate: frames stay in their coded orientation (as the copied ones are) and the output
    # keeps the source's rotation tag.
    argv = [ffmpeg_bin, "-y", "-noautorotate", "-copyts", "-ss", f"{seek:.6f}"]
    for key, value in SAFE_INPUT_OPTIONS.items():
        argv += [f"-{key}", value]
    argv += ["-i", file_url(src), "-map", "0:v:0", "-frames:v", str(b - a), "-an", "-sn", "-dn"]
    argv += ["-vf", ",".join(filters), "-fps_mode", "passthrough", "-c:v", "libx264", "-crf", str(crf)]
    if smart:
        profile = _SMART_PROFILES[(idx.profile or "").lower()]
        # No B-frames: the segment's decode order is its display order, so it slots between copied
        # packets without a reorder delay of its own.
        argv += ["-preset", "fast", "-profile:v", profile, "-bf", "0", "-x264-params", f"sps-id={sps_id}"]
        if idx.level:
            argv += ["-level", f"{idx.level / 10:.1f}"]
    else:
        argv += ["-preset", "medium"]
    argv += ["-pix_fmt", "yuv420p", "-f", "mp4", str(out)]
    commands.append(_shown(argv))
    runner.run(argv)
    with _open(out) as c:
        s = c.streams.video[0]
        raw = [(bytes(p), p.pts, bool(p.is_keyframe)) for p in c.demux(s) if p.size and p.pts is not None]
        extradata = bytes(s.codec_context.extradata) if s.codec_context.extradata else None
    if len(raw) != b - a:
        raise _SpliceError(f"the encoder returned {len(raw)} frames for {b - a}")
    ranks = {pts: r for r, pts in enumerate(sorted(pts for _, pts, _ in raw))}
    return _Segment(a, b, [(data, ranks[pts], key) for data, pts, key in raw], extradata, out)


class _SpliceError(Exception):
    """A cut that did not come out right; its message says how, for Cut.reason."""


# --- writing --------------------------------------------------------------------------------------------


@dataclass
class _Out:
    data: bytes
    pts: int
    dts: int
    duration: int
    key: bool


def _timed_segment(idx: _Index, seg: _Segment, dts_before: int | None, dts_after: int | None) -> list[_Out]:
    """The segment's packets on the source's clock: frame rank r shows at source frame a + r's time.

    Decode timestamps step by one frame, as the copied packets' do: the MP4 muxer turns dts gaps into
    sample durations, so an uneven step would shorten or stretch frames. A segment before a copied run
    ends one step before `dts_before`; one after it starts one step after `dts_after`; alone, its
    timestamps trail the display times by the smallest delay that keeps dts <= pts.
    """
    times = [idx.display[seg.a + r].pts for r in range(seg.b - seg.a)]
    pts = [times[rank] for _, rank, _ in seg.payloads]
    step, n = idx.frame_step, len(pts)
    if dts_before is not None:
        dts = [dts_before - (n - i) * step for i in range(n)]
    elif dts_after is not None:
        dts = [dts_after + (i + 1) * step for i in range(n)]
    else:
        delay = max(times[i] - pts[i] for i in range(n))
        dts = [times[i] - delay for i in range(n)]
    if any(d > p for d, p in zip(dts, pts, strict=True)):
        raise _SpliceError("the re-encoded frames cannot be timed between the copied ones")
    out = []
    for (data, rank, key), p, d in zip(seg.payloads, pts, dts, strict=True):
        dur = (times[rank + 1] - times[rank]) if rank + 1 < len(times) else step
        out.append(_Out(data, p, d, dur, key))
    return out


def _write(
    src: Path,
    dst: Path,
    idx: _Index,
    video: list[_Out],
    extradata: bytes | None,
    first: int,
    last: int,
    keep_audio: bool,
    template: Path | None = None,
) -> None:
    """Mux `video` (decode order, source clock) and, if asked, the source's first audio stream's packets
    inside [first, last)'s time span, all shifted so the first kept frame shows at 0. The video stream's
    parameters come from `template`'s (a re-encode's own file) or else the source's."""
    import av

    origin = idx.display[first].pts
    t0 = Fraction(origin) * idx.time_base
    t1 = Fraction(idx.display[last].pts if last < len(idx.display) else idx.display[-1].pts + idx.frame_step)
    t1 *= idx.time_base
    with (
        _open(src) as c,
        _open(template or src) as t,
        av.open(str(dst), "w", format="mp4", options={"movflags": "+faststart"}) as out,
    ):
        vsrc = next(s for s in c.streams.video if s.codec_context is not None)
        vs = out.add_stream_from_template(next(s for s in t.streams.video if s.codec_context is not None))
        vs.time_base = vsrc.time_base
        if extradata is not None:
            vs.codec_context.extradata = extradata
        asrc = next((s for s in c.streams.audio if s.codec_context is not None), None) if keep_audio else None
        audio: list[Any] = []
        if asrc is not None:
            ast = out.add_stream_from_template(asrc)
            ast.time_base = asrc.time_base
            atb = Fraction(asrc.time_base)
            # Whole AAC frames that lie inside the span: the audio starts at most one frame late and
            # never runs past the video.
            for packet in c.demux(asrc):
                if packet.size == 0 or packet.pts is None:
                    continue
                begin = packet.pts * atb
                finish = begin + (packet.duration or 0) * atb
                if begin >= t0 - Fraction(1, 100_000) and finish <= t1 + Fraction(1, 100_000):
                    shift = int(t0 / atb)
                    audio.append(
                        (
                            bytes(packet),
                            packet.pts - shift,
                            (packet.dts or packet.pts) - shift,
                            packet.duration,
                            packet.is_keyframe,
                        )
                    )
        for o in video:
            packet = av.Packet(o.data)
            packet.pts, packet.dts, packet.duration = o.pts - origin, o.dts - origin, o.duration
            packet.time_base = vsrc.time_base
            packet.is_keyframe = o.key
            packet.stream = vs
            out.mux(packet)
        if asrc is not None:
            for data, pts, dts, duration, key in audio:
                packet = av.Packet(data)
                packet.pts, packet.dts, packet.duration = pts, dts, duration
                packet.time_base = asrc.time_base
                packet.is_keyframe = key
                packet.stream = out.streams.audio[0]
                out.mux(packet)


# --- checking -------------------------------------------------------------------------------------------


def _luma(frame: Any) -> np.ndarray:
    """8-bit luma as coded: the Y plane (a 10/12-bit one shifted down, as a conversion to 8 bits would),
    so the source and a yuv420p re-encode compare in the same range."""
    name = frame.format.name
    plane = frame.planes[0]
    deep = next((bits for bits in (10, 12, 16) if f"p{bits}" in name and name.startswith("yuv")), None)
    if deep:
        rows16 = np.frombuffer(plane, np.uint16).reshape(frame.height, plane.line_size // 2)
        return (rows16[:, : frame.width] >> (deep - 8)).astype(np.uint8)
    if not name.startswith(("yuv", "nv12")):
        return np.asarray(frame.to_ndarray(format="gray"), dtype=np.uint8)
    rows = np.frombuffer(plane, np.uint8).reshape(frame.height, plane.line_size)
    return rows[:, : frame.width]


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    if a.shape != b.shape:
        raise _SpliceError(f"a frame is {a.shape[1]}x{a.shape[0]}, the source's {b.shape[1]}x{b.shape[0]}")
    mse = float(np.mean((a.astype(np.float32) - b.astype(np.float32)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255.0**2 / mse)


def _keyframe_before(idx: _Index, pts: int) -> int:
    """The pts of the last keyframe shown at or before `pts`: where a seek for it should land."""
    keys = [p.pts for p in idx.display if p.key and p.pts <= pts]
    return keys[-1] if keys else idx.origin


def _passes(c: Any, s: Any, target: int) -> Iterator[bool]:
    """Seek for `target` (pts) and yield True; if the caller is not done, rewind to the start and yield
    False. An MP4 index seeks exactly; MPEG-TS and friends seek by searching and may land late."""
    c.seek(target, stream=s, backward=True, any_frame=False)
    yield True
    c.seek(0, stream=s, backward=True, any_frame=True)
    yield False


def _source_frames(src: Path, idx: _Index, a: int, b: int) -> list[np.ndarray]:
    """Luma of source frames [a, b) (display order), decoding from the keyframe at or before a."""
    want = {idx.display[i].pts: i - a for i in range(a, b)}
    found: list[np.ndarray | None] = [None] * (b - a)
    with _open(src) as c:
        s = next(s for s in c.streams.video if s.codec_context is not None)
        s.thread_type = "AUTO"
        for _ in _passes(c, s, _keyframe_before(idx, idx.display[a].pts)):
            found = [None] * (b - a)
            for frame in c.decode(s):
                if frame.pts in want:
                    found[want[frame.pts]] = _luma(frame).copy()
                if (
                    frame.pts is not None
                    and frame.pts >= idx.display[b - 1].pts
                    and all(f is not None for f in found)
                ):
                    break
            if all(f is not None for f in found):
                break
    if any(f is None for f in found):
        raise _SpliceError("the source frames around the cut did not decode")
    return [f for f in found if f is not None]


def _verify(src: Path, dst: Path, idx: _Index, plan: _Plan) -> float:
    """Decode `dst` and check it against the source; return the lowest PSNR of the compared frames.

    Every frame must decode, timestamps must rise by one source frame step each, the count must match,
    and frames at each splice (re-encoded ones and two copied ones either side, plus the first and last
    two) must be the source's frames at the same place: PSNR >= MIN_PSNR (a repeated or skipped frame
    scores far below it).
    """
    n = plan.last - plan.first
    ranges = [(0, 2), (n - 2, n)]
    for r in (plan.head, plan.tail):
        if r:
            ranges.append((r[0] - plan.first - 2, r[1] - plan.first + 2))
    check: set[int] = {i for a, b in ranges for i in range(max(a, 0), min(b, n))}
    got: dict[int, np.ndarray] = {}
    stamps: list[float] = []
    import av

    with _open(dst) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        tb = Fraction(s.time_base)
        try:
            for frame in c.decode(s):
                if len(stamps) in check:
                    got[len(stamps)] = _luma(frame).copy()
                stamps.append(float(frame.pts * tb) if frame.pts is not None else math.nan)
        except av.error.FFmpegError as exc:
            raise _SpliceError(f"the output does not decode ({exc.strerror})") from None
    if len(stamps) != n:
        raise _SpliceError(f"the output decodes {len(stamps)} frames, not {n}")
    want = [
        idx.seconds(idx.display[plan.first + i].pts) - idx.seconds(idx.display[plan.first].pts)
        for i in range(n)
    ]
    for i, (have, expected) in enumerate(zip(stamps, want, strict=True)):
        if not abs(have - expected) < 0.25 / idx.fps:
            raise _SpliceError(f"frame {i} shows at {have:.4f} s instead of {expected:.4f} s")
    worst = math.inf
    for a, b in ranges:
        a, b = max(a, 0), min(b, n)
        if a >= b:
            continue
        ref = _source_frames(src, idx, plan.first + a, plan.first + b)
        for i in range(a, b):
            score = _psnr(got[i], ref[i - a])
            if score < (REENCODE_MIN_PSNR if plan.method == "reencode" else MIN_PSNR):
                raise _SpliceError(f"frame {i} differs from the source's ({score:.1f} dB)")
            worst = min(worst, score)
    return worst


# --- the cut --------------------------------------------------------------------------------------------


def _unused_ids(avcc: bytes, count: int) -> list[int]:
    _, sps, pps, _ = _parse_avcc(avcc)
    used = {_sps_id(s) for s in sps} | {_pps_id(p) for p in pps}
    return [i for i in range(1, 32) if i not in used][:count]


def _run_plan(
    src: Path,
    dst: Path,
    idx: _Index,
    plan: _Plan,
    work: Path,
    ffmpeg_bin: str,
    keep_audio: bool,
    crf: int,
    commands: list[str],
) -> float:
    if plan.method == "lossless":
        video = [_Out(b"", p.pts, p.dts, p.duration or idx.frame_step, p.key) for p in plan.copy]
        _write_copy(src, dst, idx, plan, video, idx.extradata, keep_audio)
        return _verify(src, dst, idx, plan)
    if plan.method == "reencode":
        assert plan.head is not None
        seg = _encode(src, idx, *plan.head, work, ffmpeg_bin, commands, smart=False, crf=REENCODE_CRF)
        video = _timed_segment(idx, seg, None, None)
        _write(src, dst, idx, video, seg.extradata, plan.first, plan.last, keep_audio, template=seg.path)
        return _verify(src, dst, idx, plan)
    assert idx.extradata is not None
    head_id, tail_id = _unused_ids(idx.extradata, 2)
    first_copy = plan.copy[0].dts
    segments: list[_Out] = []
    extra_sps: list[bytes] = []
    extra_pps: list[bytes] = []
    head: _Segment | None = None
    tail: _Segment | None = None
    if plan.head:
        head = _encode(src, idx, *plan.head, work, ffmpeg_bin, commands, smart=True, crf=crf, sps_id=head_id)
    if plan.tail:
        tail = _encode(src, idx, *plan.tail, work, ffmpeg_bin, commands, smart=True, crf=crf, sps_id=tail_id)
    for part in (head, tail):
        if part is None:
            continue
        if not part.extradata or part.extradata[:1] != b"\x01":
            raise _SpliceError("the encoder wrote no avcC header")
        _, sps, pps, _ = _parse_avcc(part.extradata)
        extra_sps += sps
        extra_pps += pps
    if head:
        segments += _timed_segment(idx, head, first_copy, None)
    copied = [_Out(b"", p.pts, p.dts, p.duration or idx.frame_step, p.key) for p in plan.copy]
    segments += copied
    if tail:
        segments += _timed_segment(idx, tail, None, copied[-1].dts)
    dts = [o.dts for o in segments]
    if any(b <= a for a, b in itertools.pairwise(dts)):
        raise _SpliceError("the joined stream's decode timestamps do not rise")
    start5, sps0, pps0, trailer = _parse_avcc(idx.extradata)
    avcc = _build_avcc(start5, [*sps0, *extra_sps], [*pps0, *extra_pps], trailer)
    _write_copy(src, dst, idx, plan, segments, avcc, keep_audio)
    return _verify(src, dst, idx, plan)


def _write_copy(
    src: Path,
    dst: Path,
    idx: _Index,
    plan: _Plan,
    video: list[_Out],
    extradata: bytes | None,
    keep_audio: bool,
) -> None:
    """Fill in copied packets' payloads (those with empty data) from the source, then write."""
    wanted = {o.pts: o for o in video if not o.data}
    if wanted:
        s_pts = set(wanted)
        with _open(src) as c:
            s = next(s for s in c.streams.video if s.codec_context is not None)
            for _ in _passes(c, s, _keyframe_before(idx, min(s_pts))):
                for packet in c.demux(s):
                    if packet.pts in wanted and not wanted[packet.pts].data:
                        wanted[packet.pts].data = bytes(packet)
                        s_pts.discard(packet.pts)
                        if not s_pts:
                            break
                if not s_pts:
                    break
        if s_pts:
            raise _SpliceError("some source packets could not be read back")
    _write(src, dst, idx, video, extradata, plan.first, plan.last, keep_audio)


def cut(
    src: Path,
    dst: Path,
    start: float,
    end: float,
    *,
    keep_audio: bool,
    ffmpeg_bin: str,
    crf_for_smart: int | None = None,
) -> Cut:
    """Write `dst` (MP4): the primary video of `src` cut to [start, end), a whole number of frames, and
    with `keep_audio` its first audio stream's AAC frames inside that span (stream copy; the audio starts
    up to one AAC frame, 21 ms at 48 kHz, after the video and ends at or before it).

    Lossless when it can be, else a smart cut, else a full libx264 re-encode; each result is decoded
    and checked before it is accepted, and `Cut.reason` says why the method used was the one.
    """
    import av

    idx = _index(src)
    plan = _plan(idx, start, end)
    commands: list[str] = []
    notes: list[str] = []
    crfs = [crf_for_smart if crf_for_smart is not None else SMART_CRF]
    crfs.append(min(crfs[0], CRF_RETRY) if crfs[0] > CRF_RETRY else crfs[0])
    with tempfile.TemporaryDirectory(prefix="mediakit-cut-") as tmp:
        work = Path(tmp)
        attempts: list[tuple[_Plan, int]] = [(plan, crfs[0])]
        if plan.method == "smart" and crfs[1] != crfs[0]:
            attempts.append((plan, crfs[1]))
        for attempt, crf in attempts:
            try:
                psnr = _run_plan(src, dst, idx, attempt, work, ffmpeg_bin, keep_audio, crf, commands)
            except _SpliceError as exc:
                notes.append(f"the {attempt.method} cut failed its check ({exc})")
                continue
            except FFmpegError as exc:
                notes.append(f"the {attempt.method} cut failed ({exc.message})")
                continue
            except av.error.FFmpegError as exc:
                notes.append(f"the {attempt.method} cut could not be written ({exc.strerror})")
                continue
            reason = attempt.reason
            if attempt.method == "smart" and math.isfinite(psnr):
                reason += f" (min {psnr:.1f} dB)"
            if notes:
                reason = "; ".join(notes) + "; " + reason
            return _result(idx, attempt, reason, commands)
        fallback = _reencode_plan("; ".join(notes) + ": re-encoded the whole span", plan.first, plan.last)
        try:
            _run_plan(src, dst, idx, fallback, work, ffmpeg_bin, keep_audio, REENCODE_CRF, commands)
        except (_SpliceError, av.error.FFmpegError, FFmpegError) as exc:
            with contextlib.suppress(OSError):
                dst.unlink()
            if isinstance(exc, FFmpegError):
                raise
            raise FFmpegError(
                f"{display(src)}: could not cut {_fmt(start)}-{_fmt(end)} ({exc})",
                "re-encode the file with a standard encoder first",
            ) from None
        return _result(idx, fallback, fallback.reason, commands)


def _result(idx: _Index, plan: _Plan, reason: str, commands: list[str]) -> Cut:
    t0 = idx.display[plan.first].pts
    return Cut(
        method=plan.method,
        start=idx.seconds(t0),
        end=idx.end_time(plan.last),
        frames=plan.last - plan.first,
        reencoded_frames=0 if plan.method == "lossless" else plan.reencoded,
        reason=reason,
        commands=tuple(commands),
    )
