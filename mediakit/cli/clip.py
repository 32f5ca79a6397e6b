"""`mediakit clip`: render a captioned vertical clip with loudness-normalized audio (Spotify Clip, or
another clip-kind preset)."""

from __future__ import annotations

from mediakit.cli.render import render_command
from mediakit.errors import EXIT_CODE_HELP

HELP = f"""Render a Spotify Clip (or, with --preset, a Reel, TikTok or Short): vertical 1080x1920 H.264
with AAC audio normalized to -14 LUFS
(true peak under -1 dBTP), 3-30 s, with readable burned-in captions inside the safe zone.

\b
Examples:
  mediakit clip live.mov --captions lyrics.srt
  mediakit clip live.mov --start 42 --duration 15 --text "If this hits you, tap Save" --at 2-6
  mediakit clip live.mov --audio master.wav --audio-start 45 --mix 0.2
  mediakit clip cover.png --audio song.wav --audio-start 60 --duration 12 --caption-style karaoke \\
      --captions hook.ass
  mediakit clip landscape.mp4 --fit blur --captions lyrics.vtt --caption-style box
  mediakit clip concert.mp4 --fit smart --captions lyrics.srt   # the crop follows the singer
  mediakit clip live.mov --preset reels --captions lyrics.srt   # an Instagram Reel

Default length: all of the footage after --start (up to 29 s for a Spotify Clip), or the preset's
length (15 s) of the song for a still.
{EXIT_CODE_HELP}
"""


clip = render_command("clip", HELP)
