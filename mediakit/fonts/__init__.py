"""The caption font shipped with mediakit (DejaVu Sans Bold; licence in LICENSE-DejaVu.txt)."""

from __future__ import annotations

from pathlib import Path

FONT_DIR = Path(__file__).resolve().parent
CAPTION_FONT = FONT_DIR / "DejaVuSans-Bold.ttf"
CAPTION_FONT_NAME = "DejaVu Sans"
