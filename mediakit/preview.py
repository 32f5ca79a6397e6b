"""Preview PNG: a contact sheet, the loop wrap and the preset's safe zone, for a person to look at."""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont, ImageOps

from mediakit.errors import InputError, OutputError
from mediakit.inputs import display
from mediakit.preset import Preset, SafeZone, resolve
from mediakit.probe import MediaInfo, open_container, probe
from mediakit.rendering.output import atomic_output, check_output, check_suffix

log = logging.getLogger(__name__)

SHEET_FRAMES = 8
THUMB = (135, 240)  # one contact-sheet cell of a 9:16 picture; other shapes keep its height (or MAX_WIDE)
PANEL = (270, 480)  # loop-wrap and safe-zone panels of a 9:16 picture, likewise
# The widest a cell or panel gets (a landscape picture), as a multiple of its height.
MAX_WIDE = 4 / 3
LEGEND_MIN_W = 200
MARGIN, GAP, WIDE_GAP = 24, 12, 40
TITLE_H, HEADING_H, LABEL_H, LEGEND_H = 56, 28, 24, 96
BACKGROUND = (22, 22, 26)
TEXT, DIM = (235, 235, 235), (150, 150, 160)
# Player UI and edge crops: a translucent orange-red, unlike any colour a picture is likely to be all over.
TINT = (255, 72, 32)
TINT_ALPHA = 0.45
SUFFIX = ".preview.png"


@dataclass(frozen=True)
class Box:
    left: int
    top: int
    width: int
    height: int

    @property
    def xy(self) -> tuple[int, int]:
        return (self.left, self.top)

    @property
    def right(self) -> int:
        return self.left + self.width

    @property
    def bottom(self) -> int:
        return self.top + self.height


@dataclass(frozen=True)
class Layout:
    """Where everything goes; `contact`, `last` and `first` are empty/None for a still."""

    size: tuple[int, int]
    contact: tuple[Box, ...]
    last: Box | None
    first: Box | None
    plain: Box | None  # a still without the overlay
    safe: Box
    legend: Box


def cell(height: int, aspect: tuple[int, int]) -> tuple[int, int]:
    """A cell `height` tall in the picture's shape (w, h); one wider than MAX_WIDE is made shorter instead."""
    w, h = max(1, aspect[0]), max(1, aspect[1])
    if w / h <= MAX_WIDE:
        return (max(1, round(height * w / h)), height)
    width = round(height * MAX_WIDE)
    return (width, max(1, round(width * h / w)))


def layout(kind: str, aspect: tuple[int, int] = (9, 16)) -> Layout:
    """The preview's geometry for a video or a still ("image") of display shape `aspect` (w, h).

    Pure, so tests can find the pixels. Cells and panels take the picture's shape (a 9:16 Canvas, a 3:4 or
    1:1 Apple motion artwork), so a picture fills its panel and the safe zone is drawn over the picture.
    """
    thumb, panel = cell(THUMB[1], aspect), cell(PANEL[1], aspect)
    top = MARGIN + TITLE_H + HEADING_H
    if kind == "image":
        plain = Box(MARGIN, top, *panel)
        safe = Box(plain.right + WIDE_GAP, top, *panel)
        legend = Box(MARGIN, plain.bottom + LABEL_H, safe.right - MARGIN, LEGEND_H)
        return Layout((safe.right + MARGIN, legend.bottom + MARGIN), (), None, None, plain, safe, legend)
    width = max(
        2 * MARGIN + SHEET_FRAMES * thumb[0] + (SHEET_FRAMES - 1) * GAP,
        2 * MARGIN + 3 * panel[0] + 3 * WIDE_GAP + LEGEND_MIN_W,
    )
    contact = tuple(Box(MARGIN + i * (thumb[0] + GAP), top, *thumb) for i in range(SHEET_FRAMES))
    row = top + thumb[1] + LABEL_H + GAP + HEADING_H
    last = Box(MARGIN, row, *panel)
    first = Box(last.right + WIDE_GAP, row, *panel)
    safe = Box(width - MARGIN - panel[0], row, *panel)
    legend = Box(first.right + WIDE_GAP, row, safe.left - WIDE_GAP - first.right - WIDE_GAP, panel[1])
    return Layout((width, row + panel[1] + LABEL_H + MARGIN), contact, last, first, None, safe, legend)


