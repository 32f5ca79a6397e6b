"""What `mediakit fix` does to a file: for each finding the least destructive repair, stream by stream."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from mediakit.preset import Preset
from mediakit.probe import MediaInfo
from mediakit.rendering.framing import resolve_fit
from mediakit.report import Finding

# The repair classes, least destructive first. Each stream gets the most destructive class one of its
# findings needs; the rest of the file is left as it is (a video re-encode still copies the audio).
CLASSES: tuple[str, ...] = ("keep", "remux", "trim", "smart-cut", "re-encode")
RANK = {name: i for i, name in enumerate(CLASSES)}

# Audio codecs an MP4 carries that every player reads; anything else is re-encoded as AAC on a rewrap.
MP4_AUDIO = frozenset({"aac", "mp3", "alac"})
# How far a re-render may enlarge the picture (a 1080p landscape clip cropped to 1080x1920 is 1.78x): past
# this it is visibly soft, and a larger source is the fix.
MAX_UPSCALE = 2.0
# A trim is trusted to bring a file under a size cap when its estimate is this far under it (the result is
# checked anyway; a file still over is reported, not written).
SIZE_MARGIN = 0.95
# A cut that would re-encode more than this share of its frames is made as a plain re-encode instead.
MOSTLY_REENCODED = 0.5
COPIED = " (the video is copied)"
# Fix actions that change the picture's geometry, so need a re-render with the framing options.
GEOMETRY = frozenset({"reframe"})
# Fix actions that re-encode the video stream alone (the audio is copied).
VIDEO_REENCODE = frozenset({"reencode", "resample", "shrink", "convert-color"})


@dataclass(frozen=True)
class Action:
    """One finding and what fix does about it: `repair` is a class of CLASSES, or None with `why_not`."""

    finding: Finding
    stream: str  # "video", "audio", "file" (the container), "still"
    repair: str | None
    does: str
    why_not: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.finding.rule,
            "severity": self.finding.severity,
            "message": self.finding.message,
            "stream": self.stream,
            "repair": self.repair,
            "does": self.does,
            "why_not": self.why_not or None,
        }


@dataclass(frozen=True)
class Repair:
    """Everything fix will do to one file, decided before anything is written."""

    info: MediaInfo
    preset: Preset
    actions: tuple[Action, ...]
    video: str = "keep"  # a class of CLASSES ("trim" may become "smart-cut"/"re-encode" when cut)
    audio: str = "keep"  # keep / drop / re-encode / none
    render: bool = False  # geometry: re-render through the pipeline with the framing options
    trim: tuple[float, float] | None = None  # the span kept, in seconds from the first frame
    trim_reason: str = ""
    fps: int | None = None
    max_bytes: int | None = None
    color: dict[str, str] | None = None  # tags to write (retag) or convert to (convert)
    convert_color: bool = False
    normalize: tuple[float, float] | None = None  # (LUFS, dBTP) for the audio
    upscale: float | None = None  # how much a render enlarges the picture, when it does
    size: tuple[int, int] | None = None  # the re-render's frame size
    container: str = "mp4"
    notes: tuple[str, ...] = field(default=())

    @property
    def blocking(self) -> tuple[Action, ...]:
        """Error findings no repair can fix: with any of them the file cannot be made to pass."""
        return tuple(a for a in self.actions if a.repair is None and a.finding.severity == "error")

    @property
    def needed(self) -> bool:
        return any(a.repair is not None for a in self.actions)

    @property
    def strongest(self) -> str:
        """The most destructive class used on any stream (what a summary counts the file under)."""
        classes = [a.repair for a in self.actions if a.repair is not None]
        return max(classes, key=RANK.__getitem__) if classes else "keep"


def _kept_share(info: MediaInfo, start: float | None, trim_end: tuple[float, str] | None) -> float | None:
    """The share of the file's length a trim keeps (its bytes scale with it, near enough), or None."""
    if trim_end is None or not info.duration:
        return None
    return max(0.0, trim_end[0] - (start or 0.0)) / float(info.duration)


