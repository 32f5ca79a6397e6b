"""The kit's table, names, hook times and lyrics moved to the hook (no rendering)."""

from __future__ import annotations

import pytest

from mediakit.captions import read_captions
from mediakit.cli.kit import ASSET_NAMES as CLI_NAMES
from mediakit.errors import UsageError
from mediakit.kit import ASSET_NAMES, ASSETS, choose, parse_hook, shifted_lyrics


def test_the_table_holds_the_seven_assets_with_their_presets():
    assert {a.name: (a.preset, a.kind) for a in ASSETS} == {
        "canvas": ("spotify-canvas", "canvas"),
        "clip": ("spotify-clip", "clip"),
        "apple-tall": ("apple-motion-tall", "canvas"),
        "apple-square": ("apple-motion-square", "canvas"),
        "reels": ("instagram-reels", "clip"),
        "tiktok": ("tiktok", "clip"),
        "shorts": ("youtube-shorts", "clip"),
    }
    assert all(a.needs == ("song",) for a in ASSETS if a.kind == "clip")
    # Apple: the art fills the frame (a cover inside bars is rejected).
    # the Apple presets take only a crop, which --fit auto places by the cover's faces and text
    assert all(a.defaults.get("fit") == "auto" for a in ASSETS if a.preset.startswith("apple-"))
    assert CLI_NAMES == ASSET_NAMES  # the CLI's copy (kept import-free for --help) is the table's


@pytest.mark.parametrize(
    "text, seconds",
    [("42", 42.0), ("42.5", 42.5), ("0:42", 42.0), ("1:02.5", 62.5), ("10:00", 600.0), (".5", 0.5)],
)
def test_hook_times(text, seconds):
    assert parse_hook(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "-3", "1:60", "1:2:3", "0:4x"])
def test_bad_hook_times_are_usage_errors(text):
    with pytest.raises(UsageError, match="is not a time"):
        parse_hook(text)


def test_only_and_skip_choose_by_name_in_table_order():
    assert [a.name for a in choose()] == list(ASSET_NAMES)
    assert [a.name for a in choose(["shorts,canvas"])] == ["canvas", "shorts"]
    assert [a.name for a in choose(["clip", "reels"], ["reels"])] == ["clip"]
    assert "apple-square" not in [a.name for a in choose(skip=["apple-square"])]
    with pytest.raises(UsageError, match="unknown asset 'apple'") as err:
        choose(["apple"])
    assert err.value.hint is not None and "apple-tall, apple-square" in err.value.hint
    with pytest.raises(UsageError, match="leave no asset"):
        choose(["clip"], ["clip"])


def test_lyrics_move_to_the_hook_keeping_karaoke(tmp_path):
    src = tmp_path / "song.ass"
    src.write_text(
        "[Script Info]\nScriptType: v4.00+\n\n[Events]\n"
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
        "Dialogue: 0,0:00:05.00,0:00:07.00,Default,,0,0,0,,Intro line\n"
        "Dialogue: 0,0:00:41.00,0:00:43.00,Default,,0,0,0,,{\\k50}Cut {\\k150}here\n"
        "Dialogue: 0,0:00:43.00,0:00:45.50,Default,,0,0,0,,{\\k100}Sing {\\k150}along\n"
        "Dialogue: 0,0:00:46.00,0:00:48.00,Default,,0,0,0,,Two\\Nlines\n",
        encoding="utf-8",
    )
    moved = read_captions(shifted_lyrics(src, 42.0, tmp_path)).cues
    assert [(c.start, c.end, c.text) for c in moved] == [
        (0.0, 1.0, "Cut here"),  # spans the hook: cut there
        (1.0, 3.5, "Sing along"),
        (4.0, 6.0, "Two\nlines"),
    ]
    sing = moved[1]
    assert [(w.text, w.start, w.end) for w in sing.words] == [("Sing ", 1.0, 2.0), ("along", 2.0, 3.5)]


def test_srt_lyrics_move_to_the_hook(tmp_path):
    src = tmp_path / "song.srt"
    src.write_text(
        "1\n00:00:10,000 --> 00:00:12,000\nbefore\n\n2\n00:01:02,250 --> 00:01:04,000\nat {the} hook\\\n",
        encoding="utf-8",
    )
    moved = read_captions(shifted_lyrics(src, parse_hook("1:02"), tmp_path)).cues
    assert [(c.start, c.end, c.text) for c in moved] == [(0.25, 2.0, "at (the) hook\u29f5")]
    # Braces and backslashes would be ASS override blocks and tags in the copy: shown as look-alikes.