def fit(box: Box, size: tuple[int, int]) -> Box:
    """The largest box of `size`'s aspect centred in `box`."""
    scale = min(box.width / size[0], box.height / size[1])
    w, h = max(1, round(size[0] * scale)), max(1, round(size[1] * scale))
    return Box(box.left + (box.width - w) // 2, box.top + (box.height - h) // 2, w, h)


def safe_bands(frame: Box, zone: SafeZone) -> dict[str, Box]:
    """The areas outside the safe zone, over a picture drawn at `frame`: top and bottom span the width."""
    top = round(frame.height * zone.top)
    bottom = round(frame.height * zone.bottom)
    left = round(frame.width * zone.left)
    right = round(frame.width * zone.right)
    middle = frame.height - top - bottom
    return {
        "top": Box(frame.left, frame.top, frame.width, top),
        "bottom": Box(frame.left, frame.bottom - bottom, frame.width, bottom),
        "left": Box(frame.left, frame.top + top, left, middle),
        "right": Box(frame.right - right, frame.top + top, right, middle),
    }


@cache
def _font(size: int) -> Any:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, ImportError, OSError):  # Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()


def render_preview(
    path: str | os.PathLike[str], output: Path | None = None, preset: str | None = None
) -> Path:
    """Write a preview PNG of a Canvas or Clip (default `<stem>.preview.png` beside it); returns its path.

    `preset` is a name, alias or .toml path; None chooses canvas or clip from the file as validate does.
    The output may replace an older PNG (a previous preview), never the input or any other file; it is
    written atomically.
    """
    from mediakit.validate import choose_profile

    info = probe(path)
    if info.kind == "audio":
        raise InputError(f"{display(info.path)}: has no picture to preview", "use a video or an image")
    chosen = resolve(preset if preset is not None else choose_profile(info)[0])
    out = check_output(
        Path(output) if output is not None else info.path.with_name(info.path.stem + SUFFIX),
        info.path,
        overwrite=True,
    )
    if out.exists() and not _is_png(out):
        # Replacing an older preview is the point of re-running; replacing some other file never is.
        raise OutputError(f"{display(out)} already exists and is not a PNG", "choose another -o path")
    check_suffix(out, "png")
    sheet = _compose(info, chosen)
    with atomic_output(out) as tmp:
        sheet.save(tmp, format="PNG", optimize=False)
    log.info("wrote %s", display(out))
    return out