def _wants_mp4(preset: Preset) -> str:
    """The video container fix writes: the first the preset's container rules all allow (MP4 in practice)."""
    allowed: set[str] | None = None
    for rule in preset.rules:
        if rule.check == "container":
            names = {a for a in rule.params["allowed"] if a not in ("jpeg", "png", "webp", "gif")}
            allowed = names if allowed is None else allowed & names
    if not allowed or "mp4" in allowed:
        return "mp4"
    return sorted(allowed)[0]


def plan_repair(
    info: MediaInfo,
    preset: Preset,
    findings: tuple[Finding, ...],
    *,
    start: float | None = None,
    trim_end: tuple[float, str] | None = None,
    cut_plan: tuple[str, str, float] | None = None,
    fit: str = "auto",
) -> Repair:
    """The least destructive repair of `findings`: per stream keep → remux → trim → smart cut → re-encode.

    `trim_end` is the end chosen for an over-long file (trim_point.py; it decodes, so the caller runs it)
    with its reason; `cut_plan` is how cut.py would make that cut (method, reason, share of the frames it
    re-encodes); `start` is the user's --start; `fit` the framing a re-render would use.
    """
    actions: list[Action] = []
    video, audio = "keep", ("keep" if info.audio else "none")
    render = False
    fps: int | None = None
    max_bytes: int | None = None
    color: dict[str, str] | None = None
    convert = False
    normalize: tuple[float, float] | None = None
    trim: tuple[float, float] | None = None
    trim_reason = ""
    upscale: float | None = None
    size: tuple[int, int] | None = None
    container = "jpeg" if info.kind == "image" else _wants_mp4(preset)
    still = info.kind == "image"
    geometry: list[Finding] = []

    def raise_video(to: str) -> None:
        nonlocal video
        if RANK[to] > RANK[video]:
            video = to

    for f in findings:
        fx = f.fix or {}
        action = fx.get("action")
        if action is None:
            why = (
                "no mechanical fix: the file itself is damaged or of the wrong kind"
                if f.rule in ("readable", "kind", "internal", "deep")
                else "no mechanical fix for this rule: it needs a new edit or another source"
            )
            actions.append(Action(f, "file", None, "", why))
        elif action == "remux":
            container = fx.get("container", container)
            if still:
                actions.append(Action(f, "still", "re-encode", f"write the still as {container.upper()}"))
            else:
                raise_video("remux")
                actions.append(Action(f, "file", "remux", f"rewrap the streams as {container.upper()}"))
        elif action == "drop-audio":
            audio = "drop"
            raise_video("remux")
            actions.append(Action(f, "audio", "remux", f"drop the audio track{COPIED}"))
        elif action == "add-audio":
            actions.append(
                Action(
                    f,
                    "audio",
                    None,
                    "",
                    f"needs a sound track, which fix cannot invent: "
                    f"{preset.command(info.path.name, '--audio', 'song.wav')}",
                )
            )
        elif action == "lengthen":
            actions.append(
                Action(
                    f,
                    "video",
                    None,
                    "",
                    "too short, and making it longer changes the edit: render it again from a longer "
                    f"source ({preset.command('SOURCE')})",
                )
            )
        elif action == "trim":
            if trim_end is None:
                actions.append(Action(f, "video", None, "", "no end could be chosen"))
                continue
            end, trim_reason = trim_end
            trim = (start or 0.0, end)
            span = f"trim to {trim[0]:.3f}-{end:.3f} s ({trim_reason})"
            if cut_plan is not None and (cut_plan[0] == "reencode" or cut_plan[2] > MOSTLY_REENCODED):
                # A cut that re-encodes (most of) the span is a re-encode: made at the preset's quality
                # and size cap, not the cut's splice settings.
                raise_video("re-encode")
                actions.append(
                    Action(f, "video", "re-encode", f"{span}; the video is re-encoded: {cut_plan[1]}")
                )
            else:
                raise_video("trim")
                actions.append(Action(f, "video", "trim", span))
        elif action in GEOMETRY:
            geometry.append(f)  # decided below, once for all of them: one re-render serves every one
        elif action == "reencode":
            raise_video("re-encode")
            actions.append(
                Action(f, "video", "re-encode", f"re-encode the video as {fx['codec']} {fx['pix_fmt']}")
            )
        elif action == "resample":
            fps = int(fx["fps"])
            raise_video("re-encode")
            actions.append(Action(f, "video", "re-encode", f"re-encode the video at a constant {fps} fps"))
        elif action == "shrink":
            # A trim that keeps a smaller share of the bytes than the cap asks for is the smaller change.
            share = _kept_share(info, start, trim_end)
            if share is not None and info.size_bytes * share <= int(fx["max_bytes"]) * SIZE_MARGIN:
                actions.append(
                    Action(
                        f, "video", "trim", f"the trim leaves about {info.size_bytes * share / 1e6:.1f} MB"
                    )
                )
                continue
            max_bytes = int(fx["max_bytes"])
            raise_video("re-encode")
            actions.append(
                Action(f, "video", "re-encode", f"re-encode the video under {max_bytes / 1e6:.0f} MB")
            )
        elif action in ("retag-color", "convert-color"):
            color = {k: v for k, v in fx.items() if k != "action"}
            if action == "convert-color":
                convert = True
                raise_video("re-encode")
                actions.append(Action(f, "video", "re-encode", "convert the colours to BT.709 (SDR)"))
            elif info.primary_video is not None and info.primary_video.codec == "h264":
                raise_video("remux")
                actions.append(
                    Action(f, "video", "remux", "write the colour tags into the stream (pixels unchanged)")
                )
            else:
                raise_video("re-encode")
                actions.append(Action(f, "video", "re-encode", "re-encode the video with BT.709 colour tags"))
        elif action == "normalize-loudness":
            normalize = (float(fx["lufs"]), float(fx["true_peak"]))
            if audio != "drop":
                audio = "re-encode"
            actions.append(
                Action(
                    f,
                    "audio",
                    "re-encode",
                    f"re-encode the audio alone at {normalize[0]:g} LUFS{COPIED}",
                )
            )
        else:
            actions.append(Action(f, "file", None, "", f"mediakit fix does not know the action {action!r}"))

    if geometry:
        size, factor = render_size(info, preset, fit)
        errors = [f for f in geometry if f.severity == "error"]
        enlarges = factor > 1.01
        if factor > MAX_UPSCALE or (enlarges and not errors):
            # Past the limit, nothing; and a warning alone (a size recommendation, say) is not worth an
            # enlargement: the picture gains no detail, and the hint already asks for a larger source.
            why = (
                f"it would have to be enlarged {factor:.2f}x (more than {MAX_UPSCALE}x): use a larger source"
                if factor > MAX_UPSCALE
                else f"re-rendering would enlarge it {factor:.2f}x and add no detail: use a larger source"
            )
            actions.extend(Action(f, "video", None, "", why) for f in geometry)
        else:
            upscale = factor if enlarges else None
            render = True
            raise_video("re-encode")
            shown = f"{size[0]}x{size[1]}" + (f", enlarged {factor:.2f}x" if upscale else "")
            actions.extend(
                Action(f, "still" if still else "video", "re-encode", f"re-render at {shown}")
                for f in geometry
            )
    if render:
        # One re-render makes the whole file: every other repair is done by it, whatever it alone needed.
        actions = [
            dataclasses.replace(a, repair="re-encode", does=f"{a.does}: done by the re-render")
            if a.repair is not None and a.finding.fix and a.finding.fix.get("action") not in GEOMETRY
            else a
            for a in actions
        ]
    elif RANK[video] >= RANK["smart-cut"]:
        actions = [dataclasses.replace(a, does=a.does.replace(COPIED, "")) for a in actions]

    notes: list[str] = []
    if (
        not still
        and audio == "keep"
        and video != "keep"
        and info.audio
        and info.audio[0].codec not in MP4_AUDIO
        and container == "mp4"
    ):
        audio = "re-encode"
        notes.append(f"the audio ({info.audio[0].codec}) is re-encoded as AAC: an MP4 player may not read it")
    if len(info.audio) > 1 and audio in ("keep", "re-encode") and not still:
        notes.append(f"only the first of the {len(info.audio)} audio tracks is kept")
    if render and info.audio and preset.render.audio:
        notes.append("the re-render sets the audio's loudness to the preset's target")
    return Repair(
        info,
        preset,
        tuple(actions),
        video,
        audio,
        render,
        trim,
        trim_reason,
        fps,
        max_bytes,
        color,
        convert,
        normalize,
        upscale,
        size if render else None,
        container,
        tuple(notes),
    )


