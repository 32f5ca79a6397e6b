"""Captions: read SRT/WebVTT/ASS files, lint them, and lay them out as an ASS document for libass."""

from mediakit.captions.glyphs import missing_glyphs
from mediakit.captions.layout import escape_text, layout, to_ass
from mediakit.captions.lint import clock, lint
from mediakit.captions.model import (
    MAX_CUE_CHARS,
    MAX_CUES,
    MAX_FILE_BYTES,
    MIN_FONT_FRACTION,
    STYLES,
    WORD_JOINER,
    CaptionError,
    CaptionEvent,
    CaptionFile,
    CaptionIssue,
    Cue,
    Word,
)
from mediakit.captions.read import (
    load_captions,
    parse_at,
    parse_caption_file,
    parse_captions,
    read_captions,
    retime,
    single_caption,
)

__all__ = [
    "MAX_CUES",
    "MAX_CUE_CHARS",
    "MAX_FILE_BYTES",
    "MIN_FONT_FRACTION",
    "STYLES",
    "WORD_JOINER",
    "CaptionError",
    "CaptionEvent",
    "CaptionFile",
    "CaptionIssue",
    "Cue",
    "Word",
    "clock",
    "escape_text",
    "layout",
    "lint",
    "load_captions",
    "missing_glyphs",
    "parse_at",
    "parse_caption_file",
    "parse_captions",
    "read_captions",
    "retime",
    "single_caption",
    "to_ass",
]