def _is_png(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(8) == b"\x89PNG\r\n\x1a\n"
    except OSError:
        return False


def _compose(info: MediaInfo, preset: Preset) -> Image.Image:
    size = info.display_size or (1, 1)
    geometry = layout("image" if info.kind == "image" else "video", size)
    canvas = Image.new("RGB", geometry.size, BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    facts = f"{size[0]}x{size[1]}"
    safe_time: float | None = None
    if geometry.plain is not None:  # a still
        safe_picture = _still(info, (geometry.safe.width, geometry.safe.height))
        draw.text(
            (geometry.plain.left, geometry.plain.top - HEADING_H), "the picture", fill=DIM, font=_font(15)
        )
        _paste(canvas, safe_picture, geometry.plain)
    else:
        frames = _video_frames(info, (geometry.safe.width, geometry.safe.height))
        facts += f", {float(info.duration or max(t for t, _ in frames.values())):.2f} s"
        v = info.primary_video
        if v is not None and v.avg_rate:
            facts += f", {float(v.avg_rate):.3g} fps"
        _sheet_and_wrap(canvas, geometry, frames)
        safe_time, safe_picture = frames["middle"]
    draw.text((MARGIN, MARGIN), display(info.path.name), fill=TEXT, font=_font(22))
    draw.text((MARGIN, MARGIN + 28), f"{facts} - safe zone of {preset.title} ({preset.name})", fill=DIM,
              font=_font(15))  # fmt: skip
    frame_box = _paste(canvas, safe_picture, geometry.safe)
    _safe_zone(canvas, frame_box, preset.safe_zone)
    draw = ImageDraw.Draw(canvas)
    _legend(draw, geometry.legend, preset)
    caption = "safe zone" + (f", frame at {safe_time:.2f} s" if safe_time is not None else "")
    draw.text((geometry.safe.left, geometry.safe.top - HEADING_H), caption, fill=DIM, font=_font(15))
    if preset.safe_zone is None:
        note = "(the preset has no safe zone)"
        draw.text((geometry.safe.left, geometry.safe.bottom + 4), note, fill=TEXT, font=_font(14))
    return canvas


def _sheet_and_wrap(
    canvas: Image.Image, geometry: Layout, frames: dict[str, tuple[float, Image.Image]]
) -> None:
    draw = ImageDraw.Draw(canvas)
    heading = f"{SHEET_FRAMES} frames across the duration"
    draw.text((MARGIN, MARGIN + TITLE_H), heading, fill=DIM, font=_font(15))
    for i, box in enumerate(geometry.contact):
        t, picture = frames[f"sheet{i}"]
        _paste(canvas, picture, box)
        draw.text((box.left, box.bottom + 4), f"{t:.2f} s", fill=TEXT, font=_font(14))
    last, first = geometry.last, geometry.first
    if last is None or first is None:
        return
    heading = "loop wrap: the last frame, then the first"
    draw.text((last.left, last.top - HEADING_H), heading, fill=DIM, font=_font(15))
    for key, box in (("last", last), ("first", first)):
        t, picture = frames[key]
        _paste(canvas, picture, box)
        draw.text((box.left, box.bottom + 4), f"{key} frame, {t:.2f} s", fill=TEXT, font=_font(14))
    mid_y = last.top + last.height // 2
    x0, x1 = last.right + 8, first.left - 8
    draw.line([(x0, mid_y), (x1, mid_y)], fill=TEXT, width=3)
    draw.polygon([(x1, mid_y), (x1 - 9, mid_y - 7), (x1 - 9, mid_y + 7)], fill=TEXT)


def _paste(canvas: Image.Image, picture: Image.Image, box: Box) -> Box:
    target = fit(box, picture.size)
    canvas.paste(picture.resize((target.width, target.height), Image.Resampling.LANCZOS), target.xy)
    return target


def _safe_zone(canvas: Image.Image, frame: Box, zone: SafeZone | None) -> None:
    if zone is None:
        return
    overlay = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    bands = safe_bands(frame, zone)
    for band in bands.values():
        if band.width > 0 and band.height > 0:
            draw.rectangle(
                [band.left, band.top, band.right - 1, band.bottom - 1], fill=(*TINT, round(255 * TINT_ALPHA))
            )
    canvas.paste(Image.alpha_composite(canvas.convert("RGBA"), overlay).convert("RGB"))
    draw = ImageDraw.Draw(canvas)
    label = "player UI (estimate)" if zone.estimate else "player UI"
    font = _font(14)
    for name in ("top", "bottom"):
        band = bands[name]
        if band.height >= 18:
            width = draw.textlength(label, font=font)
            draw.text(
                (band.left + (band.width - width) / 2, band.top + (band.height - 16) / 2),
                label,
                fill=(255, 255, 255),
                font=font,
                stroke_width=2,
                stroke_fill=(0, 0, 0),
            )
    inner = Box(
        bands["left"].right,
        bands["top"].bottom,
        bands["right"].left - bands["left"].right,
        bands["bottom"].top - bands["top"].bottom,
    )
    draw.rectangle([inner.left, inner.top, inner.right - 1, inner.bottom - 1], outline=(255, 255, 255))


def _legend(draw: ImageDraw.ImageDraw, box: Box, preset: Preset) -> None:
    zone = preset.safe_zone
    if zone is None:
        return
    font = _font(14)
    text = (
        f"Tinted: where the player UI sits or phones may crop the picture"
        f"{f' (an estimate: {preset.title} has no official figures)' if zone.estimate else ''}. Keep faces, "
        "titles and "
        f"captions inside the white outline. Top {zone.top:.0%}, bottom {zone.bottom:.0%}, left "
        f"{zone.left:.0%}, right {zone.right:.0%}. Source: {zone.source}"
    )
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= box.width:
            lines[-1] = f"{lines[-1]} {word}"
            continue
        lines.append("")
        for char in word:  # a URL longer than the box breaks anywhere
            if lines[-1] and draw.textlength(lines[-1] + char, font=font) > box.width:
                lines.append("")
            lines[-1] += char
    y = box.top
    for line in lines:
        if y + 18 > box.bottom:
            break
        draw.text((box.left, y), line, fill=DIM, font=font)
        y += 18


def _still(info: MediaInfo, panel: tuple[int, int]) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(info.path) as im:
            if im.format == "JPEG":
                im.draft("RGB", (panel[0] * 2, panel[1] * 2))  # decode at a fraction of the size, much faster
            picture = ImageOps.exif_transpose(im).convert("RGB")
    picture.thumbnail((panel[0] * 2, panel[1] * 2), Image.Resampling.LANCZOS)
    return picture


def _video_frames(info: MediaInfo, panel: tuple[int, int]) -> dict[str, tuple[float, Image.Image]]:
    """One sequential decode: the SHEET_FRAMES evenly spaced frames, the first, the middle and the last."""
    import av

    v = info.primary_video
    if v is None:
        raise InputError(f"{display(info.path)}: has no video stream", "use a video or an image")
    duration = float(info.duration or v.duration or 0)
    targets = {f"sheet{i}": i * duration / SHEET_FRAMES for i in range(SHEET_FRAMES)}
    targets.update(first=0.0, middle=duration / 2)
    step = float(1 / v.avg_rate) if v.avg_rate else 1 / 30
    size = _decode_size(v.display_width, v.display_height, v.rotation, panel)
    found: dict[str, tuple[float, Image.Image]] = {}
    last: tuple[float, Any] | None = None
    with open_container(info.path) as container:
        stream = container.streams[v.index]
        stream.codec_context.thread_type = "AUTO"
        start: float | None = None
        try:
            for index, frame in enumerate(container.decode(stream)):
                t = float(frame.time) if frame.time is not None else index * step
                start = t if start is None else start
                t -= start
                due = [k for k, at in targets.items() if k not in found and t >= at - step / 2]
                if due:
                    picture = _picture(frame, size)
                    for key in due:
                        found[key] = (t, picture)
                last = (t, frame)
        except av.error.FFmpegError as exc:  # damaged: show what decodes (validate reports the damage)
            log.warning("%s: decoding stopped (%s)", display(info.path.name), exc)
    if last is None:
        raise InputError(f"{display(info.path)}: no video frame decodes", "export or download it again")
    found["last"] = (last[0], _picture(last[1], size))
    for key in targets:  # a file shorter than it claims: fall back to its last frame
        found.setdefault(key, found["last"])
    return found


def _decode_size(width: int, height: int, rotation: int, panel: tuple[int, int]) -> tuple[int, int]:
    """Coded (pre-rotation) size to convert frames at: the display size fitted into twice a panel."""
    box = Box(0, 0, panel[0] * 2, panel[1] * 2)
    shown = fit(box, (max(1, width), max(1, height)))
    return (shown.height, shown.width) if rotation in (90, 270) else (shown.width, shown.height)


def _picture(frame: Any, size: tuple[int, int]) -> Image.Image:
    picture = frame.to_image(width=size[0], height=size[1], interpolation="AREA")
    rotation = int(getattr(frame, "rotation", 0) or 0)
    # PyAV's frame.rotation is the angle FFmpeg's autorotate undoes; PIL rotates counter-clockwise as it does.
    return picture.rotate(rotation, expand=True) if rotation % 360 else picture