def _min_size(preset: Preset) -> tuple[int, int]:
    """The smallest picture the preset's size and height rules accept (0 where they set no minimum)."""
    w = h = 0
    for rule in preset.rules:
        if rule.severity != "error":
            continue
        if rule.check == "size":
            w = max(w, int(rule.params.get("min_width", 0)))
            h = max(h, int(rule.params.get("min_height", 0)))
        elif rule.check == "height" and rule.params.get("min") is not None:
            h = max(h, int(rule.params["min"]))
    return w, h


def _candidates(preset: Preset) -> list[tuple[int, int]]:
    """Render sizes a re-render may use, largest first: the preset's, and (a canvas takes --size) two thirds
    of it (720x1280 for 1080x1920) when the preset's rules accept that."""
    rw, rh = preset.render.width, preset.render.height
    out = [(rw, rh)]
    if preset.kind == "canvas" and rw % 3 == 0 and rh % 3 == 0:
        small = (rw * 2 // 3, rh * 2 // 3)
        mw, mh = _min_size(preset)
        if small[0] % 2 == 0 and small[1] % 2 == 0 and small[0] >= mw and small[1] >= mh:
            out.append(small)
    return out


def _factor(size: tuple[int, int], target: tuple[int, int], fit: str) -> float:
    """How much the picture is enlarged: a crop fills the frame (the larger ratio); blur and pad show it
    whole inside the frame (the smaller one)."""
    ratios = (target[0] / size[0], target[1] / size[1])
    return max(ratios) if fit == "crop" else min(ratios)


def render_size(info: MediaInfo, preset: Preset, fit: str = "auto") -> tuple[tuple[int, int], float]:
    """The size a re-render writes and how much it enlarges the picture: the largest candidate that needs
    no enlarging, else the one that needs the least."""
    size = info.display_size
    cands = _candidates(preset)
    if not size or min(size) < 1:
        return cands[0], 1.0
    allowed = preset.render.fits
    if fit == "smart":  # a crop that follows the subject on footage; a still is framed as with auto
        fit = "auto" if info.kind == "image" else "crop"
    chosen = resolve_fit(fit, size, preset.render.width / preset.render.height, info.kind == "image")
    if allowed and chosen not in allowed:
        chosen = allowed[0]
    fits = {chosen}
    if fit == "auto" and info.kind == "image" and (not allowed or "crop" in allowed):
        # A render looks at the still and may crop it where the size alone says blur: a crop enlarges
        # more, so the prediction takes it (the worst case of the two)
        fits.add("crop")

    def factor(cand: tuple[int, int]) -> float:
        return max(_factor(size, cand, f) for f in fits)

    for cand in cands:
        if factor(cand) <= 1.0:
            return cand, factor(cand)
    return cands[-1], factor(cands[-1])
