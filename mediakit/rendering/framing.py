"""Framing choices and the crop geometry shared by stills and footage (cheap to import: no numpy, no
ffmpeg bindings, so `mediakit batch --help` can offer the choices without loading the renderers)."""

from __future__ import annotations

from dataclasses import dataclass

MOTIONS: tuple[str, ...] = ("push-in", "pull-out", "drift", "static")
# "auto": the whole picture (blur) for a still far from 9:16, else crop. Until framing can see what
# matters in a picture, cropping a square cover to 9:16 cuts its band name and title off.
# "smart" (footage): a crop that follows each shot's subject (faces, else motion) on a smooth path; a
# still with smart is framed as with auto.
FITS: tuple[str, ...] = ("auto", "crop", "blur", "pad", "smart")
LOOPS: tuple[str, ...] = ("pingpong", "crossfade", "cut")  # footage


@dataclass(frozen=True)
class Framing:
    """The one framing decision of a render, made once from the pictures (in the kind's `prepare` hook) and
    read by every renderer: still frames, still JPEGs and footage alike.

    A static crop is `fit="crop"` with `focus`; a crop that follows a subject has one box position per
    output frame in `path`; a still's push-in zooms towards `anchor` instead of the stage centre.
    """

    fit: str  # crop | blur | pad ("auto" and "smart" are resolved before this is made)
    focus: tuple[float, float] = (0.5, 0.5)  # where a static crop sits (crop_box's focus)
    # --fit smart on footage (fit "crop"): the crop box's top-left corner (x, y) in the source's display
    # pixels (after rotation and SAR) for each frame after the rate conversion, frame 0 first; the box is
    # crop_box's size. Empty: a static crop at `focus`. Positions may be fractional: the renderer rounds.
    path: tuple[tuple[float, float], ...] = ()
    anchor: tuple[float, float] = (0.5, 0.5)  # still motion: the stage point (fractions) zoomed towards
    fg_scale: float = 1.0  # blur/pad: the picture's size as a share of the size that fills the frame
    why: str = ""  # what the choice keeps or why it could not crop, said in the result

    @staticmethod
    def fixed(fit: str, focus: tuple[float, float]) -> Framing:
        """An explicit --fit/--focus, taken as it is."""
        return Framing(fit=fit, focus=focus)


def crop_box(
    src: tuple[int, int], aspect: float, focus: tuple[float, float]
) -> tuple[float, float, float, float]:
    """The largest box of `aspect` (w/h) inside `src`, placed so `focus` (0-1 each) stays in frame."""
    sw, sh = src
    if sw / sh > aspect:
        w, h = sh * aspect, float(sh)
    else:
        w, h = float(sw), sw / aspect
    x = (sw - w) * min(max(focus[0], 0.0), 1.0)
    y = (sh - h) * min(max(focus[1], 0.0), 1.0)
    return x, y, w, h


# A crop that removes more than this share of the source's width or height is reported, and a still that
# would lose more than this is shown whole by --fit auto. 10 % is a 4:5 frame's safe margin: titles and
# logos placed by eye sit further in than that; a 9:16 phone photo (0 %) or a 3:5 one (6 %) keeps crop.
CROP_LOSS_LIMIT = 0.10


def crop_loss(src: tuple[int, int], aspect: float) -> tuple[float, str]:
    """The share of the source a crop to `aspect` removes, and which side it cuts ("width"/"height")."""
    sw, sh = src
    if sw <= 0 or sh <= 0:
        return 0.0, "width"
    if sw / sh > aspect:
        return 1.0 - sh * aspect / sw, "width"
    return 1.0 - sw / aspect / sh, "height"


def resolve_fit(fit: str, src: tuple[int, int], aspect: float, still: bool) -> str:
    """The fit to use: "auto" shows a still that a crop would cut by over CROP_LOSS_LIMIT whole (blur);
    footage and near-9:16 stills are cropped."""
    if fit != "auto":
        return fit
    return "blur" if still and crop_loss(src, aspect)[0] > CROP_LOSS_LIMIT else "crop"


def crop_warning(fit: str, src: tuple[int, int], aspect: float, may_blur: bool = True) -> str | None:
    """A warning when a crop cuts off more than CROP_LOSS_LIMIT of the picture (any source, any reason);
    `may_blur` is False where the preset allows only crop (the art must fill the frame)."""
    if fit != "crop":
        return None
    loss, side = crop_loss(src, aspect)
    if loss <= CROP_LOSS_LIMIT:
        return None
    fix = "use --fit blur to show the whole picture, or --focus to choose the part kept"
    if not may_blur:
        fix = (
            "this preset takes only a crop (the art must fill the frame): use --focus to choose the part kept"
        )
    size = f"{src[0]}x{src[1]}"
    return f"the crop to {ratio_text(aspect)} cuts off {loss:.0%} of the source's {side} ({size}): {fix}"


def ratio_text(aspect: float) -> str:
    """9:16, 3:4, 1:1 ... for a width/height ratio (the nearest with terms up to 32)."""
    from fractions import Fraction

    ratio = Fraction(aspect).limit_denominator(32)
    return f"{ratio.numerator}:{ratio.denominator}"
